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

const is = (a: Arg | undefined, s: string) => a !== undefined && a.toString().toUpperCase() === s;

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    what: "SELECT with a DB index beyond 32 bits: Nodis says 'value is not an integer or out of range', Redis 'value is out of range, value must between -2147483648 and 2147483647'",
    hits: (argv) => is(argv[0], "SELECT") && argv.length === 2 && /^-?\d{11,19}$/.test(argv[1].toString()),
    repro: [["SELECT", "100000000000"]],
  },
];

/** True when a generated command would run into a known bug. */
export function hitsKnownBug(argv: Arg[]): boolean {
  return KNOWN_BUGS.some((b) => b.hits(argv));
}
