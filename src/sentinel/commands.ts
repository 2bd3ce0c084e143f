/**
 * A sentinel's command table: SENTINEL and its subcommands, the sentinel's own
 * INFO, ROLE, PUBLISH (hello messages only) and SHUTDOWN (never saves), and
 * the connection commands it shares with Redis (PING, AUTH, HELLO, CLIENT,
 * COMMAND, ACL, (P)(UN)SUBSCRIBE), as Redis 7.2 builds it from the commands
 * flagged SENTINEL. Data commands are unknown here.
 */
import { accessSync, constants } from "node:fs";
import net from "node:net";
import type { CommandDef, CommandSpec, Ctx } from "../commands/types.js";
import { command as specOf } from "../commands/types.js";
import type { Server } from "../server/server.js";
import { infoText } from "../commands/info.js";
import { replyHelp, subcommandSyntaxError } from "../commands/help.js";
import { NOT_INT } from "../commands/errors.js";
import { keys } from "../engine/index.js";
import {
  FAILOVER_STATE_NAMES,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_O_DOWN,
  SRI_S_DOWN,
  SRI_SENTINEL,
  SRI_SLAVE,
  HELLO_CHANNEL,
  flagsText,
  type Instance,
} from "./instance.js";
import { createError, SIMFAILURE_CRASH_AFTER_ELECTION, SIMFAILURE_CRASH_AFTER_PROMOTION, type Sentinel, type Timing } from "./state.js";
import { processHello } from "./monitor.js";
import { resolveHost } from "./resolve.js";
import { selectSlave, startFailover } from "./failover.js";

const sentinels = new WeakMap<Server, Sentinel>();
export function sentinelOf(server: Server): Sentinel {
  return sentinels.get(server)!;
}
export function bindSentinel(server: Server, s: Sentinel): void {
  sentinels.set(server, s);
}

const str = (b: Buffer) => b.toString("latin1");
const int = (b: Buffer): number | null => {
  const s = str(b);
  return /^-?\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : null;
};

