/**
 * maxmemory-clients (Redis 7.0's client eviction): when the clients' memory
 * (CLIENT LIST's tot-mem, summed over the clients that may be evicted) goes
 * over the limit, the biggest clients are closed until it is back under it.
 * Replicas, masters and clients with CLIENT NO-EVICT on are never evicted.
 * The limit is bytes, or a percentage of maxmemory (a negative config value).
 */
import type { Client } from "./client.js";
import type { Server } from "./server.js";
import { AOF_CLIENT_ID } from "./client.js";
import { transactionsIfAny } from "../multi/transactions.js";
import { clientTracking } from "../tracking/tracking.js";

/** The limit in bytes now (0: off). */
export function clientsLimit(server: Server): number {
  const v = server.config.int("maxmemory-clients");
  if (v >= 0) return v;
  return Math.floor((Number(server.config.get("maxmemory")) * -v) / 100);
}

/**
 * Redis's per-item costs of a watched key (listNode + watchedKey), of a
 * subscription (its dict entry and bucket) and of a tracking prefix (about two
 * rax nodes at Redis's sizeof(raxNode) * sizeof(raxNode*) each).
 */
const WATCHED_KEY_SIZE = 56;
const SUBSCRIPTION_SIZE = 48;
const PREFIX_SIZE = 64;

/** What a client's watched keys, subscriptions and tracking prefixes cost (their share of tot-mem). */
export function featuresMemory(server: Server, c: Client): number {
  const watched = transactionsIfAny(server)?.watch.watchedBy(c) ?? 0;
  const prefixes = c.flags.size !== 0 && c.flags.has("tracking") ? (clientTracking(server, c)?.prefixes?.size ?? 0) : 0;
  return watched * WATCHED_KEY_SIZE + (c.sub + c.psub + c.ssub) * SUBSCRIPTION_SIZE + prefixes * PREFIX_SIZE;
}

/** What eviction weighs for a client: its tot-mem. */
function weight(server: Server, c: Client): number {
  return c.totalMemory() + featuresMemory(server, c);
}

function evictable(c: Client): boolean {
  if (c.noEvict || c.id === AOF_CLIENT_ID || c.closed) return false;
  return c.flags.size === 0 || !(c.flags.has("slave") || c.flags.has("master"));
}

/**
 * Closes the biggest evictable clients while their total is over the limit
 * (Redis's evictClients); returns how many were closed. `current` (the client
 * whose command is about to run, or null) counts `argvBytes` more: its command's arguments.
 */
export function evictClients(server: Server, limit: number, current: Client | null, argvBytes: number): number {
  let total = 0;
  const sized: [number, Client][] = [];
  for (const c of server.clients.values()) {
    if (!evictable(c)) continue;
    const m = weight(server, c) + (c === current ? argvBytes : 0);
    total += m;
    sized.push([m, c]);
  }
  if (total <= limit) return 0;
  sized.sort((a, b) => b[0] - a[0]);
  let n = 0;
  for (const [m, c] of sized) {
    if (total <= limit) break;
    server.log.verbose(`Evicting client: ${c.info(Date.now(), false)}`);
    server.closeClient(c);
    total -= m;
    n++;
  }
  return n;
}
