/**
 * The primary side of replication (Redis's replication.c: syncCommand,
 * masterTryPartialResynchronization, replicationFeedSlaves, replicationCron).
 *
 * The replication stream: every unit the write path propagates, as RESP
 * multibulks with a SELECT whenever the db changes, and a PING every
 * `repl-ping-replica-period` seconds. Its length is master_repl_offset. It goes
 * to every replica and into the backlog. On a replica the stream is not made
 * here: what its primary sends is passed on byte for byte (`proxy`), so a
 * chain of replicas shares one stream and one offset.
 *
 * PSYNC replid offset continues (+CONTINUE) when replid is ours (or our
 * previous one, replid2, up to second_repl_offset) and the backlog still
 * holds the offset; otherwise a full resynchronization: +FULLRESYNC, a snapshot
 * of the dataset made in process (an RDB written to a temp file and read
 * back) sent as a bulk, then the stream.
 */
import { randomHex } from "../server/node-builtins.js";
import { rdbOf } from "../persistence/index.js";
import { replicationAux } from "../persistence/rdb.js";
import { introspection } from "../commands/introspection.js";
import { infoProviders } from "../commands/info.js";
import { ByteBuffer, catOp, catSelect } from "../persistence/aof/encode.js";
import type { Ctx } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { PROPAGATE_REPL, propagatesTo, type PropagatedOp } from "../server/write-path.js";
import { Backlog } from "./backlog.js";
import { parseI64 } from "../protocol/numbers.js";
import { FullSync } from "./full-sync.js";
import { shutdownHooks } from "../server/shutdown.js";

const PING = [Buffer.from("PING")];
const GETACK = Buffer.from("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n");

/** What the primary knows of one replica (Redis's client slave_* / repl_ack_* fields). */
export interface ReplicaLink {
  listeningPort: number;
  /** REPLCONF ip-address, else null (its peer address is shown). */
  ip: string | null;
  capaEof: boolean;
  capaPsync2: boolean;
  /** The offset its last REPLCONF ACK reported. */
  ackOffset: number;
  /** When it last ACKed (ms). */
  ackTime: number;
  /** The offset its last FACK reported as fsynced to its AOF (repl_aof_off). */
  aofOffset: number;
  /**
   * After a diskless transfer, the stream waits for the replica's first ACK
   * (Redis's repl_start_cmd_stream_on_ack: it reads the RDB up to its end mark
   * and nothing after it), kept here meanwhile; null once it flows.
   */
  held: Buffer[] | null;
  /** REPLCONF rdb-only 1: the snapshot only, no stream; closed once it has it (redis-cli --rdb). */
  rdbOnly: boolean;
  /** REPLCONF rdb-filter-only: what the snapshot leaves out (full-sync.ts SNAPSHOT_EXCLUDE_* bits; 0: nothing). */
  exclude: number;
}

export class Primary {
  readonly replicas = new Map<Client, ReplicaLink>();
  /** Replicas in a full synchronisation, and the child making their snapshot. */
  readonly fullSync: FullSync;
  /** Replication stream bytes so far (master_repl_offset). */
  offset = 0;
  /** The offset up to which replid2 is valid (second_repl_offset), -1 when there is none. */
  secondOffset = -1;
  backlog: Backlog | null = null;
  /** The db the stream last selected (Redis's slaveseldb); -1: the next unit selects. */
  streamDb = -1;
  /** Set while this server is a replica: the write path's units are not ours to send (see proxy). */
  proxying = false;
  /** When the last replica left (ms): repl-backlog-ttl counts from it. */
  private noReplicasSince = Date.now();
  private stopListening: (() => void) | null = null;
  private lastPing = Date.now();
  private ackRequested = false;
  private readonly out = new ByteBuffer();
  /** While this server is a replica, its link's state (ROLE's words): SYNC waits for "connected". */
  linkState: (() => string) | null = null;
  /** While this server is a replica, the db its primary's stream has selected (a snapshot's repl-stream-db). */
  linkDb: (() => number) | null = null;
  /** Called after replicas' ACKs arrive or leave (WAIT, FAILOVER). */
  readonly ackHooks: (() => void)[] = [];
  /** INFO's master_failover_state (set by FAILOVER, src/replication/failover.ts). */
  failoverState: "no-failover" | "waiting-for-sync" | "failover-in-progress" = "no-failover";
  /** PSYNC ... FAILOVER from our primary (failover.ts): false when it was refused (replied to). */
  psyncFailover: ((c: Ctx) => boolean) | null = null;

