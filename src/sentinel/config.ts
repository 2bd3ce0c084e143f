/**
 * The "sentinel ..." directives of sentinel.conf (sentinelHandleConfiguration)
 * and the lines the sentinel writes back (rewriteConfigSentinelOption): its id,
 * epochs, masters with their settings, the replicas and sentinels it learned.
 */
import { ConfigFileError } from "../config/load.js";
import type { ExtraRewrite } from "../config/rewrite.js";
import { repr } from "../config/convert.js";
import { createError, type Sentinel } from "./state.js";
import { SRI_MASTER, SRI_SENTINEL, SRI_SLAVE, DEFAULT_PARALLEL_SYNCS, sameAddr, type Instance } from "./instance.js";
import { accessSync, constants } from "node:fs";

/** Directives applied before the monitor lines, then "monitor", then the rest (Redis's three queues). */
const PRE_MONITOR = ["announce-ip", "announce-port", "deny-scripts-reconfig", "sentinel-user", "sentinel-pass", "current-epoch", "myid", "resolve-hostnames", "announce-hostnames"];

/** Applies the queued directives; throws the ConfigFileError redis-sentinel prints for the first bad one. */
export function loadSentinelConfig(s: Sentinel, lines: { argv: string[]; line: string; lineNo: number }[]): void {
  const pre = lines.filter((l) => PRE_MONITOR.includes(l.argv[0].toLowerCase()));
  const monitor = lines.filter((l) => l.argv[0].toLowerCase() === "monitor");
  const post = lines.filter((l) => !pre.includes(l) && !monitor.includes(l));
  for (const l of [...pre, ...monitor, ...post]) {
    const err = handleDirective(s, l.argv);
    if (err) throw new ConfigFileError(l.lineNo, l.line, err);
  }
}

