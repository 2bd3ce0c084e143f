import type { Reply } from "../protocol/reply.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { CommandStat } from "../server/stats.js";
import type { Histogram } from "./histogram.js";
import { commandDocs, type CommandDoc } from "./docs/index.js";

export type { CommandDoc, DocArg } from "./docs/index.js";

/** What a handler gets: who asked, the arguments (argv[0] is the name), where to reply. */
export interface Ctx {
  client: Client;
  argv: Buffer[];
  r: Reply;
  server: Server;
  /** The database the client has selected. */
  db: number;
  /**
   * Whether the command propagates when it changed something (see
   * server/call.ts): its argv, or what the engine recorded in its place (its
   * deterministic rewrites: SET ... EX as SET ... PXAT, native/src/t_string.rs).
   * False: nothing of its own (EXEC: the commands it ran propagated themselves).
   */
  propagate: boolean;
  /**
   * Where it propagates even without a change (Redis's forceCommandPropagation):
   * PROPAGATE_AOF | PROPAGATE_REPL for FLUSHDB of an empty db, PROPAGATE_REPL for
   * PUBLISH (replicas only); 0: only a change propagates it.
   */
  forcePropagate: number;
  /** The error reply was counted already, by the command a script ran (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE). */
  noErrorStats: boolean;
}

export type Handler = (ctx: Ctx) => void;

/** `CommandSpec.bits`: the flags dispatch, MULTI, CLIENT PAUSE and the observers test per command. */
export const CMD_WRITE = 1;
export const CMD_MAY_REPLICATE = 2;
export const CMD_NO_AUTH = 4;
export const CMD_NO_MULTI = 8;
export const CMD_ADMIN = 16;
export const CMD_SKIP_MONITOR = 32;
export const CMD_SKIP_SLOWLOG = 64;
export const CMD_FAST = 128;
/** Allowed while the dataset loads (others get -LOADING). */
export const CMD_LOADING = 256;
const FLAG_BITS = new Map<string, number>([
  ["write", CMD_WRITE],
  ["may_replicate", CMD_MAY_REPLICATE],
  ["no_auth", CMD_NO_AUTH],
  ["no_multi", CMD_NO_MULTI],
  ["admin", CMD_ADMIN],
  ["skip_monitor", CMD_SKIP_MONITOR],
  ["skip_slowlog", CMD_SKIP_SLOWLOG],
  ["fast", CMD_FAST],
  ["loading", CMD_LOADING],
]);
/** What CLIENT PAUSE WRITE holds and what makes a transaction a writing one. */
export const CMD_WRITE_OR_MAY_REPLICATE = CMD_WRITE | CMD_MAY_REPLICATE;

/** The CMD_* bits of a flag list. */
export function flagBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) bits |= FLAG_BITS.get(f) ?? 0;
  return bits;
}

/** One command (or subcommand) of the table: everything dispatch, COMMAND and ACL need. */
export interface CommandSpec {
  /** This server's INFO commandstats record for the command, looked up once (dispatch fills it). */
  stat?: CommandStat;
  /** Lowercase name; subcommands are "parent|sub". */
  name: string;
  /** Redis arity: N exact, -N at least N (the name counts). */
  arity: number;
  /** Redis command flags: write, readonly, denyoom, admin, pubsub, noscript, blocking, loading, stale, skip_monitor, skip_slowlog, fast, no_auth, may_replicate, no_mandatory_keys, no_multi, allow_busy, ... */
  flags: string[];
  /** The flags the per-command path tests, as CMD_* bits (computed once from `flags`, not searched per command). */
  bits: number;
  /** Whether MULTI queues the command (1) or runs it at once (2); src/multi works it out on first sight (0). */
  inMulti: number;
  /** This server's latency histogram for the command (LATENCY HISTOGRAM), kept by introspection; null until it first runs. */
  latency: Histogram | null;
  /** Legacy key positions: first, last (-1: last argument), step. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without the '@'. */
  acl: string[];
  /** A command Redis 7.2 lacks: its definition's COMMAND DOCS (the others' are in commands/docs: `docsOf`). */
  ownDocs: CommandDoc | undefined;
  /** Redis's command tips (e.g. "nondeterministic_output"). */
  tips?: string[];
  handler: Handler;
  subcommands?: Map<string, CommandSpec>;
  /** Redis 7 key specs (COMMAND INFO, GETKEYS); derived from the legacy range when not given. */
  keySpecs: KeySpec[];
  /** Finds the keys of commands whose keys move (movablekeys) where the specs cannot: positions, or positions with their own flags. */
  getKeys?: (argv: Buffer[]) => (number | { pos: number; flags: string[] })[];
  /** The key flags for these arguments, of a command whose key spec says variable_flags. */
  keyFlagsOf?: (argv: Buffer[]) => string[];
}

/** A Redis 7 key spec (see Redis's commands/*.json "key_specs"). */
export interface KeySpec {
  /** RO RW OW RM access update insert delete not_key incomplete variable_flags */
  flags: string[];
  notes?: string;
  begin: { index: number } | { keyword: string; startfrom: number } | "unknown";
  find: { lastkey: number; keystep: number; limit: number } | { keynumidx: number; firstkey: number; keystep: number } | "unknown";
}

