/** DEBUG: Redis's debugging subcommands that tests and tools rely on (debug.c). */
import { randomHex } from "../server/node-builtins.js";
import type { CommandDef, Ctx } from "./types.js";
import { NOT_INT, NO_KEY, SYNTAX } from "./errors.js";
import { parseI64 } from "../protocol/numbers.js";
import * as engine from "../engine/index.js";
import { introspection } from "./introspection.js";
import { protectedRefusal } from "./protected-commands.js";
import { reportCrash } from "../server/crash-report.js";
import { replyHelp, subcommandSyntaxError } from "./help.js";
import { rewriteConfig } from "../config/rewrite.js";
import { strerror } from "../config/special.js";
import { memtoull } from "../config/convert.js";
import { replyBufferSettings, setPeakResetTime } from "../server/reply-buffer.js";

const HELP = [
  "AOF-FLUSH-SLEEP <microsec>",
  "    Server will sleep before flushing the AOF, this is used for testing.",
  "ASSERT",
  "    Crash by assertion failed.",
  "CHANGE-REPL-ID",
  "    Change the replication IDs of the instance.",
  "    Dangerous: should be used only for testing the replication subsystem.",
  "CONFIG-REWRITE-FORCE-ALL",
  "    Like CONFIG REWRITE but writes all configuration options, including",
  "    keywords not listed in original configuration file or default values.",
  "CRASH-AND-RECOVER [<milliseconds>]",
  "    Hard crash and restart after a <milliseconds> delay (default 0).",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LEAK <string>",
  "    Create a memory leak of the input string.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "HTSTATS <dbid> [full]",
  "    Return hash table statistics of the specified Redis database.",
  "HTSTATS-KEY <key> [full]",
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  "LOADAOF",
  "    Flush the AOF buffers on disk and reload the AOF in memory.",
  "REPLICATE <string>",
  "    Replicates the provided string to replicas, allowing data divergence.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "DROP-CLUSTER-PACKET-FILTER <packet-type>",
  "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
  "OOM",
  "    Crash the server simulating an out-of-memory error.",
  "PANIC",
  "    Crash the server simulating a panic.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "RESTART [<milliseconds>]",
  "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
  "SDSLEN <key>",
  "    Show low level SDS string info representing `key` and value.",
  "SEGFAULT",
  "    Crash the server with sigsegv.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Sets the threshold for elements to be inserted as plain vs packed nodes",
  "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "STRINGMATCH-TEST",
  "    Run a fuzz tester against the stringmatchlen() function.",
  "STRUCTSIZE",
  "    Return the size of different Redis core C structures.",
  "LISTPACK <key>",
  "    Show low level info about the listpack encoding of <key>.",
  "QUICKLIST <key> [<0|1>]",
  "    Show low level info about the quicklist encoding of <key>.",
  "    The optional argument (0 by default) sets the level of detail",
  "CLIENT-EVICTION",
  "    Show low level client eviction pools info (maxmemory-clients).",
  "PAUSE-CRON <0|1>",
  "    Stop periodic cron job processing.",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
  "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
  "    In case NEVER is provided the last observed peak will never be reset",
  "    In case RESET is provided the peak reset time will be restored to the default value",
  "REPLYBUFFER RESIZING <0|1>",
  "    Enable or disable the reply buffer resize cron job",
  "CLUSTERLINK KILL <to|from|all> <node-id>",
  "    Kills the link based on the direction to/from (both) with the provided node.",
];

/**
 * Features not built here plug into DEBUG through these (persistence: RELOAD and
 * LOADAOF; replication: REPLICATE). Each replies itself.
 */
export const debugHooks: {
  reload?: (c: Ctx, opts: { merge: boolean; flush: boolean; save: boolean }) => void;
  loadaof?: (c: Ctx) => void;
  replicate?: (c: Ctx, argv: Buffer[]) => void;
} = {};

/** Switches DEBUG sets for other features to read (scripting: SET-DISABLE-DENY-SCRIPTS). */
export const debugFlags = { disableDenyScripts: false };

/** Blocks the whole process, as Redis's nanosleep in DEBUG SLEEP does. */
function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** C's atoi: leading integer or 0. */
function atoi(b: Buffer): number {
  const m = /^\s*[+-]?\d+/.exec(b.toString("latin1"));
  return m ? parseInt(m[0], 10) : 0;
}

