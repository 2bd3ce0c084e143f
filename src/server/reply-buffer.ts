/**
 * The static reply buffer as Redis 7.2 sizes it, for CLIENT LIST's rbs (its
 * size) and rbp (its recent peak) and its share of tot-mem. Nodis writes a
 * batch's replies from one shared arena, so it has no such buffer per client;
 * this keeps the size Redis's would have: 16 KB at first, then each cron tick
 * clientsCronResizeOutputBuffer's rule: halved down to the recent peak (not
 * under 1 KB) while the peak stays under half of it, doubled (up to 16 KB)
 * while replies fill it; the peak restarts every reply-buffer peak-reset-time
 * (5 s, DEBUG REPLYBUFFER PEAK-RESET-TIME). DEBUG REPLYBUFFER RESIZING 0 stops it.
 */
import type { Client } from "./client.js";

/** Redis's PROTO_REPLY_CHUNK_BYTES, PROTO_REPLY_MIN_BYTES, REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME. */
export const REPLY_CHUNK_BYTES = 16 * 1024;
const REPLY_MIN_BYTES = 1024;
const DEFAULT_PEAK_RESET_MS = 5000;

/** DEBUG REPLYBUFFER's settings (server-wide, as Redis's). */
export const replyBufferSettings = { peakResetMs: DEFAULT_PEAK_RESET_MS, resizing: true };

/** DEBUG REPLYBUFFER PEAK-RESET-TIME: "never", "reset" or milliseconds; false when not a number. */
export function setPeakResetTime(arg: string): boolean {
  const w = arg.toLowerCase();
  if (w === "never") replyBufferSettings.peakResetMs = -1;
  else if (w === "reset") replyBufferSettings.peakResetMs = DEFAULT_PEAK_RESET_MS;
  else if (/^-?\d+$/.test(arg)) replyBufferSettings.peakResetMs = Number(arg);
  else return false;
  return true;
}

/** A batch wrote `bytes` of replies for `c`: Redis's buffer would have held up to its size of them. */
export function noteReplies(c: Client, bytes: number): void {
  const used = bytes < c.rbSize ? bytes : c.rbSize;
  if (used > c.rbPeak) c.rbPeak = used;
}

/** Redis's clientsCronResizeOutputBuffer, once per cron tick per client. */
export function replyBufferCron(c: Client, nowMs: number): void {
  const { peakResetMs, resizing } = replyBufferSettings;
  if (!resizing) return;
  const size = c.rbSize;
  let next = 0;
  if (size / 2 >= REPLY_MIN_BYTES && c.rbPeak < size / 2) next = Math.max(REPLY_MIN_BYTES, c.rbPeak + 1);
  else if (size * 2 < REPLY_CHUNK_BYTES * 2 && c.rbPeak === size) next = Math.min(REPLY_CHUNK_BYTES, size * 2);
  if (peakResetMs >= 0 && nowMs - c.rbPeakResetAt >= peakResetMs) {
    c.rbPeak = 0; // the buffer is empty between turns (Redis's bufpos)
    c.rbPeakResetAt = nowMs;
  }
  if (next !== 0) c.rbSize = next;
}
