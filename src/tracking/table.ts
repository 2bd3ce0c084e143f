/**
 * The server-side memory of client-side caching (Redis's TrackingTable and
 * PrefixTable in tracking.c):
 *   - the tracking table: each key a tracking client has read, with the ids of
 *     the clients that may hold it (keys are not per db: Redis does the same);
 *   - the prefix table of BCAST mode: each prefix with its clients and the keys
 *     under it modified in the current event-loop turn (with their last modifier,
 *     for NOLOOP).
 * Keys and prefixes are kept as latin1 strings: one char per byte, so JS string
 * order is byte order (the order of Redis's radix trees). The engine is told of
 * each tracked key (keys.setTracked): it records their changes alone, and the
 * batch path stays on for the clients that do not track.
 */
import { keys as engineKeys } from "../engine/index.js";
import type { Client } from "../server/client.js";

/** One BCAST prefix: its clients and the keys under it modified since the last broadcast. */
export interface PrefixState {
  clients: Set<Client>;
  /** Key -> the client that modified it last (null: not a client: expiry, eviction). */
  keys: Map<string, Client | null>;
}

/**
 * What Redis's tracking table spends per key besides its name (its radix tree
 * node and the radix tree of client ids it holds) and per client id in it.
 */
const KEY_COST = 32;
const ID_COST = 24;

export class TrackingTable {
  /** Key -> ids of the clients that read it while tracking. */
  private readonly keys = new Map<string, Set<number>>();
  /** Ids stored over all keys (INFO tracking_total_items). */
  totalItems = 0;
  /** The table's memory as Redis's would be, but the keys' names (used_memory counts it; the engine's copy of the names counts there too). */
  bytes = 0;
  readonly prefixes = new Map<string, PrefixState>();

  get keyCount(): number {
    return this.keys.size;
  }

  /** Remembers that client `id` read `key`. */
  remember(key: string, id: number): void {
    let ids = this.keys.get(key);
    if (!ids) {
      this.keys.set(key, (ids = new Set()));
      // Its name counts where the engine keeps it (keys.setTracked): used_memory sees that copy.
      this.bytes += KEY_COST;
      engineKeys.setTracked(Buffer.from(key, "latin1"), true);
    }
    if (!ids.has(id)) {
      ids.add(id);
      this.totalItems++;
      this.bytes += ID_COST;
    }
  }

  /** Forgets `key` and returns the ids that tracked it (undefined when none did). */
  take(key: string): Set<number> | undefined {
    const ids = this.keys.get(key);
    if (!ids) return undefined;
    this.keys.delete(key);
    engineKeys.setTracked(Buffer.from(key, "latin1"), false);
    this.totalItems -= ids.size;
    this.bytes -= KEY_COST + ids.size * ID_COST;
    return ids;
  }

  /** The key tracked the longest (the eviction victim of tracking-table-max-keys). */
  oldestKey(): string | undefined {
    for (const k of this.keys.keys()) return k;
    return undefined;
  }

  /** Forgets every tracked key (FLUSHDB/FLUSHALL, nobody tracking any more). */
  clearKeys(): void {
    if (this.keys.size !== 0) engineKeys.clearTracked();
    this.keys.clear();
    this.totalItems = 0;
    this.bytes = 0;
  }

  /** Subscribes `c` to `prefix`; false when it already was. */
  addPrefixClient(prefix: string, c: Client): boolean {
    let ps = this.prefixes.get(prefix);
    if (!ps) this.prefixes.set(prefix, (ps = { clients: new Set(), keys: new Map() }));
    if (ps.clients.has(c)) return false;
    ps.clients.add(c);
    return true;
  }

  /** Unsubscribes `c` from `prefix`; the prefix goes when its last client does. */
  removePrefixClient(prefix: string, c: Client): void {
    const ps = this.prefixes.get(prefix);
    if (!ps) return;
    ps.clients.delete(c);
    if (ps.clients.size === 0) this.prefixes.delete(prefix);
  }

  /**
   * Records `key`, modified by `by`, under every prefix it starts with
   * (trackingRememberKeyToBroadcast); returns whether any prefix matched.
   */
  rememberForBroadcast(key: string, by: Client | null): boolean {
    let any = false;
    for (const [prefix, ps] of this.prefixes) {
      if (prefix.length > key.length || !key.startsWith(prefix)) continue;
      ps.keys.delete(key); // re-inserted: the last modifier wins
      ps.keys.set(key, by);
      any = true;
    }
    return any;
  }
}
