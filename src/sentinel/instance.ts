/**
 * What a sentinel knows about each instance it watches (Redis's
 * sentinelRedisInstance): a master with its replicas and the other sentinels
 * watching it, or one of those. Flags and failover states as sentinel.c names them.
 */
import type { RespLink } from "./resp-link.js";

export const SRI_MASTER = 1 << 0;
export const SRI_SLAVE = 1 << 1;
export const SRI_SENTINEL = 1 << 2;
export const SRI_S_DOWN = 1 << 3;
export const SRI_O_DOWN = 1 << 4;
export const SRI_MASTER_DOWN = 1 << 5;
export const SRI_FAILOVER_IN_PROGRESS = 1 << 6;
export const SRI_PROMOTED = 1 << 7;
export const SRI_RECONF_SENT = 1 << 8;
export const SRI_RECONF_INPROG = 1 << 9;
export const SRI_RECONF_DONE = 1 << 10;
export const SRI_FORCE_FAILOVER = 1 << 11;
export const SRI_SCRIPT_KILL_SENT = 1 << 12;
export const SRI_MASTER_REBOOT = 1 << 13;

/** The flags as SENTINEL MASTER shows them ("disconnected" comes from the link), in Redis's order. */
const FLAG_NAMES: [number, string][] = [
  [SRI_S_DOWN, "s_down"],
  [SRI_O_DOWN, "o_down"],
  [SRI_MASTER, "master"],
  [SRI_SLAVE, "slave"],
  [SRI_SENTINEL, "sentinel"],
  [0, "disconnected"],
  [SRI_MASTER_DOWN, "master_down"],
  [SRI_FAILOVER_IN_PROGRESS, "failover_in_progress"],
  [SRI_PROMOTED, "promoted"],
  [SRI_RECONF_SENT, "reconf_sent"],
  [SRI_RECONF_INPROG, "reconf_inprog"],
  [SRI_RECONF_DONE, "reconf_done"],
  [SRI_FORCE_FAILOVER, "force_failover"],
  [SRI_SCRIPT_KILL_SENT, "script_kill_sent"],
  [SRI_MASTER_REBOOT, "master_reboot"],
];

export function flagsText(ri: Instance): string {
  const out: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (bit === 0 ? ri.link.disconnected : ri.flags & bit) out.push(name);
  return out.join(",");
}

export enum FailoverState {
  None = 0,
  WaitStart,
  SelectSlave,
  SendSlaveofNoOne,
  WaitPromotion,
  ReconfSlaves,
  UpdateConfig,
}
export const FAILOVER_STATE_NAMES = ["none", "wait_start", "select_slave", "send_slaveof_noone", "wait_promotion", "reconf_slaves", "update_config"];

export const DEFAULT_SLAVE_PRIORITY = 100;
export const DEFAULT_PARALLEL_SYNCS = 1;
export const MAX_PENDING_COMMANDS = 100;
export const MAX_DESYNC = 1000;
export const HELLO_CHANNEL = "__sentinel__:hello";

/** An instance address: the host as given and the IP it resolved to (sentinelAddr). */
export interface Addr {
  hostname: string;
  ip: string;
  port: number;
}

export function sameAddr(a: Addr, b: Addr): boolean {
  return a.port === b.port && (a.ip === b.ip || a.hostname.toLowerCase() === b.hostname.toLowerCase());
}

/** "ip:port", IPv6 in brackets (announceSentinelAddrAndPort). */
export function addrKey(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The two connections to an instance (command and pub/sub) and their timing (instanceLink). */
export class Link {
  disconnected = true;
  pendingCommands = 0;
  cc: RespLink | null = null;
  pc: RespLink | null = null;
  ccConnTime = 0;
  pcConnTime = 0;
  pcLastActivity = 0;
  lastAvailTime: number;
  actPingTime: number;
  lastPingTime = 0;
  lastPongTime: number;
  lastReconnTime = 0;

  constructor(now: number) {
    this.lastAvailTime = now;
    this.actPingTime = now;
    this.lastPongTime = now;
  }

  closeCc(): void {
    const c = this.cc;
    if (!c) return;
    this.cc = null;
    this.pendingCommands = 0;
    this.disconnected = true;
    c.onClose = null;
    c.close();
  }

  closePc(): void {
    const c = this.pc;
    if (!c) return;
    this.pc = null;
    this.disconnected = true;
    c.onClose = null;
    c.close();
  }

  closeAll(): void {
    this.closeCc();
    this.closePc();
  }
}

export class Instance {
  flags: number;
  name: string;
  runid: string | null = null;
  configEpoch = 0;
  addr: Addr;
  link: Link;
  lastPubTime: number;
  lastHelloTime: number;
  lastMasterDownReplyTime: number;
  sDownSinceTime = 0;
  oDownSinceTime = 0;
  downAfterPeriod: number;
  masterRebootDownAfterPeriod = 0;
  masterRebootSinceTime = 0;
  masterLinkDownTime = 0;
  authPass: string | null = null;
  authUser: string | null = null;
  slavePriority = DEFAULT_SLAVE_PRIORITY;
  replicaAnnounced = 1;
  slaveReconfSentTime = 0;
  slaveMasterHost: string | null = null;
  slaveMasterPort = 0;
  slaveMasterLinkUp = false;
  slaveReplOffset = 0;
  /** Masters: the other sentinels and the replicas, by name ("ip:port" for replicas). */
  sentinels = new Map<string, Instance>();
  slaves = new Map<string, Instance>();
  quorum: number;
  parallelSyncs = DEFAULT_PARALLEL_SYNCS;
  master: Instance | null;
  infoRefresh = 0;
  renamedCommands = new Map<string, string>();
  leader: string | null = null;
  leaderEpoch = 0;
  failoverEpoch = 0;
  failoverState = FailoverState.None;
  failoverStateChangeTime = 0;
  failoverStartTime = 0;
  failoverTimeout: number;
  failoverDelayLogged = 0;
  promotedSlave: Instance | null = null;
  notificationScript: string | null = null;
  clientReconfigScript: string | null = null;
  info: string | null = null;
  roleReported: number;
  roleReportedTime: number;
  slaveConfChangeTime: number;

  constructor(
    flags: number,
    name: string,
    addr: Addr,
    quorum: number,
    master: Instance | null,
    now: number,
    defaults: { downAfter: number; failoverTimeout: number },
  ) {
    this.flags = flags;
    this.name = name;
    this.addr = addr;
    this.quorum = quorum;
    this.master = master;
    this.link = new Link(now);
    this.lastPubTime = now;
    this.lastHelloTime = now;
    this.lastMasterDownReplyTime = now;
    this.downAfterPeriod = master ? master.downAfterPeriod : defaults.downAfter;
    this.failoverTimeout = defaults.failoverTimeout;
    this.roleReported = flags & (SRI_MASTER | SRI_SLAVE);
    this.roleReportedTime = now;
    this.slaveConfChangeTime = now;
  }

  typeName(): string {
    if (this.flags & SRI_MASTER) return "master";
    if (this.flags & SRI_SLAVE) return "slave";
    if (this.flags & SRI_SENTINEL) return "sentinel";
    return "unknown";
  }

  /** The command name to send, after the master's rename-command entries. */
  cmd(name: string): string {
    const owner = this.master ?? this;
    return owner.renamedCommands.get(name.toLowerCase()) ?? name;
  }
}
