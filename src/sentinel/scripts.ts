/**
 * notification-script and client-reconfig-script (sentinel.c's script queue):
 * jobs run as child processes, at most 16 at a time and 256 queued; exit code
 * 1 or a signal means "retry" (up to 10 runs, the delay doubling from
 * script-retry-delay), a run past script-max-runtime is killed, another
 * failure is reported as -script-error. SENTINEL PENDING-SCRIPTS lists them.
 */
import os from "node:os";
import type { ChildProcess } from "node:child_process";
import { nodeChildProcess } from "../server/node-builtins.js";

const MAX_QUEUE = 256;
const MAX_RUNNING = 16;
const MAX_RETRY = 10;

export interface ScriptJob {
  argv: string[];
  running: boolean;
  retryNum: number;
  /** When it started, or (scheduled for a retry) when it may start again; 0: never ran. */
  startTime: number;
  pid: number;
  child: ChildProcess | null;
}

export interface ScriptHost {
  timing: { scriptMaxRuntime: number; scriptRetryDelay: number };
  event(level: "warning" | "debug", type: string, rest: string): void;
}

export class Scripts {
  readonly queue: ScriptJob[] = [];
  running = 0;

  constructor(private readonly host: ScriptHost) {}

  schedule(path: string, ...args: string[]): void {
    this.queue.push({ argv: [path, ...args], running: false, retryNum: 0, startTime: 0, pid: 0, child: null });
    if (this.queue.length > MAX_QUEUE) {
      // The oldest job not running makes room.
      const i = this.queue.findIndex((j) => !j.running);
      if (i >= 0) this.queue.splice(i, 1);
    }
  }

  /** Called on every timer tick: start what may run, kill what ran too long. */
  tick(): void {
    const now = Date.now();
    for (const job of this.queue) {
      if (this.running >= MAX_RUNNING) break;
      if (job.running || (job.startTime && job.startTime > now)) continue;
      this.start(job);
    }
    for (const job of this.queue) {
      if (job.running && now - job.startTime > this.host.timing.scriptMaxRuntime && job.child) {
        this.host.event("warning", "-script-timeout", `${job.argv[0]} ${job.pid}`);
        job.child.kill("SIGKILL");
      }
    }
  }

  private start(job: ScriptJob): void {
    job.running = true;
    job.startTime = Date.now();
    job.retryNum++;
    let child: ChildProcess;
    try {
      child = nodeChildProcess().spawn(job.argv[0], job.argv.slice(1), { stdio: "ignore" });
    } catch {
      this.host.event("warning", "-script-error", `${job.argv[0]} 99 0`);
      job.running = false;
      return;
    }
    job.child = child;
    job.pid = child.pid ?? 0;
    this.running++;
    this.host.event("debug", "+script-child", String(job.pid));
    let done = false;
    const finish = (code: number, signal: number) => {
      if (done) return;
      done = true;
      this.running--;
      this.host.event("debug", "-script-child", `${job.pid} ${code} ${signal}`);
      job.child = null;
      if ((signal || code === 1) && job.retryNum !== MAX_RETRY) {
        job.running = false;
        job.pid = 0;
        job.startTime = Date.now() + this.retryDelay(job.retryNum);
        return;
      }
      if (signal || code !== 0) this.host.event("warning", "-script-error", `${job.argv[0]} ${signal} ${code}`);
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
    };
    // A script that cannot be executed is not retried (the child's exit 2 in Redis).
    child.on("error", () => finish(2, 0));
    child.on("exit", (code, signal) => finish(code ?? 0, signal ? signalNumber(signal) : 0));
  }

  private retryDelay(retryNum: number): number {
    let delay = this.host.timing.scriptRetryDelay;
    while (retryNum-- > 1) delay *= 2;
    return delay;
  }
}

function signalNumber(name: NodeJS.Signals): number {
  return (os.constants.signals as Record<string, number>)[name] ?? 1;
}
