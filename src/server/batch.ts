/**
 * The batch path (issue 7): a client's pipelined data-type commands run in one
 * native call (native/src/batch.rs) instead of one parse, dispatch and native
 * call each. It takes only what would run exactly as through execute() and
 * call(): engine commands whose handler is the bare engine call
 * (engineHandler), not blocking ones, and whole MULTI ... EXEC transactions of
 * them (replies and statistics as EXEC gives them), PUBLISH (answered there
 * with its receivers' count; the message is delivered here from the log), and
 * EVALSHA and FCALL (and their _RO forms) of scripts that ran once the usual
 * way, while nothing propagates (their other commands cross to
 * scripting/bridge.ts as on the usual way; the read loop runs a read that is
 * one of them, its crossings made in the loop's turn: accountLoop,
 * endLoopTurn, loopScripts), for a client with nothing that changes
 * how a command runs (MULTI, CLIENT REPLY, subscribed, unauthenticated), while
 * nothing needs to see each command as it runs (no BCAST tracking or
 * replica listening for every change on the write path, no MONITOR, no pause; propagation to the AOF and replicas is done from the log). Anything
 * else, and the first command it cannot take, goes the usual way. What call() does after a command (its statistics,
 * errors, latency, slowlog, CLIENT LIST's cmd=, serving clients blocked on a key
 * it changed, marking the clients that WATCH it, publishing its keyspace events:
 * the engine records those keys' changes and those events alone, and a batch
 * stops after a command that recorded) is done here from the batch's log.
 */
import { batch, evict, server as engineServer } from "../engine/index.js";
import { Direct, directLog } from "../engine/scripting.js";
import { accountBatchDirect, batchMayRunScripts, batchScripts, endLoopRun, settleBatchRun, suspendBatchScript } from "../scripting/bridge.js";
import { findFunction } from "../scripting/library.js";
import { scriptFormOf, serveOrBlockFormOf } from "../commands/engine-command.js";
import type { CommandSpec } from "../commands/types.js";
import { multibulkBounds, parseCommand, type RequestParser } from "../protocol/parser.js";
import type { Reply } from "../protocol/reply.js";
import { pubsubOf } from "../pubsub/index.js";
import { countError } from "./call.js";
import { countedReplyBytes, REPLY_BUFFER_BYTES } from "./reply-accounting.js";
import { PROPAGATE_ALL, PROPAGATE_REPL } from "./write-path.js";
import { refusingCommands } from "./dispatch.js";
import type { Client } from "./client.js";
import type { Server } from "./server.js";
import { EVB_HELD, EVB_SUSPENDED, EVB_WAITED, loopCrossing, settleReads, type LoopBatch } from "./native-reads.js";

// A script the read loop runs finds its server and client at its first crossing through the loop's running slot.
batchScripts.fromLoop = loopCrossing;

const NO_ARGV: Buffer[] = [];

export class BatchPath {
  /** Commands run on this path so far (tests check that it is taken), with the read loop's waiting batches. */
  get commands(): number {
    settleReads();
    return this.ran;
  }
  /** Of those, the ones the addon's read loop ran (native-reads.ts). */
  get loopCommands(): number {
    settleReads();
    return this.ranInLoop;
  }
  /** Of those, commands whose big last argument the loop held and made the value (native/src/api/held.rs). */
  get heldCommands(): number {
    settleReads();
    return this.ranHeld;
  }
  private ran = 0;
  private ranInLoop = 0;
  private ranHeld = 0;
  /** Scripts the loop started that passed busy-reply-threshold and went on as busy scripts (tests check the path). */
  suspendedInLoop = 0;
  /** Held commands the loop could not run when whole, run the usual way. */
  heldTaken = 0;
  /** The registered commands, by their index in the engine's batch table; null until first used. */
  private specs: CommandSpec[] | null = null;
  /** PUBLISH's spec, registered with the table (its log entries are delivered as they are accounted for). */
  private publishSpec: CommandSpec | null = null;

  /** By registration index: 1 for the script commands (EVALSHA, FCALL and their _RO forms). */
  private isScript = new Uint8Array(0);
  /** Whether any is registered (not renamed away). */
  private hasScripts = false;

  constructor(private readonly server: Server) {}

  /** Whether `client`'s next commands may run on the batch path now. */
  allowed(client: Client): boolean {
    const s = this.server;
    return (
      this.clientAllows(client) &&
      this.serverState() &&
      // maxmemory: evicted back under the limit with room for what the batch may store, or each command goes through execute()'s OOM check.
      (!s.eviction.active || (s.eviction.clientsLimit === 0 && s.eviction.perform(2 * client.parser.pending) === evict.OK))
    );
  }

