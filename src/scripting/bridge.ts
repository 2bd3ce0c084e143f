/**
 * What a running script's redis.call reaches: the one function the Lua
 * interpreter crosses back to (registered once, engine/scripting.ts). It
 * resolves and checks the command as Redis's scriptCall does (unknown command,
 * arity, `noscript`, writes from read-only scripts), then runs it through
 * call() for the script's caller, in the script's db and protocol, into a
 * scratch reply whose RESP bytes go back to Lua. Commands run this way are
 * nested calls: what they propagate goes out with the script as one unit.
 */
import { performance } from "node:perf_hooks";
import { call, countError } from "../server/call.js";
import { Reply } from "../protocol/reply.js";
import { CMD_WRITE, CMD_WRITE_OR_MAY_REPLICATE, type CommandSpec } from "../commands/types.js";
import { CommandNames } from "../server/command-names.js";
import { debugFlags } from "../commands/debug.js";
import { checkCommand } from "../acl/check.js";
import { BridgeOp, Direct, DIRECT_DENY_READONLY, directArgv, directLog, setDirectTable, unpackArgs, unpackArgsAt } from "../engine/scripting.js";
import { scriptFormOf } from "../commands/engine-command.js";
import { scriptCaller } from "./caller.js";
import { keys, server as engineServer, scripting } from "../engine/index.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { Level } from "../server/log.js";
import { REDIS_VERSION } from "../version.js";
import { AOF_CLIENT_ID } from "../server/client.js";
import { OOM } from "../server/eviction.js";
import { SCRIPT_FLAG_ALLOW_OOM, SCRIPT_FLAG_EVAL_COMPAT_MODE } from "./shebang.js";

/** A script being run: who runs it and what it has done so far. */
export interface ScriptRun {
  server: Server;
  client: Client;
  /** The db the script's commands run in (SELECT inside the script changes it, not the caller's). */
  db: number;
  /** EVAL_RO / FCALL_RO, or a `no-writes` script: write commands are refused. */
  readonly: boolean;
  /** A write command ran (SCRIPT KILL refuses then). */
  writeDirty: boolean;
  /** The allow-oom shebang flag: denyoom commands run even when memory is full. */
  allowOom: boolean;
  /** redis.set_repl's flags (REPL_ALL by default). */
  replFlags: number;
}

let running: ScriptRun | null = null;

/** The running script's start (µs since the epoch; 0: none): TIME answers it inside the script, as Redis's cached time. */
export const scriptTime = { us: 0 };
const scratch = new Reply(16 * 1024);
/** scratch's own arena (registered with the interpreter): a reply there crosses back as its length. */
const replyArena = scratch.buf;

const LEVELS: Level[] = ["debug", "verbose", "notice", "warning"];

function errorReply(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, "latin1");
}
const UNKNOWN = errorReply("ERR Unknown Redis command called from script");
const ARITY = errorReply("ERR Wrong number of args calling Redis command from script");
const NOSCRIPT = errorReply("ERR This Redis command is not allowed from script");
const READONLY = errorReply("ERR Write commands are not allowed from read-only scripts.");
const STALE = errorReply("ERR Can not execute the command on a stale replica");
const NOT_RUNNING = errorReply("ERR redis.call is only available while a script runs");
const ONE = Buffer.from(":1\r\n");
const ZERO = Buffer.from(":0\r\n");
const OOM_REPLY = errorReply(OOM);

/** The table entry for argv as Redis's lookupCommand finds it (a container alone is itself). */
function lookup(server: Server, argv: Buffer[]): CommandSpec | undefined {
  const spec = (server.commandNames ??= new CommandNames(server.commands)).get(argv[0]);
  if (!spec?.subcommands || argv.length < 2) return spec;
  return spec.subcommands.get(argv[1].toString("latin1").toLowerCase());
}

