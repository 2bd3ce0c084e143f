/**
 * WATCH (Redis's multi.c, second half): per db, the watched keys and who
 * watches each; per client, what it watches. A change to a watched key marks
 * its watchers "dirty-cas" (their next EXEC answers a null array). Keys that
 * were already expired (but still stored) when watched are remembered as
 * such: their deletion is no logical change, as Redis 7.2 treats them.
 *
 * The engine records the changes of watched keys alone (keys.setWaited, the
 * write path's "waited"), so the batch path stays on for the other clients and
 * stops after a command that changed one. The write path reports changes after
 * the command that made them, so a
 * flush arrives when the keys are gone. Redis touches only watched keys that
 * were stored before the flush; each watched key therefore carries whether
 * it is stored, read at WATCH and again after every change reported for it
 * (every change to a stored key is reported, expiry included). A swap needs
 * no such memory: after it, each db holds what the other held before.
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

/** One watched key of one db: its watchers, in WATCH order, and whether it is stored. */
interface KeyWatch {
  key: Buffer;
  watchers: WatchedKey[];
  /** Stored in the db (live or expired), as of the last change reported for it. */
  stored: boolean;
}

export class WatchTable {
  /** db -> key (latin1, so binary-safe) -> its watch. */
  private readonly byDb = new Map<number, Map<string, KeyWatch>>();
  /** client -> the keys it watches, in WATCH order. */
  private readonly byClient = new Map<Client, WatchedKey[]>();
  /** All watched (client, key) pairs: the engine records the watched keys' changes (keys.setWaited) only while this is above 0. */
  private count = 0;

  constructor(private readonly writePath: WritePath) {}

  /** WATCH of one key in `db`; nothing when the client watches it already. */
  watch(client: Client, db: number, key: Buffer): void {
    const id = key.toString("latin1");
    let keysOfDb = this.byDb.get(db);
    if (!keysOfDb) this.byDb.set(db, (keysOfDb = new Map()));
    const state = keys.watchState(db, key);
    let kw = keysOfDb.get(id);
    if (kw) {
      for (const w of kw.watchers) if (w.client === client) return;
    } else {
      // A copy: the argument is a view into the client's input.
      kw = { key: Buffer.from(key), watchers: [], stored: state !== KEY_ABSENT };
      keysOfDb.set(id, kw);
      keys.setWaited(db, kw.key, true);
    }
    const wk: WatchedKey = { db, key: kw.key, client, expired: state === KEY_EXPIRED };
    kw.watchers.push(wk);
    let mine = this.byClient.get(client);
    if (!mine) this.byClient.set(client, (mine = []));
    mine.push(wk);
    client.watching++;
    if (this.count++ === 0) this.writePath.listen("waited", true);
  }

  /** Forgets every key `client` watches (the dirty flag is the caller's to clear). */
  unwatchAll(client: Client): void {
    const mine = this.byClient.get(client);
    if (!mine) return;
    this.byClient.delete(client);
    for (const wk of mine) {
      const keysOfDb = this.byDb.get(wk.db)!;
      const id = wk.key.toString("latin1");
      const watchers = keysOfDb.get(id)!.watchers;
      watchers.splice(watchers.indexOf(wk), 1);
      if (watchers.length === 0) {
        keysOfDb.delete(id);
        keys.setWaited(wk.db, wk.key, false);
      }
    }
    client.watching = 0;
    this.count -= mine.length;
    if (this.count === 0) this.writePath.listen("waited", false);
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
    const kw = this.byDb.get(db)?.get(key.toString("latin1"));
    if (!kw) return;
    const state = keys.watchState(db, key);
    kw.stored = state !== KEY_ABSENT;
    const dirty: Client[] = [];
    for (const wk of kw.watchers) {
      if (wk.expired) {
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

  /** FLUSHDB (`db`) or FLUSHALL (-1), reported after the fact: the keys that were stored are touched. */
  flushed(db: number): void {
    if (this.count === 0) return;
    for (const [d, keysOfDb] of this.byDb) {
      if (db !== -1 && d !== db) continue;
      for (const kw of keysOfDb.values()) {
        if (kw.stored) this.touchInReplacedDb(kw, true, KEY_ABSENT);
        kw.stored = false;
      }
    }
  }

  /** SWAPDB a b, reported after the fact: each db now holds what the other held. */
  swapped(a: number, b: number): void {
    if (this.count === 0) return;
    for (const [db, other] of [
      [a, b],
      [b, a],
    ]) {
      const keysOfDb = this.byDb.get(db);
      if (!keysOfDb) continue;
      for (const kw of keysOfDb.values()) {
        const before = keys.watchState(other, kw.key) !== KEY_ABSENT;
        const now = keys.watchState(db, kw.key);
        if (before || now !== KEY_ABSENT) this.touchInReplacedDb(kw, before, now);
        kw.stored = now !== KEY_ABSENT;
      }
    }
  }

  /**
   * Redis's touchAllWatchedKeysInDb for one key whose db was emptied (and
   * filled with another db's content, for SWAPDB): `wasStored` before, `now`
   * its state after. Watchers become dirty, except where a stale key is
   * replaced by nothing or by another stale key, or nothing by a stale key.
   * They keep watching, as in Redis.
   */
  private touchInReplacedDb(kw: KeyWatch, wasStored: boolean, now: number): void {
    for (const wk of kw.watchers) {
      if (wk.expired) {
        if (now === KEY_ABSENT) {
          wk.expired = false; // the stale key is gone: no logical change
          continue;
        }
        if (now === KEY_EXPIRED) continue; // stale replaced by stale
      } else if (!wasStored && now === KEY_EXPIRED) {
        wk.expired = true; // nothing replaced by a stale key
        continue;
      }
      wk.client.flags.add(DIRTY_CAS);
    }
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
