import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
let r: Redis;
beforeAll(async () => {
  srv = await startNodis();
  r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false });
});
afterAll(async () => {
  r.disconnect();
  await srv.close();
});

describe("FUNCTION over an empty library", () => {
  it("FLUSH accepts SYNC/ASYNC only", async () => {
    expect(await r.call("function", "flush")).toBe("OK");
    expect(await r.call("function", "flush", "async")).toBe("OK");
    await expect(r.call("function", "flush", "lazy")).rejects.toThrow("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  });
  it("LIST is empty and checks its arguments", async () => {
    expect(await r.call("function", "list")).toEqual([]);
    expect(await r.call("function", "list", "withcode", "libraryname", "x*")).toEqual([]);
    await expect(r.call("function", "list", "libraryname")).rejects.toThrow("ERR library name argument was not given");
    await expect(r.call("function", "list", "bogus")).rejects.toThrow("ERR Unknown argument bogus");
  });
  it("DELETE, KILL and FCALL find nothing", async () => {
    await expect(r.call("function", "delete", "lib")).rejects.toThrow("ERR Library not found");
    await expect(r.call("function", "kill")).rejects.toThrow("NOTBUSY No scripts in execution right now.");
    await expect(r.call("fcall", "f", "0")).rejects.toThrow("ERR Function not found");
    await expect(r.call("function", "nope")).rejects.toThrow("ERR unknown subcommand 'nope'. Try FUNCTION HELP.");
  });
});