/** Refuses a command of the script: the error, counted as Redis counts a rejected call. */
function refuse(run: ScriptRun, spec: CommandSpec | undefined, err: Buffer): Buffer {
  if (spec) (spec.stat ??= run.server.stats.command(spec.name)).rejected++;
  scratch.pos = 0;
  scratch.raw(err);
  countError(run.server, scratch, 0);
  return err;
}

/** Whether XREAD / XREADGROUP arguments hold BLOCK with a value after it (before STREAMS). */
function blockOption(argv: Buffer[]): boolean {
  for (let i = 1; i < argv.length - 1; i++) {
    const a = argv[i].toString("latin1").toLowerCase();
    if (a === "block") return true;
    if (a === "streams") return false;
  }
  return false;
}

/**
 * SORT of a set BY a constant from a script: Redis sorts the members
 * lexicographically anyway (ALPHA, no BY), so a script sees one order wherever
 * it runs. Other SORTs are left as they are.
 */
function sortForScript(db: number, argv: Buffer[]): Buffer[] {
  let by = -1;
  for (let i = 2; i < argv.length - 1; i++) {
    const a = argv[i].toString("latin1").toLowerCase();
    if (a === "by") by = i;
    else if (a === "store") return argv; // stored results are sorted already
    if (a === "by" || a === "store" || a === "get") i++;
    else if (a === "limit") i += 2;
  }
  if (by < 0 || argv[by + 1].includes(0x2a /* * */) || keys.type(db, argv[1]) !== "set") return argv;
  return [...argv.slice(0, by), ...argv.slice(by + 2), Buffer.from("ALPHA")];
}

/**
 * The engine commands a redis.call runs without crossing back
 * (native/src/lua/direct.rs): those the batch path could run (the handler is
 * the bare engine call, not blocking) and those with a script form
 * (withScriptForm: DEL, EXISTS, EXPIRE, TTL...), less `noscript` ones and the
 * commands command() treats specially. Indexed as registered; null until first used.
 */
let directSpecs: CommandSpec[] | null = null;
/** The server whose commands directSpecs are (their statistics are its own): a later server in the process registers its own. */
let directServer: Server | null = null;

/** Registers `server`'s direct table unless it is registered already. */
function registerDirectFor(server: Server): void {
  if (directServer === server) return;
  directSpecs = registerDirect(server);
  directServer = server;
}

function registerDirect(server: Server): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const names: string[] = [];
  const ids: number[] = [];
  const arities: number[] = [];
  const flags: number[] = [];
  for (const [name, spec] of server.commands) {
    if (name.length > 32 || name !== name.toLowerCase() || spec.subcommands) continue;
    const form = scriptFormOf(spec.handler);
    if (form === undefined || spec.flags.includes("blocking") || spec.flags.includes("noscript") || SPECIAL.has(spec.name)) continue;
    specs.push(spec);
    names.push(name);
    ids.push(form);
    arities.push(spec.arity);
    flags.push((spec.bits & CMD_WRITE_OR_MAY_REPLICATE) !== 0 ? DIRECT_DENY_READONLY : 0);
  }
  setDirectTable(names, ids, arities, flags);
  return specs;
}
/** Commands command() changes or refuses for scripts: they always cross. */
const SPECIAL = new Set(["sort", "sort_ro", "xread", "xreadgroup"]);

/**
 * Whether the running script's engine commands may run without crossing
 * back, and how (Direct.ON, READONLY; 0: every command crosses): only while
 * nothing must see each command as it runs: what keeps the batch path off
 * (BCAST tracking without a prefix, MONITOR, and what other features add to
 * BatchPath.allowed()). Propagation (the AOF, replicas) is done from the log;
 * keyspace events are published at the next crossing or the script's end.
 */
function directMode(run: ScriptRun): number {
  const server = run.server;
  // A replica keeps keys past their expire time (EXPIRE's handler knows): its scripts cross.
  if (debugFlags.disableDenyScripts || server.isReplica || !server.batchPath.allowed(run.client)) return 0;
  registerDirectFor(server);
  return run.readonly ? Direct.READONLY : Direct.ON;
}

