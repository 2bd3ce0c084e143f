/**
 * The query buffer as Redis 7.2 sizes it, for CLIENT LIST's qbuf-free and the
 * query buffer's share of tot-mem (what maxmemory-clients weighs).
 *
 * Nodis parses straight from the socket's chunks, so it has no one growing
 * buffer per client; what it has is the bytes not yet parsed (qbuf). This
 * model keeps the allocation Redis would hold for those bytes, by Redis's
 * rules: readQueryFromClient's room making (16 KB reads, non-greedy while
 * under 16 KB or reading a big argument, greedy after), processMultibulkBuffer's
 * room for a big argument (>= 32 KB) as soon as its header is parsed, and
 * clientsCronResizeQueryBuffer's shrinking (idle over 2 s, or twice the recent
 * peak) each cron tick.
 */
import type { Client } from "./client.js";

/** Redis's PROTO_IOBUF_LEN, PROTO_MBULK_BIG_ARG and PROTO_RESIZE_THRESHOLD. */
const IOBUF_LEN = 16 * 1024;
export const BIG_ARG = 32 * 1024;
const RESIZE_THRESHOLD = 32 * 1024;
/** sdsMakeRoomFor's greedy growth: doubling up to 1 MB, then 1 MB more at a time. */
const SDS_MAX_PREALLOC = 1024 * 1024;

/**
 * Before the commands of a read run: the room Redis makes before its first
 * read (16 KB, non-greedy while the buffer is under that), so the running
 * command's CLIENT LIST line shows it as Redis's does.
 */
export function queryBufferBeforeRun(c: Client, lenBefore: number, bulkBefore: number): void {
  if (bulkBefore < BIG_ARG && c.qbAlloc < IOBUF_LEN && (c.flags.size === 0 || !c.flags.has("master"))) {
    if (c.qbAlloc < lenBefore + IOBUF_LEN) c.qbAlloc = lenBefore + IOBUF_LEN;
    if (c.qbPeak < lenBefore + IOBUF_LEN) c.qbPeak = lenBefore + IOBUF_LEN;
  }
}

/**
 * A read of `nread` bytes reached `c` (called after its commands ran): `lenBefore`
 * unparsed bytes and `bulkBefore` (the bulk being read, -1 when none) were the
 * parser's state before it, `lenAfter` the unparsed bytes now. Redis reads 16 KB
 * at a time and runs the commands between reads, so the read is replayed in
 * Redis-sized reads, each starting from what the commands left.
 */
export function queryBufferRead(c: Client, nread: number, lenBefore: number, bulkBefore: number, lenAfter: number): void {
  const master = c.flags.size !== 0 && c.flags.has("master");
  const seen = c.parser.takeBigBulkSeen();
  // The usual read (-P 1, a pipeline consumed whole): one Redis read into the room it has, which only the peak sees.
  if (lenBefore === 0 && bulkBefore < BIG_ARG && lenAfter === 0 && seen < BIG_ARG && !master && c.qbAlloc >= IOBUF_LEN && nread <= c.qbAlloc) {
    if (c.qbPeak < nread) c.qbPeak = nread;
    return;
  }
  let bulk = bulkBefore;
  let qblen = lenBefore;
  let alloc = c.qbAlloc;
  let peak = c.qbPeak;
  let left = nread;
  let first = true;
  while (left > 0) {
    if (!first) {
      // The header of a big argument parsed: room for all of it (processMultibulkBuffer).
      if (seen >= BIG_ARG && bulk < BIG_ARG) {
        bulk = seen;
        qblen = Math.min(qblen, lenAfter);
        if (alloc < bulk + 2) alloc = bulk + 2;
        if (peak < bulk + 2) peak = bulk + 2;
      }
      qblen = Math.min(qblen, lenAfter);
    }
    first = false;
    let readlen = IOBUF_LEN;
    const big = bulk >= BIG_ARG;
    if (big) {
      const remaining = bulk + 2 - qblen;
      if (remaining > 0) readlen = remaining;
      if (master && readlen < IOBUF_LEN) readlen = IOBUF_LEN;
    }
    if (!master && (big || alloc < IOBUF_LEN)) {
      if (alloc < qblen + readlen) alloc = qblen + readlen;
      if (peak < qblen + readlen) peak = qblen + readlen;
    } else {
      if (alloc - qblen < readlen) {
        const want = qblen + readlen;
        alloc = want < SDS_MAX_PREALLOC ? want * 2 : want + SDS_MAX_PREALLOC;
      }
      readlen = alloc - qblen;
    }
    const got = Math.min(left, Math.max(readlen, 1));
    qblen += got;
    left -= got;
    if (peak < qblen) peak = qblen;
  }
  // A big argument whose header came in the last simulated read.
  if (seen >= BIG_ARG) {
    if (alloc < seen + 2) alloc = seen + 2;
    if (peak < seen + 2) peak = seen + 2;
  }
  if (alloc < lenAfter) alloc = lenAfter;
  c.qbAlloc = alloc;
  c.qbPeak = peak;
}

/**
 * The read loop holds a command of `c` whose big last argument (`bulk` bytes,
 * `have` of them come) is read into its own buffer (native/src/api/held.rs):
 * as Redis, room for all of it from its header on; `argv` the other arguments'
 * length. `bulk` -1: nothing held any more.
 */
export function queryBufferHeld(c: Client, have: number, bulk: number, argv: number): void {
  c.heldQbuf = have;
  c.heldBulk = bulk;
  c.heldArgv = argv;
  if (bulk < 0) return;
  if (c.qbAlloc < bulk + 2) c.qbAlloc = bulk + 2;
  if (c.qbPeak < bulk + 2) c.qbPeak = bulk + 2;
}

/** Redis's clientsCronResizeQueryBuffer, once per cron tick per client. */
export function queryBufferCron(c: Client, nowMs: number): void {
  const len = c.parser.queryLen + c.heldQbuf;
  const bulk = c.heldBulk >= 0 ? c.heldBulk : c.parser.bulkInProgress;
  const alloc = c.qbAlloc;
  if (alloc - len > 4 * 1024) {
    const idle = Math.floor(nowMs / 1000) - Math.floor(c.lastInteraction / 1000);
    if (idle > 2) c.qbAlloc = len;
    else if (alloc > RESIZE_THRESHOLD && alloc / 2 > c.qbPeak) {
      let resize = Math.max(len, c.qbPeak);
      if (bulk !== -1 && resize < bulk + 2) resize = bulk + 2;
      c.qbAlloc = resize;
    }
  }
  let peak = len;
  if (bulk !== -1 && bulk + 2 > peak) peak = bulk + 2;
  c.qbPeak = peak;
}
