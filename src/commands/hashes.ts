/**
 * The hash family (Redis 7.2's "hash" group, and the field TTL commands of
 * Redis 7.4 and 8: HEXPIRE ... HPERSIST, HGETDEL, HGETEX, HSETEX): the table's
 * definitions; the semantics run in the engine (native/src/t_hash.rs and
 * t_hash/), one native call per command. Metadata as Redis's commands/*.json
 * (7.2.6's; 7.4.1's and 8.0's for the commands 7.2 lacks, whose COMMAND DOCS
 * are given here).
 */
import { engineHandler } from "./engine-command.js";
import type { CommandDef, DocArg } from "./types.js";

/** The `FIELDS numfields field [field ...]` block of the field TTL commands. */
const FIELDS_BLOCK: DocArg = {
  name: "fields", type: "block", token: "FIELDS", arguments: [
    { name: "numfields", type: "integer" },
    { name: "field", type: "string", flags: ["multiple"] },
  ],
};

/** A field TTL command of Redis 7.4 (key, `args`, then FIELDS): its COMMAND DOCS given here, as 7.2's data lacks them. */
function fieldTtlCommand(name: string, arity: number, flags: string, summary: string, args: DocArg[]): CommandDef {
  const write = flags.startsWith("write");
  return {
    name,
    arity,
    flags,
    keys: [1, 1, 1],
    keyFlags: write ? "RW update" : "RO access",
    acl: `${write ? "write" : "read"} hash fast`,
    docs: {
      group: "hash",
      summary,
      since: "7.4.0",
      complexity: "O(N) where N is the number of specified fields",
      args: [{ name: "key", type: "key", keySpecIndex: 0 }, ...args, FIELDS_BLOCK],
    },
    handler: engineHandler(name),
  };
}

/** HEXPIRE and its kin: a time, then NX | XX | GT | LT. */
function fieldTtlSet(name: string, summary: string, time: DocArg): CommandDef {
  const condition: DocArg = {
    name: "condition", type: "oneof", flags: ["optional"], arguments: ["nx", "xx", "gt", "lt"].map((t) => ({ name: t, type: "pure-token", token: t.toUpperCase() })),
  };
  return fieldTtlCommand(name, -6, "write denyoom fast", summary, [time, condition]);
}

/** HTTL and its kin: the fields' TTLs or expire times. */
function fieldTtlRead(name: string, summary: string): CommandDef {
  return fieldTtlCommand(name, -5, "readonly fast", summary, []);
}

