/**
 * The replica side of replication (Redis's replication.c: replicationSetMaster,
 * syncWithMaster, readSyncBulkPayload, replicationCron's replica part).
 *
 * REPLICAOF host port (or `replicaof` in the config) connects to the primary
 * and does the handshake as Redis 7.2: PING, AUTH (masterauth, masteruser),
 * REPLCONF listening-port / ip-address / capa eof capa psync2, then PSYNC with
 * our replication ID and offset (or `? -1` with no history). +FULLRESYNC: the
 * RDB (a sized `$len` bulk, or the diskless `$EOF:<mark>` form) replaces the
 * dataset; +CONTINUE: nothing is lost. From then on the primary's stream is
 * applied as its client (the "master" client: no replies, obeyed) and passed
 * on byte for byte to our own replicas; the offset advances by the bytes of
 * each command applied. REPLCONF ACK goes back every second and on GETACK.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { server as engineServer, persistence as native, keys } from "../engine/index.js";
import { rdbOf, Rdb } from "../persistence/index.js";
import { Reply } from "../protocol/reply.js";
import { ProtocolError } from "../protocol/errors.js";
import { Client } from "../server/client.js";
import { execute } from "../server/dispatch.js";
import { busy } from "../scripting/bridge.js";
import type { Server } from "../server/server.js";
import { primaryOf, type Primary } from "./primary.js";
import { aofOf } from "../persistence/aof/index.js";

/** ROLE's words for the link's states (handshake covers every step before PSYNC's answer). */
export type LinkState = "connect" | "connecting" | "handshake" | "sync" | "connected";

/**
 * The expiry mode (native/src/state.rs REPLICA_EXPIRY) for the replica's own
 * clients: 1 on a read-only replica (expired keys hidden, kept for the
 * primary's DEL); 3 on a writable one: its clients' writes delete an expired
 * key they meet (Redis's EXPIRE_FORCE_DELETE_EXPIRED), reads only hide it.
 */
export const clientExpiry: { mode: 1 | 3 } = { mode: 1 };

