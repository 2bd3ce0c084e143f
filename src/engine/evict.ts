/** maxmemory eviction (native/src/evict.rs, api/evict.rs). */
import { native } from "./addon.js";

/** performEvictions' outcomes. */
export const OK = 0;
export const RUNNING = 1;
export const FAIL = 2;

/** Evicts while the addon's memory plus `extra` bytes is over maxmemory: OK, RUNNING or FAIL. */
export function perform(extra: number): number {
  return native.rawEvict(extra) as number;
}
/** maxmemory and the eviction settings; false for an unknown policy. */
export function configure(maxmemory: number, policy: string, samples: number, tenacity: number, lazy: boolean): boolean {
  return native.evictConfigure(maxmemory, policy, samples, tenacity, lazy);
}
/** [evicted_keys, total_eviction_exceeded_time µs, current_eviction_exceeded_time µs]. */
export function stats(): number[] {
  return native.evictStats();
}
export function resetStats(): void {
  native.evictResetStats();
}