export const hashCommands: CommandDef[] = [
  {
    name: "hset",
    arity: -4,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW update",
    acl: "write hash fast",
    handler: engineHandler("hset"),
  },
  {
    name: "hsetnx",
    arity: 4,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW insert",
    acl: "write hash fast",
    handler: engineHandler("hsetnx"),
  },
  {
    name: "hmset",
    arity: -4,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW update",
    acl: "write hash fast",
    handler: engineHandler("hmset"),
  },
  {
    name: "hget",
    arity: 3,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash fast",
    handler: engineHandler("hget"),
  },
  {
    name: "hmget",
    arity: -3,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash fast",
    handler: engineHandler("hmget"),
  },
  {
    name: "hdel",
    arity: -3,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW delete",
    acl: "write hash fast",
    handler: engineHandler("hdel"),
  },
  {
    name: "hlen",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO",
    acl: "read hash fast",
    handler: engineHandler("hlen"),
  },
  {
    name: "hstrlen",
    arity: 3,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO",
    acl: "read hash fast",
    handler: engineHandler("hstrlen"),
  },
  {
    name: "hexists",
    arity: 3,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO",
    acl: "read hash fast",
    handler: engineHandler("hexists"),
  },
  {
    name: "hkeys",
    arity: 2,
    flags: "readonly",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash slow",
    tips: "nondeterministic_output_order",
    handler: engineHandler("hkeys"),
  },
  {
    name: "hvals",
    arity: 2,
    flags: "readonly",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash slow",
    tips: "nondeterministic_output_order",
    handler: engineHandler("hvals"),
  },
  {
    name: "hgetall",
    arity: 2,
    flags: "readonly",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash slow",
    tips: "nondeterministic_output_order",
    handler: engineHandler("hgetall"),
  },
  {
    name: "hincrby",
    arity: 4,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write hash fast",
    handler: engineHandler("hincrby"),
  },
  {
    name: "hincrbyfloat",
    arity: 4,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write hash fast",
    handler: engineHandler("hincrbyfloat"),
  },
  {
    name: "hrandfield",
    arity: -2,
    flags: "readonly",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash slow",
    tips: "nondeterministic_output",
    handler: engineHandler("hrandfield"),
  },
  {
    name: "hscan",
    arity: -3,
    flags: "readonly",
    keys: [1, 1, 1],
    keyFlags: "RO access",
    acl: "read hash slow",
    tips: "nondeterministic_output",
    handler: engineHandler("hscan"),
  },
  fieldTtlSet("hexpire", "Set expiry for hash field using relative time to expire (seconds)", { name: "seconds", type: "integer" }),
  fieldTtlSet("hpexpire", "Set expiry for hash field using relative time to expire (milliseconds)", { name: "milliseconds", type: "integer" }),
  fieldTtlSet("hexpireat", "Set expiry for hash field using an absolute Unix timestamp (seconds)", { name: "unix-time-seconds", type: "unix-time" }),
  fieldTtlSet("hpexpireat", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", { name: "unix-time-milliseconds", type: "unix-time" }),
  fieldTtlRead("httl", "Returns the TTL in seconds of a hash field."),
  fieldTtlRead("hpttl", "Returns the TTL in milliseconds of a hash field."),
  fieldTtlRead("hexpiretime", "Returns the expiration time of a hash field as a Unix timestamp, in seconds."),
  fieldTtlRead("hpexpiretime", "Returns the expiration time of a hash field as a Unix timestamp, in msec."),
  fieldTtlCommand("hpersist", -5, "write fast", "Removes the expiration time for each specified field", []),
  {
    name: "hgetdel",
    arity: -5,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW access delete",
    acl: "write hash fast",
    docs: {
      group: "hash",
      summary: "Returns the value of a field and deletes it from the hash.",
      since: "8.0.0",
      complexity: "O(N) where N is the number of specified fields",
      args: [
        { name: "key", type: "key", keySpecIndex: 0 },
        FIELDS_BLOCK,
      ],
    },
    handler: engineHandler("hgetdel"),
  },
  {
    name: "hgetex",
    arity: -5,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    keyNotes: "RW and UPDATE because it changes the TTL",
    acl: "write hash fast",
    docs: {
      group: "hash",
      summary: "Get the value of one or more fields of a given hash key, and optionally set their expiration.",
      since: "8.0.0",
      complexity: "O(N) where N is the number of specified fields",
      args: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "expiration", type: "oneof", flags: ["optional"], arguments: [
          { name: "seconds", type: "integer", token: "EX" },
          { name: "milliseconds", type: "integer", token: "PX" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
          { name: "persist", type: "pure-token", token: "PERSIST" },
        ] },
        FIELDS_BLOCK,
      ],
    },
    handler: engineHandler("hgetex"),
  },
  {
    name: "hsetex",
    arity: -6,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW update",
    acl: "write hash fast",
    docs: {
      group: "hash",
      summary: "Set the value of one or more fields of a given hash key, and optionally set their expiration.",
      since: "8.0.0",
      complexity: "O(N) where N is the number of fields being set.",
      args: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "condition", type: "oneof", flags: ["optional"], arguments: [
          { name: "fnx", type: "pure-token", token: "FNX" },
          { name: "fxx", type: "pure-token", token: "FXX" },
        ] },
        { name: "expiration", type: "oneof", flags: ["optional"], arguments: [
          { name: "seconds", type: "integer", token: "EX" },
          { name: "milliseconds", type: "integer", token: "PX" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
          { name: "keepttl", type: "pure-token", token: "KEEPTTL" },
        ] },
        { name: "fields", type: "block", token: "FIELDS", arguments: [
          { name: "numfields", type: "integer" },
          { name: "data", type: "block", flags: ["multiple"], arguments: [
            { name: "field", type: "string" },
            { name: "value", type: "string" },
          ] },
        ] },
      ],
    },
    handler: engineHandler("hsetex"),
  },
];
