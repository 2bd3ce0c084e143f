/**
 * FUNCTION and FCALL (Redis 7's functions): the definitions; the libraries
 * live in src/scripting/library.ts and run like scripts (src/scripting/eval.ts).
 */
import { echo } from "./errors.js";
import { replyHelp } from "./help.js";
import type { CommandDef, Ctx } from "./types.js";
import { parseI64 } from "../protocol/numbers.js";
import { scripting, state } from "../engine/index.js";
import { feedScriptToMonitors, killDef, runChecked } from "../scripting/eval.js";
import { busy, SLOW_EVAL } from "../scripting/bridge.js";
import { deleteLibrary, dumpLibraries, findFunction, flagNames, flushLibraries, functionCount, libraryCount, listLibraries, loadLibrary, restoreLibraries, type RestorePolicy } from "../scripting/library.js";
import { subcommandSyntaxError } from "./help.js";

/** FCALL / FCALL_RO: the function by name, its keys after a count, run like a script. */
function fcall(c: Ctx, ro: boolean): void {
  feedScriptToMonitors(c);
  const f = findFunction(c.argv[1].toString("latin1"));
  if (!f) return c.r.error("ERR Function not found");
  const numkeys = parseI64(c.argv[2]);
  if (numkeys === null) return c.r.error("ERR Bad number of keys provided");
  if (numkeys > c.argv.length - 3) return c.r.error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) return c.r.error("ERR Number of keys can't be negative");
  // From now on the batch path may run it (server/batch.ts), found by its name in lowercase as findFunction does.
  scripting.batchRegisterOnce(true, f, () => Buffer.from(f.name.toLowerCase(), "latin1"), f.keyBytes, f.nameBytes, f.flags);
  runChecked(c, f.flags, ro, f.name, (busyMs) => scripting.run(f.keyBytes, f.nameBytes, true, c.argv, 3, numkeys, c.client.resp, busyMs, c.r));
}

function fcallDef(readonly: boolean): CommandDef {
  const [access, words] = readonly ? ["RO access", "RO and ACCESS"] : ["RW access update", "RW and UPDATE"];
  return {
    name: readonly ? "fcall_ro" : "fcall",
    arity: -3,
    flags: readonly ? "noscript stale skip_monitor no_mandatory_keys readonly" : "noscript skip_monitor may_replicate no_mandatory_keys stale",
    keys: [0, 0, 0],
    keySpecs: [
      {
        flags: access.split(" "),
        notes: `We cannot tell how the keys will be used so we assume the worst, ${words}`,
        begin: { index: 2 },
        find: { keynumidx: 0, firstkey: 1, keystep: 1 },
      },
    ],
    acl: "slow scripting",
    handler: (c: Ctx) => fcall(c, readonly),
  };
}

const HELP = [
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
];

export const functionCommands: CommandDef[] = [
  {
    name: "function",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "load",
        arity: -3,
        flags: "write denyoom noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => {
          let replace = false;
          let i = 2;
          for (; i < c.argv.length - 1; i++) {
            if (c.argv[i].toString("latin1").toLowerCase() === "replace") replace = true;
            else return c.r.error(echo`ERR Unknown option given: ${c.argv[i]}`);
          }
          const r = loadLibrary(c.argv[i], replace);
          if (typeof r !== "string") return c.r.error(`ERR ${r.error}`);
          state.addDirty(1);
          c.r.bulk(r);
        },
      },
      {
        name: "flush",
        arity: -2,
        flags: "write noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => {
          if (c.argv.length > 3) return c.r.error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
          const mode = c.argv[2]?.toString("latin1").toLowerCase();
          if (mode !== undefined && mode !== "sync" && mode !== "async") {
            return c.r.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
          }
          flushLibraries();
          state.addDirty(1);
          c.r.ok();
        },
      },
      {
        name: "list",
        arity: -2,
        flags: "noscript",
        acl: "slow scripting",
        tips: "nondeterministic_output_order",
        handler: (c) => {
          let withCode = false;
          let pattern: Buffer | null = null;
          for (let i = 2; i < c.argv.length; i++) {
            const a = c.argv[i].toString("latin1").toLowerCase();
            if (!withCode && a === "withcode") withCode = true;
            else if (pattern === null && a === "libraryname") {
              if (i >= c.argv.length - 1) return c.r.error("ERR library name argument was not given");
              pattern = c.argv[++i];
            } else return c.r.error(echo`ERR Unknown argument ${c.argv[i]}`);
          }
          const libs = listLibraries(pattern);
          c.r.array(libs.length);
          for (const lib of libs) {
            c.r.map(withCode ? 4 : 3);
            c.r.bulk("library_name");
            c.r.bulk(lib.name);
            c.r.bulk("engine");
            c.r.bulk("LUA");
            c.r.bulk("functions");
            c.r.array(lib.functions.size);
            for (const f of lib.functions.values()) {
              c.r.map(3);
              c.r.bulk("name");
              c.r.bulk(f.name);
              c.r.bulk("description");
              if (f.description) c.r.bulk(f.description);
              else c.r.nil();
              c.r.bulk("flags");
              const names = flagNames(f.flags);
              c.r.set(names.length);
              for (const n of names) c.r.simple(n);
            }
            if (withCode) {
              c.r.bulk("library_code");
              c.r.bulk(lib.code);
            }
          }
        },
      },
      {
        name: "delete",
        arity: 3,
        flags: "write noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => {
          if (!deleteLibrary(c.argv[2].toString("latin1"))) return c.r.error("ERR Library not found");
          state.addDirty(1);
          c.r.ok();
        },
      },
      killDef(false),
      {
        name: "stats",
        arity: 2,
        flags: "noscript allow_busy",
        acl: "slow scripting",
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        handler: (c) => {
          if (busy.script?.isEval) return c.r.error(SLOW_EVAL);
          c.r.map(2);
          c.r.bulk("running_script");
          const b = busy.script;
          if (b === null) c.r.nil();
          else {
            c.r.map(3);
            c.r.bulk("name");
            c.r.bulk(b.name);
            c.r.bulk("command");
            c.r.bulks(b.argv);
            c.r.bulk("duration_ms");
            c.r.int(Math.floor(scripting.runningMs()));
          }
          c.r.bulk("engines");
          c.r.map(1);
          c.r.bulk("LUA");
          c.r.map(2);
          c.r.bulk("libraries_count");
          c.r.int(libraryCount());
          c.r.bulk("functions_count");
          c.r.int(functionCount());
        },
      },
      {
        name: "dump",
        arity: 2,
        flags: "noscript",
        acl: "slow scripting",
        handler: (c) => c.r.bulk(dumpLibraries(c.server.config.bool("rdbcompression"))),
      },
      {
        name: "restore",
        arity: -3,
        flags: "write denyoom noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => {
          if (c.argv.length > 4) return c.r.error(subcommandSyntaxError(c));
          let policy: RestorePolicy = "append";
          if (c.argv.length === 4) {
            const p = c.argv[3].toString("latin1").toLowerCase();
            if (p !== "append" && p !== "replace" && p !== "flush") {
              return c.r.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
            }
            policy = p;
          }
          const err = restoreLibraries(c.argv[2], policy);
          if (err !== null) return c.r.error(`ERR ${err}`);
          state.addDirty(1);
          c.r.ok();
        },
      },
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        acl: "slow scripting",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
  fcallDef(false),
  fcallDef(true),
];