/** addReplySentinelRedisInstance: the instance's fields as a map. */
function replyInstance(c: Ctx, s: Sentinel, ri: Instance): void {
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

function replyInstances(c: Ctx, s: Sentinel, instances: Map<string, Instance>): void {
  const list = [...instances.values()].filter((ri) => !(ri.flags & SRI_SLAVE && !ri.replicaAnnounced));
  c.r.array(list.length);
  for (const ri of list) replyInstance(c, s, ri);
}

function masterOrError(c: Ctx, s: Sentinel, name: Buffer): Instance | null {
  const ri = s.masters.get(str(name));
  if (!ri) c.r.error("ERR No such master with that name");
  return ri ?? null;
}

function flushAndReply(c: Ctx, s: Sentinel): void {
  if (s.flushConfig()) c.r.ok();
  else c.r.error("ERR Failed to save config file. Check server logs.");
}

const HELP = [
  "CKQUORUM <master-name>",
  "    Check if the current Sentinel configuration is able to reach the quorum",
  "    needed to failover a master and the majority needed to authorize the",
  "    failover.",
  "CONFIG SET param value [param value ...]",
  "    Set a global Sentinel configuration parameter.",
  "CONFIG GET <param> [param param param ...]",
  "    Get global Sentinel configuration parameter.",
  "DEBUG [<param> <value> ...]",
  "    Show a list of configurable time parameters and their values (milliseconds).",
  "    Or update current configurable parameters values (one or more).",
  "GET-MASTER-ADDR-BY-NAME <master-name>",
  "    Return the ip and port number of the master with that name.",
  "FAILOVER <master-name>",
  "    Manually failover a master node without asking for agreement from other",
  "    Sentinels",
  "FLUSHCONFIG",
  "    Force Sentinel to rewrite its configuration on disk, including the current",
  "    Sentinel state.",
  "INFO-CACHE <master-name>",
  "    Return last cached INFO output from masters and all its replicas.",
  "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
  "    Check if the master specified by ip:port is down from current Sentinel's",
  "    point of view.",
  "MASTER <master-name>",
  "    Show the state and info of the specified master.",
  "MASTERS",
  "    Show a list of monitored masters and their state.",
  "MONITOR <name> <ip> <port> <quorum>",
  "    Start monitoring a new master with the specified name, ip, port and quorum.",
  "MYID",
  "    Return the ID of the Sentinel instance.",
  "PENDING-SCRIPTS",
  "    Get pending scripts information.",
  "REMOVE <master-name>",
  "    Remove master from Sentinel's monitor list.",
  "REPLICAS <master-name>",
  "    Show a list of replicas for this master and their state.",
  "RESET <pattern>",
  "    Reset masters for specific master name matching this pattern.",
  "SENTINELS <master-name>",
  "    Show a list of Sentinel instances for this master and their state.",
  "SET <master-name> <option> <value> [<option> <value> ...]",
  "    Set configuration parameters for certain masters.",
  "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
  "    Simulate a Sentinel crash.",
];

/** SENTINEL SET <master> <option> <value> ... */
function sentinelSet(c: Ctx, s: Sentinel): void {
  const ri = masterOrError(c, s, c.argv[2]);
  if (!ri) return;
  const argv = c.argv;
  let changes = 0;
  let badarg = 0;
  let option = "";
  const positive = (j: number): number | null => {
    const v = int(argv[j]);
    return v === null || v <= 0 ? null : v;
  };
  const fail = () => {
    if (changes) s.flushConfig();
  };
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    option = str(argv[j]);
    const o = option.toLowerCase();
    const oldJ = j;
    let redacted = false;
    if (["down-after-milliseconds", "failover-timeout", "parallel-syncs", "quorum"].includes(o) && more > 0) {
      const v = positive(++j);
      if (v === null) {
        badarg = j;
        break;
      }
      if (o === "down-after-milliseconds") {
        ri.downAfterPeriod = v;
        s.propagateDownAfterPeriod(ri);
      } else if (o === "failover-timeout") ri.failoverTimeout = v;
      else if (o === "parallel-syncs") ri.parallelSyncs = v;
      else ri.quorum = v;
    } else if ((o === "notification-script" || o === "client-reconfig-script") && more > 0) {
      const value = str(argv[++j]);
      if (s.denyScriptsReconfig) {
        c.r.error(
          "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
        );
        return fail();
      }
      if (value.length) {
        try {
          accessSync(value, constants.X_OK);
        } catch {
          c.r.error(o === "notification-script" ? "ERR Notification script seems non existing or non executable" : "ERR Client reconfiguration script seems non existing or non executable");
          return fail();
        }
      }
      if (o === "notification-script") ri.notificationScript = value || null;
      else ri.clientReconfigScript = value || null;
    } else if (o === "auth-pass" && more > 0) {
      ri.authPass = str(argv[++j]) || null;
      dropInstanceConnections(ri);
      redacted = true;
    } else if (o === "auth-user" && more > 0) {
      ri.authUser = str(argv[++j]) || null;
      dropInstanceConnections(ri);
    } else if (o === "rename-command" && more > 1) {
      const from = str(argv[++j]);
      const to = str(argv[++j]);
      if (from.length === 0 || to.length === 0) {
        badarg = to.length ? j - 1 : j;
        break;
      }
      ri.renamedCommands.delete(from.toLowerCase());
      if (from.toLowerCase() !== to.toLowerCase()) ri.renamedCommands.set(from.toLowerCase(), to);
    } else if (o === "master-reboot-down-after-period" && more > 0) {
      const v = int(argv[++j]);
      if (v === null || v < 0) {
        badarg = j;
        break;
      }
      ri.masterRebootDownAfterPeriod = v;
    } else {
      c.r.error(`ERR Unknown option or number of arguments for SENTINEL SET '${option}'`);
      return fail();
    }
    changes++;
    const n = j - oldJ + 1;
    const words = argv.slice(oldJ, j + 1).map(str);
    if (n === 2) s.event("warning", "+set", ri, true, `${words[0]} ${redacted ? "******" : words[1]}`);
    else if (n === 3) s.event("warning", "+set", ri, true, words.join(" "));
    else s.event("warning", "+set", ri, true, words[0]);
  }
  if (badarg) {
    c.r.error(`ERR Invalid argument '${str(argv[badarg])}' for SENTINEL SET '${option}'`);
    return fail();
  }
  if (changes) flushAndReply(c, s);
}

