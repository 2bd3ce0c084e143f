/**
 * Redis's deterministic rewrites of commands for propagation (AOF, replicas):
 * relative times become absolute, so a replay anywhere, any time, gives the
 * same data. Handlers set `ctx.propagate` with these; call() uses it only when
 * the command changed something.
 */
import { state } from "../engine/index.js";
import type { Ctx } from "./types.js";

const SET = Buffer.from("SET");
const DEL = Buffer.from("DEL");
const UNLINK = Buffer.from("UNLINK");
const PXAT = Buffer.from("PXAT");
const PEXPIREAT = Buffer.from("PEXPIREAT");
const PERSIST = Buffer.from("PERSIST");
const KEEPTTL = Buffer.from("KEEPTTL");

/** The absolute expire the command just set, as a decimal argument. */
function lastExpireArg(): Buffer {
  return Buffer.from(state.lastExpire().toString());
}

/** The DEL (or UNLINK, under lazyfree-lazy-expire) of a key whose new time had already passed. */
function expiredDel(c: Ctx, key: Buffer): Buffer[] {
  return [c.server.writePath.lazyExpire ? UNLINK : DEL, key];
}

/** EXPIRE/PEXPIRE/EXPIREAT: PEXPIREAT key ms [options], or the DEL when the time had passed. PEXPIREAT stays as sent. */
export function expireRewrite(c: Ctx): Buffer[] | undefined {
  if (state.lastExpire() === state.EXPIRE_DELETED) return expiredDel(c, c.argv[1]);
  if (c.argv[0].length === 9 && c.argv[0].toString("latin1").toLowerCase() === "pexpireat") return undefined;
  return [PEXPIREAT, c.argv[1], lastExpireArg(), ...c.argv.slice(3)];
}

/** GETEX: PEXPIREAT key ms, PERSIST key, or the DEL when an absolute time had passed. */
export function getexRewrite(c: Ctx, persist: boolean): Buffer[] {
  if (persist) return [PERSIST, c.argv[1]];
  if (state.lastExpire() === state.EXPIRE_DELETED) return expiredDel(c, c.argv[1]);
  return [PEXPIREAT, c.argv[1], lastExpireArg()];
}

/** SET with EX/PX/EXAT (and SETEX, PSETEX): SET key value PXAT ms. */
export function setPxatRewrite(key: Buffer, value: Buffer): Buffer[] {
  return [SET, key, value, PXAT, lastExpireArg()];
}

/** SET ... GET without an expire: the same SET without its GET arguments. */
export function withoutGet(argv: Buffer[]): Buffer[] {
  return argv.filter((a, j) => j < 3 || !(a.length === 3 && (a[0] | 0x20) === 0x67 && (a[1] | 0x20) === 0x65 && (a[2] | 0x20) === 0x74));
}

/** GETSET key value: SET key value. */
export function asSet(argv: Buffer[]): Buffer[] {
  return [SET, argv[1], argv[2]];
}

/** GETDEL key: DEL key. */
export function asDel(key: Buffer): Buffer[] {
  return [DEL, key];
}

/** INCRBYFLOAT: SET key <new value> KEEPTTL, so float formatting never differs on replay. */
export function incrByFloatRewrite(key: Buffer, value: Buffer): Buffer[] {
  return [SET, key, value, KEEPTTL];
}
