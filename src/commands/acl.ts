/** ACL: users and their permissions (Redis 7.2's aclCommand); the state is src/acl. */
import { randomHex } from "../server/node-builtins.js";
import type { CommandDef, Ctx } from "./types.js";
import { NOT_INT, wrongArity } from "./errors.js";
import { replyHelp } from "./help.js";
import { parseI64 } from "../protocol/numbers.js";
import { USER_FLAGS } from "../acl/user.js";
import { CATEGORIES, type Selector } from "../acl/selector.js";
import { checkCommand, denialMessage } from "../acl/check.js";
import { subcommandSyntaxError } from "./help.js";
import type { CommandSpec } from "./types.js";
import type { Server } from "../server/server.js";
import { aclFile, loadAclFile, saveAclFile } from "../acl/file.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");
const ERR = (s: string) => ["ERR ", latin1(s)] as const;

function setuser(c: Ctx): void {
  const name = c.argv[2].toString("latin1");
  if (!c.server.auth.validName(name)) return c.r.error("ERR Usernames can't contain spaces or null characters");
  const err = c.server.auth.setUser(name, c.argv.slice(3).map((a) => a.toString("latin1")));
  if (err !== null) return c.r.error(ERR(err));
  c.r.ok();
}

function deluser(c: Ctx): void {
  const names = c.argv.slice(2).map((a) => a.toString("latin1"));
  if (names.includes("default")) return c.r.error("ERR The 'default' user cannot be removed");
  let deleted = 0;
  for (const n of names) if (c.server.auth.deleteUser(n, c.client)) deleted++;
  c.r.int(deleted);
}

function replySelector(c: Ctx, s: Selector): void {
  c.r.bulk("commands");
  c.r.bulk(latin1(s.commandRules()));
  c.r.bulk("keys");
  c.r.bulk(latin1(s.keysField()));
  c.r.bulk("channels");
  c.r.bulk(latin1(s.channelsField()));
}

function getuser(c: Ctx): void {
  const u = c.server.auth.users.get(c.argv[2].toString("latin1"));
  if (!u) return c.r.nil();
  const r = c.r;
  r.map(6);
  r.bulk("flags");
  const flags = USER_FLAGS.filter((f) => u.flags.has(f));
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk("passwords");
  r.array(u.passwords.length);
  for (const p of u.passwords) r.bulk(p);
  replySelector(c, u.root);
  r.bulk("selectors");
  r.array(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    r.map(3);
    replySelector(c, s);
  }
}

function list(c: Ctx, namesOnly: boolean): void {
  const users = c.server.auth.sortedUsers();
  c.r.array(users.length);
  for (const u of users) c.r.bulk(latin1(namesOnly ? u.name : `user ${u.name} ${u.describe()}`));
}

function cat(c: Ctx): void {
  if (c.argv.length > 3) return c.r.error(subcommandSyntaxError(c));
  if (c.argv.length === 2) return c.r.bulks(CATEGORIES);
  const want = c.argv[2].toString("latin1").toLowerCase();
  if (!CATEGORIES.includes(want)) return c.r.error(["ERR Unknown category '", c.argv[2].subarray(0, 128), "'"]);
  const names: string[] = [];
  for (const spec of c.server.commands.values()) {
    if (spec.acl.includes(want)) names.push(spec.name);
    if (spec.subcommands) for (const sub of spec.subcommands.values()) if (sub.acl.includes(want)) names.push(sub.name);
  }
  c.r.bulks(names);
}

function genpass(c: Ctx): void {
  if (c.argv.length > 3) return c.r.error(subcommandSyntaxError(c));
  let bits = 256;
  if (c.argv.length === 3) {
    const n = parseI64(c.argv[2]);
    if (n === null) return c.r.error(NOT_INT);
    bits = n;
  }
  if (bits <= 0 || bits > 4096) {
    return c.r.error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
  }
  const chars = Math.floor((bits + 3) / 4);
  c.r.bulk(randomHex(Math.ceil(chars / 2)).slice(0, chars));
}

