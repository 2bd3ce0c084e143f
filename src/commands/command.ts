/** COMMAND: the command table as Redis 7.2 describes it (server.c commandCommand and friends). */
import { docsOf, type CommandDef, type CommandSpec, type Ctx, type DocArg, type KeySpec } from "./types.js";
import type { Reply } from "../protocol/reply.js";
import { SYNTAX } from "./errors.js";
import { replyHelp } from "./help.js";
import { findCommand } from "./lookup.js";
import { keys as engineKeys } from "../engine/index.js";

/** The flags COMMAND shows, in Redis's order (may_replicate, sentinel, protected... are hidden). */
const SHOWN_FLAGS = [
  "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading", "stale",
  "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys", "no_async_loading",
  "no_multi", "movablekeys", "allow_busy",
];

/** ACL categories in Redis's order (ACLCommandCategories). */
export const ACL_CATEGORIES = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
  "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
];

const KEY_FLAGS = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

function ordered(have: string[], order: string[]): string[] {
  return order.filter((f) => have.includes(f));
}

function statusSet(r: Reply, items: string[]): void {
  r.set(items.length);
  for (const i of items) r.simple(i);
}

/** The legacy (first, last, step) Redis computes from the first range key spec. */
function legacyRange(spec: CommandSpec): [number, number, number] {
  if (spec.firstKey > 0 || spec.keySpecs.length === 0) return [spec.firstKey, spec.lastKey, spec.step];
  const ks = spec.keySpecs[0];
  if (ks.begin === "unknown" || !("index" in ks.begin) || ks.find === "unknown" || !("lastkey" in ks.find)) return [0, 0, 0];
  const first = ks.begin.index;
  const last = ks.find.lastkey >= 0 ? ks.find.lastkey + first : ks.find.lastkey;
  return [first, last, ks.find.keystep];
}

function replyKeySpecs(r: Reply, specs: KeySpec[]): void {
  r.set(specs.length);
  for (const ks of specs) {
    r.map(ks.notes ? 4 : 3);
    if (ks.notes) {
      r.bulk("notes");
      r.bulk(ks.notes);
    }
    r.bulk("flags");
    statusSet(r, ordered(ks.flags, KEY_FLAGS));
    r.bulk("begin_search");
    const b = ks.begin;
    if (b === "unknown") typedSpec(r, "unknown", []);
    else if ("index" in b) typedSpec(r, "index", [["index", b.index]]);
    else typedSpec(r, "keyword", [["keyword", b.keyword], ["startfrom", b.startfrom]]);
    r.bulk("find_keys");
    const f = ks.find;
    if (f === "unknown") typedSpec(r, "unknown", []);
    else if ("lastkey" in f) typedSpec(r, "range", [["lastkey", f.lastkey], ["keystep", f.keystep], ["limit", f.limit]]);
    else typedSpec(r, "keynum", [["keynumidx", f.keynumidx], ["firstkey", f.firstkey], ["keystep", f.keystep]]);
  }
}

/** A key spec part as Redis replies it: {type: <type>, spec: {<fields>}} (strings as bulks, numbers as integers). */
function typedSpec(r: Reply, type: string, fields: [string, string | number][]): void {
  r.map(2);
  r.bulk("type");
  r.bulk(type);
  r.bulk("spec");
  r.map(fields.length);
  for (const [name, value] of fields) {
    r.bulk(name);
    if (typeof value === "number") r.int(value);
    else r.bulk(value);
  }
}

/** Keys that a plain range cannot find (Redis's populateCommandMovableKeys). */
function isMovable(spec: CommandSpec): boolean {
  if (spec.getKeys) return true;
  return spec.keySpecs.some((ks) => ks.begin === "unknown" || !("index" in ks.begin) || ks.find === "unknown" || !("lastkey" in ks.find));
}

/** One COMMAND / COMMAND INFO entry: the 10 elements of Redis 7.2. */
export function replyCommandInfo(r: Reply, spec: CommandSpec | undefined): void {
  if (!spec) return r.nil(); // addReplyNull: $-1 in RESP2
  const [first, last, step] = legacyRange(spec);
  r.array(10);
  r.bulk(spec.name);
  r.int(spec.arity);
  statusSet(r, ordered(isMovable(spec) ? [...spec.flags, "movablekeys"] : spec.flags, SHOWN_FLAGS));
  r.int(first);
  r.int(last);
  r.int(step);
  statusSet(r, ordered(spec.acl, ACL_CATEGORIES).map((c) => "@" + c));
  const tips = spec.tips ?? [];
  r.set(tips.length);
  for (const t of tips) r.bulk(t);
  replyKeySpecs(r, spec.keySpecs);
  const subs = spec.subcommands ? [...spec.subcommands.values()] : [];
  if (!spec.subcommands) r.set(0);
  else {
    r.array(subs.length);
    for (const s of subs) replyCommandInfo(r, s);
  }
}

