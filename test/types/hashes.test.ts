/**
 * Hashes: differential against redis-server (replies byte for byte in RESP2
 * and RESP3, seeded random sequences that cross the listpack/hashtable
 * thresholds, ending with DEBUG DIGEST, OBJECT ENCODING of every key and the
 * keyspace events compared), then the field TTLs of Redis 7.4/8, which no
 * binary here has: their answers are stated. Expiry is awaited by polling.
 *
 * NODIS_DIFF_SEED replays seeds, as in test/diff/random.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { Subscriber } from "../helpers/subscriber.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { useServerPair } from "../helpers/pair.js";

async function poll(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const text = (b: Buffer) => b.toString("latin1");

/** Replies whose order is a hash table's (HGETALL/HKEYS/HVALS/HRANDFIELD/HSCAN of a big hash): compared as sorted lines. */
function sortedLines(b: Buffer): string {
  return text(b).split("\r\n").sort().join("\n");
}

describe.skipIf(!haveRedisServer())("hashes against redis-server", () => {
  // NODIS_ORACLE_BIN: another redis-server binary (e.g. a Redis 7.2 built in /tmp) as the oracle.
  const pair = useServerPair();
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  let mine: RespConnection;
  let theirs: RespConnection;
  beforeAll(() => {
    ({ nodis, oracle, mine, theirs } = pair);
  });

  async function both(cmds: Arg[][]): Promise<[Buffer[], Buffer[]]> {
    return Promise.all([mine.send(cmds), theirs.send(cmds)]);
  }
  /** The same replies; those of HSCAN in order aside (`h` of SMALL becomes a table, whose order is a hash's). */
  async function same(cmds: Arg[][]): Promise<void> {
    const [a, b] = await both(cmds);
    cmds.forEach((argv, i) => {
      const what = argv.map(String).join(" ");
      if (String(argv[0]).toUpperCase() === "HSCAN") expect(sortedLines(a[i]), what).toBe(sortedLines(b[i]));
      else expect(show(a[i]), what).toBe(show(b[i]));
    });
  }
  async function reset(): Promise<void> {
    await both([["HELLO", "2"], ["FLUSHALL"], ["SELECT", "0"], ["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"]]);
  }

  const SMALL: Arg[][] = [
    ["HSET", "h", "a", "1", "b", "2", "c", "hello", "d", "-17", "e", "3.5"],
    ["HSET", "h", "a", "10"],
    ["HSET", "h"],
    ["HSET", "h", "a"],
    ["HMSET", "h", "x", "y", "z"],
    ["HMSET", "h", "x", "y"],
    ["HSETNX", "h", "a", "no"],
    ["HSETNX", "h", "new", "yes"],
    ["HGET", "h", "a"],
    ["HGET", "h", "nope"],
    ["HGET", "nokey", "a"],
    ["HMGET", "h", "a", "nope", "c"],
    ["HMGET", "nokey", "a", "b"],
    ["HLEN", "h"],
    ["HLEN", "nokey"],
    ["HSTRLEN", "h", "c"],
    ["HSTRLEN", "h", "d"],
    ["HSTRLEN", "h", "nope"],
    ["HEXISTS", "h", "a"],
    ["HEXISTS", "h", "nope"],
    ["HKEYS", "h"],
    ["HVALS", "h"],
    ["HGETALL", "h"],
    ["HGETALL", "nokey"],
    ["HKEYS", "nokey"],
    ["HINCRBY", "h", "a", "5"],
    ["HINCRBY", "h", "c", "1"],
    ["HINCRBY", "h", "a", "x"],
    ["HINCRBY", "h", "big", "9223372036854775807"],
    ["HINCRBY", "h", "big", "1"],
    ["HINCRBY", "h", "neg", "-9223372036854775808"],
    ["HINCRBY", "h", "neg", "-1"],
    ["HINCRBYFLOAT", "h", "e", "0.1"],
    ["HINCRBYFLOAT", "h", "f", "10.5"],
    ["HINCRBYFLOAT", "h", "f", "1e400"],
    ["HINCRBYFLOAT", "h", "f", "abc"],
    ["HINCRBYFLOAT", "h", "c", "1"],
    ["HINCRBYFLOAT", "h", "f", "inf"],
    ["HINCRBYFLOAT", "h", "g", "1.0e3"],
    ["HINCRBYFLOAT", "h", "g", "-1000"],
    ["HDEL", "h", "a", "nope", "b"],
    ["HDEL", "nokey", "a"],
    ["HRANDFIELD", "nokey"],
    ["HRANDFIELD", "nokey", "3"],
    ["HRANDFIELD", "h", "0"],
    ["HRANDFIELD", "h", "x"],
    ["HRANDFIELD", "h", "1", "withvalue"],
    ["HRANDFIELD", "h", "1", "withvalues", "x"],
    ["HRANDFIELD", "h", "-9223372036854775808"],
    ["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"],
    ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
    ["HSCAN", "h", "0"],
    ["HSCAN", "h", "0", "MATCH", "n*"],
    ["HSCAN", "h", "0", "COUNT", "0"],
    ["HSCAN", "h", "0", "COUNT", "x"],
    ["HSCAN", "h", "0", "MATCH"],
    ["HSCAN", "h", "0", "TYPE", "hash"],
    ["HSCAN", "h", "abc"],
    ["HSCAN", "nokey", "0", "COUNT", "0"],
    ["SET", "s", "v"],
    ["HSET", "s", "a", "1"],
    ["HGET", "s", "a"],
    ["HMGET", "s", "a"],
    ["HGETALL", "s"],
    ["HSCAN", "s", "x"],
    ["HSCAN", "s", "0"],
    ["HRANDFIELD", "s", "x"],
    ["HRANDFIELD", "s", "1"],
    ["HINCRBY", "s", "a", "x"],
    ["HINCRBYFLOAT", "s", "a", "x"],
    ["HSTRLEN", "s", "a"],
    ["HDEL", "s", "a"],
    ["OBJECT", "ENCODING", "h"],
    ["DEBUG", "DIGEST-VALUE", "h"],
    ["DEBUG", "DIGEST"],
  ];

  it("answers as Redis, byte for byte, in RESP2 and RESP3", async () => {
    for (const resp of ["2", "3"]) {
      await reset();
      await both([["HELLO", resp]]);
      await same(SMALL);
    }
    // A count beyond the size gives the whole hash: in storage order in 7.2 (7.0 shuffles).
    await both([["HELLO", "2"]]);
    const [[a], [b]] = await both([["HRANDFIELD", "h", "100", "WITHVALUES"]]);
    expect(sortedLines(a)).toBe(sortedLines(b));
    expect(text(a)).toBe(text(await mine.call("HGETALL", "h")));
  });

  it("converts at the thresholds, settable with CONFIG SET (and the ziplist names)", async () => {
    await reset();
    const cmds: Arg[][] = [["CONFIG", "SET", "hash-max-ziplist-entries", "4", "hash-max-ziplist-value", "8"]];
    for (let i = 0; i < 6; i++) cmds.push(["HSET", "grow", `f${i}`, "v"], ["OBJECT", "ENCODING", "grow"]);
    cmds.push(["HSET", "long", "f", "12345678"], ["OBJECT", "ENCODING", "long"], ["HSET", "long", "g", "123456789"], ["OBJECT", "ENCODING", "long"]);
    cmds.push(["HSET", "longf", "123456789", "v"], ["OBJECT", "ENCODING", "longf"]);
    cmds.push(["HSET", "inc", "f", "1"], ["HINCRBY", "inc", "f", "1000000000"], ["OBJECT", "ENCODING", "inc"]);
    cmds.push(["HSET", "incf", "f", "1"], ["HINCRBYFLOAT", "incf", "f", "0.25"], ["OBJECT", "ENCODING", "incf"]);
    cmds.push(["HSETNX", "nx", "f", "123456789"], ["OBJECT", "ENCODING", "nx"]);
    // Deleting does not convert back.
    cmds.push(["HDEL", "grow", "f0", "f1", "f2", "f3"], ["OBJECT", "ENCODING", "grow"], ["DEBUG", "DIGEST"]);
    await same(cmds);
    // 7.2 (not 7.0) converts when one command brings more pairs than the limit, repeated or not:
    // Redis 7.2.6 answers hashtable here.
    expect(text(await mine.call("HSET", "many", "a", "1", "a", "2", "a", "3", "a", "4", "a", "5"))).toBe(":1\r\n");
    expect(text(await mine.call("OBJECT", "ENCODING", "many"))).toBe("$9\r\nhashtable\r\n");
  });

  it("answers big hashes as Redis (order aside)", async () => {
    await reset();
    const fill: Arg[][] = [];
    for (let i = 0; i < 1000; i++) fill.push(["HSET", "big", `field:${i}`, i % 3 ? String(i) : `value-${i}`]);
    await same(fill);
    await same([["OBJECT", "ENCODING", "big"], ["HLEN", "big"], ["HGET", "big", "field:77"], ["HMGET", "big", "field:3", "nope"], ["DEBUG", "DIGEST"]]);
    for (const c of [["HGETALL", "big"], ["HKEYS", "big"], ["HVALS", "big"], ["HRANDFIELD", "big", "2000", "WITHVALUES"]]) {
      const [[a], [b]] = await both([c]);
      expect(sortedLines(a), c.join(" ")).toBe(sortedLines(b));
    }
    // A full HSCAN yields every field (at least once) with its value.
    const fields = new Map<string, string>();
    let cursor = "0";
    do {
      const r = text(await mine.call("HSCAN", "big", cursor, "COUNT", "50")).split("\r\n");
      cursor = r[2];
      const items = r.filter((_, i) => i >= 5 && i % 2 === 1);
      for (let i = 0; i < items.length; i += 2) fields.set(items[i], items[i + 1]);
    } while (cursor !== "0");
    expect(fields.size).toBe(1000);
    expect(fields.get("field:3")).toBe("value-3");
    // Unique random fields: as many as asked, all different.
    const r = text(await mine.call("HRANDFIELD", "big", "300")).split("\r\n").filter((l) => l.startsWith("field:"));
    expect(new Set(r).size).toBe(300);
    const rep = text(await mine.call("HRANDFIELD", "big", "-3000")).split("\r\n").filter((l) => l.startsWith("field:"));
    expect(rep.length).toBe(3000);
  });

  for (const seed of seedsFromEnv([7, 4242, 90210])) {
    it(`seed ${seed}: random sequences across the thresholds end with the same digest, encodings and events`, async () => {
      await reset();
      const rnd = new Prng(seed);
      // At least the pairs one HSET brings (up to 3): past them 7.2 converts at once and 7.0 does not.
      const limit = rnd.range(3, 12);
      await same([["CONFIG", "SET", "hash-max-listpack-entries", String(limit), "hash-max-listpack-value", String(rnd.range(4, 16))]]);
      const subs = await Promise.all([nodis.port, oracle.port].map((p) => Subscriber.open(p, "PSUBSCRIBE", "__key*@0__:*")));
      try {
        const keys = ["h1", "h2", "h3", "s1"];
        const field = () => (rnd.chance(0.2) ? String(rnd.range(-5, 40)) : `f${rnd.int(limit * 2 + 4)}`);
        const value = () =>
          rnd.weighted<() => string>([
            [4, () => String(rnd.range(-1000, 1000))],
            [3, () => "v".repeat(rnd.range(0, 6))],
            [1, () => "x".repeat(rnd.range(10, 30))],
            [1, () => String(rnd.range(0, 1 << 30))],
          ])();
        const ops: (() => Arg[])[] = [
          () => {
            const argv: Arg[] = ["HSET", rnd.pick(keys)];
            for (let n = rnd.range(1, 3); n > 0; n--) argv.push(field(), value());
            return argv;
          },
          () => ["HSETNX", rnd.pick(keys), field(), value()],
          () => ["HDEL", rnd.pick(keys), field(), field()],
          () => ["HINCRBY", rnd.pick(keys), field(), String(rnd.range(-100, 100))],
          () => ["HINCRBYFLOAT", rnd.pick(keys), field(), rnd.pick(["0.5", "-1.25", "3", "1e3"])],
          () => ["HGET", rnd.pick(keys), field()],
          () => ["HMGET", rnd.pick(keys), field(), field()],
          () => ["HLEN", rnd.pick(keys)],
          () => ["HSTRLEN", rnd.pick(keys), field()],
          () => ["HEXISTS", rnd.pick(keys), field()],
          () => ["OBJECT", "ENCODING", rnd.pick(keys)],
          () => ["DEL", rnd.pick(keys)],
          () => ["SET", "s1", value()],
          () => ["RENAME", rnd.pick(keys), rnd.pick(keys)],
          () => ["EXPIRE", rnd.pick(keys), "1000"],
          () => [rnd.pick(["HGETALL", "HKEYS", "HVALS"]), rnd.pick(keys)],
          () => ["HSCAN", rnd.pick(keys), "0", "COUNT", "1000"],
          () => ["HRANDFIELD", rnd.pick(keys), String(rnd.range(-20, 20))],
        ];
        // Whole-hash replies come in a table's order once converted: compared as sorted lines;
        // HRANDFIELD's picks differ by nature: compared by their count.
        const unordered = new Set(["HGETALL", "HKEYS", "HVALS", "HSCAN"]);
        const shape = (argv: Arg[], reply: Buffer): string => {
          const name = String(argv[0]);
          if (unordered.has(name)) return sortedLines(reply);
          if (name === "HRANDFIELD") return text(reply).split("\r\n")[0];
          return show(reply);
        };
        const cmds: Arg[][] = [];
        for (let i = 0; i < 1500; i++) cmds.push(rnd.pick(ops)());
        const [a, b] = await both(cmds);
        cmds.forEach((argv, i) => expect(shape(argv, a[i]), `#${i} ${argv.map(String).join(" ")}`).toBe(shape(argv, b[i])));
        // Whole hashes: the same fields and values (order aside), the same encodings and digest.
        const end: Arg[][] = keys.flatMap((k) => [["OBJECT", "ENCODING", k], ["HLEN", k], ["DEBUG", "DIGEST-VALUE", k]]);
        await same([...end, ["DEBUG", "DIGEST"]]);
        for (const k of keys) {
          const [[x], [y]] = await both([["HGETALL", k]]);
          expect(sortedLines(x), k).toBe(sortedLines(y));
        }
        await both([["PUBLISH", "__keyspace@0__:end", "x"]]);
        await Promise.all(subs.map((s) => s.until((m) => m.some((x) => x.includes("__keyspace@0__:end")))));
        const [got, want] = subs.map((s) => s.events().map((e) => e.join(" ")));
        expect(want.length).toBeGreaterThan(500);
        expect(got).toEqual(want);
      } finally {
        for (const s of subs) s.close();
      }
    });
  }
});

