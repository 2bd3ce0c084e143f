/**
 * Client-side caching (Redis 7.2's tracking.c): which tracking client read
 * which key, and the invalidation messages when those keys change.
 *
 * One `Tracking` per server, made on the first CLIENT TRACKING. While at least
 * one client tracks it listens: after every command (server.observers) it
 * remembers the keys of read-only commands, and the write path tells it of
 * the changes of those keys and of the keys under BCAST prefixes (the engine
 * records them alone: the batch path stays on for other clients; BCAST
 * without a prefix needs every change), and of flushed dbs. When no client tracks any more it stops
 * listening, so commands pay nothing for the feature when nobody uses it.
 */
import { commandKeys } from "../commands/command.js";
import { infoProviders } from "../commands/info.js";
import type { CommandSpec } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { CommandObserver, Server } from "../server/server.js";
import type { DbFlushedHook, KeyModifiedHook } from "../server/write-path.js";
import { keysValue, nullValue, oneKeyValue, PUBSUB_HEAD, PUSH_HEAD, redirBroken } from "./messages.js";
import { TrackingTable } from "./table.js";
import { keys as engineKeys } from "../engine/index.js";

/** A tracking client's modes (the CLIENT LIST flags t, B, R live in `client.flags`). */
export interface ClientTracking {
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) given for the next command or transaction. */
  caching: boolean;
  /** BCAST prefixes (latin1), or null. */
  prefixes: Set<string> | null;
}

export interface TrackingOptions {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

/** Read-only script commands: the commands they run remember their keys, not the script. */
const RO_SCRIPTS = new Set(["eval_ro", "evalsha_ro", "fcall_ro"]);

const instances = new WeakMap<Server, Tracking>();

/** The server's tracking state, made (and its housekeeping hooks registered) on first use. */
export function tracking(server: Server): Tracking {
  let t = instances.get(server);
  if (!t) instances.set(server, (t = new Tracking(server)));
  return t;
}

/** What the server's tracking table costs, as Redis's would (0 when tracking was never used). */
export function trackingTableBytes(server: Server): number {
  return instances.get(server)?.table.bytes ?? 0;
}

/** A client's tracking modes, when it has used tracking on this server. */
export function clientTracking(server: Server, c: Client): ClientTracking | undefined {
  return instances.get(server)?.modes(c);
}

export class Tracking {
  readonly table = new TrackingTable();
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  private readonly state = new WeakMap<Client, ClientTracking>();
  private broadcastScheduled = false;
  /** Rounds in a row the tracking table stayed over tracking-table-max-keys (the eviction effort grows with it). */
  private evictionRounds = 0;
  private maxKeys: number;

  constructor(private readonly server: Server) {
    this.maxKeys = server.config.int("tracking-table-max-keys");
    server.config.onChange((name) => {
      if (name === "tracking-table-max-keys") this.maxKeys = server.config.int(name);
    });
    const off = (c: Client) => this.disable(c);
    server.closeHooks.push(off);
    server.resetHooks.push(off);
    server.cronHooks.push(() => {
      if (this.clients > 0) this.limitKeys();
    });
    infoProviders.set("tracking_total_keys", (s) => instances.get(s)?.table.keyCount ?? 0);
    infoProviders.set("tracking_total_items", (s) => instances.get(s)?.table.totalItems ?? 0);
    infoProviders.set("tracking_total_prefixes", (s) => instances.get(s)?.table.prefixes.size ?? 0);
  }

  modes(c: Client): ClientTracking | undefined {
    return this.state.get(c);
  }

  /** Redis's enableTracking: (re)sets the modes; BCAST prefixes add to the ones the client has. */
  enable(c: Client, redirect: number, opts: TrackingOptions, prefixes: string[]): void {
    if (!c.flags.has("tracking")) {
      if (this.clients++ === 0) this.listen(true);
      c.flags.add("tracking");
    }
    c.flags.delete("tracking-broken-redir");
    c.flags.delete("tracking-bcast");
    let st = this.state.get(c);
    if (!st) this.state.set(c, (st = { optin: false, optout: false, noloop: false, caching: false, prefixes: null }));
    c.trackingRedirect = redirect;
    if (opts.bcast) {
      c.flags.add("tracking-bcast");
      for (const p of prefixes.length === 0 ? [""] : prefixes) {
        const fresh = !this.table.prefixes.has(p);
        if (this.table.addPrefixClient(p, c)) (st.prefixes ??= new Set()).add(p);
        if (fresh) this.recordPrefix(p, true);
      }
    }
    st.optin = opts.optin;
    st.optout = opts.optout;
    st.noloop = opts.noloop;
  }