/** Starts the log of direct commands for `run` (or turns the path off: mode 0). */
function startDirect(run: ScriptRun): void {
  const log = directLog;
  log[Direct.MODE] = directMode(run);
  log[Direct.DB] = run.db;
  log[Direct.SEGMENT] = 0;
  log[Direct.SLOW_US] = directSlowUs(run.server);
}

/** The time from which a direct command goes to TypeScript at once (its argv for the slowlog or latency monitor; -1: never). */
function directSlowUs(server: Server): number {
  const st = server.intro;
  const slow = st.slowerThan;
  const latency = st.latencyThreshold > 0 ? st.latencyThreshold * 1000 : -1;
  return slow < 0 ? latency : latency < 0 ? slow : Math.min(slow, latency);
}

/**
 * What call() does after each command, for the direct commands the running
 * script logged so far (Redis counts a script's commands as it runs them):
 * those from the log's SEGMENT on (earlier ones are the batch's scripts before it).
 */
function drainDirect(run: ScriptRun): void {
  const log = directLog;
  const from = log[Direct.SEGMENT];
  const n = log[Direct.COUNT];
  if (n <= from) return;
  log[Direct.COUNT] = from;
  if (accountLogged(run.server, run.client, from, n, run)) run.writeDirty = true;
  log[Direct.ARGV_END] = 0;
}

/**
 * What call() does after each direct command logged at [from, to) for
 * `client`'s script; with its `run`, what one changed goes out with the
 * script's unit, as call() propagates a nested command. Whether one was a write.
 */
function accountLogged(server: Server, client: Client, from: number, to: number, run: ScriptRun | null): boolean {
  const log = directLog;
  const specs = directSpecs!;
  let wrote = false;
  for (let i = from; i < to; i++) {
    const at = Direct.HEADER + i * Direct.FIELDS;
    if (run !== null && log[at + 3] >= 0) propagateDirect(run, log[at + 2], unpackArgsAt(directArgv, log[at + 3], log[at + 4]));
    if (accountDirect(server, client, specs[log[at]], log[at + 1], NO_ARGV, null)) wrote = true;
  }
  return wrote;
}

/** Propagates a direct command's argv in `db` where redis.set_repl says (nowhere under redis.REPL_NONE). */
function propagateDirect(run: ScriptRun, db: number, argv: Buffer[]): void {
  const wp = run.server.writePath;
  const targets = wp.targets;
  wp.targets = run.replFlags;
  wp.propagate(db, argv);
  wp.targets = targets;
}

const NO_ARGV: Buffer[] = [];

/** Commands scripts ran without crossing back (tests check that the path is taken). */
export const directStats = { commands: 0 };

/** What call() does after a direct command of `client`'s script (`errorLine`: its error reply's first line, or null): whether it was a write. */
function accountDirect(server: Server, client: Client, spec: CommandSpec, usec: number, argv: Buffer[], errorLine: Buffer | null): boolean {
  const st = (spec.stat ??= server.stats.command(spec.name));
  st.calls++;
  st.usec += usec;
  server.stats.totalCommands++;
  directStats.commands++;
  if (errorLine !== null && errorLine[0] === 45 /* '-' */) {
    st.failed++;
    scratch.pos = 0;
    scratch.raw(errorLine);
    countError(server, scratch, 0);
  }
  server.afterCommand(client, spec, argv, usec);
  return (spec.bits & CMD_WRITE) !== 0;
}

/**
 * What call() does after each direct command of a script the batch path ran
 * for `client`: those at [from, to) in the log (server/batch.ts accounts a
 * batch's scripts in order, each after its commands; it zeroes the log after).
 */
export function accountBatchDirect(server: Server, client: Client, from: number, to: number): void {
  accountLogged(server, client, from, to, null);
}

