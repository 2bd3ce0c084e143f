/**
 * Whether this server is a primary or a replica, and what follows from it
 * (Redis's replicationSetMaster / replicationUnsetMaster, ROLE, INFO
 * replication, the -READONLY / -MASTERDOWN / -NOREPLICAS refusals).
 */
import { infoProviders } from "../commands/info.js";
import { debugHooks } from "../commands/debug.js";
import { CMD_WRITE, type CommandSpec } from "../commands/types.js";
import { server as engineServer } from "../engine/index.js";
import { AOF_CLIENT_ID, type Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { primaryInfo, primaryOf, type Primary } from "./primary.js";
import { Replica, clientExpiry } from "./replica.js";
import { ReplicaKeys } from "./replica-keys.js";
import { disconnectWaiters } from "./wait.js";
import { aofReplication } from "../persistence/aof/aof.js";
import { rdbOf } from "../persistence/index.js";
import { findParam } from "../config/table.js";
import { replicationAux } from "../persistence/rdb.js";

export const READONLY = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";

export class Replication {
  /** The link to our primary while we are a replica. */
  link: Replica | null = null;
  readonly primary: Primary;
  /** Keys a writable replica's clients wrote: it expires them itself. */
  private readonly ownKeys: ReplicaKeys;

  constructor(private readonly server: Server) {
    this.primary = primaryOf(server);
    this.primary.linkState = () => this.link?.state ?? "connected";
    this.primary.linkDb = () => this.link?.master?.db ?? this.link?.streamDb ?? 0;
    this.ownKeys = new ReplicaKeys(server);
    server.cronHooks.push(() => {
      const link = this.link;
      if (link === null) return;
      link.cron();
      this.ownKeys.cron();
    });
    server.config.onChange((name) => {
      if (name === "min-replicas-to-write" || name === "min-replicas-max-lag" || name === "replica-read-only") this.updateGate();
    });
    this.updateGate();
  }

  /** Once the dataset is loaded at start: the replication history its file saved (before any client writes). */
  restoreHistory(aux: Buffer[]): void {
    const rdb = rdbOf(this.server);
    const expired = rdb.startExpired;
    rdb.startExpired = null;
    const db = this.primary.restore(aux, expired);
    if (db >= 0 && this.link !== null) {
      this.link.cached = true;
      this.link.streamDb = db;
    }
  }

  /** REPLICAOF host port (replicationSetMaster). `cached`: our own history may be continued. */
  setMaster(host: string, port: number, cached = true, connectNow = true): void {
    const server = this.server;
    const wasPrimary = this.link === null;
    // The stream we continue goes on in the db it had selected (Redis's cached master keeps its db).
    const streamDb = this.link?.master?.db ?? this.link?.streamDb ?? 0;
    if (this.link !== null) this.link.drop();
    // Clients blocked on a primary (BLPOP, WAIT...) are told the role changed.
    if (wasPrimary) {
      server.blocking.disconnectAll();
      disconnectWaiters(server);
    }
    const link = new Replica(server, host, port, cached || !wasPrimary);
    if (!wasPrimary) link.streamDb = streamDb;
    this.link = link;
    server.isReplica = true;
    server.oom?.apply();
    server.config.setWords(findParam("replicaof")!, [host, String(port)]);
    this.primary.proxying = true;
    this.updateGate();
    if (connectNow) link.connect();
  }

  /** REPLICAOF NO ONE (replicationUnsetMaster): a new history, continued from ours by our replicas. */
  unsetMaster(): void {
    const link = this.link;
    if (link === null) return;
    this.link = null;
    link.drop();
    this.server.isReplica = false;
    this.server.oom?.apply();
    this.server.config.setWords(findParam("replicaof")!, ["no", "one"]);
    this.primary.proxying = false;
    engineServer.setReplicaExpiry(0);
    this.primary.shiftHistory();
    this.primary.disconnectReplicas();
    this.primary.streamDb = -1;
    this.updateGate();
  }

  /** Sets or clears the server's replication check (dispatch and the batch path consult it only when set). */
  private updateGate(): void {
    const c = this.server.config;
    const minReplicas = c.int("min-replicas-to-write") > 0 && c.int("min-replicas-max-lag") > 0;
    this.server.replicationGate = this.link !== null || minReplicas ? this.gate : null;
    const writable = this.link !== null && !c.bool("replica-read-only");
    this.ownKeys.setActive(writable);
    clientExpiry.mode = writable ? 3 : 1;
    engineServer.setReplicaExpiry(this.link === null ? 0 : clientExpiry.mode);
  }

  /** Why `client` may not run `spec` now, or null. */
  private readonly gate = (client: Client, spec: CommandSpec): string | null => {
    // Clients that must be obeyed (Redis's mustObeyClient): the primary's link and the AOF being loaded.
    if ((client.flags.size !== 0 && client.flags.has("master")) || client.id === AOF_CLIENT_ID) return null;
    const c = this.server.config;
    const write = (spec.bits & CMD_WRITE) !== 0 || (spec.name === "exec" && client.multiWrites);
    const link = this.link;
    if (link === null) {
      if (write && this.primary.goodReplicas() < c.int("min-replicas-to-write")) return NOREPLICAS;
      return null;
    }
    if (write && c.bool("replica-read-only")) return READONLY;
    // EXEC is allowed stale, unless it would run a queued command that is not (Redis's cmd_inv_flags & CMD_STALE).
    const stale = spec.flags.includes("stale") && !(spec.name === "exec" && client.multiNotStale);
    if (link.state !== "connected" && !c.bool("replica-serve-stale-data") && !stale) return MASTERDOWN;
    return null;
  };

  /** INFO replication. */
  info(): string[] {
    const link = this.link;
    if (link === null) return ["role:master", ...primaryInfo(this.server)];
    const c = this.server.config;
    const now = Date.now();
    const up = link.state === "connected";
    const lines = [
      "role:slave",
      `master_host:${link.host}`,
      `master_port:${link.port}`,
      `master_link_status:${up ? "up" : "down"}`,
      `master_last_io_seconds_ago:${link.master ? Math.floor((now - link.lastIo) / 1000) : -1}`,
      `master_sync_in_progress:${link.state === "sync" ? 1 : 0}`,
      `slave_read_repl_offset:${link.cached ? link.readOffset : 1}`,
      `slave_repl_offset:${link.cached ? this.primary.offset : 1}`,
    ];
    if (link.state === "sync") {
      lines.push("master_sync_total_bytes:-1", `master_sync_read_bytes:${link.bulkRead}`, "master_sync_left_bytes:-1", "master_sync_perc:0.00", `master_sync_last_io_seconds_ago:${Math.floor((now - link.lastIo) / 1000)}`);
    }
    if (!up) lines.push(`master_link_down_since_seconds:${link.downSince ? Math.floor((now - link.downSince) / 1000) : -1}`);
    lines.push(`slave_priority:${c.int("replica-priority")}`, `slave_read_only:${c.bool("replica-read-only") ? 1 : 0}`, `replica_announced:${c.bool("replica-announced") ? 1 : 0}`);
    return [...lines, ...primaryInfo(this.server)];
  }

  /** ROLE's reply. */
  role(r: import("../protocol/reply.js").Reply): void {
    const link = this.link;
    if (link === null) {
      const p = this.primary;
      r.array(3);
      r.bulk("master");
      r.int(p.offset);
      r.array(p.replicas.size);
      for (const [c, l] of p.replicas) {
        r.array(3);
        r.bulk(l.ip ?? c.addr.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1"));
        r.bulk(String(l.listeningPort));
        r.bulk(String(l.ackOffset));
      }
      return;
    }
    r.array(5);
    r.bulk("slave");
    r.bulk(link.host);
    r.int(link.port);
    r.bulk(link.state);
    r.int(link.master ? this.primary.offset : -1);
  }
}

const replications = new WeakMap<Server, Replication>();

/** The server's replication role, made on first use. */
export function replicationOf(server: Server): Replication {
  let r = replications.get(server);
  if (!r) replications.set(server, (r = new Replication(server)));
  return r;
}

debugHooks.replicate = (c, argv) => primaryOf(c.server).replicate(argv);
aofReplication.offset = (server) => primaryOf(server).offset;
aofReplication.fed = (server, commands) => primaryOf(server).aofFed(commands);

/** At start: INFO replication's provider, and `replicaof` from the config. */
export function installReplication(server: Server): void {
  const repl = replicationOf(server);
  infoProviders.set("replication", (srv) => replicationOf(srv).info().join("\r\n"));
  infoProviders.set("async_loading", (srv) => (srv.replLoading === "async" ? 1 : 0));
  const target = server.config.get("replicaof");
  if (target !== "") {
    const [host, port] = target.split(" ");
    repl.setMaster(host, Number(port), false, false);
  }
  // The file loaded at start (already, for a library server; later, for the CLI's).
  const aux = rdbOf(server).startAux;
  if (aux !== null) repl.restoreHistory(aux);
  replicationAux.loadedAtStart = (srv, a) => replicationOf(srv).restoreHistory(a);
}
