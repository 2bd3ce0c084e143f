/**
 * Differential test: seeded random string, key and expiry commands against
 * Debian's redis-server (the oracle) and Nodis, compared reply by reply.
 *
 * Replay a failure with NODIS_DIFF_SEED=<seed> (or "1,2,3", or "random"); the
 * first two seeds also run over RESP3.
 * NODIS_DIFF_COMMANDS=all (or a comma list) runs other generators than ENABLED;
 * NODIS_DIFF_SURVEY=1 runs each generator on its own and prints which agree.
 * NODIS_DIFF_PORT=<port> compares against a server already running there
 * instead of an in-process Nodis (another redis-server checks the harness itself);
 * NODIS_DIFF_ORACLE_PORT=<port> takes a running oracle (e.g. a Redis 7.2 of
 * your own) instead of starting Debian's redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { GENERATORS, generatorsNamed } from "./generator.js";
import { describeRun, describeSequence, replay, runSeed, type Ports, type RunResult } from "./harness.js";
import { shrink } from "./shrink.js";
import { KNOWN_BUGS, hitsKnownBug } from "./known-bugs.js";
import { seedsFromEnv } from "./prng.js";

/**
 * The generators the runs use: those Nodis answers exactly as Redis 7.2 does.
 * The collection types run on the same keys, for the wrong-type cases and the
 * key commands across types. Commands that hit a known bug are left out of the
 * runs one by one (known-bugs.ts).
 */
const ENABLED = [
  // strings
  "set", "get", "mget", "mset", "msetnx", "append", "strlen", "incr", "decr", "incrby", "decrby", "incrbyfloat",
  "getrange", "substr", "setrange", "getdel", "getex", "getset", "setnx", "setex", "psetex", "lcs",
  // keys, databases and expiry
  "del", "unlink", "exists", "touch", "type", "expire", "pexpire", "expireat", "pexpireat", "persist", "ttl", "pttl",
  "expiretime", "pexpiretime", "rename", "renamenx", "copy", "move", "select", "swapdb", "dbsize", "keys", "scan",
  "object|encoding", "flushdb",
  // the collection types on the same keys
  "lpush", "rpush", "lpop", "rpop", "llen", "lrange", "lindex", "sadd", "srem", "scard", "sismember", "hset", "hget",
  "hdel", "hlen", "hincrby", "hgetall", "zadd", "zrem", "zcard", "zscore", "zincrby", "zrange",
];

const SEEDS = seedsFromEnv([20261123, 7, 4242, 99991, 31337, 5, 2718, 16180]);
/** The seeds also run over RESP3 (HELLO 3): nulls, maps (LCS IDX) and the rest in RESP3 shapes. */
const RESP3_SEEDS = SEEDS.slice(0, 2);
const COUNT = Number(process.env.NODIS_DIFF_COUNT ?? 10000);
/** Time to spend shrinking a failing sequence before reporting it. */
const SHRINK_MS = Number(process.env.NODIS_DIFF_SHRINK_MS ?? 10000);

/** The mismatch, and a shrunk sequence of commands that still shows it. */
async function explain(ports: Ports, r: RunResult): Promise<string> {
  const text = describeRun(r);
  const small = await shrink(ports, r.failing.slice(0, -1), r.failing[r.failing.length - 1], SHRINK_MS);
  if (!small) return `${text}\n  (it did not reproduce on a fresh replay: timing?)`;
  return `${text}\n  shrunk to ${small.length} of ${r.failing.length} commands (redis-server | nodis):\n${await describeSequence(ports, small)}`;
}

function chosenNames(): string[] {
  const env = process.env.NODIS_DIFF_COMMANDS?.trim();
  if (!env) return ENABLED;
  if (env === "all") return GENERATORS.map((g) => g.name);
  return env.split(",").map((s) => s.trim().toLowerCase());
}

describe.skipIf(!haveRedisServer())("differential: random string/key/expiry/collection commands against redis-server", () => {
  let nodis: RunningServer | undefined;
  let oracle: { port: number; stop(): Promise<void> };
  let ports: Ports;

  beforeAll(async () => {
    const oraclePort = Number(process.env.NODIS_DIFF_ORACLE_PORT);
    oracle = oraclePort ? { port: oraclePort, stop: async () => {} } : await startRedis();
    const external = Number(process.env.NODIS_DIFF_PORT);
    if (!external) nodis = await startNodis({ "enable-debug-command": "yes" });
    ports = { oracle: oracle.port, nodis: external || nodis!.port };
  });
  afterAll(async () => {
    await nodis?.close();
    await oracle?.stop();
  });

  const commands = generatorsNamed(chosenNames());
  const runs = [...SEEDS.map((seed) => [seed, 2] as const), ...RESP3_SEEDS.map((seed) => [seed, 3] as const)];
  for (const [seed, resp] of runs) {
    it(`agrees on ${COUNT} commands from seed ${seed} over RESP${resp}`, async () => {
      const target = { ...ports, resp };
      const r = await runSeed(target, { seed, commands, count: COUNT, skip: hitsKnownBug });
      if (r.mismatch) throw new Error(await explain(target, r));
      console.log(`RESP${resp} ${describeRun(r)}`);
      expect(r.sent + r.skipped).toBeGreaterThanOrEqual(COUNT);
      expect(r.digest).not.toMatch(/^DIFFERENT/);
    }, 60000);
  }

  for (const bug of KNOWN_BUGS) {
    it(`known bug, left out of the runs: ${bug.what}`, async () => {
      const { mismatch } = await replay(ports, bug.repro);
      expect(mismatch, "fixed: delete it from known-bugs.ts so the runs cover it again").not.toBeNull();
      expect(mismatch!.index).toBe(bug.repro.length - 1);
    });
  }

  it.runIf(process.env.NODIS_DIFF_SURVEY)("survey: each generator alone, next to SET/GET/DEL", async () => {
    const base = ["set", "get", "del"];
    const lines: string[] = [];
    for (const g of GENERATORS) {
      const names = base.includes(g.name) ? base : [...base, g.name];
      const r = await runSeed(ports, { seed: SEEDS[0], commands: generatorsNamed(names), count: 1500 });
      lines.push(r.mismatch ? `DIFF ${g.name}\n${describeRun(r)}` : `ok   ${g.name}`);
    }
    console.log(lines.join("\n"));
  }, 300000);
});