function protocol(c: Ctx, name: string): void {
  const r = c.r;
  switch (name) {
    case "string":
      return r.bulk("Hello World");
    case "integer":
      return r.int(12345);
    case "double":
      return r.double(3.141);
    case "bignum": {
      const n = "1234567999999999999999999999999999999";
      if (r.resp === 3) r.raw(Buffer.from(`(${n}\r\n`));
      else r.bulk(n);
      return;
    }
    case "null":
      return r.nil();
    case "array":
      r.array(3);
      for (let j = 0; j < 3; j++) r.int(j);
      return;
    case "set":
      r.set(3);
      for (let j = 0; j < 3; j++) r.int(j);
      return;
    case "map":
      r.map(3);
      for (let j = 0; j < 3; j++) {
        r.int(j);
        r.bool(j === 1);
      }
      return;
    case "attrib":
      if (r.resp === 3) {
        r.raw(Buffer.from("|1\r\n"));
        r.bulk("key-popularity");
        r.array(2);
        r.bulk("key:123");
        r.int(90);
      }
      return r.bulk("Some real reply following the attribute");
    case "push":
      if (r.resp < 3) return r.error("ERR RESP2 is not supported by this command");
      r.push(2);
      r.bulk("server-cpu-usage");
      r.int(42);
      return r.bulk("Some real reply following the push reply");
    case "true":
      return r.bool(true);
    case "false":
      return r.bool(false);
    case "verbatim":
      return r.verbatim("This is a verbatim\nstring");
    default:
      return r.error(
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
      );
  }
}