  /** allowed()'s half about the client: nothing that changes how its commands run. */
  clientAllows(client: Client): boolean {
    return (
      client.multiCount < 0 &&
      // WATCHed keys: its EXEC must check them (the batch's transactions do not).
      client.watching === 0 &&
      client.replyFlags === 0 &&
      client.flags.size === 0 &&
      client.authenticated &&
      // A user with restrictions has each command checked by execute() (a flag kept by src/acl, not a lookup).
      client.user.unrestricted
    );
  }

  /** allowed()'s half about the server, but maxmemory's: nothing needs to see each command. */
  private serverState(): boolean {
    const s = this.server;
    return (
      // Propagation alone (AOF, replicas) is done from the log; anything needing every change is not.
      !s.writePath.recording &&
      !s.paused() &&
      // -BUSY, -LOADING, -MISCONF, a replica's or min-replicas' refusals: execute() answers them.
      !refusingCommands(s) &&
      s.intro.monitors.size === 0
    );
  }

  /**
   * Whether the addon's read loop may run batches now (native-reads.ts): what
   * allowed() asks of the server, without maxmemory (eviction is checked per
   * batch: the loop does not run) and with the AOF off (replies wait for its
   * write at the end of the turn, server.ts flush).
   */
  loopAllows(): boolean {
    const s = this.server;
    if (this.aofOn === null) {
      this.aofOn = s.config.bool("appendonly");
      s.config.onChange((name) => {
        if (name === "appendonly") this.aofOn = s.config.bool(name);
      });
    }
    return !this.aofOn && !s.eviction.active && this.serverState();
  }
  /** appendonly, kept as it changes (null until loopAllows is first asked). */
  private aofOn: boolean | null = null;

  /**
   * Accounts for a batch `b` the read loop ran for `client` (its commands
   * logged in b.log from b.logAt: batch.rs's header and entries; its replies
   * in b.reply, whose pos is at their end); `ownsRecords`: the change records
   * waiting are its last command's.
   */
  accountLoop(client: Client, b: LoopBatch, ownsRecords: boolean): void {
    if ((b.bits & EVB_HELD) !== 0) this.ranHeld++;
    const n = b.log[b.logAt];
    this.ranInLoop += n;
    // A batch that waited (reads.rs Carry) ran while nothing propagated, whatever does now.
    const mayPropagate = (b.bits & EVB_WAITED) === 0;
    if (n > 0) this.loopDirectFrom = this.account(client, (this.specs ??= this.register()), b.input, b.reply, n, b.log, b.logAt, ownsRecords, mayPropagate, this.loopDirectFrom);
    if ((b.bits & EVB_SUSPENDED) !== 0) {
      this.suspendedInLoop++;
      const [start, end] = batch.suspendedIn(b.log, b.logAt)!;
      // No batch of the turn runs after it: endLoopTurn lets go of its run and the direct log.
      this.suspendScript(client, argvOf(b.input, start, end));
    }
  }

  /**
   * The read loop's batches of a turn are accounted: their scripts' direct
   * log is done with, and a run one of them made that did not end (the
   * engine failed) is ended.
   */
  endLoopTurn(): void {
    if (batchScripts.fromLoopRun) {
      settleBatchRun();
      endLoopRun();
    }
    // Also when no batch accounted them (their client was closed in the turn): the log is the turn's alone here.
    if (this.loopDirectFrom === 0 && directLog[Direct.COUNT] === 0) return;
    this.loopDirectFrom = 0;
    directLog[Direct.COUNT] = 0;
  }
  private loopDirectFrom = 0;

  /**
   * Whether the read loop may run scripts for this server now (reads.rs
   * WORD_SCRIPTS): what run() asks before a batch, with the state block's
   * SCRIPTS slot set for them.
   */
  loopScripts(): boolean {
    this.specs ??= this.register();
    if (!this.hasScripts || !batchMayRunScripts(this.server)) return false;
    engineServer.setBatchScripts(true, this.busyMs());
    return true;
  }

  /**
   * Runs the commands the batch path can take at the start of what `parser`
   * holds for `client`, replying into `r` (up to `limit` bytes); returns how
   * many ran (0: the next command goes the usual way).
   */
  run(client: Client, parser: RequestParser, r: Reply, limit: number): number {
    const input = parser.idleInput();
    if (input === null) return 0;
    const specs = (this.specs ??= this.register());
    const scripts = this.hasScripts && batchMayRunScripts(this.server);
    if (scripts) {
      batchScripts.server = this.server;
      batchScripts.client = client;
    }
    engineServer.setBatchScripts(scripts, this.busyMs());
    let suspended = false;
    try {
      batch.run(client.db, input, parser.offset, r, limit);
    } finally {
      batchScripts.client = null;
      // Also after a native panic: the commands before it ran.
      const n = batch.ran();
      const at = batch.suspendedAt();
      if (n > 0 || at >= 0) parser.consumedTo(batch.stoppedAt());
      if (n > 0) this.account(client, specs, input, r, n, batch.log, 0, true, true);
      if (scripts) {
        if (at >= 0) {
          this.suspendScript(client, argvOf(input, at, batch.stoppedAt()));
          suspended = true;
        } else settleBatchRun();
        directLog[Direct.COUNT] = 0;
      }
    }
    // A suspended script counts as a command run: its client now waits for it.
    return batch.ran() + (suspended ? 1 : 0);
  }

