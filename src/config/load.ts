import fs from "node:fs";
import { splitArgs } from "../protocol/inline.js";
import { Config } from "./config.js";

export class ConfigFileError extends Error {
  constructor(
    public line: number,
    public text: string,
    public reason: string,
  ) {
    super(reason);
  }
  /** The message redis-server prints before exiting with status 1. */
  render(): string {
    return (
      `\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n` +
      `Reading the configuration file, at line ${this.line}\n` +
      `>>> '${this.text}'\n${this.reason}\n`
    );
  }
}

/** Applies redis.conf-syntax text to `config`; throws ConfigFileError on the first bad line. */
export function applyConfigText(config: Config, text: string, baseDir = process.cwd(), depth = 0): void {
  const lines = text.split("\n");
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const words = splitArgs(line)?.map((w) => w.toString("latin1"));
    if (!words) throw new ConfigFileError(idx + 1, line, "Unbalanced quotes in configuration line");
    if (words.length === 0) return;
    const name = words[0].toLowerCase();
    if (name === "include") {
      if (words.length !== 2 || depth > 10) throw new ConfigFileError(idx + 1, line, "Bad directive or wrong number of arguments");
      const f = words[1].startsWith("/") ? words[1] : `${baseDir}/${words[1]}`;
      applyConfigText(config, fs.readFileSync(f, "utf8"), baseDir, depth + 1);
      return;
    }
    if (["rename-command", "user", "loadmodule"].includes(name)) {
      throw new ConfigFileError(idx + 1, line, `'${name}' is not supported by Nodis`);
    }
    const err = config.set(name, words.slice(1));
    if (err) throw new ConfigFileError(idx + 1, line, err);
  });
}

/**
 * Reads redis-server's command line: [configfile] [--name value ...] [-] .
 * Options are turned into config lines after the file's, as redis-server does.
 */
export function loadFromArgv(argv: string[], stdin?: string): Config {
  const config = new Config();
  let text = "";
  let i = 0;
  if (argv[0] && !argv[0].startsWith("--") && argv[0] !== "-") {
    config.file = fs.realpathSync(argv[0]);
    text += fs.readFileSync(argv[0], "utf8") + "\n";
    i = 1;
  }
  if (argv[i] === "-") {
    text += (stdin ?? "") + "\n";
    i++;
  }
  let opts = "";
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      if (opts) opts += "\n";
      opts += a.slice(2);
    } else {
      opts += " " + quote(a);
    }
  }
  applyConfigText(config, text + opts);
  return config;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}
