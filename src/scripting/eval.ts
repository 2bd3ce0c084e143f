/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.2's eval.c): the
 * script is found or compiled (cache.ts), checked against its shebang flags,
 * and run synchronously in the interpreter; its commands come back through
 * bridge.ts. The script's own reply is written as the interpreter made it.
 */
import type { CommandDef, Ctx } from "../commands/types.js";
import { NOT_INT } from "../commands/errors.js";
import { replyHelp } from "../commands/help.js";
import { parseI64 } from "../protocol/numbers.js";
import { scripting } from "../engine/index.js";
import { cached, cachedFor, createScript, flushScripts, type CachedScript } from "./cache.js";
import { SCRIPT_FLAG_ALLOW_OOM, SCRIPT_FLAG_ALLOW_STALE, SCRIPT_FLAG_EVAL_COMPAT_MODE, SCRIPT_FLAG_NO_WRITES } from "./shebang.js";
import { MISCONF } from "../persistence/index.js";
import { SCRIPT_OOM } from "../server/eviction.js";
import { diskError, killScript, runningScript, suspend, withScript } from "./bridge.js";
import "./info.js";
import { introspection } from "../commands/introspection.js";
import { feedMonitors } from "../commands/monitor-feed.js";

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/** Redis's shared.masterdownerr and the script forms of its refusals (scriptPrepareForRun). */
const MASTERDOWN_SCRIPT =
  "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.";
const MISCONF_SCRIPT = "Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";

/**
 * Why a script with `flags` may not start now, in Redis's scriptPrepareForRun order, or null:
 * a stale replica (unless allow-stale), then for scripts that may write a read-only replica,
 * the disk, *_RO, min-replicas-to-write, then memory (unless allow-oom).
 */
function scriptRefusal(c: Ctx, flags: number, compat: boolean, ro: boolean): string | null {
  const server = c.server;
  // The replication gate answers as for a command: GET shows a stale link, SET a read-only replica or too few replicas.
  const gate = server.replicationGate;
  const asRead = gate?.(c.client, server.commands.get("get")!) ?? null;
  const stale = asRead !== null && asRead.startsWith("MASTERDOWN");
  if (compat) return stale ? asRead : null;
  if (stale && (flags & SCRIPT_FLAG_ALLOW_STALE) === 0) return MASTERDOWN_SCRIPT;
  if ((flags & SCRIPT_FLAG_NO_WRITES) === 0) {
    const asWrite = gate?.(c.client, server.commands.get("set")!) ?? null;
    if (asWrite !== null && asWrite.startsWith("READONLY")) return "READONLY Can not run script with write flag on readonly replica";
    const disk = diskError.of(server);
    if (disk !== null) {
      if (disk === MISCONF) return `MISCONF ${MISCONF_SCRIPT}`;
      // The AOF's error ends with the system's reason, as Redis's strerror(aof_last_write_errno).
      const reason = disk.slice(disk.lastIndexOf(": ") + 2);
      return `MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${reason}`;
    }
    if (ro) return "ERR Can not execute a script with write flag using *_ro command.";
    if (asWrite !== null && asWrite.startsWith("NOREPLICAS")) return asWrite;
  }
  const ev = server.eviction;
  if (ev.maxmemory !== 0 && ev.preCommandOom && (flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES)) === 0) return SCRIPT_OOM;
  return null;
}

/**
 * Runs a script or function for the command in `c` after Redis's
 * scriptPrepareForRun checks on its flags (`ro`: EVAL_RO / FCALL_RO);
 * `exec` runs it in the interpreter, writes its reply into c.r and returns
 * its flag (engine/scripting.ts run).
 */
export function runChecked(c: Ctx, flags: number, ro: boolean, name: string, exec: (busyMs: number) => number): void {
  c.propagate = false; // the script's commands propagate themselves
  const compat = (flags & SCRIPT_FLAG_EVAL_COMPAT_MODE) !== 0;
  if (runningScript() !== null) return c.r.error("ERR This Redis command is not allowed from script");
  const refusal = scriptRefusal(c, flags, compat, ro);
  if (refusal !== null) return c.r.error(refusal);
  const run = {
    server: c.server,
    client: c.client,
    db: c.client.db,
    readonly: ro || (!compat && (flags & SCRIPT_FLAG_NO_WRITES) !== 0),
    writeDirty: false,
    allowOom: !compat && (flags & SCRIPT_FLAG_ALLOW_OOM) !== 0,
    replFlags: 3,
  };
  const busyMs = c.server.config.int("busy-reply-threshold");
  const flag = withScript(run, () => exec(busyMs));
  if (flag === scripting.SUSPENDED) {
    const isEval = c.argv[0].toString("latin1").toLowerCase().startsWith("eval");
    return suspend({ run, isEval, name, spec: c.server.commands.get(isEval ? (ro ? "eval_ro" : "eval") : ro ? "fcall_ro" : "fcall")!, argv: c.argv });
  }
  // The error (if the reply is one) was already counted by the command that failed.
  if (flag === 1) c.noErrorStats = true;
}

