/**
 * Replication bench, Nodis against redis-server (servers.mjs's REDIS_SERVER) in
 * the same run, each as a primary and a replica of the same kind:
 *   - lag over a simulated wide-area link (link-proxy.mjs: 50-100 ms one way,
 *     NODIS_BENCH_LINK_KBPS each direction) under a steady write load: the
 *     time from a write acknowledged by the primary until the replica serves
 *     it (a probe key holding the write's timestamp, polled on the replica),
 *     and the byte lag (master_repl_offset - the replica's slave_repl_offset);
 *   - catch-up after an outage of the link (NODIS_BENCH_OUTAGE_S, 30 s) with
 *     writes going on: the time from the link's return until the replica's
 *     offset reaches the primary's, and whether it resynced partially;
 *   - the write rate a replica keeps up with (a local link): N pipelined SETs
 *     into the primary, timed until the replica has applied all of them.
 * `npm run bench:replication`; NODIS_BENCH_SCALE scales the counts and durations.
 */
import Redis from "ioredis";
import { startServer, pipelineOneLineReplies } from "./servers.mjs";
import { startLinkProxy } from "./link-proxy.mjs";

const SCALE = Number(process.env.NODIS_BENCH_SCALE ?? 1);
const OUTAGE_S = Number(process.env.NODIS_BENCH_OUTAGE_S ?? 30 * SCALE);
const LINK_KBPS = Number(process.env.NODIS_BENCH_LINK_KBPS ?? 2048);
const STEADY_S = Math.max(3, Math.round(15 * SCALE));
const WRITES_PER_S = 1000;
const BLAST = Math.round(500_000 * SCALE);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const infoField = async (c, f) => Number(String(await c.info("replication")).match(new RegExp(`${f}:(-?\\d+)`))?.[1]);
const statField = async (c, f) => Number(String(await c.info("stats")).match(new RegExp(`${f}:(\\d+)`))?.[1]);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const client = (port) => new Redis({ port, host: "127.0.0.1", enableReadyCheck: false, maxRetriesPerRequest: 1 });

async function until(cond, timeoutMs = 120000, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return false;
}

/** A steady load on the primary: WRITES_PER_S SETs of 100 bytes a second, and a probe with the time every 50 ms. */
function steadyLoad(p) {
  let stop = false;
  let n = 0;
  const value = "v".repeat(100);
  const done = (async () => {
    const t0 = Date.now();
    while (!stop) {
      const due = Math.floor(((Date.now() - t0) / 1000) * WRITES_PER_S);
      const pipe = p.pipeline();
      for (; n < due; n++) pipe.set(`k:${n % 100000}`, value);
      pipe.set("probe", String(Date.now()));
      await pipe.exec();
      await sleep(50);
    }
  })();
  return { stop: async () => ((stop = true), await done) };
}

async function pair(kind) {
  const primary = await startServer(kind, ["--repl-backlog-size", "256mb", "--repl-diskless-sync-delay", "0", "--repl-timeout", "600"]);
  const proxy = await startLinkProxy(primary.port, { minDelayMs: 50, maxDelayMs: 100, bytesPerSec: LINK_KBPS * 1024 });
  const replica = await startServer(kind, ["--replicaof", "127.0.0.1", String(proxy.port), "--repl-timeout", "600"]);
  const p = client(primary.port);
  const r = client(replica.port);
  await until(async () => String(await r.info("replication")).includes("master_link_status:up"));
  return { primary, proxy, replica, p, r };
}

async function lagAndOutage(kind) {
  const { primary, proxy, replica, p, r } = await pair(kind);
  // Steady load: sample the probe on the replica and the byte lag.
  const load = steadyLoad(p);
  const lagMs = [];
  const lagBytes = [];
  const end = Date.now() + STEADY_S * 1000;
  while (Date.now() < end) {
    const v = await r.get("probe");
    if (v !== null) lagMs.push(Date.now() - Number(v));
    lagBytes.push((await infoField(p, "master_repl_offset")) - (await infoField(r, "slave_repl_offset")));
    await sleep(100);
  }
  // Outage: the link is cut, writes go on, the link comes back.
  const partialBefore = await statField(p, "sync_partial_ok");
  proxy.cut();
  await sleep(OUTAGE_S * 1000);
  proxy.restore();
  const back = Date.now();
  const target = await infoField(p, "master_repl_offset");
  await until(async () => (await infoField(r, "slave_repl_offset")) >= target, 300000);
  const catchUpMs = Date.now() - back;
  await load.stop();
  const partial = (await statField(p, "sync_partial_ok")) > partialBefore;
  p.disconnect();
  r.disconnect();
  await proxy.close();
  await replica.stop();
  await primary.stop();
  return {
    lagP50: pct(lagMs, 50),
    lagP99: pct(lagMs, 99),
    lagMax: Math.max(...lagMs),
    bytesP50: pct(lagBytes, 50),
    bytesMax: Math.max(...lagBytes),
    catchUpMs,
    partial,
  };
}

/** The write rate a replica keeps up with: BLAST pipelined SETs, timed until the replica applied them all. */
async function keepUp(kind) {
  const primary = await startServer(kind, ["--repl-diskless-sync-delay", "0"]);
  const replica = await startServer(kind, ["--replicaof", "127.0.0.1", String(primary.port)]);
  const p = client(primary.port);
  const r = client(replica.port);
  await until(async () => String(await r.info("replication")).includes("master_link_status:up"));
  const t0 = performance.now();
  await pipelineOneLineReplies(primary.port, BLAST, (i) => ["SET", `key:${i}`, `value-${i}`]);
  const primaryMs = performance.now() - t0;
  const target = await infoField(p, "master_repl_offset");
  await until(async () => (await infoField(r, "slave_repl_offset")) >= target, 300000, 5);
  const replicaMs = performance.now() - t0;
  p.disconnect();
  r.disconnect();
  await replica.stop();
  await primary.stop();
  return { primaryRate: Math.round(BLAST / (primaryMs / 1000)), replicaRate: Math.round(BLAST / (replicaMs / 1000)) };
}

const rows = [];
for (const kind of ["nodis", "redis"]) {
  const lag = await lagAndOutage(kind);
  const rate = await keepUp(kind);
  rows.push({ kind, ...lag, ...rate });
}
console.log(`link: 50-100 ms one way, ${LINK_KBPS} KB/s each way; steady load ${WRITES_PER_S} SETs/s (100 B) for ${STEADY_S} s; outage ${OUTAGE_S} s; keep-up: ${BLAST} pipelined SETs on a local link`);
console.log("| server | lag p50 ms | lag p99 ms | lag max ms | byte lag p50 | byte lag max | catch-up after outage ms | partial resync | primary SET/s | replica applied SET/s |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const x of rows) {
  console.log(`| ${x.kind} | ${x.lagP50} | ${x.lagP99} | ${x.lagMax} | ${x.bytesP50} | ${x.bytesMax} | ${x.catchUpMs} | ${x.partial ? "yes" : "no"} | ${x.primaryRate} | ${x.replicaRate} |`);
}
