/**
 * Differential fuzz: seeded random scripts built from a grammar of redis.call
 * / redis.pcall sequences over the data types (with RESP3 now and then, Lua
 * arithmetic on the results, errors caught and returned), run as EVAL and as
 * a function on Nodis and redis-server, replies compared byte for byte.
 * NODIS_DIFF_SEEDS picks the seeds, NODIS_DIFF_COUNT the scripts per seed.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { show, type Arg } from "../diff/resp.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";

const SEEDS = seedsFromEnv([9, 2026, 31337]);
const COUNT = Number(process.env.NODIS_DIFF_COUNT ?? 150);

/** One random script: statements appending to `r`, which it returns. */
function script(g: Prng): string {
  const pick = <T>(xs: T[]): T => g.pick(xs);
  const key = () => `'${pick(["a", "b", "c", "n", "l", "h", "s", "z"])}'`;
  const val = () => pick([`'v${g.int(5)}'`, String(g.int(100) - 20), `'${g.int(9)}.5'`, "'x y'", "''", "3.25", "ARGV[1]"]);
  const calls: (() => string)[] = [
    () => `'set', ${key()}, ${val()}`,
    () => `'get', ${key()}`,
    () => `'incr', ${key()}`,
    () => `'incrby', ${key()}, ${g.int(10)}`,
    () => `'incrbyfloat', ${key()}, '1.5'`,
    () => `'append', ${key()}, ${val()}`,
    () => `'del', ${key()}, ${key()}`,
    () => `'exists', ${key()}`,
    () => `'type', ${key()}`,
    () => `'rpush', ${key()}, ${val()}, ${val()}`,
    () => `'lrange', ${key()}, 0, -1`,
    () => `'lpop', ${key()}`,
    () => `'hset', ${key()}, 'f${g.int(3)}', ${val()}`,
    () => `'hgetall', ${key()}`,
    () => `'hget', ${key()}, 'f${g.int(3)}'`,
    () => `'sadd', ${key()}, ${val()}`,
    () => `'scard', ${key()}`,
    () => `'sismember', ${key()}, ${val()}`,
    () => `'zadd', ${key()}, ${g.int(10)}, ${val()}`,
    () => `'zrange', ${key()}, 0, -1, 'withscores'`,
    () => `'zscore', ${key()}, ${val()}`,
    () => `'expire', ${key()}, 100`,
    () => `'getrange', ${key()}, 0, ${g.int(4)}`,
    () => `'ping'`,
    () => `'nosuchcommand'`,
    () => `'get'`,
  ];
  const lines: string[] = [];
  if (g.chance(0.3)) lines.push("redis.setresp(3)");
  lines.push("local r = {}");
  const n = 1 + g.int(6);
  for (let i = 0; i < n; i++) {
    const c = pick(calls)();
    switch (g.int(5)) {
      case 0:
        lines.push(`r[#r+1] = redis.call(${c})`);
        break;
      case 1:
        lines.push(`local ok, e = pcall(redis.call, ${c}) r[#r+1] = ok and 'ok' or e`);
        break;
      case 2:
        lines.push(`local v = redis.pcall(${c}) r[#r+1] = type(v) == 'table' and (v.err or v.ok or v.double or #v) or v`);
        break;
      case 3:
        lines.push(`local v = redis.pcall(${c}) if type(v) == 'number' then r[#r+1] = v * 2 + 0.5 else r[#r+1] = tostring(type(v)) end`);
        break;
      default:
        lines.push(`r[#r+1] = redis.pcall(${c})`);
    }
  }
  lines.push(g.chance(0.2) ? "return r[1]" : "return r");
  return lines.join("\n");
}

describe.skipIf(!haveRedisServer())("scripting: random scripts against redis-server", () => {
  const pair = useServerPair();

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${COUNT} scripts as EVAL and as functions give Redis's replies`, async () => {
      const g = new Prng(seed);
      await pair.reset();
      for (const k of [pair.mine, pair.theirs]) await k.call("FUNCTION", "FLUSH");
      for (let i = 0; i < COUNT; i++) {
        const body = script(g);
        const asFunction = g.chance(0.3);
        const cmds: Arg[][] = asFunction
          ? [
              ["FUNCTION", "LOAD", "REPLACE", `#!lua name=fz\nredis.register_function('fz', function(KEYS, ARGV)\n${body}\nend)`],
              ["FCALL", "fz", "0", "arg1"],
            ]
          : [["EVAL", body, "0", "arg1"]];
        const [a, b] = await Promise.all([pair.mine.send(cmds), pair.theirs.send(cmds)]);
        for (let j = 0; j < cmds.length; j++) expect(show(a[j]), `seed ${seed} script ${i}:\n${body}`).toBe(show(b[j]));
      }
      const [da, db] = await Promise.all([pair.mine.call("DEBUG", "DIGEST"), pair.theirs.call("DEBUG", "DIGEST")]);
      expect(show(da)).toBe(show(db));
    });
  }
});
