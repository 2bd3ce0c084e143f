/**
 * The sort family (Redis 7.2's "sort" group): SORT and SORT_RO. The
 * semantics run in the engine (native/src/sort.rs), one native call per command.
 */
import { engineHandler } from "./engine-command.js";
import type { CommandDef, Ctx, Handler, KeySpec } from "./types.js";
import { userHasUnrestrictedKeyAccess } from "../acl/check.js";
import { READ } from "../acl/selector.js";

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

/**
 * SORT's BY (with a '*') and GET patterns read keys no ACL check sees: a user
 * without read access to every key gets Redis's refusal, where its parse
 * meets the first of them (other errors are left to the engine).
 */
function patternsDenied(c: Ctx, readonly: boolean): string | null {
  const argv = c.argv;
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const w = argv[j].toString("latin1").toLowerCase();
    if (w === "asc" || w === "desc" || w === "alpha") continue;
    if (w === "limit" && left >= 2) j += 2;
    else if (!readonly && w === "store" && left >= 1) j++;
    else if (w === "by" && left >= 1) {
      if (argv[++j].includes(42 /* '*' */)) return "ERR BY option of SORT denied due to insufficient ACL permissions.";
    } else if (w === "get" && left >= 1) return "ERR GET option of SORT denied due to insufficient ACL permissions.";
    else return null;
  }
  return null;
}

function sortHandler(name: string): Handler {
  const run = engineHandler(name);
  return (c) => {
    if (!c.client.user.unrestricted) {
      const spec = c.server.commands.get(name)!;
      if (!userHasUnrestrictedKeyAccess(c.client.user, spec, c.argv, READ)) {
        const why = patternsDenied(c, name === "sort_ro");
        if (why !== null) return c.r.error(why);
      }
    }
    run(c);
  };
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
    handler: sortHandler("sort"),
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
    handler: sortHandler("sort_ro"),
  },
];