function debug(c: Ctx): void {
  const refusal = protectedRefusal(c, "DEBUG");
  if (refusal) return c.r.error(refusal);
  const argv = c.argv;
  const argc = argv.length;
  const sub = argv[1].toString("latin1").toLowerCase();
  const st = introspection(c.server);
  switch (true) {
    case sub === "help" && argc === 2:
      return replyHelp(c, HELP);
    case sub === "sleep" && argc === 3: {
      const secs = parseFloat(argv[2].toString("latin1"));
      sleepMs(Number.isFinite(secs) ? Math.floor(secs * 1e6) / 1000 : 0);
      return c.r.ok();
    }
    case sub === "object" && argc === 3: {
      const line = engine.debug.object(c.db, argv[2]);
      return line === null ? c.r.error(NO_KEY) : c.r.simple(line);
    }
    case sub === "set-active-expire" && argc === 3:
      c.server.activeExpire = atoi(argv[2]) !== 0;
      return c.r.ok();
    case sub === "populate" && argc >= 3 && argc <= 5: {
      const count = parseI64(argv[2]);
      if (count === null) return c.r.error(NOT_INT);
      if (count < 0) return c.r.error("ERR value is out of range, must be positive");
      let size = 0;
      if (argc === 5) {
        const s = parseI64(argv[4]);
        if (s === null) return c.r.error(NOT_INT);
        if (s < 0) return c.r.error("ERR value is out of range, must be positive");
        size = s;
      }
      engine.debug.populate(c.db, count, argc === 3 ? Buffer.from("key") : argv[3], size);
      return c.r.ok();
    }
    case sub === "digest" && argc === 2:
      return c.r.simple(engine.debug.digest());
    case sub === "digest-value":
      c.r.array(argc - 2);
      for (let j = 2; j < argc; j++) c.r.simple(engine.debug.digestValue(c.db, argv[j]));
      return;
    case sub === "protocol" && argc === 3:
      return protocol(c, argv[2].toString("latin1").toLowerCase());
    case sub === "change-repl-id" && argc === 2:
      c.server.log.notice("Changing replication IDs after receiving DEBUG change-repl-id");
      st.replid = randomHex(20);
      st.replid2 = "0".repeat(40);
      return c.r.ok();
    case sub === "log" && argc === 3:
      c.server.log.warning(`DEBUG LOG: ${argv[2].toString()}`);
      return c.r.ok();
    case sub === "leak" && argc === 3:
      return c.r.ok();
    case sub === "error" && argc === 3:
      // The text as sent, NULs included (Redis copies the whole argument).
      return c.r.error([argv[2]]);
    case sub === "reload": {
      const opts = { merge: false, flush: true, save: true };
      for (const a of argv.slice(2)) {
        const o = a.toString("latin1").toLowerCase();
        if (o === "merge") opts.merge = true;
        else if (o === "noflush") opts.flush = false;
        else if (o === "nosave") opts.save = false;
        else return c.r.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      }
      if (!debugHooks.reload) return c.r.error("ERR DEBUG RELOAD needs RDB persistence, which this server does not have yet");
      return debugHooks.reload(c, opts);
    }
    case sub === "loadaof":
      if (!debugHooks.loadaof) return c.r.error("ERR DEBUG LOADAOF needs AOF persistence, which this server does not have yet");
      return debugHooks.loadaof(c);
    case sub === "replicate" && argc >= 3:
      debugHooks.replicate?.(c, argv.slice(2));
      return c.r.ok();
    case sub === "quicklist-packed-threshold" && argc === 3: {
      const sz = memtoull(argv[2].toString("latin1"));
      if (sz === null || sz > 0xffffffffn || !engine.lists.setPackedThreshold(Number(sz))) {
        return c.r.error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
      }
      return c.r.ok();
    }
    case sub === "set-skip-checksum-validation" && argc === 3:
      engine.persistence.setSkipChecksum(atoi(argv[2]) !== 0);
      return c.r.ok();
    case sub === "pause-cron" && argc === 3:
      c.server.cronPaused = atoi(argv[2]) !== 0;
      return c.r.ok();
    case (sub === "aof-flush-sleep" ||
      sub === "drop-cluster-packet-filter") &&
      argc === 3:
      return c.r.ok();
    case sub === "set-disable-deny-scripts" && argc === 3:
      debugFlags.disableDenyScripts = atoi(argv[2]) !== 0;
      return c.r.ok();
    case sub === "replybuffer" && argc === 4: {
      const what = argv[2].toString("latin1").toLowerCase();
      if (what === "peak-reset-time") {
        if (!setPeakResetTime(argv[3].toString("latin1"))) return c.r.error(NOT_INT);
      } else if (what === "resizing") replyBufferSettings.resizing = atoi(argv[3]) !== 0;
      else return c.r.error(subcommandSyntaxError(c));
      return c.r.ok();
    }
    case sub === "htstats" && argc >= 3: {
      const db = parseI64(argv[2]);
      if (db === null) return c.r.error(NOT_INT);
      if (db < 0 || db >= c.server.config.int("databases")) return c.r.error("ERR Out of range database");
      const full = argc >= 4 && argv[3].toString("latin1").toLowerCase() === "full";
      return c.r.verbatim(engine.debug.htstats(db, full));
    }
    case sub === "segfault":
      // The report Redis's SIGSEGV handler writes (si_code SEGV_ACCERR), then the fault itself.
      reportCrash(c.server.log, 11, 2);
      return engine.debug.segfault();
    case sub === "htstats-key" && argc >= 3: {
      const full = argc >= 4 && argv[3].toString("latin1").toLowerCase() === "full";
      const stats = engine.debug.htstatsKey(c.db, argv[2], full);
      if (!stats.found) return c.r.error(NO_KEY);
      if (stats.text === null) return c.r.error("ERR The value stored at the specified key is not represented using an hash table");
      return c.r.verbatim(stats.text);
    }
    case (sub === "mallctl" || sub === "mallctl-str") && argc >= 3: {
      // The allocator's settings, as Redis built with jemalloc: an integer (or a string) read, written when a value follows.
      const res = engine.server.mallctl(argv[2], argv[3], sub === "mallctl-str");
      if (res.kind === "int") return c.r.int(Number(res.text));
      if (res.kind === "str") return c.r.bulk(res.text);
      if (res.kind === "ok") return c.r.ok();
      return c.r.error(res.kind === "notint" ? NOT_INT : `ERR ${res.text}`);
    }
    case sub === "structsize" && argc === 2:
      return c.r.bulk("bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ");
    case (sub === "listpack" || sub === "quicklist") && (argc === 3 || argc === 4): {
      if (!engine.keys.exists(c.db, argv[2])) return c.r.error(NO_KEY);
      // Redis prints the structure on its stdout; the reply is all a client sees.
      const encoding = / encoding:(\S+)/.exec(engine.debug.object(c.db, argv[2]) ?? "")?.[1];
      if (encoding === sub) return c.r.simple(sub === "listpack" ? "Listpack structure printed on stdout" : "Quicklist structure printed on stdout");
      return c.r.error(sub === "listpack" ? "ERR Not a listpack encoded object." : "ERR Not a quicklist encoded object.");
    }
    case sub === "config-rewrite-force-all" && argc === 2:
      // Redis passes its NULL config file name on, and fopen answers EFAULT.
      if (!c.server.config.file) return c.r.error("ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address");
      try {
        rewriteConfig(c.server.config, true);
      } catch (e) {
        return c.r.error(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${strerror(e)}`);
      }
      return c.r.ok();
    case sub === "stringmatch-test" && argc === 2:
      return c.r.simple("Apparently Redis did not crash: test passed");
    case sub === "jmap":
      return c.r.ok();
    // Not Redis's: a test hook (not in HELP) proving that a panic in the Rust
    // addon becomes "-ERR internal error ..." and the server keeps serving.
    // RAW panics in a raw callback, NAPI in a #[napi] function.
    case sub === "native-panic-test" && argc === 4: {
      const kind = argv[2].toString("latin1").toLowerCase();
      if (kind !== "raw" && kind !== "napi") return c.r.error(SYNTAX);
      engine.debug.panicTest(kind, argv[3]);
      return c.r.ok();
    }
    default:
      return c.r.error(subcommandSyntaxError(c));
  }
}

export const debugCommands: CommandDef[] = [
  {
    name: "debug",
    arity: -2,
    flags: "admin noscript loading stale protected",
    acl: "admin slow dangerous",
    handler: debug,
  },
];