/** BridgeOp.ACCOUNT: the log, then (with arguments) the direct command they are, its reply's first line last. */
function accountOp(run: ScriptRun, argv: Buffer[]): void {
  drainDirect(run);
  if (argv.length < 2) return;
  const wp = run.server.writePath;
  const log = directLog;
  const cmdArgv = argv.slice(0, -1);
  // As call(): what the engine recorded first (an expired key's DEL, a rewrite), then argv unless rewritten.
  wp.rewritten = false;
  const targets = wp.targets;
  wp.targets = run.replFlags;
  if (wp.hasRecords()) wp.drain(run.client);
  wp.targets = targets;
  if (wp.rewritten) wp.rewritten = false;
  else if (log[Direct.LAST_CHANGED] !== 0) propagateDirect(run, run.db, cmdArgv.map((a) => Buffer.from(a)));
  if (accountDirect(run.server, run.client, directSpecs![log[Direct.LAST_INDEX]], log[Direct.LAST_USEC], cmdArgv, argv[argv.length - 1])) run.writeDirty = true;
}

function command(run: ScriptRun, argv: Buffer[], resp: number): Uint8Array | number {
  const spec = lookup(run.server, argv);
  if (!spec) return refuse(run, undefined, UNKNOWN);
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return refuse(run, spec, ARITY);
  if (!debugFlags.disableDenyScripts && spec.flags.includes("noscript")) return refuse(run, spec, NOSCRIPT);
  // An allow-stale script on a stale replica runs only commands allowed stale (Redis's scriptVerifyAllowStale; the gate answers GET so then).
  if (!spec.flags.includes("stale") && run.server.replicationGate?.(run.client, run.server.commands.get("get")!)?.startsWith("MASTERDOWN")) return refuse(run, spec, STALE);
  if (!run.client.user.unrestricted) {
    const why = run.server.auth.refusal(run.client, spec, argv, "lua");
    if (why !== null) return refuse(run, spec, errorReply("ERR ACL failure in script: " + why));
  }
  if (run.readonly && (spec.bits & CMD_WRITE_OR_MAY_REPLICATE) !== 0) return refuse(run, spec, READONLY);
  // Until the script wrote, a write is refused on a read-only replica, while the disk refuses writes,
  // or with too few good replicas (Redis's scriptVerifyWriteCommandAllow).
  if ((spec.bits & CMD_WRITE) !== 0 && !run.writeDirty) {
    const why = run.server.replicationGate?.(run.client, spec) ?? diskError.of(run.server);
    if (why !== null) return refuse(run, spec, errorReply(why));
  }
  // Memory was full when the script started: its first write may not be one that grows memory (Redis's scriptVerifyOOM).
  const ev = run.server.eviction;
  if (ev.maxmemory !== 0 && ev.preCommandOom && !run.allowOom && !run.writeDirty && run.client.id !== AOF_CLIENT_ID && spec.flags.includes("denyoom")) return refuse(run, spec, OOM_REPLY);
  if ((spec.bits & CMD_WRITE) !== 0) run.writeDirty = true;
  if ((spec.name === "xread" || spec.name === "xreadgroup") && blockOption(argv)) {
    // Redis refuses BLOCK from scripts as the command's own error (not a script rule).
    return Buffer.from(`-ERR ${argv[0].toString("latin1")} command is not allowed with BLOCK option from scripts\r\n`, "latin1");
  }
  if ((spec.name === "sort" || spec.name === "sort_ro") && argv.length > 3) argv = sortForScript(run.db, argv);
  const client = run.client;
  const r = scratch;
  r.pos = 0;
  // A big reply grew the arena last time: back to the registered one.
  r.buf = replyArena;
  r.resp = resp as 2 | 3;
  engineServer.setResp(resp as 2 | 3);
  client.db = run.db;
  const wp = run.server.writePath;
  const targets = wp.targets;
  wp.targets = run.replFlags;
  try {
    call(run.server, client, spec, argv, r);
  } catch (e) {
    r.pos = 0;
    const what = e instanceof Error ? e.message : String(e);
    run.server.log.warning(`Command '${argv[0].toString("latin1")}' failed in a script: ${e instanceof Error ? e.stack : what}`);
    r.error(`ERR internal error: ${what}`);
  } finally {
    wp.targets = targets;
  }
  if (run.db !== client.db) directLog[Direct.DB] = run.db = client.db;
  return r.buf === replyArena ? r.pos : r.buf.subarray(0, r.pos);
}

