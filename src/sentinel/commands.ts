/**
 * A sentinel's command table: SENTINEL and its subcommands, the sentinel's own
 * INFO, ROLE, PUBLISH (hello messages only) and SHUTDOWN (never saves), and
 * the connection commands it shares with Redis (PING, AUTH, HELLO, CLIENT,
 * COMMAND, ACL, (P)(UN)SUBSCRIBE), as Redis 7.2 builds it from the commands
 * flagged SENTINEL. Data commands are unknown here.
 */
import net from "node:net";
import type { CommandDef, CommandSpec, Ctx } from "../commands/types.js";
import { command as specOf } from "../commands/types.js";
import type { Server } from "../server/server.js";
import { replyHelp, subcommandSyntaxError } from "../commands/help.js";
import { NOT_INT } from "../commands/errors.js";
import { SRI_FAILOVER_IN_PROGRESS, SRI_FORCE_FAILOVER, SRI_MASTER, SRI_O_DOWN, SRI_S_DOWN, HELLO_CHANNEL } from "./instance.js";
import { createError, SIMFAILURE_CRASH_AFTER_ELECTION, SIMFAILURE_CRASH_AFTER_PROMOTION, type Sentinel } from "./state.js";
import { processHello } from "./monitor.js";
import { resolveHost } from "./resolve.js";
import { flushAndReply, infoCache, int, masterOrError, pendingScripts, replyInstance, replyInstances, sentinelInfo, str } from "./reply.js";
import { configGet, configSet, debug, sentinelSet } from "./settings.js";
import { selectSlave, startFailover } from "./failover.js";

const sentinels = new WeakMap<Server, Sentinel>();
export function sentinelOf(server: Server): Sentinel {
  return sentinels.get(server)!;
}
export function bindSentinel(server: Server, s: Sentinel): void {
  sentinels.set(server, s);
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

const OWN: CommandDef[] = [
  sentinelCommand,
  { name: "info", arity: -1, flags: "loading stale", acl: "slow dangerous", handler: (c) => c.r.bulk(sentinelInfo(c.server, sentinelOf(c.server), c.argv.slice(1))) },
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
