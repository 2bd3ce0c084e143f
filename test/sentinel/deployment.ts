/**
 * Sentinel deployments as real processes on 127.0.0.1: redis-server primaries
 * and replicas, and sentinels (Nodis's, or redis-server in sentinel mode,
 * which is what Debian's redis-sentinel runs), each in its own temp folder,
 * on fixed ports from a base so test files never collide (27000+).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import Redis from "ioredis";
import { waitFor } from "../helpers/wait.js";

export const CLI = path.resolve(__dirname, "../../dist/cli.js");

export function haveRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"]).status === 0;
}

export interface Proc {
  port: number;
  dir: string;
  proc: ChildProcess;
  log(): string;
  client(): Redis;
  kill9(): void;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

export class Deployment {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-sentinel-"));
  private readonly procs: Proc[] = [];
  private readonly clients: Redis[] = [];

  constructor(private nextPort: number) {}

  private async spawn(cmd: string, args: string[], port: number, dir: string): Promise<Proc> {
    const proc = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    proc.stderr!.on("data", (d) => (out += d));
    const p: Proc = {
      port,
      dir,
      proc,
      log: () => out,
      client: () => {
        const c = new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => {});
        this.clients.push(c);
        return c;
      },
      kill9: () => {
        if (proc.exitCode === null) proc.kill("SIGKILL");
      },
    };
    this.procs.push(p);
    const up = await waitFor(async () => proc.exitCode !== null || (await portOpen(port)), { everyMs: 25 });
    if (!up || proc.exitCode !== null) throw new Error(`${cmd} on ${port} did not start: ${out}`);
    return p;
  }

  private dirFor(name: string): string {
    const d = path.join(this.root, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  /** A redis-server (a replica of `primary` when given). */
  redis(primary?: Proc): Promise<Proc> {
    const port = this.nextPort++;
    const dir = this.dirFor(`redis-${port}`);
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--repl-diskless-sync-delay", "0"];
    if (primary) args.push("--replicaof", "127.0.0.1", String(primary.port));
    return this.spawn("redis-server", args, port, dir);
  }

  /** A Nodis server (a primary: replicas of Nodis are redis-server ones until Nodis has REPLICAOF). */
  nodis(): Promise<Proc> {
    const port = this.nextPort++;
    const dir = this.dirFor(`nodis-${port}`);
    return this.spawn("node", [CLI, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir], port, dir);
  }

  /** A sentinel watching `primary` as "mymaster": Nodis's, or redis-server's sentinel mode. */
  sentinel(primary: Proc, { kind = "nodis", quorum = 2, downAfter = 1000, failoverTimeout = 10000, extra = [] as string[] } = {}): Promise<Proc> {
    const port = this.nextPort++;
    const dir = this.dirFor(`sentinel-${port}`);
    const conf = path.join(dir, "sentinel.conf");
    fs.writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `sentinel monitor mymaster 127.0.0.1 ${primary.port} ${quorum}`,
        `sentinel down-after-milliseconds mymaster ${downAfter}`,
        `sentinel failover-timeout mymaster ${failoverTimeout}`,
        ...extra,
        "",
      ].join("\n"),
    );
    if (kind === "nodis") return this.spawn("node", [CLI, conf, "--sentinel"], port, dir);
    return this.spawn(kind, [conf, "--sentinel"], port, dir);
  }

  /** A Nodis sentinel started again over the folder (and sentinel.conf) of a stopped one. */
  restartSentinel(old: Proc): Promise<Proc> {
    return this.spawn("node", [CLI, path.join(old.dir, "sentinel.conf"), "--sentinel"], old.port, old.dir);
  }

  async close(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    for (const p of this.procs.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) {
        p.proc.kill("SIGKILL");
        await new Promise((r) => p.proc.once("exit", r));
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** SENTINEL MASTER / REPLICAS entries (flat arrays) as objects. */
export function fields(flat: unknown): Record<string, string> {
  const a = flat as string[];
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < a.length; i += 2) o[a[i]] = a[i + 1];
  return o;
}