function dropInstanceConnections(master: Instance): void {
  master.link.closeAll();
  for (const r of master.slaves.values()) r.link.closeAll();
}

const CONFIG_SET_OPTIONS = ["announce-ip", "sentinel-user", "sentinel-pass", "resolve-hostnames", "announce-port", "announce-hostnames", "loglevel"];
const LOGLEVELS = ["debug", "verbose", "notice", "warning", "nothing"];

function configSet(c: Ctx, s: Sentinel): void {
  const argv = c.argv;
  const seen = new Set<string>();
  for (let i = 3; i < argv.length; i++) {
    const option = str(argv[i]);
    if (!CONFIG_SET_OPTIONS.includes(option)) return c.r.error(`ERR Invalid argument '${option}' to SENTINEL CONFIG SET`);
    if (seen.has(option)) return c.r.error(`ERR Duplicate argument '${option}' to SENTINEL CONFIG SET`);
    seen.add(option);
    if (i + 1 === argv.length) return c.r.error(`ERR Missing argument '${option}' value`);
    const val = str(argv[++i]);
    const bad = () => c.r.error(`ERR Invalid value '${val}' to SENTINEL CONFIG SET '${option}'`);
    if ((option === "resolve-hostnames" || option === "announce-hostnames") && !["yes", "no"].includes(val.toLowerCase())) return bad();
    if (option === "announce-port") {
      const n = int(argv[i]);
      if (n === null || n < 0 || n > 65535) return bad();
    }
    if (option === "loglevel" && !LOGLEVELS.includes(val.toLowerCase())) return bad();
  }
  let dropConns = false;
  for (let i = 3; i + 1 < argv.length; i += 2) {
    const option = str(argv[i]);
    const val = str(argv[i + 1]);
    if (option === "loglevel") s.server!.log.level = val.toLowerCase() as "notice";
    else if (option === "resolve-hostnames") s.resolveHostnames = val.toLowerCase() === "yes";
    else if (option === "announce-hostnames") s.announceHostnames = val.toLowerCase() === "yes";
    else if (option === "announce-ip") s.announceIp = val;
    else if (option === "announce-port") s.announcePort = Number(val);
    else if (option === "sentinel-user") {
      s.authUser = val || null;
      dropConns = true;
    } else if (option === "sentinel-pass") {
      s.authPass = val || null;
      dropConns = true;
    }
  }
  flushAndReply(c, s);
  if (dropConns) for (const m of s.masters.values()) for (const si of m.sentinels.values()) si.link.closeAll();
}

function configGet(c: Ctx, s: Sentinel): void {
  const pairs: [string, string][] = [
    ["resolve-hostnames", s.resolveHostnames ? "yes" : "no"],
    ["announce-hostnames", s.announceHostnames ? "yes" : "no"],
    ["announce-ip", s.announceIp ?? ""],
    ["announce-port", String(s.announcePort)],
    ["sentinel-user", s.authUser ?? ""],
    ["sentinel-pass", s.authPass ?? ""],
    ["loglevel", s.server!.log.level],
  ];
  const out: [string, string][] = [];
  for (const a of c.argv.slice(3)) {
    for (const [name, value] of pairs) {
      if (out.some(([n]) => n === name)) continue;
      if (keys.globMatch(a, Buffer.from(name), true)) out.push([name, value]);
    }
  }
  c.r.map(out.length);
  for (const [k, v] of out) {
    c.r.bulk(k);
    c.r.bulk(v);
  }
}

const DEBUG_PARAMS: [string, keyof Timing][] = [
  ["info-period", "infoPeriod"],
  ["ping-period", "pingPeriod"],
  ["ask-period", "askPeriod"],
  ["publish-period", "publishPeriod"],
  ["default-down-after", "defaultDownAfter"],
  ["default-failover-timeout", "defaultFailoverTimeout"],
  ["tilt-trigger", "tiltTrigger"],
  ["tilt-period", "tiltPeriod"],
  ["slave-reconf-timeout", "slaveReconfTimeout"],
  ["min-link-reconnect-period", "minLinkReconnectPeriod"],
  ["election-timeout", "electionTimeout"],
  ["script-max-runtime", "scriptMaxRuntime"],
  ["script-retry-delay", "scriptRetryDelay"],
];

