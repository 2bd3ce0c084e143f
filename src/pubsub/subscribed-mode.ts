/**
 * RESP2 subscribed mode: a RESP2 client with subscriptions may only run these
 * commands (Redis's processCommand). RESP3 clients may run anything.
 */
import type { CommandSpec } from "../commands/types.js";

const ALLOWED = new Set(["ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"]);

/** The error for `spec` in RESP2 subscribed mode, or null when it is allowed there. */
export function refusedWhileSubscribed(spec: CommandSpec): string | null {
  if (ALLOWED.has(spec.name)) return null;
  return `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}
