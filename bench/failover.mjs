/**
 * Failover time: from kill -9 of the primary to an ioredis client (configured
 * with `sentinels:`) writing again, with three Nodis sentinels and with three
 * Redis sentinels (redis-server --sentinel, what Debian's redis-sentinel runs;
 * NODIS_SENTINEL_REDIS picks another binary, e.g. /tmp/redis72/src/redis-server),
 * the same down-after-milliseconds for both (NODIS_FAILOVER_DOWN_AFTER, 1000 by
 * default) over a redis-server primary with two replicas. The client writes
 * every 5 ms; each round starts a fresh deployment. Rounds alternate between the
 * two kinds (NODIS_FAILOVER_ROUNDS per kind, 3 by default); medians are printed.
 *
 * `npm run bench:failover`. Ports 27100+.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import Redis from "ioredis";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const DOWN_AFTER = Number(process.env.NODIS_FAILOVER_DOWN_AFTER ?? 1000);
const ROUNDS = Number(process.env.NODIS_FAILOVER_ROUNDS ?? 3);
const REDIS_SENTINEL = process.env.NODIS_SENTINEL_REDIS ?? "redis-server";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, timeoutMs = 30000, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return false;
}

const portOpen = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });

async function deployment(kind, base) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-failover-"));
  const procs = [];
  const start = async (cmd, args, port, dir) => {
    const p = spawn(cmd, args, { cwd: dir, stdio: "ignore" });
    procs.push(p);
    if (!(await until(() => portOpen(port)))) throw new Error(`${cmd} ${port} did not start`);
    return p;
  };
  const redis = async (port, primaryPort) => {
    const dir = path.join(root, `r${port}`);
    fs.mkdirSync(dir);
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--repl-diskless-sync-delay", "0"];
    if (primaryPort) args.push("--replicaof", "127.0.0.1", String(primaryPort));
    return start("redis-server", args, port, dir);
  };
  const primary = await redis(base);
  await redis(base + 1, base);
  await redis(base + 2, base);
  const sentinelPorts = [base + 3, base + 4, base + 5];
  for (const port of sentinelPorts) {
    const dir = path.join(root, `s${port}`);
    fs.mkdirSync(dir);
    const conf = path.join(dir, "sentinel.conf");
    fs.writeFileSync(
      conf,
      `port ${port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 ${base} 2\nsentinel down-after-milliseconds mymaster ${DOWN_AFTER}\nsentinel failover-timeout mymaster 10000\n`,
    );
    if (kind === "nodis") await start("node", [CLI, conf, "--sentinel"], port, dir);
    else await start(REDIS_SENTINEL, [conf, "--sentinel"], port, dir);
  }
  // Ready: every sentinel knows both replicas and the two other sentinels, and the replicas are in sync.
  for (const port of sentinelPorts) {
    const c = new Redis({ port, lazyConnect: true });
    await c.connect();
    const ok = await until(async () => {
      const m = await c.call("SENTINEL", "MASTER", "mymaster");
      const f = Object.fromEntries(m.flatMap((v, i) => (i % 2 ? [] : [[v, m[i + 1]]])));
      return f["num-slaves"] === "2" && f["num-other-sentinels"] === "2";
    });
    c.disconnect();
    if (!ok) throw new Error("sentinels did not discover each other");
  }
  return {
    primary,
    sentinelPorts,
    async close() {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
      await sleep(100);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function round(kind, base) {
  const d = await deployment(kind, base);
  const app = new Redis({
    sentinels: d.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
    name: "mymaster",
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 5,
    sentinelRetryStrategy: () => 5,
  });
  app.on("error", () => {});
  try {
    await until(() => app.set("k", "0").then(() => true, () => false));
    await app.call("WAIT", "2", "5000");
    const t0 = performance.now();
    d.primary.kill("SIGKILL");
    let n = 0;
    // Keep writing until a write succeeds on a primary other than the dead one.
    const ok = await until(() => app.set("k", String(++n)).then(() => app.stream?.remotePort !== base, () => false), 60000, 5);
    if (!ok) throw new Error(`${kind}: no write after failover`);
    return performance.now() - t0;
  } finally {
    app.disconnect();
    await d.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const results = { nodis: [], redis: [] };
  let base = 27100;
  for (let i = 0; i < ROUNDS; i++) {
    for (const kind of i % 2 ? ["redis", "nodis"] : ["nodis", "redis"]) {
      const ms = await round(kind, base);
      base += 10;
      results[kind].push(ms);
      console.log(`  ${kind.padEnd(5)} round ${i + 1}: ${ms.toFixed(0)} ms`);
    }
  }
  console.log(`failover (kill -9 to the client writing again), down-after-milliseconds ${DOWN_AFTER}, ${ROUNDS} rounds each:`);
  console.log(`  Nodis sentinels:  median ${median(results.nodis).toFixed(0)} ms  (${results.nodis.map((x) => x.toFixed(0)).join(", ")})`);
  console.log(`  Redis sentinels:  median ${median(results.redis).toFixed(0)} ms  (${results.redis.map((x) => x.toFixed(0)).join(", ")})  [${REDIS_SENTINEL} --sentinel]`);
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
