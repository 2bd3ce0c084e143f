/**
 * Full synchronisations (Redis's startBgsaveForReplication and what follows it):
 * the snapshot is made by a forked child, so the primary's event loop never
 * stalls on it, and the stream written meanwhile is kept (one shared list, as
 * Redis's shared replication buffer) and follows the snapshot.
 *
 * Diskless (`repl-diskless-sync`, every waiting replica reads the EOF form): the
 * child writes the RDB into a pipe, the parent passes what it reads on to every
 * replica of the transfer (`$EOF:<mark>`, the RDB, the mark), reading no faster
 * than the slowest replica takes it; the replicas then wait for their first
 * REPLCONF ACK before the stream flows. From disk: a BGSAVE to the RDB file,
 * then the file as a bulk and the stream. Replicas that ask while a child runs,
 * or within `repl-diskless-sync-delay`, wait (wait_bgsave) for the next one.
 */
import fs from "node:fs";
import net from "node:net";
import { randomHex } from "../server/node-builtins.js";
import { persistence as native } from "../engine/index.js";
import { rdbOf } from "../persistence/index.js";
import { functionHooks } from "../persistence/rdb.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { Primary, ReplicaLink } from "./primary.js";

/** What a replica's snapshot leaves out (Redis's SLAVE_REQ_RDB_EXCLUDE_*, set by REPLCONF rdb-filter-only): the keys, the functions. */
export const SNAPSHOT_EXCLUDE_DATA = 1;
export const SNAPSHOT_EXCLUDE_FUNCTIONS = 2;

/** A replica asking for a full resynchronisation. */
export interface SyncingReplica {
  info: ReplicaLink;
  /** PSYNC (answered +FULLRESYNC), else SYNC. */
  psync: boolean;
}

/** A pipe's read side stops while a replica has this much of the snapshot unsent. */
const PIPE_HIGH_WATER = 4 * 1024 * 1024;

interface Transfer {
  diskless: boolean;
  pid: number;
  /** Replicas the snapshot is for (taken off as they finish, drop or are cut). */
  readonly replicas: Map<Client, SyncingReplica>;
  /** The stream since the fork, for every replica of this transfer, and its length. */
  readonly stream: Buffer[];
  streamBytes: number;
  /** The stream offset at the fork (the stream kept starts at forkOffset + 1). */
  forkOffset: number;
  /** Diskless: the pipe from the child, the end mark, whether the pipe has ended, whether the child exited well. */
  pipe: net.Socket | null;
  mark: string;
  pipeEnded: boolean;
  childOk: boolean | null;
}

export class FullSync {
  /** Replicas waiting for the next snapshot (wait_bgsave). */
  readonly waiting = new Map<Client, SyncingReplica>();
  transfer: Transfer | null = null;
  /** When the first of `waiting` asked (ms): repl-diskless-sync-delay counts from it. */
  private waitingSince = 0;

  constructor(
    private readonly server: Server,
    private readonly primary: Primary,
  ) {
    server.cronHooks.push(() => {
      this.timeouts();
      this.maybeStart();
    });
    server.closeHooks.push((c) => this.dropped(c));
  }

  /** Every replica in a full sync (INFO's wait_bgsave lines, connected_slaves). */
  *syncing(): IterableIterator<[Client, SyncingReplica]> {
    yield* this.waiting;
    if (this.transfer) yield* this.transfer.replicas;
  }

  get size(): number {
    return this.waiting.size + (this.transfer?.replicas.size ?? 0);
  }

  /** A full resynchronisation asked by `client` (syncCommand's end). */
  request(client: Client, info: ReplicaLink, psync: boolean): void {
    client.flags.add("slave");
    if (this.waiting.size === 0) this.waitingSince = Date.now();
    this.waiting.set(client, { info, psync });
    this.maybeStart();
  }

  /** Stream bytes written while a snapshot is made: they follow it. */
  feed(bytes: Buffer): void {
    const t = this.transfer;
    if (t === null || t.replicas.size === 0) return;
    t.stream.push(bytes);
    t.streamBytes += bytes.length;
    // What waits for a replica counts as its output buffer: over the replica class's hard limit it is cut.
    const hard = this.hardLimit();
    if (hard > 0 && t.streamBytes >= hard) {
      for (const c of [...t.replicas.keys()]) {
        this.server.log.warning(`Client ${c.info(Date.now(), false)} closed for overcoming of output buffer limits.`);
        this.server.closeClient(c);
      }
    }
  }