function debug(c: Ctx, s: Sentinel): void {
  const argv = c.argv;
  if (argv.length === 2) {
    c.r.map(DEBUG_PARAMS.length);
    for (const [name, key] of DEBUG_PARAMS) {
      c.r.bulk(name.toUpperCase());
      c.r.bulk(String(s.timing[key]));
    }
    return;
  }
  let j = 2;
  for (; j < argv.length; j++) {
    const option = str(argv[j]);
    const more = argv.length - 1 - j;
    const p = DEBUG_PARAMS.find(([n]) => n === option.toLowerCase());
    if (!p || more <= 0) return c.r.error(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${option}'`);
    const v = int(argv[++j]);
    if (v === null || v <= 0) return c.r.error(`ERR Invalid argument '${str(argv[j])}' for SENTINEL DEBUG '${option}'`);
    s.timing[p[1]] = v;
  }
  c.r.ok();
}

function isMasterDownByAddr(c: Ctx, s: Sentinel): void {
  const port = int(c.argv[3]);
  const epoch = int(c.argv[4]);
  if (port === null || epoch === null) return c.r.error(NOT_INT);
  const ri = s.findByAddrAndRunId(s.masters, str(c.argv[2]), port, null);
  const isdown = !s.tilt && ri !== null && (ri.flags & SRI_S_DOWN) !== 0 && (ri.flags & SRI_MASTER) !== 0;
  let leader: string | null = null;
  let leaderEpoch = 0;
  if (ri && ri.flags & SRI_MASTER && str(c.argv[5]) !== "*") {
    const v = s.voteLeader(ri, epoch, str(c.argv[5]));
    leader = v.leader;
    leaderEpoch = v.epoch;
  }
  c.r.array(3);
  c.r.int(isdown ? 1 : 0);
  c.r.bulk(leader ?? "*");
  c.r.int(leaderEpoch);
}

function monitor(c: Ctx, s: Sentinel): void {
  const quorum = int(c.argv[5]);
  if (quorum === null) return c.r.error("ERR Invalid quorum");
  const port = int(c.argv[4]);
  if (port === null) return c.r.error("ERR Invalid port");
  if (quorum <= 0) return c.r.error("ERR Quorum must be 1 or greater.");
  const host = str(c.argv[3]);
  if (!net.isIP(host) && !(s.resolveHostnames && resolveHost(host) !== null)) return c.r.error("ERR Invalid IP address or hostname specified");
  const ri = s.createInstance(str(c.argv[2]), SRI_MASTER, host, port, quorum, null);
  if (typeof ri === "string") return c.r.error(`ERR ${createError(ri, SRI_MASTER)}`);
  flushAndReply(c, s);
  s.event("warning", "+monitor", ri, true, `quorum ${ri.quorum}`);
}

function ckquorum(c: Ctx, s: Sentinel): void {
  const ri = masterOrError(c, s, c.argv[2]);
  if (!ri) return;
  let usable = 1;
  const voters = ri.sentinels.size + 1;
  for (const si of ri.sentinels.values()) if (!(si.flags & (SRI_S_DOWN | SRI_O_DOWN))) usable++;
  const noQuorum = usable < ri.quorum;
  const noAuth = usable < Math.floor(voters / 2) + 1;
  if (!noQuorum && !noAuth) return c.r.simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
  let e = `NOQUORUM ${usable} usable Sentinels. `;
  if (noQuorum) e += "Not enough available Sentinels to reach the specified quorum for this master";
  if (noAuth) {
    if (noQuorum) e += ". ";
    e += "Not enough available Sentinels to reach the majority and authorize a failover";
  }
  c.r.error(e);
}

function infoCache(c: Ctx, s: Sentinel): void {
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

function simulateFailure(c: Ctx, s: Sentinel): void {
  s.simFailureFlags = 0;
  for (const a of c.argv.slice(2)) {
    const o = str(a).toLowerCase();
    if (o === "crash-after-election") {
      s.simFailureFlags |= SIMFAILURE_CRASH_AFTER_ELECTION;
      s.server!.log.warning("Failure simulation: this Sentinel will crash after being successfully elected as failover leader");
    } else if (o === "crash-after-promotion") {
      s.simFailureFlags |= SIMFAILURE_CRASH_AFTER_PROMOTION;
      s.server!.log.warning("Failure simulation: this Sentinel will crash after promoting the selected replica to master");
    } else if (o === "help") {
      c.r.array(2);
      c.r.bulk("crash-after-election");
      c.r.bulk("crash-after-promotion");
      return;
    } else return c.r.error("ERR Unknown failure simulation specified");
  }
  c.r.ok();
}

function pendingScripts(c: Ctx, s: Sentinel): void {
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

type Sub = [name: string, arity: number, run: (c: Ctx, s: Sentinel) => void, flags?: string];

const SUBCOMMANDS: Sub[] = [
  ["ckquorum", 3, ckquorum],
  [
    "config",
    -4,
    (c, s) => {
      const what = str(c.argv[2]).toLowerCase();
      if (what === "set" && c.argv.length >= 5) return configSet(c, s);
      if (what === "get" && c.argv.length >= 4) return configGet(c, s);
      c.r.error("ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported.");
    },
  ],
  ["debug", -2, debug],
  [
    "failover",
    3,
    (c, s) => {
      const ri = masterOrError(c, s, c.argv[2]);
      if (!ri) return;
      if (ri.flags & SRI_FAILOVER_IN_PROGRESS) return c.r.error("INPROG Failover already in progress");
      if (selectSlave(s, ri) === null) return c.r.error("NOGOODSLAVE No suitable replica to promote");
      s.server!.log.notice(`Executing user requested FAILOVER of '${ri.name}'`);
      startFailover(s, ri);
      ri.flags |= SRI_FORCE_FAILOVER;
      c.r.ok();
    },
  ],
  ["flushconfig", 2, (c, s) => flushAndReply(c, s)],
  [
    "get-master-addr-by-name",
    3,
    (c, s) => {
      const ri = s.masters.get(str(c.argv[2]));
      if (!ri) return c.r.nilArray();
      const a = s.currentMasterAddress(ri);
      c.r.array(2);
      c.r.bulk(s.announce(a));
      c.r.bulk(String(a.port));
    },
  ],
  ["help", 2, (c) => replyHelp(c, HELP), "loading stale"],
  ["info-cache", -3, infoCache],
  ["is-master-down-by-addr", 6, isMasterDownByAddr],
  [
    "master",
    3,
    (c, s) => {
      const ri = masterOrError(c, s, c.argv[2]);
      if (ri) replyInstance(c, s, ri);
    },
  ],
  ["masters", 2, (c, s) => replyInstances(c, s, s.masters)],
  ["monitor", 6, monitor],
  ["myid", 2, (c, s) => c.r.bulk(s.myid)],
  ["pending-scripts", 2, pendingScripts],
  [
    "remove",
    3,
    (c, s) => {
      const ri = masterOrError(c, s, c.argv[2]);
      if (!ri) return;
      s.event("warning", "-monitor", ri, true, "");
      s.release(ri);
      s.masters.delete(ri.name);
      flushAndReply(c, s);
    },
  ],
  ...(["replicas", "slaves"] as const).map(
    (name): Sub => [
      name,
      3,
      (c, s) => {
        const ri = masterOrError(c, s, c.argv[2]);
        if (ri) replyInstances(c, s, ri.slaves);
      },
    ],
  ),
  ["reset", 3, (c, s) => c.r.int(s.resetByPattern(str(c.argv[2])))],
  [
    "sentinels",
    3,
    (c, s) => {
      const ri = masterOrError(c, s, c.argv[2]);
      if (ri) replyInstances(c, s, ri.sentinels);
    },
  ],
  ["set", -5, sentinelSet],
  ["simulate-failure", -3, simulateFailure],
];

const docs = (summary: string) => ({ group: "sentinel", since: "2.8.4", summary, complexity: "O(1)" }) as CommandDef["docs"];

const sentinelCommand: CommandDef = {
  name: "sentinel",
  arity: -2,
  flags: "",
  handler: (c) => c.r.error(subcommandSyntaxError(c)),
  docs: docs("A container for Redis Sentinel commands."),
  subcommands: SUBCOMMANDS.map(([name, arity, run, flags]) => ({
    name,
    arity,
    flags: flags ?? "admin",
    acl: "",
    handler: (c: Ctx) => run(c, sentinelOf(c.server)),
    docs: docs(`SENTINEL ${name.toUpperCase()}`),
  })),
};

/** INFO with the sections a sentinel has (server, clients, cpu, stats) and its own Sentinel section; a plain bulk, as Redis's. */
function sentinelInfo(c: Ctx): void {
  const s = sentinelOf(c.server);
  const SECTIONS = ["server", "clients", "cpu", "stats", "sentinel"];
  const args = c.argv.slice(1).map((a) => str(a).toLowerCase());
  let all = args.length === 0;
  const wanted = new Set<string>();
  for (const a of args) {
    if (a === "all" || a === "default" || a === "everything") all = true;
    else if (SECTIONS.includes(a)) wanted.add(a);
  }
  const sections = all ? SECTIONS : SECTIONS.filter((x) => wanted.has(x));
  const common = sections.filter((x) => x !== "sentinel");
  let info = common.length ? infoText(c.server, common) : "";
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
  c.r.bulk(info);
}

const OWN: CommandDef[] = [
  sentinelCommand,
  { name: "info", arity: -1, flags: "loading stale", acl: "slow dangerous", handler: sentinelInfo },
  {
    name: "role",
    arity: 1,
    flags: "noscript loading stale fast",
    acl: "admin dangerous",
    handler: (c) => {
      const s = sentinelOf(c.server);
      c.r.array(2);
      c.r.bulk("sentinel");
      c.r.array(s.masters.size);
      for (const m of s.masters.values()) c.r.bulk(m.name);
    },
  },
  {
    name: "publish",
    arity: 3,
    flags: "pubsub loading stale fast may_replicate",
    acl: "",
    handler: (c) => {
      if (str(c.argv[1]) !== HELLO_CHANNEL) return c.r.error("ERR Only HELLO messages are accepted by Sentinel instances.");
      processHello(sentinelOf(c.server), str(c.argv[2]));
      c.r.int(1);
    },
  },
  {
    name: "shutdown",
    arity: -1,
    flags: "admin noscript loading stale no_multi allow_busy",
    acl: "admin slow dangerous",
    handler: (c) => {
      // A sentinel has no dataset: SHUTDOWN never saves (Redis forces NOSAVE in sentinel mode).
      for (const a of c.argv.slice(1)) {
        if (!["nosave", "save", "now", "force", "abort"].includes(str(a).toLowerCase())) return c.r.error("ERR syntax error");
      }
      if (c.argv.some((a) => str(a).toLowerCase() === "abort")) return c.r.error("ERR No shutdown in progress.");
      c.server.shutdown();
    },
  },
];

/** Commands a sentinel takes from Redis's table as they are. */
const SHARED = ["acl", "auth", "client", "command", "hello", "ping", "psubscribe", "punsubscribe", "subscribe", "unsubscribe"];

/** Subcommands of those that Redis 7.2 does not flag SENTINEL. */
const NOT_IN_SENTINEL: Record<string, string[]> = { client: ["no-touch"] };

/** Replaces the server's command table with a sentinel's. */
export function installSentinelCommands(server: Server): void {
  const keep = new Map<string, CommandSpec>();
  for (const name of SHARED) {
    const spec = server.commands.get(name);
    if (!spec) continue;
    const drop = NOT_IN_SENTINEL[name];
    // A copy without the subcommands Redis's sentinel lacks (those not flagged SENTINEL).
    if (drop && spec.subcommands) keep.set(name, { ...spec, subcommands: new Map([...spec.subcommands].filter(([k]) => !drop.includes(k))) });
    else keep.set(name, spec);
  }
  server.commands.clear();
  for (const [k, v] of keep) server.commands.set(k, v);
  for (const def of OWN) server.commands.set(def.name, specOf(def));
  server.commandNames = null;
}
