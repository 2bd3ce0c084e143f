/**
 * A sentinel's settings from its clients: SENTINEL SET (per master), SENTINEL
 * CONFIG GET/SET (the sentinel's own), SENTINEL DEBUG (the timing parameters).
 */
import { accessSync, constants } from "node:fs";
import type { Ctx } from "../commands/types.js";
import { keys } from "../engine/index.js";
import type { Instance } from "./instance.js";
import type { Sentinel, Timing } from "./state.js";
import { flushAndReply, int, masterOrError, str } from "./reply.js";

/** SENTINEL SET <master> <option> <value> ... */
export function sentinelSet(c: Ctx, s: Sentinel): void {
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

export function configSet(c: Ctx, s: Sentinel): void {
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

export function configGet(c: Ctx, s: Sentinel): void {
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

export function debug(c: Ctx, s: Sentinel): void {
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

