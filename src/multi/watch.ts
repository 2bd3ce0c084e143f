/**
 * WATCH (Redis's multi.c, second half): per db, the watched keys and who
 * watches each; per client, what it watches. A change to a watched key marks
 * its watchers "dirty-cas" (their next EXEC answers a null array). Keys that
 * were already expired (but still stored) when watched are remembered as
 * such: their deletion is no logical change, as Redis 7.2 treats them.
 */
import type { Client } from "../server/client.js";
import type { WritePath } from "../server/write-path.js";
import { keys } from "../engine/index.js";
import { KEY_ABSENT, KEY_EXPIRED, KEY_LIVE } from "../engine/keys.js";

export const DIRTY_CAS = "dirty-cas";

interface WatchedKey {
  db: number;
  key: Buffer;
  client: Client;
  /** The key was stored but past its expire time when watched (Redis's wk->expired). */
  expired: boolean;
}

export class WatchTable {
  /** db -> key (latin1, so binary-safe) -> its watchers, in WATCH order. */
  private readonly byDb = new Map<number, Map<string, WatchedKey[]>>();
  /** client -> the keys it watches, in WATCH order. */
  private readonly byClient = new Map<Client, WatchedKey[]>();
  /** All watched (client, key) pairs: the engine records modified keys only while this is above 0. */
  private count = 0;

  constructor(private readonly writePath: WritePath) {}

  /** WATCH of one key in `db`; nothing when the client watches it already. */
  watch(client: Client, db: number, key: Buffer): void {
    const id = key.toString("latin1");
    let keysOfDb = this.byDb.get(db);
    if (!keysOfDb) this.byDb.set(db, (keysOfDb = new Map()));
    let watchers = keysOfDb.get(id);
    if (watchers) {
      for (const w of watchers) if (w.client === client) return;
    } else keysOfDb.set(id, (watchers = []));
    // A copy: the argument is a view into the client's input.
    const wk: WatchedKey = { db, key: Buffer.from(key), client, expired: keys.watchState(db, key) === KEY_EXPIRED };
    watchers.push(wk);
    let mine = this.byClient.get(client);
    if (!mine) this.byClient.set(client, (mine = []));
    mine.push(wk);
    if (this.count++ === 0) this.writePath.listen("keys", true);
  }

  /** Forgets every key `client` watches (the dirty flag is the caller's to clear). */
  unwatchAll(client: Client): void {
    const mine = this.byClient.get(client);
    if (!mine) return;
    this.byClient.delete(client);
    for (const wk of mine) {
      const keysOfDb = this.byDb.get(wk.db)!;
      const id = wk.key.toString("latin1");
      const watchers = keysOfDb.get(id)!;
      watchers.splice(watchers.indexOf(wk), 1);
      if (watchers.length === 0) keysOfDb.delete(id);
    }
    this.count -= mine.length;
    if (this.count === 0) this.writePath.listen("keys", false);
  }

  /** Whether a key `client` watches has expired since it was watched (Redis's isWatchedKeyExpired). */
  anyExpired(client: Client): boolean {
    const mine = this.byClient.get(client);
    if (!mine) return false;
    for (const wk of mine) if (!wk.expired && keys.watchState(wk.db, wk.key) === KEY_EXPIRED) return true;
    return false;
  }

  /**
   * A key was changed (Redis's touchWatchedKey): its watchers become dirty and
   * stop watching. Called after the command that changed it, so the key's
   * state now tells what happened to a key watched while already expired:
   * gone means the stale key was deleted (no logical change; from now on it is
   * watched as a plain missing key); stored and still expired is Redis's case
   * of a touch without a lookup, which it leaves alone (and stops there).
   */
  touch(db: number, key: Buffer): void {
    if (this.count === 0) return;
    const watchers = this.byDb.get(db)?.get(key.toString("latin1"));
    if (!watchers) return;
    const dirty: Client[] = [];
    for (const wk of watchers) {
      if (wk.expired) {
        const state = keys.watchState(db, key);
        if (state === KEY_ABSENT) {
          wk.expired = false;
          continue;
        }
        if (state !== KEY_LIVE) break;
      }
      dirty.push(wk.client);
    }
    for (const c of dirty) {
      c.flags.add(DIRTY_CAS);
      // A dirty client has nothing left to watch for.
      this.unwatchAll(c);
    }
  }

  /**
   * FLUSHDB/FLUSHALL (`replacedWith` null) and SWAPDB, before the db changes
   * (Redis's touchAllWatchedKeysInDb): watchers of keys that exist in the
   * emptied db, or (SWAPDB) in the db that replaces it, become dirty, except
   * where a stale key is replaced by nothing or by another stale key.
   */
  touchAllInDb(emptied: number, replacedWith: number | null): void {
    if (this.count === 0) return;
    const keysOfDb = this.byDb.get(emptied);
    if (!keysOfDb) return;
    for (const watchers of keysOfDb.values()) {
      const key = watchers[0].key;
      const inEmptied = keys.watchState(emptied, key) !== KEY_ABSENT;
      const other = replacedWith === null ? KEY_ABSENT : keys.watchState(replacedWith, key);
      if (!inEmptied && other === KEY_ABSENT) continue;
      for (const wk of watchers) {
        if (wk.expired) {
          if (other === KEY_ABSENT) {
            wk.expired = false; // the stale key is gone: no logical change
            continue;
          }
          if (other === KEY_EXPIRED) continue; // stale replaced by stale
        } else if (!inEmptied && other === KEY_EXPIRED) {
          wk.expired = true; // nothing replaced by a stale key
          continue;
        }
        wk.client.flags.add(DIRTY_CAS);
      }
    }
  }

  /** Every db that has watched keys (FLUSHALL). */
  dbs(): number[] {
    return [...this.byDb.keys()];
  }

  /** How many (client, key) pairs are watched. */
  size(): number {
    return this.count;
  }

  /** How many keys `client` watches. */
  watchedBy(client: Client): number {
    return this.byClient.get(client)?.length ?? 0;
  }
}