/** Where the interpreter writes a redis.call's arguments (engine/scripting.ts unpackArgs). */
const argScratch = Buffer.allocUnsafeSlow(64 * 1024);

function bridge(args: Buffer[] | number, resp: number, op: number): Uint8Array | number | undefined {
  // A script the batch path runs has a run from its first crossing on.
  const run = running ?? batchRun();
  if (run === null) return NOT_RUNNING;
  const argv = typeof args === "number" ? unpackArgs(argScratch, args) : args;
  // What ran without crossing is accounted first, in order.
  drainDirect(run);
  switch (op) {
    case BridgeOp.COMMAND:
      // Keyspace events the direct commands recorded are published before this command runs (a PUBLISH, say).
      if (run.server.writePath.hasRecords()) run.server.writePath.drain(run.client);
      return command(run, argv, resp);
    case BridgeOp.ACCOUNT:
      accountOp(run, argv);
      return undefined;
    case BridgeOp.SET_REPL:
      run.replFlags = resp;
      return undefined;
    case BridgeOp.LOG:
      run.server.log.log(LEVELS[resp] ?? "warning", argv[0].toString("latin1"));
      return undefined;
    case BridgeOp.END:
      endBatchRun(run);
      if (batchScripts.fromLoopRun) endLoopRun();
      return undefined;
    case BridgeOp.ACL_CHECK: {
      // redis.acl_check_cmd: the caller's permissions, no arity check, nothing logged.
      const spec = lookup(run.server, argv);
      if (!spec) return UNKNOWN;
      return run.client.user.unrestricted || checkCommand(run.client.user, spec, argv) === null ? ONE : ZERO;
    }
  }
  return undefined;
}

/**
 * The client whose batch (server/batch.ts) may run scripts, while it runs:
 * such a script gets a run (for its crossings) only when it first crosses.
 */
export const batchScripts: {
  server: Server | null;
  client: Client | null;
  /** Asked when no batch TypeScript started runs: the read loop's script, if one runs, sets server and client (server/native-reads.ts loopCrossing). */
  fromLoop: (() => boolean) | null;
  /** server and client are the read loop's script's, set at its first crossing. */
  fromLoopRun: boolean;
} = { server: null, client: null, fromLoop: null, fromLoopRun: false };

/** The run of the script a batch runs, made at its first crossing; null when no batch runs one. */
function batchRun(): ScriptRun | null {
  if (batchScripts.client === null) {
    if (batchScripts.fromLoop === null || !batchScripts.fromLoop()) return null;
    batchScripts.fromLoopRun = true;
  }
  return beginBatchRun(batchScripts.server!, batchScripts.client!);
}

/** The read loop's script that crossed is done (ended, or suspended as a busy script). */
export function endLoopRun(): void {
  batchScripts.server = null;
  batchScripts.client = null;
  batchScripts.fromLoopRun = false;
}
/** The caller's db and blocking state while a run the batch path made is open. */
let batchSaved: { db: number; denyBlocking: boolean } | null = null;

/**
 * Whether the batch path may run scripts for `server` now (beside what it
 * asks for any command): not on a replica (its scripts' commands cross) or
 * while a script runs; it registers the direct commands' table.
 */
export function batchMayRunScripts(server: Server): boolean {
  if (debugFlags.disableDenyScripts || server.isReplica || running !== null) return false;
  registerDirectFor(server);
  directLog[Direct.SLOW_US] = directSlowUs(server);
  return true;
}

/**
 * The run of a script the batch path runs for `client`, made at its first
 * crossing as withScript makes one (the engine set the direct log's MODE, DB
 * and FLAGS), inside the script's call as call() would have it.
 */
