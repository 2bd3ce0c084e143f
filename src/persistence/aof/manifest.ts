/**
 * The multi-part AOF manifest (Redis 7's aof.c): which files make the AOF, in
 * the format redis-server writes and parses, one line per file:
 *   file appendonly.aof.1.base.rdb seq 1 type b
 *   file appendonly.aof.1.incr.aof seq 1 type i
 * The base comes first, then history files, then incremental files in order.
 * Written atomically (temp file, fsync, rename, fsync of the directory).
 */
import fs from "node:fs";
import path from "node:path";
import { splitArgs } from "../../protocol/inline.js";
import { repr } from "../../config/convert.js";
import { strerror } from "../../config/special.js";

export type AofFileType = "b" | "h" | "i";

export interface AofInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** A manifest problem that stops the server (Redis exits 1 after logging it). */
export class ManifestError extends Error {
  constructor(
    readonly reason: string,
    readonly lineNo = 0,
    readonly line: string | null = null,
  ) {
    super(reason);
  }
  /** The lines Redis logs for it (aofLoadManifestFromFile's loaderr). */
  logLines(): string[] {
    const out = ["\n*** FATAL AOF MANIFEST FILE ERROR ***\n"];
    if (this.line !== null) out.push(`Reading the manifest file, at line ${this.lineNo}\n`, `>>> '${this.line}'\n`);
    out.push(`${this.reason}\n`);
    return out;
  }
}

const MAX_LINE = 1024;

export class Manifest {
  base: AofInfo | null = null;
  history: AofInfo[] = [];
  incr: AofInfo[] = [];
  baseSeq = 0;
  incrSeq = 0;

  clone(): Manifest {
    const m = new Manifest();
    m.base = this.base && { ...this.base };
    m.history = this.history.map((a) => ({ ...a }));
    m.incr = this.incr.map((a) => ({ ...a }));
    m.baseSeq = this.baseSeq;
    m.incrSeq = this.incrSeq;
    return m;
  }

  /** The manifest's text (getAofManifestAsString). */
  format(): string {
    const line = (a: AofInfo) => `file ${needsRepr(a.name) ? repr(a.name) : a.name} seq ${a.seq} type ${a.type}\n`;
    return [...(this.base ? [this.base] : []), ...this.history, ...this.incr].map(line).join("");
  }

