/**
 * The primary side of replication, full synchronization (Redis's replication.c,
 * syncCommand and replicationFeedSlaves): SYNC and PSYNC answer with a snapshot
 * of the dataset, an RDB made in process and sent as a bulk (after
 * `+FULLRESYNC <replid> <offset>` for PSYNC), and from then on the replica gets
 * every unit the write path propagates, as Redis's replication stream: RESP
 * multibulks, a SELECT whenever the db changes, and a PING every
 * `repl-ping-replica-period` seconds. The stream's length is
 * master_repl_offset. Partial resynchronization (the backlog), replicas'
 * ACKs, WAIT and the replica side are the rest of the replication issue.
 */
import fs from "node:fs";
import { persistence as native } from "../engine/index.js";
import { rdbOf } from "../persistence/index.js";
import { functionHooks } from "../persistence/rdb.js";
import { introspection } from "../commands/introspection.js";
import { infoProviders } from "../commands/info.js";
import { ByteBuffer, catCommand, catSelect } from "../persistence/aof/encode.js";
import type { Ctx } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { PropagatedOp } from "../server/write-path.js";

const PING = [Buffer.from("PING")];

export class Primary {
  readonly replicas = new Set<Client>();
  /** What each replica said with REPLCONF listening-port. */
  private readonly ports = new WeakMap<Client, number>();
  /** Bytes of replication stream produced so far (master_repl_offset). */
  offset = 0;
  /** The db the stream last selected (Redis's slaveseldb); -1: the next unit selects. */
  private streamDb = -1;
  private stopListening: (() => void) | null = null;
  private lastPing = Date.now();
  private readonly out = new ByteBuffer();

  constructor(private readonly server: Server) {
    server.closeHooks.push((c) => this.detach(c));
    server.cronHooks.push(() => this.cron());
    // Servers in the same process each answer with their own primary (or none).
    infoProviders.set("replication", (srv) => replicationInfo(srv, primaries.get(srv)).join("\r\n"));
  }

  /** SYNC (`psync` false) and PSYNC: a full resynchronization of the calling client. */
  sync(c: Ctx, psync: boolean): void {
    const { client, server, r } = c;
    if (this.replicas.has(client)) return; // Redis ignores SYNC from a client that is already a replica
    const snapshot = this.snapshot();
    if (snapshot === null) return r.error("ERR Unable to perform background save");
    if (psync) r.raw(Buffer.from(`+FULLRESYNC ${introspection(server).replid} ${this.offset}\r\n`));
    // The RDB as a bulk without the trailing CRLF (the replication protocol's form).
    r.raw(Buffer.from(`$${snapshot.length}\r\n`));
    r.raw(snapshot);
    this.attach(client);
  }

  /** The dataset as an RDB file's bytes (written and read back from `dir`), or null when it cannot be saved. */
  private snapshot(): Buffer | null {
    const file = `temp-sync-${process.pid}-${Date.now()}.rdb`; // in `dir`, the working directory
    try {
      native.save(file, rdbOf(this.server).auxFields(false), false, functionHooks.dump?.() ?? []);
      return fs.readFileSync(file);
    } catch (e) {
      this.server.log.warning(`Can't produce the snapshot for a replica: ${(e as Error).message}`);
      return null;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** REPLCONF listening-port. */
  setListeningPort(client: Client, port: number): void {
    this.ports.set(client, port);
  }

  /** The port a replica listens on (INFO's slaveN port=), 0 when it did not say. */
  listeningPort(client: Client): number {
    return this.ports.get(client) ?? 0;
  }

  private attach(client: Client): void {
    this.replicas.add(client);
    client.flags.add("slave");
    // A new replica starts from the snapshot: the stream selects its db again (Redis resets slaveseldb).
    this.streamDb = -1;
    if (this.stopListening === null) this.stopListening = this.server.writePath.onPropagate((ops) => this.feed(ops));
    this.server.log.notice(`Replica ${client.addr} asks for synchronization`);
  }

  private detach(client: Client): void {
    if (!this.replicas.delete(client)) return;
    client.flags.delete("slave");
    if (this.replicas.size === 0 && this.stopListening !== null) {
      this.stopListening();
      this.stopListening = null;
    }
  }

  /** One propagated unit to every replica (replicationFeedSlaves), encoded as the AOF encodes it. */
  private feed(ops: PropagatedOp[]): void {
    const out = this.out;
    out.clear();
    for (const op of ops) {
      if (op.db >= 0 && op.db !== this.streamDb) {
        catSelect(out, op.db);
        this.streamDb = op.db;
      }
      catCommand(out, op.argv);
    }
    // A copy: the replicas' output may keep the bytes after this returns.
    this.send(Buffer.from(out.view()));
  }

  private send(bytes: Buffer): void {
    this.offset += bytes.length;
    for (const rep of this.replicas) this.server.writeTo(rep, bytes);
  }

  /** A PING into the stream every repl-ping-replica-period seconds (replicationCron). */
  private cron(): void {
    if (this.replicas.size === 0) return;
    const period = this.server.config.int("repl-ping-replica-period") * 1000;
    const now = Date.now();
    if (now - this.lastPing < period) return;
    this.lastPing = now;
    this.feed([{ db: -1, argv: PING }]);
  }
}

const primaries = new WeakMap<Server, Primary>();

/** INFO replication of a primary (no replica has asked to synchronize when `p` is undefined). */
function replicationInfo(server: Server, p: Primary | undefined): string[] {
  const st = introspection(server);
  const replicas = p ? [...p.replicas] : [];
  const offset = p?.offset ?? 0;
  return [
    "role:master",
    `connected_slaves:${replicas.length}`,
    ...replicas.map((c, i) => `slave${i}:ip=${c.addr.replace(/:\d+$/, "")},port=${p!.listeningPort(c)},state=online,offset=${offset},lag=0`),
    "master_failover_state:no-failover",
    `master_replid:${st.replid}`,
    `master_replid2:${st.replid2}`,
    `master_repl_offset:${offset}`,
    "second_repl_offset:-1",
    "repl_backlog_active:0",
    `repl_backlog_size:${server.config.get("repl-backlog-size")}`,
    "repl_backlog_first_byte_offset:0",
    "repl_backlog_histlen:0",
  ];
}



/** The server's primary side, made on first use. */
export function primaryOf(server: Server): Primary {
  let p = primaries.get(server);
  if (!p) primaries.set(server, (p = new Primary(server)));
  return p;
}
