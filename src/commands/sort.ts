/**
 * The sort family (Redis 7.2's "sort" group): SORT and SORT_RO. The
 * semantics run in the engine (native/src/sort.rs), one native call per command.
 */
import { engineHandler } from "./engine-command.js";
import type { CommandDef, KeySpec } from "./types.js";

const SORTED_KEY: KeySpec = { flags: ["RO", "access"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } };
const PATTERN_KEYS: KeySpec = {
  flags: ["RO", "access"],
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  begin: "unknown",
  find: "unknown",
};
const STORE_KEY: KeySpec = {
  flags: ["OW", "update"],
  notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
  begin: "unknown",
  find: "unknown",
};

/** Words SORT's key finder skips with their arguments (Redis's sortGetKeys). */
const SKIP = new Map([
  ["limit", 2],
  ["get", 1],
  ["by", 1],
]);

/**
 * SORT's keys (Redis's sortGetKeys): the sorted key, and the last STORE's
 * destination. As Redis's, the scan looks at STORE's argument again, so a
 * destination named like an option word is skipped over as one.
 */
export function sortKeys(argv: Buffer[]): { pos: number; flags: string[] }[] {
  const keys = [{ pos: 1, flags: ["RO", "access"] }];
  let store = 0;
  for (let i = 2; i < argv.length; i++) {
    const w = argv[i].toString("latin1").toLowerCase();
    const skip = SKIP.get(w);
    if (skip !== undefined) i += skip;
    else if (w === "store" && i + 1 < argv.length) store = i + 1;
  }
  if (store) keys.push({ pos: store, flags: ["OW", "update"] });
  return keys;
}

export const sortCommands: CommandDef[] = [
  {
    name: "sort",
    arity: -2,
    flags: "write denyoom",
    keys: [1, 1, 1],
    acl: "set sortedset list dangerous",
    keySpecs: [SORTED_KEY, PATTERN_KEYS, STORE_KEY],
    getKeys: sortKeys,
    handler: engineHandler("sort"),
  },
  {
    name: "sort_ro",
    arity: -2,
    flags: "readonly",
    keys: [1, 1, 1],
    acl: "set sortedset list dangerous",
    keySpecs: [SORTED_KEY, PATTERN_KEYS],
    // Redis's sortROGetKeys: the sorted key only.
    getKeys: () => [1],
    handler: engineHandler("sort_ro"),
  },
];
