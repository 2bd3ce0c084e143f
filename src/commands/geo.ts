/**
 * The geo family (Redis 7.2's "geo" group): the table's definitions; the
 * semantics run in the engine (native/src/geo.rs), one native call per command.
 */
import { rangeKeySpec, type CommandDef, type KeySpec } from "./types.js";
import { engineHandler } from "./engine-command.js";

/** The STORE / STOREDIST destination key spec of GEORADIUS(BYMEMBER), searched from `from`. */
function storeSpec(keyword: string, from: number): KeySpec {
  return { flags: ["OW", "update"], begin: { keyword, startfrom: from }, find: { lastkey: 0, keystep: 1, limit: 0 } };
}

function georadiusDef(name: string, arity: number, storeFrom: number): CommandDef {
  return {
    name,
    arity,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keySpecs: [rangeKeySpec("RO access", [1, 1, 1]), storeSpec("STORE", storeFrom), storeSpec("STOREDIST", storeFrom)],
    acl: "write geo slow",
    handler: engineHandler(name),
  };
}

function readDef(name: string, arity: number): CommandDef {
  return { name, arity, flags: "readonly", keys: [1, 1, 1], acl: "read geo slow", handler: engineHandler(name) };
}

export const geoCommands: CommandDef[] = [
  { name: "geoadd", arity: -5, flags: "write denyoom", keys: [1, 1, 1], keyFlags: "RW update", acl: "write geo slow", handler: engineHandler("geoadd") },
  readDef("geopos", -2),
  readDef("geodist", -4),
  readDef("geohash", -2),
  readDef("geosearch", -7),
  {
    name: "geosearchstore",
    arity: -8,
    flags: "write denyoom",
    keys: [1, 2, 1],
    keySpecs: [rangeKeySpec("OW update", [1, 1, 1]), rangeKeySpec("RO access", [2, 2, 1])],
    acl: "write geo slow",
    handler: engineHandler("geosearchstore"),
  },
  georadiusDef("georadius", -6, 6),
  readDef("georadius_ro", -6),
  georadiusDef("georadiusbymember", -5, 5),
  readDef("georadiusbymember_ro", -5),
];