export interface CommandDef {
  name: string;
  arity: number;
  /** Space separated Redis flags. */
  flags?: string;
  /** [first, last, step]; omitted for commands without keys. */
  keys?: [number, number, number];
  /** Space separated ACL categories, without '@'. */
  acl?: string;
  /**
   * @deprecated The docs data (commands/docs) owns summary, since, group and
   * complexity; these are ignored (a test checks any still given match it).
   */
  group?: string;
  /** @deprecated see `group` */
  since?: string;
  /** @deprecated see `group` */
  summary?: string;
  /** @deprecated see `group` */
  complexity?: string;
  tips?: string;
  handler: Handler;
  subcommands?: CommandDef[];
  /** Key specs; by default one is derived from `keys` and the read/write flags. */
  keySpecs?: KeySpec[];
  /** Flags of the key spec derived from `keys`, as Redis 7.2 lists them (e.g. "RW access update"); by default RW update / RO access. */
  keyFlags?: string;
  /** Notes of that derived key spec. */
  keyNotes?: string;
  getKeys?: (argv: Buffer[]) => (number | { pos: number; flags: string[] })[];
  /** Key flags that depend on the arguments (a variable_flags key spec): Redis's getkeys_proc. */
  keyFlagsOf?: (argv: Buffer[]) => string[];
  /**
   * COMMAND DOCS of a command Redis 7.2 does not have (group required then);
   * Redis's commands take theirs from commands/docs and this is ignored.
   */
  docs?: CommandDocs;
}

/** @deprecated COMMAND DOCS of a definition (see `CommandDef.docs`); Redis's commands' live in commands/docs. */
export type CommandDocs = Partial<CommandDoc>;

/** The key spec Redis would give a plain [first, last, step] range. */
/** A key spec for keys at fixed positions: `index` given, then up to `lastkey` (relative, or -N from the end). */
export function rangeKeySpec(flags: string, [first, last, step]: [number, number, number], notes?: string): KeySpec {
  const spec: KeySpec = { flags: flags.split(" "), begin: { index: first }, find: { lastkey: last < 0 ? last : last - first, keystep: step, limit: 0 } };
  if (notes) spec.notes = notes;
  return spec;
}

function defaultKeySpecs(def: CommandDef): KeySpec[] {
  if (!def.keys || def.keys[0] <= 0) return [];
  const flags = def.keyFlags ?? (def.flags?.split(" ").includes("write") ? "RW update" : "RO access");
  return [rangeKeySpec(flags, def.keys, def.keyNotes)];
}

/** ACL categories Redis derives from the flags (setImplicitACLCategories): write, read, admin, ..., and slow unless fast. */
function implicitAcl(flags: string[], acl: string[]): string[] {
  const out = new Set(acl);
  if (flags.includes("write")) out.add("write");
  if (flags.includes("readonly") && !out.has("scripting")) out.add("read");
  if (flags.includes("admin")) out.add("admin").add("dangerous");
  if (flags.includes("pubsub")) out.add("pubsub");
  if (flags.includes("fast")) out.add("fast");
  if (flags.includes("blocking")) out.add("blocking");
  if (!out.has("fast")) out.add("slow");
  return [...out];
}

/**
 * A command's COMMAND DOCS: Redis 7.2's from the docs data (loaded on first
 * use), else the definition's own. test/commands/command-docs.test.ts checks
 * that every command of the table has one or the other.
 */
export function docsOf(spec: CommandSpec): CommandDoc {
  const docs = commandDocs().get(spec.name) ?? spec.ownDocs;
  if (!docs) throw new Error(`no COMMAND DOCS for '${spec.name}': Redis 7.2 has no such command, so its definition must give \`docs\` with a group`);
  return docs;
}

/** Builds a table entry from its compact definition. */
export function command(def: CommandDef, parent?: string): CommandSpec {
  const name = parent ? `${parent}|${def.name.toLowerCase()}` : def.name.toLowerCase();
  const [firstKey, lastKey, step] = def.keys ?? [0, 0, 0];
  const flags = def.flags ? def.flags.split(" ").filter(Boolean) : [];
  const spec: CommandSpec = {
    name,
    arity: def.arity,
    flags,
    bits: flagBits(flags),
    inMulti: 0,
    latency: null,
    firstKey,
    lastKey,
    step,
    acl: implicitAcl(def.flags ? def.flags.split(" ") : [], def.acl ? def.acl.split(" ").filter(Boolean) : []),
    ownDocs: def.docs?.group ? (def.docs as CommandDoc) : undefined,
    tips: def.tips ? def.tips.split(" ").filter(Boolean) : undefined,
    handler: def.handler,
    keySpecs: def.keySpecs ?? defaultKeySpecs(def),
    getKeys: def.getKeys,
    keyFlagsOf: def.keyFlagsOf,
    // Every spec gets every field, in one order: dispatch reads specs of all
    // commands at one site, which stays fast only while they share a shape.
    subcommands: undefined,
    stat: undefined,
  };
  if (def.subcommands) {
    spec.subcommands = new Map(def.subcommands.map((s) => [s.name.toLowerCase(), command(s, name)]));
  }
  return spec;
}
