import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { createClient } from "redis";
import { useNodis, rawExchange } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

describe("a real Nodis over TCP", () => {
  it("answers ioredis", async () => {
    const r = new Redis({ port: srv.port, host: "127.0.0.1" });
    expect(await r.ping()).toBe("PONG");
    expect(await r.set("k", "v")).toBe("OK");
    expect(await r.get("k")).toBe("v");
    expect(await r.incr("n")).toBe(1);
    expect(await r.incrby("n", 41)).toBe(42);
    await expect(r.incr("k")).rejects.toThrow("ERR value is not an integer or out of range");
    r.disconnect();
  });

  it("answers node-redis", async () => {
    const c = createClient({ socket: { port: srv.port, host: "127.0.0.1" } });
    await c.connect();
    expect(await c.set("nr", "1")).toBe("OK");
    expect(await c.get("nr")).toBe("1");
    expect(await c.del(["nr", "missing"])).toBe(1);
    await c.quit();
  });

  it("runs a pipeline of thousands of commands in one packet", async () => {
    let payload = "";
    for (let i = 0; i < 5000; i++) payload += "*3\r\n$3\r\nSET\r\n$4\r\npkey\r\n$1\r\nv\r\n";
    const { data } = await rawExchange(srv.port, payload, (d) => d.length >= 5000 * 5);
    expect(data).toBe("+OK\r\n".repeat(5000));
  });

  it("answers a protocol error and closes", async () => {
    const { data, closed } = await rawExchange(srv.port, "*1\r\nfoo\r\n");
    expect(data).toBe("-ERR Protocol error: expected '$', got 'f'\r\n");
    expect(closed).toBe(true);
  });

  it("gives Redis's unknown command and arity errors", async () => {
    const { data } = await rawExchange(srv.port, "FOO a b\r\nGET\r\n", (d) => d.split("\r\n").length > 2);
    expect(data).toBe(
      "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n-ERR wrong number of arguments for 'get' command\r\n",
    );
  });
});
