/** Typed bindings for type-independent key operations (native/src/api/keys.rs). */
import { native } from "./addon.js";

export function del(db: number, key: Uint8Array): boolean {
  return native.keyDel(db, key);
}
export function exists(db: number, key: Uint8Array): boolean {
  return native.keyExists(db, key);
}
export function dbsize(db: number): number {
  return native.keyDbsize(db);
}
export function flushdb(db: number): void {
  native.keyFlushdb(db);
}
export function flushall(): void {
  native.keyFlushall();
}
