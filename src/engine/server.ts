/** Engine-wide bindings: lifecycle, clock, memory, expiry (native/src/api/server.rs). */
import { native } from "./addon.js";

export function init(databases: number): void {
  native.engineInit(databases);
}
/** The clock (unix ms) the following commands see for expiry. */
export function setClock(nowMs: number): void {
  native.engineSetClock(nowMs);
}
export function usedMemory(): number {
  return native.engineUsedMemory();
}
/** One active expire cycle; returns the number of keys expired. */
export function activeExpire(budgetPerDb: number): number {
  return native.engineActiveExpire(budgetPerDb);
}