const yesno = (v: string): number => (v.toLowerCase() === "yes" ? 1 : v.toLowerCase() === "no" ? 0 : -1);
const atoi = (v: string): number => {
  const m = /^\s*[+-]?\d+/.exec(v);
  return m ? parseInt(m[0], 10) : 0;
};
const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function handleDirective(s: Sentinel, argv: string[]): string | null {
  const what = argv[0].toLowerCase();
  const argc = argv.length;
  const master = (): Instance | null => s.masters.get(argv[1]) ?? null;
  const NO_MASTER = "No such master with specified name.";
  if (what === "monitor" && argc === 5) {
    const quorum = atoi(argv[4]);
    if (quorum <= 0) return "Quorum must be 1 or greater.";
    const r = s.createInstance(argv[1], SRI_MASTER, argv[2], atoi(argv[3]), quorum, null);
    if (typeof r === "string") return createError(r, SRI_MASTER);
    return null;
  }
  if (what === "current-epoch" && argc === 2) {
    const e = Number(BigInt.asUintN(64, BigInt(atoi(argv[1]))));
    if (e > s.currentEpoch) s.currentEpoch = e;
    return null;
  }
  if (what === "myid" && argc === 2) {
    if (argv[1].length !== 40) return "Malformed Sentinel id in myid option.";
    s.myid = argv[1];
    return null;
  }
  if (argc === 2) {
    const v = argv[1];
    // Strings: an empty one leaves the setting unset.
    if (what === "announce-ip" || what === "sentinel-user" || what === "sentinel-pass") {
      if (v.length === 0) return null;
      if (what === "announce-ip") s.announceIp = v;
      else if (what === "sentinel-user") s.authUser = v;
      else s.authPass = v;
      return null;
    }
    if (what === "announce-port") {
      s.announcePort = atoi(v);
      return null;
    }
    const flags = { "deny-scripts-reconfig": "denyScriptsReconfig", "resolve-hostnames": "resolveHostnames", "announce-hostnames": "announceHostnames" } as const;
    if (what in flags) {
      const b = yesno(v);
      if (b < 0) return `Please specify yes or no for the ${what} ${what === "deny-scripts-reconfig" ? "options" : "option"}.`;
      s[flags[what as keyof typeof flags]] = b === 1;
      return null;
    }
  }
  // Every other directive names a master.
  const perMaster: Record<string, number[]> = {
    "down-after-milliseconds": [3],
    "failover-timeout": [3],
    "parallel-syncs": [3],
    "notification-script": [3],
    "client-reconfig-script": [3],
    "auth-pass": [3],
    "auth-user": [3],
    "config-epoch": [3],
    "leader-epoch": [3],
    "known-slave": [4],
    "known-replica": [4],
    "known-sentinel": [4, 5],
    "rename-command": [4],
    "master-reboot-down-after-period": [3],
  };
  if (!perMaster[what]?.includes(argc)) return "Unrecognized sentinel configuration statement.";
  // known-sentinel without a run id is an old form, ignored.
  if (what === "known-sentinel" && argc === 4) return null;
  const ri = master();
  if (!ri) return NO_MASTER;
  switch (what) {
    case "down-after-milliseconds":
      ri.downAfterPeriod = atoi(argv[2]);
      if (ri.downAfterPeriod <= 0) return "negative or zero time parameter.";
      s.propagateDownAfterPeriod(ri);
      return null;
    case "failover-timeout":
      ri.failoverTimeout = atoi(argv[2]);
      if (ri.failoverTimeout <= 0) return "negative or zero time parameter.";
      return null;
    case "parallel-syncs":
      ri.parallelSyncs = atoi(argv[2]);
      return null;
    case "notification-script":
      if (!executable(argv[2])) return "Notification script seems non existing or non executable.";
      ri.notificationScript = argv[2];
      return null;
    case "client-reconfig-script":
      if (!executable(argv[2])) return "Client reconfiguration script seems non existing or non executable.";
      ri.clientReconfigScript = argv[2];
      return null;
    case "auth-pass":
      ri.authPass = argv[2];
      return null;
    case "auth-user":
      ri.authUser = argv[2];
      return null;
    case "config-epoch":
      ri.configEpoch = atoi(argv[2]);
      if (ri.configEpoch > s.currentEpoch) s.currentEpoch = ri.configEpoch;
      return null;
    case "leader-epoch":
      ri.leaderEpoch = atoi(argv[2]);
      return null;
    case "known-slave":
    case "known-replica": {
      const r = s.createInstance(null, SRI_SLAVE, argv[2], atoi(argv[3]), ri.quorum, ri);
      return typeof r === "string" ? createError(r, SRI_SLAVE) : null;
    }
    case "known-sentinel": {
      const r = s.createInstance(argv[4], SRI_SENTINEL, argv[2], atoi(argv[3]), ri.quorum, ri);
      if (typeof r === "string") return createError(r, SRI_SENTINEL);
      r.runid = argv[4];
      return null;
    }
    case "rename-command": {
      const key = argv[2].toLowerCase();
      if (ri.renamedCommands.has(key)) return "Same command renamed multiple times with rename-command.";
      ri.renamedCommands.set(key, argv[3]);
      return null;
    }
    case "master-reboot-down-after-period":
      ri.masterRebootDownAfterPeriod = atoi(argv[2]);
      if (ri.masterRebootDownAfterPeriod < 0) return "negative time parameter.";
      return null;
  }
  return "Unrecognized sentinel configuration statement.";
}

