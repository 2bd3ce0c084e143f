/** OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ / HELP (native/src/generic.rs `object_cmd`). */
import { keys, answer, Code } from "../engine/index.js";
import type { Server } from "../server/server.js";
import type { CommandDef, Ctx } from "./types.js";
import { replyHelp } from "./help.js";


const LFU_SELECTED =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

/** Servers whose maxmemory-policy changes are mirrored into the engine. */
const tracked = new WeakSet<Server>();

function lfuPolicy(server: Server): boolean {
  return server.config.get("maxmemory-policy").includes("lfu");
}

/**
 * Mirrors the LRU/LFU choice and the LFU parameters into the engine, now and on
 * every later CONFIG SET. The server installs it when it starts; OBJECT and
 * FLUSHDB/FLUSHALL also call it, which is a no-op once installed.
 */
export function trackEvictionPolicy(server: Server): boolean {
  const lfu = lfuPolicy(server);
  if (!tracked.has(server)) {
    tracked.add(server);
    const apply = () => keys.setLfu(lfuPolicy(server), server.config.int("lfu-log-factor"), server.config.int("lfu-decay-time"));
    apply();
    server.config.onChange((name) => {
      if (name === "maxmemory-policy" || name === "lfu-log-factor" || name === "lfu-decay-time") apply();
      return undefined;
    });
  }
  return lfu;
}

/** A subcommand that reports `what` about a key; nil for a missing key. */
function report(what: number, needLfu: boolean | null) {
  return (c: Ctx) => {
    const lfu = trackEvictionPolicy(c.server);
    if (needLfu !== null && lfu !== needLfu) {
      // Redis looks the key up first: a missing key is nil even under the wrong policy.
      if (!keys.existsRead(c.db, c.argv[2])) return c.r.nil();
      return c.r.error(needLfu ? LFU_NOT_SELECTED : LFU_SELECTED);
    }
    const res = keys.object(c.db, c.argv[2], what, c.r);
    if (res === Code.NIL) c.r.nil();
    else answer(c.r, res);
  };
}

const sub = (name: string, what: number, needLfu: boolean | null): CommandDef => ({
  name,
  arity: 3,
  flags: "readonly",
  keys: [2, 2, 1],
  keyFlags: "RO",
  acl: "keyspace read slow",
  tips: "nondeterministic_output",
  handler: report(what, needLfu),
});

export const objectCommands: CommandDef[] = [
  {
    name: "object",
    arity: -2,
    handler: () => {},
    subcommands: [
      sub("encoding", keys.OBJ_ENCODING, null),
      sub("refcount", keys.OBJ_REFCOUNT, null),
      sub("idletime", keys.OBJ_IDLETIME, false),
      sub("freq", keys.OBJ_FREQ, true),
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        acl: "keyspace slow",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];
