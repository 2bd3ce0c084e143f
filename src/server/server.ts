import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import fs from "node:fs";
import net from "node:net";
import { Acl } from "../acl/acl.js";
import { CMD_NO_AUTH, CMD_WRITE_OR_MAY_REPLICATE, type CommandSpec } from "../commands/types.js";
import { effectiveSpec } from "../scripting/command-flags.js";
import { batchScripts } from "../scripting/bridge.js";
import { buildCommandTable } from "../commands/index.js";
import { installIntrospection, introspection, type Introspection } from "../commands/introspection.js";
import { addLatencySample } from "../commands/latency.js";
import { Config } from "../config/config.js";
import * as engine from "../engine/index.js";
import { ProtocolError } from "../protocol/errors.js";
import { Reply, cstr } from "../protocol/reply.js";
import { Client, REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT, type ClientType } from "./client.js";
import { execute } from "./dispatch.js";
import type { CommandNames } from "./command-names.js";
import { WritePath } from "./write-path.js";
import { Blocking } from "./blocking.js";
import { BatchPath } from "./batch.js";
import { Logger } from "./log.js";
import { COPIED_OUTPUT_MAX, LIMIT_CHECK_STEP_BITS, OutputArena, PendingRanges } from "./output.js";
import { Stats } from "./stats.js";
import { trackEvictionPolicy } from "../commands/object.js";
import { installPersistence } from "../persistence/index.js";
import { trackLazyfree } from "../commands/lazyfree.js";
import { Eviction, installEviction } from "./eviction.js";
import { refuseIfProtected } from "./protected-mode.js";
import { readsDirect, setReader } from "./direct-read.js";
import { REPLY_BUFFER_BYTES, countedReplyBytes } from "./reply-accounting.js";
import { noteReplies, replyBufferCron } from "./reply-buffer.js";
import { BIG_ARG, queryBufferBeforeRun, queryBufferCron, queryBufferHeld, queryBufferRead } from "./query-buffer.js";
import { sendTo } from "./socket-write.js";
import { LiteSocket, type ClientSocket } from "./lite-socket.js";
import { EVB_PANICKED, EVB_RECORDS, EVB_SPILLED, EVB_SUSPENDED, NativeReads, settleReads, type LoopBatch } from "./native-reads.js";
import { aclRules } from "../acl/user.js";
import { land } from "../engine/land.js";
import { Code } from "../engine/codes.js";
import { giveArgBuffer } from "../protocol/arg-pool.js";
import { engineFormOf } from "../commands/engine-command.js";
import { commandKeys } from "../commands/command.js";
import { installKeyspaceNotifications } from "../notify/keyspace-events.js";
import { anySubscribers, publish, publishIn } from "../pubsub/index.js";

/** The Redis version Nodis answers as (HELLO, INFO); defined once in the config loader. */
export { REDIS_VERSION } from "../config/load.js";

/** Hooks other features register to see every executed command (slowlog, MONITOR, ...). */
export type CommandObserver = (client: Client, spec: CommandSpec, argv: Buffer[], usec: number) => void;

/** With no hard limit for its class, reading from a client pauses while this much of its output is unsent. */
const OUTPUT_PAUSE_BYTES = 16 * 1024 * 1024;
/**
 * A pipeline of commands the batch path does not run (PUBLISH, EVALSHA...)
 * would pay a native call that runs nothing before each of them: from the
 * third such call in a row, twice as many commands go the usual way before the
 * next try (1, 3, 7... up to this many). Any batch that runs resets it.
 */
const BATCH_SKIP_MAX = 63;
/** readArrivedInput's read buffer (Redis's PROTO_IOBUF_LEN). */
const READ_AHEAD = Buffer.allocUnsafeSlow(16 * 1024);