function beginBatchRun(server: Server, client: Client): ScriptRun {
  const flags = directLog[Direct.FLAGS];
  const compat = (flags & SCRIPT_FLAG_EVAL_COMPAT_MODE) !== 0;
  const run: ScriptRun = {
    server,
    client,
    db: directLog[Direct.DB],
    readonly: directLog[Direct.MODE] === Direct.READONLY,
    writeDirty: false,
    allowOom: !compat && (flags & SCRIPT_FLAG_ALLOW_OOM) !== 0,
    replFlags: 3,
  };
  batchSaved = { db: client.db, denyBlocking: client.denyBlocking };
  running = run;
  scriptCaller.client = client;
  client.denyBlocking = true;
  scriptTime.us = Math.floor((performance.timeOrigin + server.commandClock) * 1000);
  // The batch path runs only after eviction brought memory under the limit (BatchPath.allowed).
  server.eviction.preCommandOom = false;
  // Its commands are nested calls (the script's own call() would be around them).
  server.writePath.depth++;
  return run;
}

/** BridgeOp.END: a script the batch path ran, which crossed, ended. */
function endBatchRun(run: ScriptRun): void {
  drainDirect(run);
  run.server.writePath.depth--;
  endScript(run, batchSaved!);
  batchSaved = null;
}

/** After a batch: a run it made that did not end (the engine failed) is ended. */
export function settleBatchRun(): void {
  if (batchSaved !== null && busy.script === null && running !== null) endBatchRun(running);
}

/**
 * A script the batch path started ran past busy-reply-threshold: it goes on
 * as a busy script (suspend), its caller waiting, as withScript leaves one.
 */
export function suspendBatchScript(server: Server, client: Client, spec: CommandSpec, argv: Buffer[], isEval: boolean, name: string): void {
  const run = running ?? beginBatchRun(server, client);
  drainDirect(run);
  directLog[Direct.COUNT] = 0;
  directLog[Direct.SEGMENT] = 0;
  // suspend() counts the script's call itself.
  server.writePath.depth--;
  restoreLater = batchSaved;
  batchSaved = null;
  suspend({ run, isEval, name, spec, argv });
}

/** The bridge is registered with the interpreter once per process, with the version scripts see. */
{
  const [maj, min, patch] = REDIS_VERSION.split(".").map((n) => Number(n) || 0);
  scripting.init(REDIS_VERSION, (maj << 16) | (min << 8) | patch, bridge, argScratch, replyArena);
}

/** A script past busy-reply-threshold: suspended between slices while the server answers others with -BUSY. */
export interface BusyScript {
  run: ScriptRun;
  /** EVAL (as opposed to FCALL): which KILL stops it, and which -BUSY text others get. */
  isEval: boolean;
  /** The function's name, or the script's sha. */
  name: string;
  spec: CommandSpec;
  argv: Buffer[];
}

/**
 * The MISCONF error while the disk refuses writes, or null: dispatch's
 * deniedByDiskError, set by dispatch (which imports this module) so that the
 * scripts' write checks ask the same function without an import cycle.
 */
export const diskError: { of: (server: Server) => string | null } = { of: () => null };

/** The busy script, read by dispatch (-BUSY) and SCRIPT / FUNCTION KILL. */
export const busy: { script: BusyScript | null } = { script: null };

export const SLOW_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
export const SLOW_SCRIPT = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/**
 * Runs a script with `run` as the running script and returns its outcome's
 * flag (0, 1: an error already counted, SUSPENDED). The caller's db, protocol and blocking state are put
 * back after (its SELECT does not leak to the caller, as in Redis 7), unless
 * the script is suspended (outcome SUSPENDED): they stay set until it ends.
 */
