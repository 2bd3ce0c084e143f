/**
 * The sorted set type against redis-server: errors and replies byte for byte
 * (RESP2 and RESP3), seeded random sequences that cross the listpack /
 * skiplist thresholds ending with DEBUG DIGEST, each key's encoding and the
 * keyspace events; Redis 7.2's own answers where 7.0 differs; what the
 * random and blocking commands guarantee, with their propagation.
 *
 * The oracle is Debian's redis-server 7.0. It prints doubles with "%.17g"
 * where 7.2 prints the shortest round-trip form, and has no ZRANK ...
 * WITHSCORE: the differential parts use scores both print alike (integers,
 * halves, quarters, inf), and the 7.2 answers are stated in their own tests
 * (checked against a 7.2.6 server; NODIS_ORACLE_BIN=path/to/7.2/redis-server
 * compares them with it too). NODIS_DIFF_SEED replays seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { Subscriber } from "../helpers/subscriber.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import type { RunningServer } from "../../src/index.js";
import { useRecordedNodis } from "../helpers/recorded.js";
import { arrayElements } from "../diff/compare.js";

const ORACLE_BIN = process.env.NODIS_ORACLE_BIN ?? "redis-server";
const SEEDS = seedsFromEnv([11, 2024, 65537]);
const STEPS = Number(process.env.NODIS_DIFF_COUNT ?? 400);

/** The elements of an array reply, each as its bytes; null for other replies. */
/** A reply as short text: payloads of bulks and simple strings, ":n", "*n a b ..." for flat arrays. */
function text(b: Buffer): string {
  const els = arrayElements(b);
  if (els) return [`*${els.length}`, ...els.map(text)].join(" ");
  const s = b.toString("latin1");
  if (s[0] === "$" && s[1] !== "-") return s.slice(s.indexOf("\r\n") + 2, -2);
  if (s[0] === "+" || s[0] === "-") return s.slice(1, -2);
  return s.slice(0, -2);
}

/** A ZSCAN reply with its member/score pairs sorted (a skiplist's pairs come in hash order). */
function scanAsSet(b: Buffer): string {
  const els = arrayElements(b);
  if (!els || els.length !== 2) return show(b);
  const pairs = arrayElements(els[1]) ?? [];
  const joined: string[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) joined.push(`${text(pairs[i])}=${text(pairs[i + 1])}`);
  return `${text(els[0])} ${joined.sort().join(" ")}`;
}