  /** Redis's disableTracking (CLIENT TRACKING OFF, RESET, close). */
  disable(c: Client): void {
    const st = this.state.get(c);
    if (c.flags.has("tracking-bcast") && st?.prefixes) {
      for (const p of st.prefixes) {
        this.table.removePrefixClient(p, c);
        if (!this.table.prefixes.has(p)) this.recordPrefix(p, false);
      }
      st.prefixes = null;
    }
    if (!c.flags.has("tracking")) return;
    c.flags.delete("tracking");
    c.flags.delete("tracking-bcast");
    c.flags.delete("tracking-broken-redir");
    c.trackingRedirect = -1;
    if (st) st.optin = st.optout = st.noloop = st.caching = false;
    if (--this.clients === 0) this.listen(false);
  }

  /**
   * A BCAST prefix gets its first client (`on`) or loses its last: the engine
   * records the changes of the keys under it, or, for the empty prefix (every
   * key), every change.
   */
  private recordPrefix(prefix: string, on: boolean): void {
    if (prefix === "") this.server.writePath.listen("keys", on);
    else engineKeys.setTrackedPrefix(Buffer.from(prefix, "latin1"), on);
  }

  /**
   * The first tracking client starts listening, the last one stops. With nobody
   * tracking, modified keys are not seen, so the keys remembered so far are
   * forgotten (they could only produce stale invalidations later).
   */
  private listen(on: boolean): void {
    const s = this.server;
    s.writePath.listen("waited", on);
    if (on) {
      s.observers.push(this.afterCommand);
      s.writePath.keyModified.push(this.keyModified);
      s.writePath.dbFlushed.push(this.dbFlushed);
    } else {
      remove(s.observers, this.afterCommand);
      remove(s.writePath.keyModified, this.keyModified);
      remove(s.writePath.dbFlushed, this.dbFlushed);
      this.table.clearKeys();
      this.evictionRounds = 0;
    }
  }

  /**
   * After every command, nested ones too (Redis's call() and afterCommand):
   * remembers the keys a read-only command read for the client that sent it
   * (the one running EXEC or the script); after the outermost command, clears
   * CLIENT CACHING and keeps the table in its limit.
   */
  private readonly afterCommand: CommandObserver = (client, spec, argv) => {
    const s = this.server;
    const depth = s.writePath.depth;
    // A nested command (EXEC, a script) reads for the client that sent the outer one.
    const owner = depth === 0 ? client : (s.current ?? client);
    if (owner.flags.has("tracking") && !owner.flags.has("tracking-bcast") && spec.flags.includes("readonly") && !RO_SCRIPTS.has(spec.name)) {
      this.rememberKeys(owner, spec, argv);
    }
    if (depth !== 0) return;
    const st = this.state.get(client);
    // CACHING applies to the next command, or the next transaction (Redis's resetClient).
    if (st?.caching && client.multiCount < 0 && !spec.name.startsWith("client")) st.caching = false;
    this.limitKeys();
  };

  /** Redis's trackingRememberKeys. */
  private rememberKeys(c: Client, spec: CommandSpec, argv: Buffer[]): void {
    const st = this.state.get(c);
    if (!st || (st.optin && !st.caching) || (st.optout && st.caching)) return;
    // Shard channels look like keys to COMMAND, but are not cached data.
    if (spec.flags.includes("pubsub")) return;
    const keys = commandKeys(spec, argv);
    if (!keys) return;
    for (const k of keys) this.table.remember(argv[k.pos].toString("latin1"), c.id);
  }

  private readonly keyModified: KeyModifiedHook = (_db, key, by) => {
    if (this.table.keyCount === 0 && this.table.prefixes.size === 0) return;
    this.invalidateKey(key.toString("latin1"), by, this.server.current);
  };

