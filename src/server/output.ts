/**
 * Pending output: what is written to clients outside their own batch (pub/sub
 * messages, invalidations, MONITOR lines, unblocked replies), held until the
 * end of the event-loop turn and then written once per client
 * (Server.writeTo / flushPending).
 *
 * The bytes of a turn live in one shared arena; each client keeps only the
 * ranges of it that are its own. A message for many subscribers is built once,
 * into the arena, and delivering it to one more subscriber is extending that
 * subscriber's range, with no copy: a subscriber receiving every message of
 * the turn sends one slice of the arena. At the end of the turn the arena is
 * reused when every socket took its slice at once (Node then holds no
 * reference to it), else replaced.
 */
import { Buffer } from "node:buffer";

/**
 * Output at least this long is not copied into the arena: it goes to the
 * socket as it is (after what is pending). Shorter output is copied at once,
 * so a caller may reuse a buffer under this size as soon as writeTo returns.
 */
export const COPIED_OUTPUT_MAX = 64 * 1024;

/** Output limits are checked each time a client's pending bytes cross a multiple of 2^this (and at each flush). */
export const LIMIT_CHECK_STEP_BITS = 14; // 16 KB

/**
 * The arena's size. A turn producing more flushes what is pending and starts a
 * new arena. A socket that did not take its slice at once keeps the arena
 * alive until it has written it, so a slow client costs at most this much
 * besides its own bytes (those written to an already backed-up socket are
 * copied out instead).
 */
const ARENA_BYTES = 128 * 1024;

/** The bytes written for clients during one turn. */
export class OutputArena {
  buf = Buffer.allocUnsafeSlow(ARENA_BYTES);
  pos = 0;
  /** A socket holds a slice of `buf`: it must not be overwritten. */
  pinned = false;

  /** The offset of `n` free bytes for the caller to fill, or -1 when they do not fit. */
  space(n: number): number {
    const start = this.pos;
    if (start + n > this.buf.length) return -1;
    this.pos = start + n;
    return start;
  }

  /** Starts over in the same memory (end of turn, nothing pending) unless a socket still holds part of it. */
  reuse(): void {
    if (this.pinned) this.renew();
    else this.pos = 0;
  }

  /** Starts over in new memory (the old one lives as long as views of it do). */
  renew(): void {
    this.buf = Buffer.allocUnsafeSlow(ARENA_BYTES);
    this.pos = 0;
    this.pinned = false;
  }
}

/** A client's pending output: ranges of the arena, in order (Client.pendingOut; its size is Client.pendingBytes). */
export class PendingRanges {
  /** The last range, [start, end); end is -1 when there is none. */
  start = 0;
  end = -1;
  /** The ranges before the last one, as start, end pairs. */
  earlier: number[] = [];

  /** Appends [start, end): the last range grows when it ends where this starts. */
  add(start: number, end: number): void {
    if (this.end === start) {
      this.end = end;
      return;
    }
    if (this.end >= 0) this.earlier.push(this.start, this.end);
    this.start = start;
    this.end = end;
  }

  /**
   * The pending bytes (`n` of them) to write: a slice of the arena when they are
   * one range, else a copy joining the ranges. Empties the ranges.
   */
  take(arena: OutputArena, n: number): Buffer {
    const buf = arena.buf;
    let out: Buffer;
    if (this.earlier.length === 0) out = buf.subarray(this.start, this.end);
    else {
      out = Buffer.allocUnsafe(n);
      const e = this.earlier;
      let at = 0;
      for (let i = 0; i < e.length; i += 2) at += buf.copy(out, at, e[i], e[i + 1]);
      buf.copy(out, at, this.start, this.end);
      e.length = 0;
    }
    this.end = -1;
    return out;
  }
}
