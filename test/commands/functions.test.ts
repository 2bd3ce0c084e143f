import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";

let r: Redis;
useNodis({}, { r: true }, (f) => ({ r } = f));

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