  /**
   * Redis's trackingInvalidateKey: every client that read `key` is told, once
   * (the key is forgotten until read again); BCAST clients of a matching prefix
   * get it with the turn's batch. NOLOOP clients are not told of their own
   * changes: in BCAST mode of the keys `by` changed (null: expired, evicted), in
   * normal mode when they are `self`, the client whose command runs (as Redis,
   * even for a key its read expired); eviction from a full table has no `self`.
   */
  private invalidateKey(key: string, by: Client | null, self: Client | null, bcast = true): void {
    const table = this.table;
    if (bcast && table.prefixes.size > 0 && table.rememberForBroadcast(key, by)) this.scheduleBroadcast();
    const ids = table.take(key);
    if (!ids) return;
    const clients = this.server.clients;
    let value: Buffer | null = null;
    for (const id of ids) {
      const target = clients.get(id);
      if (!target || !target.flags.has("tracking") || target.flags.has("tracking-bcast")) continue;
      if (target === self && this.state.get(target)?.noloop) continue;
      this.send(target, (value ??= oneKeyValue(key)));
    }
  }

  /** FLUSHDB / FLUSHALL (Redis's trackingInvalidateKeysOnFlush): a null to every tracking client, and the table is emptied. */
  private readonly dbFlushed: DbFlushedHook = () => {
    for (const c of this.server.clients.values()) {
      if (c.flags.has("tracking")) this.send(c, nullValue(c.resp));
    }
    this.table.clearKeys();
  };

  /**
   * Redis's sendTrackingMessage: to the tracking client itself in RESP3, or to
   * its REDIRECT client (RESP3 push, or a pub/sub message on
   * __redis__:invalidate when that client is RESP2 and subscribed). A RESP2
   * client without redirect gets nothing. A redirect client that went away
   * marks the client R and, in RESP3, tells it so.
   */
  private send(c: Client, value: Buffer): void {
    let target = c;
    let redirected = false;
    if (c.trackingRedirect > 0) {
      const redir = this.server.clients.get(c.trackingRedirect);
      if (!redir) {
        c.flags.add("tracking-broken-redir");
        if (c.resp > 2) this.server.writeTo(c, redirBroken(c.trackingRedirect));
        return;
      }
      target = redir;
      redirected = true;
    }
    let head: Buffer;
    if (target.resp > 2) head = PUSH_HEAD;
    else if (redirected && target.flags.has("pubsub")) head = PUBSUB_HEAD;
    else return;
    // For the client whose command runs, writeTo puts it after that command's whole reply.
    this.server.writeTo(target, Buffer.concat([head, value]));
  }

  private scheduleBroadcast(): void {
    if (this.broadcastScheduled) return;
    this.broadcastScheduled = true;
    setImmediate(() => {
      this.broadcastScheduled = false;
      this.broadcast();
    });
  }

  /**
   * Redis's trackingBroadcastInvalidationMessages (once per event-loop turn):
   * each prefix's modified keys, in one message, to each of its clients
   * (NOLOOP clients without the keys they changed themselves).
   */
  private broadcast(): void {
    if (this.clients === 0) return;
    const prefixes = [...this.table.prefixes.keys()].sort();
    for (const p of prefixes) {
      const ps = this.table.prefixes.get(p);
      if (!ps || ps.keys.size === 0) continue;
      const modified = [...ps.keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      ps.keys = new Map();
      const all = keysValue(modified.map((e) => e[0]));
      for (const c of ps.clients) {
        if (this.state.get(c)?.noloop) {
          const own = modified.filter((e) => e[1] !== c).map((e) => e[0]);
          if (own.length > 0) this.send(c, keysValue(own));
        } else this.send(c, all);
      }
    }
  }

  /**
   * Redis's trackingLimitUsedSlots: over tracking-table-max-keys, keys are
   * invalidated (their clients told) until the table is back in its limit,
   * at most 100 per round times the rounds it has stayed over. Redis picks
   * random keys; here the keys tracked the longest go first.
   */
  limitKeys(): void {
    const max = this.maxKeys;
    if (max === 0) return;
    if (this.table.keyCount <= max) {
      this.evictionRounds = 0;
      return;
    }
    let effort = 100 * (this.evictionRounds + 1);
    while (effort-- > 0) {
      const key = this.table.oldestKey();
      if (key === undefined) break;
      this.invalidateKey(key, null, null, false);
      if (this.table.keyCount <= max) {
        this.evictionRounds = 0;
        return;
      }
    }
    this.evictionRounds++;
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
