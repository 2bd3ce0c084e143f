/**
 * maxmemory (Redis 7.2's evict.c seen from processCommand): before each command
 * the engine evicts keys by maxmemory-policy until used memory is back under
 * maxmemory (native/src/evict.rs); when nothing can be evicted, commands that
 * may grow memory (denyoom, anything queued in MULTI, an EXEC of denyoom
 * commands, a script that may write) are refused with -OOM. Used memory is the
 * addon's allocations plus the normal clients' buffers (query and output);
 * replicas' output is not counted for eviction, as in Redis.
 */
import { evict, state } from "../engine/index.js";
import { infoProviders } from "../commands/info.js";
import type { CommandSpec } from "../commands/types.js";
import type { Client } from "./client.js";
import { clientBuffers } from "./client-buffers.js";
import { clientsLimit, evictClients } from "./client-eviction.js";
import { trackingTableBytes } from "../tracking/tracking.js";
import type { Server } from "./server.js";

export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** beforeCommand's answer when the client running the command was evicted. */
export const CLIENT_EVICTED = "";
export const SCRIPT_OOM = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";

/** Commands a client in MULTI may still send when out of memory (Redis's list). */
const MULTI_ALLOWED = new Set(["exec", "discard", "quit", "reset"]);

export class Eviction {
  /** maxmemory in bytes (0: no limit). */
  maxmemory = 0;
  /** maxmemory-clients in bytes (0: no client eviction). */
  clientsLimit = 0;
  /** Either limit is set: the one field dispatch reads per command. */
  active = false;
  /** Memory of the normal clients' buffers, measured each cron tick (INFO mem_clients_normal). */
  clientsMemory = 0;
  /** Replicas' output buffers (mem_clients_slaves; not counted for eviction). */
  replicasMemory = 0;
  /** Whether the last command found memory full (Redis's pre_command_oom_state): scripts read it. */
  preCommandOom = false;
  evictedClients = 0;
  /** An eviction spell cut short by its time budget continues on a later turn. */
  private proc: NodeJS.Immediate | null = null;
  private measuredAt = 0;

  constructor(private readonly server: Server) {}

  /**
   * Runs performEvictions; drains what it evicted into the write path. `ahead`
   * bytes count as used already: the batch path evicts for the commands it is
   * about to run (their input, twice), as it does not stop between them.
   */
  perform(ahead = 0): number {
    const s = this.server;
    // Not while loading, on a replica ignoring maxmemory, or with writes paused (Redis's isSafeToPerformEvictions).
    if (s.loading || s.paused() || (s.isReplica && s.config.bool("replica-ignore-maxmemory"))) return evict.OK;
    // The clients' buffers, measured at most once a millisecond (a walk over the clients).
    const now = performance.now();
    if (now - this.measuredAt > 1) this.measureClients(now);
    let outcome = evict.perform(this.clientsMemory + clientBuffers.tracking + ahead);
    // Over the limit: the clients' figure may be stale (buffers drained, clients gone since the tick).
    if (outcome !== evict.OK) {
      this.measureClients(now);
      outcome = evict.perform(this.clientsMemory + clientBuffers.tracking + ahead);
    }
    if (state.hasRecords()) s.writePath.drain(null);
    if (outcome === evict.RUNNING && this.proc === null) this.proc = setImmediate(() => this.continue());
    return outcome;
  }

  /** Redis's startEvictionTimeProc: evicts on a later turn of the loop, outside any command. */
  startProc(): void {
    if (this.proc === null) this.proc = setImmediate(() => this.continue());
  }

  /** Redis's evictionTimeProc: keeps evicting on later turns until memory is under the limit. */
  private continue(): void {
    this.proc = null;
    if (this.maxmemory !== 0) this.perform();
  }

  /**
   * Before a command (Redis's processCommand): client eviction, then key
   * eviction; the reason to refuse `spec` (the OOM error), CLIENT_EVICTED when
   * the client itself was evicted (nothing is answered), else null.
   */
  beforeCommand(client: Client, spec: CommandSpec, argv: Buffer[]): string | null {
    if (this.clientsLimit !== 0) {
      // The running command's arguments count as the client's (its query buffer in Redis).
      let argvBytes = 0;
      for (const a of argv) argvBytes += a.length;
      this.evictedClients += evictClients(this.server, this.clientsLimit, client, argvBytes);
      if (client.closed) return CLIENT_EVICTED;
    }
    return this.maxmemory === 0 ? null : this.refusal(client, spec, argv);
  }

