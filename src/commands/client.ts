/** CLIENT and its subcommands: connection introspection and management. */
import type { CommandDef, Ctx } from "./types.js";
import { NOT_INT, SYNTAX, echo } from "./errors.js";
import { subcommandSyntaxError } from "./help.js";
import { parseI64 } from "../protocol/numbers.js";
import { clientCachingCommand, clientGetredirCommand, clientTrackingCommand, clientTrackinginfoCommand } from "../tracking/commands.js";
import { REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT, validClientAttr, type Client, type ClientType } from "../server/client.js";
import { featuresMemory } from "../server/client-eviction.js";

export const INVALID_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

const HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are:",
  "    * LIB-NAME: the client lib name.",
  "    * LIB-VER: the client lib version.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "NO-TOUCH (ON|OFF)",
  "    Will not touch LRU/LFU stats when this mode is on.",
  "HELP",
  "    Print this help.",
];

const word = (b: Buffer) => b.toString("latin1").toLowerCase();

/** Redis's getClientTypeByName. */
function clientType(b: Buffer): ClientType | null {
  switch (word(b)) {
    case "normal":
      return "normal";
    case "slave":
    case "replica":
      return "slave";
    case "pubsub":
      return "pubsub";
    case "master":
      return "master";
    default:
      return null;
  }
}

function infoLine(c: Ctx, target: Client, now: number): string {
  return target.info(now, target === c.client, c.argv, featuresMemory(c.server, target)) + "\n";
}

/** ON|OFF for a boolean client setting, or a syntax error (null). */
function onOff(b: Buffer): boolean | null {
  const w = word(b);
  return w === "on" ? true : w === "off" ? false : null;
}

function list(c: Ctx): void {
  const { argv, r, server } = c;
  server.readArrivedInput(c.client);
  const now = Date.now();
  let out = "";
  if (argv.length === 4 && word(argv[2]) === "type") {
    const type = clientType(argv[3]);
    if (!type) return r.error(echo`ERR Unknown client type '${argv[3]}'`);
    for (const cl of server.clients.values()) if (cl.type() === type) out += infoLine(c, cl, now);
  } else if (argv.length > 3 && word(argv[2]) === "id") {
    for (let i = 3; i < argv.length; i++) {
      const id = parseI64(argv[i]);
      if (id === null) return r.error("ERR Invalid client ID");
      const cl = server.clients.get(id);
      if (cl) out += infoLine(c, cl, now);
    }
  } else if (argv.length !== 2) {
    return r.error(SYNTAX);
  } else {
    for (const cl of server.clients.values()) out += infoLine(c, cl, now);
  }
  r.verbatim(out);
}

/** CLIENT KILL addr | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a] [USER u] [SKIPME yes|no] [MAXAGE s] */
function kill(c: Ctx): void {
  const { argv, r, server } = c;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: ClientType | null = null;
  let id = 0;
  let maxAge = 0;
  let skipme = true;
  if (argv.length === 3) {
    addr = argv[2].toString("latin1");
    skipme = false; // the old form may kill the caller
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = word(argv[i]);
      const val = i + 1 < argv.length ? argv[i + 1] : null;
      if (val === null) return r.error(SYNTAX);
      if (opt === "id") {
        const n = parseI64(val);
        if (n === null || n < 1) return r.error("ERR client-id should be greater than 0");
        id = n;
      } else if (opt === "type") {
        type = clientType(val);
        if (!type) return r.error(echo`ERR Unknown client type '${val}'`);
      } else if (opt === "addr") {
        addr = val.toString("latin1");
      } else if (opt === "laddr") {
        laddr = val.toString("latin1");
      } else if (opt === "user") {
        user = val.toString("latin1");
        if (!server.auth.userExists(user)) return r.error(echo`ERR No such user '${val}'`);
      } else if (opt === "skipme") {
        const w = word(val);
        if (w !== "yes" && w !== "no") return r.error(SYNTAX);
        skipme = w === "yes";
      } else if (opt === "maxage") {
        const n = parseI64(val);
        if (n === null) return r.error(NOT_INT);
        maxAge = n;
      } else return r.error(SYNTAX);
    }
  }
  const now = Date.now();
  const victims: Client[] = [];
  for (const cl of server.clients.values()) {
    if (addr !== null && cl.addr !== addr) continue;
    if (laddr !== null && cl.laddr !== laddr) continue;
    if (type !== null && cl.type() !== type) continue;
    if (id !== 0 && cl.id !== id) continue;
    if (user !== null && cl.user.name !== user) continue;
    if (maxAge !== 0 && Math.floor((now - cl.createdAt) / 1000) < maxAge) continue;
    if (cl === c.client && skipme) continue;
    victims.push(cl);
  }
  for (const v of victims) server.killClient(v, c.client);
  if (argv.length === 3) {
    if (victims.length === 0) r.error("ERR No such client");
    else r.ok();
  } else r.int(victims.length);
}

function pause(c: Ctx): void {
  const { argv, r } = c;
  let all = true;
  if (argv.length === 4) {
    const mode = word(argv[3]);
    if (mode === "write") all = false;
    else if (mode !== "all") return r.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
  }
  const ms = parseI64(argv[2]);
  if (ms === null) return r.error("ERR timeout is not an integer or out of range");
  if (ms < 0) return r.error("ERR timeout is negative");
  c.server.pause(ms > 0 ? Date.now() + ms : 0, all);
  r.ok();
}


