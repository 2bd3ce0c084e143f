/** Typed bindings for DEBUG (native/src/api/debug.rs). */
import { native } from "./addon.js";

/** DEBUG DIGEST: Redis's 40-hex-digit fingerprint of the whole dataset. */
export function digest(): string {
  return native.debugDigest();
}
/** DEBUG DIGEST-VALUE of one key (all zeros when it does not exist). */
export function digestValue(db: number, key: Uint8Array): string {
  return native.debugDigestValue(db, key);
}
/** DEBUG OBJECT's status line, or null when the key does not exist. */
export function object(db: number, key: Uint8Array): string | null {
  return native.debugObject(db, key);
}
/** DEBUG POPULATE: `count` keys `<prefix>:<n>`; `size` 0 keeps the natural value length. */
export function populate(db: number, count: number, prefix: Uint8Array, size: number): void {
  native.debugPopulate(db, count, prefix, size);
}
/** DEBUG HTSTATS: Redis's hash table statistics text for db's keys and expires. */
export function htstats(db: number, full: boolean): string {
  return native.debugHtstats(db, full);
}
/**
 * DEBUG HTSTATS-KEY: the statistics of the hash table a set, hash or sorted set
 * is kept in; `found` false when the key does not exist, `text` null when its
 * value is not kept in a hash table.
 */
export function htstatsKey(db: number, key: Uint8Array, full: boolean): { found: boolean; text: string | null } {
  const r = native.debugHtstatsKey(db, key, full);
  return { found: r.found, text: r.text ?? null };
}
/** DEBUG SEGFAULT: the process dies by SIGSEGV (a write to a read-only page). */
export function segfault(): void {
  native.debugSegfault();
}
/**
 * Test hook (DEBUG NATIVE-PANIC-TEST): makes the addon panic with `message`
 * inside a raw callback or a `#[napi]` function. The boundary turns the panic
 * into a thrown Error; nothing else about the engine changes.
 */
export function panicTest(kind: "raw" | "napi", message: Uint8Array): void {
  if (kind === "raw") native.rawDebugPanicTest(message);
  else native.debugPanicTest(message);
}