  constructor(private readonly server: Server) {
    server.closeHooks.push((c) => this.detach(c));
    this.fullSync = new FullSync(server, this);
    replicationAux.fields = () => primaries.get(server)?.replicationFields() ?? [];
    server.cronHooks.push(() => this.cron());
    server.config.onChange((name) => {
      if (name === "repl-backlog-size" && this.backlog) this.backlog.resize(server.config.int("repl-backlog-size"), this.offset);
    });
  }

  get replid(): string {
    return introspection(this.server).replid;
  }

  get replid2(): string {
    return introspection(this.server).replid2;
  }

  /** A fresh replication history (changeReplicationId + clearReplicationId2). */
  newHistory(): void {
    const st = introspection(this.server);
    st.replid = randomHex(20);
    st.replid2 = "0".repeat(40);
    this.secondOffset = -1;
  }

  /** Takes a primary's history (after a full sync from it): its ID, its offset, an empty backlog. */
  adopt(replid: string, offset: number): void {
    const st = introspection(this.server);
    st.replid = replid;
    st.replid2 = "0".repeat(40);
    this.secondOffset = -1;
    this.offset = offset;
    this.createBacklog();
  }

  /** A promotion (shiftReplicationId): our ID becomes the second one, valid up to here; a new ID from now. */
  shiftHistory(): void {
    const st = introspection(this.server);
    st.replid2 = st.replid;
    this.secondOffset = this.offset + 1;
    st.replid = randomHex(20);
  }

  /** A new primary continued us under its ID (+CONTINUE newid): our old ID stays valid up to here. */
  switchId(replid: string): void {
    const st = introspection(this.server);
    st.replid2 = st.replid;
    this.secondOffset = this.offset + 1;
    st.replid = replid;
  }

  /** A replica continuing its primary keeps a backlog for its own replicas. */
  ensureBacklog(): void {
    if (this.backlog === null) this.createBacklog();
  }

  private createBacklog(): void {
    this.backlog = new Backlog(this.server.config.int("repl-backlog-size"), this.offset);
    this.listen();
  }

  private listen(): void {
    if (this.stopListening === null) this.stopListening = this.server.writePath.onPropagate((ops) => this.feed(ops));
  }

  /** SYNC (`psync` false) and PSYNC from a replica. */
  sync(c: Ctx, psync: boolean): void {
    const { client, r } = c;
    if (client.flags.has("slave")) return; // Redis ignores SYNC from a client that is already a replica
    if (psync && c.argv.length > 3 && c.argv[3].toString("latin1").toLowerCase() === "failover" && this.psyncFailover && !this.psyncFailover(c)) return;
    if (this.failoverState !== "no-failover") return r.error("NOMASTERLINK Can't SYNC while failing over");
    const link = this.linkState?.();
    if (link !== undefined && link !== "connected") return r.error("NOMASTERLINK Can't SYNC while not connected with my master");
    // The snapshot must be the first thing the link gets: nothing may be waiting to go out before it.
    if (r.pos > 0 || client.pendingBytes > 0 || client.socket.writableLength > 0) return r.error("ERR SYNC and PSYNC are invalid with pending output");
    const info = this.linkOf(client);
    // A filtered snapshot is only ever sent diskless (never written over the RDB file).
    if (info.exclude !== 0 && !info.capaEof) return r.error("ERR Filtered replica requires EOF capability");
    if (psync) {
      const replid = c.argv[1].toString("latin1");
      const offset = parseI64(c.argv[2]);
      if (offset === null) {
        this.server.log.warning(`Replica ${client.addr} asks for synchronization but with a wrong offset`);
        return r.error("ERR value is not an integer or out of range");
      }
      const from = offset;
      if (this.tryContinue(client, info, replid, from)) {
        this.server.stats.syncPartialOk++;
        return;
      }
      if (replid !== "?") this.server.stats.syncPartialErr++;
    } else info.capaPsync2 = false;
    this.server.stats.syncFull++;
    // A first replica starts a new history with a backlog (Redis changes the ID when it creates the backlog).
    if (this.backlog === null) {
      this.newHistory();
      this.createBacklog();
    }
    // A snapshot by a forked child (full-sync.ts): diskless or from disk, now or once the running child ends.
    this.fullSync.request(client, info, psync);
  }

