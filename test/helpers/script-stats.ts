/**
 * What differential scripting tests compare of a server's bookkeeping: its
 * command and error statistics without the times, and its slow log without
 * ids, times, durations and ports.
 */
import type { RespConnection } from "../diff/resp.js";

/** INFO commandstats and errorstats lines, times left out (calls, rejected and failed calls and error counts must match), sorted. */
export async function callStats(c: RespConnection): Promise<string[]> {
  const text = (await c.call("INFO", "commandstats")).toString() + (await c.call("INFO", "errorstats")).toString();
  return text
    .split("\r\n")
    .filter((l) => l.startsWith("cmdstat_") || l.startsWith("errorstat_"))
    .filter((l) => !l.startsWith("cmdstat_info") && !l.startsWith("cmdstat_config"))
    .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""))
    .sort();
}

/**
 * A SLOWLOG GET reply with what differs between servers made equal: ids, times,
 * durations and ports; Redis 7.0 shows its Lua client's address as "?:0", 7.2
 * as "" (Nodis answers as 7.2).
 */
export function slowlogShape(log: Buffer): string {
  return log
    .toString("latin1")
    .replace(/\$3\r\n\?:0\r\n/g, "$0\r\n\r\n")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/:\d+\r\n/g, ":N\r\n");
}
