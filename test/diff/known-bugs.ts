/**
 * Known places where Nodis still answers differently from Redis 7.2. The
 * random runs leave out the commands that would hit them (so they keep
 * testing everything else), and random.test.ts checks each repro still
 * differs: once one is fixed that check fails, and its entry goes.
 */
import type { Arg } from "./resp.js";

export interface KnownBug {
  what: string;
  /** True for a generated command that would run into it. */
  hits(argv: Arg[]): boolean;
  /** The shortest sequence that shows it (on flushed servers). */
  repro: Arg[][];
}

/** None open: the SELECT range error and EXPIRETIME at the i64 limit, found by the random runs, are fixed. */
export const KNOWN_BUGS: readonly KnownBug[] = [];

/** True when a generated command would run into a known bug. */
export function hitsKnownBug(argv: Arg[]): boolean {
  return KNOWN_BUGS.some((b) => b.hits(argv));
}
