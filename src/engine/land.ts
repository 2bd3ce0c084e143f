import { native } from "./addon.js";
import { Code, ERR } from "./codes.js";
import type { Reply } from "../protocol/reply.js";

/**
 * Completes a native call that wrote into `r`: moves `r.pos`, or copies in a
 * reply that did not fit. Returns 0 when the reply is written, otherwise the
 * (negative) status code for the caller to answer.
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

/** Answers a status code the standard way (nil, +OK or Redis's error text). */
export function answer(r: Reply, code: number): void {
  switch (code) {
    case 0:
      return;
    case Code.NIL:
      return r.nil();
    case Code.OK:
      return r.ok();
    case Code.WRONGTYPE:
      return r.error(ERR.WRONGTYPE);
    case Code.NOT_INT:
      return r.error(ERR.NOT_INT);
    case Code.OVERFLOW:
      return r.error(ERR.OVERFLOW);
    case Code.NOT_FLOAT:
      return r.error(ERR.NOT_FLOAT);
    case Code.NAN_OR_INF:
      return r.error(ERR.NAN_OR_INF);
    case Code.TOO_BIG:
      return r.error(ERR.TOO_BIG);
    case Code.NO_KEY:
      return r.error(ERR.NO_KEY);
    case Code.SYNTAX:
      return r.error(ERR.SYNTAX);
    case Code.OUT_OF_RANGE:
      return r.error(ERR.OUT_OF_RANGE);
    default:
      if (code >= 0) r.int(code);
      else r.error(`ERR internal engine code ${code}`);
  }
}

/** land() then answer() in one step: the common case. */
export function reply(r: Reply, res: number): void {
  const c = land(r, res);
  if (c !== 0) answer(r, c);
}
