/**
 * V8's scavenge pauses while a forked child runs: a Nodis (with --trace-gc,
 * `appendonly yes` so every write runs through JavaScript and allocates),
 * 1,000,000 keys, SETs at a fixed rate (NODIS_BENCH_BGSAVE_RATE, default
 * 20,000/s), BGSAVE after BGSAVE for NODIS_BENCH_SECONDS (default 20) so a
 * child runs nearly all the time; the pauses --trace-gc reports, p50/p90/max.
 * Variants alternate, NODIS_BENCH_ROUNDS times (default 2): "default" (Nodis's
 * own choice: scavenges on the main thread alone while a child runs) and
 * "--parallel-scavenge" (V8's parallel scavenges throughout), and
 * NODIS_BENCH_NOBG=1 runs the same without BGSAVEs.
 * `node bench/bgsave-scavenges.mjs`; NODIS_BENCH_JSON=file saves the figures.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { ROOT, freePort, machineLoad } from "./servers.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(flags, { seconds, rate, bgsave }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-bench-scavenge-"));
  const logFile = path.join(dir, "trace.log");
  const out = fs.openSync(logFile, "w");
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--enable-debug-command", "yes", "--dir", dir];
  const srv = spawn(process.execPath, ["--trace-gc", ...flags, path.join(ROOT, "dist/cli.js"), ...args], { stdio: ["ignore", out, out] });
  const started = performance.now();
  try {
    for (let i = 0; i < 200; i++) {
      const ok = await new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => resolve(!s.destroy()));
        s.on("error", () => resolve(false));
      });
      if (ok) break;
      await sleep(50);
    }
    const c = new Redis({ port });
    await c.call("DEBUG", "POPULATE", "1000000");
    const w = new Redis({ port });
    let stop = false;
    let sent = 0;
    const t0 = performance.now();
    const writer = (async () => {
      while (!stop) {
        const due = Math.floor(((performance.now() - t0) * rate) / 1000 - sent);
        const pl = w.pipeline();
        for (let i = 0; i < due; i++) pl.set(`key:${Math.floor(Math.random() * 1e6)}`, `w${Math.random().toString(36).slice(2, 12)}`);
        sent += due;
        await pl.exec();
        await sleep(2);
      }
    })();
    await sleep(1000);
    const from = performance.now() - started; // the isolate's clock starts about when the process does
    let saves = 0;
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      if (bgsave) {
        await c.bgsave().catch(() => {});
        saves++;
      } else await sleep(100);
      while (!/rdb_bgsave_in_progress:0/.test(await c.info("persistence"))) await sleep(20);
    }
    const to = performance.now() - started;
    stop = true;
    await writer;
    c.disconnect();
    w.disconnect();
    srv.kill("SIGKILL");
    await new Promise((r) => srv.once("exit", r));
    const pauses = [...fs.readFileSync(logFile, "utf8").matchAll(/(\d+) ms: Scavenge[^,]*, ([\d.]+) \/ [\d.]+ ms/g)]
      .filter((m) => Number(m[1]) >= from && Number(m[1]) <= to)
      .map((m) => Number(m[2]))
      .sort((a, b) => a - b);
    const q = (p) => pauses[Math.min(pauses.length - 1, Math.floor(pauses.length * p))] ?? 0;
    return { variant: flags.join(" ") || "default", bgsaves: saves, scavenges: pauses.length, p50Ms: q(0.5), p90Ms: q(0.9), maxMs: pauses.at(-1) ?? 0, sumMs: pauses.reduce((a, b) => a + b, 0), over2ms: pauses.filter((x) => x > 2).length };
  } finally {
    if (srv.exitCode === null) srv.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.env.NODIS_BENCH_SECONDS ?? 20);
const rate = Number(process.env.NODIS_BENCH_BGSAVE_RATE ?? 20000);
const rounds = Number(process.env.NODIS_BENCH_ROUNDS ?? 2);
const bgsave = process.env.NODIS_BENCH_NOBG !== "1";
const loadBefore = machineLoad();
const rows = [];
for (let r = 0; r < rounds; r++) {
  for (const flags of r % 2 ? [[], ["--parallel-scavenge"]] : [["--parallel-scavenge"], []]) {
    const row = await run(flags, { seconds, rate, bgsave });
    rows.push(row);
    console.log(
      `  ${row.variant.padEnd(20)} ${bgsave ? `${row.bgsaves} BGSAVEs, ` : ""}${row.scavenges} scavenges: p50 ${row.p50Ms.toFixed(2)} p90 ${row.p90Ms.toFixed(2)} max ${row.maxMs.toFixed(1)} ms, total ${row.sumMs.toFixed(0)} ms, ${row.over2ms} over 2 ms`,
    );
  }
}
const loadAfter = machineLoad();
console.log(`  machine before: load ${loadBefore.loadavg.join(" ")}, ${loadBefore.cpuBusyPct}% busy; after: load ${loadAfter.loadavg.join(" ")}, ${loadAfter.cpuBusyPct}% busy`);
if (process.env.NODIS_BENCH_JSON) fs.writeFileSync(process.env.NODIS_BENCH_JSON, JSON.stringify({ seconds, rate, bgsave, loadBefore, loadAfter, rows }, null, 2));
