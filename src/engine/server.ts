/** Engine-wide bindings: lifecycle, clock, memory, expiry (native/src/api/server.rs). */
import { native } from "./addon.js";
import { setNoTouch } from "./state.js";

export { replyCap, setClock, setExpiryPaused, setNoTouch, setObey, setReplicaExpiry, setReplyCap, setResp } from "./state.js";

export function init(databases: number): void {
  native.engineInit(databases);
  setNoTouch(false); // a fresh keyspace starts touching
}
/**
 * The allocator under the addon's memory accounting, named as Redis names its
 * malloc (mem_allocator, --version): native/src/alloc.rs counts every
 * allocation over Rust's System allocator, which is the C library's malloc.
 */
export const ALLOCATOR = "libc";

export function usedMemory(): number {
  return native.engineUsedMemory();
}
/** The hash tables' own cost in db `db`: [main, expires] bytes. */
export function dbOverhead(db: number): number[] {
  return native.engineDbOverhead(db);
}
/** Returns the C library's free memory to the system (malloc_trim); true when some was released. */
export function mallocTrim(): boolean {
  return native.engineMallocTrim();
}
/** One active expire cycle; returns the number of keys expired. */
export function activeExpire(budgetPerDb: number): number {
  return native.engineActiveExpire(budgetPerDb);
}

export type EngineStats = ReturnType<typeof native.engineStats>;
/** The keyspace counters INFO stats shows (expired_keys, keyspace_hits/misses, ...). */
export function stats(): EngineStats {
  return native.engineStats();
}
/** CONFIG RESETSTAT's share: zeroes the native counters. */
export function resetStats(): void {
  native.engineResetStats();
}
/** One db's INFO keyspace numbers: keys, keys with an expire, average TTL estimate (ms). */
export function dbInfo(db: number): { keys: number; expires: number; avgTtl: number } {
  return { keys: native.keyDbsize(db), expires: native.keyVolatile(db), avgTtl: native.keyAvgTtl(db) };
}

/** Incremental rehashing's share of a cron tick: up to `buckets` buckets per resizing table. */
export function rehash(buckets: number): boolean {
  return native.engineRehash(buckets);
}