/** A CLIENT subcommand (its group and docs come from the docs data, commands/docs). */
const sub = (def: CommandDef): CommandDef => def;

/** CLIENT's subcommands (TRACKING, CACHING, GETREDIR and TRACKINGINFO are handled in src/tracking). */
export const clientSubcommands: CommandDef[] = [
  sub({
    name: "help",
    arity: 2,
    flags: "loading stale",
    acl: "slow connection",
    handler: (c) => {
      c.r.array(HELP.length);
      for (const line of HELP) c.r.simple(line);
    },
  }),
  sub({
    name: "id",
    arity: 2,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: (c) => c.r.int(c.client.id),
  }),
  sub({
    name: "info",
    arity: 2,
    flags: "noscript loading stale",
    acl: "slow connection",
    tips: "nondeterministic_output",
    handler: (c) => c.r.verbatim(infoLine(c, c.client, Date.now())),
  }),
  sub({
    name: "list",
    arity: -2,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    tips: "nondeterministic_output",
    handler: list,
  }),
  sub({
    name: "kill",
    arity: -3,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    handler: kill,
  }),
  sub({
    name: "setname",
    arity: 3,
    flags: "noscript loading stale",
    acl: "slow connection",
    tips: "request_policy:all_nodes response_policy:all_succeeded",
    handler: (c) => {
      if (!validClientAttr(c.argv[2])) return c.r.error(INVALID_NAME);
      c.client.name = c.argv[2].toString("latin1");
      c.r.ok();
    },
  }),
  sub({
    name: "getname",
    arity: 2,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: (c) => (c.client.name === "" ? c.r.nil() : c.r.bulk(Buffer.from(c.client.name, "latin1"))),
  }),
  sub({
    name: "setinfo",
    arity: 4,
    flags: "noscript loading stale",
    acl: "slow connection",
    tips: "request_policy:all_nodes response_policy:all_succeeded",
    handler: (c) => {
      const attr = c.argv[2].toString("latin1");
      const which = attr.toLowerCase();
      if (which !== "lib-name" && which !== "lib-ver") return c.r.error(echo`ERR Unrecognized option '${c.argv[2]}'`);
      if (!validClientAttr(c.argv[3])) {
        return c.r.error(echo`ERR ${c.argv[2]} cannot contain spaces, newlines or special characters.`);
      }
      const v = c.argv[3].toString("latin1");
      if (which === "lib-name") c.client.libName = v;
      else c.client.libVer = v;
      c.r.ok();
    },
  }),
  sub({
    name: "reply",
    arity: 3,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: (c) => {
      const cl = c.client;
      const mode = word(c.argv[2]);
      if (mode === "on") {
        cl.replyFlags &= ~(REPLY_OFF | REPLY_SKIP);
        c.r.ok();
      } else if (mode === "off") cl.replyFlags |= REPLY_OFF;
      else if (mode === "skip") {
        if (!(cl.replyFlags & REPLY_OFF)) cl.replyFlags |= REPLY_SKIP_NEXT;
      } else c.r.error(SYNTAX);
    },
  }),
  sub({
    name: "no-evict",
    arity: 3,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    handler: (c) => {
      const on = onOff(c.argv[2]);
      if (on === null) return c.r.error(SYNTAX);
      c.client.noEvict = on;
      c.r.ok();
    },
  }),
  sub({
    name: "no-touch",
    arity: 3,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: (c) => {
      const on = onOff(c.argv[2]);
      if (on === null) return c.r.error(SYNTAX);
      c.client.noTouch = on;
      c.r.ok();
    },
  }),
  sub({
    name: "pause",
    arity: -3,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    handler: (c) => {
      if (c.argv.length > 4) {
        return c.r.error(subcommandSyntaxError(c));
      }
      pause(c);
    },
  }),
  sub({
    name: "unpause",
    arity: 2,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    handler: (c) => {
      c.server.unpause();
      c.r.ok();
    },
  }),
  sub({
    name: "unblock",
    arity: -3,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous connection",
    handler: (c) => {
      const { argv, r } = c;
      if (argv.length > 4) {
        return r.error(subcommandSyntaxError(c));
      }
      let withError = false;
      if (argv.length === 4) {
        const how = word(argv[3]);
        if (how === "error") withError = true;
        else if (how !== "timeout") return r.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
      const id = parseI64(argv[2]);
      if (id === null) return r.error(NOT_INT);
      const target = c.server.clients.get(id);
      if (target && target.blocked && target.unblock) {
        target.unblock(withError);
        r.int(1);
      } else r.int(0);
    },
  }),
  sub({
    name: "tracking",
    arity: -3,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: clientTrackingCommand,
  }),
  sub({
    name: "caching",
    arity: 3,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: clientCachingCommand,
  }),
  sub({
    name: "getredir",
    arity: 2,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: clientGetredirCommand,
  }),
  sub({
    name: "trackinginfo",
    arity: 2,
    flags: "noscript loading stale",
    acl: "slow connection",
    handler: clientTrackinginfoCommand,
  }),
];

export const clientCommand: CommandDef = {
  name: "client",
  arity: -2,
  flags: "",
  handler: () => {},
  subcommands: clientSubcommands,
};
