/** Typed bindings for the string type (native/src/api/strings.rs). */
import { native } from "./addon.js";
import { land } from "./land.js";
import type { Reply } from "../protocol/reply.js";

export const SET_NX = 1;
export const SET_XX = 2;
export const SET_GET = 4;
export const SET_KEEPTTL = 8;

/** GET: writes the bulk, or returns NIL / WRONGTYPE. */
export function get(db: number, key: Uint8Array, r: Reply): number {
  return land(r, native.strGet(db, key, r.buf, r.pos));
}

/** SET with flags and an absolute expire time in ms (-1: none). */
export function set(db: number, key: Uint8Array, val: Uint8Array, flags: number, expireAtMs: number, r: Reply): number {
  return land(r, native.strSet(db, key, val, flags, expireAtMs, r.buf, r.pos));
}

/** INCRBY (or DECRBY with `negate`) by the client's decimal `delta`. */
export function incrBy(db: number, key: Uint8Array, delta: Uint8Array, negate: boolean, r: Reply): number {
  return land(r, native.strIncrBy(db, key, delta, negate, r.buf, r.pos));
}

export function strlen(db: number, key: Uint8Array): number {
  return native.strStrlen(db, key);
}

/** APPEND: new length or a negative code. */
export function append(db: number, key: Uint8Array, suffix: Uint8Array, maxLen: number): number {
  return native.strAppend(db, key, suffix, maxLen);
}
