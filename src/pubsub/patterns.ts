/** Which subscribed patterns a channel matches: Redis's glob (stringmatchlen, case-sensitive). */
import { globMatch } from "../engine/keys.js";
import type { Registry, Subscribed } from "./registry.js";

/** Calls `each` for every subscribed pattern `channel` matches, in subscription order of the patterns. */
export function forEachMatch(patterns: Registry, channel: Buffer, each: (p: Subscribed) => void): void {
  for (const p of patterns.names.values()) {
    let m = matchers.get(p);
    if (m === undefined) matchers.set(p, (m = matcherOf(p.name)));
    if (m(channel)) each(p);
  }
}

type Matcher = (channel: Buffer) => boolean;

/** Each subscribed pattern's matcher, made at its first message. */
const matchers = new WeakMap<Subscribed, Matcher>();

const STAR = 42;

/**
 * A pattern's matcher. The usual shapes are matched here, without a call into
 * the engine per message (a keyspace subscriber to `*` or `__keyspace@0__:*`
 * gets one or two per command): only stars (anything), no special byte (the
 * same bytes), a literal then stars (a prefix), stars then a literal (a
 * suffix). Any `?`, `[` or `\`, or a star inside, goes to the engine's glob.
 */
function matcherOf(pattern: Buffer): Matcher {
  let lead = 0;
  while (lead < pattern.length && pattern[lead] === STAR) lead++;
  if (lead === pattern.length) return () => true;
  let trail = pattern.length;
  while (pattern[trail - 1] === STAR) trail--;
  const literal = pattern.subarray(lead, trail);
  for (const b of literal) {
    if (b === STAR || b === 63 /* ? */ || b === 91 /* [ */ || b === 92 /* \ */) return (channel) => globMatch(pattern, channel, false);
  }
  const prefix = lead === 0;
  const suffix = trail === pattern.length;
  if (prefix && suffix) return (channel) => channel.length === literal.length && sameAt(channel, 0, literal);
  if (prefix) return (channel) => channel.length >= literal.length && sameAt(channel, 0, literal);
  if (suffix) return (channel) => channel.length >= literal.length && sameAt(channel, channel.length - literal.length, literal);
  // Stars on both sides: the literal anywhere.
  return (channel) => channel.indexOf(literal) >= 0;
}

/** Whether `channel` holds `literal`'s bytes at `at`. */
function sameAt(channel: Buffer, at: number, literal: Buffer): boolean {
  for (let i = 0; i < literal.length; i++) if (channel[at + i] !== literal[i]) return false;
  return true;
}
