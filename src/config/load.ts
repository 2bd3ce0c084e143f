/**
 * Reading redis.conf text and redis-server's command line into a Config,
 * as config.c's loadServerConfigFromString and server.c's main() do.
 */
import fs from "node:fs";
import path from "node:path";
import { keys } from "../engine/index.js";
import { splitArgs } from "../protocol/inline.js";
import { Config } from "./config.js";
import { findParam } from "./table.js";
import { strerror, type FileState } from "./special.js";
import { repr } from "./convert.js";
import { REDIS_VERSION } from "../version.js";

export { REDIS_VERSION };

export class ConfigFileError extends Error {
  constructor(
    /** 1-based line, or 0 when the error is about the whole configuration. */
    public line: number,
    public text: string,
    public reason: string,
  ) {
    super(reason);
  }
  /** The message redis-server prints on stderr before exiting with status 1. */
  render(): string {
    let s = `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n`;
    if (this.line > 0) s += `Reading the configuration file, at line ${this.line}\n>>> '${this.text}'\n`;
    return s + `${this.reason}\n`;
  }
}

/** Directives Redis reads before old ones were removed: accepted and ignored. */
const DEPRECATED: Record<string, [number, number]> = {
  "list-max-ziplist-entries": [2, 2],
  "list-max-ziplist-value": [2, 2],
  "lua-replicate-commands": [2, 2],
};

const words = (line: string) => splitArgs(line)?.map((w) => w.toString("latin1")) ?? null;

/** Reads a file as bytes (latin1), so values keep every byte. */
const readText = (f: string) => fs.readFileSync(f, "latin1");

/**
 * Applies redis.conf text to `config`; throws ConfigFileError on the first bad
 * line. `state` carries what spans lines (the first "save" replaces the defaults).
 */
export function applyConfigText(config: Config, text: string, state: FileState = { saveSeen: false }): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line.startsWith("#")) continue;
    const fail = (reason: string) => new ConfigFileError(i + 1, line, reason);
    const argv = words(line);
    if (argv === null) throw fail("Unbalanced quotes in configuration line");
    if (argv.length === 0) continue;
    const name = argv[0].toLowerCase();
    const p = findParam(name);
    if (p) {
      if (!p.multiArg && argv.length !== 2) throw fail("wrong number of arguments");
      let args = argv.slice(1);
      // A multi-word parameter given as one quoted word: split it ("--save '900 1'").
      if (p.multiArg && argv.length === 2 && argv[1] !== "") args = words(argv[1]) ?? [];
      const r = config.setWords(p, args, state);
      if ("error" in r) throw fail(r.error);
      continue;
    }
    const dep = DEPRECATED[name];
    if (dep && argv.length >= dep[0] && argv.length <= dep[1]) continue;
    if (name === "include" && argv.length === 2) {
      includeFiles(config, argv[1], state);
    } else if (name === "rename-command" && argv.length === 3) {
      config.renames.push([argv[1], argv[2]]);
    } else if (name === "user" && argv.length >= 2) {
      // Checked and applied when the server starts (src/acl/file.ts).
      config.aclUsers.push(argv.slice(1));
    } else if (name === "loadmodule" && argv.length >= 2) {
      throw fail("Modules are not supported by Nodis");
    } else if (name.includes(".")) {
      if (argv.length < 2) throw fail("Module config specified without value");
      throw fail("Modules are not supported by Nodis");
    } else if (name === "sentinel") {
      if (config.sentinelLines === null) throw fail("sentinel directive while not in sentinel mode");
      // Applied once the whole file is read (src/sentinel/config.ts), as Redis queues them.
      if (argv.length > 1) config.sentinelLines.push({ argv: argv.slice(1), line, lineNo: i + 1 });
    } else {
      throw fail("Bad directive or wrong number of arguments");
    }
  }
}

