/**
 * How the harness compares a Nodis reply with the oracle's: byte for byte,
 * except for
 *  - replies whose exact value depends on the clock (TTL and friends): equal
 *    when both are the same negative code, or both non-negative and close;
 *  - replies whose order Redis leaves unspecified (KEYS, SCAN's keys): compared sorted;
 *  - commands where Debian's redis-server (7.0) and Redis 7.2 differ: the
 *    expected reply is the 7.2 answer stated in KNOWN_72 below.
 */
import { replyEnd, type Arg } from "./resp.js";

/** Milliseconds the two servers' clocks may differ by for one command. */
const CLOCK_SLACK_MS = 2000;
const CLOCK_TOLERANCE: Record<string, number> = {
  ttl: 2,
  expiretime: 2,
  pttl: CLOCK_SLACK_MS,
  pexpiretime: CLOCK_SLACK_MS,
};

/** Lowercase command name; OBJECT's subcommands as "object|encoding". */
export function commandName(argv: Arg[]): string {
  const name = argv[0].toString().toLowerCase();
  if (name === "object" && argv.length > 1) return `${name}|${argv[1].toString().toLowerCase()}`;
  return name;
}

interface Known72 {
  /** Which command and 7.0 reply the rule is about. */
  applies(name: string, oracle: string): boolean;
  /** Redis 7.2's reply instead. */
  answer: string;
  why: string;
}

/**
 * Where redis-server 7.0 answers differently from Redis 7.2, the 7.2 answer.
 * Only for the values the generator makes (small collections, short members).
 */
export const KNOWN_72: readonly Known72[] = [
  {
    applies: (name, oracle) => name === "object|encoding" && oracle === "$9\r\nquicklist\r\n",
    answer: "$8\r\nlistpack\r\n",
    why: "7.2 keeps small lists as a listpack (list-max-listpack-size)",
  },
  {
    applies: (name, oracle) => name === "object|encoding" && oracle === "$9\r\nhashtable\r\n",
    answer: "$8\r\nlistpack\r\n",
    why: "7.2 keeps small non-integer sets as a listpack (set-max-listpack-entries); strings and our small hashes are never hashtables",
  },
];

/** The reply Redis 7.2 gives, from the oracle's reply. */
export function expected72(argv: Arg[], oracle: Buffer): { reply: Buffer; why?: string } {
  const name = commandName(argv);
  const text = oracle.toString("latin1");
  for (const k of KNOWN_72) if (k.applies(name, text)) return { reply: Buffer.from(k.answer, "latin1"), why: k.why };
  return { reply: oracle };
}

function intReply(b: Buffer): number | null {
  if (b[0] !== 58 /* ':' */) return null;
  const n = Number(b.toString("latin1", 1, b.length - 2));
  return Number.isInteger(n) ? n : null;
}

/** The elements of an array (or RESP3 set) reply, each as its exact bytes; null when `b` is neither, or a null array. */
export function arrayElements(b: Buffer): Buffer[] | null {
  if (b[0] !== 42 /* '*' */ && b[0] !== 126 /* '~' */) return null;
  const headEnd = b.indexOf(10) + 1;
  const n = Number(b.toString("latin1", 1, headEnd - 2));
  if (n < 0) return null;
  const out: Buffer[] = [];
  let p = headEnd;
  for (let i = 0; i < n; i++) {
    const e = replyEnd(b, p, b.length);
    out.push(b.subarray(p, e));
    p = e;
  }
  return out;
}

function sortedArray(b: Buffer): string | null {
  const els = arrayElements(b);
  if (!els) return null;
  return els
    .map((e) => e.toString("latin1"))
    .sort()
    .join("");
}

/** True when `actual` (Nodis) is an acceptable answer where `expected` is Redis 7.2's. */
export function sameReply(argv: Arg[], expected: Buffer, actual: Buffer): boolean {
  if (expected.equals(actual)) return true;
  const name = commandName(argv);
  const tolerance = CLOCK_TOLERANCE[name];
  if (tolerance !== undefined) {
    const a = intReply(expected);
    const b = intReply(actual);
    return a !== null && b !== null && a >= 0 && b >= 0 && Math.abs(a - b) <= tolerance;
  }
  if (name === "keys") {
    const a = sortedArray(expected);
    return a !== null && a === sortedArray(actual);
  }
  if (name === "scan") {
    // [cursor, keys]: the same cursor, the same keys in any order.
    const a = arrayElements(expected);
    const b = arrayElements(actual);
    if (!a || !b || a.length !== 2 || b.length !== 2 || !a[0].equals(b[0])) return false;
    const keys = sortedArray(a[1]);
    return keys !== null && keys === sortedArray(b[1]);
  }
  return false;
}
