/**
 * The sorted set family (Redis 7.2's "sorted_set" group): the table's
 * definitions; the semantics run in the engine (native/src/t_zset.rs and
 * t_zset/), one native call per command. The blocking pops (BZPOPMIN,
 * BZPOPMAX, BZMPOP) serve at once when they can; otherwise the engine answers
 * Code.BLOCK and the blocking machinery (server/blocking.ts) takes over.
 */
import { engineHandler } from "./engine-command.js";
import { rangeKeySpec, type CommandDef, type KeySpec } from "./types.js";

/** One key at argv[1]. */
function def(name: string, arity: number, flags: string, keyFlags: string, tips?: string): CommandDef {
  return { name, arity, flags, keys: [1, 1, 1], keyFlags, acl: "sortedset", tips, handler: engineHandler(name) };
}

/** The keys counted by the argument at `numkeysAt`. */
function keynumSpec(flags: string, numkeysAt: number): KeySpec {
  return { flags: flags.split(" "), begin: { index: numkeysAt }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } };
}

/** ZUNION, ZINTER, ZDIFF, ZINTERCARD: numkeys at argv[1]. */
function readManyDef(name: string): CommandDef {
  return { name, arity: -3, flags: "readonly", keys: [0, 0, 0], keySpecs: [keynumSpec("RO access", 1)], acl: "sortedset", handler: engineHandler(name) };
}

/** ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: the destination, then numkeys at argv[2]. */
function storeDef(name: string): CommandDef {
  return {
    name,
    arity: -4,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keySpecs: [rangeKeySpec("OW update", [1, 1, 1]), keynumSpec("RO access", 2)],
    acl: "sortedset",
    handler: engineHandler(name),
  };
}

/** BZPOPMIN / BZPOPMAX: every argument but the last (the timeout) is a key. */
function bpopDef(name: string): CommandDef {
  return { name, arity: -3, flags: "write fast blocking", keys: [1, -2, 1], keyFlags: "RW access delete", acl: "sortedset", handler: engineHandler(name) };
}

export const zsetCommands: CommandDef[] = [
  def("zadd", -4, "write denyoom fast", "RW update"),
  def("zincrby", 4, "write denyoom fast", "RW access update"),
  def("zrem", -3, "write fast", "RW delete"),
  def("zcard", 2, "readonly fast", "RO"),
  def("zscore", 3, "readonly fast", "RO access"),
  def("zmscore", -3, "readonly fast", "RO access"),
  def("zrank", -3, "readonly fast", "RO access"),
  def("zrevrank", -3, "readonly fast", "RO access"),
  def("zcount", 4, "readonly fast", "RO access"),
  def("zlexcount", 4, "readonly fast", "RO access"),
  def("zrange", -4, "readonly", "RO access"),
  def("zrevrange", -4, "readonly", "RO access"),
  def("zrangebyscore", -4, "readonly", "RO access"),
  def("zrevrangebyscore", -4, "readonly", "RO access"),
  def("zrangebylex", -4, "readonly", "RO access"),
  def("zrevrangebylex", -4, "readonly", "RO access"),
  {
    name: "zrangestore",
    arity: -5,
    flags: "write denyoom",
    keys: [1, 2, 1],
    keySpecs: [rangeKeySpec("OW update", [1, 1, 1]), rangeKeySpec("RO access", [2, 2, 1])],
    acl: "sortedset",
    handler: engineHandler("zrangestore"),
  },
  def("zremrangebyrank", 4, "write", "RW delete"),
  def("zremrangebyscore", 4, "write", "RW delete"),
  def("zremrangebylex", 4, "write", "RW delete"),
  def("zpopmin", -2, "write fast", "RW access delete"),
  def("zpopmax", -2, "write fast", "RW access delete"),
  {
    name: "zmpop",
    arity: -4,
    flags: "write",
    keys: [0, 0, 0],
    keySpecs: [keynumSpec("RW access delete", 1)],
    acl: "sortedset",
    handler: engineHandler("zmpop"),
  },
  def("zrandmember", -2, "readonly", "RO access", "nondeterministic_output"),
  readManyDef("zunion"),
  storeDef("zunionstore"),
  readManyDef("zinter"),
  storeDef("zinterstore"),
  readManyDef("zintercard"),
  readManyDef("zdiff"),
  storeDef("zdiffstore"),
  def("zscan", -3, "readonly", "RO access", "nondeterministic_output"),
  bpopDef("bzpopmin"),
  bpopDef("bzpopmax"),
  {
    name: "bzmpop",
    arity: -5,
    flags: "write blocking",
    keys: [0, 0, 0],
    keySpecs: [keynumSpec("RW access delete", 2)],
    acl: "sortedset",
    handler: engineHandler("bzmpop"),
  },
];

