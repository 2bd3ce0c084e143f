/**
 * Scheduled backups (what Redis leaves to cron): every `backup-interval` a
 * forked child (the same no-stall technique as BGSAVE) writes a timestamped
 * RDB snapshot, always with its CRC-64, into `backup-dir`; the oldest beyond
 * `backup-keep` are removed. BACKUP starts one at once; INFO persistence
 * lists them. Restoring is starting with `--dir <backup-dir> --dbfilename <file>`.
 */
import fs from "node:fs";
import path from "node:path";
import { persistence as native } from "../engine/index.js";
import type { ChildDone } from "../engine/persistence.js";
import type { Server } from "../server/server.js";
import { functionHooks, type Rdb } from "./rdb.js";

/** A failed backup is tried again after this long (as a failed BGSAVE under save rules). */
const RETRY_DELAY_MS = 5000;
/** backup-YYYYMMDDTHHMMSS.mmmZ.rdb: names sort as their times do. */
const NAME = /^backup-\d{8}T\d{6}\.\d{3}Z\.rdb$/;

/** `backup-interval`'s value in ms ("90", "90s", "15m", "1h", "1d"; 0 or "" none), or null when malformed. */
export function parseInterval(v: string): number | null {
  const m = /^(\d+)([smhd]?)$/i.exec(v.trim());
  if (!m) return v.trim() === "" ? 0 : null;
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2].toLowerCase() as "" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit * 1000;
}

export function backupName(ms: number): string {
  return `backup-${new Date(ms).toISOString().replace(/[-:]/g, "")}.rdb`;
}

export interface BackupFile {
  name: string;
  bytes: number;
  /** Unix seconds it was written. */
  time: number;
}

export class Backups {
  /** When the next scheduled backup is due (ms); reset when the settings change. */
  private due = 0;
  private lastSettings = "";
  lastStatus: "ok" | "err" = "ok";
  /** Unix seconds of the last successful backup (-1: none yet). */
  lastTime = -1;
  count = 0;
  private target = "";

  constructor(
    private readonly server: Server,
    private readonly rdb: Rdb,
  ) {}

  dir(): string {
    return this.server.config.get("backup-dir");
  }

  private interval(): number {
    return parseInterval(this.server.config.get("backup-interval")) ?? 0;
  }

  /** The backups in backup-dir, oldest first. */
  list(): BackupFile[] {
    const dir = this.dir();
    if (dir === "") return [];
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => NAME.test(n)).sort();
    } catch {
      return [];
    }
    const out: BackupFile[] = [];
    for (const name of names) {
      try {
        const st = fs.statSync(path.join(dir, name));
        out.push({ name, bytes: st.size, time: Math.floor(st.mtimeMs / 1000) });
      } catch {
        // Removed meanwhile.
      }
    }
    return out;
  }

  inProgress(): boolean {
    return this.rdb.child.kind === "backup";
  }

  /** Forks the child writing one backup now: null when started, else why not. */
  start(): string | null {
    const dir = this.dir();
    if (dir === "") return "no backup-dir is set";
    if (this.rdb.child.active()) return "another child process is active";
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      this.failed(`can't create the backup directory ${dir}: ${(e as Error).message}`);
      return "can't create the backup directory";
    }
    this.target = path.join(dir, backupName(Date.now()));
    try {
      const r = this.rdb.child.start(
        "backup",
        () => native.bgsave(this.target, this.rdb.auxFields(false), this.rdb.saveLru(), functionHooks.dump?.() ?? [], true),
        (d) => this.done(d),
      );
      this.server.log.notice(`Backup started by pid ${r.pid}: ${this.target}`);
      return null;
    } catch (e) {
      this.failed(`fork: ${(e as Error).message}`);
      return "fork failed";
    }
  }

  private failed(why: string): void {
    this.lastStatus = "err";
    this.due = Date.now() + RETRY_DELAY_MS;
    this.server.log.warning(`Backup failed: ${why}`);
  }

  private done({ ok, signal, pid }: ChildDone): void {
    if (!ok) {
      fs.rmSync(path.join(path.dirname(this.target), `temp-${pid}.rdb`), { force: true });
      return this.failed(signal ? `terminated by signal ${signal}` : `error writing ${this.target}`);
    }
    this.lastStatus = "ok";
    this.lastTime = Math.floor(Date.now() / 1000);
    this.count++;
    let bytes = 0;
    try {
      bytes = fs.statSync(this.target).size;
    } catch {
      // Reported as 0 bytes.
    }
    this.server.log.notice(`Backup saved: ${this.target} (${bytes} bytes)`);
    this.prune();
  }

  /** Removes the oldest backups beyond backup-keep (0 keeps them all). */
  prune(): void {
    const keep = this.server.config.int("backup-keep");
    if (keep <= 0) return;
    const all = this.list();
    for (const b of all.slice(0, Math.max(0, all.length - keep))) {
      const p = path.join(this.dir(), b.name);
      try {
        fs.rmSync(p);
        this.server.log.notice(`Backup removed (backup-keep ${keep}): ${p}`);
      } catch (e) {
        this.server.log.warning(`Can't remove the old backup ${p}: ${(e as Error).message}`);
      }
    }
  }

  /** The schedule (the server cron calls this every tick). */
  cron(): void {
    const dir = this.dir();
    const every = this.interval();
    const settings = `${dir}\n${every}`;
    const now = Date.now();
    if (settings !== this.lastSettings) {
      // The first backup comes one interval after the settings took effect.
      this.lastSettings = settings;
      this.due = now + every;
    }
    if (dir === "" || every <= 0 || now < this.due || this.rdb.child.active()) return;
    this.due = now + every;
    this.start();
  }

  /** INFO persistence's lines (none while backups are off). */
  info(): string[] {
    if (this.dir() === "") return [];
    const files = this.list();
    const lines = [
      `backup_dir:${path.resolve(this.dir())}`,
      `backup_in_progress:${this.inProgress() ? 1 : 0}`,
      `backup_last_status:${this.lastStatus}`,
      `backup_last_time:${this.lastTime}`,
      `backup_next_time:${this.interval() > 0 ? Math.floor(this.due / 1000) : -1}`,
      `backups_saved:${this.count}`,
      `backups:${files.length}`,
    ];
    files.forEach((f, i) => lines.push(`backup${i}:name=${f.name},bytes=${f.bytes},time=${f.time}`));
    return lines;
  }
}
