/** Typed bindings for type-independent key operations (native/src/api/keys.rs). */
import { native } from "./addon.js";
import { land } from "./land.js";
import type { Reply } from "../protocol/reply.js";

/** OBJECT's subcommands (generic::OBJ_*), read from the addon. */
export const OBJ_ENCODING = native.KEY_OBJ_ENCODING;
export const OBJ_REFCOUNT = native.KEY_OBJ_REFCOUNT;
export const OBJ_IDLETIME = native.KEY_OBJ_IDLETIME;
export const OBJ_FREQ = native.KEY_OBJ_FREQ;

/** DEL/UNLINK of one key: true if it existed. `lazy` frees a big value on the lazyfree thread (default: lazyfree-lazy-user-del). */
export function del(db: number, key: Uint8Array, lazy?: boolean): boolean {
  return native.keyDel(db, key, lazy);
}
/** The lazyfree-lazy-server-del, -expire and -user-del configs. */
export function setLazyfree(serverDel: boolean, expire: boolean, userDel: boolean): void {
  native.keySetLazyfree(serverDel, expire, userDel);
}
/** MEMORY USAGE: bytes for the key and its value (nested values: `samples` sampled, 0 all), or null when missing. */
export function memoryUsage(db: number, key: Uint8Array, samples: number): number | null {
  return native.keyMemoryUsage(db, key, samples) ?? null;
}
/** [lazyfree_pending_objects, lazyfreed_objects]. */
export function lazyfreeStats(): number[] {
  return native.keyLazyfreeStats();
}
/** Whether a live key exists, without counting a keyspace hit/miss or touching it. */
export function exists(db: number, key: Uint8Array): boolean {
  return native.keyExists(db, key);
}
/** Key states as WATCH sees them (keyWatchState). */
export const KEY_ABSENT = 0;
export const KEY_LIVE = 1;
export const KEY_EXPIRED = 2;
/** WATCH's look at a key, which does not expire it: KEY_ABSENT, KEY_LIVE, or KEY_EXPIRED (still stored, past its time). */
export function watchState(db: number, key: Uint8Array): number {
  return native.keyWatchState(db, key);
}
/** EXISTS's lookup: counts keyspace hits/misses, does not touch the key. */
export function existsRead(db: number, key: Uint8Array): boolean {
  return native.keyExistsRead(db, key);
}
/** A feature (blocked clients, WATCH) starts (`on`) or stops waiting on a key, once each: its changes are recorded while the write path listens for "waited". */
export function setWaited(db: number, key: Uint8Array, on: boolean): void {
  native.keySetWaited(db, key, on);
}
/** Client-side caching starts (`on`) or stops tracking `key`, in every db: its changes are recorded while the write path listens for "waited". */
export function setTracked(key: Uint8Array, on: boolean): void {
  native.keySetTracked(key, on);
}
/** A BCAST prefix (not the empty one) comes (`on`) or goes: keys under it are recorded while the write path listens for "waited". */
export function setTrackedPrefix(prefix: Uint8Array, on: boolean): void {
  native.keySetTrackedPrefix(prefix, on);
}
/** Client-side caching tracks no key any more. */
export function clearTracked(): void {
  native.keyClearTracked();
}
/** The notify-keyspace-events classes (their letters, as "g$x") whose events the engine records while the write path listens for "events". */
export function setEventClasses(classes: string): void {
  native.keySetEventClasses(classes);
}
/** The type name of a live key, without expiring, counting or touching it ("none" when missing or expired). */
export function liveType(db: number, key: Uint8Array): string {
  return native.keyLiveType(db, key);
}
/** The type name of a key ("none" when missing). */
export function type(db: number, key: Uint8Array): string {
  return native.keyType(db, key);
}
export function dbsize(db: number): number {
  return native.keyDbsize(db);
}
/** Keys with an expire in `db`. */
export function volatileCount(db: number): number {
  return native.keyVolatile(db);
}
/** Estimated average TTL (ms) of the volatile keys of `db`, as INFO keyspace reports it. */
export function avgTtl(db: number): number {
  return native.keyAvgTtl(db);
}
/** Empties a db; `lazy` frees a large one on a background thread. */
export function flushdb(db: number, lazy = false): void {
  native.keyFlushdb(db, lazy);
}
export function flushall(lazy = false): void {
  native.keyFlushall(lazy);
}
export function swapdb(a: number, b: number): void {
  native.keySwapdb(a, b);
}

/** TTL/PTTL/EXPIRETIME/PEXPIRETIME: writes the integer reply. */
export function ttl(db: number, key: Uint8Array, ms: boolean, absolute: boolean, r: Reply): number {
  return land(r, native.keyTtl(db, key, ms, absolute, r.buf, r.pos));
}
export function persist(db: number, key: Uint8Array): boolean {
  return native.keyPersist(db, key);
}

/** OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ (OBJ_*): writes the reply, or returns Code.NIL. */
export function object(db: number, key: Uint8Array, what: number, r: Reply): number {
  return land(r, native.keyObject(db, key, what, r.buf, r.pos));
}
/** Switches access tracking between LRU and LFU (maxmemory-policy *-lfu). */
export function setLfu(enabled: boolean, logFactor: number, decayTime: number): void {
  native.keySetLfu(enabled, logFactor, decayTime);
}

/** Redis's glob-style match (KEYS, SCAN MATCH, CONFIG GET): `*`, `?`, `[...]`, `\` escapes. */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase: boolean): boolean {
  return native.globMatch(pattern, subject, nocase);
}
