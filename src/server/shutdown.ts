/**
 * The shutdown sequence, as Redis 7's prepareForShutdown / finishShutdown: unless
 * NOW (or shutdown-timeout is 0), while a replica has not acknowledged the whole
 * stream, writes are held, the replicas are asked for an ACK (REPLCONF GETACK),
 * and the shutdown finishes when every replica has caught up or shutdown-timeout
 * seconds have passed (the cron checks, and each ACK). SHUTDOWN's callers wait
 * meanwhile (blocked); SHUTDOWN ABORT cancels, and so does a failure to finish
 * (an RDB save or the first AOF): the waiting callers then get the error.
 */
import type { Client } from "./client.js";
import type { Server } from "./server.js";
import { infoProviders } from "../commands/info.js";

export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  now: boolean;
  force: boolean;
}

/** A primary's side of replication, as the shutdown needs it (src/replication/primary.ts's Primary). */
export interface ReplicationState {
  /** master_repl_offset. */
  offset: number;
  /** The online replicas: what each acknowledged, when, and its name's parts. */
  readonly replicas: Map<Client, { ackOffset: number; ackTime: number; ip: string | null; listeningPort: number }>;
  /** Puts a command straight into the stream (the GETACK). */
  replicate(argv: Buffer[]): void;
  /** Called after replicas' ACKs arrive or leave. */
  readonly ackHooks: (() => void)[];
}

/** What persistence and replication do on the way out; they register here (src/persistence, src/replication). */
export const shutdownHooks: {
  /** The server's replication state (replication registers it; none: no replicas). */
  replication?: (server: Server) => ReplicationState;
  /** A running background save (or backup) is killed. */
  killChildren?: (server: Server) => void;
  /** The AOF: false while the first AOF is being written (the shutdown fails unless FORCE). */
  mayStop?: (force: boolean) => boolean;
  /** The final synchronous save; true when saved. `bySignal`: a second SIGINT may end it. */
  save?: (server: Server, bySignal: boolean) => boolean;
} = {};

export const SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs.";

/** A shutdown under way (initiated, waiting for replicas). */
interface Pending {
  flags: ShutdownFlags;
  /** When it finishes even with replicas behind (Redis's shutdown_mstime), ms. */
  deadline: number;
  bySignal: boolean;
}

class Shutdown {
  pending: Pending | null = null;
  /** SHUTDOWN callers waiting for the outcome. */
  readonly waiting = new Set<Client>();
  private checkQueued = false;

  constructor(private readonly server: Server) {
    server.closeHooks.push((c) => this.waiting.delete(c));
    server.cronHooks.push(() => this.check());
    shutdownHooks.replication?.(server).ackHooks.push(() => this.checkSoon());
  }

  /**
   * prepareForShutdown: "exit" when the server is stopping, "waiting" while replicas
   * catch up, "failed" when it keeps running (logged; waiting callers answered).
   */
  request(flags: ShutdownFlags, bySignal: boolean, caller: Client | null): "exit" | "waiting" | "failed" {
    // One under way already: this caller waits for it too.
    if (this.pending !== null) {
      if (caller !== null) this.block(caller);
      return "waiting";
    }
    const server = this.server;
    // Loading, the dataset is incomplete: never saved then.
    if (server.loading) flags = { ...flags, save: false, nosave: true };
    server.log.notice("User requested shutdown...");
    const timeout = server.config.int("shutdown-timeout");
    if (!flags.now && timeout !== 0 && !this.replicasInSync()) {
      this.pending = { flags, deadline: Date.now() + timeout * 1000, bySignal };
      if (!server.paused()) this.replication()?.replicate([Buffer.from("REPLCONF"), Buffer.from("GETACK"), Buffer.from("*")]);
      server.holdWrites("shutdown", true);
      server.log.notice("Waiting for replicas before shutting down.");
      if (caller !== null) this.block(caller);
      return "waiting";
    }
    // At once: a failure is the caller's to answer.
    this.pending = { flags, deadline: 0, bySignal };
    return this.finish() ? "exit" : "failed";
  }

  /** SHUTDOWN ABORT: false when no shutdown is under way. */
  abort(): boolean {
    if (this.pending !== null) this.cancel();
    else if (this.server.pendingShutdown !== null) this.server.pendingShutdown = null;
    else return false;
    this.server.log.notice("Shutdown manually aborted.");
    return true;
  }

  /** shutdown_in_milliseconds, or null when not waiting. */
  remainingMs(): number | null {
    return this.pending !== null && this.pending.deadline > 0 ? this.pending.deadline - Date.now() : null;
  }