/** `include path`: a glob pattern includes every match (none is fine), a plain path must exist. */
function includeFiles(config: Config, pattern: string, state: FileState): void {
  let files: string[];
  if (/[*?[]/.test(pattern)) {
    // Wildcards in the file name (not in directories), matched as Redis's glob.
    const dir = path.dirname(pattern);
    const base = Buffer.from(path.basename(pattern), "latin1");
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      names = [];
    }
    files = names
      .filter((n) => keys.globMatch(base, Buffer.from(n, "latin1"), false))
      .sort()
      .map((n) => path.join(dir, n));
  } else {
    files = [pattern];
  }
  let text = "";
  for (const f of files) {
    try {
      text += readText(f);
    } catch (e) {
      throw new ConfigFileError(0, "", `Fatal error, can't open config file '${f}': ${strerror(e)}`);
    }
  }
  applyConfigText(config, text, state);
}

/** The checks Redis runs once the whole configuration is read. */
function finalChecks(config: Config): void {
  const logfile = config.get("logfile");
  if (logfile !== "") {
    try {
      fs.closeSync(fs.openSync(logfile, "a"));
    } catch (e) {
      throw new ConfigFileError(0, "", `Can't open the log file: ${strerror(e)}`);
    }
  }
}

/** What redis-server's command line asks for. */
export interface CommandLine {
  config: Config;
  /** -v/--version, -h/--help: print and exit. */
  action?: "version" | "help";
  /** The config was read from stdin ("-"). */
  fromStdin: boolean;
  /** Arguments were given (Redis warns when none are). */
  hadArgs: boolean;
}

/**
 * Parses redis-server's command line: [configfile] [--name value ...] [-].
 * Options become config lines appended after the file and stdin, exactly as
 * server.c builds them (so errors name the same line numbers).
 */
export function loadFromArgv(argv: string[], readStdin: () => string = () => fs.readFileSync(0, "latin1"), sentinel = false): CommandLine {
  const config = new Config();
  if (sentinel) {
    // Sentinel's own defaults (initSentinelConfig): port 26379, reachable from everywhere.
    config.sentinelLines = [];
    config.setWords(findParam("port")!, ["26379"]);
    config.setWords(findParam("protected-mode")!, ["no"]);
  }
  const out: CommandLine = { config, fromStdin: false, hadArgs: argv.length > 0 };
  if (argv.length === 0) return out;
  if (argv[0] === "-v" || argv[0] === "--version") return { ...out, action: "version" };
  if (argv[0] === "-h" || argv[0] === "--help") return { ...out, action: "help" };
  let j = 0;
  let file: string | null = null;
  if (argv[0][0] !== "-") {
    file = argv[0];
    config.file = path.resolve(argv[0]);
    j = 1;
  }
  let options = "";
  let handledLast = true;
  const last = argv.length - 1;
  for (; j < argv.length; j++) {
    const a = argv[j];
    if (a === "-" && (j === 0 || j === last)) {
      out.fromStdin = true;
    } else if (handledLast && a.startsWith("--")) {
      if (options.length) options += "\n";
      options += a.slice(2) + " ";
      const parts = words(a);
      if (parts !== null && parts.length === 1) {
        // Only the name: its value is the next argument(s).
        handledLast = false;
        const next = argv[j + 1];
        const nextIsOption = j !== last && next.startsWith("--");
        if (a.toLowerCase() === "--save" && (nextIsOption || j === last)) {
          // "--save" followed by another option or nothing means `save ""`.
          options += '""';
          handledLast = nextIsOption;
        }
      } else {
        handledLast = true;
      }
    } else {
      options += repr(a) + " ";
      handledLast = true;
    }
  }
  let text = "";
  if (file !== null) {
    try {
      text += readText(file);
    } catch (e) {
      throw new ConfigFileError(0, "", `Fatal error, can't open config file '${file}': ${strerror(e)}`);
    }
  }
  if (out.fromStdin) text += readStdin();
  text += "\n" + options;
  applyConfigText(config, text);
  finalChecks(config);
  return out;
}

/** Applies { directive: value } pairs (the library's `config` option) as config lines. */
export function applyDirectives(config: Config, directives: Record<string, string | number>): void {
  const text = Object.entries(directives)
    .map(([k, v]) => `${k} ${repr(String(v))}`)
    .join("\n");
  applyConfigText(config, text);
  finalChecks(config);
}
