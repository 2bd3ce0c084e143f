/**
 * What a running script's redis.call reaches: the one function the Lua
 * interpreter crosses back to (registered once, engine/scripting.ts). It
 * resolves and checks the command as Redis's scriptCall does (unknown command,
 * arity, `noscript`, writes from read-only scripts), then runs it through
 * call() for the script's caller, in the script's db and protocol, into a
 * scratch reply whose RESP bytes go back to Lua. Commands run this way are
 * nested calls: what they propagate goes out with the script as one unit.
 */
import { call, countError } from "../server/call.js";
import { Reply } from "../protocol/reply.js";
import { CMD_WRITE, CMD_WRITE_OR_MAY_REPLICATE, type CommandSpec } from "../commands/types.js";
import { CommandNames } from "../server/command-names.js";
import { debugFlags } from "../commands/debug.js";
import { BridgeOp } from "../engine/scripting.js";
import { server as engineServer, scripting } from "../engine/index.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { Level } from "../server/log.js";
import { REDIS_VERSION } from "../version.js";

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
  /** redis.set_repl's flags (REPL_ALL by default). */
  replFlags: number;
}

let running: ScriptRun | null = null;
const scratch = new Reply(16 * 1024);

const LEVELS: Level[] = ["debug", "verbose", "notice", "warning"];

function errorReply(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, "latin1");
}
const UNKNOWN = errorReply("ERR Unknown Redis command called from script");
const ARITY = errorReply("ERR Wrong number of args calling Redis command from script");
const NOSCRIPT = errorReply("ERR This Redis command is not allowed from script");
const READONLY = errorReply("ERR Write commands are not allowed from read-only scripts.");
const NOT_RUNNING = errorReply("ERR redis.call is only available while a script runs");
const ONE = Buffer.from(":1\r\n");

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

function command(run: ScriptRun, argv: Buffer[], resp: number): Uint8Array {
  const spec = lookup(run.server, argv);
  if (!spec) return refuse(run, undefined, UNKNOWN);
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return refuse(run, spec, ARITY);
  if (!debugFlags.disableDenyScripts && spec.flags.includes("noscript")) return refuse(run, spec, NOSCRIPT);
  if (run.readonly && (spec.bits & CMD_WRITE_OR_MAY_REPLICATE) !== 0) return refuse(run, spec, READONLY);
  if ((spec.bits & CMD_WRITE) !== 0) run.writeDirty = true;
  const client = run.client;
  const r = scratch;
  r.pos = 0;
  r.resp = resp as 2 | 3;
  engineServer.setResp(resp as 2 | 3);
  client.db = run.db;
  const wp = run.server.writePath;
  const muted = wp.muted;
  wp.muted = run.replFlags === 0;
  try {
    call(run.server, client, spec, argv, r);
  } catch (e) {
    r.pos = 0;
    const what = e instanceof Error ? e.message : String(e);
    run.server.log.warning(`Command '${argv[0].toString("latin1")}' failed in a script: ${e instanceof Error ? e.stack : what}`);
    r.error(`ERR internal error: ${what}`);
  } finally {
    wp.muted = muted;
  }
  run.db = client.db;
  return r.buf.subarray(0, r.pos);
}

function bridge(argv: Buffer[], resp: number, op: number): Uint8Array | undefined {
  const run = running;
  if (run === null) return NOT_RUNNING;
  switch (op) {
    case BridgeOp.COMMAND:
      return command(run, argv, resp);
    case BridgeOp.SET_REPL:
      run.replFlags = resp;
      return undefined;
    case BridgeOp.LOG:
      run.server.log.log(LEVELS[resp] ?? "warning", argv[0].toString("latin1"));
      return undefined;
    case BridgeOp.ACL_CHECK:
      // No ACL users yet: every existing command is allowed.
      return lookup(run.server, argv) ? ONE : UNKNOWN;
  }
  return undefined;
}

/** The bridge is registered with the interpreter once per process, with the version scripts see. */
{
  const [maj, min, patch] = REDIS_VERSION.split(".").map((n) => Number(n) || 0);
  scripting.init(REDIS_VERSION, (maj << 16) | (min << 8) | patch, bridge);
}

/**
 * Runs `fn` (which runs a script) with `run` as the running script: the
 * caller's db, protocol and blocking state are put back after, whatever the
 * script did (its SELECT does not leak to the caller, as in Redis 7).
 */
export function withScript<T>(run: ScriptRun, fn: () => T): T {
  const client = run.client;
  const prev = running;
  const db = client.db;
  const denyBlocking = client.denyBlocking;
  running = run;
  client.denyBlocking = true;
  try {
    return fn();
  } finally {
    running = prev;
    client.db = db;
    client.denyBlocking = denyBlocking;
    engineServer.setResp(client.resp);
  }
}

/** Whether a script is running (SCRIPT KILL, FUNCTION KILL, -BUSY). */
export function runningScript(): ScriptRun | null {
  return running;
}
