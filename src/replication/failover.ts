/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] (Redis 6.2's coordinated
 * switch, replication.c failoverCommand / updateFailoverStatus): the primary
 * holds its clients' writes, waits until a replica (the one named, or any) has
 * acknowledged the whole stream, then becomes that replica's replica, sending
 * PSYNC <replid> <offset> FAILOVER; the target, seeing its own replication ID,
 * becomes a primary and continues us partially. INFO's master_failover_state
 * shows waiting-for-sync, then failover-in-progress until the PSYNC is answered.
 * A timeout aborts (or, with FORCE, fails over anyway); FAILOVER ABORT stops it.
 */
import { parseI64 } from "../protocol/numbers.js";
import type { Ctx } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { primaryOf, type Primary } from "./primary.js";
import { replicationOf } from "./role.js";

const NOT_INTEGER = "ERR value is not an integer or out of range";

class Failover {
  private readonly primary: Primary;
  private targetHost: string | null = null;
  private targetPort = 0;
  /** When waiting ends (ms), 0: waits until aborted. */
  private endTime = 0;
  private force = false;

  constructor(private readonly server: Server) {
    this.primary = primaryOf(server);
    this.primary.psyncFailover = (c) => this.psyncRequest(c);
    this.primary.ackHooks.push(() => this.update());
    server.cronHooks.push(() => this.update());
  }

  get state(): Primary["failoverState"] {
    return this.primary.failoverState;
  }

  command(c: Ctx): void {
    const { argv, r, server } = c;
    if (argv.length === 2 && argv[1].toString("latin1").toLowerCase() === "abort") {
      if (this.state === "no-failover") return r.error("ERR No failover in progress.");
      this.abort("Failover manually aborted");
      return r.ok();
    }
    let timeout = 0;
    let force = false;
    let port = 0;
    let host: string | null = null;
    for (let j = 1; j < argv.length; j++) {
      const word = argv[j].toString("latin1").toLowerCase();
      if (word === "timeout" && j + 1 < argv.length && timeout === 0) {
        const t = parseI64(argv[j + 1]);
        if (t === null) return r.error(NOT_INTEGER);
        if (t <= 0) return r.error("ERR FAILOVER timeout must be greater than 0");
        timeout = t;
        j++;
      } else if (word === "to" && j + 2 < argv.length && host === null) {
        const p = parseI64(argv[j + 2]);
        if (p === null) return r.error(NOT_INTEGER);
        port = p;
        host = argv[j + 1].toString("latin1");
        j += 2;
      } else if (word === "force" && !force) force = true;
      else return r.error("ERR syntax error");
    }
    if (this.state !== "no-failover") return r.error("ERR FAILOVER already in progress.");
    if (server.isReplica) return r.error("ERR FAILOVER is not valid when server is a replica.");
    if (this.primary.replicas.size === 0) return r.error("ERR FAILOVER requires connected replicas.");
    if (force && (timeout === 0 || host === null)) return r.error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
    if (host !== null) {
      const replica = this.find(host, port);
      if (replica === null) return r.error("ERR FAILOVER target HOST and PORT is not a replica.");
      if (this.primary.replicas.get(replica)?.held !== null) return r.error("ERR FAILOVER target replica is not online.");
      this.targetHost = host;
      this.targetPort = port;
      server.log.notice(`FAILOVER requested to ${host}:${port}.`);
    } else server.log.notice("FAILOVER requested to any replica.");
    this.endTime = timeout ? Date.now() + timeout : 0;
    this.force = force;
    this.primary.failoverState = "waiting-for-sync";
    server.holdWritesForFailover(true);
    r.ok();
  }

  /** The replica at host:port (its announced address and listening port), as Redis's findReplica. */
  private find(host: string, port: number): Client | null {
    for (const [c, l] of this.primary.replicas) {
      if (addressOf(c, l.ip).toLowerCase() === host.toLowerCase() && l.listeningPort === port) return c;
    }
    return null;
  }