  /** The cron's part: finishes once the replicas have caught up or the time is up. */
  private check(): void {
    const p = this.pending;
    if (p === null || p.deadline === 0) return;
    if (Date.now() >= p.deadline || this.replicasInSync()) this.finish();
  }

  private checkSoon(): void {
    if (this.pending === null || this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      this.check();
    });
  }

  private replication(): ReplicationState | null {
    return shutdownHooks.replication?.(this.server) ?? null;
  }

  /** isReadyToShutdown: every replica has acknowledged the whole stream. */
  private replicasInSync(): boolean {
    const primary = this.replication();
    if (primary === null) return true;
    for (const l of primary.replicas.values()) if (l.ackOffset !== primary.offset) return false;
    return true;
  }

  /** finishShutdown: true when the server is stopping; else logged, cancelled, false. */
  private finish(): boolean {
    const server = this.server;
    const { flags, bySignal } = this.pending!;
    const primary = this.replication();
    const replicas = primary?.replicas ?? new Map();
    let lagging = 0;
    const now = Date.now();
    for (const [c, l] of replicas) {
      if (l.ackOffset === primary!.offset) continue;
      lagging++;
      const name = `${l.ip ?? c.addr.slice(0, c.addr.lastIndexOf(":"))}:${l.listeningPort}`;
      const lag = Math.floor((now - l.ackTime) / 1000);
      server.log.notice(`Lagging replica ${name} reported offset ${primary!.offset - l.ackOffset} behind master, lag=${lag}, state=online.`);
    }
    const n = replicas.size;
    if (n > 0) server.log.notice(`${n - lagging} of ${n} replicas are in sync when shutting down.`);
    shutdownHooks.killChildren?.(server);
    let ok = !shutdownHooks.mayStop || shutdownHooks.mayStop(flags.force);
    if (ok && (flags.save || (!flags.nosave && server.config.get("save").trim() !== ""))) {
      server.log.notice("Saving the final RDB snapshot before exiting.");
      if (!shutdownHooks.save?.(server, bySignal)) {
        if (flags.force) server.log.warning("Error trying to save the DB. Exit anyway.");
        else {
          server.log.warning("Error trying to save the DB, can't exit.");
          ok = false;
        }
      }
    }
    if (!ok) {
      server.log.warning("Errors trying to shut down the server. Check the logs for more information.");
      this.cancel();
      return false;
    }
    this.pending = null;
    server.holdWrites("shutdown", false);
    server.shutdown(true);
    return true;
  }

  /** cancelShutdown: writes flow again, the waiting callers get the error. */
  private cancel(): void {
    this.pending = null;
    this.server.holdWrites("shutdown", false);
    for (const c of [...this.waiting]) this.unblock(c);
  }

  private block(c: Client): void {
    this.waiting.add(c);
    c.blocked = true;
  }

  private unblock(c: Client): void {
    const server = this.server;
    this.waiting.delete(c);
    c.blocked = false;
    // Counted now that it completes (as call() does for a blocked client).
    const st = server.stats.command("shutdown");
    st.calls++;
    st.failed++;
    st.usec += c.blockedUsec;
    c.blockedUsec = 0;
    server.stats.totalCommands++;
    server.writeTo(c, Buffer.from(`-${SHUTDOWN_FAILED}\r\n`));
    server.resume(c);
  }
}

const all = new WeakMap<Server, Shutdown>();

function shutdownOf(server: Server): Shutdown {
  let s = all.get(server);
  if (!s) all.set(server, (s = new Shutdown(server)));
  return s;
}

/** SHUTDOWN (caller given) or a signal (caller null): see Shutdown.request. */
export function requestShutdown(server: Server, flags: ShutdownFlags, bySignal: boolean, caller: Client | null): "exit" | "waiting" | "failed" {
  return shutdownOf(server).request(flags, bySignal, caller);
}

/** SHUTDOWN ABORT. */
export function abortShutdown(server: Server): boolean {
  return shutdownOf(server).abort();
}

/** Whether a shutdown is waiting for replicas (Redis's isShutdownInitiated). */
export function shutdownInitiated(server: Server): boolean {
  return all.get(server)?.pending != null;
}

/** shutdown-on-sigterm / shutdown-on-sigint's words as flags. */
export function signalFlags(words: string): ShutdownFlags {
  const w = words.split(/\s+/);
  return { save: w.includes("save"), nosave: w.includes("nosave"), now: w.includes("now"), force: w.includes("force") };
}

infoProviders.set("shutdown_in_milliseconds", (s) => all.get(s)?.remainingMs() ?? "");
