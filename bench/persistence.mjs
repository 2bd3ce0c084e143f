/**
 * Persistence bench: SAVE, BGSAVE, start-up load and DEBUG RELOAD NOSAVE of
 * 1,000,000 string keys and of a mix of types, Nodis against redis-server
 * (servers.mjs's REDIS_SERVER) in the same run: times, file sizes, fork time
 * (latest_fork_usec), copy-on-write (rdb_last_cow_size), and the longest pause
 * a PING probe sees during a BGSAVE while another client keeps writing, beside
 * what the same probe sees for a second of the same writes without a BGSAVE
 * (the machine's own noise).
 * `npm run bench:persistence`; NODIS_BENCH_SCALE scales the key counts.
 */
import fs from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import { startServer, startupTime, pipelineOneLineReplies } from "./servers.mjs";

const SCALE = Number(process.env.NODIS_BENCH_SCALE ?? 1);
const STRINGS = Math.round(1_000_000 * SCALE);
const MIX = Math.round(100_000 * SCALE); // of each of hash, list, set, zset (10 elements each) + strings

const infoField = async (c, section, f) => String(await c.info(section)).match(new RegExp(`${f}:(\\S+)`))?.[1];

async function fillMix(port) {
  const cmds = [
    (i) => ["HSET", `h:${i}`, "a", "1", "b", "2", "c", "3", "d", "4", "e", `v${i}`],
    (i) => ["RPUSH", `l:${i}`, "a", "b", "c", "d", "e", "f", "g", "h", "i", String(i)],
    (i) => ["SADD", `s:${i}`, "a", "b", "c", "d", "e", "f", "g", "h", "i", `m${i}`],
    (i) => ["ZADD", `z:${i}`, "1", "a", "2", "b", "3", "c", "4", "d", "5", `m${i}`],
    (i) => ["SET", `str:${i}`, `value-${i}-${"x".repeat(i % 40)}`],
  ];
  for (const make of cmds) await pipelineOneLineReplies(port, MIX, make);
}

/**
 * A PING every millisecond from a process of its own (so the writer's replies
 * never delay it), until stdin closes; prints the latencies (ms) as JSON.
 */
const PROBE = `
const net = require("node:net");
const s = net.connect(Number(process.argv[1]), "127.0.0.1");
const lat = [];
let t = 0, stop = false;
const ping = () => { t = performance.now(); s.write("PING\\r\\n"); };
s.on("connect", ping);
s.on("data", () => { lat.push(performance.now() - t); if (stop) { process.stdout.write(JSON.stringify(lat)); process.exit(0); } setTimeout(ping, 1); });
process.stdin.on("end", () => { stop = true; });
process.stdin.resume();
`;