describe("hash field expiration (Redis 7.4 / 8 answers, stated)", () => {
  let srv: RunningServer;
  let c: RespConnection;
  let ops: string[][] = [];
  let stop: () => void = () => {};
  useNodis({ "enable-debug-command": "yes", "notify-keyspace-events": "KEA", hz: "100" }, { conn: true }, (f) => {
    srv = f.srv;
    c = f.conn;
    stop = srv.server.writePath.onPropagate((unit: PropagatedOp[]) => ops.push(unit.map((o) => o.argv.map((a) => a.toString()).join(" "))));
  });
  afterAll(() => stop());
  const call = async (...argv: Arg[]) => text(await c.call(...argv));
  const int = (n: number) => `:${n}\r\n`;
  const ints = (...n: number[]) => `*${n.length}\r\n` + n.map(int).join("");

  it("sets, reads and persists field TTLs with Redis 7.4's replies", async () => {
    await call("FLUSHALL");
    await call("HSET", "h", "a", "1", "b", "2", "c", "3");
    expect(await call("HEXPIRE", "h", "100", "FIELDS", "2", "a", "zz")).toBe(ints(1, -2));
    expect(await call("OBJECT", "ENCODING", "h")).toBe("$10\r\nlistpackex\r\n");
    expect(await call("HTTL", "h", "FIELDS", "3", "a", "b", "zz")).toBe(ints(100, -1, -2));
    const pttl = Number(text(await c.call("HPTTL", "h", "FIELDS", "1", "a")).split("\r\n")[1].slice(1));
    expect(pttl).toBeGreaterThan(90_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
    expect(await call("HEXPIREAT", "h", "4000000000", "FIELDS", "1", "b")).toBe(ints(1));
    expect(await call("HEXPIRETIME", "h", "FIELDS", "1", "b")).toBe(ints(4000000000));
    expect(await call("HPEXPIRETIME", "h", "FIELDS", "1", "b")).toBe(ints(4000000000000));
    expect(await call("HEXPIRE", "h", "50", "GT", "FIELDS", "2", "a", "c")).toBe(ints(0, 0));
    expect(await call("HEXPIRE", "h", "50", "LT", "FIELDS", "2", "a", "c")).toBe(ints(1, 1));
    expect(await call("HEXPIRE", "h", "60", "NX", "FIELDS", "1", "a")).toBe(ints(0));
    expect(await call("HEXPIRE", "h", "60", "XX", "FIELDS", "1", "a")).toBe(ints(1));
    expect(await call("HPERSIST", "h", "FIELDS", "3", "a", "b", "zz")).toBe(ints(1, 1, -2));
    expect(await call("HPERSIST", "h", "FIELDS", "1", "a")).toBe(ints(-1));
    // A time already past deletes the field: 2.
    expect(await call("HEXPIRE", "h", "0", "FIELDS", "1", "c")).toBe(ints(2));
    expect(await call("HGETALL", "h")).toBe("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    // Errors.
    expect(await call("HEXPIRE", "h", "10", "FIELDS", "2", "a")).toBe("-ERR The `numfields` parameter must match the number of arguments\r\n");
    expect(await call("HEXPIRE", "h", "10", "FIELDS", "0", "a")).toBe("-ERR Parameter `numFields` should be greater than 0\r\n");
    expect(await call("HEXPIRE", "h", "10", "XX", "NX", "FIELDS", "1", "a")).toBe("-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    expect(await call("HPEXPIRE", "h", "-1", "FIELDS", "1", "a")).toBe("-ERR invalid expire time, must be >= 0\r\n");
    expect(await call("HTTL", "h", "FIELDS", "-1", "a")).toBe("-ERR Number of fields must be a positive integer\r\n");
    expect(await call("HTTL", "nokey", "FIELDS", "2", "a", "b")).toBe(ints(-2, -2));
    await call("SET", "s", "x");
    expect(await call("HEXPIRE", "s", "10", "FIELDS", "1", "a")).toBe("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    expect(await call("HEXPIRE", "h", "10")).toBe("-ERR wrong number of arguments for 'hexpire' command\r\n");
  });

  it("a hash without field TTLs stays listpack; one that had them stays listpackex", async () => {
    await call("FLUSHALL");
    await call("HSET", "h", "a", "1");
    expect(await call("HTTL", "h", "FIELDS", "1", "a")).toBe(ints(-1));
    expect(await call("HPERSIST", "h", "FIELDS", "1", "a")).toBe(ints(-1));
    expect(await call("OBJECT", "ENCODING", "h")).toBe("$8\r\nlistpack\r\n");
    // HEXPIRE converts the hash even when no field gets a TTL (hashTypeSetExInit).
    expect(await call("HEXPIRE", "h", "10", "FIELDS", "1", "nope")).toBe(ints(-2));
    expect(await call("OBJECT", "ENCODING", "h")).toBe("$10\r\nlistpackex\r\n");
  });

  it("expires fields lazily when met (active expiry off)", async () => {
    await call("FLUSHALL");
    await call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      const sub = await Subscriber.open(srv.port, "PSUBSCRIBE", "__keyevent@0__:*");
      await call("HSET", "h", "a", "1", "b", "2");
      await call("HPEXPIRE", "h", "30", "FIELDS", "1", "a");
      // Until HGET sees it expire; HLEN meanwhile still counts it (as Redis: not yet deleted).
      await poll(async () => (await call("HGET", "h", "a")) === "$-1\r\n", "the field to expire");
      expect(await call("HLEN", "h")).toBe(int(1));
      await call("HPEXPIRE", "h", "30", "FIELDS", "1", "b");
      await poll(async () => (await call("HEXISTS", "h", "b")) === int(0), "the last field to expire");
      expect(await call("EXISTS", "h")).toBe(int(0));
      await call("PUBLISH", "__keyevent@0__:end", "x");
      await sub.until((m) => m.some((x) => x.includes(":end")));
      const events = sub.events().map((e) => e[0]);
      expect(events).toEqual(["__keyevent@0__:hset", "__keyevent@0__:hexpire", "__keyevent@0__:hexpired", "__keyevent@0__:hexpire", "__keyevent@0__:hexpired", "__keyevent@0__:del", "__keyevent@0__:end"]);
      sub.close();
    } finally {
      await call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  it("expires fields actively, deleting the key with its last field; HDELs propagate", async () => {
    await call("FLUSHALL");
    const sub = await Subscriber.open(srv.port, "PSUBSCRIBE", "__keyspace@0__:*");
    await call("HSET", "h", "a", "1", "b", "2", "c", "3");
    await call("HPEXPIRE", "h", "20", "FIELDS", "2", "a", "b");
    ops = [];
    // HLEN does not expire fields: only the cycle brings it to 1.
    await poll(async () => (await call("HLEN", "h")) === int(1), "the cycle to delete two fields");
    await call("HPEXPIRE", "h", "20", "FIELDS", "1", "c");
    await poll(async () => (await call("EXISTS", "h")) === int(0), "the cycle to delete the key");
    const dels = ops.filter((u) => u.length === 1 && u[0].startsWith("HDEL"));
    expect(dels.map((u) => u[0]).sort()).toEqual(["HDEL h a", "HDEL h b", "HDEL h c"]);
    await call("PUBLISH", "__keyspace@0__:end", "x");
    await sub.until((m) => m.some((x) => x.includes(":end")));
    const events = sub.events().map((e) => e[1]);
    expect(events).toEqual(["hset", "hexpire", "hexpired", "hexpire", "hexpired", "del", "x"]);
    sub.close();
  });

  it("propagates absolute times: HPEXPIREAT for the HEXPIRE family, PXAT for HSETEX", async () => {
    await call("FLUSHALL");
    await call("HSET", "h", "a", "1", "b", "2");
    ops = [];
    const before = Date.now();
    await call("HEXPIRE", "h", "100", "FIELDS", "3", "a", "zz", "b");
    const [op] = ops.flat();
    const m = /^HPEXPIREAT h (\d+) FIELDS 2 a b$/.exec(op);
    expect(m, op).not.toBeNull();
    expect(Number(m![1]) - before).toBeGreaterThanOrEqual(100_000 - 1000);
    expect(Number(m![1]) - before).toBeLessThanOrEqual(100_000 + 1000);
    ops = [];
    await call("HPEXPIREAT", "h", "1", "FIELDS", "1", "a");
    expect(ops).toEqual([["HDEL h a"]]);
    ops = [];
    await call("HSETEX", "h", "FNX", "EX", "50", "FIELDS", "1", "n", "v");
    expect(ops.flat()[0]).toMatch(/^HSETEX h FNX PXAT \d+ FIELDS 1 n v$/);
    ops = [];
    await call("HGETEX", "h", "PERSIST", "FIELDS", "1", "n");
    expect(ops).toEqual([["HPERSIST h FIELDS 1 n"]]);
    ops = [];
    await call("HGETDEL", "h", "FIELDS", "2", "n", "zz");
    expect(ops).toEqual([["HDEL h n zz"]]);
    ops = [];
    // The result as HSET; as HSETEX KEEPTTL (Redis 8) when the field has a TTL, which HSET would drop.
    await call("HINCRBYFLOAT", "h", "fresh", "0.5");
    expect(ops).toEqual([["HSET h fresh 0.5"]]);
    ops = [];
    await call("HINCRBYFLOAT", "h", "b", "0.5");
    expect(ops).toEqual([["HSETEX h KEEPTTL FIELDS 1 b 2.5"]]);
  });

  it("HGETDEL, HGETEX and HSETEX answer as Redis 8", async () => {
    await call("FLUSHALL");
    await call("HSET", "h", "a", "1", "b", "2");
    expect(await call("HGETDEL", "h", "FIELDS", "2", "a", "zz")).toBe("*2\r\n$1\r\n1\r\n$-1\r\n");
    expect(await call("HGETDEL", "h", "FIELDS", "1", "b")).toBe("*1\r\n$1\r\n2\r\n");
    expect(await call("EXISTS", "h")).toBe(int(0));
    expect(await call("HGETDEL", "h", "FIELDS", "1", "b")).toBe("*1\r\n$-1\r\n");
    expect(await call("HSETEX", "h", "PX", "100000", "FIELDS", "2", "a", "1", "b", "2")).toBe(int(1));
    expect(await call("HGETEX", "h", "FIELDS", "2", "a", "b")).toBe("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    expect(await call("HGETEX", "h", "EX", "20", "FIELDS", "1", "a")).toBe("*1\r\n$1\r\n1\r\n");
    expect(await call("HTTL", "h", "FIELDS", "2", "a", "b")).toBe(ints(20, 100));
    expect(await call("HSETEX", "h", "FXX", "KEEPTTL", "FIELDS", "2", "a", "x", "c", "y")).toBe(int(0));
    expect(await call("HSETEX", "h", "FXX", "KEEPTTL", "FIELDS", "1", "a", "x")).toBe(int(1));
    expect(await call("HTTL", "h", "FIELDS", "1", "a")).toBe(ints(20));
    expect(await call("HGETEX", "h", "PXAT", "1", "FIELDS", "1", "a")).toBe("*1\r\n$1\r\nx\r\n");
    expect(await call("HEXISTS", "h", "a")).toBe(int(0));
    expect(await call("HGETEX", "h", "EX", "10", "PERSIST", "FIELDS", "1", "a")).toBe("-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    expect(await call("HSETEX", "h", "EX", "10", "KEEPTTL", "FIELDS", "1", "a", "b")).toBe("-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n");
    expect(await call("HSETEX", "h", "EX", "x", "FIELDS", "1", "a", "b")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await call("HSETEX", "h", "FIELDS", "1", "a")).toBe("-ERR wrong number of arguments for 'hsetex' command\r\n");
  });

  it("keeps the digest of a hash whose fields have TTLs apart", async () => {
    await call("FLUSHALL");
    await call("HSET", "h", "a", "1");
    const plain = await call("DEBUG", "DIGEST-VALUE", "h");
    await call("HEXPIRE", "h", "100", "FIELDS", "1", "a");
    expect(await call("DEBUG", "DIGEST-VALUE", "h")).not.toBe(plain);
    await call("HPERSIST", "h", "FIELDS", "1", "a");
    expect(await call("DEBUG", "DIGEST-VALUE", "h")).toBe(plain);
  });
});
