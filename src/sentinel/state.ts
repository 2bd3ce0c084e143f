/**
 * A sentinel's whole state (Redis's `sentinel` struct): the masters it
 * monitors, its id and epoch, TILT, its announce settings, the timing
 * parameters (SENTINEL DEBUG), and what changes it: creating and resetting
 * instances, events (log + pub/sub), and saving the state to sentinel.conf.
 */
import net from "node:net";
import { randomHex } from "../server/node-builtins.js";
import type { Server } from "../server/server.js";
import type { Level } from "../server/log.js";
import { publish } from "../pubsub/index.js";
import { rewriteConfig } from "../config/rewrite.js";
import { strerror } from "../config/special.js";
import { keys } from "../engine/index.js";
import { Scripts } from "./scripts.js";
import { resolveHost } from "./resolve.js";
import {
  FailoverState,
  Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_SLAVE,
  addrKey,
  sameAddr,
  type Addr,
} from "./instance.js";

/** Why an instance could not be created (errno in Redis). */
export type CreateError = "EBUSY" | "ENOENT" | "EINVAL";

/** sentinelCheckCreateInstanceErrors. */
export function createError(e: CreateError, role: number): string {
  if (e === "EBUSY") {
    if (role === SRI_MASTER) return "Duplicate master name.";
    if (role === SRI_SLAVE) return "Duplicate hostname and port for replica.";
    return "Duplicate runid for sentinel.";
  }
  if (e === "ENOENT") return "Can't resolve instance hostname.";
  return "Invalid port number.";
}

/** Timing parameters in milliseconds (SENTINEL DEBUG changes them). */
export interface Timing {
  infoPeriod: number;
  pingPeriod: number;
  askPeriod: number;
  publishPeriod: number;
  defaultDownAfter: number;
  tiltTrigger: number;
  tiltPeriod: number;
  slaveReconfTimeout: number;
  minLinkReconnectPeriod: number;
  defaultFailoverTimeout: number;
  electionTimeout: number;
  scriptMaxRuntime: number;
  scriptRetryDelay: number;
}

export const SIMFAILURE_CRASH_AFTER_ELECTION = 1;
export const SIMFAILURE_CRASH_AFTER_PROMOTION = 2;

export class Sentinel {
  readonly masters = new Map<string, Instance>();
  myid = "";
  currentEpoch = 0;
  tilt = false;
  tiltStartTime = 0;
  previousTime = Date.now();
  announceIp: string | null = null;
  announcePort = 0;
  simFailureFlags = 0;
  denyScriptsReconfig = true;
  authUser: string | null = null;
  authPass: string | null = null;
  resolveHostnames = false;
  announceHostnames = false;
  readonly timing: Timing = {
    infoPeriod: 10000,
    pingPeriod: 1000,
    askPeriod: 1000,
    publishPeriod: 2000,
    defaultDownAfter: 30000,
    tiltTrigger: 2000,
    tiltPeriod: 30000,
    slaveReconfTimeout: 10000,
    minLinkReconnectPeriod: 15000,
    defaultFailoverTimeout: 180000,
    electionTimeout: 10000,
    scriptMaxRuntime: 60000,
    scriptRetryDelay: 30000,
  };
  /** Set once the server runs (config loading happens before). */
  server: Server | null = null;
  /** notification-script and client-reconfig-script runs. */
  readonly scripts = new Scripts({ timing: this.timing, event: (level, type, rest) => this.event(level, type, null, false, rest) });

  // ---- addresses ------------------------------------------------------------

  /** createSentinelAddr: an IP (or, with resolve-hostnames, a host name) and a port, or why not. */
  makeAddr(host: string, port: number, acceptUnresolved: boolean): Addr | CreateError {
    if (port < 0 || port > 65535) return "EINVAL";
    if (net.isIP(host)) return { hostname: host, ip: host, port };
    const ip = this.resolveHostnames ? resolveHost(host) : null;
    if (ip !== null) return { hostname: host, ip, port };
    this.server?.log.warning(`Failed to resolve hostname '${host}'`);
    // Kept by its name when it may be resolved later (the instance is down now, say).
    if (this.resolveHostnames && acceptUnresolved) return { hostname: host, ip: "", port };
    return "ENOENT";
  }

  /** What the sentinel shows of an address: its IP, or its host name with announce-hostnames. */
  announce(a: Addr): string {
    return this.announceHostnames ? a.hostname : a.ip;
  }

