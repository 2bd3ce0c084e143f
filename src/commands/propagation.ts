/**
 * Redis's deterministic rewrites of commands for propagation (AOF, replicas):
 * relative times become absolute, so a replay anywhere, any time, gives the
 * same data. Handlers name one in `ctx.propagate`; call() runs it only when
 * the command changed something and something consumes propagation, so the
 * rewrite costs nothing otherwise.
 */
import { state } from "../engine/index.js";
import type { Ctx, Rewrite } from "./types.js";

const SET = Buffer.from("SET");
const DEL = Buffer.from("DEL");
const UNLINK = Buffer.from("UNLINK");
const PEXPIREAT = Buffer.from("PEXPIREAT");
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
export const expireRewrite: Rewrite = (c) => {
  if (state.lastExpire() === state.EXPIRE_DELETED) return expiredDel(c, c.argv[1]);
  if (c.argv[0].length === 9 && c.argv[0].toString("latin1").toLowerCase() === "pexpireat") return undefined;
  return [PEXPIREAT, c.argv[1], lastExpireArg(), ...c.argv.slice(3)];
};

/** GETSET key value: SET key value. */
export const asSet: Rewrite = (c) => [SET, c.argv[1], c.argv[2]];

/** GETDEL key: DEL key. */
export const asDel: Rewrite = (c) => [DEL, c.argv[1]];

/** INCRBYFLOAT: SET key <new value> KEEPTTL (the bulk it replied at `replyStart`), so float formatting never differs on replay. */
export const incrByFloatRewrite: Rewrite = (c, replyStart) => [SET, c.argv[1], bulkAt(c.r.buf, replyStart), KEEPTTL];

/** The bytes of the bulk reply written at `start` ("$<len>\r\n<bytes>\r\n"), copied. */
function bulkAt(buf: Buffer, start: number): Buffer {
  let i = start + 1;
  let len = 0;
  while (buf[i] !== 13) len = len * 10 + (buf[i++] - 48);
  return Buffer.from(buf.subarray(i + 2, i + 2 + len));
}
