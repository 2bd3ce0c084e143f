/**
 * How much of a batch's replies counts as output against the client's limits,
 * as Redis counts its reply list: Redis keeps the first bytes of a client's
 * output in a static 16 KB buffer that its limits do not count, but a reply
 * whose length is written after its elements (addReplyDeferredLen: KEYS,
 * ZRANGEBYSCORE, XRANGE, ...) puts a placeholder in the list, and from there
 * on everything goes to the list: all of that reply counts.
 */

/** Redis's static reply buffer (PROTO_REPLY_CHUNK_BYTES). */
export const REPLY_BUFFER_BYTES = 16 * 1024;

/** Commands Redis answers with a deferred length (their replies skip the static buffer). */
const DEFERRED_LENGTH = new Set([
  "keys",
  "lpos",
  "sinter",
  "lcs",
  "zrangebyscore",
  "zrevrangebyscore",
  "zrangebylex",
  "zrevrangebylex",
  "xrange",
  "xrevrange",
  "xread",
  "xreadgroup",
  "xclaim",
  "xautoclaim",
  "xpending",
  "command|list",
  "command|docs",
  "pubsub|channels",
  "pubsub|shardchannels",
]);

/**
 * The reply bytes counted as output after a command of `name` whose reply
 * started at `start` of the batch's `end` bytes.
 */
export function countedReplyBytes(name: string, start: number, end: number): number {
  const free = DEFERRED_LENGTH.has(name) ? Math.min(start, REPLY_BUFFER_BYTES) : REPLY_BUFFER_BYTES;
  return end > free ? end - free : 0;
}