  /** The replica class's hard output limit (never under repl-backlog-size, as Redis), 0: none. */
  private hardLimit(): number {
    const cfg = this.server.config;
    const words = cfg.get("client-output-buffer-limit").split(/\s+/);
    const i = words.findIndex((w, j) => j % 4 === 0 && (w === "replica" || w === "slave"));
    const hard = i >= 0 ? Number(words[i + 1]) : 0;
    return hard > 0 ? Math.max(hard, cfg.int("repl-backlog-size")) : 0;
  }

  /**
   * The stream kept for a running transfer goes back further than the backlog may:
   * its first offset (Redis's backlog keeps what a replica still references), or null.
   */
  heldFrom(): number | null {
    const t = this.transfer;
    return t !== null && t.replicas.size > 0 ? t.forkOffset + 1 : null;
  }

  /** The stream from offset `from` to `end` out of what a transfer keeps (a partial sync beyond the backlog), or null. */
  streamFrom(from: number, end: number): Buffer | null {
    const first = this.heldFrom();
    if (first === null || from < first || from > end + 1) return null;
    const all = Buffer.concat(this.transfer!.stream);
    return all.subarray(from - first);
  }

  /**
   * replicationCron's part: start a snapshot for the waiting replicas when no child runs and the delay passed.
   * One snapshot serves the replicas that want what the first waiting one wants (REPLCONF rdb-filter-only);
   * the others wait for the next. A filtered snapshot is always diskless (they all read the EOF form).
   */
  maybeStart(): void {
    if (this.waiting.size === 0 || this.transfer !== null) return;
    if (rdbOf(this.server).child.active()) return;
    const cfg = this.server.config;
    const exclude = this.waiting.values().next().value!.info.exclude;
    const group = [...this.waiting].filter(([, w]) => w.info.exclude === exclude);
    const disklessSync = cfg.bool("repl-diskless-sync");
    const diskless = (disklessSync || exclude !== 0) && group.every(([, w]) => w.info.capaEof);
    if (disklessSync && diskless) {
      const max = cfg.int("repl-diskless-sync-max-replicas");
      const delay = cfg.int("repl-diskless-sync-delay") * 1000;
      const full = max > 0 && group.length >= max;
      if (delay > 0 && !full && Date.now() - this.waitingSince < delay) {
        // Checked again by the cron; a timer keeps the delay close to what was asked.
        setTimeout(() => this.maybeStart(), Math.max(0, delay - (Date.now() - this.waitingSince)) + 1).unref();
        return;
      }
    }
    for (const [c] of group) this.waiting.delete(c);
    this.start(diskless, new Map(group), exclude);
  }

  private start(diskless: boolean, replicas: Map<Client, SyncingReplica>, exclude: number): void {
    const server = this.server;
    const log = server.log;
    for (const c of [...replicas.keys()]) if (c.closed) replicas.delete(c);
    if (replicas.size === 0) return;
    log.notice(`Starting BGSAVE for SYNC with target: ${diskless ? "replicas sockets" : "disk"}`);
    const rdb = rdbOf(server);
    const t: Transfer = { diskless, pid: -1, replicas, stream: [], streamBytes: 0, forkOffset: this.primary.offset, pipe: null, mark: "", pipeEnded: false, childOk: null };
    try {
      if (diskless) {
        let fd = -1;
        rdb.child.start(
          "rdb",
          () => {
            const functions = exclude & SNAPSHOT_EXCLUDE_FUNCTIONS ? [] : (functionHooks.dump?.() ?? []);
            const r = native.syncFork(this.primary.auxFields(), rdb.saveLru(), functions, (exclude & SNAPSHOT_EXCLUDE_DATA) !== 0);
            fd = r.fd;
            return r;
          },
          (d) => this.childDone(t, d.ok, d.signal),
          rdb.keyCount(),
        );
        t.pid = rdb.child.pid;
        t.mark = randomHex(20);
        t.pipe = new net.Socket({ fd, readable: true, writable: false });
        log.notice(`Background RDB transfer started by pid ${t.pid}`);
      } else {
        if (!rdb.bgsave()) throw new Error("fork failed");
        t.pid = rdb.child.pid;
        rdb.bgsaveDoneHooks.push((ok) => this.childDone(t, ok, 0));
      }
    } catch (e) {
      log.warning(`BGSAVE for replication failed: ${(e as Error).message}`);
      for (const c of replicas.keys()) server.closeClient(c);
      return;
    }
    this.transfer = t;
    // The stream starts again from the snapshot: its first unit selects its db (unless a replica passes its primary's on).
    if (!this.primary.proxying) this.primary.streamDb = -1;
    for (const [c, w] of replicas) {
      const head = (w.psync ? `+FULLRESYNC ${this.primary.replid} ${this.primary.offset}\r\n` : "") + (diskless ? `$EOF:${t.mark}\r\n` : "");
      if (head !== "") server.writeTo(c, Buffer.from(head));
    }
    if (t.pipe !== null) this.pump(t, t.pipe);
  }

