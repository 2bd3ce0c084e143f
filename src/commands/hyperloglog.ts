/**
 * The hyperloglog family (Redis 7.2's "hyperloglog" group): the table's definitions; the
 * semantics run in the engine (native/src/hyperloglog.rs), one native call per command.
 */
import { rangeKeySpec, type CommandDef } from "./types.js";
import { engineHandler } from "./engine-command.js";

export const hyperloglogCommands: CommandDef[] = [
  { name: "pfadd", arity: -2, flags: "write denyoom fast", keys: [1, 1, 1], keyFlags: "RW insert", acl: "write hyperloglog fast", handler: engineHandler("pfadd") },
  {
    name: "pfcount",
    arity: -2,
    flags: "readonly may_replicate",
    keys: [1, -1, 1],
    keyFlags: "RW access",
    keyNotes: "RW because it may change the internal representation of the key, and propagate to replicas",
    acl: "read hyperloglog slow",
    handler: engineHandler("pfcount"),
  },
  {
    name: "pfmerge",
    arity: -2,
    flags: "write denyoom",
    keys: [1, -1, 1],
    keySpecs: [rangeKeySpec("RW access insert", [1, 1, 1]), rangeKeySpec("RO access", [2, -1, 1])],
    acl: "write hyperloglog slow",
    handler: engineHandler("pfmerge"),
  },
  { name: "pfdebug", arity: 3, flags: "write denyoom admin", keys: [2, 2, 1], keyFlags: "RW access", acl: "write hyperloglog slow", handler: engineHandler("pfdebug") },
  { name: "pfselftest", arity: 1, flags: "admin", acl: "hyperloglog slow", handler: engineHandler("pfselftest") },
];
