/**
 * How a sentinel answers: its instances as SENTINEL MASTER(S)/REPLICAS/SENTINELS
 * show them, INFO-CACHE, PENDING-SCRIPTS, INFO's sections, and the small
 * helpers the SENTINEL subcommands share.
 */
import type { Ctx } from "../commands/types.js";
import type { Server } from "../server/server.js";
import { infoText } from "../commands/info.js";
import { FAILOVER_STATE_NAMES, SRI_FAILOVER_IN_PROGRESS, SRI_MASTER, SRI_O_DOWN, SRI_S_DOWN, SRI_SENTINEL, SRI_SLAVE, flagsText, type Instance } from "./instance.js";
import type { Sentinel } from "./state.js";

export const str = (b: Buffer) => b.toString("latin1");
export const int = (b: Buffer): number | null => {
  const s = str(b);
  return /^-?\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : null;
};

/** addReplySentinelRedisInstance: the instance's fields as a map. */
export function replyInstance(c: Ctx, s: Sentinel, ri: Instance): void {
  const now = Date.now();
  const f: [string, string | number][] = [];
  f.push(["name", ri.name], ["ip", s.announce(ri.addr)], ["port", ri.addr.port], ["runid", ri.runid ?? ""], ["flags", flagsText(ri)]);
  f.push(["link-pending-commands", ri.link.pendingCommands], ["link-refcount", 1]);
  if (ri.flags & SRI_FAILOVER_IN_PROGRESS) f.push(["failover-state", FAILOVER_STATE_NAMES[ri.failoverState] ?? "unknown"]);
  f.push(["last-ping-sent", ri.link.actPingTime ? now - ri.link.actPingTime : 0]);
  f.push(["last-ok-ping-reply", now - ri.link.lastAvailTime], ["last-ping-reply", now - ri.link.lastPongTime]);
  if (ri.flags & SRI_S_DOWN) f.push(["s-down-time", now - ri.sDownSinceTime]);
  if (ri.flags & SRI_O_DOWN) f.push(["o-down-time", now - ri.oDownSinceTime]);
  f.push(["down-after-milliseconds", ri.downAfterPeriod]);
  if (ri.flags & (SRI_MASTER | SRI_SLAVE)) {
    f.push(["info-refresh", ri.infoRefresh ? now - ri.infoRefresh : 0]);
    f.push(["role-reported", ri.roleReported === SRI_MASTER ? "master" : "slave"], ["role-reported-time", now - ri.roleReportedTime]);
  }
  if (ri.flags & SRI_MASTER) {
    f.push(["config-epoch", ri.configEpoch], ["num-slaves", ri.slaves.size], ["num-other-sentinels", ri.sentinels.size], ["quorum", ri.quorum]);
    f.push(["failover-timeout", ri.failoverTimeout], ["parallel-syncs", ri.parallelSyncs]);
    if (ri.notificationScript) f.push(["notification-script", ri.notificationScript]);
    if (ri.clientReconfigScript) f.push(["client-reconfig-script", ri.clientReconfigScript]);
  }
  if (ri.flags & SRI_SLAVE) {
    f.push(["master-link-down-time", ri.masterLinkDownTime], ["master-link-status", ri.slaveMasterLinkUp ? "ok" : "err"]);
    f.push(["master-host", ri.slaveMasterHost ?? "?"], ["master-port", ri.slaveMasterPort], ["slave-priority", ri.slavePriority]);
    f.push(["slave-repl-offset", ri.slaveReplOffset], ["replica-announced", ri.replicaAnnounced]);
  }
  if (ri.flags & SRI_SENTINEL) {
    f.push(["last-hello-message", now - ri.lastHelloTime], ["voted-leader", ri.leader ?? "?"], ["voted-leader-epoch", ri.leaderEpoch]);
  }
  c.r.map(f.length);
  for (const [k, v] of f) {
    c.r.bulk(k);
    c.r.bulk(String(v));
  }
}

export function replyInstances(c: Ctx, s: Sentinel, instances: Map<string, Instance>): void {
  const list = [...instances.values()].filter((ri) => !(ri.flags & SRI_SLAVE && !ri.replicaAnnounced));
  c.r.array(list.length);
  for (const ri of list) replyInstance(c, s, ri);
}