/** Arguments as Redis's addReplyCommandArgList: a map each, fields in its order, display_text defaulting to the name. */
function replyArgs(r: Reply, args: DocArg[]): void {
  r.array(args.length);
  for (const a of args) {
    const nested = a.type === "oneof" || a.type === "block";
    r.map(
      3 + // name, type, and display_text or arguments
        (a.keySpecIndex !== undefined ? 1 : 0) +
        (a.token !== undefined ? 1 : 0) + // MIGRATE's empty-string token is "" and still shown
        (a.summary ? 1 : 0) +
        (a.since ? 1 : 0) +
        (a.deprecatedSince ? 1 : 0) +
        (a.flags?.length ? 1 : 0),
    );
    r.bulk("name");
    r.bulk(a.name);
    r.bulk("type");
    r.bulk(a.type);
    if (!nested) {
      r.bulk("display_text");
      r.bulk(a.displayText ?? a.name);
    }
    if (a.keySpecIndex !== undefined) {
      r.bulk("key_spec_index");
      r.int(a.keySpecIndex);
    }
    if (a.token !== undefined) {
      r.bulk("token");
      r.bulk(a.token);
    }
    optionalBulk(r, "summary", a.summary);
    optionalBulk(r, "since", a.since);
    optionalBulk(r, "deprecated_since", a.deprecatedSince);
    if (a.flags?.length) {
      r.bulk("flags");
      statusSet(r, ordered(a.flags, ["optional", "multiple", "multiple_token"]));
    }
    if (nested) {
      r.bulk("arguments");
      replyArgs(r, a.arguments ?? []);
    }
  }
}

function optionalBulk(r: Reply, name: string, value: string | undefined): void {
  if (!value) return;
  r.bulk(name);
  r.bulk(value);
}

/** One COMMAND DOCS value, as Redis's addReplyCommandDocs: a map of the fields the command has. */
function replyDocs(r: Reply, spec: CommandSpec): void {
  const d = docsOf(spec);
  r.map(
    1 + // group, always there
      (d.summary ? 1 : 0) +
      (d.since ? 1 : 0) +
      (d.complexity ? 1 : 0) +
      (d.docFlags?.length ? 1 : 0) +
      (d.deprecatedSince ? 1 : 0) +
      (d.replacedBy ? 1 : 0) +
      (d.history ? 1 : 0) +
      (d.args ? 1 : 0) +
      (spec.subcommands ? 1 : 0),
  );
  optionalBulk(r, "summary", d.summary);
  optionalBulk(r, "since", d.since);
  r.bulk("group");
  r.bulk(d.group);
  optionalBulk(r, "complexity", d.complexity);
  if (d.docFlags?.length) {
    r.bulk("doc_flags");
    statusSet(r, ordered(d.docFlags, ["deprecated", "syscmd"]));
  }
  optionalBulk(r, "deprecated_since", d.deprecatedSince);
  optionalBulk(r, "replaced_by", d.replacedBy);
  if (d.history) {
    r.bulk("history");
    r.set(d.history.length);
    for (const [since, change] of d.history) r.bulks([since, change]);
  }
  if (d.args) {
    r.bulk("arguments");
    replyArgs(r, d.args);
  }
  if (spec.subcommands) {
    r.bulk("subcommands");
    r.map(spec.subcommands.size);
    for (const s of spec.subcommands.values()) {
      r.bulk(s.name);
      replyDocs(r, s);
    }
  }
}

/** Positions (in argv, name at 0) of the keys of a command, with each key's flags; null when the specs cannot say. */
export function commandKeys(spec: CommandSpec, argv: Buffer[]): { pos: number; flags: string[] }[] | null {
  if (spec.getKeys) {
    const flags = spec.keySpecs[0]?.flags ?? [];
    return spec.getKeys(argv).map((k) => (typeof k === "number" ? { pos: k, flags } : k));
  }
  const out: { pos: number; flags: string[] }[] = [];
  const argc = argv.length;
  for (const ks of spec.keySpecs) {
    let first: number;
    if (ks.begin === "unknown") return null;
    if ("index" in ks.begin) first = ks.begin.index;
    else {
      const kw = ks.begin.keyword.toLowerCase();
      const from = ks.begin.startfrom;
      first = -1;
      if (from >= 0) {
        for (let i = from; i < argc; i++) if (argv[i].toString("latin1").toLowerCase() === kw) { first = i + 1; break; }
      } else {
        for (let i = argc + from; i > 0; i--) if (argv[i].toString("latin1").toLowerCase() === kw) { first = i + 1; break; }
      }
      if (first < 0) continue;
    }
    if (ks.find === "unknown") return null;
    let last: number;
    let step: number;
    if ("lastkey" in ks.find) {
      step = ks.find.keystep;
      if (ks.find.lastkey >= 0) last = first + ks.find.lastkey;
      else if (ks.find.limit > 1) last = first + Math.floor((argc - 1 - first) / ks.find.limit);
      else last = argc + ks.find.lastkey;
    } else {
      const idx = first + ks.find.keynumidx;
      if (idx >= argc) return null;
      const n = Number(argv[idx].toString("latin1"));
      if (!Number.isInteger(n) || n < 0) return null;
      step = ks.find.keystep;
      first = idx + ks.find.firstkey - ks.find.keynumidx;
      last = first + (n - 1) * step;
    }
    if (last >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: ks.flags });
  }
  if (spec.keyFlagsOf) {
    const flags = spec.keyFlagsOf(argv);
    for (const k of out) k.flags = flags;
  }
  return out;
}