/** Commands and edge cases whose replies both servers give alike (scores that print the same in 7.0 and 7.2). */
const EDGE_CASES: Arg[][] = [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d", "-inf", "e", "+inf", "f"],
  ["ZADD", "z", "nx", "xx", "1", "a"], ["ZADD", "z", "gt", "lt", "1", "a"], ["ZADD", "z", "nx", "gt", "1", "a"],
  ["ZADD", "z", "incr", "1", "a", "2", "b"], ["ZADD", "z", "1"], ["ZADD", "z", "abc", "a"], ["ZADD", "z", "nan", "a"],
  ["ZADD", "z", "1e400", "a"], ["ZADD", "z", " 1", "a"], ["ZADD", "z", "0x10", "hex"], ["ZADD", "z", ""],
  ["ZADD", "z", "incr", "0.5", "a"], ["ZADD", "z", "ch", "5", "a", "5", "b", "9", "newone"], ["ZADD", "z", "xx", "ch", "7", "a", "7", "nope"],
  ["ZADD", "z", "gt", "ch", "1", "a", "10", "b"], ["ZADD", "z", "lt", "ch", "1", "a", "10", "c"], ["ZADD", "z", "incr", "nx", "1", "a"],
  ["ZADD", "z", "incr", "xx", "1", "zz"], ["ZADD", "nokey", "xx", "1", "a"], ["ZADD", "nokey", "xx", "incr", "1", "a"], ["EXISTS", "nokey"],
  ["ZINCRBY", "z", "2.5", "a"], ["ZINCRBY", "z", "abc", "a"], ["ZINCRBY", "z", "nx", "a"], ["ZINCRBY", "z", "inf", "e"], ["ZINCRBY", "z", "-inf", "f"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANGE", "z", "0", "-1", "withscores", "rev"], ["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"],
  ["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "WITHSCORES"], ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"], ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"],
  ["ZRANGE", "z", "0", "1", "LIMIT", "1", "1"], ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], ["ZRANGE", "z", "-", "+", "BYLEX"],
  ["ZRANGE", "z", "[a", "(c", "BYLEX"], ["ZRANGE", "z", "x", "y", "BYSCORE"], ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
  ["ZRANGE", "z", "0", "-1", "REV", "REV"], ["ZRANGE", "z", "1", "2", "FOO"], ["ZRANGE", "z", "a", "2"], ["ZRANGE", "z", "0", "-1", "LIMIT", "1"],
  ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "2"], ["ZRANGEBYSCORE", "z", "(1.5", "+inf"], ["ZRANGEBYSCORE", "z", " 1", "5"],
  ["ZRANGEBYSCORE", "z", "", "5"], ["ZRANGEBYSCORE", "z", "0x1", "5"], ["ZRANGEBYSCORE", "z", "(", "5"], ["ZRANGEBYSCORE", "z", "nan", "5"],
  ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"], ["ZREVRANGEBYSCORE", "z", "3", "1"], ["ZREVRANGEBYSCORE", "z", "1", "3"],
  ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"], ["ZREVRANGE", "z", "-2", "-1"], ["ZREVRANGE", "z", "0", "-1", "BYSCORE"],
  ["ZRANGEBYLEX", "z", "-", "+"], ["ZREVRANGEBYLEX", "z", "+", "-"], ["ZRANGEBYLEX", "z", "a", "b"], ["ZRANGEBYLEX", "z", "[a", "[d", "LIMIT", "0", "1"],
  ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], ["ZCARD", "z"], ["ZCARD", "nokey"], ["ZSCORE", "z", "a"], ["ZSCORE", "z", "nope"],
  ["ZSCORE", "nokey", "a"], ["ZMSCORE", "z", "a", "nope", "b"], ["ZMSCORE", "nokey", "a"], ["ZRANK", "z", "a"], ["ZRANK", "z", "nope"],
  ["ZREVRANK", "z", "a"], ["ZREVRANK", "nokey", "a"], ["ZCOUNT", "z", "-inf", "+inf"], ["ZCOUNT", "z", "(1", "3"], ["ZCOUNT", "z", "x", "3"],
  ["ZLEXCOUNT", "z", "-", "+"], ["ZLEXCOUNT", "z", "[a", "[c"], ["ZLEXCOUNT", "z", "a", "c"], ["ZLEXCOUNT", "z", "+", "-"],
  ["SET", "str", "x"], ["ZADD", "str", "1", "a"], ["ZRANGE", "str", "0", "-1"], ["ZUNION", "2", "z", "str"], ["ZSCORE", "str", "a"],
  ["ZREM", "z", "a", "nope"], ["ZREM", "nokey", "a"], ["ZREM", "str", "a"],
  ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "2"], ["ZPOPMIN", "z", "0"], ["ZPOPMIN", "z", "-1"], ["ZPOPMIN", "z", "1", "2"], ["ZPOPMIN", "nokey"],
  ["ZPOPMIN", "nokey", "3"], ["ZPOPMIN", "str"], ["ZMPOP", "1", "z", "MIN"], ["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2"], ["ZMPOP", "0", "z", "MIN"],
  ["ZMPOP", "1", "z", "FOO"], ["ZMPOP", "1", "z", "MIN", "COUNT", "0"], ["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
  ["ZMPOP", "2", "nokey", "nokey2", "MIN"], ["ZMPOP", "x", "z", "MIN"], ["ZMPOP", "5", "z", "MIN"],
  ["ZADD", "z2", "1", "a", "2", "b", "3", "c"], ["ZADD", "z3", "10", "b", "20", "c", "30", "d"], ["SADD", "set", "a", "d", "x"],
  ["ZUNION", "2", "z2", "z3", "WITHSCORES"], ["ZUNION", "2", "z2", "z3", "WEIGHTS", "2", "3", "WITHSCORES"],
  ["ZUNION", "2", "z2", "z3", "AGGREGATE", "MIN", "WITHSCORES"], ["ZUNION", "2", "z2", "z3", "AGGREGATE", "MAX", "WITHSCORES"],
  ["ZINTER", "2", "z2", "z3", "WITHSCORES"], ["ZINTER", "2", "z2", "z3", "WEIGHTS", "1", "-1", "AGGREGATE", "SUM", "WITHSCORES"],
  ["ZDIFF", "2", "z2", "z3", "WITHSCORES"], ["ZDIFF", "2", "z3", "z2"], ["ZDIFF", "2", "z2", "z2"], ["ZINTERCARD", "2", "z2", "z3"],
  ["ZINTERCARD", "2", "z2", "z3", "LIMIT", "1"], ["ZINTERCARD", "2", "z2", "z3", "LIMIT", "-1"], ["ZINTERCARD", "0", "z2"], ["ZUNION", "0", "z2"],
  ["ZUNION", "3", "z2", "z3"], ["ZUNION", "2", "z2", "z3", "WEIGHTS", "1"], ["ZUNION", "2", "z2", "z3", "WEIGHTS", "1", "x"],
  ["ZUNION", "2", "z2", "z3", "AGGREGATE", "foo"], ["ZDIFF", "2", "z2", "z3", "WEIGHTS", "1", "1"], ["ZUNION", "3", "z2", "set", "z3", "WITHSCORES"],
  ["ZINTER", "2", "set", "z3", "WITHSCORES"], ["ZDIFF", "2", "set", "z2"], ["ZUNIONSTORE", "dst", "2", "z2", "z3"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
  ["OBJECT", "ENCODING", "dst"], ["ZINTERSTORE", "dst", "2", "z2", "z3", "WEIGHTS", "1", "2"], ["ZDIFFSTORE", "dst", "2", "z2", "z3"],
  ["ZDIFFSTORE", "dst", "2", "z2", "z2"], ["EXISTS", "dst"], ["ZUNIONSTORE", "dst", "2", "z2", "z3", "WITHSCORES"], ["ZINTERCARD", "1", "z2", "WITHSCORES"],
  ["ZRANGESTORE", "dst", "z2", "0", "-1"], ["ZRANGESTORE", "dst", "z2", "0", "-1", "WITHSCORES"], ["ZRANGESTORE", "dst", "z2", "(1", "+inf", "BYSCORE"],
  ["ZRANGESTORE", "dst", "nokey", "0", "-1"], ["EXISTS", "dst"], ["ZRANGESTORE", "dst", "str", "0", "-1"],
  ["ZREMRANGEBYRANK", "z3", "0", "0"], ["ZREMRANGEBYSCORE", "z3", "(10", "25"], ["ZREMRANGEBYLEX", "z2", "-", "[a"], ["ZREMRANGEBYRANK", "z3", "x", "1"],
  ["ZREMRANGEBYSCORE", "z3", "x", "1"], ["ZREMRANGEBYLEX", "z3", "x", "1"], ["ZREMRANGEBYRANK", "nokey", "0", "-1"], ["ZREMRANGEBYRANK", "z3", "5", "1"],
  ["ZRANDMEMBER", "nokey"], ["ZRANDMEMBER", "nokey", "5"], ["ZRANDMEMBER", "z2", "0"], ["ZRANDMEMBER", "z2", "-9223372036854775808"],
  ["ZRANDMEMBER", "z2", "-9223372036854770000", "WITHSCORES"], ["ZRANDMEMBER", "z2", "1", "2"], ["ZRANDMEMBER", "z2", "100", "WITHSCORES"],
  ["ZRANDMEMBER", "z2", "x"], ["ZSCAN", "nokey", "0"], ["ZSCAN", "z2", "x"], ["ZSCAN", "z2", "0", "COUNT", "0"], ["ZSCAN", "z2", "0", "MATCH", "*", "COUNT", "100"],
  ["ZSCAN", "z2", "0", "MATCH", "b*"], ["ZSCAN", "z2", "0", "FOO", "1"], ["ZSCAN", "str", "0"],
  ["ZADD", "z4", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"], ["ZRANGEBYLEX", "z4", "(a", "[c"], ["ZREVRANGEBYLEX", "z4", "[c", "(a"],
  ["ZRANGEBYLEX", "z4", "-", "+", "LIMIT", "1", "2"], ["ZREMRANGEBYLEX", "z4", "(a", "[c"], ["ZRANGE", "z4", "0", "-1"], ["DEBUG", "DIGEST-VALUE", "z4", "z2"],
  ["ZADD", "z5", "1", "a", "2", "b", "3", "c", "4", "d"],
  ["BZPOPMIN", "nokey", "z5", "0"], ["BZPOPMAX", "z5", "0.5"], ["BZPOPMIN", "z5", "abc"], ["BZPOPMIN", "z5", "-1"], ["BZPOPMIN", "str", "0"],
  ["BZMPOP", "0", "1", "z5", "MIN"], ["BZMPOP", "x", "1", "z5", "MIN"], ["BZMPOP", "0", "0", "z5", "MIN"], ["BZMPOP", "0", "1", "z5", "MAX", "COUNT", "5"],
  ["EXISTS", "z5"], ["DEBUG", "DIGEST"],
];

describe.skipIf(!haveRedisServer())("sorted sets against redis-server", () => {
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  let mine: RespConnection;
  let theirs: RespConnection;
  /** Whether the oracle is a 7.2 (then the stated 7.2 answers are checked against it too). */
  let is72 = false;

  beforeAll(async () => {
    oracle = await startRedis(["--notify-keyspace-events", "KEA"], ORACLE_BIN);
    nodis = await startNodis({ "enable-debug-command": "yes", "notify-keyspace-events": "KEA" });
    mine = await RespConnection.connect(nodis.port);
    theirs = await RespConnection.connect(oracle.port);
    is72 = (await theirs.call("INFO", "server")).toString().includes("redis_version:7.2.");
  });
  afterAll(async () => {
    mine?.close();
    theirs?.close();
    await nodis?.close();
    await oracle?.stop();
  });

  async function reset(): Promise<void> {
    for (const k of [mine, theirs]) {
      await k.call("HELLO", "2");
      await k.call("FLUSHALL");
      await k.call("SELECT", "0");
      await k.call("CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64");
    }
  }

  /** Runs `cmds` on both; replies equal byte for byte (ZSCAN of a skiplist: the same pairs). */
  async function same(cmds: Arg[][], hello?: Arg[]): Promise<void> {
    if (hello) await Promise.all([mine.call(...hello), theirs.call(...hello)]);
    const [a, b] = await Promise.all([mine.send(cmds), theirs.send(cmds)]);
    if (hello) await Promise.all([mine.call("HELLO", "2"), theirs.call("HELLO", "2")]);
    cmds.forEach((argv, i) => {
      const what = `#${i} ${argv.map(String).join(" ")}`;
      if (String(argv[0]).toLowerCase() === "zscan") expect(scanAsSet(a[i]), what).toBe(scanAsSet(b[i]));
      else expect(show(a[i]), what).toBe(show(b[i]));
    });
  }

  for (const encoding of ["listpack", "skiplist"]) {
    for (const resp of [2, 3]) {
      it(`errors, options and edge replies byte for byte (${encoding}, RESP${resp})`, async () => {
        await reset();
        if (encoding === "skiplist") for (const c of [mine, theirs]) await c.call("CONFIG", "SET", "zset-max-ziplist-entries", "0");
        await same(EDGE_CASES, resp === 3 ? ["HELLO", "3"] : undefined);
        expect(text(await mine.call("OBJECT", "ENCODING", "z2"))).toBe(encoding);
      });
    }
  }

  it("encodings: the thresholds, their CONFIG SET (ziplist aliases too) and the STORE results", async () => {
    await reset();
    const long = "x".repeat(65);
    const members = (n: number) => Array.from({ length: n }, (_, i) => [String(i), `m${i}`]).flat();
    const cmds: Arg[][] = [
      ["ZADD", "a", ...members(128)], ["ZADD", "b", ...members(129)], ["ZADD", "c", "1", "y".repeat(64)], ["ZADD", "d", "1", long],
      ["ZADD", "e", ...members(128)], ["ZADD", "e", "1", "one-more"], ["ZADD", "f", "1", "x"], ["ZADD", "f", "2", long], ["ZREM", "f", long],
      ["ZUNIONSTORE", "u1", "1", "a"], ["ZUNIONSTORE", "u2", "1", "b"], ["ZINTERSTORE", "u3", "2", "b", "a"], ["ZDIFFSTORE", "u4", "2", "b", "a"],
      ["ZRANGESTORE", "r1", "b", "0", "127"], ["ZRANGESTORE", "r2", "b", "0", "-1"], ["ZRANGESTORE", "r3", "d", "0", "-1"],
      ["ZRANGESTORE", "r4", "b", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "10"], ["ZUNIONSTORE", "u5", "2", "c", "d"],
      ["CONFIG", "SET", "zset-max-ziplist-entries", "3"], ["CONFIG", "SET", "zset-max-ziplist-value", "4"], ["ZADD", "g", "1", "a", "2", "b", "3", "c"],
      ["ZADD", "h", "1", "a", "2", "b", "3", "c", "4", "d"], ["ZADD", "i", "1", "abcde"], ["ZADD", "j", "1", "abcd"], ["ZUNIONSTORE", "u6", "1", "a"],
      ["ZRANGESTORE", "r5", "h", "0", "2"], ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
      ["ZADD", "k", "1", "a"], ["ZUNIONSTORE", "u7", "1", "g"],
    ];
    const keys = ["a", "b", "c", "d", "e", "f", "u1", "u2", "u3", "u4", "r1", "r2", "r3", "r4", "u5", "g", "h", "i", "j", "u6", "r5", "k", "u7"];
    await same([...cmds, ...keys.map((k) => ["OBJECT", "ENCODING", k]), ["DEBUG", "DIGEST"]]);
    const got = await mine.send(keys.map((k) => ["OBJECT", "ENCODING", k]));
    // Both encodings are met (a test that cannot tell them apart would pass anything).
    expect(new Set(got.map(text))).toEqual(new Set(["listpack", "skiplist"]));
  });

  /** Redis 7.2's answers (checked against a 7.2.6 server), stated because 7.0 prints doubles and ranks otherwise. */
  it("Redis 7.2's double printing, ZRANK/ZREVRANK WITHSCORE and ZSCAN's score text", async () => {
    await reset();
    const scores: [string, string][] = [
      ["0.1", "0.1"], ["1e20", "1e+20"], ["1e21", "1e+21"], ["1e-5", "0.00001"], ["1e-7", "1e-7"], ["123456789012345678", "123456789012345680"],
      ["-0", "0"], ["inf", "inf"], ["-inf", "-inf"], ["3.14159", "3.14159"], ["1.7976931348623157e308", "1.7976931348623157e+308"],
      ["5e-324", "5e-324"], ["4611686018427387904", "4611686018427387904"], ["1e17", "100000000000000000"], ["0.3", "0.3"],
    ];
    const steps: [Arg[], string][] = [];
    scores.forEach(([s, want], i) => {
      steps.push([["ZADD", "lp", s, `m${i}`], ":1"], [["ZSCORE", "lp", `m${i}`], want]);
    });
    steps.push(
      [["ZINCRBY", "lp", "0.2", "m0"], "0.30000000000000004"],
      [["ZRANK", "lp", "m14", "WITHSCORE"], "*2 :5 0.3"],
      [["ZREVRANK", "lp", "m14", "withscore"], "*2 :9 0.3"],
      [["ZRANK", "lp", "nope", "WITHSCORE"], "*-1"],
      [["ZRANK", "nokey", "a", "WITHSCORE"], "*-1"],
      [["ZRANK", "lp", "m1", "WITHSCORES"], "ERR syntax error"],
      [["ZRANK", "lp", "m1", "WITHSCORE", "x"], "ERR wrong number of arguments for 'zrank' command"],
      // The listpack keeps d2string's text (and -0 as the integer 0); ZSCAN shows it.
      [["ZSCAN", "lp", "0", "MATCH", "m1?"], "*2 0 *10 m11 5e-324 m14 0.3 m13 100000000000000000 m12 4611686018427387904 m10 1.7976931348623157e+308"],
      // A skiplist: -0 stays -0, ZSCAN prints "%.17g".
      [["CONFIG", "SET", "zset-max-listpack-entries", "0"], "OK"],
      [["ZADD", "sl", "-0", "z", "0.1", "a", "1e20", "b"], ":3"],
      [["ZRANGE", "sl", "0", "-1", "WITHSCORES"], "*6 z -0 a 0.1 b 1e+20"],
      [["ZSCAN", "sl", "0", "MATCH", "a"], "*2 0 *2 a 0.10000000000000001"],
      [["ZRANK", "sl", "b", "WITHSCORE"], "*2 :2 1e+20"],
      // Results replied from Redis's result skiplist keep -0; stored as a listpack they hold 0.
      [["CONFIG", "SET", "zset-max-listpack-entries", "128"], "OK"],
      [["ZDIFF", "1", "sl", "WITHSCORES"], "*6 z -0 a 0.1 b 1e+20"],
      [["ZDIFFSTORE", "d", "1", "sl"], ":3"],
      [["OBJECT", "ENCODING", "d"], "listpack"],
      [["ZSCORE", "d", "z"], "0"],
      // ZRANGESTORE adds one by one: a listpack until the 129th, which converts it.
      [["ZADD", "sl", ...Array.from({ length: 130 }, (_, i) => ["-0", `n${String(i).padStart(3, "0")}`]).flat()], ":130"],
      [["ZRANGESTORE", "r", "sl", "-inf", "0", "BYSCORE"], ":131"],
      [["ZMSCORE", "r", "n000", "n127", "n128", "z"], "*4 0 0 -0 -0"],
    );
    for (const conn of is72 ? [mine, theirs] : [mine]) {
      await conn.call("FLUSHALL");
      await conn.call("CONFIG", "SET", "zset-max-listpack-entries", "128");
      for (const [argv, want] of steps) {
        const got = text(await conn.call(...argv));
        expect(got, `${argv.map(String).join(" ")}${conn === theirs ? " (oracle)" : ""}`).toBe(want);
      }
    }
    // RESP3 doubles use the same text.
    await mine.call("HELLO", "3");
    expect(show(await mine.call("ZSCORE", "lp", "m1"))).toBe(show(",1e+20\r\n"));
    expect(show(await mine.call("ZRANK", "sl", "z", "WITHSCORE"))).toBe(show("*2\r\n:130\r\n,-0\r\n"));
    await mine.call("HELLO", "2");
  });

  /**
   * A random sequence over a few keys, with scores both servers print alike;
   * against a 7.2 oracle (`anyDouble`) any double, -0 and huge ones included.
   */
  function sequence(seed: number, anyDouble: boolean): Arg[][] {
    const r = new Prng(seed);
    const keys = ["z0", "z1", "z2", "z3", "zl", "s", "str"];
    const key = () => r.pick(keys);
    const zkey = () => r.pick(["z0", "z1", "z2", "z3"]);
    const score = (): string => {
      const x = r.int(100);
      if (x < 3) return r.pick(["inf", "-inf", "+inf"]);
      if (anyDouble && x < 6) return r.pick(["-0", "0.1", "1e20", "1e-7", "123456789012345678", "4611686018427387904", "5e-324", "1e308"]);
      if (anyDouble && x < 25) return String((r.next() - 0.5) * 10 ** r.range(-3, 6));
      if (x < 10) return String(r.range(-5, 5) + r.pick([0.5, 0.25, 0.75]));
      return String(r.range(-20, 40));
    };
    const member = (): string => {
      const x = r.int(10);
      if (x < 5) return `m${r.int(60)}`;
      if (x < 7) return String(r.int(50));
      if (x < 9) return String.fromCharCode(97 + r.int(10));
      return `long-${r.int(4)}-${"x".repeat(60 + r.int(8))}`;
    };
    const pairs = (n: number) => Array.from({ length: n }, () => [score(), member()]).flat();
    const lex = () => r.pick(["-", "+", `[${member()}`, `(${member()}`]);
    // Lex ranges only mean something over equal scores (elsewhere a skiplist's answer
    // depends on its random levels): they go to "zl", which only ever holds score 0.
    const zeros = (n: number) => Array.from({ length: n }, () => ["0", member()]).flat();
    const range = () => (r.chance(0.2) ? "(" : "") + score();
    const opts = () => r.pick([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["XX", "GT", "CH"], ["NX", "CH"]]);
    const cmds: Arg[][] = [["SET", "str", "v"], ["SADD", "s", "a", "b", "m1", "7"]];
    for (let i = 0; i < STEPS; i++) {
      // Checkpoints: every key's encoding, compared too.
      if (i % 50 === 49) for (const k of ["z0", "z1", "z2", "z3", "zl"]) cmds.push(["OBJECT", "ENCODING", k]);
      const pick = r.int(100);
      if (pick < 20) cmds.push(["ZADD", zkey(), ...opts(), ...pairs(r.range(1, 4))]);
      else if (pick < 23) cmds.push(["ZADD", zkey(), ...pairs(r.range(60, 140))]);
      else if (pick < 27) cmds.push(["ZADD", zkey(), ...opts(), "INCR", score(), member()]);
      else if (pick < 31) cmds.push(["ZINCRBY", zkey(), score(), member()]);
      else if (pick < 37) cmds.push(["ZREM", key(), member(), member(), member()]);
      else if (pick < 40) cmds.push(["ZREMRANGEBYRANK", zkey(), String(r.range(-10, 10)), String(r.range(-10, 10))]);
      else if (pick < 42) cmds.push(["ZREMRANGEBYSCORE", zkey(), range(), range()]);
      else if (pick < 44) cmds.push(r.chance(0.5) ? ["ZREMRANGEBYLEX", "zl", lex(), lex()] : ["ZADD", "zl", ...zeros(r.chance(0.2) ? 100 : 3)]);
      else if (pick < 47) cmds.push([r.pick(["ZPOPMIN", "ZPOPMAX"]), key(), ...(r.chance(0.5) ? [String(r.int(5))] : [])]);
      else if (pick < 49) cmds.push(["ZMPOP", "2", key(), key(), r.pick(["MIN", "MAX"]), "COUNT", String(r.range(1, 4))]);
      else if (pick < 51) cmds.push([r.pick(["BZPOPMIN", "BZPOPMAX"]), zkey(), zkey(), "0.01"]);
      else if (pick < 55) {
        const op = r.pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
        const extra = op === "ZDIFFSTORE" ? [] : r.pick([[], ["WEIGHTS", "2", "0.5"], ["AGGREGATE", r.pick(["MIN", "MAX", "SUM"])]]);
        cmds.push([op, zkey(), "2", key(), key(), ...extra]);
      } else if (pick < 58) cmds.push(["ZRANGESTORE", zkey(), key(), String(r.range(-5, 5)), String(r.range(-1, 200))]);
      else if (pick < 60) cmds.push(["ZRANGESTORE", zkey(), key(), range(), range(), "BYSCORE", ...(r.chance(0.5) ? ["REV"] : [])]);
      else if (pick < 66) {
        const by = r.int(3);
        if (by === 0) cmds.push(["ZRANGE", key(), String(r.range(-5, 5)), String(r.range(-5, 50)), ...(r.chance(0.5) ? ["WITHSCORES"] : []), ...(r.chance(0.3) ? ["REV"] : [])]);
        else if (by === 1) cmds.push(["ZRANGE", key(), range(), range(), "BYSCORE", ...(r.chance(0.5) ? ["WITHSCORES"] : []), ...(r.chance(0.3) ? ["REV"] : []), ...(r.chance(0.3) ? ["LIMIT", String(r.int(3)), String(r.range(-1, 5))] : [])]);
        else cmds.push(["ZRANGE", "zl", lex(), lex(), "BYLEX", ...(r.chance(0.3) ? ["REV"] : []), ...(r.chance(0.3) ? ["LIMIT", String(r.int(3)), String(r.range(-1, 5))] : [])]);
      } else if (pick < 69) cmds.push(["ZCOUNT", key(), range(), range()]);
      else if (pick < 71) cmds.push(["ZLEXCOUNT", "zl", lex(), lex()]);
      else if (pick < 75) cmds.push([r.pick(["ZRANK", "ZREVRANK"]), key(), member()]);
      else if (pick < 78) cmds.push(["ZSCORE", key(), member()]);
      else if (pick < 80) cmds.push(["ZMSCORE", key(), member(), member()]);
      else if (pick < 82) cmds.push(["ZCARD", key()]);
      else if (pick < 86) cmds.push([r.pick(["ZUNION", "ZINTER", "ZDIFF"]), "2", key(), key(), "WITHSCORES"]);
      else if (pick < 88) cmds.push(["ZINTERCARD", "2", key(), key()]);
      // Random picks that leave both servers alike: all of a set.
      else if (pick < 90) cmds.push(["ZRANDMEMBER", key(), "100000", "WITHSCORES"]);
      else if (pick < 93) cmds.push(["ZSCAN", key(), "0", "COUNT", "100000"]);
      else if (pick < 95) cmds.push(["DEL", zkey()]);
      else if (pick < 97) cmds.push(["ZRANGEBYSCORE", key(), range(), range(), "LIMIT", String(r.int(4)), String(r.range(-1, 4))]);
      else cmds.push(["EXPIRE", zkey(), "1000"]);
    }
    return cmds;
  }

  const seenEncodings = new Set<string>();
  for (const seed of SEEDS) {
    it(`seed ${seed}: random sequences across the encodings, then DEBUG DIGEST, encodings and events`, async () => {
      await reset();
      const subs = await Promise.all([oracle.port, nodis.port].map((p) => Subscriber.open(p, "PSUBSCRIBE", "__key*@*__:*")));
      try {
        const cmds = sequence(seed, is72);
        const [a, b] = await Promise.all([mine.send(cmds), theirs.send(cmds)]);
        cmds.forEach((argv, i) => {
          const what = `seed ${seed} #${i}: ${argv.slice(0, 8).map(String).join(" ")}`;
          if (String(argv[0]).toLowerCase() === "zscan") expect(scanAsSet(a[i]), what).toBe(scanAsSet(b[i]));
          else expect(show(a[i]), what).toBe(show(b[i]));
          if (String(argv[0]) === "OBJECT") seenEncodings.add(text(a[i]));
        });
        expect(show(await mine.call("DEBUG", "DIGEST"))).toBe(show(await theirs.call("DEBUG", "DIGEST")));
        for (const k of ["z0", "z1", "z2", "z3", "zl"]) {
          const [ea, eb] = [text(await mine.call("OBJECT", "ENCODING", k)), text(await theirs.call("OBJECT", "ENCODING", k))];
          expect(ea, `encoding of ${k}`).toBe(eb);
          seenEncodings.add(ea);
        }
        for (const c of [theirs, mine]) await c.call("PUBLISH", "__keyspace@99__:end", "x");
        for (const s of subs) await s.until((m) => m.some((x) => x.includes("__keyspace@99__:end")));
        expect(subs[1].messages.map(show)).toEqual(subs[0].messages.map(show));
        expect(subs[0].messages.length).toBeGreaterThan(STEPS / 4);
      } finally {
        for (const s of subs) s.close();
      }
    });
  }
  it.skipIf(SEEDS.length < 3)("the sequences ended in both encodings", () => {
    expect(seenEncodings.has("listpack") && seenEncodings.has("skiplist")).toBe(true);
  });
});

describe("sorted sets: random and blocking commands, propagation", () => {
  const rec = useRecordedNodis();
  let conn: RespConnection;
  beforeAll(() => {
    conn = rec.conn;
  });

  const fill = async (encoding: string, n: number): Promise<string[]> => {
    await conn.call("DEL", "z");
    const ms = Array.from({ length: n }, (_, i) => `m${i}`);
    await conn.call("ZADD", "z", ...ms.flatMap((m, i) => [String(i), m]));
    expect(text(await conn.call("OBJECT", "ENCODING", "z"))).toBe(encoding);
    return ms;
  };

  for (const [encoding, n] of [["listpack", 50], ["skiplist", 300]] as const) {
    it(`ZRANDMEMBER (${encoding}): distinct with a positive count, repeats with a negative one, scores right`, async () => {
      const all = await fill(encoding, n);
      for (const count of [1, 2, Math.floor(n / 5), Math.floor(n / 2), n - 1, n, n + 10]) {
        const got = text(await conn.call("ZRANDMEMBER", "z", String(count), "WITHSCORES")).split(" ").slice(1);
        const ms = got.filter((_, i) => i % 2 === 0);
        expect(ms.length).toBe(Math.min(count, n));
        expect(new Set(ms).size).toBe(ms.length);
        for (let i = 0; i < got.length; i += 2) expect(got[i]).toBe(`m${got[i + 1]}`);
      }
      const many = text(await conn.call("ZRANDMEMBER", "z", String(-5 * n))).split(" ").slice(1);
      expect(many.length).toBe(5 * n);
      expect(many.every((m) => all.includes(m))).toBe(true);
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < n; i++) for (const m of text(await conn.call("ZRANDMEMBER", "z", String(-n))).split(" ").slice(1)) seen.add(m);
      expect(seen.size).toBe(n);
    });

    it(`ZSCAN (${encoding}) returns every member with its score, MATCH applied`, async () => {
      const all = await fill(encoding, n);
      const seen = new Map<string, string>();
      let cursor = "0";
      do {
        const els = arrayElements(await conn.call("ZSCAN", "z", cursor, "COUNT", "7"))!;
        cursor = text(els[0]);
        const flat = text(els[1]).split(" ").slice(1);
        for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
      } while (cursor !== "0");
      expect([...seen.keys()].sort()).toEqual([...all].sort());
      for (const [m, s] of seen) expect(m).toBe(`m${s}`);
      const matched = text(await conn.call("ZSCAN", "z", "0", "MATCH", "m1?", "COUNT", "1000")).split(" ").slice(3);
      expect(matched.filter((_, i) => i % 2 === 0).sort()).toEqual(all.filter((m) => /^m1.$/.test(m)).sort());
    });
  }

  it("pops propagate as Redis does: ZPOPMIN as sent, ZMPOP and served blocking pops as ZPOPMIN/ZPOPMAX", async () => {
    await fill("listpack", 10);
    const run = async (...argv: string[]) => {
      rec.clear();
      const reply = text(await conn.call(...argv));
      return [reply, rec.units] as const;
    };
    expect(await run("ZPOPMIN", "z")).toEqual(["*2 m0 0", [["ZPOPMIN z"]]]);
    expect(await run("ZPOPMAX", "z", "2")).toEqual(["*4 m9 9 m8 8", [["ZPOPMAX z 2"]]]);
    expect(await run("ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "2")).toEqual(["*2 z *2 *2 m1 1 *2 m2 2", [["ZPOPMIN z 2"]]]);
    expect(await run("BZPOPMIN", "nokey", "z", "0")).toEqual(["*3 z m3 3", [["ZPOPMIN z"]]]);
    expect(await run("BZPOPMAX", "z", "0")).toEqual(["*3 z m7 7", [["ZPOPMAX z"]]]);
    expect(await run("BZMPOP", "0", "1", "z", "MAX", "COUNT", "100")).toEqual(["*2 z *3 *2 m6 6 *2 m5 5 *2 m4 4", [["ZPOPMAX z 3"]]]);
    expect(text(await conn.call("EXISTS", "z"))).toBe(":0");
    // Nothing to pop: nothing propagated.
    expect(await run("ZPOPMIN", "z")).toEqual(["*0", []]);
    expect(await run("ZMPOP", "1", "z", "MIN")).toEqual(["*-1", []]);
  });

  it("the propagated stream of ZMPOP/BZMPOP runs, as the upstream replication tests state it", async () => {
    await conn.call("FLUSHALL");
    rec.clear();
    const cmds = [
      ["ZADD", "a", "1", "one", "2", "two", "3", "three"],
      ["ZMPOP", "1", "a", "MIN"],
      ["ZMPOP", "1", "a", "MAX", "COUNT", "1"],
      ["ZMPOP", "2", "a", "b", "MIN", "COUNT", "10"],
      ["ZMPOP", "2", "a", "b", "MAX", "COUNT", "10"],
      ["ZADD", "b", "1", "one", "2", "two", "3", "three"],
      ["ZMPOP", "2", "a", "b", "MIN", "COUNT", "2"],
      ["ZADD", "a", "4", "four", "5", "five"],
      ["BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "10"],
      ["BZPOPMIN", "a", "b", "0"],
    ];
    for (const c of cmds) await conn.call(...c);
    expect(rec.units.flat()).toEqual([
      "ZADD a 1 one 2 two 3 three",
      "ZPOPMIN a 1",
      "ZPOPMAX a 1",
      "ZPOPMIN a 1",
      "ZADD b 1 one 2 two 3 three",
      "ZPOPMIN b 2",
      "ZADD a 4 four 5 five",
      "ZPOPMAX a 2",
      "ZPOPMIN b",
    ]);
  });

  it("blocking pops check their timeout before anything else, as Redis", async () => {
    await fill("listpack", 3);
    for (const [t, err] of [
      ["abc", "ERR timeout is not a float or out of range"],
      ["-1", "ERR timeout is negative"],
      ["inf", "ERR timeout is out of range"],
      ["1e300", "ERR timeout is out of range"],
      ["", "ERR timeout is not a float or out of range"],
    ]) {
      expect(text(await conn.call("BZPOPMIN", "z", t))).toBe(err);
      expect(text(await conn.call("BZMPOP", t, "1", "z", "MIN"))).toBe(err);
    }
    // BZMPOP parses numkeys and the rest before its timeout.
    expect(text(await conn.call("BZMPOP", "abc", "0", "z", "MIN"))).toBe("ERR numkeys should be greater than 0");
    expect(text(await conn.call("ZCARD", "z"))).toBe(":3");
    // A timeout that rounds to zero ms is fine (it would block forever): served at once here.
    expect(text(await conn.call("BZPOPMIN", "z", "-0.0001"))).toBe("*3 z m0 0");
  });
});
