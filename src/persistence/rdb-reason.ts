/**
 * Logging why an RDB value or file did not load. The engine's reason is one
 * or more lines, the last the reason itself (what Redis's rdbReportCorruptRDB
 * prints). Lines before it are diagnostics logged first, as warnings; a
 * serverLogHexDump-style dump is a title line ending "(hexdump of N bytes):"
 * followed by the hex on one line, which is written raw (no prefix), as Redis's
 * LL_RAW lines are.
 */
import type { Logger } from "../server/log.js";

const HEXDUMP_TITLE = /\(hexdump of \d+ bytes\):$/;

/**
 * Logs the diagnostic lines of `reason`, then its last line as Redis's
 * rdbReportCorruptRDB does; returns that last line.
 */
export function logCorruptRdb(log: Logger, reason: string): string {
  const lines = reason.split("\n");
  for (let i = 0; i < lines.length - 1; i++) {
    log.warning(lines[i]);
    if (HEXDUMP_TITLE.test(lines[i]) && i + 1 < lines.length - 1) log.raw("warning", `${lines[++i]}\n`);
  }
  const last = lines.at(-1) ?? "";
  log.warning(`Internal error in RDB reading offset 0, function at rdb.c:0 -> ${last}`);
  return last;
}
