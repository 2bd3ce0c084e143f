/** DEBUG: gating, DIGEST/DIGEST-VALUE (differential against redis-server), OBJECT, POPULATE, SLEEP, PROTOCOL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { haveRedisServer, oracleBinary, useNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";
import { waitFor } from "../helpers/wait.js";

let srv: RunningServer;
let r: Redis;
useNodis({ "enable-debug-command": "yes" }, { r: true }, (f) => ({ srv, r } = f));

/** The same writes on both servers. */
async function load(c: Redis): Promise<void> {
  await c.flushall();
  await c.set("a", "1");
  await c.set("foo", "bar");
  await c.set("neg", "-99999999999");
  await c.set("big", "x".repeat(300));
  await c.set("bin", Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.set("ttl", "v", "EX", 1000);
  await c.append("grown", "abc");
  await c.append("grown", "def");
  await c.select(3);
  await c.set("other", "db3");
  await c.set("ttl3", "7", "PX", 500000);
  await c.select(0);
}

describe("DEBUG", () => {
  it("computes DIGEST and DIGEST-VALUE exactly as redis-server does", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    const o = new Redis({ port: redis.port, host: "127.0.0.1", enableReadyCheck: false });
    try {
      await load(r);
      await load(o);
      const ours = await r.call("debug", "digest");
      expect(ours).toMatch(/^[0-9a-f]{40}$/);
      expect(ours).not.toBe("0".repeat(40));
      expect(ours).toBe(await o.call("debug", "digest"));
      const keys = ["a", "foo", "neg", "big", "bin", "ttl", "grown", "missing"];
      expect(await r.call("debug", "digest-value", ...keys)).toEqual(await o.call("debug", "digest-value", ...keys));
      // An expire changes the digest; removing it restores the earlier one.
      await r.persist("ttl");
      await o.persist("ttl");
      expect(await r.call("debug", "digest")).toBe(await o.call("debug", "digest"));
      expect(await r.call("debug", "digest")).not.toBe(ours);
      await r.call("debug", "populate", "50", "p", "10");
      await o.call("debug", "populate", "50", "p", "10");
      expect(await r.call("debug", "digest")).toBe(await o.call("debug", "digest"));
      await r.flushall();
      await o.flushall();
      expect(await r.call("debug", "digest")).toBe("0".repeat(40));
      expect(await o.call("debug", "digest")).toBe("0".repeat(40));
    } finally {
      o.disconnect();
      await redis.stop();
    }
  });

  it("is refused unless enable-debug-command allows it", async () => {
    srv.server.config.set("enable-debug-command", ["no"]);
    try {
      await expect(r.call("debug", "digest")).rejects.toThrow(
        'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
      );
    } finally {
      srv.server.config.set("enable-debug-command", ["yes"]);
    }
    expect(await r.call("debug", "digest")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("describes a value: OBJECT", async () => {
    await r.set("n", "12");
    await r.set("s", "hello");
    await r.set("l", "y".repeat(50));
    const n = (await r.call("debug", "object", "n")) as string;
    expect(n).toMatch(/^Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:2 lru:\d+ lru_seconds_idle:\d+$/);
    expect(await r.call("debug", "object", "s")).toMatch(/ encoding:embstr serializedlength:6 /);
    expect(await r.call("debug", "object", "l")).toMatch(/ encoding:raw /);
    await expect(r.call("debug", "object", "nokey")).rejects.toThrow("ERR no such key");
  });

  it("creates keys: POPULATE", async () => {
    await r.flushall();
    await r.set("key:1", "mine");
    expect(await r.call("debug", "populate", "3")).toBe("OK");
    expect(await r.dbsize()).toBe(3);
    expect(await r.get("key:0")).toBe("value:0");
    expect(await r.get("key:1")).toBe("mine");
    await r.call("debug", "populate", "2", "pfx", "10");
    expect(await r.getBuffer("pfx:1")).toEqual(Buffer.concat([Buffer.from("value:1"), Buffer.alloc(3)]));
    await r.call("debug", "populate", "1", "short", "3");
    expect(await r.get("short:0")).toBe("val");
    await expect(r.call("debug", "populate", "-1")).rejects.toThrow("ERR value is out of range, must be positive");
  });

  it("describes the keyspace tables: HTSTATS", async () => {
    await r.flushall();
    expect(await r.call("debug", "htstats", "0")).toBe(
      "[Dictionary HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n" +
        "[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n",
    );
    await r.call("debug", "populate", "100");
    await r.expire("key:1", 100);
    // A growth may still be under way: the second table is shown then, until the cron's rehashing ends it.
    const growing = (await r.call("debug", "htstats", "0")) as string;
    if (growing.includes("rehashing target")) {
      expect(growing).toMatch(/^\[Dictionary HT\]\nHash table 0 stats \(main hash table\):\n[^[]*Hash table 1 stats \(rehashing target\):\n/);
    }
    await waitFor(async () => !((await r.call("debug", "htstats", "0")) as string).includes("rehashing target"));
    const text = (await r.call("debug", "htstats", "0")) as string;
    expect(text).toMatch(/^\[Dictionary HT\]\nHash table 0 stats \(main hash table\):\n table size: \d+\n number of elements: 100\n\[Expires HT\]\n/);
    expect(text).toContain(" number of elements: 1\n");
    const full = (await r.call("debug", "htstats", "0", "full")) as string;
    const slots = Number(/different slots: (\d+)/.exec(full)![1]);
    const dist = [...full.matchAll(/^ {3}(\d+): (\d+) \(/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    // the chain-length distribution accounts for every element and every used slot
    expect(dist.filter(([len]) => len > 0).reduce((a, [len, n]) => a + len * n, 0)).toBe(101);
    expect(dist.filter(([len]) => len > 0).reduce((a, [, n]) => a + n, 0)).toBe(slots + 1);
    await expect(r.call("debug", "htstats", "99")).rejects.toThrow("ERR Out of range database");
  });

  describe("HTSTATS-KEY", () => {
    /** The same writes on Nodis and, when there is one, a redis-server. */
    async function both(o: Redis | null, f: (c: Redis) => Promise<unknown>): Promise<void> {
      await f(r);
      if (o) await f(o);
    }
    /** The reply or the error text. */
    async function answer(c: Redis, args: string[]): Promise<unknown> {
      try {
        return await c.call(args[0], ...args.slice(1));
      } catch (e) {
        return `error: ${(e as Error).message}`;
      }
    }
    let oracle: Awaited<ReturnType<typeof startRedis>> | null = null;
    let o: Redis | null = null;
    // Redis 7.0 always prints the full statistics (7.2 added FULL): the texts are compared with a 7.2 only, errors with either.
    let is72 = false;
    beforeAll(async () => {
      const bin = oracleBinary();
      if (bin) {
        oracle = await startRedis([], bin.bin);
        o = new Redis({ port: oracle.port, host: "127.0.0.1", enableReadyCheck: false });
        is72 = bin.is72;
      }
    });
    afterAll(async () => {
      o?.disconnect();
      await oracle?.stop();
    });

    it("describes a set's, a hash's and a sorted set's table as redis-server does", async (ctx) => {
      await both(o, async (c) => {
        await c.flushall();
        // 1000 entries: the growth to 1024 buckets has long finished on both servers.
        const members = Array.from({ length: 1000 }, (_, i) => `m:${i}`);
        await c.sadd("s", ...members);
        await c.hset("h", ...members.flatMap((m) => [m, "v"]));
        await c.zadd("z", ...members.flatMap((m, i) => [i, m]));
        await c.sadd("small", "1", "2"); // an intset (7.0 kept small sets of strings in a table)
        await c.set("str", "x");
      });
      for (const key of ["s", "h", "z"]) {
        expect(await r.call("debug", "htstats-key", key)).toBe("Hash table 0 stats (main hash table):\n table size: 1024\n number of elements: 1000\n");
      }
      const notTable = "error: ERR The value stored at the specified key is not represented using an hash table";
      expect(await answer(r, ["debug", "htstats-key", "small"])).toBe(notTable);
      expect(await answer(r, ["debug", "htstats-key", "str"])).toBe(notTable);
      expect(await answer(r, ["debug", "htstats-key", "missing"])).toBe("error: ERR no such key");
      if (!o) return ctx.skip();
      const errors = [["small"], ["str"], ["missing"], []];
      for (const args of is72 ? [["s"], ["h"], ["z"], ["s", "notfull"], ...errors] : errors) {
        const c = ["debug", "htstats-key", ...args];
        expect([c, await answer(r, c)]).toEqual([c, await answer(o, c)]);
      }
    });

    it("shows both tables while a set shrinks; random reads finish the resize, as in Redis", async () => {
      await both(o, async (c) => {
        await c.del("s");
        await c.sadd("s", ...Array.from({ length: 1000 }, (_, i) => `m:${i}`));
        // Under 10% full, the last removal starts a shrink to 128 buckets (Redis's htNeedsResize).
        await c.srem("s", ...Array.from({ length: 898 }, (_, i) => `m:${i}`));
      });
      const started =
        "Hash table 0 stats (main hash table):\n table size: 1024\n number of elements: 102\n" +
        "Hash table 1 stats (rehashing target):\nNo stats available for empty dictionaries\n";
      expect(await r.call("debug", "htstats-key", "s")).toBe(started);
      if (o && is72) expect(await o.call("debug", "htstats-key", "s")).toBe(started);
      // One draw moves 20 buckets' worth (dictGetFairRandomKey's steps): both tables hold some of the set then.
      await r.srandmember("s");
      const during = (await r.call("debug", "htstats-key", "s", "full")) as string;
      expect(during).toMatch(/^Hash table 0 stats \(main hash table\):\n table size: 1024\n number of elements: \d+\n different slots/);
      expect(during).toContain("Hash table 1 stats (rehashing target):\n table size: 128\n");
      // Both tables' counts and chain-length distributions account for the whole set.
      const counts = [...during.matchAll(/number of elements: (\d+)/g)].map((m) => Number(m[1]));
      expect(counts.length).toBe(2);
      expect(counts[0] + counts[1]).toBe(102);
      const chains = [...during.matchAll(/^ {3}(\d+): (\d+) \(/gm)].reduce((a, m) => a + Number(m[1]) * Number(m[2]), 0);
      expect(chains).toBe(102);
      let draws = 0;
      while (((await r.call("debug", "htstats-key", "s")) as string).includes("rehashing target") && draws < 200) {
        await r.srandmember("s", 1);
        draws++;
      }
      expect(await r.call("debug", "htstats-key", "s")).toBe("Hash table 0 stats (main hash table):\n table size: 128\n number of elements: 102\n");
      expect((await r.smembers("s")).length).toBe(102);
    });
  });

  it("blocks the server: SLEEP", async () => {
    const t0 = Date.now();
    expect(await r.call("debug", "sleep", "0.1")).toBe("OK");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(await r.call("debug", "sleep", "0")).toBe("OK");
  });

  it("switches active expiry: SET-ACTIVE-EXPIRE", async () => {
    await r.call("debug", "set-active-expire", "0");
    expect(srv.server.activeExpire).toBe(false);
    await r.call("debug", "set-active-expire", "1");
    expect(srv.server.activeExpire).toBe(true);
  });

  it("replies each type: PROTOCOL in RESP2 and RESP3", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("DEBUG", "PROTOCOL", "bignum")).toBe("$37\r\n1234567999999999999999999999999999999\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "map")).toBe("*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "push")).toBe("-ERR RESP2 is not supported by this command\r\n");
    await c.call("HELLO", "3");
    expect(await c.call("DEBUG", "PROTOCOL", "bignum")).toBe("(1234567999999999999999999999999999999\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "double")).toBe(",3.141\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "true")).toBe("#t\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "null")).toBe("_\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "verbatim")).toBe("=29\r\ntxt:This is a verbatim\nstring\r\n");
    expect(await c.call("DEBUG", "PROTOCOL", "attrib")).toBe(
      "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
    );
    expect(await c.call("DEBUG", "PROTOCOL", "push")).toBe(">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
    expect(await c.reply()).toBe("$40\r\nSome real reply following the push reply\r\n");
    c.close();
  });

  it("changes the replication id: CHANGE-REPL-ID", async () => {
    const id = (s: string) => /master_replid:(\w+)/.exec(s)![1];
    const before = id(await r.info("replication"));
    expect(await r.call("debug", "change-repl-id")).toBe("OK");
    expect(id(await r.info("replication"))).not.toBe(before);
  });

  it("answers HELP, LOG and unknown subcommands as Redis", async () => {
    const help = (await r.call("debug", "help")) as string[];
    expect(help[0]).toBe("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toContain("DIGEST-VALUE <key> [<key> ...]");
    expect(await r.call("debug", "log", "hello")).toBe("OK");
    await expect(r.call("debug", "bogus")).rejects.toThrow(
      "ERR unknown subcommand or wrong number of arguments for 'bogus'. Try DEBUG HELP.",
    );
    await expect(r.call("debug")).rejects.toThrow("ERR wrong number of arguments for 'debug' command");
  });
});
