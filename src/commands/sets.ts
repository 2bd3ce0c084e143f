/**
 * The set family (Redis 7.2's "set" group): the table's definitions; the
 * semantics run in the engine (native/src/t_set.rs), one native call per command.
 */
import { engineHandler } from "./engine-command.js";
import { rangeKeySpec, type CommandDef } from "./types.js";

/** A definition whose handler is the engine command of the same name. */
function def(d: Omit<CommandDef, "handler" | "acl">): CommandDef {
  return { ...d, acl: "set", handler: engineHandler(d.name) };
}

/** SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the destination, then the sources. */
function storeDef(name: string, destFlags: string): CommandDef {
  return def({
    name,
    arity: -3,
    flags: "write denyoom",
    keys: [1, -1, 1],
    keySpecs: [rangeKeySpec(destFlags, [1, 1, 1]), rangeKeySpec("RO access", [2, -1, 1])],
  });
}

export const setCommands: CommandDef[] = [
  def({ name: "sadd", arity: -3, flags: "write denyoom fast", keys: [1, 1, 1], keyFlags: "RW insert" }),
  def({ name: "srem", arity: -3, flags: "write fast", keys: [1, 1, 1], keyFlags: "RW delete" }),
  def({
    name: "smove",
    arity: 4,
    flags: "write fast",
    keys: [1, 2, 1],
    keySpecs: [rangeKeySpec("RW access delete", [1, 1, 1]), rangeKeySpec("RW insert", [2, 2, 1])],
  }),
  def({ name: "sismember", arity: 3, flags: "readonly fast", keys: [1, 1, 1], keyFlags: "RO" }),
  def({ name: "smismember", arity: -3, flags: "readonly fast", keys: [1, 1, 1], keyFlags: "RO access" }),
  def({ name: "scard", arity: 2, flags: "readonly fast", keys: [1, 1, 1], keyFlags: "RO" }),
  def({ name: "spop", arity: -2, flags: "write fast", keys: [1, 1, 1], keyFlags: "RW access delete", tips: "nondeterministic_output" }),
  def({ name: "srandmember", arity: -2, flags: "readonly", keys: [1, 1, 1], keyFlags: "RO access", tips: "nondeterministic_output" }),
  def({ name: "smembers", arity: 2, flags: "readonly", keys: [1, 1, 1], keyFlags: "RO access", tips: "nondeterministic_output_order" }),
  def({ name: "sinter", arity: -2, flags: "readonly", keys: [1, -1, 1], keyFlags: "RO access", tips: "nondeterministic_output_order" }),
  def({
    name: "sintercard",
    arity: -3,
    flags: "readonly",
    keys: [0, 0, 0],
    keySpecs: [{ flags: ["RO", "access"], begin: { index: 1 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }],
  }),
  storeDef("sinterstore", "RW update"),
  def({ name: "sunion", arity: -2, flags: "readonly", keys: [1, -1, 1], keyFlags: "RO access", tips: "nondeterministic_output_order" }),
  storeDef("sunionstore", "OW update"),
  def({ name: "sdiff", arity: -2, flags: "readonly", keys: [1, -1, 1], keyFlags: "RO access", tips: "nondeterministic_output_order" }),
  storeDef("sdiffstore", "OW update"),
  def({ name: "sscan", arity: -3, flags: "readonly", keys: [1, 1, 1], keyFlags: "RO access", tips: "nondeterministic_output" }),
];