  /** A script of the batch ran past busy-reply-threshold: it goes on as a busy script (scripting/bridge.ts). */
  private suspendScript(client: Client, argv: Buffer[]): void {
    const s = this.server;
    const spec = s.commands.get(argv[0].toString("latin1").toLowerCase())!;
    const isEval = spec.name.startsWith("eval");
    const name = isEval ? argv[1].toString("latin1").toLowerCase() : findFunction(argv[1].toString("latin1"))!.name;
    suspendBatchScript(s, client, spec, argv, isEval, name);
  }

  /** busy-reply-threshold (ms), kept as it changes. */
  private busyMs(): number {
    if (this.busyThreshold < 0) {
      const config = this.server.config;
      this.busyThreshold = config.int("busy-reply-threshold");
      config.onChange((name) => {
        if (name === "busy-reply-threshold" || name === "lua-time-limit") this.busyThreshold = config.int("busy-reply-threshold");
      });
    }
    return this.busyThreshold;
  }
  private busyThreshold = -1;

  /**
   * The reply bytes in `r` the last batch of run() leaves counted against the
   * client's output limits (reply-accounting.ts): past Redis's static buffer,
   * or from the start of its first reply whose length Redis writes after it (KEYS...).
   */
  countedBytes(r: Reply): number {
    const specs = this.specs!;
    const log = batch.log;
    let counted = r.pos - REPLY_BUFFER_BYTES;
    for (let i = 0, n = batch.ran(); i < n; i++) {
      const at = batch.entry(i);
      counted = Math.max(counted, countedReplyBytes(specs[log[at]].name, log[at + 4], r.pos));
    }
    return counted;
  }

  /** What call() does after each command, for the `n` commands of the last batch. */
  private account(client: Client, specs: CommandSpec[], input: Buffer, r: Reply, n: number, log: Float64Array, logAt: number, ownsRecords: boolean, mayPropagate: boolean, directStart = 0): number {
    const s = this.server;
    const observed = s.observers.length > 0;
    // Observers get argv only where they use it (slowlog); MONITOR and tracking keep commands off this path.
    const argvFrom = s.intro.slowerThan;
    const wp = s.writePath;
    const propagating = mayPropagate && wp.propagating();
    let spec: CommandSpec | null = null;
    // Where the next script's direct commands start in their log.
    let directFrom = directStart;
    for (let i = 0; i < n; i++) {
      const at = logAt + batch.entry(i);
      const index = log[at];
      spec = specs[index];
      const usec = log[at + 1];
      let counted = false;
      if (this.isScript[index] === 1) {
        // A script: its commands first (each as call() after it), then itself.
        const directEnd = Math.floor(log[at + 5] / 2);
        counted = log[at + 5] % 2 === 1;
        if (directEnd > directFrom) accountBatchDirect(s, client, directFrom, directEnd);
        directFrom = directEnd;
      }
      // PUBLISH changes nothing and goes to the replicas all the same (Redis's forceCommandPropagation).
      const publish = spec === this.publishSpec;
      if (publish) deliver(s, input, log[at + 2], log[at + 3]);
      if (propagating) this.propagate(client, spec, input, log[at + 2], log[at + 3], publish ? PROPAGATE_REPL : log[at + 5] !== 0 ? PROPAGATE_ALL : 0, ownsRecords && i === n - 1);
      const st = (spec.stat ??= s.stats.command(spec.name));
      st.calls++;
      st.usec += usec;
      const replyAt = log[at + 4];
      if (r.buf[replyAt] === 45 /* '-' */) {
        st.failed++;
        // A script's error from a command it ran was counted by that command.
        if (!counted) countError(s, r, replyAt);
      }
      if (observed) {
        // A command the read loop held has no bytes here unless its entry is slow enough (reads.rs run_held).
        const argv = argvFrom >= 0 && usec >= argvFrom && log[at + 3] > log[at + 2] ? argvOf(input, log[at + 2], log[at + 3]) : NO_ARGV;
        s.afterCommand(client, spec, argv, usec);
      }
    }
    s.stats.totalCommands += n;
    this.ran += n;
    if (spec) client.lastCommand = spec.name;
    // What the last command recorded that propagation did not take (a change of a key
    // blocked clients wait on), and the batch's keyspace events, are drained as call()
    // would; then the clients it made ready are served, as call() does after each command.
    if (ownsRecords && wp.hasRecords()) wp.drain(client);
    if (s.blocking.hasReady) s.blocking.serveReady();
    return directFrom;
  }

