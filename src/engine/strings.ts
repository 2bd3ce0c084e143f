/** Typed bindings for the string type (native/src/api/strings.rs, semantics in t_string.rs). */
import { native } from "./addon.js";
import { land } from "./land.js";
import type { Reply } from "../protocol/reply.js";

/** SET flags (t_string::SET_*, read from the addon). */
export const SET_NX = native.STR_SET_NX;
export const SET_XX = native.STR_SET_XX;
export const SET_GET = native.STR_SET_GET;
export const SET_KEEPTTL = native.STR_SET_KEEPTTL;
/** Which unit the expire argument is in. */
export const SET_EX = native.STR_SET_EX;
export const SET_PX = native.STR_SET_PX;
export const SET_EXAT = native.STR_SET_EXAT;
export const SET_PXAT = native.STR_SET_PXAT;

/** LCS modes (t_string::LCS_*). */
export const LCS_LEN = native.STR_LCS_LEN;
export const LCS_IDX = native.STR_LCS_IDX;
export const LCS_WITHMATCHLEN = native.STR_LCS_WITHMATCHLEN;
export const LCS_BAD_OPTIONS = native.STR_LCS_BAD_OPTIONS;

const EMPTY = Buffer.alloc(0);

/**
 * Each function that takes the reply `r` writes the reply, Redis's error
 * included, and returns 0, or returns the status code (Code.NIL, Code.OK) it
 * leaves to the caller.
 */

/** One key of MGET: writes the bulk, or returns NIL. */
export function mgetOne(db: number, key: Uint8Array, r: Reply): number {
  return land(r, native.rawStrMgetOne(db, key, r.buf, r.pos));
}

/** SET without options (and each MSET pair): always succeeds. */
export function setPlain(db: number, key: Uint8Array, val: Uint8Array): void {
  native.rawStrSetPlain(db, key, val);
}

/** SET with SET_* flags; `expire` is the expire argument when a unit flag is set. */
export function set(db: number, key: Uint8Array, val: Uint8Array, flags: number, expire: Uint8Array | null, r: Reply): number {
  return land(r, native.rawStrSet(db, key, val, flags, expire ?? EMPTY, r.buf, r.pos));
}

export function getset(db: number, key: Uint8Array, val: Uint8Array, r: Reply): number {
  return land(r, native.strGetset(db, key, val, r.buf, r.pos));
}

export function getdel(db: number, key: Uint8Array, r: Reply): number {
  return land(r, native.strGetdel(db, key, r.buf, r.pos));
}

/** INCRBYFLOAT in long double arithmetic, as Redis. */
export function incrByFloat(db: number, key: Uint8Array, incr: Uint8Array, r: Reply): number {
  return land(r, native.strIncrByFloat(db, key, incr, r.buf, r.pos));
}

/**
 * LCS with LCS_* `mode`; `maxTable` bounds the DP table (proto-max-bulk-len).
 * With LCS_BAD_OPTIONS it only checks the keys' types, then returns Code.CALLER.
 */
export function lcs(db: number, k1: Uint8Array, k2: Uint8Array, mode: number, minMatch: number, maxTable: number, r: Reply): number {
  return land(r, native.strLcs(db, k1, k2, mode, minMatch, maxTable, r.buf, r.pos));
}