  /** Diskless: what the child writes goes to every replica of the transfer, at the pace of the slowest. */
  private pump(t: Transfer, pipe: net.Socket): void {
    pipe.on("data", (chunk: Buffer) => {
      let full: Client[] = [];
      for (const c of t.replicas.keys()) {
        this.write(c, chunk);
        if (!c.closed && c.socket.writableLength > PIPE_HIGH_WATER) full.push(c);
      }
      if (full.length === 0) return;
      pipe.pause();
      const resume = () => {
        full = full.filter((c) => !c.closed && t.replicas.has(c) && c.socket.writableLength > PIPE_HIGH_WATER);
        if (full.length === 0) pipe.resume();
      };
      for (const c of full) c.socket.once("drain", resume);
      // A replica that drops while we wait is checked by dropped(), which resumes too.
    });
    pipe.on("end", () => {
      t.pipeEnded = true;
      this.server.log.notice(`Diskless rdb transfer, done reading from pipe, ${t.replicas.size} replicas still up.`);
      this.finish(t);
    });
    pipe.on("error", () => undefined);
    pipe.on("close", () => {
      if (!t.pipeEnded) {
        t.pipeEnded = true;
        this.finish(t);
      }
    });
  }

  /** Snapshot bytes straight to the replica's socket (they do not count against its output limits, as in Redis). */
  private write(c: Client, bytes: Buffer): void {
    if (c.closed) return;
    if (c.pendingBytes > 0) this.server.writeTo(c, bytes);
    else {
      this.server.stats.netOutputBytes += bytes.length;
      c.socket.write(bytes);
    }
  }

  /** The child ended (reaped by the cron). */
  private childDone(t: Transfer, ok: boolean, signal: number): void {
    const log = this.server.log;
    t.childOk = ok;
    // A child that failed (or was killed) ends the transfer, whatever the pipe still holds (it may be paused).
    if (!ok && !t.pipeEnded) {
      t.pipeEnded = true;
      t.pipe?.destroy();
    }
    if (t.diskless) {
      if (ok) log.notice("Background RDB transfer terminated with success");
      else if (signal !== 0) log.warning(`Background transfer terminated by signal ${signal}`);
      else log.warning("Background transfer error");
    }
    this.finish(t);
  }

  /** Both the pipe and the child are done (diskless), or the BGSAVE ended (disk): the replicas go on or are cut. */
  private finish(t: Transfer): void {
    if (this.transfer !== t || t.childOk === null || (t.diskless && !t.pipeEnded)) return;
    this.transfer = null;
    const server = this.server;
    const log = server.log;
    t.pipe?.destroy();
    if (!t.childOk) {
      log.warning("SYNC failed. BGSAVE child returned an error");
      for (const c of t.replicas.keys()) server.closeClient(c);
    } else if (t.diskless) {
      const mark = Buffer.from(t.mark);
      for (const [c, w] of t.replicas) {
        if (c.closed) continue;
        this.write(c, mark);
        if (this.rdbOnlyDone(c, w)) continue;
        this.primary.attach(c, w.info);
        // It reads the RDB up to the mark and nothing after it: the stream waits for its first ACK.
        w.info.held = [...t.stream];
        log.notice(`Streamed RDB transfer with replica ${c.addr} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`);
      }
    } else this.sendFile(t);
    this.maybeStart();
  }

