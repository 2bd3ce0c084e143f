/**
 * A script's shebang line (`#!lua flags=no-writes,allow-oom`), as Redis 7.2
 * reads it (evalExtractShebangFlags): the flags, and how many bytes the line
 * takes (the body compiled keeps its newline, so line numbers stay right).
 */
import { splitArgs } from "../protocol/inline.js";

export const SCRIPT_FLAG_NO_WRITES = 1 << 0;
export const SCRIPT_FLAG_ALLOW_OOM = 1 << 1;
export const SCRIPT_FLAG_ALLOW_STALE = 1 << 2;
export const SCRIPT_FLAG_NO_CLUSTER = 1 << 3;
/** A script without a shebang: Redis's compatibility mode (the flags say nothing). */
export const SCRIPT_FLAG_EVAL_COMPAT_MODE = 1 << 4;
export const SCRIPT_FLAG_ALLOW_CROSS_SLOT = 1 << 5;

/** The flags' names, as scripts and FUNCTION LIST spell them. */
export const FLAG_NAMES: [string, number][] = [
  ["no-writes", SCRIPT_FLAG_NO_WRITES],
  ["allow-oom", SCRIPT_FLAG_ALLOW_OOM],
  ["allow-stale", SCRIPT_FLAG_ALLOW_STALE],
  ["no-cluster", SCRIPT_FLAG_NO_CLUSTER],
  ["allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT],
];

export interface Shebang {
  flags: number;
  /** Bytes of the shebang line, without its newline (0: none). */
  length: number;
}

/** The script's flags, or the error text (without "ERR "). */
export function parseShebang(body: Buffer): Shebang | string {
  if (body.length < 2 || body[0] !== 0x23 /* # */ || body[1] !== 0x21 /* ! */) return { flags: SCRIPT_FLAG_EVAL_COMPAT_MODE, length: 0 };
  const end = body.indexOf(0x0a);
  if (end < 0) return "Invalid script shebang";
  // Split as Redis's sdssplitargs: quotes group, an unbalanced one is an error.
  const parts = splitArgs(body.toString("latin1", 0, end))?.map((w) => w.toString("latin1")) ?? [];
  if (parts.length === 0) return "Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `Unexpected engine in script shebang: ${parts[0]}`;
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return `Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    if (list === "") continue;
    for (const name of list.split(",")) {
      const f = FLAG_NAMES.find(([n]) => n === name);
      if (!f) return `Unexpected flag in script shebang: ${name}`;
      flags |= f[1];
    }
  }
  return { flags, length: end };
}