  /**
   * What call() propagates for a command of the batch (AOF, replicas): what it
   * recorded (the last one of a batch may have: an expired key's DEL, a rewrite
   * of its argv), else its argv to the targets `to` (PROPAGATE_*; 0: it changed
   * nothing); one unit per command.
   */
  private propagate(client: Client, spec: CommandSpec, input: Buffer, start: number, end: number, to: number, last: boolean): void {
    const wp = this.server.writePath;
    wp.depth++;
    try {
      wp.rewritten = false;
      if (last && wp.hasRecords()) wp.drain(client);
      if (wp.rewritten) wp.rewritten = false;
      // Exact multibulk commands' bytes are what catCommand would write (batch.rs); inline ones are written as multibulk.
      else if (to !== 0) {
        if (input[start] === 42 /* '*' */) wp.propagateRaw(client.db, input.subarray(start, end), to);
        else wp.propagate(client.db, argvOf(input, start, end), to);
      }
    } finally {
      wp.depth--;
    }
    wp.flushPropagation(spec.name);
  }

  /** The engine's batch table: every engine command clients can call by name that the path may run. */
  private register(): CommandSpec[] {
    const specs: CommandSpec[] = [];
    const names: string[] = [];
    const ids: number[] = [];
    const arities: number[] = [];
    const kinds: number[] = [];
    for (const [name, spec] of this.server.commands) {
      if (name.length > 32 || name !== name.toLowerCase()) continue;
      // MULTI ... EXEC with only engine commands between runs there whole (a client that WATCHes keys goes the usual way: clientAllows).
      const script = SCRIPT_IDS.get(spec.name);
      const kind =
        script !== undefined
          ? batch.KIND_SCRIPT
          : spec.name === "multi"
            ? batch.KIND_MULTI
            : spec.name === "exec"
              ? batch.KIND_EXEC
              : spec.name === "publish"
                ? batch.KIND_PUBLISH
                : batch.KIND_COMMAND;
      if (kind === batch.KIND_PUBLISH) this.publishSpec = spec;
      // The engine form; else the script form (DEL, EXISTS, TYPE, the TTL family, PERSIST: keys_cmd.rs).
      const form = spec.subcommands ? undefined : scriptFormOf(spec.handler);
      // XREAD, XREADGROUP: served there, or left to their handler when they would block (or propagate).
      const serveOrBlock = spec.subcommands ? undefined : serveOrBlockFormOf(spec.handler);
      if (kind === batch.KIND_COMMAND && serveOrBlock === undefined && (form === undefined || spec.flags.includes("blocking"))) continue;
      specs.push(spec);
      names.push(name);
      ids.push(script ?? serveOrBlock ?? form ?? 0);
      arities.push(spec.arity);
      kinds.push(serveOrBlock !== undefined ? batch.KIND_SERVE_OR_BLOCK : kind);
      if (script !== undefined) this.hasScripts = true;
    }
    this.isScript = Uint8Array.from(kinds, (k) => (k === batch.KIND_SCRIPT ? 1 : 0));
    batch.setTable(names, ids, arities, kinds);
    return specs;
  }
}

/** The script commands the batch path runs (batch.rs KIND_SCRIPT), by name, with their ids. */
const SCRIPT_IDS = new Map<string, number>([
  ["evalsha", batch.SCRIPT_EVALSHA],
  ["evalsha_ro", batch.SCRIPT_EVALSHA_RO],
  ["fcall", batch.SCRIPT_FCALL],
  ["fcall_ro", batch.SCRIPT_FCALL_RO],
]);

/** The message of a PUBLISH the batch ran (answered there with its receivers' count), delivered as its handler would. */
function deliver(server: Server, input: Buffer, start: number, end: number): void {
  const pubsub = pubsubOf(server);
  if (multibulkBounds(input, start, end, publishBounds) === 3) pubsub.publishIn(input, publishBounds[2], publishBounds[3], publishBounds[4], publishBounds[5]);
  else {
    const argv = argvOf(input, start, end); // inline
    pubsub.publish(argv[1], argv[2], false);
  }
}
const publishBounds = new Int32Array(6);

/** The arguments of the command at input[start, end) (complete: the engine parsed it). */
function argvOf(input: Buffer, start: number, end: number): Buffer[] {
  return parseCommand(input.subarray(start, end));
}
