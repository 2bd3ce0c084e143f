/** Engine-wide bindings: lifecycle, clock, memory, expiry (native/src/api/server.rs). */
import { native } from "./addon.js";
import { setNoTouch } from "./state.js";

export { replyCap, setBatchScripts, setClock, setExpiryPaused, setNoTouch, setObey, setReplicaExpiry, setReplyCap, setResp } from "./state.js";

export function init(databases: number): void {
  native.engineInit(databases);
  setNoTouch(false); // a fresh keyspace starts touching
}
/**
 * The allocator under the addon's memory accounting, named as Redis names its
 * malloc (mem_allocator, --version): native/src/alloc.rs counts every
 * allocation over jemalloc (the addon's own, prefixed: Node keeps the C library's).
 */
export const ALLOCATOR: string = native.engineAllocator();

/**
 * `unixSecs` in local time as the C library reckons it (Redis's log stamps):
 * [day of the month, month 0-11, year, hours, minutes, seconds]. Date's local
 * getters would load ICU's time zone data into the process (~0.45 MB).
 */
export function localTime(unixSecs: number): number[] {
  return native.engineLocalTime(unixSecs);
}

/** The allocator's own totals (bytes), as Redis's INFO allocator_* fields read them. */
export interface AllocatorStats {
  allocated: number;
  active: number;
  resident: number;
  retained: number;
}
export function allocatorStats(): AllocatorStats {
  const [allocated, active, resident, retained] = native.engineAllocatorStats();
  return { allocated, active, resident, retained };
}
/** MEMORY MALLOC-STATS: the allocator's statistics report. */
export function mallocStats(): string {
  return native.engineMallocStats();
}
/**
 * DEBUG MALLCTL / MALLCTL-STR: reads (and writes) one of the allocator's
 * settings. kind "int"/"str": the old value; "ok": written; "err": strerror's
 * words; "notint": the value to write is not an integer.
 */
export function mallctl(name: Buffer, value: Buffer | undefined, string: boolean): { kind: string; text: string } {
  const [kind, text] = native.engineMallctl(name, value, string);
  return { kind, text };
}

export function usedMemory(): number {
  return native.engineUsedMemory();
}
/** The hash tables' own cost in db `db`: [main, expires] bytes. */
export function dbOverhead(db: number): number[] {
  return native.engineDbOverhead(db);
}
/** Returns free memory to the system: jemalloc's free pages, then the C library's (malloc_trim). */
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