  /** A replica that asked for the snapshot only (REPLCONF rdb-only 1) has it: closed once it is sent (true), never streamed to. */
  private rdbOnlyDone(c: Client, w: SyncingReplica): boolean {
    if (!w.info.rdbOnly) return false;
    this.server.log.notice(`RDB transfer completed, rdb only replica (${c.addr}) should be disconnected asap`);
    this.server.closeWhenSent(c);
    return true;
  }

  /** From disk: the RDB file as a bulk (no trailing CRLF), then the stream since the fork; the replica is online. */
  private sendFile(t: Transfer): void {
    const server = this.server;
    let data: Buffer;
    try {
      // Read at once, so no stream written meanwhile is missed.
      data = fs.readFileSync(rdbOf(server).file());
    } catch (e) {
      server.log.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${(e as Error).message}`);
      for (const c of t.replicas.keys()) server.closeClient(c);
      return;
    }
    const head = Buffer.from(`$${data.length}\r\n`);
    for (const [c, w] of t.replicas) {
      if (c.closed) continue;
      this.write(c, head);
      this.write(c, data);
      if (this.rdbOnlyDone(c, w)) continue;
      for (const b of t.stream) this.write(c, b);
      this.primary.attach(c, w.info);
      server.log.notice(`Synchronization with replica ${c.addr} succeeded`);
    }
  }

  /** Since when each replica of a diskless transfer has taken none of the snapshot bytes waiting for it (Redis's repl_last_partial_write). */
  private readonly stuckSince = new Map<Client, { since: number; written: number }>();

  /** A replica that takes none of the snapshot for repl-timeout seconds is cut (replicationCron). */
  private timeouts(): void {
    const t = this.transfer;
    if (t === null || !t.diskless) return;
    const now = Date.now();
    const timeout = this.server.config.int("repl-timeout") * 1000;
    for (const c of [...t.replicas.keys()]) {
      const written = c.socket.bytesWritten;
      const seen = this.stuckSince.get(c);
      if (c.closed || c.socket.writableLength === 0 || seen === undefined || seen.written !== written) {
        this.stuckSince.set(c, { since: now, written });
        continue;
      }
      if (now - seen.since > timeout) {
        this.server.log.warning(`Disconnecting timedout replica (full sync): ${c.addr}`);
        this.server.closeClient(c);
      }
    }
  }

  /** A replica in a full sync disconnected; a diskless transfer nobody takes any more is stopped. */
  private dropped(c: Client): void {
    this.waiting.delete(c);
    this.stuckSince.delete(c);
    const t = this.transfer;
    if (t === null || !t.replicas.delete(c)) return;
    c.flags.delete("slave");
    if (t.replicas.size === 0) {
      // Nobody needs the stream kept since the fork any more.
      t.stream.length = 0;
      t.streamBytes = 0;
    }
    this.server.log.notice(`Connection with replica ${c.addr} lost.`);
    if (t.diskless && t.replicas.size === 0 && !t.pipeEnded) {
      this.server.log.warning("Diskless rdb transfer, last replica dropped, killing fork child.");
      t.pipeEnded = true;
      t.pipe?.destroy();
      rdbOf(this.server).child.kill();
    } else if (!t.diskless && t.replicas.size === 0 && t.childOk === null && this.server.config.get("save").trim() === "") {
      // A BGSAVE nobody waits for, with no save rules to serve: not useful (Redis's checkChildrenDone / killRDBChild).
      this.server.log.warning(`Background saving for replication is not useful any more, killing the child ${t.pid}.`);
      rdbOf(this.server).child.kill();
    } else if (t.pipe !== null && t.pipe.isPaused()) {
      if ([...t.replicas.keys()].every((r) => r.socket.writableLength <= PIPE_HIGH_WATER)) t.pipe.resume();
    }
  }
}
