/** CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the configuration table. */
import type { CommandDef, Ctx } from "./types.js";
import { SYNTAX } from "./errors.js";
import { replyHelp } from "./help.js";
import { resetStats } from "./introspection.js";
import { keys } from "../engine/index.js";
import { allNames, findParam, type Param } from "../config/table.js";
import { rewriteConfig } from "../config/rewrite.js";
import { strerror } from "../config/special.js";
import { isLocalSocket } from "../server/protected-mode.js";

const ADMIN = "admin noscript loading stale";
const ADMIN_ACL = "admin slow dangerous";

const HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

const latin1 = (b: Buffer) => b.toString("latin1");

/** CONFIG GET: exact names as typed (hidden ones too), patterns over every name and alias. */
function configGet(c: Ctx): void {
  // Keyed case-insensitively, as Redis's result dict: the first spelling wins.
  const matches = new Map<string, [string, Param]>();
  for (let i = 2; i < c.argv.length; i++) {
    const arg = c.argv[i];
    const name = latin1(arg);
    if (!/[[*?]/.test(name)) {
      if (matches.has(name.toLowerCase())) continue;
      const p = findParam(name);
      if (p) matches.set(name.toLowerCase(), [name, p]);
      continue;
    }
    for (const [n, p] of allNames()) {
      if (p.hidden || matches.has(n)) continue;
      if (keys.globMatch(arg, Buffer.from(n, "latin1"), true)) matches.set(n, [n, p]);
    }
  }
  const config = c.server.config;
  c.r.map(matches.size);
  for (const [name, p] of matches.values()) {
    c.r.bulk(Buffer.from(name, "latin1"));
    c.r.bulk(Buffer.from(config.valueOf(p), "latin1"));
  }
}

function configSet(c: Ctx): void {
  if (c.argv.length % 2 === 1) return c.r.error(SYNTAX);
  const pairs: [string, string][] = [];
  for (let i = 2; i < c.argv.length; i += 2) pairs.push([latin1(c.argv[i]), latin1(c.argv[i + 1])]);
  const loading = c.server.loading || c.server.replLoading !== null;
  const err = c.server.config.setMany(pairs, { local: isLocalSocket(c.client.socket), loading });
  // Names are latin1 strings of the client's bytes: written back as those bytes.
  if (err) return c.r.error([Buffer.from(err, "latin1")]);
  c.r.ok();
}

function configRewrite(c: Ctx): void {
  const config = c.server.config;
  if (!config.file) return c.r.error("ERR The server is running without a config file");
  try {
    rewriteConfig(config);
  } catch (e) {
    const why = strerror(e);
    c.server.log.warning(`CONFIG REWRITE failed: ${why}`);
    return c.r.error(`ERR Rewriting config file: ${why}`);
  }
  c.server.log.notice("CONFIG REWRITE executed with success.");
  c.r.ok();
}

export const configCommands: CommandDef[] = [
  {
    name: "config",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "get",
        arity: -3,
        flags: ADMIN,
        acl: ADMIN_ACL,
        handler: configGet,
      },
      {
        name: "set",
        arity: -4,
        flags: ADMIN,
        acl: ADMIN_ACL,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: configSet,
      },
      {
        name: "resetstat",
        arity: 2,
        flags: ADMIN,
        acl: ADMIN_ACL,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: (c) => {
          resetStats(c.server);
          c.r.ok();
        },
      },
      {
        name: "rewrite",
        arity: 2,
        flags: ADMIN,
        acl: ADMIN_ACL,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: configRewrite,
      },
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        acl: "slow",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];
