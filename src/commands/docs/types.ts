/** The shape of the COMMAND DOCS data (see ./index.ts). */

/** One command's (or subcommand's) documentation: what COMMAND DOCS answers for it. */
export interface CommandDoc {
  summary?: string;
  since?: string;
  /** Redis's command group: "string", "generic", "sorted_set", ... */
  group: string;
  complexity?: string;
  docFlags?: ("deprecated" | "syscmd")[];
  deprecatedSince?: string;
  replacedBy?: string;
  /** [version, what changed] */
  history?: [string, string][];
  /** Absent for commands that take no arguments (Redis then leaves "arguments" out). */
  args?: DocArg[];
}

/** One argument of a command, as COMMAND DOCS describes it. */
export interface DocArg {
  name: string;
  type: "string" | "integer" | "double" | "key" | "pattern" | "unix-time" | "pure-token" | "oneof" | "block";
  /** What redis-cli shows for it; the name when absent (not given for oneof/block). */
  displayText?: string;
  /** Index of the key spec (COMMAND INFO) this key argument belongs to. */
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  flags?: ("optional" | "multiple" | "multiple_token")[];
  /** The alternatives (oneof) or parts (block). */
  arguments?: DocArg[];
}

/** One data module: the docs of every command of one group, keyed by name ("parent|sub" for subcommands). */
export interface CommandDocGroup {
  group: string;
  commands: Record<string, Omit<CommandDoc, "group">>;
}