  /** sentinelAddrEqualsHostname: whether `host` names the address. */
  addrIsHost(a: Addr, host: string): boolean {
    const ip = net.isIP(host) ? host : this.resolveHostnames ? resolveHost(host) : null;
    // Unresolved: compared by name (the best effort while the name does not resolve).
    if (ip === null) return (this.resolveHostnames ? a.hostname : a.ip).toLowerCase() === host.toLowerCase();
    return a.ip.toLowerCase() === ip.toLowerCase();
  }

  // ---- instances ------------------------------------------------------------

  createInstance(name: string | null, flags: number, host: string, port: number, quorum: number, master: Instance | null): Instance | CreateError {
    const addr = this.makeAddr(host, port, true);
    if (typeof addr === "string") return addr;
    const key = flags & SRI_SLAVE ? addrKey(this.announce(addr), addr.port) : name!;
    const table = flags & SRI_MASTER ? this.masters : flags & SRI_SLAVE ? master!.slaves : master!.sentinels;
    if (table.has(key)) return "EBUSY";
    const ri = new Instance(flags, key, addr, quorum, master, Date.now(), {
      downAfter: this.timing.defaultDownAfter,
      failoverTimeout: this.timing.defaultFailoverTimeout,
    });
    table.set(key, ri);
    return ri;
  }

  /** Closes an instance's connections and those of everything under it (releaseSentinelRedisInstance). */
  release(ri: Instance): void {
    for (const s of ri.sentinels.values()) this.release(s);
    for (const s of ri.slaves.values()) this.release(s);
    ri.link.closeAll();
  }

  lookupSlave(master: Instance, host: string, port: number): Instance | null {
    const a = this.makeAddr(host, port, false);
    if (typeof a === "string") return null;
    return master.slaves.get(addrKey(this.announce(a), a.port)) ?? null;
  }

  /** getSentinelRedisInstanceByAddrAndRunID. */
  findByAddrAndRunId(instances: Map<string, Instance>, host: string | null, port: number, runid: string | null): Instance | null {
    let a: Addr | null = null;
    if (host !== null) {
      const r = this.makeAddr(host, port, true);
      if (typeof r === "string") return null;
      a = r;
    }
    for (const ri of instances.values()) {
      if (runid !== null && ri.runid === null) continue;
      if ((runid === null || ri.runid === runid) && (a === null || sameAddr(ri.addr, a))) return ri;
    }
    return null;
  }

  /** Removes the sentinels with this run id from a master; how many. */
  removeSentinelByRunId(master: Instance, runid: string): number {
    let n = 0;
    for (const [k, ri] of master.sentinels) {
      if (ri.runid === runid) {
        this.release(ri);
        master.sentinels.delete(k);
        n++;
      }
    }
    return n;
  }

  propagateDownAfterPeriod(master: Instance): void {
    for (const ri of master.slaves.values()) ri.downAfterPeriod = master.downAfterPeriod;
    for (const ri of master.sentinels.values()) ri.downAfterPeriod = master.downAfterPeriod;
  }

  /** The master's address, or its promoted replica's once that replica acknowledged the switch. */
  currentMasterAddress(m: Instance): Addr {
    if (m.flags & SRI_FAILOVER_IN_PROGRESS && m.promotedSlave && m.failoverState >= FailoverState.ReconfSlaves) return m.promotedSlave.addr;
    return m.addr;
  }

  /** sentinelResetMaster: forgets the replicas (and sentinels), flags, failover, and reconnects. */
  resetMaster(ri: Instance, keepSentinels: boolean, event: boolean): void {
    for (const s of ri.slaves.values()) this.release(s);
    ri.slaves = new Map();
    if (!keepSentinels) {
      for (const s of ri.sentinels.values()) this.release(s);
      ri.sentinels = new Map();
    }
    ri.link.closeAll();
    ri.flags &= SRI_MASTER;
    ri.leader = null;
    ri.failoverState = FailoverState.None;
    ri.failoverStateChangeTime = 0;
    ri.failoverStartTime = 0;
    ri.promotedSlave = null;
    ri.runid = null;
    ri.slaveMasterHost = null;
    const now = Date.now();
    ri.link.actPingTime = now;
    ri.link.lastPingTime = 0;
    ri.link.lastAvailTime = now;
    ri.link.lastPongTime = now;
    ri.roleReportedTime = now;
    ri.roleReported = SRI_MASTER;
    if (event) this.event("warning", "+reset-master", ri, true, "");
  }

  resetByPattern(pattern: string): number {
    let n = 0;
    for (const ri of this.masters.values()) {
      if (keys.globMatch(Buffer.from(pattern, "latin1"), Buffer.from(ri.name, "latin1"), false)) {
        this.resetMaster(ri, false, true);
        n++;
      }
    }
    return n;
  }

