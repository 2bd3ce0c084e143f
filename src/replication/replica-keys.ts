/**
 * Keys a writable replica's own clients wrote (Redis's slaveKeysWithExpire):
 * the primary never sends DELs for them, so the replica expires them itself,
 * a few each cron tick, while every other key waits for its primary's DEL.
 */
import { keys as engineKeys, server as engineServer } from "../engine/index.js";
import { Reply } from "../protocol/reply.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { clientExpiry } from "./replica.js";

/** Keys looked at per cron tick. */
const PER_TICK = 100;

export class ReplicaKeys {
  /** "db:key" (latin1) to db and key. */
  private readonly tracked = new Map<string, { db: number; key: Buffer }>();
  private listening = false;
  private readonly scratch = new Reply(64);

  constructor(private readonly server: Server) {
    server.writePath.keyModified.push(this.modified);
  }

  /** Tracks writes while the server is a writable replica. */
  setActive(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    this.server.writePath.listen("keys", on);
    if (!on) this.tracked.clear();
  }

  private readonly modified = (db: number, key: Buffer, by: Client | null): void => {
    if (!this.listening || by === null || by.flags.has("master")) return;
    this.tracked.set(`${db}:${key.toString("latin1")}`, { db, key: Buffer.from(key) });
  };

  /** Deletes the tracked keys whose time has passed; forgets those gone or without a TTL. */
  cron(): void {
    if (this.tracked.size === 0) return;
    let n = 0;
    engineServer.setReplicaExpiry(0);
    try {
      for (const [id, { db, key }] of this.tracked) {
        if (n++ >= PER_TICK) break;
        // A lookup as a primary's: an expired key is deleted (and its DEL goes to the AOF).
        if (!engineKeys.exists(db, key) || !this.hasTtl(db, key)) this.tracked.delete(id);
      }
    } finally {
      engineServer.setReplicaExpiry(clientExpiry.mode);
    }
    const wp = this.server.writePath;
    if (wp.hasRecords()) wp.drain(null);
  }

  private hasTtl(db: number, key: Buffer): boolean {
    const r = this.scratch;
    r.pos = 0;
    engineKeys.ttl(db, key, true, false, r);
    return r.buf[1] !== 45; // ":-1" (no TTL)
  }
}