/** One client-output-buffer-limit class: bytes, bytes, seconds (0: no limit). */
interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** The class whose client-output-buffer-limit applies to `client` (a primary's link counts as normal). */
function limitClassOf(client: Client): ClientType {
  const t = client.type();
  return t === "master" ? "normal" : t;
}

export class Server {
  readonly config: Config;
  readonly log = new Logger();
  readonly stats = new Stats();
  readonly commands: Map<string, CommandSpec>;
  /** Names as clients spell them to their entries (dispatch makes it on first use). */
  commandNames: CommandNames | null = null;
  readonly clients = new Map<number, Client>();
  readonly startedAt = Date.now();
  readonly observers: CommandObserver[] = [];
  /** Where every change goes after its command (server/call.ts): WATCH, tracking, notifications, propagation. */
  readonly writePath = new WritePath();
  /** maxmemory: eviction before each command and the OOM refusal (eviction.ts). */
  readonly eviction = new Eviction(this);
  /** Pipelined data-type commands run in one native call (src/server/batch.ts). */
  readonly batchPath = new BatchPath(this);
  /** Blocked clients and the keys they wait on (server/blocking.ts). */
  readonly blocking: Blocking = new Blocking(this);
  /** The client whose batch is being processed: output for it joins the batch's replies. */
  current: Client | null = null;
  /** Output for `current` made while its command runs: it follows the command's reply (run() appends it). */
  readonly deferredPushes: Buffer[] = [];
  /**
   * Clients with output written outside their own batch, flushed once per
   * event-loop turn: the first `pendingCount` (a client whose pending output went
   * out meanwhile, or that closed, has none left and is passed over). An array
   * reused turn after turn: a Set cleared each turn rehashed as it refilled.
   */
  private readonly pendingClients: (Client | null)[] = [];
  private pendingCount = 0;
  private pendingFlushScheduled = false;
  /** The bytes of pending output (server/output.ts). */
  private readonly arena = new OutputArena();
  /** Where the running command's time is measured from (performance.now() ms); see dispatch. */
  commandClock = 0;
  /** Config values the per-command path reads, kept as plain numbers (no table lookups). */
  readonly hot = { maxBulkLen: 0, queryBufferLimit: 0 };
  /** Called when a client is closed (pub/sub, blocking, WATCH clean up after it). */
  readonly closeHooks: ((client: Client) => void)[] = [];
  /** Called by RESET (discard MULTI, unsubscribe, tracking off, leave MONITOR). */
  readonly resetHooks: ((client: Client) => void)[] = [];
  /** Called on every cron tick (hz times a second): sampling, housekeeping. */
  readonly cronHooks: (() => void)[] = [];
  /** Called before replies are written to sockets (the AOF writes what the batch changed first). */
  readonly beforeOutputHooks: (() => void)[] = [];
  /** Whether a batch's replies should wait for the end of the turn (the AOF has unwritten changes). */
  holdReplies: (() => boolean) | null = null;
  /** The dataset is being loaded at start: commands without the `loading` flag get -LOADING. */
  loading = false;
  /**
   * A replica receiving a diskless full sync (Redis loads it from the socket as it comes):
   * "sync" answers -LOADING as loading does; "async" (swapdb, the same history) serves the
   * old dataset and refuses only commands flagged no_async_loading; null otherwise.
   */
  replLoading: "sync" | "async" | null = null;
  /** DEBUG PAUSE-CRON: the cron does nothing while set. */
  cronPaused = false;
  /** A shutdown a signal asked for, left to the cron (Redis's shutdown_asap); SHUTDOWN ABORT clears it. */
  pendingShutdown: (() => void) | null = null;
  /** While the AOF cannot be written: the MISCONF error refusing writes (Redis's DISK_ERROR_TYPE_AOF), else null. */
  aofWriteError: string | null = null;
  /** Called when the server stops itself (SHUTDOWN, a signal): the AOF writes and fsyncs its buffer. */
  readonly exitHooks: (() => void)[] = [];
  /** Clients whose command is held by CLIENT PAUSE, in arrival order (INFO blocked_clients). */
  readonly postponedClients: Client[] = [];
  /** Clients closed for client-output-buffer-limit / client-query-buffer-limit (INFO stats). */
  outputLimitDisconnections = 0;
  queryLimitDisconnections = 0;
  /** Users, logging in, permissions (src/acl). */
  auth: Acl;
  /** Set by replication while this server is a replica (HELLO's role). */
  isReplica = false;
  /** oom-score-adj, written again when the role changes (Redis's setOOMScoreAdj(-1) in replicationSetMaster). */
  oom: { apply(): string | null } | null = null;
  /** Running as a sentinel (src/sentinel): its own command table, no dataset. */
  sentinelMode = false;
  /**
   * Set by replication while it may refuse commands (a replica: -READONLY,
   * -MASTERDOWN; min-replicas-to-write: -NOREPLICAS): why `client` may not run
   * `spec`, or null. Null when nothing is refused (the usual primary).
   */
  replicationGate: ((client: Client, spec: CommandSpec) => string | null) | null = null;
  /** The shared reply arena for the batch being processed (runFor lends it out for a moment). */
  private reply = new Reply();
  private nextClientId = 1;
  private timer: NodeJS.Timeout | null = null;
  /** CLIENT PAUSE: end time (ms) and whether all commands or only writes are held; 0 when not paused. */
  private pauseEnd = 0;

  /** Sets the pause's end; while any pause holds, keys do not expire (Redis's PAUSE_ACTION_EXPIRE). */
  private setPauseEnd(ms: number): void {
    this.pauseEnd = ms;
    engine.server.setExpiryPaused(ms !== 0);
  }

  /** Whether CLIENT PAUSE holds commands now (or until its timer says it ended). */
  paused(): boolean {
    return this.pauseEnd !== 0;
  }
  private pauseAll = false;
  private pauseTimer: NodeJS.Timeout | null = null;
  private outputLimits = new Map<ClientType, OutputLimit>();
  /** Set by SHUTDOWN or a signal; `closed` resolves when the server has stopped. */
  private closing: Promise<void> | null = null;
  /** Actual port after listen (port 0 picks a free one). */
  port = 0;
  host = "127.0.0.1";
  /** Called when the server stops itself (SHUTDOWN): the CLI exits the process. */
  onShutdown: (() => void) | null = null;

  constructor(config: Config = new Config()) {
    this.config = config;
    this.commands = buildCommandTable();
    this.log.level = config.get("loglevel") as Logger["level"];
    this.log.file = config.get("logfile");
    this.auth = new Acl(this);
    this.readOutputLimits();
    const readHot = () => {
      this.hot.maxBulkLen = config.int("proto-max-bulk-len");
      this.hot.queryBufferLimit = config.int("client-query-buffer-limit");
    };
    readHot();
    this.writePath.lazyExpire = config.bool("lazyfree-lazy-expire");
    config.onChange((name, value) => {
      if (name === "proto-max-bulk-len" || name === "client-query-buffer-limit") readHot();
      if (name === "lazyfree-lazy-expire") this.writePath.lazyExpire = config.bool(name);
      if (name === "loglevel") this.log.level = value as Logger["level"];
      if (name === "hz") this.startTimer();
      if (name === "client-output-buffer-limit") this.readOutputLimits();
    });
    engine.server.init(config.int("databases"));
    // The encodings' thresholds (list-max-listpack-size, ...): the engine keeps a copy.
    // yes/no parameters go over as 1/0.
    const engineValue = (name: string) => (config.get(name) === "yes" ? 1 : config.get(name) === "no" ? 0 : config.int(name));
    for (const name of engine.engineConfig.NAMES) engine.engineConfig.set(name, engineValue(name));
    config.onChange((name) => {
      if (engine.engineConfig.NAMES.includes(name)) engine.engineConfig.set(name, engineValue(name));
    });
    trackEvictionPolicy(this); // LRU or LFU access data, from maxmemory-policy and on its changes
    trackLazyfree(this); // which deletions free big values on the lazyfree thread
    installEviction(this, this.eviction); // maxmemory, the eviction policy, INFO's eviction fields
    installIntrospection(this); // INFO, SLOWLOG, LATENCY, MONITOR
    installKeyspaceNotifications(this, {
      publish: (channel, message) => publish(this, channel, message),
      publishIn: (src, chanStart, chanEnd, msgStart, msgEnd) => publishIn(this, src, chanStart, chanEnd, msgStart, msgEnd),
      anyone: () => anySubscribers(this),
    });
    this.closeHooks.push((c) => this.blocking.clientClosed(c));
    installPersistence(this); // RDB snapshots: save rules, BGSAVE's child, INFO persistence
  }

  /** Starts (or restarts, after CONFIG SET hz) the periodic timer. */
  startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    const hz = Math.min(Math.max(this.config.int("hz"), 1), 500);
    this.timer = setInterval(() => this.cron(), Math.floor(1000 / hz));
    this.timer.unref();
  }

  /** Periodic work (Redis's serverCron): active expiry, idle timeouts, soft output limits. */
  private cron(): void {
    // The read loop's waiting batches are counted before anything here reads what they count.
    settleReads();
    if (this.cronPaused) return;
    if (this.pendingShutdown !== null) {
      const shutdown = this.pendingShutdown;
      this.pendingShutdown = null;
      shutdown();
    }
    // While the dataset loads nothing runs on the clock (Redis serves only clients meanwhile).
    if (this.loading) return;
    const now = Date.now();
    engine.server.setClock(now);
    // Keys do not expire while writes are paused (expiring is a write).
    // Replicas leave expiry to their primary's DELs.
    if (this.activeExpire && !this.isReplica && !this.isPaused()) {
      const t0 = performance.now();
      engine.server.activeExpire(20000);
      addLatencySample(this, "expire-cycle", performance.now() - t0);
    }
    if (this.writePath.hasRecords()) this.writePath.drain(null);
    // Tables being resized move 10k buckets per tick besides each write's share (~1 ms); not while
    // a forked child shares the pages (Redis's databasesCron: the moves would be copied on write).
    if (this.config.bool("activerehashing") && engine.persistence.childPid() === null) engine.server.rehash(10000);
    for (const h of this.cronHooks) h();
    // What changed outside commands (a failed BGSAVE's MISCONF, ...) reaches the read loop's word here at the latest.
    this.loopState();
    const timeout = this.config.int("timeout") * 1000;
    for (const c of this.clients.values()) {
      if (timeout > 0 && now - c.lastInteraction > timeout && this.mayTimeOut(c)) {
        this.log.verbose("Closing idle client");
        this.closeClient(c);
        continue;
      }
      queryBufferCron(c, now);
      replyBufferCron(c, now);
      if (c.softLimitSince !== 0 || c.socket.writableLength > 0) this.checkOutputLimits(c, false);
    }
  }

  /** Replicas, masters, blocked and pub/sub clients are never closed for idleness. */
  private mayTimeOut(c: Client): boolean {
    if (c.postponed || c.blocked) return false;
    const f = c.flags;
    return !(f.has("slave") || f.has("master") || f.has("blocked") || f.has("pubsub"));
  }

  /** An id for a client made by the server itself (a replica's link to its primary). */
  newClientId(): number {
    return this.nextClientId++;
  }

  /** DEBUG SET-ACTIVE-EXPIRE. */
  activeExpire = true;

  /** Whether the addon reads client sockets (else Node does): listeners then make LiteSockets. */
  get readsNatively(): boolean {
    return this.nativeReads !== null;
  }

  /** Takes a connection from a listener (src/server/listeners.ts). */
  accept(socket: ClientSocket): void {
    // The socket when Node is to read it: a connection refused here (until it closes), or one the addon cannot read.
    const nodeReading = (): net.Socket => (socket instanceof LiteSocket ? socket.upgrade(true) : (socket as net.Socket));
    const maxclients = this.config.int("maxclients");
    if (this.clients.size >= maxclients) {
      this.stats.rejectedConnections++;
      nodeReading().end("-ERR max number of clients reached\r\n");
      return;
    }
    // Without a password for the default user, protected mode serves the loopback interface only.
    if (refuseIfProtected(socket, nodeReading, this.config.bool("protected-mode"), this.auth.defaultNoPass())) {
      this.stats.rejectedConnections++;
      return;
    }
    this.stats.totalConnections++;
    const client = new Client(this.nextClientId++, socket, {
      limits: this.hot,
      authRequired: !this.auth.defaultNoPass(),
      unixSocket: socket.remoteAddress === undefined ? this.config.get("unixsocket") : null,
    });
    client.user = this.auth.defaultUser;
    this.clients.set(client.id, client);
    const keepalive = this.config.int("tcp-keepalive");
    // Probes as Redis's anetKeepAlive sets them (Node's own: every second, ten times).
    if (keepalive > 0 && !(client.fd >= 0 && engine.io.socketKeepAlive(client.fd, keepalive))) socket.setKeepAlive(true, keepalive * 1000);
    if (!readsDirect(socket) || !this.nativeReads?.adopt(client)) {
      // Node reads it: directly into the parser where it can.
      const node = nodeReading();
      if (readsDirect(node)) {
        const parser = client.parser;
        setReader(node, (view) => this.onData(client, view, true), () => parser.readTarget());
      }
      else node.on("data", (chunk: Buffer) => this.onData(client, chunk, false));
    }
    socket.on("drain", () => {
      if (client.closed) return;
      if (client.readSlot >= 0) this.nativeReads!.pause(client, false);
      else if (socket.isPaused()) socket.resume();
      if (client.outputWait) {
        client.outputWait = false;
        if (!client.postponed && !client.blocked) this.processInput(client);
      }
      this.markForLoop(client);
    });
    socket.on("error", () => this.closeClient(client));
    socket.on("close", () => this.closeClient(client));
  }

  /**
   * Client sockets read by the addon, one JavaScript call per loop turn (native-reads.ts);
   * null when NODIS_READS=node asks for Node's own reading (comparisons).
   */
  private readonly nativeReads: NativeReads | null =
    process.env.NODIS_READS === "node"
      ? null
      : new NativeReads({
          onBatch: (client, b) => this.onLoopBatch(client, b),
          loopBatchesDone: () => this.batchPath.endLoopTurn(),
          onLoopCrossing: (client) => {
            batchScripts.server = this;
            batchScripts.client = client;
          },
          onBatchRest: (client, rest, nread) => this.onData(client, rest, true, true, nread),
          onHeld: (client, nread, have, bulk, argv) => this.onHeldRead(client, nread, have, bulk, argv),
          // Its earlier reads were counted as they came (onHeld).
          onHeldTake: (client, command, nread) => {
            queryBufferHeld(client, 0, -1, 0);
            this.batchPath.heldTaken++;
            this.stats.netInputBytes -= command.length - nread;
            this.onData(client, command, false, true, nread);
          },
          onData: (client, chunk, transient) => this.onData(client, chunk, transient),
          // The peer closed its side: as Node does without allowHalfOpen, what is queued still goes out, then the socket closes.
          onEnd: (client) => this.closeWhenSent(client),
          onReadError: (client) => this.closeClient(client),
          onTurnReads: (handing) => {
            this.turnReplies = handing;
            if (!handing && this.pendingCount > 0) this.flushPending();
          },
        });

  /**
   * While a turn's reads are handed on: a client's small replies wait in its
   * pending output and every client's go out together once the turn's reads
   * ran (Redis's handleClientsWithPendingWrites). Written one by one, each
   * woke its client while the others still ran: a pipelining client then
   * blocked for its next replies about ten times as often (EVALSHA -P 16).
   */
  private turnReplies = false;

  /** Bytes of a command the read loop holds (its big last argument, native/src/api/held.rs) came. */
  private onHeldRead(client: Client, nread: number, have: number, bulk: number, argv: number): void {
    if (client.closed) return;
    this.stats.netInputBytes += nread;
    client.lastInteraction = Date.now();
    queryBufferHeld(client, have, bulk, argv);
  }

  /**
   * A read's bytes; `transient`: a view of a shared buffer, valid only during this call.
   * `runNow` false: the commands run on the next turn (input read ahead, readArrivedInput).
   */
  private onData(client: Client, chunk: Buffer, transient: boolean, runNow = true, nread = chunk.length): void {
    if (client.closed || client.closeAfterReply) return;
    this.stats.netInputBytes += chunk.length;
    client.lastInteraction = Date.now();
    engine.server.setClock(client.lastInteraction);
    const parser = client.parser;
    const lenBefore = parser.queryLen;
    const bulkBefore = parser.bulkInProgress;
    parser.feed(chunk, transient);
    if (parser.pending > this.hot.queryBufferLimit) {
      const head = repr(chunk.subarray(0, 64));
      this.log.warning(
        `Closing client that reached max query buffer length: ${client.info(Date.now(), false)} (qbuf initial bytes: ${head})`,
      );
      this.queryLimitDisconnections++;
      this.closeClient(client);
      return;
    }
    // Held (postponed, blocked, output waiting): the input waits in the parser.
    queryBufferBeforeRun(client, lenBefore, bulkBefore);
    if (!runNow) {
      // Input waiting in the parser: the read loop must not run a later read of the client before it.
      this.unmarkForLoop(client);
      parser.peekBigBulk(BIG_ARG);
      if (!client.outputWait) this.resume(client);
    }
    else if (!client.postponed && !client.blocked && !client.outputWait) this.processInput(client);
    if (client.closed) return;
    queryBufferRead(client, nread, lenBefore, bulkBefore, parser.queryLen);
    // A query buffer growing with an unfinished command: maxmemory-clients weighs it as it grows.
    if (this.eviction.clientsLimit !== 0 && parser.pending > 0) this.eviction.afterInput(client);
  }

  /**
   * CLIENT LIST: input that reached the other clients' sockets and is not read
   * yet is read now (one 16 KB read each, as Redis reads), into their query
   * buffers; their commands run on the next turn. Redis reads a socket as soon
   * as it is readable, before it serves another client that sent later, so its
   * CLIENT LIST shows what has arrived; Node's loop may serve a client whose
   * socket it polled first (epoll requeues a socket it just read) ahead of one
   * whose bytes came earlier. Only sockets read directly (no stream buffering).
   */
  readArrivedInput(except: Client): void {
    for (const c of [...this.clients.values()]) {
      if (c === except || c.closed || c.closeAfterReply || c.fd < 0 || !readsDirect(c.socket)) continue;
      // The loop holds the start of a command of it (a big argument coming): what follows is the loop's to read.
      if (this.nativeReads?.holding(c)) continue;
      const target = c.parser.readTarget() ?? READ_AHEAD;
      let n = 0;
      try {
        n = fs.readSync(c.fd, target, 0, target.length, null);
      } catch {
        continue; // EAGAIN: nothing waiting (errors and EOF are the socket's own reader's to see)
      }
      if (n > 0) {
        this.onData(c, target.subarray(0, n), target === READ_AHEAD, false);
        // The addon's next read of it may have had a place in the big argument just filled.
        this.nativeReads?.reaim(c);
      }
    }
  }

  /**
   * A read the addon's loop ran on the batch path (native-reads.ts): what
   * onData, processInput and flush do around a batch, from its log. Called for
   * every such read of a turn before anything else of the turn runs (they ran
   * first); what the batch left of the read comes after, to onData.
   */
  private onLoopBatch(client: Client, b: LoopBatch): void {
    if (client.closed) return;
    // A command the loop held ran (or nothing was held).
    if (client.heldBulk >= 0) queryBufferHeld(client, 0, -1, 0);
    this.stats.netInputBytes += b.consumed;
    client.lastInteraction = b.now;
    if ((b.bits & EVB_PANICKED) !== 0) this.log.warning("Batch of commands failed: a native panic in the read loop");
    queryBufferBeforeRun(client, 0, -1);
    const r = b.reply;
    r.pos = b.outEnd;
    const owns = (b.bits & EVB_RECORDS) !== 0;
    // The running client, as while its input runs: what it propagates moves its replication offset (WAIT's woff).
    const prev = this.current;
    this.current = client;
    try {
      // What the last command recorded is drained there, propagating or not.
      this.batchPath.accountLoop(client, b, owns);
    } finally {
      this.current = prev;
    }
    // Its script goes on as a busy script: its client waits for it, and the loop stops while others get -BUSY.
    if ((b.bits & EVB_SUSPENDED) !== 0) {
      this.unmarkForLoop(client);
      this.loopState();
    }
    const bytes = b.outEnd - b.outStart;
    client.lastBatchBytes = bytes;
    this.stats.netOutputBytes += bytes;
    noteReplies(client, bytes);
    if (b.sent < bytes || (b.bits & EVB_SPILLED) !== 0) {
      // What the kernel did not take (or a reply that spilled, sent by nobody yet) goes through Node, in order.
      const out = new Reply(bytes - b.sent + 64);
      r.buf.copy(out.buf, 0, b.outStart + b.sent, b.outEnd);
      out.pos = bytes - b.sent;
      if ((b.bits & EVB_SPILLED) !== 0) {
        const before = out.pos;
        land(out, Code.NOSPACE);
        this.stats.netOutputBytes += out.pos - before;
      }
      this.unmarkForLoop(client);
      sendTo(client.socket, client.fd, out.view());
      this.checkOutputLimits(client, true);
    } else if (client.softLimitSince !== 0) client.softLimitSince = 0;
    if (b.consumed === b.length) queryBufferRead(client, b.consumed, 0, -1, 0);
  }

  /**
   * Lets the addon's read loop run `client`'s next reads on the batch path
   * (native-reads.ts), or stops it: batch.ts's rules, with nothing of the
   * client's held back (input, output queued in Node or pending, a paused
   * read, a blocked or postponed command) and no hard output limit for its
   * class. Called where they may change: after its input ran, its output drained.
   */
  private markForLoop(client: Client): void {
    const nr = this.nativeReads;
    if (nr === null || client.readSlot < 0) return;
    // While the server refuses the loop, the client's own flag is only cleared: set, it could outlive its reasons.
    if (!this.loopState()) return nr.mark(client, false);
    const parser = client.parser;
    nr.mark(
      client,
      !client.closed &&
        !client.closeAfterReply &&
        !client.blocked &&
        client.postponed === null &&
        !client.outputWait &&
        !client.readStopped &&
        client.pendingBytes === 0 &&
        parser.pending === 0 &&
        parser.bulkInProgress === -1 &&
        client.socket.writableLength === 0 &&
        this.batchPath.clientAllows(client) &&
        this.replyCapOf(client) === 0,
    );
  }

  /** The read loop leaves `client` alone until markForLoop lets it run there again. */
  private unmarkForLoop(client: Client): void {
    if (client.readSlot >= 0) this.nativeReads!.mark(client, false);
  }

  /** The server's word to the read loop (batch.ts loopAllows); a change of ACL rules stops every client's batches there. */
  private loopState(): boolean {
    const nr = this.nativeReads;
    if (nr === null) return false;
    if (this.aclSeen !== aclRules.changes) {
      this.aclSeen = aclRules.changes;
      nr.unmarkAll(this.clients.values());
    }
    const on = this.batchPath.loopAllows();
    nr.serverAllows(on);
    nr.serverNeeds(this.writePath.propagating(), this.eviction.clientsLimit === 0, this.intro.slowerThan, on && this.batchPath.loopScripts());
    return on;
  }
  private aclSeen = -1;

  /** The introspection state (slow log threshold, MONITORs), looked up once: the request path reads it per batch. */
  get intro(): Introspection {
    return (this.introState ??= introspection(this));
  }
  private introState: Introspection | null = null;

  /** Runs every complete command buffered for `client`, then sends the replies in one write. */
  private processInput(client: Client): void {
    this.runInput(client);
    // With replies pending (they wait for the turn's end) the loop leaves it alone already; flushPendingOf marks it.
    if (client.pendingBytes === 0) this.markForLoop(client);
  }

  private runInput(client: Client): void {
    // What the read loop's waiting batches count is seen by every command (INFO, CONFIG RESETSTAT...).
    settleReads();
    const r = this.reply;
    this.commandClock = performance.now();
    const parser = client.parser;
    this.current = client;
    // Commands replying in a loop stop past the client's output limit (it is closed, the reply dropped).
    const cap = this.replyCapOf(client);
    engine.server.setReplyCap(cap);
    // A batch stops once its replies pass that limit: the commands after it do not run (Redis's CLOSE_ASAP).
    const batchLimit = cap > 0 && cap < OUTPUT_PAUSE_BYTES ? cap : OUTPUT_PAUSE_BYTES;
    try {
      const held = client.postponed;
      if (held) {
        client.postponed = null;
        client.blocked = false;
        if (this.mustPostpone(client, held)) {
          this.postpone(client, held);
          return;
        }
        this.run(client, held, r);
      }
      // After a native batch the next command is one it left to the usual way.
      let tryBatch = true;
      // Batches in a row that ran nothing, and commands still to run the usual way before the next try (see BATCH_SKIP_MAX).
      let misses = 0;
      let skip = 0;
      // A batch stops once its replies are big: the rest waits until the client reads them.
      while (!client.closeAfterReply && !client.closed && !client.blocked) {
        if (r.pos >= OUTPUT_PAUSE_BYTES) {
          client.outputWait = true;
          break;
        }
        if (tryBatch && skip > 0) skip--;
        else if (tryBatch && this.batchPath.allowed(client)) {
          if (this.runBatch(client, r, batchLimit) > 0) {
            misses = 0;
            if (r.pos > REPLY_BUFFER_BYTES && this.replyOverLimit(client, r, this.batchPath.countedBytes(r))) break;
            tryBatch = engine.batch.mayGoOn();
            continue;
          }
          skip = ++misses < 3 ? 0 : Math.min(2 ** (misses - 2) - 1, BATCH_SKIP_MAX);
        }
        tryBatch = true;
        const argv = parser.next();
        if (argv === null) break;
        const name = argv[0];
        if ((name.length === 4 || name.length === 5) && isCrossProtocolAttack(name)) {
          this.securityWarning(client);
          return;
        }
        if (this.pauseEnd !== 0 && this.mustPostpone(client, argv)) {
          this.postpone(client, argv);
          break;
        }
        const start = r.pos;
        if (parser.lentAt < 0) this.run(client, argv, r);
        else {
          const queued = client.multiCount >= 0;
          this.run(client, argv, r);
          this.settleLent(client, argv, queued);
        }
        if (r.pos > REPLY_BUFFER_BYTES && this.replyOverLimit(client, r, countedReplyBytes(client.lastCommand, start, r.pos))) break;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // The message may hold a byte the client sent (latin1, one char each): as sent, and up to a NUL.
      r.error(["ERR Protocol error: ", cstr(Buffer.from(e.message, "latin1"))]);
      if (this.log.level === "verbose" || this.log.level === "debug") {
        this.log.verbose(`Protocol error (${e.reason}) from client: ${client.info(Date.now(), false)}. ${parser.sample()}`);
      }
      client.closeAfterReply = true;
    } finally {
      this.current = null;
      engine.server.setReplyCap(0);
    }
    if (r.pos > client.rbPeak) noteReplies(client, r.pos);
    this.flush(client);
  }

  /** The batch path over `client`'s input (see batch.ts), replying up to `limit` bytes: how many commands ran. */
  private runBatch(client: Client, r: Reply, limit: number): number {
    r.resp = client.resp;
    engine.server.setResp(client.resp);
    engine.server.setNoTouch(client.noTouch);
    let n = 0;
    try {
      n = this.batchPath.run(client, client.parser, r, limit);
    } catch (e) {
      // A native panic: the commands before it ran and are answered; the usual way runs the rest (and answers the error).
      this.log.warning(`Batch of commands failed: ${e instanceof Error ? e.stack : String(e)}`);
      return 0;
    }
    // The next command's time starts here (call() reads the clock where the previous command ended).
    if (n > 0) this.commandClock = performance.now();
    return n;
  }

  /**
   * After a command that got a big argument's Buffer from the parser: gives the
   * Buffer back to the pool (arg-pool.ts) when nothing can refer to it any more,
   * that is the command ran (not queued by MULTI, not blocked) as the bare engine
   * call, which copies what it keeps, and the argument is not a key (keys live on
   * in keyspace events, WATCH and tracking).
   */
  private settleLent(client: Client, argv: Buffer[], queued: boolean): void {
    const parser = client.parser;
    const at = parser.lentAt;
    const buf = parser.lentBuffer!;
    parser.lentAt = -1;
    parser.lentBuffer = null;
    if (queued || client.blocked || client.postponed || argv.length < 2) return;
    const spec = this.commandNames?.get(argv[0]);
    if (!spec || spec.subcommands || spec.flags.includes("blocking")) return;
    if (engineFormOf(spec.handler) === undefined) return;
    const keys = commandKeys(spec, argv);
    if (keys === null || keys.some((k) => k.pos === at)) return;
    giveArgBuffer(buf);
  }

  /** Executes one command, dropping its reply when CLIENT REPLY OFF/SKIP says so. */
  private run(client: Client, argv: Buffer[], r: Reply): void {
    r.resp = client.resp;
    engine.server.setResp(client.resp);
    const mark = r.pos;
    try {
      execute(this, client, argv, r);
    } catch (e) {
      // A bug in one command must not take the server (and every client) down.
      r.pos = mark;
      const what = e instanceof Error ? e.message : String(e);
      this.log.warning(`Command '${argv[0].toString("latin1")}' failed: ${e instanceof Error ? e.stack : what}`);
      r.error(`ERR internal error: ${what}`);
    }
    if (client.replyFlags !== 0) {
      if (client.replyFlags & (REPLY_OFF | REPLY_SKIP)) r.pos = mark;
      client.replyFlags &= ~REPLY_SKIP;
      if (client.replyFlags & REPLY_SKIP_NEXT) client.replyFlags = (client.replyFlags & ~REPLY_SKIP_NEXT) | REPLY_SKIP;
    }
    // Pushes made for this client while its command ran follow its whole reply, and go out even
    // under CLIENT REPLY OFF/SKIP (Redis's pending_push_messages and CLIENT_PUSHING).
    if (this.deferredPushes.length > 0) for (const b of this.deferredPushes.splice(0)) r.raw(b);
  }

  /**
   * Runs `fn`, a command of `client` outside the client's own batch (a blocked
   * command run again), as if its batch were running: `fn` writes the reply into
   * `r`, output made for the client meanwhile (pushes) follows it, and the whole
   * joins the client's pending output. The running batch's state is put back after.
   */
  runFor(client: Client, r: Reply, fn: () => void): void {
    const prevCurrent = this.current;
    const prevReply = this.reply;
    const prevPushes = this.deferredPushes.splice(0);
    this.current = client;
    this.reply = r;
    r.pos = 0;
    r.resp = client.resp;
    engine.server.setResp(client.resp);
    engine.server.setNoTouch(client.noTouch);
    try {
      fn();
    } catch (e) {
      const what = e instanceof Error ? e.message : String(e);
      this.log.warning(`Command run for a blocked client failed: ${e instanceof Error ? e.stack : what}`);
      r.error(`ERR internal error: ${what}`);
    } finally {
      if (client.replyFlags & REPLY_OFF) r.pos = 0;
      if (this.deferredPushes.length > 0) for (const b of this.deferredPushes.splice(0)) r.raw(b);
      this.current = prevCurrent;
      this.reply = prevReply;
      for (const b of prevPushes) this.deferredPushes.push(b);
      if (prevCurrent) {
        engine.server.setResp(prevCurrent.resp);
        engine.server.setNoTouch(prevCurrent.noTouch);
      }
    }
    if (r.pos > 0) this.writeTo(client, r.take());
  }

  /** "POST" or "Host:" as a command: an HTTP request sent to us. Redis drops the connection. */
  private securityWarning(client: Client): void {
    const now = Date.now();
    if (now - this.lastSecurityWarning > 60000) {
      this.log.warning(
        `Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection from ${client.addr} aborted.`,
      );
      this.lastSecurityWarning = now;
    }
    this.reply.pos = 0;
    this.closeClient(client);
  }
  private lastSecurityWarning = 0;

  /** Sends what the batch wrote for `client` in one write (after what was pending for it before the batch). */
  private flush(client: Client): void {
    const r = this.reply;
    // The AOF has what this batch changed: the (small) replies wait in the pending output for the
    // end of the turn, so the AOF is written (and fsynced) once for every client of the turn.
    if (r.pos > 0 && r.pos < COPIED_OUTPUT_MAX && !client.closeAfterReply && !client.closed && (this.turnReplies || (this.holdReplies !== null && this.holdReplies()))) {
      this.writeTo(client, r.view());
      r.pos = 0;
      return;
    }
    if (this.beforeOutputHooks.length !== 0) this.beforeOutput();
    if (client.pendingBytes > 0) this.flushPendingOf(client);
    if (r.pos > 0 && !client.closed) {
      // Written from the arena itself: a write Node finishes at once leaves nothing queued and
      // the arena is free again; else the socket holds the bytes and the arena moves on.
      const out = r.view();
      client.lastBatchBytes = out.length;
      this.stats.netOutputBytes += out.length;
      const socket = client.socket;
      const more = sendTo(socket, client.fd, out);
      r.release(socket.writableLength !== 0);
      this.checkOutputLimits(client, true);
      if (client.outputWait && more && !client.closed) {
        // Everything went out already: no 'drain' will come, go on with the input now.
        client.outputWait = false;
        setImmediate(() => {
          if (!client.closed && !client.postponed && !client.blocked) this.processInput(client);
        });
      }
    } else {
      r.pos = 0;
    }
    if (client.closeAfterReply && !client.closed) this.closeWhenSent(client);
  }

  /** Closes `client` once what was written to its socket has gone out (Redis's CLIENT_CLOSE_AFTER_REPLY). */
  closeWhenSent(client: Client): void {
    // Output still pending for this turn goes to the socket first (closing drops what is pending).
    if (client.pendingBytes > 0) this.flushPendingOf(client);
    if (client.closed) return;
    const socket = client.socket;
    this.closeClient(client, false);
    socket.end();
    socket.once("finish", () => socket.destroy());
  }

  /**
   * Output for a client outside its own batch (pub/sub messages, invalidations,
   * MONITOR lines, unblocked replies): bytes[start, end). For the client whose
   * batch is running it joins that batch's replies, in order; for others it
   * waits in the client's pending output, flushed for all clients once per
   * event-loop turn (Redis's handleClientsWithPendingWrites), so it never
   * overtakes earlier replies. Bytes in the output arena (see outputSpace) are
   * not copied; other output shorter than COPIED_OUTPUT_MAX is copied at once
   * (the caller may reuse its buffer); longer output goes to the socket now,
   * after what is pending, and must not change afterwards.
   */
  writeTo(client: Client, bytes: Buffer, start = 0, end = bytes.length): void {
    if (client.closed) return;
    const n = end - start;
    if (client === this.current) {
      const part = n === bytes.length ? bytes : bytes.subarray(start, end);
      // While its command runs, after that command's whole reply (EXEC's too), as Redis 7.2.
      if (this.writePath.depth > 0) this.deferredPushes.push(n < COPIED_OUTPUT_MAX ? Buffer.from(part) : part);
      else this.reply.raw(part);
      return;
    }
    if (n >= COPIED_OUTPUT_MAX) {
      // Redis counts what the client's reply buffer (rbs, 1-16 KB) does not take before writing
      // anything (all of it once some output waits in its reply list): over the hard limit the
      // client is closed and gets none of it.
      const counted = client.socket.writableLength > 0 ? client.socket.writableLength + client.pendingBytes + n : client.pendingBytes + n - client.rbSize;
      const cls = limitClassOf(client);
      const hard = this.hardLimit(cls, this.outputLimits.get(cls));
      if (hard > 0 && counted >= hard) {
        this.closeOverLimit(client, true);
        return;
      }
      if (this.beforeOutputHooks.length !== 0) this.beforeOutput();
      if (client.pendingBytes > 0) this.flushPendingOf(client);
      if (client.closed) return;
      this.stats.netOutputBytes += n;
      sendTo(client.socket, client.fd, n === bytes.length ? bytes : bytes.subarray(start, end));
      // What Node may hold now goes before any reply of the read loop: it waits for the client's next turn in JavaScript.
      this.unmarkForLoop(client);
      this.checkOutputLimits(client, true);
      return;
    }
    // Pending output: the read loop leaves the client alone until it has gone out (flushPendingOf).
    this.unmarkForLoop(client);
    let at = start;
    if (bytes !== this.arena.buf) {
      at = this.outputSpace(n);
      const to = this.arena.buf;
      if (n <= 16) for (let i = 0; i < n; i++) to[at + i] = bytes[start + i];
      else bytes.copy(to, at, start, end);
    }
    // Read after outputSpace: a full arena flushes every client's pending output (this one's too).
    const before = client.pendingBytes;
    (client.pendingOut ??= new PendingRanges()).add(at, at + n);
    const after = before + n;
    client.pendingBytes = after;
    if (before === 0) {
      this.pendingClients[this.pendingCount++] = client;
      if (!this.pendingFlushScheduled) {
        this.pendingFlushScheduled = true;
        setImmediate(this.endOfTurn);
      }
    }
    // The limits are checked at each flush, and here each time another 16 KB is pending: at most that much over them.
    if (before >>> LIMIT_CHECK_STEP_BITS !== after >>> LIMIT_CHECK_STEP_BITS) this.checkOutputLimits(client, true);
  }

  /**
   * Where a caller may build `n` bytes (n < COPIED_OUTPUT_MAX) of output, to
   * hand to writeTo for one client or many without a copy: their offset in
   * `outputArena()`, valid until the turn ends or something else is given to
   * writeTo (then the arena may be a new one: it is read after this call).
   */
  outputSpace(n: number): number {
    let at = this.arena.space(n);
    if (at < 0) {
      // The arena is full: what is pending goes now, and the turn goes on in a new one.
      this.flushPending();
      this.arena.renew();
      at = this.arena.space(n);
    }
    return at;
  }

  /** The output arena's memory (see outputSpace). */
  outputArena(): Buffer {
    return this.arena.buf;
  }

  private beforeOutput(): void {
    for (const h of this.beforeOutputHooks) h();
  }

  /** Writes every client's pending output. */
  private flushPending(): void {
    this.pendingFlushScheduled = false;
    if (this.beforeOutputHooks.length !== 0) this.beforeOutput();
    const list = this.pendingClients;
    // Flushing one may add others (output limits): they are flushed in the same pass.
    for (let i = 0; i < this.pendingCount; i++) {
      const c = list[i]!;
      list[i] = null;
      this.flushPendingOf(c);
    }
    this.pendingCount = 0;
  }

  /** Once per event-loop turn with pending output (Redis's handleClientsWithPendingWrites). */
  private readonly endOfTurn = () => {
    this.flushPending();
    this.arena.reuse();
  };

  private flushPendingOf(client: Client): void {
    const n = client.pendingBytes;
    if (client.closed || n === 0) return;
    client.pendingBytes = 0;
    this.stats.netOutputBytes += n;
    const out = client.pendingOut!.take(this.arena, n);
    const socket = client.socket;
    if (out.buffer !== this.arena.buf.buffer) sendTo(socket, client.fd, out);
    else if (socket.writableLength > 0) {
      // Backed up already: its own copy, so a slow client does not keep the arena alive.
      socket.write(Buffer.from(out));
    } else {
      sendTo(socket, client.fd, out);
      if (socket.writableLength > 0) this.arena.pinned = true;
    }
    this.checkOutputLimits(client, true);
    if (client.readSlot >= 0 && client !== this.current) this.markForLoop(client);
  }

  /**
   * The replies of the running batch count as output not yet written (`counted`
   * of them: reply-accounting.ts): over the limits the client is closed and gets
   * none of them, as Redis closes it before writing (a whole transaction or
   * script still ran).
   */
  private replyOverLimit(client: Client, r: Reply, counted: number): boolean {
    this.checkOutputLimits(client, true, counted);
    if (!client.closed) return false;
    r.pos = 0;
    return true;
  }

  /** The reply size past which `client`'s hard output limit closes it (0: no hard limit). */
  private replyCapOf(client: Client): number {
    const hard = this.outputLimits.get(limitClassOf(client))?.hard ?? 0;
    return hard > 0 ? hard + REPLY_BUFFER_BYTES : 0;
  }

  /** Reads client-output-buffer-limit into per-class limits. */
  private readOutputLimits(): void {
    const words = this.config.get("client-output-buffer-limit").split(/\s+/);
    for (let i = 0; i + 3 < words.length; i += 4) {
      const cls = (words[i] === "replica" ? "slave" : words[i]) as ClientType;
      this.outputLimits.set(cls, { hard: Number(words[i + 1]), soft: Number(words[i + 2]), softSeconds: Number(words[i + 3]) });
    }
  }

  /** The hard output limit of class `cls` with limits `lim` (0: none). A replica's is never under repl-backlog-size: a partial sync would succeed and then cut it (Redis ignores such a limit). */
  private hardLimit(cls: ClientType, lim: OutputLimit | undefined): number {
    const hard = lim?.hard ?? 0;
    return cls === "slave" && hard > 0 ? Math.max(hard, this.config.int("repl-backlog-size")) : hard;
  }

  /** Closes `client` for its output over the limits, with Redis's log line. */
  private closeOverLimit(client: Client, fromWrite: boolean): void {
    const what = fromWrite ? "scheduled to be closed ASAP" : "closed";
    this.log.warning(`Client ${client.info(Date.now(), false)} ${what} for overcoming of output buffer limits.`);
    this.outputLimitDisconnections++;
    client.closeAsap = true;
    this.closeClient(client);
  }

  /**
   * Redis's checkClientOutputBufferLimits: closes a client whose unsent output is over
   * the hard limit of its class, or over the soft limit for longer than its seconds.
   * Without limits, stops reading from the client until its output drains.
   */
  private checkOutputLimits(client: Client, fromWrite: boolean, replies = 0): void {
    const queued = client.socket.writableLength + client.pendingBytes;
    const used = queued + replies;
    if (used === 0) {
      client.softLimitSince = 0;
      return;
    }
    const cls = limitClassOf(client);
    const lim = this.outputLimits.get(cls);
    let over = false;
    if (lim) {
      const hard = this.hardLimit(cls, lim);
      if (hard > 0 && used >= hard) over = true;
      if (lim.soft > 0 && used >= lim.soft) {
        const now = Date.now();
        if (client.softLimitSince === 0) client.softLimitSince = now;
        else if (Math.floor((now - client.softLimitSince) / 1000) > lim.softSeconds) over = true;
      } else client.softLimitSince = 0;
    }
    if (over) {
      this.closeOverLimit(client, fromWrite);
      return;
    }
    if ((queued > OUTPUT_PAUSE_BYTES || client.outputWait) && !client.readingPaused()) {
      if (client.readSlot >= 0) this.nativeReads!.pause(client, true);
      else client.socket.pause();
    }
  }

  closeClient(client: Client, destroy = true): void {
    if (client.closed) return;
    // The read loop's waiting batches of the client are counted while it is still open.
    settleReads();
    client.closed = true;
    if (client.readSlot >= 0) this.nativeReads!.release(client);
    this.clients.delete(client.id);
    client.pendingOut = null;
    client.pendingBytes = 0;
    client.parser.clear();
    if (client.postponed) {
      client.postponed = null;
      const i = this.postponedClients.indexOf(client);
      if (i >= 0) this.postponedClients.splice(i, 1);
    }
    for (const h of this.closeHooks) h(client);
    if (destroy) client.socket.destroy();
    this.lastClosed = client;
  }

  /**
   * The last client closed, kept: V8 drops optimized code whose hidden classes
   * no live object has any more, so once every client had gone and a full
   * collection ran, the whole request path went back to the interpreter and
   * was compiled again on the next connections (tens of ms of compiling, and
   * slower requests meanwhile, after each wave of reconnections).
   */
  private lastClosed: Client | null = null;

  /** After a blocked client is released: runs the commands it received meanwhile. */
  resume(client: Client): void {
    setImmediate(() => {
      if (!client.closed && !client.blocked && !client.postponed) this.processInput(client);
    });
  }

  /** CLIENT KILL: closes another client now; the calling one after its reply. */
  killClient(client: Client, caller: Client): void {
    if (client === caller) client.closeAfterReply = true;
    else this.closeClient(client);
  }

  /** RESET: the connection state of a fresh client (Redis's clearClientConnectionState). */
  resetClient(client: Client): void {
    for (const h of this.resetHooks) h(client);
    if (client.flags.delete("monitor")) client.flags.delete("slave"); // MONITOR clients are marked as replicas too
    client.flags.delete("pubsub");
    client.flags.delete("readonly");
    client.db = 0;
    client.resp = 2;
    client.user = this.auth.defaultUser;
    client.authenticated = this.auth.defaultNoPass();
    client.name = "";
    client.replyFlags &= ~(REPLY_OFF | REPLY_SKIP_NEXT);
    client.noEvict = false;
    client.noTouch = false;
  }

  // ---- CLIENT PAUSE -------------------------------------------------------------

  /** Whether commands are being held now (a pause past its end is lifted here). */
  isPaused(): boolean {
    if (this.pauseEnd === 0) return false;
    if (Date.now() < this.pauseEnd) return true;
    this.unpause();
    return this.pauseEnd !== 0;
  }

  /**
   * What holds writes until it ends, apart from CLIENT PAUSE's own pause: FAILOVER (Redis's
   * PAUSE_DURING_FAILOVER), a shutdown waiting for its replicas (PAUSE_DURING_SHUTDOWN).
   */
  private readonly writeHolds = new Set<"failover" | "shutdown">();
  private get writesHeld(): boolean {
    return this.writeHolds.size > 0;
  }

  /** Starts or ends FAILOVER's hold on writes. */
  holdWritesForFailover(on: boolean): void {
    this.holdWrites("failover", on);
  }

  /** Starts or ends a hold on writes (FAILOVER's, a shutdown's). */
  holdWrites(reason: "failover" | "shutdown", on: boolean): void {
    if (this.writeHolds.has(reason) === on) return;
    const before = this.writesHeld;
    if (on) this.writeHolds.add(reason);
    else this.writeHolds.delete(reason);
    if (this.writesHeld === before) return;
    if (on) {
      // The read loop stops running commands itself at once (it asks again each turn).
      this.nativeReads?.serverAllows(false);
      if (this.pauseEnd === 0) this.pauseAll = false;
      this.setPauseEnd(Number.MAX_SAFE_INTEGER);
    } else if (this.pauseEnd === Number.MAX_SAFE_INTEGER) {
      // CLIENT PAUSE's own end, if one is running, is on its timer.
      this.setPauseEnd(this.clientPauseEnd > Date.now() ? this.clientPauseEnd : 0);
      if (this.pauseEnd === 0) this.unpause();
    }
  }
  /** CLIENT PAUSE's end time while FAILOVER's hold is on too. */
  private clientPauseEnd = 0;

  /**
   * CLIENT PAUSE: hold all commands (or only writes) until `endMs`. A later pause keeps
   * the later end time and the more restrictive mode, as Redis does.
   */
  pause(endMs: number, all: boolean): void {
    if (endMs <= Date.now() && this.pauseEnd === 0) return;
    const wasAll = this.pauseEnd !== 0 && this.pauseAll;
    this.pauseAll = all || wasAll;
    if (endMs > this.clientPauseEnd) this.clientPauseEnd = endMs;
    if (endMs > this.pauseEnd) this.setPauseEnd(endMs);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      if (this.writesHeld) this.unpause();
      else this.isPaused();
    }, Math.max(0, this.clientPauseEnd - Date.now()) + 1);
  }

  /** What runs once when a pause ends: a replica's link applying the primary's commands it held. */
  readonly unpauseWaiters = new Set<() => void>();

  /** CLIENT UNPAUSE (and the end of a pause): held clients run their commands, in order. */
  unpause(): void {
    this.setPauseEnd(this.writesHeld ? Number.MAX_SAFE_INTEGER : 0);
    this.pauseAll = false;
    this.clientPauseEnd = 0;
    if (this.pauseTimer) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = null;
    }
    if (this.unpauseWaiters.size > 0) {
      const waiters = [...this.unpauseWaiters];
      this.unpauseWaiters.clear();
      setImmediate(() => {
        for (const w of waiters) w();
      });
    }
    if (this.postponedClients.length === 0) return;
    const held = this.postponedClients.splice(0);
    // Resume after the current command finishes, as Redis does in beforeSleep.
    setImmediate(() => {
      for (const c of held) if (!c.closed && c.postponed) this.processInput(c);
    });
  }

  /** Whether the pause holds this command (checked only while paused). */
  private mustPostpone(client: Client, argv: Buffer[]): boolean {
    if (!this.isPaused() || client.flags.has("slave")) return false;
    let spec = this.commands.get(argv[0].toString("latin1").toLowerCase());
    if (!spec) return false; // errors are answered at once
    if (spec.subcommands) {
      spec = argv.length > 1 ? spec.subcommands.get(argv[1].toString("latin1").toLowerCase()) : undefined;
      if (!spec) return false;
    }
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return false;
    if (!client.authenticated && (spec.bits & CMD_NO_AUTH) === 0) return false;
    if (this.pauseAll) return true;
    if (spec.name === "exec") return client.multiWrites;
    // A script is judged by its declared flags: a no-writes script runs during a write pause.
    return (effectiveSpec(spec, argv).bits & CMD_WRITE_OR_MAY_REPLICATE) !== 0;
  }

  /** Holds `argv` until the pause ends; the client counts as blocked meanwhile, as in Redis. */
  private postpone(client: Client, argv: Buffer[]): void {
    client.postponed = argv;
    client.blocked = true;
    this.postponedClients.push(client);
  }

  afterCommand(client: Client, spec: CommandSpec, argv: Buffer[], usec: number): void {
    for (const o of this.observers) o(client, spec, argv, usec);
  }

  /** Stops listening, disconnects everyone; resolves when done. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.timer) clearInterval(this.timer);
      if (this.pauseTimer) clearTimeout(this.pauseTimer);
      for (const c of [...this.clients.values()]) this.closeClient(c);
      // Its state no longer holds back the read loop (other servers of the process).
      this.nativeReads?.serverAllows(true);
      this.nativeReads?.retire();
    })();
    return this.closing;
  }

  /** SHUTDOWN: stop and let the owner (the CLI) exit. `announced`: the shutdown sequence logged its start. */
  shutdown(announced = false): void {
    // Redis 7.2's levels: the request is a notice, the last line a warning.
    if (!announced) this.log.notice("User requested shutdown...");
    for (const h of this.exitHooks) h();
    this.log.warning("Redis is now ready to exit, bye bye...");
    void this.close().then(() => this.onShutdown?.());
  }
}

/** Whether a command name is "post" or "host:" (any case), compared bytewise to stay allocation-free. */
function isCrossProtocolAttack(name: Buffer): boolean {
  const want = name.length === 4 ? POST : HOST;
  for (let i = 0; i < want.length; i++) if ((name[i] | 0x20) !== want[i]) return false;
  return true;
}
const POST = Buffer.from("post");
const HOST = Buffer.from("host:");

/** Bytes quoted as Redis's sdscatrepr prints them in logs: "a\r\n\x00". */
function repr(b: Buffer): string {
  const ESC: Record<number, string> = { 10: "\\n", 13: "\\r", 9: "\\t", 7: "\\a", 8: "\\b", 34: '\\"', 92: "\\\\" };
  let out = '"';
  for (const c of b) out += ESC[c] ?? (c >= 32 && c < 127 ? String.fromCharCode(c) : "\\x" + c.toString(16).padStart(2, "0"));
  return out + '"';
}