  /** After `client`'s input grew: client eviction; true when `client` itself was evicted. */
  afterInput(client: Client): boolean {
    this.evictedClients += evictClients(this.server, this.clientsLimit, null, 0);
    return client.closed;
  }

  /** The reason to refuse `spec` (the OOM error) when memory is full, else null. */
  refusal(client: Client, spec: CommandSpec, argv: Buffer[]): string | null {
    const oom = this.perform() === evict.FAIL;
    if (!oom) {
      this.preCommandOom = false;
      return null;
    }
    let deny = spec.flags.includes("denyoom");
    if (spec.name === "exec" && client.multiState) deny ||= client.multiState.specs.some((q) => q !== null && q.flags.includes("denyoom"));
    if (client.multiCount >= 0 && !MULTI_ALLOWED.has(spec.name) && !spec.flags.includes("no_multi")) deny = true;
    if (deny) return OOM;
    this.preCommandOom = true;
    return null;
  }

  /** Measures the clients' buffers (each cron tick, and before commands while maxmemory is set). */
  measureClients(now = performance.now()): void {
    this.measuredAt = now;
    let normal = 0;
    let replicas = 0;
    for (const c of this.server.clients.values()) {
      const bytes = c.bufferMemory();
      if (c.flags.size !== 0 && c.flags.has("slave")) replicas += bytes;
      else normal += bytes;
    }
    this.clientsMemory = clientBuffers.normal = normal;
    this.replicasMemory = clientBuffers.replicas = replicas;
    clientBuffers.tracking = trackingTableBytes(this.server);
  }
}

/** Keeps the engine's eviction settings equal to the config's; registers INFO's fields and the cron's measure. */
export function installEviction(server: Server, ev: Eviction): void {
  const cfg = server.config;
  const apply = () => {
    ev.maxmemory = Number(cfg.get("maxmemory"));
    ev.clientsLimit = clientsLimit(server);
    ev.active = ev.maxmemory !== 0 || ev.clientsLimit !== 0;
    evict.configure(
      ev.maxmemory,
      cfg.get("maxmemory-policy"),
      cfg.int("maxmemory-samples"),
      cfg.int("maxmemory-eviction-tenacity"),
      cfg.bool("lazyfree-lazy-eviction"),
    );
  };
  apply();
  cfg.onChange((name) => {
    if (name.startsWith("maxmemory") || name === "lazyfree-lazy-eviction") {
      // maxmemory-clients takes effect at once (Redis's applyClientMaxMemoryUsage).
      if (name === "maxmemory-clients" || name === "maxmemory") {
        apply();
        if (ev.clientsLimit !== 0) ev.evictedClients += evictClients(server, ev.clientsLimit, null, 0);
      }
      apply();
      // CONFIG SET maxmemory evicts on the next turn, outside the command (Redis's updateMaxmemory
      // starts the eviction time proc): each evicted key then propagates as its own DEL.
      if (name === "maxmemory" && ev.maxmemory !== 0) ev.startProc();
    }
    if (name === "lazyfree-lazy-eviction") server.writePath.lazyEviction = cfg.bool(name);
  });
  server.writePath.lazyEviction = cfg.bool("lazyfree-lazy-eviction");
  server.cronHooks.push(() => {
    ev.measureClients();
    if (ev.clientsLimit !== 0) ev.evictedClients += evictClients(server, ev.clientsLimit, null, 0);
  });
  infoProviders.set("evicted_keys", () => evict.stats()[0]);
  infoProviders.set("total_eviction_exceeded_time", () => Math.floor(evict.stats()[1] / 1000));
  infoProviders.set("current_eviction_exceeded_time", () => Math.floor(evict.stats()[2] / 1000));
  infoProviders.set("evicted_clients", () => ev.evictedClients);
  infoProviders.set("mem_clients_normal", () => ev.clientsMemory);
  infoProviders.set("mem_clients_slaves", () => ev.replicasMemory);
  infoProviders.set("mem_not_counted_for_evict", () => ev.replicasMemory);
}
