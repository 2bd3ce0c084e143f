/**
 * (j) Latency while a BGSAVE runs: what other clients wait while the server
 * forks and a child writes 1,000,000 keys, against the same windows without a
 * BGSAVE, Nodis and Redis (both builds) alternating, several rounds.
 *
 * The load is open-loop and moderate, so the figures measure the server, not
 * a saturated machine: a writer process SETs random existing keys at a fixed
 * rate (NODIS_BENCH_BGSAVE_RATE, default 5,000/s, in a batch every 2 ms: the
 * copy-on-write a real write load causes), and a probe process sends a PING or
 * a GET every millisecond on its own connection without waiting for the
 * previous reply, timing each from its send to its reply (a stall delays every
 * request sent during it, and each counts). Both are processes of their own, so
 * neither's event loop delays the other's.
 *
 * Per server: a window without BGSAVE, then one with: BGSAVE, until the child
 * has ended, and 300 ms more (the parent's work after the fork and the child's
 * end counts); repeated NODIS_BENCH_BGSAVE_REPEAT times (default 2). Each
 * window gives the probe's p50/p99/max, the server's fork time
 * (latest_fork_usec), copy-on-write (rdb_last_cow_size) and LATENCY LATEST.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import { startServer, machineLoad } from "./servers.mjs";

/** Sends `PING` / `GET probe` every millisecond until stdin ends; prints [sentAtMs, latencyMs] pairs as JSON. */
const PROBE = `
const net = require("node:net");
const s = net.connect(Number(process.argv[1]), "127.0.0.1");
s.setNoDelay(true);
const sent = [], out = [];
let n = 0, buf = "", timer;
const t0 = performance.now();
// Times are ms since the Unix epoch's performance.timeOrigin-relative start, so the bench can place them.
const epoch0 = performance.timeOrigin + t0;
s.on("connect", () => {
  timer = setInterval(() => {
    sent.push(performance.now());
    s.write(n++ % 2 ? "PING\\r\\n" : "GET probe\\r\\n");
  }, 1);
});
// Replies: "+PONG" (one line) and "$1" "v" (two lines).
s.on("data", (d) => {
  const now = performance.now();
  buf += d.toString("latin1");
  for (;;) {
    const i = buf.indexOf("\\r\\n");
    if (i < 0) break;
    if (buf[0] === "$") {
      const j = buf.indexOf("\\r\\n", i + 2);
      if (j < 0) break;
      buf = buf.slice(j + 2);
    } else buf = buf.slice(i + 2);
    const t = sent.shift();
    out.push([Math.round((t - t0 + epoch0) * 1000) / 1000, Math.round((now - t) * 1000) / 1000]);
  }
  if (stopping && sent.length === 0) { process.stdout.write(JSON.stringify(out)); process.exit(0); }
});
let stopping = false;
process.stdin.on("end", () => { stopping = true; clearInterval(timer); if (sent.length === 0) { process.stdout.write(JSON.stringify(out)); process.exit(0); } });
process.stdin.resume();
`;

/** SETs random keys of 0..KEYS-1 at RATE per second, a batch every 2 ms, until stdin ends; prints the replies counted. */
const WRITER = `
const net = require("node:net");
const [port, keys, rate] = process.argv.slice(1).map(Number);
const s = net.connect(port, "127.0.0.1");
let replies = 0, sent = 0, carry = 0, timer;
const t0 = performance.now();
s.on("connect", () => {
  timer = setInterval(() => {
    // The batch keeps the rate whatever the timer's real period was.
    const due = ((performance.now() - t0) * rate) / 1000 - sent;
    let out = "";
    for (let i = 0; i < Math.floor(due); i++) {
      const k = "key:" + Math.floor(Math.random() * keys);
      const v = "w" + Math.random().toString(36).slice(2, 12);
      out += "*3\\r\\n$3\\r\\nSET\\r\\n$" + k.length + "\\r\\n" + k + "\\r\\n$" + v.length + "\\r\\n" + v + "\\r\\n";
      sent++;
    }
    if (out) s.write(out);
  }, 2);
});
s.on("data", (d) => { for (const b of d) if (b === 10) replies++; });
process.stdin.on("end", () => { clearInterval(timer); process.stdout.write(JSON.stringify({ sent, replies, seconds: (performance.now() - t0) / 1000 })); process.exit(0); });
process.stdin.resume();
`;

