/**
 * HyperLogLog against redis-server: replies and the HLL bytes themselves
 * (sparse and dense, promotion, hll-sparse-max-bytes), HLLs moved between the
 * two servers with GET/SET in both directions, corrupt values, PFDEBUG,
 * events, propagation of PFCOUNT's cache write, seeded sequences with DEBUG DIGEST.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { REDIS72, haveRedisServer, startRedis } from "../helpers/nodis.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import { RespConnection, type Arg } from "../diff/resp.js";
import { flushBoth, propagatedBy, sameDigest, sameEvents, sameReplies, usePair, type Pair } from "./bits-diff.js";

const SEEDS = seedsFromEnv([3, 99, 2026]);
/** Redis 7.2.6, built in /tmp (see the brief); the tests that need its exact behaviour skip without it. */
const range = (from: number, n: number, prefix = "e") => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

describe.skipIf(!haveRedisServer())("hyperloglog against redis-server", () => {
  const p = usePair();
  beforeEach(async () => {
    await flushBoth(p);
    for (const c of [p.nodis, p.redis]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
  });

  it("PFADD, PFCOUNT, PFMERGE replies and the bytes they leave", async () => {
    await sameReplies(p, [
      ["PFADD", "h"], ["PFADD", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["PFADD", "h", "a", "b", "c"], ["PFADD", "h", "a"], ["PFADD", "h", ""],
      ["GET", "h"], ["PFCOUNT", "h"], ["GET", "h"], ["PFADD", "h2", ...range(0, 200)], ["PFCOUNT", "h2"], ["GET", "h2"], ["PFCOUNT", "h", "h2", "nokey"],
      ["PFMERGE", "m", "h", "h2"], ["GET", "m"], ["PFCOUNT", "m"], ["PFMERGE", "empty"], ["GET", "empty"], ["PFMERGE", "empty2", "nokey"], ["GET", "empty2"],
      ["PFMERGE", "h", "h2"], ["GET", "h"], ["PFCOUNT", "nokey"], ["PFCOUNT", "nokey", "nokey2"], ["OBJECT", "ENCODING", "h"],
    ]);
  });

  it("HLL commands make the value raw, as Redis unshares it", async () => {
    await sameReplies(p, [["PFADD", "h"]]);
    const empty = await getBytes(p.redis, "h");
    const cmds: Arg[][] = [];
    for (const c of [["PFADD", "x"], ["PFADD", "x", "a"], ["PFCOUNT", "x"], ["PFCOUNT", "x", "h"], ["PFMERGE", "h", "x"], ["PFMERGE", "x", "h"], ["PFDEBUG", "ENCODING", "x"]]) {
      cmds.push(["SET", "x", empty], ["OBJECT", "ENCODING", "x"], c, ["OBJECT", "ENCODING", "x"]);
    }
    await sameReplies(p, cmds);
  });

  it("promotes sparse to dense byte for byte, at the configured size", async () => {
    for (const max of ["3000", "100", "0", "20000"]) {
      await flushBoth(p);
      const cmds: Arg[][] = [["CONFIG", "SET", "hll-sparse-max-bytes", max]];
      for (let i = 0; i < 30; i++) cmds.push(["PFADD", "h", ...range(i * 150, 150)], ["PFDEBUG", "ENCODING", "h"], ["STRLEN", "h"]);
      cmds.push(["GET", "h"], ["PFCOUNT", "h"], ["GET", "h"]);
      await sameReplies(p, cmds);
    }
  });

  it("PFDEBUG subcommands and their errors", async () => {
    await sameReplies(p, [
      ["PFADD", "h", "a", "b", "c", "d"], ["PFDEBUG", "DECODE", "h"], ["PFDEBUG", "ENCODING", "h"], ["PFDEBUG", "GETREG", "h"],
      ["PFDEBUG", "ENCODING", "h"], ["PFDEBUG", "DECODE", "h"], ["GET", "h"], ["PFADD", "s", "x"], ["PFDEBUG", "TODENSE", "s"], ["PFDEBUG", "TODENSE", "s"],
      ["GET", "s"], ["PFDEBUG", "NOPE", "s"], ["PFDEBUG", "GETREG", "nokey"], ["SET", "str", "abc"], ["PFDEBUG", "GETREG", "str"], ["PFSELFTEST"],
    ]);
  });

  it("refuses values that are not HLLs, and corrupt HLLs, with Redis's errors", async () => {
    const [sparse, dense] = await p.redis.send([["PFADD", "s", "a", "b", "c"], ["GET", "s"]]).then(async () => {
      await p.redis.send([["PFADD", "d", ...range(0, 3000)], ["PFDEBUG", "TODENSE", "d"]]);
      return [await getBytes(p.redis, "s"), await getBytes(p.redis, "d")];
    });
    const variants: Buffer[] = [
      Buffer.concat([sparse, Buffer.from("hello")]),
      Buffer.concat([Buffer.from("0123"), sparse.subarray(4)]),
      Buffer.concat([sparse.subarray(0, 4), Buffer.from("x"), sparse.subarray(5)]),
      Buffer.concat([sparse.subarray(0, 4), Buffer.from([0]), sparse.subarray(5)]),
      Buffer.concat([dense, Buffer.from("x")]),
      dense.subarray(0, dense.length - 1),
      sparse.subarray(0, 15),
      Buffer.concat([sparse.subarray(0, 16), Buffer.from([0x40, 0x00])]),
      Buffer.concat([sparse.subarray(0, 16), Buffer.from([0x7f, 0xff, 0x7f, 0xff])]),
    ];
    for (const v of variants) {
      await flushBoth(p);
      await sameReplies(p, [
        ["SET", "x", v], ["PFCOUNT", "x"], ["PFADD", "x", "zz"], ["PFCOUNT", "x", "x"], ["PFMERGE", "y", "x"], ["PFMERGE", "x", "x"],
        ["PFDEBUG", "GETREG", "x"], ["PFDEBUG", "DECODE", "x"], ["GET", "x"],
      ]);
    }
    // An XZERO cut by the end: PFADD splits it and Redis writes the opcode's last byte past the
    // string's end, where its DECODE later reads it; the replies and bytes match, that stray byte aside.
    for (const cut of [sparse.subarray(0, sparse.length - 1), Buffer.concat([sparse.subarray(0, 16), Buffer.from([0x7f])])]) {
      await flushBoth(p);
      await sameReplies(p, [["SET", "x", cut], ["PFCOUNT", "x"], ["PFADD", "x", "zz"], ["GET", "x"], ["PFMERGE", "y", "x"]]);
    }
    await flushBoth(p);
    await sameReplies(p, [["SET", "n", "123"], ["PFADD", "n", "a"], ["PFCOUNT", "n"], ["PFMERGE", "n", "n"], ["ZADD", "z", "1", "a"], ["PFADD", "z", "a"], ["PFCOUNT", "z"], ["PFMERGE", "d", "z"]]);
  });

  // Against Redis 7.2 itself (built in /tmp when available): 7.0 validates merged sparse HLLs differently.
  it("fuzzed HLL bytes: the same replies, errors and resulting bytes as Redis 7.2", async (ctx) => {
    if (!existsSync(REDIS72)) return ctx.skip();
    const r72 = await startRedis([], REDIS72);
    const redis = await RespConnection.connect(r72.port);
    const pair = { nodis: p.nodis, redis } as unknown as Pair;
    try {
      const r = new Prng(31337);
      await flushBoth(pair);
      await sameReplies(pair, [["PFADD", "base", ...range(0, 40)], ["PFADD", "dense", ...range(0, 5000)], ["PFDEBUG", "TODENSE", "dense"]]);
      const sparse = await getBytes(redis, "base");
      const dense = await getBytes(redis, "dense");
      let tried = 0;
      for (let i = 0; i < 400; i++) {
        let bytes = Buffer.from(r.chance(0.7) ? sparse : dense);
        for (let j = r.range(1, 4); j > 0; j--) bytes[r.range(5, bytes.length - 1)] = r.int(256);
        if (r.chance(0.2)) bytes = Buffer.concat([bytes, Buffer.from([r.int(256), r.int(256)].slice(0, r.range(1, 2)))]);
        if (r.chance(0.2)) bytes = bytes.subarray(0, bytes.length - r.range(1, 3));
        // An XZERO opcode cut by the end reads one byte past the string: Redis reads its terminator,
        // or a byte an earlier write left there; those values are left to the Rust fuzz test.
        if (bytes[4] === 1 && cutXZero(bytes)) continue;
        tried++;
        await sameReplies(pair, [
          ["DEL", "x", "z"], ["SET", "x", bytes], ["PFCOUNT", "x"], ["PFADD", "x", `a${i}`, `b${i}`], ["GET", "x"], ["PFCOUNT", "x", "base"],
          ["PFMERGE", "z", "x"], ["GET", "z"], ["PFDEBUG", "DECODE", "x"], ["PFCOUNT", "x"],
        ]);
      }
      expect(tried).toBeGreaterThan(300);
    } finally {
      redis.close();
      await r72.stop();
    }
  });

  it("moves HLLs between the servers with GET and SET, both ways", async () => {
    for (const n of [5, 400, 5000]) {
      await flushBoth(p);
      await sameReplies(p, [["PFADD", "h", ...range(0, n)]]);
      const mine = await getBytes(p.nodis, "h");
      const theirs = await getBytes(p.redis, "h");
      expect(mine.equals(theirs)).toBe(true);
      await p.nodis.call("SET", "from-redis", theirs);
      await p.redis.call("SET", "from-nodis", mine);
      await sameReplies(p, [["SET", "x", "y"]]);
      const [a] = await p.nodis.send([["PFCOUNT", "from-redis"]]);
      const [b] = await p.redis.send([["PFCOUNT", "from-nodis"]]);
      expect(a.toString()).toBe(b.toString());
      // Grown further on the other side, they still match.
      await p.nodis.call("PFADD", "from-redis", ...range(n, 300, "f"));
      await p.redis.call("PFADD", "from-nodis", ...range(n, 300, "f"));
      expect((await getBytes(p.nodis, "from-redis")).equals(await getBytes(p.redis, "from-nodis"))).toBe(true);
    }
  });

  it("keyspace events: pfadd on change, new, none for PFCOUNT's cache", async () => {
    const events = await sameEvents(p, [
      ["PFADD", "h", "a"], ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFADD", "g"], ["PFMERGE", "m", "h", "g"], ["PFMERGE", "m"],
      ["PFDEBUG", "TODENSE", "m"], ["PFCOUNT", "h", "g"],
    ]);
    expect(events.filter((e) => e.includes("__keyevent@0__:pfadd")).length).toBe(4);
  });

  it("PFCOUNT propagates when it writes the cached cardinality; PFDEBUG when it converts", async () => {
    expect(
      await propagatedBy(p, [["PFADD", "h", "a", "b"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFCOUNT", "h", "nokey"], ["PFADD", "h", "a"], ["PFDEBUG", "TODENSE", "h"], ["PFDEBUG", "TODENSE", "h"], ["PFDEBUG", "GETREG", "h"]]),
    ).toEqual(["PFADD h a b", "PFCOUNT h", "PFDEBUG TODENSE h"]);
  });

  for (const seed of SEEDS) {
    it(`seeded random sequence ${seed}: replies, bytes, digest`, async () => {
      const r = new Prng(seed);
      const keys = ["h0", "h1", "h2", "h3"];
      const cmds: Arg[][] = [["CONFIG", "SET", "hll-sparse-max-bytes", String(r.pick([3000, 500, 10000]))]];
      for (let i = 0; i < 300; i++) {
        const k = r.pick(keys);
        cmds.push(
          r.weighted<() => Arg[]>([
            [6, () => ["PFADD", k, ...range(r.int(20000), r.range(0, 60))]],
            [3, () => ["PFCOUNT", k, ...(r.chance(0.3) ? [r.pick(keys)] : [])]],
            [2, () => ["PFMERGE", k, r.pick(keys), ...(r.chance(0.5) ? [r.pick(keys)] : [])]],
            [1, () => ["PFDEBUG", r.pick(["ENCODING", "TODENSE", "DECODE"]), k]],
            [1, () => ["GET", k]],
            [1, () => ["DEL", k]],
          ])(),
        );
      }
      await sameEvents(p, cmds);
      await sameDigest(p);
      for (const k of keys) await sameReplies(p, [["GET", k]]);
    });
  }
});

/** Whether a sparse HLL's opcodes end with an XZERO missing its second byte. */
function cutXZero(b: Buffer): boolean {
  let p = 16;
  while (p < b.length) {
    const xzero = (b[p] & 0xc0) === 0x40;
    if (xzero && p + 1 >= b.length) return true;
    p += xzero ? 2 : 1;
  }
  return false;
}

async function getBytes(c: { call(...a: Arg[]): Promise<Buffer> }, key: string): Promise<Buffer> {
  const reply = await c.call("GET", key);
  const nl = reply.indexOf("\r\n");
  return reply.subarray(nl + 2, reply.length - 2);
}