  /** updateFailoverStatus: the timeout, else whether the target (or any replica) has the whole stream. */
  update(): void {
    if (this.state !== "waiting-for-sync") return;
    const log = this.server.log;
    if (this.endTime !== 0 && this.endTime <= Date.now()) {
      if (this.force) {
        log.notice(`FAILOVER to ${this.targetHost}:${this.targetPort} time out exceeded, failing over.`);
        this.handOver();
      } else this.abort("Replica never caught up before timeout");
      return;
    }
    const offset = this.primary.offset;
    let replica: Client | null = null;
    if (this.targetHost !== null) replica = this.find(this.targetHost, this.targetPort);
    else {
      for (const [c, l] of this.primary.replicas) {
        if (l.ackOffset !== offset) continue;
        replica = c;
        this.targetHost = addressOf(c, l.ip);
        this.targetPort = l.listeningPort;
        break;
      }
    }
    if (replica !== null && this.primary.replicas.get(replica)?.ackOffset === offset) {
      log.notice(`Failover target ${this.targetHost}:${this.targetPort} is synced, failing over.`);
      this.handOver();
    }
  }

  /** We become the target's replica; our PSYNC carries FAILOVER. */
  private handOver(): void {
    this.primary.failoverState = "failover-in-progress";
    const repl = replicationOf(this.server);
    repl.setMaster(this.targetHost!, this.targetPort);
    const link = repl.link;
    if (link === null) return;
    link.failoverPsync = (accepted) => {
      if (!accepted) {
        this.abort("Failover target rejected psync request");
        return false;
      }
      this.clear();
      return true;
    };
  }

  /** abortFailover: back to a primary if we had already switched. */
  abort(why: string): void {
    if (this.state === "no-failover") return;
    const log = this.server.log;
    if (this.targetHost !== null) log.notice(`FAILOVER to ${this.targetHost}:${this.targetPort} aborted: ${why}`);
    else log.notice(`FAILOVER to any replica aborted: ${why}`);
    if (this.state === "failover-in-progress") {
      const repl = replicationOf(this.server);
      if (repl.link) repl.link.failoverPsync = null;
      repl.unsetMaster();
    }
    this.clear();
  }

  /** clearFailoverState: writes flow again. */
  private clear(): void {
    this.endTime = 0;
    this.force = false;
    this.targetHost = null;
    this.targetPort = 0;
    this.primary.failoverState = "no-failover";
    this.server.holdWritesForFailover(false);
  }

  /** PSYNC <replid> <offset> FAILOVER from our primary: we take over when the ID is ours. */
  private psyncRequest(c: Ctx): boolean {
    const { server, r, argv, client } = c;
    const replid = argv[1].toString("latin1");
    server.log.notice(`Failover request received for replid ${replid}.`);
    if (!server.isReplica) {
      r.error("ERR PSYNC FAILOVER can't be sent to a master.");
      return false;
    }
    if (replid.toLowerCase() !== this.primary.replid.toLowerCase()) {
      r.error("ERR PSYNC FAILOVER replid must match my replid.");
      return false;
    }
    replicationOf(server).unsetMaster();
    server.log.notice(`MASTER MODE enabled (failover request from '${client.info(Date.now(), true, argv)}')`);
    return true;
  }
}

/** A replica's address as Redis shows it: its REPLCONF ip-address, else its peer IP. */
function addressOf(c: Client, ip: string | null): string {
  return ip ?? c.addr.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

const all = new WeakMap<Server, Failover>();

function failoverOf(server: Server): Failover {
  let f = all.get(server);
  if (!f) all.set(server, (f = new Failover(server)));
  return f;
}

/** The FAILOVER command's handler. */
export function failoverCommand(c: Ctx): void {
  failoverOf(c.server).command(c);
}

/** Whether a failover is under way (REPLICAOF is refused meanwhile). */
export function failingOver(server: Server): boolean {
  return primaryOf(server).failoverState !== "no-failover";
}

/** Sets up PSYNC FAILOVER's answer on a server that may be a failover's target. */
export function installFailover(server: Server): void {
  failoverOf(server);
}
