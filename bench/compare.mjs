/**
 * Comparing bench runs: every figure of a run as a flat { name: number } map
 * (kept in the saved JSON as `figures`), and the ratio new/old per figure.
 * `node bench/compare.mjs old.json new.json` compares two saved runs.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { caseName } from "./e2e.mjs";

/** Higher is better for rates; lower for times, CPU and memory (said beside each ratio). */
export function compareFigures(result) {
  const f = {};
  for (const r of [...(result.e2eFresh ?? []), ...(result.e2e ?? [])]) {
    const name = caseName(r);
    for (const kind of ["nodis", "redis"]) {
      if (r[kind] === undefined) continue;
      f[`e2e ${name} ${kind} ops/s`] = r[kind];
      f[`e2e ${name} ${kind} cpu µs/req`] = r[`${kind}CpuUs`];
      if (r.pipeline === 1) {
        f[`e2e ${name} ${kind} p50 ms`] = r[`${kind}P50`];
        f[`e2e ${name} ${kind} p99 ms`] = r[`${kind}P99`];
      }
    }
  }
  for (const [kind, s] of Object.entries(result.startup ?? {})) f[`startup ${kind} ms`] = s.ms;
  for (const m of result.memory ?? []) f[`memory ${m.kind} bytes/key`] = m.bytesPerKey;
  for (const r of result.multi ?? []) {
    for (const kind of ["nodis", "redis"]) if (r[kind] !== undefined) f[`multi ${r.test} -P ${r.pipeline} ${kind} ops/s`] = r[kind];
  }
  for (const [k, v] of Object.entries(result.micro?.results ?? {})) f[`micro ${k} ns/op`] = v.nsPerOp;
  for (const m of result.streams?.memory ?? []) {
    f[`streams ${m.kind} stream bytes/entry`] = m.streamUsed / m.entries;
    f[`streams ${m.kind} xadd ops/s`] = m.xaddRate;
    f[`streams ${m.kind} xrange ops/s`] = m.xrangeRate;
  }
  for (const [kind, b] of Object.entries(result.bgsave?.summary ?? {})) {
    f[`bgsave ${kind} probe p99 ms`] = b.pooledBgsave.p99Ms;
    f[`bgsave ${kind} probe max ms`] = b.pooledBgsave.maxMs;
    f[`bgsave ${kind} no-bgsave p99 ms`] = b.pooledBase.p99Ms;
    f[`bgsave ${kind} fork ms`] = b.forkUsec / 1000;
  }
  for (const kind of ["nodis", "redis"]) if (result.streams?.loop?.[kind]) f[`streams ${kind} consumer loop ops/s`] = result.streams.loop[kind].loopsPerSec;
  return f;
}

const lowerIsBetter = (name) => / (ms|µs\/req|ns\/op|bytes\/key|bytes\/entry)$/.test(name);

/** Prints new/old for every figure both runs have (>1 means better for rates, worse for costs). */
export function printComparison(previous, current, log = console.log) {
  const a = previous.figures ?? compareFigures(previous);
  const b = current.figures ?? compareFigures(current);
  log(`\ncompared with the run of ${previous.startedAt} (new/old; rates: >1 is faster; times and costs: <1 is better):`);
  for (const name of Object.keys(b)) {
    if (!(name in a) || !Number.isFinite(a[name]) || !Number.isFinite(b[name]) || a[name] === 0) continue;
    const ratio = b[name] / a[name];
    const better = lowerIsBetter(name) ? ratio < 1 : ratio > 1;
    log(`  ${name.padEnd(48)} ${fmt(a[name]).padStart(12)} -> ${fmt(b[name]).padStart(12)}  x${ratio.toFixed(2)}${Math.abs(ratio - 1) >= 0.05 ? (better ? "  better" : "  worse") : ""}`);
  }
}

const fmt = (x) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toPrecision(4));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [oldFile, newFile] = process.argv.slice(2);
  if (!oldFile || !newFile) {
    console.error("usage: node bench/compare.mjs old.json new.json");
    process.exit(1);
  }
  printComparison(JSON.parse(fs.readFileSync(oldFile, "utf8")), JSON.parse(fs.readFileSync(newFile, "utf8")));
}
