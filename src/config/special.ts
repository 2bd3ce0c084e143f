/**
 * Redis's "special" parameters: each has its own syntax, its own CONFIG GET
 * form and its own CONFIG REWRITE lines (config.c's set/get/rewrite functions
 * for dir, save, bind, client-output-buffer-limit, ...).
 */
import { formatMemory, memtoull, repr, strtollFull } from "./convert.js";

export type Parsed = { value: string } | { error: string };
/** One CONFIG REWRITE line and whether it must be written when the file lacks it. */
export interface RewriteLine {
  line: string;
  force: boolean;
}

/** What a config file load remembers between lines (save accumulates). */
export interface FileState {
  saveSeen: boolean;
}

export interface SpecialDef {
  default: string;
  /** Checks the words and returns the new canonical value (may depend on the current one). */
  parse(words: string[], current: string, file: FileState | null): Parsed;
  /** The live value when it is not stored (dir is the working directory). */
  get?(): string;
  /** A side effect of setting, as Redis does in the setter (dir: chdir); an error text if it fails. */
  commit?(value: string): string | undefined;
  rewrite(name: string, value: string): RewriteLine[];
}

const WRONG_ARGS = "wrong number of arguments";

/** The working directory, "" when it no longer exists (as getcwd failing in Redis). */
function cwd(): string {
  try {
    return process.cwd();
  } catch {
    return "";
  }
}

/** strerror texts for the errno codes Node reports. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? "";
  const texts: Record<string, string> = {
    ENOENT: "No such file or directory",
    ENOTDIR: "Not a directory",
    EACCES: "Permission denied",
    EPERM: "Operation not permitted",
    EISDIR: "Is a directory",
    EROFS: "Read-only file system",
    ENOSPC: "No space left on device",
    EEXIST: "File exists",
    ENAMETOOLONG: "File name too long",
    ELOOP: "Too many levels of symbolic links",
    EADDRINUSE: "Address already in use",
    EADDRNOTAVAIL: "Cannot assign requested address",
  };
  return texts[code] ?? (e as Error)?.message ?? String(e);
}

const OBUF_CLASSES = ["normal", "slave", "pubsub"];
const OBUF_DEFAULTS = ["0 0 0", "268435456 67108864 60", "33554432 8388608 60"];

const NOTIFY: [string, number][] = [
  ["g", 1 << 2],
  ["$", 1 << 3],
  ["l", 1 << 4],
  ["s", 1 << 5],
  ["h", 1 << 6],
  ["z", 1 << 7],
  ["x", 1 << 8],
  ["e", 1 << 9],
  ["t", 1 << 10],
  ["d", 1 << 13],
  ["n", 1 << 14],
];
const NOTIFY_K = 1 << 0;
const NOTIFY_E = 1 << 1;
const NOTIFY_M = 1 << 11;
const NOTIFY_ALL = NOTIFY.filter(([c]) => c !== "n").reduce((a, [, v]) => a | v, 0);

/** keyspaceEventsStringToFlags: -1 for an unknown class character. */
export function notifyFlags(s: string): number {
  let flags = 0;
  for (const c of s) {
    if (c === "A") flags |= NOTIFY_ALL;
    else if (c === "K") flags |= NOTIFY_K;
    else if (c === "E") flags |= NOTIFY_E;
    else if (c === "m") flags |= NOTIFY_M;
    else {
      const hit = NOTIFY.find(([k]) => k === c);
      if (!hit) return -1;
      flags |= hit[1];
    }
  }
  return flags;
}

/** keyspaceEventsFlagsToString. */
export function notifyString(flags: number): string {
  let s = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    s += "A";
    if (flags & (1 << 14)) s += "n";
  } else {
    for (const [c, v] of NOTIFY) if (flags & v) s += c;
  }
  if (flags & NOTIFY_K) s += "K";
  if (flags & NOTIFY_E) s += "E";
  if (flags & NOTIFY_M) s += "m";
  return s;
}

