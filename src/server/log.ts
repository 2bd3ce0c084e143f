import fs from "node:fs";
import { localTime } from "../engine/server.js";

const LEVELS = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 } as const;
const MARK = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export type Level = keyof typeof LEVELS;

/**
 * redis-server's log lines: `pid:M 23 Nov 2026 21:25:00.123 * message`, to
 * stdout or appended to `logfile` (opened per line, as Redis does, so the file
 * may be rotated away under it). The role is C before the server is set up,
 * M for a master, S for a replica.
 */
export class Logger {
  level: Level = "notice";
  file = "";
  role = "M";

  debug(msg: string): void {
    this.log("debug", msg);
  }
  verbose(msg: string): void {
    this.log("verbose", msg);
  }
  notice(msg: string): void {
    this.log("notice", msg);
  }
  warning(msg: string): void {
    this.log("warning", msg);
  }

  log(level: Level, msg: string): void {
    if (LEVELS[level] < LEVELS[this.level] || this.level === "nothing") return;
    this.write(`${process.pid}:${this.role} ${stamp(Date.now())} ${MARK[LEVELS[level]]} ${msg}\n`);
  }

  /** Text written as it is, without the line prefix (Redis's LL_RAW: the start-up logo). */
  raw(level: Level, text: string): void {
    if (LEVELS[level] < LEVELS[this.level] || this.level === "nothing") return;
    this.write(text);
  }

  /** Redis's serverLogFromHandler (signal handlers): `pid:signal-handler (unixtime) message`. */
  fromHandler(level: Level, msg: string): void {
    if (LEVELS[level] < LEVELS[this.level] || this.level === "nothing") return;
    this.write(`${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) ${msg}\n`);
  }

  private write(line: string): void {
    if (!this.file) {
      process.stdout.write(line);
      return;
    }
    try {
      fs.appendFileSync(this.file, line);
    } catch {
      // Redis drops the line when the log file cannot be opened.
    }
  }
}

/** "30 Nov 2026 10:26:15.052", local time (from the C library: see localTime). */
function stamp(ms: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const [day, month, year, h, m, s] = localTime(Math.floor(ms / 1000));
  return `${p(day)} ${MONTHS[month]} ${year} ${p(h)}:${p(m)}:${p(s)}.${p(ms % 1000, 3)}`;
}