function log(c: Ctx): void {
  if (c.argv.length > 3) return c.r.error(subcommandSyntaxError(c));
  const acl = c.server.auth;
  let count = 10;
  if (c.argv.length === 3) {
    if (c.argv[2].toString("latin1").toLowerCase() === "reset") {
      acl.log = [];
      return c.r.ok();
    }
    const n = parseI64(c.argv[2]);
    if (n === null) return c.r.error(NOT_INT);
    count = Math.max(n, 0);
  }
  const entries = acl.log.slice(0, count);
  const now = Date.now();
  const r = c.r;
  r.array(entries.length);
  for (const e of entries) {
    r.map(10);
    r.bulk("count");
    r.int(e.count);
    r.bulk("reason");
    r.bulk(acl.reasonName(e.reason));
    r.bulk("context");
    r.bulk(e.context);
    r.bulk("object");
    r.bulk(latin1(e.object));
    r.bulk("username");
    r.bulk(latin1(e.username));
    r.bulk("age-seconds");
    r.double((now - e.ctime) / 1000);
    r.bulk("client-info");
    r.bulk(latin1(e.cinfo));
    r.bulk("entry-id");
    r.int(e.entryId);
    r.bulk("timestamp-created");
    r.int(e.created);
    r.bulk("timestamp-last-updated");
    r.int(e.ctime);
  }
}

/** Redis's lookupCommand over an argv: a container called with arguments names its subcommand. */
function resolveCommand(server: Server, argv: Buffer[]): CommandSpec | undefined {
  const base = server.commands.get(argv[0].toString("latin1").toLowerCase());
  if (!base || argv.length === 1 || !base.subcommands) return base;
  return base.subcommands.get(argv[1].toString("latin1").toLowerCase());
}

function dryrun(c: Ctx): void {
  const u = c.server.auth.users.get(c.argv[2].toString("latin1"));
  if (!u) return c.r.error(["ERR User '", c.argv[2], "' not found"]);
  const argv = c.argv.slice(3);
  const spec = resolveCommand(c.server, argv);
  if (!spec) return c.r.error(["ERR Command '", c.argv[3], "' not found"]);
  if ((spec.arity > 0 && spec.arity !== argv.length) || argv.length < -spec.arity) return c.r.error(wrongArity(spec.name));
  const d = checkCommand(u, spec, argv);
  if (d === null) return c.r.ok();
  c.r.bulk(latin1(denialMessage(d, u, spec, argv, true)));
}

const NO_FILE =
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

function load(c: Ctx): void {
  const file = aclFile(c.server);
  if (file === "") return c.r.error(NO_FILE);
  const err = loadAclFile(c.server, c.server.auth, file, c.client);
  if (err !== null) return c.r.error(ERR(err));
  c.r.ok();
}

function save(c: Ctx): void {
  const file = aclFile(c.server);
  if (file === "") return c.r.error(NO_FILE);
  if (!saveAclFile(c.server, file)) return c.r.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
  c.r.ok();
}

const HELP = [
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
];

const ADMIN = "admin noscript loading stale sentinel";
const ADMIN_ACL = "admin slow dangerous";
const ALL_NODES = "request_policy:all_nodes response_policy:all_succeeded";

export const aclCommands: CommandDef[] = [
  {
    name: "acl",
    arity: -2,
    flags: "sentinel",
    handler: () => {},
    subcommands: [
      { name: "cat", arity: -2, flags: "noscript loading stale sentinel", acl: "slow", handler: cat },
      { name: "deluser", arity: -3, flags: ADMIN, acl: ADMIN_ACL, tips: ALL_NODES, handler: deluser },
      { name: "dryrun", arity: -4, flags: ADMIN, acl: ADMIN_ACL, handler: dryrun },
      { name: "genpass", arity: -2, flags: "noscript loading stale sentinel", acl: "slow", handler: genpass },
      { name: "getuser", arity: 3, flags: ADMIN, acl: ADMIN_ACL, handler: getuser },
      { name: "help", arity: 2, flags: "loading stale sentinel", acl: "slow", handler: (c) => replyHelp(c, HELP) },
      { name: "list", arity: 2, flags: ADMIN, acl: ADMIN_ACL, handler: (c) => list(c, false) },
      { name: "load", arity: 2, flags: ADMIN, acl: ADMIN_ACL, handler: load },
      { name: "log", arity: -2, flags: ADMIN, acl: ADMIN_ACL, handler: log },
      { name: "save", arity: 2, flags: ADMIN, acl: ADMIN_ACL, tips: ALL_NODES, handler: save },
      { name: "setuser", arity: -3, flags: ADMIN, acl: ADMIN_ACL, tips: ALL_NODES, handler: setuser },
      { name: "users", arity: 2, flags: ADMIN, acl: ADMIN_ACL, handler: (c) => list(c, true) },
      {
        name: "whoami",
        arity: 2,
        flags: "noscript loading stale sentinel",
        acl: "slow",
        handler: (c) => c.r.bulk(latin1(c.client.user.name)),
      },
    ],
  },
];
