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

  constructor(private readonly server: Server) {
    server.closeHooks.push((c) => this.detach(c));
    server.cronHooks.push(() => this.cron());
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

  /** One propagated unit to every replica (replicationFeedSlaves). */
  private feed(ops: PropagatedOp[]): void {
    const parts: Buffer[] = [];
    for (const op of ops) {
      if (op.db >= 0 && op.db !== this.streamDb) {
        parts.push(encode([Buffer.from("SELECT"), Buffer.from(String(op.db))]));
        this.streamDb = op.db;
      }
      parts.push(encode(op.argv));
    }
    this.send(Buffer.concat(parts));
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
    this.send(encode(PING));
  }
}

/** A command as a RESP multibulk. */
function encode(argv: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) parts.push(Buffer.from(`$${a.length}\r\n`), a, CRLF);
  return Buffer.concat(parts);
}
const CRLF = Buffer.from("\r\n");

const primaries = new WeakMap<Server, Primary>();

/** The server's primary side if a replica ever attached. */
export function primaryIfAny(server: Server): Primary | undefined {
  return primaries.get(server);
}

/** The server's primary side, made on first use. */
export function primaryOf(server: Server): Primary {
  let p = primaries.get(server);
  if (!p) primaries.set(server, (p = new Primary(server)));
  return p;
}