export function withScript(run: ScriptRun, fn: () => number): number {
  const client = run.client;
  const saved = { db: client.db, denyBlocking: client.denyBlocking };
  running = run;
  scriptCaller.client = client;
  client.denyBlocking = true;
  // The command clock (read when the command started: no clock read of its own).
  scriptTime.us = Math.floor((performance.timeOrigin + run.server.commandClock) * 1000);
  let flag: number | undefined;
  // The script's own calls are not its caller's replies: no output cap on them (Redis's script client has none).
  const cap = engineServer.replyCap();
  engineServer.setReplyCap(0);
  startDirect(run);
  try {
    flag = fn();
  } finally {
    engineServer.setReplyCap(cap);
    drainDirect(run);
    if (flag !== scripting.SUSPENDED) endScript(run, saved);
    else restoreLater = saved;
  }
  return flag;
}

let restoreLater: { db: number; denyBlocking: boolean } | null = null;

function endScript(run: ScriptRun, saved: { db: number; denyBlocking: boolean }): void {
  directLog[Direct.MODE] = 0;
  running = null;
  scriptCaller.client = null;
  scriptTime.us = 0;
  run.client.db = saved.db;
  run.client.denyBlocking = saved.denyBlocking;
  engineServer.setResp(run.client.resp);
}

/**
 * A script ran past busy-reply-threshold: its caller waits (as a blocked
 * client), other clients get -BUSY, and the script goes on in slices between
 * turns of the event loop until it ends or is killed; then its reply goes out
 * and what it propagated goes out as one unit.
 */
export function suspend(script: BusyScript): void {
  const { run, spec } = script;
  const server = run.server;
  const client = run.client;
  const saved = restoreLater ?? { db: client.db, denyBlocking: false };
  restoreLater = null;
  busy.script = script;
  client.blocked = true;
  // Still inside the script's call: what its commands propagate is collected until it ends.
  server.writePath.depth++;
  server.log.warning(`Slow script detected: still in execution after ${server.config.int("busy-reply-threshold")} milliseconds. You can try killing the script using the ${script.isEval ? "SCRIPT KILL" : "FUNCTION KILL"} command. Script name is: ${script.name}.`);
  const step = () => {
    let out: Buffer;
    startDirect(run);
    try {
      out = scripting.resume();
    } catch (e) {
      out = Buffer.from(`\0-ERR internal error: ${e instanceof Error ? e.message : String(e)}\r\n`);
    } finally {
      drainDirect(run);
    }
    if (out.length === 1 && out[0] === scripting.SUSPENDED) {
      setImmediate(step);
      return;
    }
    busy.script = null;
    endScript(run, saved);
    const r = new Reply(256);
    r.resp = client.resp;
    r.raw(out.subarray(1));
    const st = (spec.stat ??= server.stats.command(spec.name));
    st.calls++;
    st.usec += client.blockedUsec;
    server.stats.totalCommands++;
    if (r.buf[0] === 45) {
      st.failed++;
      if (out[0] !== 1) countError(server, r, 0);
    }
    client.blockedUsec = 0;
    const wp = server.writePath;
    wp.depth--;
    if (wp.depth === 0) {
      wp.flushPropagation(spec.name);
      if (server.blocking.hasReady) server.blocking.serveReady();
    }
    client.blocked = false;
    if (!client.closed) server.writeTo(client, r.take());
    server.resume(client);
    server.log.warning("Slow script finished.");
  };
  setImmediate(step);
}

/** SCRIPT KILL (`isEval`) / FUNCTION KILL: Redis's scriptKill, as the reply's error text or null (killed). */
export function killScript(isEval: boolean): string | null {
  const s = busy.script;
  if (s === null) return "NOTBUSY No scripts in execution right now.";
  if (s.run.writeDirty) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
  }
  if (isEval && !s.isEval) return SLOW_SCRIPT;
  if (!isEval && s.isEval) return SLOW_EVAL;
  scripting.kill();
  s.run.server.log.notice("Lua script killed by user with SCRIPT KILL.");
  return null;
}

/** Whether a script is running (SCRIPT KILL, FUNCTION KILL, -BUSY). */
export function runningScript(): ScriptRun | null {
  return running;
}