/** "%f" then trailing zeros (and a bare '.') removed, as trimDoubleString. */
function trimmedFixed(d: number): string {
  const s = d.toFixed(6);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export const SPECIALS = {
  dir: {
    default: "",
    parse: (words) => (words.length !== 1 ? { error: WRONG_ARGS } : { value: words[0] }),
    get: () => cwd(),
    commit: (value) => {
      try {
        process.chdir(value);
        return undefined;
      } catch (e) {
        return strerror(e);
      }
    },
    // No line when the directory is gone (getcwd fails), as Redis.
    rewrite: (name) => (cwd() === "" ? [] : [{ line: `${name} ${repr(cwd())}`, force: true }]),
  },
  save: {
    default: "3600 1 300 100 60 10000",
    parse: (words, current, file) => {
      if (words.length === 1 && words[0] === "") words = [];
      if (words.length % 2) return { error: "Invalid save parameters" };
      const nums: string[] = [];
      for (let j = 0; j < words.length; j++) {
        const v = strtollFull(words[j]);
        if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) return { error: "Invalid save parameters" };
        nums.push(String(j % 2 === 0 ? v : BigInt.asIntN(32, v)));
      }
      // In a config file the first "save" replaces the defaults and later ones add to it.
      let base = "";
      if (file) {
        if (file.saveSeen) base = current;
        file.saveSeen = true;
        if (words.length === 0) base = "";
      }
      return { value: [base, nums.join(" ")].filter(Boolean).join(" ") };
    },
    rewrite: (name, value) => {
      if (value === "") return [{ line: `${name} ""`, force: true }];
      const p = value.split(" ");
      const out: RewriteLine[] = [];
      for (let j = 0; j < p.length; j += 2) out.push({ line: `${name} ${p[j]} ${p[j + 1]}`, force: true });
      return out;
    },
  },
  "client-output-buffer-limit": {
    default: OBUF_CLASSES.map((c, i) => `${c} ${OBUF_DEFAULTS[i]}`).join(" "),
    parse: (words, current) => {
      if (words.length % 4) return { error: "Wrong number of arguments in buffer limit configuration." };
      const cur = current.split(" ");
      const vals = OBUF_CLASSES.map((_, i) => cur.slice(i * 4 + 1, i * 4 + 4).join(" "));
      for (let j = 0; j < words.length; j += 4) {
        let cls = words[j].toLowerCase();
        if (cls === "replica") cls = "slave";
        const idx = OBUF_CLASSES.indexOf(cls);
        if (idx < 0) return { error: "Invalid client class specified in buffer limit configuration." };
        const hard = memtoull(words[j + 1]);
        const soft = memtoull(words[j + 2]);
        const secs = strtollFull(words[j + 3]);
        if (hard === null || soft === null || secs === null || secs < 0n) {
          return { error: "Error in hard, soft or soft_seconds setting in buffer limit configuration." };
        }
        vals[idx] = `${hard} ${soft} ${secs}`;
      }
      return { value: OBUF_CLASSES.map((c, i) => `${c} ${vals[i]}`).join(" ") };
    },
    rewrite: (name, value) => {
      const p = value.split(" ");
      return OBUF_CLASSES.map((c, i) => {
        const [hard, soft, secs] = p.slice(i * 4 + 1, i * 4 + 4);
        return {
          line: `${name} ${c === "slave" ? "replica" : c} ${formatMemory(BigInt(hard))} ${formatMemory(BigInt(soft))} ${secs}`,
          force: `${hard} ${soft} ${secs}` !== OBUF_DEFAULTS[i],
        };
      });
    },
  },
  "oom-score-adj-values": {
    default: "0 200 800",
    parse: (words) => {
      if (words.length !== 3) return { error: WRONG_ARGS };
      const out: string[] = [];
      for (const w of words) {
        const v = strtollFull(w);
        if (v === null || v < -2000n || v > 2000n) {
          return { error: "Invalid oom-score-adj-values, elements must be between -2000 and 2000." };
        }
        out.push(String(v));
      }
      return { value: out.join(" ") };
    },
    rewrite: (name, value) => [{ line: `${name} ${value}`, force: value !== "0 200 800" }],
  },
  "notify-keyspace-events": {
    default: "",
    parse: (words) => {
      if (words.length !== 1) return { error: WRONG_ARGS };
      const f = notifyFlags(words[0]);
      if (f < 0) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
      return { value: notifyString(f) };
    },
    rewrite: (name, value) => [{ line: `${name} ${repr(value)}`, force: value !== "" }],
  },
  bind: {
    default: "* -::*",
    parse: (words) => {
      if (words.length > 16) return { error: "Too many bind addresses specified." };
      if (words.length === 1 && words[0] === "") words = [];
      return { value: words.join(" ") };
    },
    rewrite: (name, value) => (value === "* -::*" ? [] : [{ line: `${name} ${value === "" ? '""' : value}`, force: true }]),
  },
  replicaof: {
    default: "",
    parse: (words) => {
      if (words.length !== 2) return { error: WRONG_ARGS };
      if (words[0].toLowerCase() === "no" && words[1].toLowerCase() === "one") return { value: "" };
      const port = /^[+-]?\d+$/.test(words[1].trimStart()) ? Number(words[1]) : NaN;
      if (!(port >= 0 && port <= 65535)) return { error: "Invalid master port" };
      return { value: `${words[0]} ${port}` };
    },
    // The live primary (REPLICAOF keeps the value current), as rewriteConfigReplicaOfOption.
    rewrite: (name, value) => (value === "" ? [] : [{ line: `${name} ${value}`, force: true }]),
  },
  "latency-tracking-info-percentiles": {
    default: "50 99 99.9",
    parse: (words) => {
      if (words.length === 1 && words[0] === "") words = [];
      const out: string[] = [];
      for (const w of words) {
        if (!DOUBLE.test(w)) return { error: "Invalid latency-tracking-info-percentiles parameters" };
        const d = Number(w);
        if (d > 100 || d < 0) return { error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]" };
        out.push(trimmedFixed(d));
      }
      return { value: out.join(" ") };
    },
    rewrite: (name, value) => [{ line: value === "" ? `${name} ""` : `${name} ${value}`, force: true }],
  },
} satisfies Record<string, SpecialDef>;

export type SpecialKind = keyof typeof SPECIALS;

export function specialDef(kind: SpecialKind): SpecialDef {
  return SPECIALS[kind];
}