/** EVAL*, FCALL*: MONITOR sees the script's command before those it runs (they are skip_monitor for call()). */
export function feedScriptToMonitors(c: Ctx): void {
  const monitors = introspection(c.server).monitors;
  if (monitors.size > 0) feedMonitors(c.server, monitors, c.client, c.argv, null);
}

function evalGeneric(c: Ctx, evalsha: boolean, ro: boolean): void {
  feedScriptToMonitors(c);
  const argv = c.argv;
  if (evalsha && argv[1].length !== 40) return c.r.error(NOSCRIPT);
  const numkeys = parseI64(argv[2]);
  if (numkeys === null) return c.r.error(NOT_INT);
  if (numkeys > argv.length - 3) return c.r.error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) return c.r.error("ERR Number of keys can't be negative");
  let sha: string;
  let script: CachedScript | undefined;
  if (evalsha) {
    script = cachedFor(argv[1]);
    if (!script) return c.r.error(NOSCRIPT);
    sha = script.shaText;
  } else {
    const made = createScript(argv[1]);
    if (typeof made === "string") return c.r.error(made);
    sha = made.sha;
    script = made.script;
  }
  // From now on the batch path may run it (server/batch.ts).
  scripting.batchRegisterOnce(false, script, () => script.sha, script.key, script.sha, script.flags);
  runChecked(c, script.flags, ro, sha, (busyMs) => scripting.run(script.key, script.sha, false, c.argv, 3, numkeys, c.client.resp, busyMs, c.r));
}

/** SCRIPT KILL (`isEval`) and FUNCTION KILL: the same command for the two kinds of script. */
export function killDef(isEval: boolean): CommandDef {
  return {
    name: "kill",
    arity: 2,
    flags: "noscript allow_busy",
    acl: "slow scripting",
    tips: "request_policy:all_shards response_policy:one_succeeded",
    handler: (c) => {
      const err = killScript(isEval);
      if (err !== null) return c.r.error(err);
      c.r.ok();
    },
  };
}

function evalDef(name: string, evalsha: boolean, ro: boolean): CommandDef {
  return {
    name,
    arity: -3,
    flags: ro ? "noscript skip_monitor no_mandatory_keys stale readonly" : "noscript skip_monitor may_replicate no_mandatory_keys stale",
    keys: [0, 0, 0],
    keySpecs: [
      {
        flags: ro ? ["RO", "access"] : ["RW", "access", "update"],
        ...(evalsha ? {} : { notes: `We cannot tell how the keys will be used so we assume the worst, ${ro ? "RO and ACCESS" : "RW and UPDATE"}` }),
        begin: { index: 2 },
        find: { keynumidx: 0, firstkey: 1, keystep: 1 },
      },
    ],
    acl: "slow scripting",
    handler: (c) => evalGeneric(c, evalsha, ro),
  };
}

const HELP = [
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
];

export const evalCommands: CommandDef[] = [
  evalDef("eval", false, false),
  evalDef("evalsha", true, false),
  evalDef("eval_ro", false, true),
  evalDef("evalsha_ro", true, true),
  {
    name: "script",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "load",
        arity: 3,
        flags: "noscript stale",
        acl: "slow scripting",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: (c) => {
          const made = createScript(c.argv[2]);
          if (typeof made === "string") return c.r.error(made);
          c.r.bulk(made.sha);
        },
      },
      {
        name: "exists",
        arity: -3,
        flags: "noscript",
        acl: "slow scripting",
        tips: "request_policy:all_shards response_policy:agg_logical_and",
        handler: (c) => {
          c.r.array(c.argv.length - 2);
          // Redis looks the argument up as given: a sha in upper case is not found.
          for (let i = 2; i < c.argv.length; i++) c.r.int(cached(c.argv[i].toString("latin1")) ? 1 : 0);
        },
      },
      {
        name: "flush",
        arity: -2,
        flags: "noscript",
        acl: "slow scripting",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: (c) => {
          const mode = c.argv.length === 3 ? c.argv[2].toString("latin1").toLowerCase() : c.argv.length === 2 ? "" : "bad";
          if (mode !== "" && mode !== "sync" && mode !== "async") return c.r.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
          flushScripts();
          c.r.ok();
        },
      },
      killDef(true),
      {
        name: "debug",
        arity: 3,
        flags: "noscript",
        acl: "slow scripting",
        handler: (c) => {
          const mode = c.argv[2].toString("latin1").toLowerCase();
          if (mode === "no") return c.r.ok();
          if (mode === "yes" || mode === "sync") return c.r.error("ERR SCRIPT DEBUG is not supported by this server");
          c.r.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
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
];