  /** masterTryPartialResynchronization: true when it answered +CONTINUE and the missing bytes. */
  private tryContinue(client: Client, info: ReplicaLink, replid: string, from: number): boolean {
    const log = this.server.log;
    if (replid !== this.replid && (replid !== this.replid2 || from > this.secondOffset)) {
      if (replid === "?") log.notice(`Full resync requested by replica ${client.addr}`);
      else if (replid !== this.replid2) log.notice(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`);
      else log.notice(`Partial resynchronization not accepted: Requested offset for second ID was ${from}, but I can reply up to ${this.secondOffset}`);
      return false;
    }
    // Beyond the backlog, what a running full sync keeps for its replicas serves too (Redis's shared replication buffer).
    const missing = this.backlog?.from(from, this.offset) ?? this.fullSync.streamFrom(from, this.offset);
    if (missing === null || !Number.isInteger(from)) {
      log.notice(`Unable to partial resync with replica ${client.addr} for lack of backlog (Replica request was: ${from}).`);
      return false;
    }
    this.server.writeTo(client, Buffer.from(info.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : "+CONTINUE\r\n"));
    if (missing.length > 0) this.server.writeTo(client, missing);
    this.attach(client, info);
    log.notice(`Partial resynchronization request from ${client.addr} accepted. Sending ${missing.length} bytes of backlog starting from offset ${from}.`);
    return true;
  }

  auxFields(): string[] {
    return rdbOf(this.server).auxFields(false);
  }

  /**
   * The replication AUX fields of a snapshot (rdbPopulateSaveInfo): where the
   * stream goes on from, when we have a history to continue (a backlog, or a
   * primary); none otherwise.
   */
  replicationFields(): string[] {
    if (this.backlog === null && !this.proxying) return [];
    return [
      "repl-stream-db", String(this.proxying ? (this.linkDb?.() ?? 0) : Math.max(0, this.streamDb)),
      "repl-id", this.replid,
      "repl-offset", String(this.offset),
    ];
  }

  /**
   * The replication fields of the file loaded at start (loadDataFromDisk): a
   * primary keeps the saved history as its second ID, so its replicas continue
   * after its restart; a replica takes it as its own, to continue with its primary.
   * Returns the stream's db, or -1 when the file had no history.
   */
  restore(aux: Buffer[], expired: { dbs: number[]; keys: Buffer[] } | null = null): number {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < aux.length; i += 2) f.set(aux[i].toString("latin1"), aux[i + 1].toString("latin1"));
    const id = f.get("repl-id");
    const offset = Number(f.get("repl-offset") ?? -1);
    const db = Number(f.get("repl-stream-db") ?? -1);
    if (id === undefined || id.length !== 40 || offset < 0 || db < 0 || !Number.isInteger(offset)) return -1;
    const st = introspection(this.server);
    if (this.proxying) {
      st.replid = id;
      this.offset = offset;
    } else {
      st.replid2 = id;
      this.secondOffset = offset + 1;
      this.offset = offset;
      this.createBacklog();
      this.noReplicasSince = Date.now();
      // The keys the file held already expired are deleted on our replicas too: their DELs
      // (UNLINKs with lazyfree-lazy-expire) go into the backlog, after the restored offset.
      if (expired !== null) {
        const del = Buffer.from(this.server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL");
        this.feed(expired.keys.map((key, i) => ({ db: expired.dbs[i], argv: [del, key] })));
      }
    }
    return db;
  }

  /** The state kept for a client that speaks as a replica (REPLCONF before it syncs). */
  linkOf(client: Client): ReplicaLink {
    let l = this.replicas.get(client) ?? this.pending.get(client);
    if (!l) {
      l = { listeningPort: 0, ip: null, capaEof: false, capaPsync2: false, ackOffset: 0, ackTime: Date.now(), aofOffset: 0, held: null, rdbOnly: false, exclude: 0 };
      this.pending.set(client, l);
    }
    return l;
  }
  private readonly pending = new WeakMap<Client, ReplicaLink>();

  /** REPLCONF ACK from a replica, with its FACK (AOF fsynced offset) when it sent one. */
  ack(client: Client, offset: number, aofOffset: number | null = null): void {
    const l = this.replicas.get(client);
    if (!l) return;
    if (l.held !== null) {
      // The replica has loaded the snapshot: the stream it missed meanwhile, then the rest as it comes.
      const held = l.held;
      l.held = null;
      if (held.length > 0) this.server.writeTo(client, Buffer.concat(held));
    }
    if (offset > l.ackOffset) l.ackOffset = offset;
    if (aofOffset !== null && aofOffset > l.aofOffset) l.aofOffset = aofOffset;
    l.ackTime = Date.now();
    for (const h of this.ackHooks) h();
  }

  /** How many replicas have acknowledged `offset` (replicationCountAcksByOffset). */
  acked(offset: number): number {
    let n = 0;
    for (const l of this.replicas.values()) if (l.ackOffset >= offset) n++;
    return n;
  }

  /** How many replicas have fsynced `offset` to their AOF (replicationCountAOFAcksByOffset). */
  aofAcked(offset: number): number {
    let n = 0;
    for (const l of this.replicas.values()) if (l.aofOffset >= offset) n++;
    return n;
  }

  /** A running full sync keeps the stream since its fork: the backlog reaches back that far meanwhile. */
  reachesBeyondBacklog(): boolean {
    const held = this.fullSync.heldFrom();
    return this.backlog !== null && held !== null && held < this.backlog.firstOffset;
  }

  /** The stream grew by a write of the running client: its woff (what its WAIT / WAITAOF wait for). */
  private wrote(): void {
    const c = this.server.current;
    if (c !== null) c.woff = this.offset;
  }

  /**
   * The AOF took `commands` commands (aofReplication.fed): with no replica or
   * backlog to take them, the offset counts one per command anyway, as Redis's
   * replicationFeedSlaves does, so WAITAOF has an offset to wait for.
   */
  aofFed(commands: number): void {
    if (this.proxying || this.backlog !== null || this.replicas.size !== 0) return;
    this.offset += commands;
    this.wrote();
  }

  /** Asks every replica for an ACK (REPLCONF GETACK *), once per event-loop turn. */
  requestAcks(): void {
    if (this.ackRequested || this.replicas.size === 0) return;
    this.ackRequested = true;
    setImmediate(() => this.sendGetack());
  }

  /** The GETACK asked for, unless a pause holds replication (CLIENT PAUSE WRITE, FAILOVER): then when it ends (the cron). */
  private sendGetack(): void {
    if (this.server.paused()) return;
    this.ackRequested = false;
    if (this.replicas.size === 0 || this.proxying) return;
    this.send(GETACK);
  }

  /** The replica is online: the stream goes to it. */
  attach(client: Client, info: ReplicaLink): void {
    this.pending.delete(client);
    info.ackTime = Date.now();
    this.replicas.set(client, info);
    client.flags.add("slave");
    this.listen();
  }

  private detach(client: Client): void {
    if (!this.replicas.delete(client)) return;
    client.flags.delete("slave");
    if (this.replicas.size === 0) this.noReplicasSince = Date.now();
    this.server.log.notice(`Connection with replica ${client.addr} lost.`);
    for (const h of this.ackHooks) h();
  }

  /** Closes every replica's connection (they reconnect and ask again: after an ID change or a full sync from our primary). */
  disconnectReplicas(): void {
    for (const c of [...this.replicas.keys()]) this.server.closeClient(c);
  }

  /** One propagated unit to every replica and the backlog (replicationFeedSlaves), encoded as the AOF encodes it. */
  private feed(ops: PropagatedOp[]): void {
    if (this.proxying) return;
    const out = this.out;
    out.clear();
    for (const op of ops) {
      if (!propagatesTo(op, PROPAGATE_REPL)) continue;
      if (op.db >= 0 && op.db !== this.streamDb) {
        catSelect(out, op.db);
        this.streamDb = op.db;
      }
      catOp(out, op);
    }
    // Nothing for the replicas (a script's redis.set_repl sent it all to the AOF alone).
    if (out.length === 0) return;
    // The replicas' output and a full sync's stream keep the bytes after this returns:
    // they get a copy. The backlog alone copies them itself.
    const kept = this.replicas.size > 0 || this.fullSync.size > 0;
    this.send(kept ? Buffer.from(out.view()) : out.view());
  }

  /** DEBUG REPLICATE: a command straight into the stream, in no db (replicationFeedSlaves with dictid -1). */
  replicate(argv: Buffer[]): void {
    this.feed([{ db: -1, argv }]);
  }

  /** Bytes of our primary's stream this replica applied, passed on as they are (replicationFeedStreamFromMasterStream). */
  proxy(bytes: Buffer): void {
    this.send(bytes);
  }

  private send(bytes: Buffer): void {
    if (this.backlog === null && this.replicas.size === 0 && this.fullSync.size === 0) return;
    this.offset += bytes.length;
    this.wrote();
    this.backlog?.add(bytes);
    this.fullSync.feed(bytes);
    for (const [rep, l] of this.replicas) {
      if (l.held !== null) l.held.push(bytes);
      else this.server.writeTo(rep, bytes);
    }
  }

  /** Replicas whose last ACK is at most min-replicas-max-lag seconds old (refreshGoodSlavesCount). */
  goodReplicas(): number {
    const maxLag = this.server.config.int("min-replicas-max-lag") * 1000;
    const now = Date.now();
    let n = 0;
    for (const l of this.replicas.values()) if (now - l.ackTime <= maxLag) n++;
    return n;
  }

  /** replicationCron's primary part: the PING, replicas silent past repl-timeout, the backlog's TTL. */
  private cron(): void {
    const server = this.server;
    const now = Date.now();
    if (this.proxying) return;
    if (this.ackRequested) this.sendGetack();
    if (this.replicas.size > 0) {
      const period = server.config.int("repl-ping-replica-period") * 1000;
      if (now - this.lastPing >= period && !server.paused()) {
        this.lastPing = now;
        this.feed([{ db: -1, argv: PING }]);
      }
      const timeout = server.config.int("repl-timeout") * 1000;
      for (const [c, l] of this.replicas) {
        // Only replicas that ACK (REPLCONF capa / listening-port said they speak PSYNC) are timed out.
        if (l.capaPsync2 && now - l.ackTime > timeout) {
          server.log.warning(`Disconnecting timedout replica (streaming sync): ${c.addr}`);
          server.closeClient(c);
        }
      }
    } else if (this.fullSync.size > 0) {
      // Replicas in a full sync are replicas: the backlog's TTL counts from when the last one leaves.
      this.noReplicasSince = now;
    } else if (this.backlog !== null) {
      const ttl = server.config.int("repl-backlog-ttl") * 1000;
      if (ttl > 0 && now - this.noReplicasSince > ttl) {
        // A new history when a backlog is created again (Redis changes the ID when it frees the backlog).
        this.newHistory();
        this.backlog = null;
        this.stopListening?.();
        this.stopListening = null;
        server.log.notice(`Replication backlog freed after ${ttl / 1000} seconds without connected replicas.`);
      }
    }
  }
}

const primaries = new WeakMap<Server, Primary>();

/** The server's primary side, made on first use. */
export function primaryOf(server: Server): Primary {
  let p = primaries.get(server);
  if (!p) primaries.set(server, (p = new Primary(server)));
  return p;
}

/** INFO replication's lines after the role's own (connected_slaves ... repl_backlog_histlen). */
export function primaryInfo(server: Server): string[] {
  const p = primaryOf(server);
  const now = Date.now();
  const lines = [`connected_slaves:${p.replicas.size + p.fullSync.size}`];
  if (server.config.int("min-replicas-to-write") > 0 && server.config.int("min-replicas-max-lag") > 0) lines.push(`min_slaves_good_slaves:${p.goodReplicas()}`);
  let i = 0;
  for (const [c, { info: l }] of p.fullSync.syncing()) {
    const ip = l.ip ?? c.addr.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    lines.push(`slave${i++}:ip=${ip},port=${l.listeningPort},state=wait_bgsave,offset=0,lag=0`);
  }
  for (const [c, l] of p.replicas) {
    const ip = l.ip ?? c.addr.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    lines.push(`slave${i++}:ip=${ip},port=${l.listeningPort},state=online,offset=${l.ackOffset},lag=${Math.floor((now - l.ackTime) / 1000)}`);
  }
  const b = p.backlog;
  const held = p.fullSync.heldFrom();
  const beyond = p.reachesBeyondBacklog();
  lines.push(
    `master_failover_state:${p.failoverState}`,
    `master_replid:${p.replid}`,
    `master_replid2:${p.replid2}`,
    `master_repl_offset:${p.offset}`,
    `second_repl_offset:${p.secondOffset}`,
    `repl_backlog_active:${b ? 1 : 0}`,
    `repl_backlog_size:${server.config.get("repl-backlog-size")}`,
    `repl_backlog_first_byte_offset:${b ? (beyond ? held : b.firstOffset) : 0}`,
    `repl_backlog_histlen:${b ? (beyond ? p.offset + 1 - held! : b.histlen) : 0}`,
  );
  return lines;
}

// A shutdown waits for the replicas to catch up (src/server/shutdown.ts).
shutdownHooks.replication = primaryOf;
infoProviders.set("sync_full", (s) => s.stats.syncFull);
// The backlog, what a running full sync keeps, and the stream not yet sent to each replica, counted
// once where they overlap (Redis's shared buffer: each holds the stream's tail from some offset on).
infoProviders.set("mem_total_replication_buffers", (s) => {
  const p = primaryOf(s);
  const b = p.backlog;
  if (b === null) return 0;
  let bytes = p.reachesBeyondBacklog() ? p.offset + 1 - p.fullSync.heldFrom()! : b.histlen;
  for (const c of p.replicas.keys()) bytes = Math.max(bytes, c.socket.writableLength + c.pendingBytes);
  return bytes;
});
infoProviders.set("sync_partial_ok", (s) => s.stats.syncPartialOk);
infoProviders.set("sync_partial_err", (s) => s.stats.syncPartialErr);