function runChild(script, args) {
  const child = spawn(process.execPath, ["-e", script, ...args.map(String)], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", r));
  return {
    stop: async () => {
      child.stdin.end();
      await exited;
      return JSON.parse(out);
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The server's main thread: ms it has run, and ms it waited, runnable, for a CPU
 * (/proc/PID/task/PID/schedstat). The wait is the machine's share of a stall.
 */
function mainThread(pid) {
  const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ").map(Number);
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
}
const field = (info, f) => info.match(new RegExp(`^${f}:(\\S+)`, "m"))?.[1];

/** p50/p99/max (ms) of the latencies sent in [from, to) of the probe's pairs. */
function stats(pairs, from = -Infinity, to = Infinity) {
  const lat = pairs.filter(([t]) => t >= from && t < to).map(([, l]) => l).sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return { samples: lat.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lat.at(-1) ?? 0, over5ms: lat.filter((l) => l > 5).length, over20ms: lat.filter((l) => l > 20).length };
}

async function info(port, section) {
  const { default: Redis } = await import("ioredis");
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  await c.connect();
  try {
    return String(await c.info(section));
  } finally {
    c.disconnect();
  }
}

/** One server: populate, then alternating windows without and with a BGSAVE under the write load. */
async function session(kind, { keys, rate, repeat, baseMs, extra }) {
  // "nodis --some-v8-flag ...": a Nodis run with those Node/V8 options (a variant compared in the same run).
  const [server, ...nodeFlags] = kind.split(" ");
  const srv = await startServer(server, ["--enable-debug-command", "yes", "--latency-monitor-threshold", "1", ...extra], nodeFlags);
  const { default: Redis } = await import("ioredis");
  const c = new Redis({ port: srv.port, host: "127.0.0.1" });
  try {
    await c.call("DEBUG", "POPULATE", String(keys));
    await c.set("probe", "v");
    const writer = runChild(WRITER, [srv.port, keys, rate]);
    await sleep(500);
    const windows = [];
    const pooled = { base: [], bgsave: [] };
    for (let i = 0; i < repeat; i++) {
      // Without a BGSAVE: as long as the BGSAVE window below was last time (baseMs at first).
      const base = runChild(PROBE, [srv.port]);
      const b0 = mainThread(srv.pid);
      await sleep(baseMs);
      const b1 = mainThread(srv.pid);
      const basePairs = await base.stop();
      const baseFrom = basePairs.length ? basePairs[0][0] + 300 : 0;
      await c.call("LATENCY", "RESET");
      const pr = runChild(PROBE, [srv.port]);
      await sleep(300);
      const t = performance.now();
      const startedAt = performance.timeOrigin + t;
      const g0 = mainThread(srv.pid);
      await c.call("BGSAVE");
      while (field(String(await c.info("persistence")), "rdb_bgsave_in_progress") !== "0") await sleep(10);
      const bgsaveMs = performance.now() - t;
      await sleep(300);
      const g1 = mainThread(srv.pid);
      const pairs = await pr.stop();
      const persistence = String(await c.info("persistence"));
      const latest = await c.call("LATENCY", "LATEST");
      pooled.base.push(...basePairs.filter(([t]) => t >= baseFrom).map(([, l]) => l));
      pooled.bgsave.push(...pairs.filter(([t]) => t >= startedAt).map(([, l]) => l));
      // Where the window's longest wait began, in ms after BGSAVE was sent (the child ran for bgsaveMs).
      const worst = pairs.filter(([t]) => t >= startedAt).reduce((a, b) => (b[1] > a[1] ? b : a), [startedAt, 0]);
      windows.push({
        base: stats(basePairs, baseFrom),
        bgsave: stats(pairs, startedAt),
        worstAtMs: Math.round(worst[0] - startedAt),
        // The main thread's CPU and its wait for one (ms per second of window), without and with the BGSAVE.
        baseRunMsPerSec: ((b1.runMs - b0.runMs) * 1000) / baseMs,
        baseWaitMsPerSec: ((b1.waitMs - b0.waitMs) * 1000) / baseMs,
        bgsaveRunMsPerSec: ((g1.runMs - g0.runMs) * 1000) / (bgsaveMs + 300),
        bgsaveWaitMsPerSec: ((g1.waitMs - g0.waitMs) * 1000) / (bgsaveMs + 300),
        bgsaveMs,
        forkUsec: Number(field(String(await c.info("stats")), "latest_fork_usec")),
        cowBytes: Number(field(persistence, "rdb_last_cow_size")),
        status: field(persistence, "rdb_last_bgsave_status"),
        latencyLatest: Object.fromEntries(latest.map(([event, , last, max]) => [event, { lastMs: last, maxMs: max }])),
      });
      baseMs = Math.max(1000, bgsaveMs + 600);
    }
    const w = await writer.stop();
    return { kind, keys, writeRate: w.sent / w.seconds, writerUnanswered: w.sent - w.replies, windows, pooled };
  } finally {
    c.disconnect();
    await srv.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

/**
 * Runs `rounds` rounds of every kind (the order rotating each round) and
 * prints a table; returns every window plus per-kind medians.
 */
export async function benchBgsaveLatency({ kinds, rounds = 3, scale = 1, log = console.log, extra = {} }) {
  const keys = Math.round(1_000_000 * Math.min(1, scale));
  const rate = Number(process.env.NODIS_BENCH_BGSAVE_RATE ?? 5000);
  const repeat = Number(process.env.NODIS_BENCH_BGSAVE_REPEAT ?? 2);
  const loadBefore = machineLoad();
  const sessions = [];
  for (let r = 0; r < rounds; r++) {
    const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
    for (const kind of order) {
      // NODIS_BENCH_BGSAVE_ARGS: server arguments for every server (e.g. "--appendonly yes": Nodis's writes then run in JavaScript).
      const args = (process.env.NODIS_BENCH_BGSAVE_ARGS ?? "").split(" ").filter(Boolean);
      const s = await session(kind, { keys, rate, repeat, baseMs: 2000, extra: [...args, ...(extra[kind] ?? [])] });
      s.round = r;
      sessions.push(s);
      const f = (x, d = 2) => x.toFixed(d);
      for (const w of s.windows) {
        log(
          `  round ${r + 1} ${kind.padEnd(14)} no BGSAVE p50/p99/max ${f(w.base.p50Ms)}/${f(w.base.p99Ms)}/${f(w.base.maxMs, 1)} ms` +
            `   BGSAVE p50/p99/max ${f(w.bgsave.p50Ms)}/${f(w.bgsave.p99Ms)}/${f(w.bgsave.maxMs, 1)} ms (>5ms: ${w.bgsave.over5ms}/${w.bgsave.samples})` +
            ` (longest at +${w.worstAtMs} ms)   main thread waited for a CPU ${f(w.baseWaitMsPerSec, 1)} / ${f(w.bgsaveWaitMsPerSec, 1)} ms/s   fork ${w.forkUsec} us  COW ${f(w.cowBytes / 2 ** 20, 1)} MB  BGSAVE ${f(w.bgsaveMs, 0)} ms  writes ${f(s.writeRate, 0)}/s`,
        );
      }
    }
  }
  const summary = {};
  for (const kind of kinds) {
    const ws = sessions.filter((s) => s.kind === kind).flatMap((s) => s.windows);
    const pick = (g) => ws.map(g);
    const all = (which) => stats(sessions.filter((s) => s.kind === kind).flatMap((s) => s.pooled[which].map((l) => [0, l])));
    summary[kind] = {
      windows: ws.length,
      // Every probe sample of every window together: the p99 over thousands of samples.
      pooledBase: all("base"),
      pooledBgsave: all("bgsave"),
      baseP50Ms: median(pick((w) => w.base.p50Ms)),
      baseP99Ms: median(pick((w) => w.base.p99Ms)),
      baseMaxMs: Math.max(...pick((w) => w.base.maxMs)),
      bgsaveP50Ms: median(pick((w) => w.bgsave.p50Ms)),
      bgsaveP99Ms: median(pick((w) => w.bgsave.p99Ms)),
      bgsaveP99MsWorst: Math.max(...pick((w) => w.bgsave.p99Ms)),
      bgsaveMaxMsMedian: median(pick((w) => w.bgsave.maxMs)),
      bgsaveMaxMs: Math.max(...pick((w) => w.bgsave.maxMs)),
      forkUsec: median(pick((w) => w.forkUsec)),
      cowBytes: median(pick((w) => w.cowBytes)),
      bgsaveMs: median(pick((w) => w.bgsaveMs)),
      baseWaitMsPerSec: median(pick((w) => w.baseWaitMsPerSec)),
      bgsaveWaitMsPerSec: median(pick((w) => w.bgsaveWaitMsPerSec)),
    };
  }
  log(`\n  medians over ${rounds} rounds x ${repeat} windows (max: the worst window), ${keys.toLocaleString("en-US")} keys, ${rate} SET/s:`);
  log("  server          no BGSAVE p50/p99/max   BGSAVE p50/p99/max   (all samples pooled; >5 ms, >20 ms: of samples)   per window: BGSAVE p99 median (worst), max median   CPU wait ms/s   fork us   COW MB  BGSAVE ms");
  const f = (x, d = 2) => x.toFixed(d);
  for (const [kind, s] of Object.entries(summary)) {
    log(
      `  ${kind.padEnd(14)} ${`${f(s.pooledBase.p50Ms)}/${f(s.pooledBase.p99Ms)}/${f(s.pooledBase.maxMs, 1)}`.padStart(20)}` +
        `   ${`${f(s.pooledBgsave.p50Ms)}/${f(s.pooledBgsave.p99Ms)}/${f(s.pooledBgsave.maxMs, 1)}`.padStart(18)}` +
        `   ${`${s.pooledBgsave.over5ms}, ${s.pooledBgsave.over20ms} of ${s.pooledBgsave.samples}`.padStart(46)}` +
        `   ${`${f(s.bgsaveP99Ms)} (${f(s.bgsaveP99MsWorst)}), ${f(s.bgsaveMaxMsMedian, 1)}`.padStart(49)}` +
        `   ${`${f(s.baseWaitMsPerSec, 1)}/${f(s.bgsaveWaitMsPerSec, 1)}`.padStart(11)}   ${String(s.forkUsec).padStart(7)}  ${f(s.cowBytes / 2 ** 20, 1).padStart(7)}  ${f(s.bgsaveMs, 0).padStart(9)}`,
    );
  }
  for (const s of sessions) delete s.pooled;
  return { keys, rate, repeat, rounds, loadBefore, loadAfter: machineLoad(), summary, sessions };
}

// `node bench/bgsave-latency.mjs`: this part alone (NODIS_BENCH_ROUNDS, NODIS_BENCH_SCALE, NODIS_BENCH_SERVERS=nodis,redis;
// a server "nodis --v8-flag" runs a Nodis with that flag: NODIS_BENCH_SERVERS="nodis,nodis --no-memory-reducer,redis").
if (import.meta.url === `file://${process.argv[1]}`) {
  const { REDIS_JEMALLOC_SERVER } = await import("./servers.mjs");
  const kinds = (process.env.NODIS_BENCH_SERVERS ?? `nodis,redis${REDIS_JEMALLOC_SERVER ? ",redis-jemalloc" : ""}`).split(",");
  const res = await benchBgsaveLatency({ kinds, rounds: Number(process.env.NODIS_BENCH_ROUNDS ?? 3), scale: Number(process.env.NODIS_BENCH_SCALE ?? 1) });
  const lb = res.loadBefore, la = res.loadAfter;
  console.log(`  machine before: load ${lb.loadavg.join(" ")}, ${lb.cpuBusyPct}% busy ${lb.busy.join(", ")}; after: load ${la.loadavg.join(" ")}, ${la.cpuBusyPct}% busy ${la.busy.join(", ")}`);
  if (process.env.NODIS_BENCH_JSON) (await import("node:fs")).writeFileSync(process.env.NODIS_BENCH_JSON, JSON.stringify(res, null, 2));
}
