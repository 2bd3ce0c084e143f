/** SLOWLOG: what is logged, trimming, redaction, GET/LEN/RESET/HELP. */
import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";

let r: Redis;
useNodis({ "enable-debug-command": "yes" }, { r: true }, (f) => ({ r } = f));

type Entry = [number, number, number, string[], string, string];

describe("SLOWLOG", () => {
  it("logs only commands slower than slowlog-log-slower-than", async () => {
    await r.config("SET", "slowlog-log-slower-than", "100000");
    await r.call("slowlog", "reset");
    await r.ping();
    expect(await r.call("slowlog", "len")).toBe(0);
    await r.call("client", "setname", "foobar");
    await r.call("debug", "sleep", "0.2");
    expect(await r.call("slowlog", "len")).toBe(1);
    const [e] = (await r.call("slowlog", "get")) as Entry[];
    expect(e).toHaveLength(6);
    expect(e[2]).toBeGreaterThan(100000);
    expect(Math.abs(e[1] - Date.now() / 1000)).toBeLessThan(5);
    expect(e[3]).toEqual(["debug", "sleep", "0.2"]);
    expect(e[4]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(e[5]).toBe("foobar");
  });

  it("keeps slowlog-max-len entries, newest first, with rising ids", async () => {
    await r.config("SET", "slowlog-log-slower-than", "0");
    await r.config("SET", "slowlog-max-len", "10");
    for (let i = 0; i < 100; i++) await r.ping();
    expect(await r.call("slowlog", "len")).toBe(10);
    const all = (await r.call("slowlog", "get", "-1")) as Entry[];
    expect(all).toHaveLength(10);
    expect(all[0][0]).toBeGreaterThan(all[9][0]);
    expect((await r.call("slowlog", "get", "5")) as Entry[]).toHaveLength(5);
    expect((await r.call("slowlog", "get", "20")) as Entry[]).toHaveLength(10);
    expect((await r.call("slowlog", "get", "0")) as Entry[]).toHaveLength(0);
    await expect(r.call("slowlog", "get", "-2")).rejects.toThrow("ERR count should be greater than or equal to -1");
    await r.config("SET", "slowlog-max-len", "128");
  });

  it("trims many and long arguments as Redis does", async () => {
    await r.call("slowlog", "reset");
    const args = Array.from({ length: 33 }, (_, i) => String(i + 1));
    await r.call("del", ...args);
    await r.call("echo", "A".repeat(129));
    const [echo, del] = (await r.call("slowlog", "get", "2")) as Entry[];
    expect(del[3]).toEqual(["del", ...args.slice(0, 30), "... (3 more arguments)"]);
    expect(echo[3]).toEqual(["echo", "A".repeat(128) + "... (1 more bytes)"]);
  });

  it("redacts secrets and can be disabled", async () => {
    await r.call("slowlog", "reset");
    await r.config("SET", "masterauth", "secret");
    await r.config("SET", "slowlog-log-slower-than", "-1");
    const log = (await r.call("slowlog", "get")) as Entry[];
    // The command that disables the log is itself not logged (the setting is read after it ran).
    expect(log.map((e) => e[3])).toEqual([
      ["config", "SET", "masterauth", "(redacted)"],
      ["slowlog", "reset"],
    ]);
    await r.ping();
    expect(await r.call("slowlog", "len")).toBe(2);
  });

  it("answers HELP and subcommand errors", async () => {
    const help = (await r.call("slowlog", "help")) as string[];
    expect(help[0]).toBe("SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toHaveLength(12);
    await expect(r.call("slowlog", "bogus")).rejects.toThrow("ERR unknown subcommand 'bogus'. Try SLOWLOG HELP.");
    await expect(r.call("slowlog", "len", "x")).rejects.toThrow("ERR wrong number of arguments for 'slowlog|len' command");
    expect(await r.call("slowlog", "reset")).toBe("OK");
  });
});