/** The longest wait and p99 of the probe's PINGs while `during` runs and a writer keeps SETting. */
async function probe(port, during) {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["-e", PROBE, String(port)], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const done = new Promise((r) => child.once("exit", r));
  const w = new Redis({ port, host: "127.0.0.1" });
  let stop = false;
  let written = 0;
  // NODIS_BENCH_WRITE_RATE: SETs per second (default: as fast as the server answers). On a
  // machine with few cores a writer flat out competes with the probe for the CPU, and the
  // probe's figures then measure the scheduler more than the server.
  const rate = Number(process.env.NODIS_BENCH_WRITE_RATE ?? 0);
  const writer = (async () => {
    // NODIS_BENCH_NOWRITES=1: the probe alone (what the save costs without copy-on-write from writes).
    while (!stop && process.env.NODIS_BENCH_NOWRITES !== "1") {
      const t = performance.now();
      const pl = w.pipeline();
      for (let i = 0; i < 100; i++) pl.set(`w:${written++ % 100000}`, "y".repeat(32));
      await pl.exec();
      const left = rate > 0 ? (100 * 1000) / rate - (performance.now() - t) : 0;
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await during();
  stop = true;
  await writer;
  child.stdin.end();
  await done;
  w.disconnect();
  const lat = JSON.parse(out).sort((a, b) => a - b);
  const q = (p) => lat[Math.floor(lat.length * p)] ?? 0;
  return { maxMs: lat.at(-1) ?? 0, p50Ms: q(0.5), p99Ms: q(0.99), samples: lat.length, written };
}

async function measure(kind, dataset) {
  const srv = await startServer(kind, ["--enable-debug-command", "yes"]);
  const c = new Redis({ port: srv.port, host: "127.0.0.1" });
  try {
    if (dataset === "strings") await c.call("DEBUG", "POPULATE", String(STRINGS));
    else await fillMix(srv.port);
    const keys = await c.dbsize();
    const dir = (await c.config("GET", "dir"))[1];
    // NODIS_BENCH_REPEAT (default 3): SAVE, DEBUG RELOAD and BGSAVE run that many times each and
    // the median counts (one run on a shared machine can be off by 2x either way).
    const repeat = Number(process.env.NODIS_BENCH_REPEAT ?? 3);
    const mid = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const median = async (step) => {
      const ms = [];
      for (let i = 0; i < repeat; i++) {
        const t = performance.now();
        await step();
        ms.push(performance.now() - t);
      }
      return mid(ms);
    };
    const saveMs = await median(() => c.call("SAVE"));
    const bytes = fs.statSync(path.join(dir, "dump.rdb")).size;
    // Start-up load: a new server on a copy of the file, its CPU to the first PONG (the loading
    // thread's included) less an empty start's; alternated, the median of each.
    const loadDir = fs.mkdtempSync(path.join(dir, "..", "load-"));
    fs.copyFileSync(path.join(dir, "dump.rdb"), path.join(loadDir, "dump.rdb"));
    const starts = { loaded: [], empty: [], wall: [] };
    for (let i = 0; i < repeat; i++) {
      const e = await startupTime(kind);
      const l = await startupTime(kind, ["--dir", loadDir]);
      starts.empty.push(e.processCpuMs);
      starts.loaded.push(l.processCpuMs);
      starts.wall.push(l.ms - e.ms);
    }
    fs.rmSync(loadDir, { recursive: true, force: true });
    const startLoadCpuMs = mid(starts.loaded) - mid(starts.empty);
    const startLoadMs = mid(starts.wall);
    // Nodis frees the replaced dataset on its lazyfree thread (Redis frees it inside DEBUG RELOAD):
    // a BGSAVE forked meanwhile would copy every page those frees touch. Wait for it; report how long.
    const loads = [];
    const frees = [];
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      await c.call("DEBUG", "RELOAD", "NOSAVE");
      const loaded = performance.now();
      while (Number(await infoField(c, "memory", "lazyfree_pending_objects")) > 0) await new Promise((r) => setTimeout(r, 2));
      loads.push(loaded - t);
      frees.push(performance.now() - loaded);
    }
    const loadMs = mid(loads);
    const freeMs = mid(frees);
    const bgsaveMs = await median(async () => {
      await c.call("BGSAVE");
      while ((await infoField(c, "persistence", "rdb_bgsave_in_progress")) !== "0") await new Promise((r) => setTimeout(r, 2));
    });
    const forkUsec = Number(await infoField(c, "stats", "latest_fork_usec"));
    const cow = Number(await infoField(c, "persistence", "rdb_last_cow_size"));
    // The pause probe: a BGSAVE under a write load.
    // The same probe and writes for a second without a BGSAVE first: this machine's own noise.
    const base = await probe(srv.port, () => new Promise((r) => setTimeout(r, 1000)));
    const pr = await probe(srv.port, async () => {
      await c.call("BGSAVE").catch(() => {});
      while ((await infoField(c, "persistence", "rdb_bgsave_in_progress")) !== "0") await new Promise((r) => setTimeout(r, 5));
    });
    const cowUnderLoad = Number(await infoField(c, "persistence", "rdb_last_cow_size"));
    return { kind, dataset, keys, saveMs, startLoadMs, startLoadCpuMs, loadMs, freeMs, bgsaveMs, bytes, forkUsec, cow, cowUnderLoad, ...pr, baseP99Ms: base.p99Ms, baseMaxMs: base.maxMs };
  } finally {
    c.disconnect();
    await srv.stop();
  }
}

// NODIS_BENCH_DATASETS / NODIS_BENCH_SERVERS narrow a run (comma separated).
const DATASETS = (process.env.NODIS_BENCH_DATASETS ?? "strings,mix").split(",");
const SERVERS = (process.env.NODIS_BENCH_SERVERS ?? "redis,nodis").split(",");
const rows = [];
for (const dataset of DATASETS) {
  for (const kind of SERVERS) rows.push(await measure(kind, dataset));
}
const f = (n, d = 0) => n.toFixed(d);
console.log(
  "dataset  server  keys      SAVE ms  start-up load ms (CPU)  load ms  free ms  BGSAVE ms  file bytes   fork us  COW KB  COW KB(load)  probe p50/p99/max ms  no BGSAVE p99/max  writes",
);
for (const r of rows) {
  console.log(
    [r.dataset.padEnd(8), r.kind.padEnd(7), String(r.keys).padEnd(9), f(r.saveMs).padStart(7),
      `${f(r.startLoadMs)} (${f(r.startLoadCpuMs)})`.padStart(23), f(r.loadMs).padStart(8), f(r.freeMs).padStart(8),
      f(r.bgsaveMs).padStart(10), String(r.bytes).padStart(11), String(r.forkUsec).padStart(9), f(r.cow / 1024).padStart(7),
      f(r.cowUnderLoad / 1024).padStart(13), `${f(r.p50Ms, 2)}/${f(r.p99Ms, 2)}/${f(r.maxMs, 1)}`.padStart(21),
      `${f(r.baseP99Ms, 2)}/${f(r.baseMaxMs, 1)}`.padStart(18), String(r.written).padStart(7)].join(" "),
  );
}
for (const dataset of DATASETS) {
  if (SERVERS.length < 2) break;
  const [a, b] = [rows.find((r) => r.dataset === dataset && r.kind === "redis"), rows.find((r) => r.dataset === dataset && r.kind === "nodis")];
  console.log(
    `${dataset}: Nodis/Redis SAVE ${f(b.saveMs / a.saveMs, 2)}x, start-up load CPU ${f(b.startLoadCpuMs / a.startLoadCpuMs, 2)}x (wall ${f(b.startLoadMs / a.startLoadMs, 2)}x), DEBUG RELOAD (with the old dataset's free, which Redis's DEBUG RELOAD includes) ${f((b.loadMs + b.freeMs) / (a.loadMs + a.freeMs), 2)}x, BGSAVE ${f(b.bgsaveMs / a.bgsaveMs, 2)}x, file ${f(b.bytes / a.bytes, 3)}x`,
  );
}
