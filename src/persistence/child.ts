/**
 * The one background child (Redis's child_type / child_pid): an RDB save or
 * an AOF rewrite runs in a process forked by the addon (native/src/fork.rs).
 * Whoever starts one gives what to do when it ends; the server cron reaps it.
 * INFO's fork statistics live here.
 */
import { persistence as native } from "../engine/index.js";
import type { ChildDone, ForkResult } from "../engine/persistence.js";

/** "backup": a scheduled or BACKUP snapshot into backup-dir (backup.ts). */
export type ChildKind = "rdb" | "aof" | "backup";

export class BackgroundChild {
  kind: ChildKind | null = null;
  pid = -1;
  /** When it started (ms). */
  startedAt = 0;
  private onDone: ((d: ChildDone) => void) | null = null;
  /** INFO stats: latest_fork_usec, total_forks. */
  latestForkUsec = 0;
  totalForks = 0;
  /** Keys in the dataset when the child was forked (current_save_keys_total). */
  keysTotal = 0;
  /** The largest copy-on-write the running child reported (current_cow_peak). */
  cowPeak = 0;

  /** `forked`: told each fork's time (µs). */
  constructor(private readonly forked: (usec: number) => void = () => {}) {}

  /** INFO's current_* fields: the child's latest report (zeros without a child). */
  current(): { cow: number; peak: number; age: number; keys: number; total: number } {
    const p = this.kind === null ? null : native.childProgress();
    if (p) this.cowPeak = Math.max(this.cowPeak, p.cowBytes);
    return { cow: p?.cowBytes ?? 0, peak: this.kind === null ? 0 : this.cowPeak, age: p?.ageSec ?? 0, keys: p?.count ?? 0, total: this.kind === null ? 0 : this.keysTotal };
  }

  active(): boolean {
    return this.kind !== null;
  }

  /** Forks with `fork` (a binding that forks, e.g. persistence.bgsave); throws what it throws. */
  start(kind: ChildKind, fork: () => ForkResult, onDone: (d: ChildDone) => void, keysTotal = 0): ForkResult {
    if (this.kind !== null) throw new Error("a child process is already running");
    const r = fork();
    this.keysTotal = keysTotal;
    this.cowPeak = 0;
    this.kind = kind;
    this.pid = r.pid;
    this.startedAt = Date.now();
    this.onDone = onDone;
    this.latestForkUsec = r.forkUsec;
    this.totalForks++;
    this.forked(r.forkUsec);
    return r;
  }

  /** Reaps the child if it ended (the server cron calls this every tick). */
  poll(): void {
    if (this.kind === null) return;
    const d = native.childPoll();
    if (d) this.finish(d);
  }

  /** Kills the child (SIGUSR1: not an error of its own) and reaps it. */
  kill(): void {
    if (this.kind === null) return;
    const d = native.childKill();
    if (d) this.finish(d);
  }

  /** Blocks until the child ends. */
  wait(): void {
    if (this.kind === null) return;
    const d = native.childWait();
    if (d) this.finish(d);
  }

  private finish(d: ChildDone): void {
    const done = this.onDone;
    this.kind = null;
    this.pid = -1;
    this.onDone = null;
    done?.(d);
  }
}