function getKeys(c: Ctx, withFlags: boolean): void {
  const argv = c.argv.slice(2);
  const name = argv[0].toString("latin1").toLowerCase();
  let spec = c.server.commands.get(name);
  if (spec?.subcommands) spec = argv.length > 1 ? spec.subcommands.get(argv[1].toString("latin1").toLowerCase()) : undefined;
  if (!spec) return c.r.error("ERR Invalid command specified");
  const movable = spec.flags.includes("movablekeys") || isMovable(spec);
  // Specs marked not_key (shard channels) are not keys to GETKEYS.
  if (spec.keySpecs.every((ks) => ks.flags.includes("not_key")) && !movable) return c.r.error("ERR The command has no key arguments");
  if ((spec.arity > 0 && spec.arity !== argv.length) || argv.length < -spec.arity) {
    return c.r.error("ERR Invalid number of arguments specified for command");
  }
  const found = commandKeys(spec, argv);
  if (!found || found.length === 0) {
    if (spec.flags.includes("no_mandatory_keys") && found) return c.r.array(0);
    return c.r.error("ERR Invalid arguments specified for command");
  }
  c.r.array(found.length);
  for (const k of found) {
    if (!withFlags) c.r.bulk(argv[k.pos]);
    else {
      c.r.array(2);
      c.r.bulk(argv[k.pos]);
      statusSet(c.r, ordered(k.flags, KEY_FLAGS));
    }
  }
}

function allCommands(c: Ctx): CommandSpec[] {
  return [...c.server.commands.values()];
}

const HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

const META = { flags: "loading stale", acl: "slow connection" };

function replyAll(c: Ctx): void {
  const cmds = allCommands(c);
  c.r.array(cmds.length);
  for (const s of cmds) replyCommandInfo(c.r, s);
}

export const commandCommands: CommandDef[] = [
  {
    name: "command",
    arity: -1,
    ...META,
    tips: "nondeterministic_output_order",
    // COMMAND alone answers the whole table; dispatch sends argv[1] to a subcommand.
    handler: replyAll,
    subcommands: [
      {
        name: "count",
        arity: 2,
        ...META,
        handler: (c) => c.r.int(c.server.commands.size),
      },
      {
        name: "list",
        arity: -2,
        ...META,
        tips: "nondeterministic_output_order",
        handler: (c) => {
          let filter: ((s: CommandSpec) => boolean) | null = null;
          for (let i = 2; i < c.argv.length; i++) {
            const more = c.argv.length - 1 - i;
            if (c.argv[i].toString("latin1").toLowerCase() !== "filterby" || more !== 2) return c.r.error(SYNTAX);
            const type = c.argv[i + 1].toString("latin1").toLowerCase();
            const arg = c.argv[i + 2];
            if (type === "module") filter = () => false;
            else if (type === "aclcat") {
              const cat = arg.toString("latin1").toLowerCase();
              filter = (s) => s.acl.includes(cat);
            } else if (type === "pattern") filter = (s) => engineKeys.globMatch(arg, Buffer.from(s.name), true);
            else return c.r.error(SYNTAX);
            i += 2;
          }
          const names: string[] = [];
          for (const s of allCommands(c)) {
            if (!filter || filter(s)) names.push(s.name);
            for (const sub of s.subcommands?.values() ?? []) if (!filter || filter(sub)) names.push(sub.name);
          }
          c.r.bulks(names);
        },
      },
      {
        name: "info",
        arity: -2,
        ...META,
        tips: "nondeterministic_output_order",
        handler: (c) => {
          if (c.argv.length === 2) return replyAll(c);
          c.r.array(c.argv.length - 2);
          for (const a of c.argv.slice(2)) replyCommandInfo(c.r, findCommand(c.server, a.toString("latin1")));
        },
      },
      {
        name: "docs",
        arity: -2,
        ...META,
        tips: "nondeterministic_output_order",
        handler: (c) => {
          const specs =
            c.argv.length === 2
              ? allCommands(c)
              : c.argv.slice(2).map((a) => findCommand(c.server, a.toString("latin1"))).filter((s): s is CommandSpec => !!s);
          c.r.map(specs.length);
          for (const s of specs) {
            c.r.bulk(s.name);
            replyDocs(c.r, s);
          }
        },
      },
      {
        name: "getkeys",
        arity: -3,
        ...META,
        handler: (c) => getKeys(c, false),
      },
      {
        name: "getkeysandflags",
        arity: -3,
        ...META,
        handler: (c) => getKeys(c, true),
      },
      {
        name: "help",
        arity: 2,
        ...META,
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];