const enc = (argv: string[]) => Buffer.from(`*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(""));

export class Replica {
  state: LinkState = "connect";
  private socket: net.Socket | null = null;
  /** The primary's client while the stream flows. */
  master: Client | null = null;
  /** Bytes received and not yet handled (handshake lines, the RDB's header). */
  private inbuf: Buffer = Buffer.alloc(0);
  /** What the handshake waits for next. */
  private step: "pong" | "replies" | "psync" | "bulk-header" | "bulk" | "stream" = "pong";
  private repliesLeft = 0;
  /** +FULLRESYNC's ID and offset. */
  private fullId = "";
  private fullOffset = 0;
  /** The RDB being received: its size (-1: the EOF-mark form), the mark, the parts. */
  private bulkSize = -1;
  private eofMark: Buffer | null = null;
  private bulkParts: Buffer[] = [];
  bulkRead = 0;
  /** Stream bytes received but not applied yet (the tail of a command). */
  private raw: Buffer = Buffer.alloc(0);
  /** The db the primary's stream has selected (kept across reconnections: +CONTINUE goes on in it). */
  streamDb = 0;
  /** Whether we have a history to continue (PSYNC replid offset+1), else PSYNC ? -1. */
  cached: boolean;
  /**
   * Set while this link carries a FAILOVER hand-over (failover.ts): PSYNC says
   * FAILOVER, and its answer is told here (accepted or not); false: the failover
   * was aborted and this link is gone.
   */
  failoverPsync: ((accepted: boolean) => boolean) | null = null;
  lastIo = Date.now();
  /** When the link went down (ms), 0 when it never was up. */
  downSince = 0;
  private lastAck = 0;
  private retryAt = 0;
  private readonly reply = new Reply(4096);
  private readonly primary: Primary;

  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    cached: boolean,
  ) {
    this.primary = primaryOf(server);
    this.cached = cached;
  }

  /** The primary's stream bytes received so far (slave_read_repl_offset). */
  get readOffset(): number {
    return this.primary.offset + this.raw.length + this.waitingBytes;
  }

  /** Starts a connection attempt (connectWithMaster). */
  connect(): void {
    if (this.socket !== null) return;
    const log = this.server.log;
    log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
    this.state = "connecting";
    this.step = "pong";
    this.inbuf = Buffer.alloc(0);
    this.lastIo = Date.now();
    // bind-source-addr: the address the link goes out from (else the kernel's choice).
    const source = this.server.config.get("bind-source-addr");
    const sock = net.connect({ host: this.host, port: this.port, ...(source !== "" ? { localAddress: source } : {}) });
    this.socket = sock;
    sock.setNoDelay(!this.server.config.bool("repl-disable-tcp-nodelay"));
    sock.on("connect", () => {
      if (this.socket !== sock) return;
      log.notice("MASTER <-> REPLICA sync started");
      log.notice("Non blocking connect for SYNC fired the event.");
      this.state = "handshake";
      sock.write("*1\r\n$4\r\nPING\r\n");
    });
    sock.on("data", (d: Buffer) => {
      if (this.socket === sock) this.onData(d);
    });
    sock.on("error", (e) => {
      if (this.socket === sock && this.state !== "connected") log.warning(`Error condition on socket for SYNC: ${e.message}`);
    });
    sock.on("close", () => {
      if (this.socket === sock) this.linkLost();
    });
  }

  /** The link broke (or was cut): the state a reconnection starts from. */
  private linkLost(): void {
    const wasUp = this.state === "connected";
    this.drop();
    if (wasUp) this.server.log.notice("Connection with master lost.");
  }

  /** Closes the connection and the primary's client; the next attempt comes from the cron. */
  drop(): void {
    const sock = this.socket;
    this.socket = null;
    if (this.state === "connected") {
      this.downSince = Date.now();
      // What was applied is a history we can continue (cached master).
      this.cached = true;
    }
    this.state = "connect";
    if (this.server.replLoading !== null) {
      // The RDB being loaded from the socket ended short (Redis's rdbLoad from the connection fails).
      const log = this.server.log;
      log.warning("Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF reading RDB file");
      log.warning("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
    }
    this.server.replLoading = null;
    this.bulkParts = [];
    this.raw = Buffer.alloc(0);
    this.waiting = [];
    this.waitingBytes = 0;
    this.server.unpauseWaiters.delete(this.resumeApply);
    this.held = [];
    const m = this.master;
    this.master = null;
    if (m !== null) {
      // A transaction cut short is not applied; the stream goes on in the db it had selected.
      this.streamDb = m.db;
      if (!m.closed) this.server.closeClient(m, false);
    }
    sock?.destroy();
    this.retryAt = Date.now() + 1000;
  }

  /** One read from the primary, in whatever step the link is. */
  private onData(d: Buffer): void {
    this.lastIo = Date.now();
    if (this.step === "stream") return this.applyStream(d);
    if (this.step === "bulk") {
      this.readBulk(d);
      this.throttleLoad(d.length);
      return;
    }
    this.inbuf = this.inbuf.length === 0 ? d : Buffer.concat([this.inbuf, d]);
    for (;;) {
      const step = this.step as string;
      if (step === "bulk" || step === "stream") {
        const rest = this.inbuf;
        this.inbuf = Buffer.alloc(0);
        if (rest.length > 0) this.onData(rest);
        return;
      }
      const nl = this.inbuf.indexOf(10);
      if (nl < 0 || this.socket === null) return;
      const line = this.inbuf.toString("latin1", 0, nl).replace(/\r$/, "");
      this.inbuf = this.inbuf.subarray(nl + 1);
      this.onLine(line);
    }
  }

  /** A line of the handshake (syncWithMaster's steps). */
  private onLine(line: string): void {
    const log = this.server.log;
    const cfg = this.server.config;
    // Newlines are the primary's keepalive while it prepares the snapshot.
    if (line === "" && (this.step === "psync" || this.step === "bulk-header")) return;
    switch (this.step) {
      case "pong": {
        if (line.startsWith("-") && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(line)) {
          log.warning(`Error reply to PING from master: '${line}'`);
          return this.drop();
        }
        log.notice("Master replied to PING, replication can continue...");
        const out: Buffer[] = [];
        const pass = cfg.get("masterauth");
        if (pass !== "") {
          const user = cfg.get("masteruser");
          out.push(enc(user !== "" ? ["AUTH", user, pass] : ["AUTH", pass]));
        }
        const announcedPort = cfg.int("replica-announce-port") || this.server.port;
        out.push(enc(["REPLCONF", "listening-port", String(announcedPort)]));
        const ip = cfg.get("replica-announce-ip");
        if (ip !== "") out.push(enc(["REPLCONF", "ip-address", ip]));
        out.push(enc(["REPLCONF", "capa", "eof", "capa", "psync2"]));
        this.repliesLeft = out.length;
        this.authSent = pass !== "";
        this.step = "replies";
        this.socket!.write(Buffer.concat(out));
        return;
      }
      case "replies": {
        this.repliesLeft--;
        if (this.authSent) {
          this.authSent = false;
          if (line.startsWith("-")) {
            log.warning(`Unable to AUTH to MASTER: ${line}`);
            return this.drop();
          }
        } else if (line.startsWith("-")) log.notice(`(Non critical) Master does not understand REPLCONF: ${line}`);
        if (this.repliesLeft > 0) return;
        const psync = this.cached ? ["PSYNC", this.primary.replid, String(this.primary.offset + 1)] : ["PSYNC", "?", "-1"];
        // A primary handing over (FAILOVER) asks its target to take over first.
        if (this.failoverPsync !== null) psync.push("FAILOVER");
        if (this.cached) log.notice(`Trying a partial resynchronization (request ${psync[1]}:${psync[2]}).`);
        else log.notice("Partial resynchronization not possible (no cached master)");
        this.step = "psync";
        this.socket!.write(enc(psync));
        return;
      }
      case "psync": {
        const full = /^\+FULLRESYNC ([0-9a-zA-Z]{40}) (\d+)/.exec(line);
        if (this.failoverPsync !== null) {
          const done = this.failoverPsync;
          this.failoverPsync = null;
          // Anything but +CONTINUE / +FULLRESYNC aborts the failover (which ends this link).
          if (!done(full !== null || line.startsWith("+CONTINUE"))) return;
        }
        if (full) {
          this.fullId = full[1];
          this.fullOffset = Number(full[2]);
          log.notice(`Full resync from master: ${this.fullId}:${this.fullOffset}`);
          this.step = "bulk-header";
          this.state = "sync";
          return;
        }
        if (line.startsWith("+CONTINUE")) return this.continued(line.slice(10).trim());
        if (/^-(NOMASTERLINK|LOADING)/.test(line)) {
          log.notice(`Master is currently unable to PSYNC but should be in the future: ${line}`);
          return this.drop();
        }
        if (line.startsWith("-")) {
          // An old primary without PSYNC: SYNC, a full resynchronization with no ID.
          log.notice(`Master does not support PSYNC or is in error state (reply: ${line})`);
          this.fullId = "?";
          this.fullOffset = 0;
          this.step = "bulk-header";
          this.state = "sync";
          this.socket!.write("SYNC\r\n");
          return;
        }
        log.warning(`Unexpected reply to PSYNC from master: ${line}`);
        return this.drop();
      }
      case "bulk-header": {
        if (line.startsWith("-")) {
          log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
          return this.drop();
        }
        if (!line.startsWith("$")) {
          log.warning(`Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`);
          return this.drop();
        }
        this.bulkParts = [];
        this.bulkRead = 0;
        if (line.startsWith("$EOF:") && line.length - 5 >= 40) {
          this.eofMark = Buffer.from(line.slice(5, 45), "latin1");
          this.bulkSize = -1;
          const how = this.server.config.get("repl-diskless-load");
          if (how === "swapdb" || (how === "on-empty-db" && this.datasetEmpty())) {
            // Loaded as it comes (useDisklessLoad): -LOADING meanwhile, or with swapdb and our own history
            // the old dataset is served until the new one replaces it (async loading).
            log.notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser");
            this.server.replLoading = how === "swapdb" && this.fullId === this.primary.replid ? "async" : "sync";
            log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
          } else log.notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
        } else {
          this.eofMark = null;
          this.bulkSize = Number(line.slice(1));
          log.notice(`MASTER <-> REPLICA sync: receiving ${this.bulkSize} bytes from master to disk`);
        }
        this.step = "bulk";
        return;
      }
    }
  }
  private authSent = false;

  /** Part of the RDB payload (and, after its end, the start of the stream). */
  private readBulk(d: Buffer): void {
    let rest: Buffer | null = null;
    if (this.bulkSize >= 0) {
      const need = this.bulkSize - this.bulkRead;
      if (d.length > need) {
        rest = d.subarray(need);
        d = d.subarray(0, need);
      }
      this.bulkParts.push(d);
      this.bulkRead += d.length;
      if (this.bulkRead < this.bulkSize) return;
    } else {
      const mark = this.eofMark!;
      // The mark may straddle reads, and a primary that does not wait for our ACK may send the stream right after it.
      const prev = this.bulkParts.length > 0 ? this.bulkParts[this.bulkParts.length - 1] : Buffer.alloc(0);
      const carry = prev.subarray(Math.max(0, prev.length - (mark.length - 1)));
      const window = Buffer.concat([carry, d]);
      const at = window.indexOf(mark);
      this.bulkParts.push(d);
      this.bulkRead += d.length;
      if (at < 0) return;
      // The payload ends where the mark starts; what follows the mark is the stream.
      const afterMark = at + mark.length - carry.length; // in d
      if (afterMark < d.length) rest = d.subarray(afterMark);
      const excess = d.length - afterMark + mark.length; // the mark and what follows it, from the end of the parts
      let payload = Buffer.concat(this.bulkParts);
      payload = payload.subarray(0, payload.length - excess);
      this.bulkParts = [];
      if (!this.loadPayload(payload)) return this.drop();
      if (rest !== null && rest.length > 0) this.applyStream(rest);
      return;
    }
    const payload = Buffer.concat(this.bulkParts);
    this.bulkParts = [];
    if (!this.loadPayload(payload)) return this.drop();
    if (rest !== null && rest.length > 0) this.applyStream(rest);
  }

  /** The snapshot replaces the dataset (readSyncBulkPayload's disk load); false when it does not load. */
  private loadPayload(payload: Buffer): boolean {
    const server = this.server;
    const log = server.log;
    const rdb = rdbOf(server);
    const file = rdb.file();
    const tmp = path.join(path.dirname(file), `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
    // Our replicas follow a new history: they resync with us (replicationAttachToNewMaster).
    this.primary.disconnectReplicas();
    // The AOF stops while the snapshot loads, and starts again (a rewrite) after it, as Redis does.
    const aof = aofOf(server);
    if (aof && aof.state !== "off") aof.stop();
    this.server.replLoading = null;
    log.notice("MASTER <-> REPLICA sync: Flushing old data");
    server.loading = true;
    let aux: Buffer[] = [];
    try {
      fs.writeFileSync(tmp, payload);
      fs.renameSync(tmp, file);
      log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
      engineServer.setReplicaExpiry(clientExpiry.mode);
      aux = rdb.load(file, native.Install.Replace, false).aux;
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      Rdb.loadFailure(log, (e as Error).message);
      log.warning("Failed trying to load the MASTER synchronization DB from disk, check server logs.");
      return false;
    } finally {
      server.loading = false;
    }
    for (const h of server.writePath.dbFlushed) h(-1);
    this.streamDb = 0;
    for (let i = 0; i + 1 < aux.length; i += 2) if (aux[i].toString("latin1") === "repl-stream-db") this.streamDb = Number(aux[i + 1].toString("latin1")) || 0;
    if (this.fullId === "?") this.primary.newHistory();
    this.primary.adopt(this.fullId === "?" ? this.primary.replid : this.fullId, this.fullOffset);
    log.notice("MASTER <-> REPLICA sync: Finished with success");
    this.connected();
    if (aof && aof.state === "off" && server.config.bool("appendonly")) this.restartAof(aof);
    return true;
  }

  private datasetEmpty(): boolean {
    for (let db = 0; db < this.server.config.int("databases"); db++) if (keys.dbsize(db) > 0) return false;
    return true;
  }

  /**
   * key-load-delay (a debugging knob that slows loading down) while the RDB is
   * loaded as it comes: Redis then reads the socket no faster than it loads, so
   * the primary's transfer waits for us; here reading pauses for the delay of
   * the keys a read holds (about one per 4 KB).
   */
  private throttleLoad(bytes: number): void {
    const sock = this.socket;
    const delayUs = this.server.config.int("key-load-delay");
    if (sock === null || delayUs <= 0 || this.server.replLoading === null || this.step !== "bulk") return;
    const ms = Math.max(1, Math.round((delayUs * Math.max(1, bytes / 4096)) / 1000));
    sock.pause();
    setTimeout(() => {
      if (this.socket === sock) sock.resume();
    }, ms).unref();
  }

  /** restartAOFAfterSYNC: a rewrite makes the new base; retried each second while it cannot start. */
  private restartAof(aof: NonNullable<ReturnType<typeof aofOf>>): void {
    if (aof.start(false) === null) return;
    this.server.log.warning("Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
    const t = setTimeout(() => {
      if (aof.state === "off" && this.server.config.bool("appendonly")) this.restartAof(aof);
    }, 1000);
    t.unref();
  }

  /** +CONTINUE [replid]: the primary goes on from our offset (perhaps under a new ID). */
  private continued(newId: string): void {
    const log = this.server.log;
    log.notice("Successful partial resynchronization with master.");
    if (newId !== "" && newId !== this.primary.replid) {
      log.notice(`Master replication ID changed to ${newId}`);
      this.primary.switchId(newId);
      this.primary.disconnectReplicas();
    }
    log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    this.primary.ensureBacklog();
    this.connected();
    const rest = this.inbuf;
    this.inbuf = Buffer.alloc(0);
    if (rest.length > 0) this.applyStream(rest);
  }

  /** The stream flows: the primary becomes a client of ours (replicationCreateMasterClient). */
  private connected(): void {
    const server = this.server;
    const m = new Client(server.newClientId(), this.socket!, { limits: { maxBulkLen: Number.MAX_SAFE_INTEGER }, authRequired: false });
    m.flags.add("master");
    m.db = this.streamDb;
    server.clients.set(m.id, m);
    this.master = m;
    this.state = "connected";
    this.step = "stream";
    this.cached = true;
    this.raw = Buffer.alloc(0);
    this.sendAck();
  }

  /** Applies what the primary sent, command by command, and passes each on to our replicas. */
  private applyStream(d: Buffer): void {
    const m = this.master;
    if (m === null || m.closed) return;
    const server = this.server;
    m.lastInteraction = Date.now();
    engineServer.setClock(m.lastInteraction);
    server.stats.netInputBytes += d.length;
    if (server.unpauseWaiters.has(this.resumeApply)) {
      // Applying waits for the end of a pause: what comes meanwhile is joined once, then.
      this.waiting.push(d);
      this.waitingBytes += d.length;
      return;
    }
    if (this.waiting.length > 0) {
      d = Buffer.concat([...this.waiting, d]);
      this.waiting = [];
      this.waitingBytes = 0;
    }
    this.raw = this.raw.length === 0 ? d : Buffer.concat([this.raw, d]);
    const raw = this.raw;
    const parser = m.parser;
    // Commands are framed here, byte-exact (the offset counts them), and each is parsed on its own.
    let at = 0;
    const r = this.reply;
    engineServer.setReplicaExpiry(2);
    try {
      for (;;) {
        // While a script is busy the primary's commands wait (Redis's processInputBuffer): retried soon.
        if (busy.script !== null) {
          this.retryApply();
          break;
        }
        // While writes are paused (CLIENT PAUSE, FAILOVER, a shutdown waiting for replicas) they
        // wait too, read but not applied (Redis's PAUSE_ACTION_REPLICA): applied at the unpause.
        if (server.isPaused()) {
          server.unpauseWaiters.add(this.resumeApply);
          break;
        }
        const end = commandEnd(raw, at);
        if (end < 0) break;
        const bytes = raw.subarray(at, end);
        at = end;
        let argv: Buffer[] | null;
        try {
          parser.feed(bytes, false);
          argv = parser.next();
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          server.log.warning(`Protocol error from the master: ${e.message}`);
          this.drop();
          return;
        }
        if (argv !== null) {
          server.commandClock = performance.now();
          server.current = m;
          r.pos = 0;
          try {
            execute(server, m, argv, r);
            if (r.pos > 0 && r.buf[0] === 45 /* '-' */) this.errorToPrimary(r.buf.toString("latin1", 0, r.pos), argv);
          } catch (e) {
            server.log.warning(`Command from the master failed: ${e instanceof Error ? e.stack : String(e)}`);
          } finally {
            server.current = null;
            server.deferredPushes.length = 0;
            r.pos = 0;
          }
          if (this.master !== m) return; // the command ended the link (REPLICAOF from the stream)
        }
        // Applied: the offset and our replicas get its bytes (a transaction's at its EXEC).
        this.held.push(Buffer.from(bytes));
        if (m.multiCount < 0) this.releaseHeld();
      }
    } finally {
      if (this.master === m) engineServer.setReplicaExpiry(clientExpiry.mode);
      this.raw = at >= raw.length ? Buffer.alloc(0) : raw.subarray(at);
    }
  }

  /** Applies what waited in the stream (the end of a pause). */
  private readonly resumeApply = (): void => this.applyStream(Buffer.alloc(0));
  /** What the primary sent while applying waited for a pause to end. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;

  private retryTimer: NodeJS.Timeout | null = null;
  private retryApply(): void {
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = null;
      this.applyStream(Buffer.alloc(0));
    }, 10);
  }

  /**
   * A command of the primary's stream failed here: logged as Redis does (the
   * datasets may have diverged), or fatal under propagation-error-behavior panic.
   */
  private errorToPrimary(reply: string, argv: Buffer[]): void {
    const server = this.server;
    let text = reply.replace(/\r\n$/, "");
    text = text.startsWith("-ERR ") ? text.slice(5) : text.slice(1);
    const name = server.commands.get(argv[0].toString("latin1").toLowerCase())?.name ?? "<unknown>";
    server.log.warning(`== CRITICAL == This replica is sending an error to its master: '${text.slice(0, 4096)}' after processing the command '${name}'`);
    const behavior = server.config.get("propagation-error-behavior");
    if (server.config.bool("replica-read-only") && (behavior === "panic" || behavior === "panic-on-replicas")) {
      server.log.warning(`This replica panicked sending an error to its master after processing the command '${name}'`);
      process.exit(1);
    }
  }

  /** A transaction's bytes, passed on (and counted) when its EXEC is applied, as Redis counts a MULTI's offset. */
  private held: Buffer[] = [];
  private releaseHeld(): void {
    for (const b of this.held.splice(0)) this.primary.proxy(b);
  }

  /** REPLCONF ACK <offset> [FACK <aof offset>] to the primary (replicationSendAck): FACK while our AOF is on. */
  sendAck(): void {
    if (this.socket === null || this.state !== "connected") return;
    this.lastAck = Date.now();
    const fsynced = aofOf(this.server)?.fsyncedReploff ?? -1;
    const argv = ["REPLCONF", "ACK", String(this.primary.offset)];
    if (fsynced !== -1) argv.push("FACK", String(fsynced));
    this.socket.write(enc(argv));
  }

  /** replicationCron's replica part: reconnecting, the repl-timeout, the ACK every second. */
  cron(): void {
    const now = Date.now();
    const timeout = this.server.config.int("repl-timeout") * 1000;
    if (this.socket === null) {
      if (now >= this.retryAt) this.connect();
      return;
    }
    if (now - this.lastIo > timeout) {
      const log = this.server.log;
      if (this.state === "connected") log.warning("MASTER timeout: no data nor PING received...");
      else if (this.state === "sync") log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
      else log.warning("Timeout connecting to the MASTER...");
      this.drop();
      return;
    }
    if (this.state === "connected" && now - this.lastAck >= 1000) this.sendAck();
  }
}

/**
 * Where the command starting at `pos` ends (a RESP multibulk, or an inline
 * line), or -1 when it has not all arrived. The framing only: the parser
 * checks the rest.
 */
function commandEnd(b: Buffer, pos: number): number {
  if (pos >= b.length) return -1;
  if (b[pos] !== 42 /* '*' */) {
    const nl = b.indexOf(10, pos);
    return nl < 0 ? -1 : nl + 1;
  }
  let nl = b.indexOf(10, pos);
  if (nl < 0) return -1;
  const argc = Number(b.toString("latin1", pos + 1, nl - 1));
  let at = nl + 1;
  for (let i = 0; i < argc; i++) {
    if (at >= b.length) return -1;
    nl = b.indexOf(10, at);
    if (nl < 0) return -1;
    // A malformed header: let the parser see it (and throw) as soon as its line is here.
    if (b[at] !== 36 /* '$' */) return nl + 1;
    const len = Number(b.toString("latin1", at + 1, nl - 1));
    if (!Number.isFinite(len) || len < 0) return nl + 1;
    at = nl + 1 + len + 2;
    if (at > b.length) return -1;
  }
  return at;
}
