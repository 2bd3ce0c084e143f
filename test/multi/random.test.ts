/**
 * Differential: seeded random runs of the string/key commands mixed with
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH on one connection, against Debian's
 * redis-server, reply by reply (the harness of test/diff). Transactions
 * open and close at random, with wrong arities now and then, so queueing,
 * queue-time errors, EXECABORT, nested MULTI, WATCH inside MULTI and WATCH
 * broken by the connection's own writes (and FLUSHDB, SWAPDB, MOVE, ...) meet
 * every other command. Commands whose replies depend on the clock or on hash
 * order (TTL family, KEYS, SCAN) are left out: inside EXEC's array the
 * harness compares bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { generatorsNamed, type CommandGen } from "../diff/generator.js";
import { describeRun, runSeed, type Ports } from "../diff/harness.js";
import { hitsKnownBug } from "../diff/known-bugs.js";
import { seedsFromEnv } from "../diff/prng.js";

const OTHERS = [
  "set", "get", "mget", "mset", "msetnx", "append", "strlen", "incr", "decr", "incrby", "decrby", "incrbyfloat",
  "getrange", "setrange", "getdel", "getex", "getset", "setnx", "setex", "psetex",
  "del", "unlink", "exists", "touch", "type", "expire", "pexpire", "expireat", "pexpireat", "persist",
  "rename", "renamenx", "copy", "move", "select", "swapdb", "dbsize", "object|encoding", "flushdb",
];

const TRANSACTIONS: CommandGen[] = [
  { name: "multi", arity: 1, weight: 6, gen: () => ["MULTI"] },
  { name: "exec", arity: 1, weight: 5, gen: () => ["EXEC"] },
  { name: "discard", arity: 1, weight: 1, gen: () => ["DISCARD"] },
  { name: "watch", arity: -2, weight: 3, gen: (g) => ["WATCH", ...g.keys(1, 3)] },
  { name: "unwatch", arity: 1, weight: 0.5, gen: () => ["UNWATCH"] },
];

const SEEDS = seedsFromEnv([20261129, 11, 777, 4096]);
const COUNT = Number(process.env.NODIS_DIFF_COUNT ?? 5000);

describe.skipIf(!haveRedisServer())("differential: random transactions against redis-server", () => {
  let nodis: RunningServer | undefined;
  let oracle: { port: number; stop(): Promise<void> };
  let ports: Ports;

  beforeAll(async () => {
    oracle = await startRedis();
    nodis = await startNodis({ "enable-debug-command": "yes" });
    ports = { oracle: oracle.port, nodis: nodis.port };
  });
  afterAll(async () => {
    await nodis?.close();
    await oracle?.stop();
  });

  const commands = [...generatorsNamed(OTHERS), ...TRANSACTIONS];
  const runs = [...SEEDS.map((seed) => [seed, 2] as const), [SEEDS[0], 3] as const];
  for (const [seed, resp] of runs) {
    it(`agrees on ${COUNT} commands from seed ${seed} over RESP${resp}`, async () => {
      const r = await runSeed({ ...ports, resp }, { seed, commands, count: COUNT, skip: hitsKnownBug });
      if (r.mismatch) throw new Error(describeRun(r));
      console.log(`RESP${resp} ${describeRun(r)}`);
      expect(r.sent + r.skipped).toBeGreaterThanOrEqual(COUNT);
      expect(r.digest).not.toMatch(/^DIFFERENT/);
    }, 60000);
  }
});