/** The sentinel's lines for CONFIG REWRITE, in Redis's order, reusing the file's own lines where it has them. */
export function sentinelRewrite(s: Sentinel): ExtraRewrite {
  return (st) => {
    const w = (option: string, line: string, force = true) => st.rewriteLine(`sentinel ${option}`, line, force);
    w("myid", `sentinel myid ${s.myid}`);
    w("deny-scripts-reconfig", `sentinel deny-scripts-reconfig ${s.denyScriptsReconfig ? "yes" : "no"}`, !s.denyScriptsReconfig);
    w("resolve-hostnames", `sentinel resolve-hostnames ${s.resolveHostnames ? "yes" : "no"}`, s.resolveHostnames);
    w("announce-hostnames", `sentinel announce-hostnames ${s.announceHostnames ? "yes" : "no"}`, s.announceHostnames);
    for (const m of s.masters.values()) {
      const maddr = s.currentMasterAddress(m);
      w("monitor", `sentinel monitor ${m.name} ${s.announce(maddr)} ${maddr.port} ${m.quorum}`);
      if (m.downAfterPeriod !== s.timing.defaultDownAfter) w("down-after-milliseconds", `sentinel down-after-milliseconds ${m.name} ${m.downAfterPeriod}`);
      if (m.failoverTimeout !== s.timing.defaultFailoverTimeout) w("failover-timeout", `sentinel failover-timeout ${m.name} ${m.failoverTimeout}`);
      if (m.parallelSyncs !== DEFAULT_PARALLEL_SYNCS) w("parallel-syncs", `sentinel parallel-syncs ${m.name} ${m.parallelSyncs}`);
      if (m.notificationScript) w("notification-script", `sentinel notification-script ${m.name} ${m.notificationScript}`);
      if (m.clientReconfigScript) w("client-reconfig-script", `sentinel client-reconfig-script ${m.name} ${m.clientReconfigScript}`);
      if (m.authPass) w("auth-pass", `sentinel auth-pass ${m.name} ${m.authPass}`);
      if (m.authUser) w("auth-user", `sentinel auth-user ${m.name} ${m.authUser}`);
      if (m.masterRebootDownAfterPeriod !== 0) {
        w("master-reboot-down-after-period", `sentinel master-reboot-down-after-period ${m.name} ${m.masterRebootDownAfterPeriod}`);
      }
      w("config-epoch", `sentinel config-epoch ${m.name} ${m.configEpoch}`);
      w("leader-epoch", `sentinel leader-epoch ${m.name} ${m.leaderEpoch}`);
      for (const r of m.slaves.values()) {
        // The promoted replica of a failover in progress is written as the old master's address.
        const a = sameAddr(r.addr, maddr) ? m.addr : r.addr;
        const line = `sentinel known-replica ${m.name} ${s.announce(a)} ${a.port}`;
        if (!w("known-slave", line, false)) w("known-replica", line);
      }
      for (const si of m.sentinels.values()) {
        if (si.runid === null) continue;
        w("known-sentinel", `sentinel known-sentinel ${m.name} ${s.announce(si.addr)} ${si.addr.port} ${si.runid}`);
      }
      for (const [from, to] of m.renamedCommands) w("rename-command", `sentinel rename-command ${m.name} ${from} ${to}`);
    }
    w("current-epoch", `sentinel current-epoch ${s.currentEpoch}`);
    if (s.announceIp !== null) w("announce-ip", `sentinel announce-ip ${repr(s.announceIp)}`);
    else st.markProcessed("sentinel announce-ip");
    if (s.announcePort) w("announce-port", `sentinel announce-port ${s.announcePort}`);
    else st.markProcessed("sentinel announce-port");
    if (s.authUser) w("sentinel-user", `sentinel sentinel-user ${s.authUser}`);
    else st.markProcessed("sentinel sentinel-user");
    if (s.authPass) w("sentinel-pass", `sentinel sentinel-pass ${s.authPass}`);
    else st.markProcessed("sentinel sentinel-pass");
    for (const o of ["monitor", "down-after-milliseconds", "failover-timeout", "parallel-syncs", "notification-script", "client-reconfig-script", "auth-pass", "auth-user", "config-epoch", "leader-epoch", "known-replica", "known-sentinel", "rename-command", "master-reboot-down-after-period"]) {
      st.markProcessed(`sentinel ${o}`);
    }
  };
}
