/**
 * The generic key family: DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, RANDOMKEY,
 * RENAME(NX), MOVE, COPY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB; with the expiry
 * commands (expire.ts), SCAN (scan.ts) and OBJECT (object.ts).
 * Semantics in native/src/{keyspace,generic,expire}.rs.
 */
import { afterFlushAll } from "../persistence/index.js";
import { keys } from "../engine/index.js";
import { rangeKeySpec } from "./types.js";
import type { CommandDef, Ctx } from "./types.js";
import { DB_RANGE, rangedInt, SYNTAX } from "./errors.js";
import { expireCommands } from "./expire.js";
import { scanCommands } from "./scan.js";
import { objectCommands, trackEvictionPolicy } from "./object.js";
import { engineHandler, withScriptForm } from "./engine-command.js";
import { PROPAGATE_ALL } from "../server/write-path.js";

/**
 * A DB index argument as Redis's getIntFromObjectOrReply + selectDb check it:
 * the index or the error text. `msg` replaces both integer errors (SWAPDB).
 */
export function parseDbIndex(c: Ctx, arg: Buffer, msg?: string): number | string {
  const n = rangedInt(arg, -2147483648, 2147483647);
  if (typeof n === "string") return msg ?? n;
  if (n < 0 || n >= c.server.config.int("databases")) return DB_RANGE;
  return n;
}

function clusterEnabled(c: Ctx): boolean {
  return c.server.config.bool("cluster-enabled");
}

/** FLUSHDB/FLUSHALL's optional SYNC|ASYNC: lazy or not, or null for a syntax error. */
function flushMode(c: Ctx): boolean | null {
  if (c.argv.length === 1) return c.server.config.bool("lazyfree-lazy-user-flush");
  if (c.argv.length === 2) {
    const mode = c.argv[1].toString("latin1").toLowerCase();
    if (mode === "sync") return false;
    if (mode === "async") return true;
  }
  return null;
}

function countKeys(c: Ctx, test: (db: number, key: Buffer) => boolean): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) if (test(c.db, c.argv[i])) n++;
  c.r.int(n);
}

const delDef = (name: string, fast: boolean): CommandDef => ({
  name,
  arity: -2,
  flags: fast ? "write fast" : "write",
  keys: [1, -1, 1],
  keyFlags: "RM delete",
  acl: fast ? "keyspace write fast" : "keyspace write slow",
  tips: "request_policy:multi_shard response_policy:agg_sum",
  // UNLINK frees big values on the lazyfree thread; DEL does under lazyfree-lazy-user-del (set in the engine).
  handler: withScriptForm(fast ? (c) => countKeys(c, unlinkOne) : (c) => countKeys(c, delOne), name),
});
const delOne = (db: number, key: Buffer) => keys.del(db, key);
const unlinkOne = (db: number, key: Buffer) => keys.del(db, key, true);

const renameDef = (name: string, nx: boolean): CommandDef => ({
  name,
  arity: 3,
  flags: nx ? "write fast" : "write",
  keys: [1, 2, 1],
  keySpecs: [rangeKeySpec("RW access delete", [1, 1, 1]), rangeKeySpec(nx ? "OW insert" : "OW update", [2, 2, 1])],
  acl: nx ? "keyspace write fast" : "keyspace write slow",
  handler: engineHandler(name),
});

const genericCommands: CommandDef[] = [
  delDef("del", false),
  delDef("unlink", true),
  {
    name: "exists",
    arity: -2,
    flags: "readonly fast",
    keys: [1, -1, 1],
    keyFlags: "RO",
    acl: "keyspace read fast",
    tips: "request_policy:multi_shard response_policy:agg_sum",
    handler: withScriptForm((c) => countKeys(c, keys.existsRead), "exists"),
  },
  {
    name: "touch",
    arity: -2,
    flags: "readonly fast",
    keys: [1, -1, 1],
    keyFlags: "RO",
    acl: "keyspace read fast",
    tips: "request_policy:multi_shard response_policy:agg_sum",
    handler: engineHandler("touch"),
  },
  {
    name: "type",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO",
    acl: "keyspace read fast",
    handler: withScriptForm((c) => c.r.simple(keys.type(c.db, c.argv[1])), "type"),
  },
  {
    name: "keys",
    arity: 2,
    flags: "readonly",
    acl: "keyspace read slow dangerous",
    tips: "request_policy:all_shards nondeterministic_output_order",
    handler: engineHandler("keys"),
  },
  {
    name: "randomkey",
    arity: 1,
    flags: "readonly touches_arbitrary_keys",
    acl: "keyspace read slow",
    tips: "request_policy:all_shards response_policy:special nondeterministic_output",
    handler: engineHandler("randomkey"),
  },
  renameDef("rename", false),
  renameDef("renamenx", true),
  {
    name: "move",
    arity: 3,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "keyspace write fast",
    handler: engineHandler("move"),
  },
  {
    name: "copy",
    arity: -3,
    flags: "write denyoom",
    keys: [1, 2, 1],
    keySpecs: [rangeKeySpec("RO access", [1, 1, 1]), rangeKeySpec("OW update", [2, 2, 1])],
    acl: "keyspace write slow",
    handler: engineHandler("copy"),
  },
  {
    name: "dbsize",
    arity: 1,
    flags: "readonly fast",
    acl: "keyspace read fast",
    tips: "request_policy:all_shards response_policy:agg_sum",
    handler: engineHandler("dbsize"),
  },
  {
    name: "flushdb",
    arity: -1,
    flags: "write",
    acl: "keyspace write slow dangerous",
    tips: "request_policy:all_shards response_policy:all_succeeded",
    handler: (c) => {
      const lazy = flushMode(c);
      if (lazy === null) return c.r.error(SYNTAX);
      trackEvictionPolicy(c.server);
      keys.flushdb(c.db, lazy);
      c.forcePropagate = PROPAGATE_ALL; // even an empty db's FLUSHDB replicates, as Redis
      c.r.ok();
    },
  },
  {
    name: "flushall",
    arity: -1,
    flags: "write",
    acl: "keyspace write slow dangerous",
    tips: "request_policy:all_shards response_policy:all_succeeded",
    handler: (c) => {
      const lazy = flushMode(c);
      if (lazy === null) return c.r.error(SYNTAX);
      trackEvictionPolicy(c.server);
      keys.flushall(lazy);
      afterFlushAll(c.server); // a running BGSAVE is killed; with save rules the empty dataset is saved
      c.forcePropagate = PROPAGATE_ALL;
      c.r.ok();
    },
  },
  {
    name: "swapdb",
    arity: 3,
    flags: "write fast",
    acl: "keyspace write fast dangerous",
    handler: (c) => {
      if (clusterEnabled(c)) return c.r.error("ERR SWAPDB is not allowed in cluster mode");
      const a = parseDbIndex(c, c.argv[1], "ERR invalid first DB index");
      if (a === "ERR invalid first DB index") return c.r.error(a);
      const b = parseDbIndex(c, c.argv[2], "ERR invalid second DB index");
      if (b === "ERR invalid second DB index") return c.r.error(b);
      if (typeof a === "string" || typeof b === "string") return c.r.error(DB_RANGE);
      keys.swapdb(a, b);
      c.r.ok();
    },
  },
];

export const keyCommands: CommandDef[] = [...genericCommands, ...expireCommands, ...scanCommands, ...objectCommands];
