/** MEMORY: USAGE (native/src/api/memory.rs), STATS, DOCTOR, MALLOC-STATS, PURGE, HELP. */
import type { CommandDef, Ctx } from "./types.js";
import { replyHelp } from "./help.js";
import { SYNTAX } from "./errors.js";
import { parseI64 } from "../protocol/numbers.js";
import * as engine from "../engine/index.js";
import { keys } from "../engine/index.js";
import { introspection, memoryOverhead, usedMemory } from "./introspection.js";
import { collectGarbage } from "../server/heap-gc.js";

const HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

/** Redis's MEMORY DOCTOR texts for the cases Nodis can tell: an instance under 5 MB is "empty". */
const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_FINE = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

/** MEMORY USAGE key [SAMPLES count]. */
function usage(c: Ctx): void {
  const { argv, r } = c;
  let samples = 5;
  for (let j = 3; j < argv.length; j++) {
    if (argv[j].toString("latin1").toLowerCase() === "samples" && j + 1 < argv.length) {
      const n = parseI64(argv[j + 1]);
      if (n === null) return r.error("ERR value is not an integer or out of range");
      if (n < 0) return r.error(SYNTAX);
      samples = Number(n);
      j++;
    } else return r.error(SYNTAX);
  }
  const bytes = keys.memoryUsage(c.db, argv[2], samples);
  if (bytes === null) return r.nil();
  r.int(bytes);
}

/** MEMORY STATS: Redis's fields; what Nodis does not have (replication backlog, AOF buffer) is 0; the allocator.* fields are jemalloc's (the addon's memory). */
function stats(c: Ctx): void {
  const { r, server } = c;
  const used = usedMemory();
  const st = introspection(server);
  if (used > st.peakMemory) st.peakMemory = used;
  const rss = process.memoryUsage.rss();
  const mo = memoryOverhead(server);
  let totalKeys = 0;
  for (const [db] of mo.dbs) totalKeys += keys.dbsize(db);
  const overhead = Math.min(mo.total, used);
  const dataset = used - overhead;
  const dbs = mo.dbs;
  r.map(27 + dbs.length);
  const int = (name: string, v: number) => {
    r.bulk(name);
    r.int(Math.floor(v));
  };
  const dbl = (name: string, v: number) => {
    r.bulk(name);
    r.double(v);
  };
  int("peak.allocated", st.peakMemory);
  int("total.allocated", used);
  int("startup.allocated", mo.startup);
  int("replication.backlog", 0);
  int("clients.slaves", mo.clientsReplicas);
  int("clients.normal", mo.clientsNormal);
  int("cluster.links", 0);
  int("aof.buffer", 0);
  int("lua.caches", 0);
  int("functions.caches", 0);
  for (const [db, main, expires] of dbs) {
    r.bulk(`db.${db}`);
    r.map(3);
    int("overhead.hashtable.main", main);
    int("overhead.hashtable.expires", expires);
    int("overhead.hashtable.slot-to-keys", 0);
  }
  int("overhead.total", overhead);
  int("keys.count", totalKeys);
  int("keys.bytes-per-key", totalKeys > 0 ? (used - mo.startup) / totalKeys : 0);
  int("dataset.bytes", dataset);
  dbl("dataset.percentage", used > mo.startup ? (dataset * 100) / (used - mo.startup) : 0);
  dbl("peak.percentage", st.peakMemory > 0 ? (used * 100) / st.peakMemory : 0);
  const a = engine.server.allocatorStats();
  int("allocator.allocated", a.allocated);
  int("allocator.active", a.active);
  int("allocator.resident", a.resident);
  dbl("allocator-fragmentation.ratio", a.allocated > 0 ? a.active / a.allocated : 0);
  int("allocator-fragmentation.bytes", a.active - a.allocated);
  dbl("allocator-rss.ratio", a.active > 0 ? a.resident / a.active : 0);
  int("allocator-rss.bytes", a.resident - a.active);
  dbl("rss-overhead.ratio", a.resident > 0 ? rss / a.resident : 0);
  int("rss-overhead.bytes", rss - a.resident);
  dbl("fragmentation", used > 0 ? rss / used : 1);
  int("fragmentation.bytes", rss - used);
}

/** MEMORY PURGE: JavaScript's garbage collected, then jemalloc's and the C library's free pages returned to the system. */
function purge(c: Ctx): void {
  collectGarbage();
  engine.server.mallocTrim();
  c.r.ok();
}

const sub = (def: Omit<CommandDef, "arity"> & { arity?: number }): CommandDef => ({ arity: 2, ...def });

export const memoryCommands: CommandDef[] = [
  {
    name: "memory",
    arity: -2,
    handler: () => {},
    // In the order Redis 7.2 lists them (COMMAND INFO).
    subcommands: [
      sub({ name: "stats", tips: "nondeterministic_output request_policy:all_shards response_policy:special", acl: "slow", handler: stats }),
      sub({ name: "malloc-stats", tips: "nondeterministic_output request_policy:all_shards response_policy:special", acl: "slow", handler: (c) => c.r.bulk(engine.server.mallocStats()) }),
      sub({ name: "purge", tips: "request_policy:all_shards response_policy:all_succeeded", acl: "slow", handler: purge }),
      sub({ name: "help", flags: "loading stale", acl: "slow", handler: (c) => replyHelp(c, HELP) }),
      { name: "usage", arity: -3, flags: "readonly", keys: [2, 2, 1], keyFlags: "RO", acl: "read slow", handler: usage },
      // The dataset (the engine's memory, not V8's heap) under 5 MB counts as empty, as used_memory does in Redis.
      sub({ name: "doctor", tips: "nondeterministic_output request_policy:all_shards response_policy:special", acl: "slow", handler: (c) => c.r.verbatim(engine.server.usedMemory() < 5 * 1024 * 1024 ? DOCTOR_EMPTY : DOCTOR_FINE) }),
    ],
  },
];