export function masterOrError(c: Ctx, s: Sentinel, name: Buffer): Instance | null {
  const ri = s.masters.get(str(name));
  if (!ri) c.r.error("ERR No such master with that name");
  return ri ?? null;
}

export function flushAndReply(c: Ctx, s: Sentinel): void {
  if (s.flushConfig()) c.r.ok();
  else c.r.error("ERR Failed to save config file. Check server logs.");
}

export function infoCache(c: Ctx, s: Sentinel): void {
  const now = Date.now();
  let masters = [...s.masters.values()];
  if (c.argv.length > 2) {
    const wanted = new Map<string, Instance>();
    for (const a of c.argv.slice(2)) {
      const m = s.masters.get(str(a));
      if (m) wanted.set(m.name, m);
    }
    masters = [...wanted.values()];
  }
  const r = c.r;
  r.array(masters.length * 2);
  for (const m of masters) {
    r.bulk(m.name);
    r.array(m.slaves.size + 1);
    for (const ri of [m, ...m.slaves.values()]) {
      r.array(2);
      // Redis tests the master's refresh time for its replicas too.
      r.int(m.infoRefresh ? now - ri.infoRefresh : 0);
      if (ri.info !== null) r.bulk(ri.info);
      else r.nil();
    }
  }
}


export function pendingScripts(c: Ctx, s: Sentinel): void {
  const r = c.r;
  const now = Date.now();
  r.array(s.scripts.queue.length);
  for (const job of s.scripts.queue) {
    r.map(5);
    r.bulk("argv");
    r.array(job.argv.length);
    for (const a of job.argv) r.bulk(a);
    r.bulk("flags");
    r.bulk(job.running ? "running" : "scheduled");
    r.bulk("pid");
    r.bulk(String(job.pid));
    if (job.running) {
      r.bulk("run-time");
      r.bulk(String(now - job.startTime));
    } else {
      r.bulk("run-delay");
      r.bulk(String(job.startTime ? Math.max(0, job.startTime - now) : 0));
    }
    r.bulk("retry-num");
    r.bulk(String(job.retryNum));
  }
}


/** INFO with the sections a sentinel has (server, clients, cpu, stats) and its own Sentinel section; a plain bulk, as Redis's. */
export function sentinelInfo(server: Server, s: Sentinel, argv: Buffer[]): string {
  const SECTIONS = ["server", "clients", "cpu", "stats", "sentinel"];
  const args = argv.map((a) => str(a).toLowerCase());
  let all = args.length === 0;
  const wanted = new Set<string>();
  for (const a of args) {
    if (a === "all" || a === "default" || a === "everything") all = true;
    else if (SECTIONS.includes(a)) wanted.add(a);
  }
  const sections = all ? SECTIONS : SECTIONS.filter((x) => wanted.has(x));
  const common = sections.filter((x) => x !== "sentinel");
  let info = common.length ? infoText(server, common) : "";
  if (sections.includes("sentinel")) {
    if (info.length) info += "\r\n";
    info +=
      "# Sentinel\r\n" +
      `sentinel_masters:${s.masters.size}\r\n` +
      `sentinel_tilt:${s.tilt ? 1 : 0}\r\n` +
      `sentinel_tilt_since_seconds:${s.tilt ? Math.floor((Date.now() - s.tiltStartTime) / 1000) : -1}\r\n` +
      `sentinel_running_scripts:${s.scripts.running}\r\n` +
      `sentinel_scripts_queue_length:${s.scripts.queue.length}\r\n` +
      `sentinel_simulate_failure_flags:${s.simFailureFlags}\r\n`;
    let id = 0;
    for (const m of s.masters.values()) {
      const status = m.flags & SRI_O_DOWN ? "odown" : m.flags & SRI_S_DOWN ? "sdown" : "ok";
      info += `master${id++}:name=${m.name},status=${status},address=${s.announce(m.addr)}:${m.addr.port},slaves=${m.slaves.size},sentinels=${m.sentinels.size + 1}\r\n`;
    }
  }
  return info;
}
