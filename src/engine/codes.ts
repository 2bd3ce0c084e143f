/**
 * The status codes the addon returns instead of a reply position, for the
 * outcomes TypeScript acts on (native/src/reply.rs `code`, read from the addon:
 * defined only there). Errors are never codes: Rust writes Redis's text into
 * the reply itself.
 */
import { native } from "./addon.js";

export const Code = {
  /** Nothing written: the answer is a null. */
  NIL: native.CODE_NIL,
  /** The reply did not fit the buffer and waits in the addon's overflow area. */
  NOSPACE: native.CODE_NOSPACE,
  /** Nothing written: the answer is +OK (SETNX: 1). */
  OK: native.CODE_OK,
  /** Nothing written: the caller's own pending answer stands (LCS's option errors). */
  CALLER: native.CODE_CALLER,
  /** Nothing written, nothing changed: a blocking command would block (src/server/blocking). */
  BLOCK: native.CODE_BLOCK,
  /** Nothing written: the answer is a null array (RESP2 `*-1`, RESP3 `_`). */
  NIL_ARRAY: native.CODE_NIL_ARRAY,
} as const;
