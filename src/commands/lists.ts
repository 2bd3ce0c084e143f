/**
 * The list family (Redis 7.2's "list" group): the table's definitions; the
 * semantics run in the engine (native/src/t_list.rs), one native call per
 * command. The blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) serve
 * at once when they can; otherwise the engine answers Code.BLOCK and the
 * blocking machinery (server/blocking.ts) takes over.
 */
import { engineHandler } from "./engine-command.js";
import { rangeKeySpec, type CommandDef, type KeySpec } from "./types.js";

/** One plain definition: a single key at argv[1]. */
function def(name: string, arity: number, flags: string, keyFlags: string, acl = "list"): CommandDef {
  return { name, arity, flags, keys: [1, 1, 1], keyFlags, acl, handler: engineHandler(name) };
}

/** Source popped (argv[1]), destination pushed (argv[2]): LMOVE, RPOPLPUSH and their blocking forms. */
function moveDef(name: string, arity: number, flags: string): CommandDef {
  return {
    name,
    arity,
    flags,
    keys: [1, 2, 1],
    keySpecs: [rangeKeySpec("RW access delete", [1, 1, 1]), rangeKeySpec("RW insert", [2, 2, 1])],
    acl: "list",
    handler: engineHandler(name),
  };
}

/** LMPOP / BLMPOP: numkeys at `numkeysAt`, the keys after it. */
function mpopDef(name: string, arity: number, flags: string, numkeysAt: number): CommandDef {
  const spec: KeySpec = { flags: ["RW", "access", "delete"], begin: { index: numkeysAt }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } };
  return { name, arity, flags, keys: [0, 0, 0], keySpecs: [spec], acl: "list", handler: engineHandler(name) };
}

/** BLPOP / BRPOP: every argument but the last (the timeout) is a key. */
function bpopDef(name: string): CommandDef {
  return { name, arity: -3, flags: "write blocking", keys: [1, -2, 1], keyFlags: "RW access delete", acl: "list", handler: engineHandler(name) };
}

export const listCommands: CommandDef[] = [
  def("lpush", -3, "write denyoom fast", "RW insert"),
  def("rpush", -3, "write denyoom fast", "RW insert"),
  def("lpushx", -3, "write denyoom fast", "RW insert"),
  def("rpushx", -3, "write denyoom fast", "RW insert"),
  def("lpop", -2, "write fast", "RW access delete"),
  def("rpop", -2, "write fast", "RW access delete"),
  def("llen", 2, "readonly fast", "RO"),
  def("lrange", 4, "readonly", "RO access"),
  def("lindex", 3, "readonly", "RO access"),
  def("lset", 4, "write denyoom", "RW update"),
  def("linsert", 5, "write denyoom", "RW insert"),
  def("lrem", 4, "write", "RW delete"),
  def("ltrim", 4, "write", "RW delete"),
  def("lpos", -3, "readonly", "RO access"),
  moveDef("lmove", 5, "write denyoom"),
  moveDef("rpoplpush", 3, "write denyoom"),
  mpopDef("lmpop", -4, "write", 1),
  bpopDef("blpop"),
  bpopDef("brpop"),
  moveDef("blmove", 6, "write denyoom blocking"),
  moveDef("brpoplpush", 4, "write denyoom blocking"),
  mpopDef("blmpop", -5, "write blocking", 2),
];