  /** sentinelResetMasterAndChangeAddress: the master moves; its replicas (and the old address) are kept as replicas. */
  resetMasterAndChangeAddress(master: Instance, host: string, port: number): boolean {
    const newAddr = this.makeAddr(host, port, false);
    if (typeof newAddr === "string") return false;
    const slaves: Addr[] = [];
    for (const s of master.slaves.values()) if (!sameAddr(s.addr, newAddr)) slaves.push(s.addr);
    if (!sameAddr(newAddr, master.addr)) slaves.push(master.addr);
    this.resetMaster(master, true, false);
    master.addr = newAddr;
    master.oDownSinceTime = 0;
    master.sDownSinceTime = 0;
    for (const a of slaves) {
      const s = this.createInstance(null, SRI_SLAVE, a.hostname, a.port, master.quorum, master);
      if (typeof s !== "string") this.event("notice", "+slave", s, true, "");
    }
    this.flushConfig();
    return true;
  }

  // ---- events ---------------------------------------------------------------

  /**
   * sentinelEvent: logs `type msg` and publishes msg on the channel `type`
   * (except debug ones). With `at`, msg starts with the instance's
   * "<type> <name> <ip> <port>" (and "@ <master name> <ip> <port>" for others).
   */
  event(level: Level, type: string, ri: Instance | null, at: boolean, rest: string): void {
    let msg = "";
    if (at && ri) {
      msg = `${ri.typeName()} ${ri.name} ${this.announce(ri.addr)} ${ri.addr.port}`;
      const m = ri.flags & SRI_MASTER ? null : ri.master;
      if (m) msg += ` @ ${m.name} ${this.announce(m.addr)} ${m.addr.port}`;
      if (rest) msg += ` ${rest}`;
    } else msg = rest;
    const server = this.server;
    if (!server) return;
    server.log.log(level, `${type} ${msg}`);
    if (level !== "debug") publish(server, Buffer.from(type, "latin1"), Buffer.from(msg, "latin1"));
    // Warnings about a master's instances run its notification script.
    if (level === "warning" && ri) {
      const master = ri.flags & SRI_MASTER ? ri : ri.master;
      if (master?.notificationScript) this.scripts.schedule(master.notificationScript, type, msg);
    }
  }

  /** The client-reconfig-script of a failover: <master> <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>. */
  clientReconfScript(master: Instance, leader: boolean, from: Addr, to: Addr): void {
    if (!master.clientReconfigScript) return;
    this.scripts.schedule(master.clientReconfigScript, master.name, leader ? "leader" : "observer", "start", this.announce(from), String(from.port), this.announce(to), String(to.port));
  }

  // ---- persistence ------------------------------------------------------------

  /** sentinelFlushConfig: the state into sentinel.conf; false (logged) when it cannot be written. */
  flushConfig(): boolean {
    const server = this.server;
    if (!server) return true;
    try {
      // config.extraRewrite (set by runSentinel) adds this sentinel's lines.
      rewriteConfig(server.config);
    } catch (e) {
      server.log.warning(`WARNING: Sentinel was not able to save the new configuration on disk!!!: ${strerror(e)}`);
      return false;
    }
    server.log.notice("Sentinel new configuration saved on disk");
    return true;
  }

  /** A new random id (sentinelIsRunning when the file has none). */
  pickId(): void {
    this.myid = randomHex(20);
  }

  /** sentinelVoteLeader: votes for req_runid in req_epoch unless this sentinel voted in that epoch already; the vote held. */
  voteLeader(master: Instance, reqEpoch: number, reqRunid: string): { leader: string | null; epoch: number } {
    if (reqEpoch > this.currentEpoch) {
      this.currentEpoch = reqEpoch;
      this.flushConfig();
      this.event("warning", "+new-epoch", master, false, String(this.currentEpoch));
    }
    if (master.leaderEpoch < reqEpoch && this.currentEpoch <= reqEpoch) {
      master.leader = reqRunid;
      master.leaderEpoch = this.currentEpoch;
      this.flushConfig();
      this.event("warning", "+vote-for-leader", master, false, `${master.leader} ${master.leaderEpoch}`);
      // Voting for another sentinel delays our own failover attempt for this master.
      if (master.leader.toLowerCase() !== this.myid.toLowerCase()) master.failoverStartTime = Date.now() + Math.floor(Math.random() * 1000);
    }
    return { leader: master.leader, epoch: master.leaderEpoch };
  }
}
