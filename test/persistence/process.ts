/**
 * Servers as processes over a data directory, for persistence tests: Nodis
 * (`node dist/cli.js`) or redis-server, started in `dir`, stopped by SHUTDOWN
 * or killed, and started again over the same files.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import Redis from "ioredis";
import { freePort } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";

/** A temp folder for the test file (removed after it) and a function giving a fresh data directory in it. */
export function dataDirs(prefix: string): () => string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  return () => {
    const d = path.join(tmp, `d${n++}`);
    fs.mkdirSync(d);
    return d;
  };
}

export const CLI = path.resolve(__dirname, "../../dist/cli.js");

export interface ServerProcess {
  port: number;
  proc: ChildProcess;
  /** What it logged so far. */
  log(): string;
  /** The exit code, once it exited (null while running or when killed by a signal). */
  exited: Promise<number | null>;
  client(): Redis;
  kill9(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts Nodis (or `bin`, a redis-server) in `dir` with `args`; resolves once it
 * has loaded its data and accepts connections, or has exited (check
 * `proc.exitCode`); with `untilReady` false, as soon as its port is open.
 */
export async function startIn(dir: string, args: string[], bin: "nodis" | string = "nodis", { untilReady = true } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const common = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--enable-debug-command", "yes"];
  const proc = bin === "nodis" ? spawn("node", [CLI, ...common, ...args], { stdio: ["ignore", "pipe", "pipe"] }) : spawn(bin, [...common, "--daemonize", "no", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const clients: Redis[] = [];
  // Until it has loaded its data and accepts connections (both servers log this line), or has exited.
  const portOpen = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
  await waitFor(async () => proc.exitCode !== null || (untilReady ? out.includes("Ready to accept connections") : await portOpen()), { everyMs: 25 });
  const closeClients = () => {
    for (const c of clients.splice(0)) c.disconnect();
  };
  return {
    port,
    proc,
    log: () => out,
    exited,
    client() {
      const c = new Redis({ port, host: "127.0.0.1", enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => {});
      clients.push(c);
      return c;
    },
    async kill9() {
      closeClients();
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await exited;
    },
    async shutdown() {
      const c = this.client();
      await c.call("shutdown").catch(() => undefined);
      closeClients();
      await exited;
    },
  };
}

/** The files of an AOF directory with their contents. */
export function aofFiles(dir: string, dirname = "appendonlydir"): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const d = path.join(dir, dirname);
  for (const f of fs.readdirSync(d)) out.set(f, fs.readFileSync(path.join(d, f)));
  return out;
}

/** The manifest's lines as [name, seq, type]. */
export function manifest(dir: string, dirname = "appendonlydir"): string[][] {
  const text = fs.readFileSync(path.join(dir, dirname, "appendonly.aof.manifest"), "latin1");
  return text
    .trim()
    .split("\n")
    .map((l) => {
      const w = l.split(" ");
      return [w[1], w[3], w[5]];
    });
}

/** Commands that fill a server with every type, several dbs, expiries and a transaction. */
export async function fill(c: Redis, seed = 1): Promise<void> {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  for (const db of [0, 3]) {
    await c.select(db);
    for (let i = 0; i < 50; i++) {
      await c.set(`s:${i}`, `v${rnd(1000)}`);
      await c.incrby(`n:${i % 7}`, rnd(100));
      await c.rpush(`l:${i % 5}`, `e${rnd(50)}`, String(rnd(100)));
      await c.sadd(`set:${i % 4}`, String(rnd(30)), `m${rnd(30)}`);
      await c.zadd(`z:${i % 3}`, rnd(100) / 4, `z${rnd(40)}`); // exact in 7.0's %.17g and 7.2's shortest form (DEBUG DIGEST prints scores)
      await c.hset(`h:${i % 6}`, `f${rnd(20)}`, `v${rnd(100)}`);
      await c.xadd(`x:${i % 2}`, "*", "f", String(i));
    }
    // Big encodings: a quicklist, a hash table, a skiplist, a set hash table.
    await c.rpush("biglist", ...Array.from({ length: 300 }, (_, i) => `item-${i}-${"x".repeat(rnd(40))}`));
    await c.hset("bighash", ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    await c.zadd("bigz", ...Array.from({ length: 200 }, (_, i) => [String(i * 1.5), `m${i}`]).flat());
    await c.sadd("bigset", ...Array.from({ length: 200 }, (_, i) => `m${i}`));
    await c.sadd("intset", 1, 2, 3, -5);
    await c.set("exp", "soon", "EX", 1000);
    await c.expire("l:1", 5000);
    await c.xgroup("CREATE", "x:0", `g${seed}`, "0");
    await c.xreadgroup("GROUP", `g${seed}`, "alice", "COUNT", 3, "STREAMS", "x:0", ">");
    await c.xgroup("CREATECONSUMER", "x:0", `g${seed}`, "bob");
    await c.xdel("x:1", (await c.xrange("x:1", "-", "+", "COUNT", 1))[0][0]);
    await c.multi().incr("tx").lpush("txl", "a", "b").del("s:1").exec();
    await c.del("s:2");
    await c.append("s:3", "-more");
  }
  await c.select(0);
}

/** The keys whose DEBUG DIGEST-VALUE differs between two servers (db:key type), for failure messages. */
export async function differingKeys(a: Redis, b: Redis, dbs = [0, 3]): Promise<string[]> {
  const out: string[] = [];
  for (const db of dbs) {
    await a.select(db);
    await b.select(db);
    const keys = new Set([...(await a.keys("*")), ...(await b.keys("*"))]);
    for (const k of keys) {
      const x = (await a.call("debug", "digest-value", k)) as string[];
      const y = (await b.call("debug", "digest-value", k)) as string[];
      if (x[0] !== y[0]) out.push(`${db}:${k} ${await a.type(k)}/${await b.type(k)} ttl ${await a.pttl(k)}/${await b.pttl(k)}`);
    }
  }
  await a.select(0);
  await b.select(0);
  return out;
}
