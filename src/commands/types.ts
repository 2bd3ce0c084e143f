import type { Reply } from "../protocol/reply.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";

/** What a handler gets: who asked, the arguments (argv[0] is the name), where to reply. */
export interface Ctx {
  client: Client;
  argv: Buffer[];
  r: Reply;
  server: Server;
  /** The database the client has selected. */
  db: number;
}

export type Handler = (ctx: Ctx) => void;

/** One command (or subcommand) of the table: everything dispatch, COMMAND and ACL need. */
export interface CommandSpec {
  /** Lowercase name; subcommands are "parent|sub". */
  name: string;
  /** Redis arity: N exact, -N at least N (the name counts). */
  arity: number;
  /** Redis command flags: write, readonly, denyoom, admin, pubsub, noscript, blocking, loading, stale, skip_monitor, skip_slowlog, fast, no_auth, may_replicate, no_mandatory_keys, no_multi, allow_busy, ... */
  flags: string[];
  /** Legacy key positions: first, last (-1: last argument), step. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without the '@'. */
  acl: string[];
  group: string;
  since: string;
  summary: string;
  complexity: string;
  /** Redis's command tips (e.g. "nondeterministic_output"). */
  tips?: string[];
  handler: Handler;
  subcommands?: Map<string, CommandSpec>;
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
  group: string;
  since: string;
  summary: string;
  complexity?: string;
  tips?: string;
  handler: Handler;
  subcommands?: CommandDef[];
}

/** Builds a table entry from its compact definition. */
export function command(def: CommandDef, parent?: string): CommandSpec {
  const name = parent ? `${parent}|${def.name.toLowerCase()}` : def.name.toLowerCase();
  const [firstKey, lastKey, step] = def.keys ?? [0, 0, 0];
  const spec: CommandSpec = {
    name,
    arity: def.arity,
    flags: def.flags ? def.flags.split(" ").filter(Boolean) : [],
    firstKey,
    lastKey,
    step,
    acl: def.acl ? def.acl.split(" ").filter(Boolean) : [],
    group: def.group,
    since: def.since,
    summary: def.summary,
    complexity: def.complexity ?? "O(1)",
    tips: def.tips ? def.tips.split(" ").filter(Boolean) : undefined,
    handler: def.handler,
  };
  if (def.subcommands) {
    spec.subcommands = new Map(def.subcommands.map((s) => [s.name.toLowerCase(), command(s, name)]));
  }
  return spec;
}
