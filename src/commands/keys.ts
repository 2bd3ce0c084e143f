/** The generic key family: DEL, EXISTS, EXPIRE, SCAN, ... Semantics in native/src/keyspace.rs. */
import { keys } from "../engine/index.js";
import type { CommandDef } from "./types.js";

const GENERIC = "generic";

export const keyCommands: CommandDef[] = [
  {
    name: "del",
    arity: -2,
    flags: "write",
    keys: [1, -1, 1],
    acl: "keyspace write slow",
    group: GENERIC,
    since: "1.0.0",
    summary: "Deletes one or more keys.",
    complexity: "O(N) where N is the number of keys that will be removed.",
    handler: (c) => {
      let n = 0;
      for (let i = 1; i < c.argv.length; i++) if (keys.del(c.db, c.argv[i])) n++;
      c.r.int(n);
    },
  },
  {
    name: "exists",
    arity: -2,
    flags: "readonly fast",
    keys: [1, -1, 1],
    acl: "keyspace read fast",
    group: GENERIC,
    since: "1.0.0",
    summary: "Determines whether one or more keys exist.",
    handler: (c) => {
      let n = 0;
      for (let i = 1; i < c.argv.length; i++) if (keys.exists(c.db, c.argv[i])) n++;
      c.r.int(n);
    },
  },
  {
    name: "dbsize",
    arity: 1,
    flags: "readonly fast",
    acl: "keyspace read fast",
    group: "server",
    since: "1.0.0",
    summary: "Returns the number of keys in the database.",
    handler: (c) => c.r.int(keys.dbsize(c.db)),
  },
  {
    name: "flushdb",
    arity: -1,
    flags: "write",
    acl: "keyspace write slow dangerous",
    group: "server",
    since: "1.0.0",
    summary: "Removes all keys from the current database.",
    handler: (c) => {
      keys.flushdb(c.db);
      c.r.ok();
    },
  },
  {
    name: "flushall",
    arity: -1,
    flags: "write",
    acl: "keyspace write slow dangerous",
    group: "server",
    since: "1.0.0",
    summary: "Removes all keys from all databases.",
    handler: (c) => {
      keys.flushall();
      c.r.ok();
    },
  },
];
