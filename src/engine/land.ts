import { native } from "./addon.js";
import { Code } from "./codes.js";
import type { Reply } from "../protocol/reply.js";

/**
 * Completes a native call that wrote into `r`: moves `r.pos`, or copies in a
 * reply that did not fit. Returns 0 when the reply (or Redis's error) is
 * written, otherwise the (negative) status code for the caller to answer.
 */
export function land(r: Reply, res: number): number {
  if (res >= 0) {
    r.pos = res;
    return 0;
  }
  if (res === Code.NOSPACE) {
    r.ensure(native.enginePendingLen());
    r.pos = native.engineTakePending(r.buf, r.pos);
    return 0;
  }
  return res;
}

/** Answers a status code the standard way: nothing (written), nil or +OK. */
export function answer(r: Reply, code: number): void {
  if (code === 0) return;
  if (code === Code.NIL) return r.nil();
  if (code === Code.OK) return r.ok();
  if (code === Code.NIL_ARRAY) return r.nilArray();
  // A code this caller does not handle is a bug: the server answers "ERR internal error".
  throw new Error(`unexpected engine status code ${code}`);
}

/** land() then answer() in one step: the common case. */
export function reply(r: Reply, res: number): void {
  const c = land(r, res);
  if (c !== 0) answer(r, c);
}