  /** Parses a manifest's text (aofLoadManifestFromFile); throws ManifestError. */
  static parse(text: string): Manifest {
    const m = new Manifest();
    if (text.length === 0) throw new ManifestError("Found an empty AOF manifest");
    let maxSeq = 0;
    let lineNo = 0;
    let pos = 0;
    while (pos < text.length) {
      // fgets with a buffer of MAX_LINE+1: a longer line comes in pieces.
      let nl = text.indexOf("\n", pos);
      let raw = nl < 0 ? text.slice(pos) : text.slice(pos, nl + 1);
      if (raw.length > MAX_LINE) {
        raw = raw.slice(0, MAX_LINE);
        nl = -1;
      }
      pos += raw.length;
      lineNo++;
      if (raw[0] === "#") continue;
      if (!raw.includes("\n")) throw new ManifestError("The AOF manifest file contains too long line", lineNo, raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ""));
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      const bad = (why: string) => new ManifestError(why, lineNo, line);
      if (line.length === 0) throw bad("Invalid AOF manifest file format");
      const argv = splitArgs(line)?.map((w) => w.toString("latin1"));
      if (!argv || argv.length < 6 || argv.length % 2 !== 0) throw bad("Invalid AOF manifest file format");
      let name: string | null = null;
      let seq = 0;
      let type = "";
      for (let i = 0; i < argv.length; i += 2) {
        const k = argv[i].toLowerCase();
        if (k === "file") {
          name = argv[i + 1];
          if (name.includes("/") || name.includes("\\")) throw bad("File can't be a path, just a filename");
        } else if (k === "seq") seq = atoll(argv[i + 1]);
        else if (k === "type") type = argv[i + 1][0] ?? "";
      }
      if (!name || !seq || !type) throw bad("Invalid AOF manifest file format");
      const info = { name, seq, type: type as AofFileType };
      if (type === "b") {
        if (m.base) throw bad("Found duplicate base file information");
        m.base = info;
        m.baseSeq = seq;
      } else if (type === "h") {
        m.history.push(info);
      } else if (type === "i") {
        if (seq <= maxSeq) throw bad("Found a non-monotonic sequence number");
        m.incr.push(info);
        m.incrSeq = seq;
        maxSeq = seq;
      } else throw bad("Unknown AOF file type");
    }
    return m;
  }

  /** A new base name; the old base becomes history (getNewBaseFileNameAndMarkPreAsHistory). */
  newBase(aofName: string, rdbPreamble: boolean): string {
    if (this.base) {
      this.base.type = "h";
      this.history.unshift(this.base);
    }
    const seq = ++this.baseSeq;
    this.base = { name: `${aofName}.${seq}.base.${rdbPreamble ? "rdb" : "aof"}`, seq, type: "b" };
    return this.base.name;
  }

  /** A new incremental file at the end (getNewIncrAofName). */
  newIncr(aofName: string): string {
    const seq = ++this.incrSeq;
    const info: AofInfo = { name: `${aofName}.${seq}.incr.aof`, seq, type: "i" };
    this.incr.push(info);
    return info.name;
  }

  /** The last incremental file, a new one when there is none (getLastIncrAofName). */
  lastIncr(aofName: string): string {
    return this.incr.length === 0 ? this.newIncr(aofName) : this.incr[this.incr.length - 1].name;
  }

  /** After a rewrite: every incr file but the one being written (when `keepLast`) becomes history. */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    const keep = keepLast && this.incr.length > 0 ? [this.incr[this.incr.length - 1]] : [];
    const moved = this.incr.slice(0, this.incr.length - keep.length);
    // Redis walks from the tail adding each at the head: the original order is kept.
    for (let i = moved.length - 1; i >= 0; i--) this.history.unshift({ ...moved[i], type: "h" });
    this.incr = keep;
  }

  /** The base and incremental files, in loading order. */
  loadOrder(): AofInfo[] {
    return [...(this.base ? [this.base] : []), ...this.incr];
  }
}

/** atoll: leading digits (with a sign), 0 when none. */
function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** sdsneedsrepr: whether a name must be quoted to survive sdssplitargs. */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x07 || c === 0x08 || c < 0x21 || c > 0x7e) {
      return true;
    }
  }
  return false;
}

export function manifestName(aofName: string): string {
  return `${aofName}.manifest`;
}

/**
 * Writes the manifest into `dir` atomically (writeAofManifestFile). Returns an
 * error line to log, or null.
 */
export function writeManifest(dir: string, aofName: string, m: Manifest): string | null {
  const name = manifestName(aofName);
  const tmpName = `temp-${name}`;
  const tmp = path.join(dir, tmpName);
  let fd = -1;
  try {
    try {
      fd = fs.openSync(tmp, "w", 0o644);
    } catch (e) {
      return `Can't open the AOF manifest file ${tmpName}: ${strerror(e)}`;
    }
    try {
      fs.writeSync(fd, Buffer.from(m.format(), "latin1"));
    } catch (e) {
      return `Error trying to write the temporary AOF manifest file ${tmpName}: ${strerror(e)}`;
    }
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      return `Fail to fsync the temp AOF file ${tmpName}: ${strerror(e)}.`;
    }
    try {
      fs.renameSync(tmp, path.join(dir, name));
    } catch (e) {
      return `Error trying to rename the temporary AOF manifest file ${tmpName} into ${name}: ${strerror(e)}`;
    }
    const err = fsyncDir(dir);
    if (err) return `Fail to fsync AOF directory ${path.join(dir, name)}: ${err}.`;
    return null;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** fsync of a directory (so a rename or a new file in it survives a crash); an error text or null. */
export function fsyncDir(dir: string): string | null {
  let fd = -1;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
    return null;
  } catch (e) {
    return strerror(e);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}
