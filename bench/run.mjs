/**
 * npm run bench: (a) engine microbenchmarks against a TypeScript Map baseline,
 * (b) redis-benchmark against redis-server and Nodis side by side, (c) RSS of
 * both after loading 1M keys, (d) MULTI/SET/EXEC transactions per second on
 * both (bench/multi.mjs), (e) PUBLISH deliveries per second to 1 and 50
 * subscribers, both servers (bench/pubsub.mjs). Runs the built dist/ and native/nodis.node
 * (npm run build first). Prints a table and saves everything as JSON under
 * bench/results/.
 *
 * (f) start-up: launch to first PONG, both servers.
 *
 * (g) streams (bench/streams.mjs): used_memory/RSS of a 1M-entry stream and of a
 * 100k-entry PEL, XADD and XRANGE rates, and an XADD -> XREADGROUP -> XACK
 * consumer loop, both servers.
 *
 * (h) scripting: EVALSHA and FCALL of a GET and of an INCR + EXPIRE, both
 * servers, and the cost of one redis.call crossing (bench/scripting.mjs).
 *
 * NODIS_BENCH_SCALE=0.2 scales every request count (quick runs); NODIS_BENCH_ROUNDS=1
 * runs each redis-benchmark case once per server instead of 3 times (the median is kept);
 * NODIS_BENCH_MEMORY_KEYS sets the key count of (c) (default 1M);
 * (i) evict: hit ratios of allkeys-lru and allkeys-lfu on a Zipf cache trace against
 * redis-server (bench/evict.mjs).
 *
 * (j) bgsave: what a probe client waits (p50/p99/max) while BGSAVE writes 1M keys under a
 * fixed moderate write load, against the same windows without a BGSAVE, Nodis and both Redis
 * builds alternating; fork time and copy-on-write (bench/bgsave-latency.mjs).
 *
 * NODIS_BENCH_ONLY=micro,e2e,scripting,memory,multi,pubsub,startup,streams,evict,bgsave picks parts (npm run bench:multi,
 * bench:pubsub: one part only); NODIS_BENCH_REDIS=/path/to/redis-server picks the reference.
 * NODIS_BENCH_E2E_CASES=regex keeps the (b) cases whose name matches ("-P 1$": the -P 1 ones).
 * NODIS_BENCH_NODE_FLAGS="--trace-gc" starts every Nodis with those Node options, and
 * NODIS_BENCH_STDOUT=file appends what a Nodis prints there. NODIS_BENCH_PIN="1,0" pins every
 * server to CPU 1 and redis-benchmark to CPU 0 (taskset).
 * `--compare bench/results/some.json` prints, after the run, this run's figures over that
 * run's (`node bench/compare.mjs old.json new.json` compares two saved runs without running).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { REDIS_JEMALLOC_SERVER, REDIS_SERVER, ROOT, have, machineLoad, startServer, startupTime } from "./servers.mjs";
import { caseName, runE2E } from "./e2e.mjs";
import { compareFigures, printComparison } from "./compare.mjs";
import { measureMemory } from "./memory.mjs";
import { measureTypeMemory } from "./memory-types.mjs";
import { runMulti } from "./multi.mjs";
import { benchPubSub } from "./pubsub.mjs";
import { benchStreams } from "./streams.mjs";
import { benchScripting } from "./scripting.mjs";
import { benchEviction } from "./evict.mjs";
import { benchBgsaveLatency } from "./bgsave-latency.mjs";

const log = (s = "") => console.log(s);
const scale = Number(process.env.NODIS_BENCH_SCALE ?? 1);
const rounds = Math.max(1, Number(process.env.NODIS_BENCH_ROUNDS ?? 3));
const only = new Set((process.env.NODIS_BENCH_ONLY ?? "micro,e2e,scripting,memory,multi,pubsub,startup,streams,evict,bgsave").split(","));
const compareAt = process.argv.indexOf("--compare");
const previous = compareAt > 0 ? JSON.parse(fs.readFileSync(process.argv[compareAt + 1], "utf8")) : null;

for (const f of ["dist/cli.js", "dist/engine/index.js", "native/nodis.node"]) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    console.error(`bench: ${f} is missing; run npm run build first`);
    process.exit(1);
  }
}

const haveRedis = have(REDIS_SERVER);
const haveBenchmark = have("redis-benchmark");
const started = new Date();
const result = {
  startedAt: started.toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memTotalBytes: os.totalmem(),
    node: process.version,
    redisServer: haveRedis ? spawnSync(REDIS_SERVER, ["--version"], { encoding: "utf8" }).stdout.trim() : null,
    loadBefore: machineLoad(),
    // The servers' CPU and redis-benchmark's when NODIS_BENCH_PIN set them.
    pin: process.env.NODIS_BENCH_PIN || null,
  },
  notes: [],
};
const note = (s) => {
  result.notes.push(s);
  log(`note: ${s}`);
};
const lb = result.machine.loadBefore;
log(`nodis bench, ${result.machine.cpus} cpus; before: load average ${lb.loadavg.join(" ")}, cpu ${lb.cpuBusyPct}% busy${lb.busy.length ? ` (${lb.busy.join(", ")})` : ""}`);
if (!haveRedis) note("redis-server is not installed: Nodis is measured alone, without ratios");
if (!haveBenchmark) note("redis-benchmark is not installed (redis-tools): the end-to-end part is skipped");

if (only.has("micro")) {
  log("\n(a) engine bindings vs a TypeScript Map keyspace, ns per command (1000 keys, 16-byte values):");
  const { runMicro } = await import("./micro.mjs");
  result.micro = await runMicro();
  const res = result.micro.results;
  for (const [name, op] of [["SET", "SET"], ["SET (strSet)", "SET"], ["GET", "GET"], ["INCR", "INCR"]]) {
    const n = res[`native ${name}`];
    const t = res[`ts-map ${op}`];
    log(
      `  ${name.padEnd(13)} native ${n.nsPerOp.toFixed(0).padStart(5)} ns (±${n.rmePct.toFixed(1)}%)   ` +
        `ts-map ${t.nsPerOp.toFixed(0).padStart(5)} ns (±${t.rmePct.toFixed(1)}%)   ts-map/native ${(t.nsPerOp / n.nsPerOp).toFixed(2)}`,
    );
  }
}

if (only.has("e2e") && haveBenchmark) {
  log(`\n(b) redis-benchmark -c 50, alternating servers, median of ${rounds} rounds: ops/s, server CPU µs per request, p50/p99 at -P 1; redis-benchmark's own CPU over the run, redis/nodis:`);
  const servers = { nodis: await startServer("nodis") };
  if (haveRedis) servers.redis = await startServer("redis");
  try {
    // Sized for a few seconds per run at this machine's rates; MSET sets 10 keys per request
    // (at -P 16 that is what bounds it; at -P 1 it runs as fast as the others: a third of the
    // requests made its runs too short to be steady), LRANGE replies are 100 and 600 elements:
    // fewer requests keep each run a few seconds.
    const base = { 1: 300000, 16: 3000000 };
    const divisor = { 16: { mset: 3 }, lrange_100: 5, lrange_600: 20 };
    const n = (test, p, d = 1) => Math.max(1000, Math.round((base[p] * scale) / (divisor[p]?.[test] ?? divisor[test] ?? 1) / d));
    const tests = ["ping_inline", "ping_mbulk", "set", "get", "incr", "mset", "lpush", "rpop", "sadd", "spop", "hset", "zadd", "zpopmin", "lrange_100", "lrange_600"];
    const cases = [];
    for (const pipeline of [1, 16]) {
      for (const test of tests) cases.push({ test, pipeline, requests: n(test, pipeline) });
      // Streams: redis-benchmark has no -t for XADD, so it runs as a command (one stream, generated IDs).
      cases.push({ test: "xadd", pipeline, requests: n("xadd", pipeline), command: ["XADD", "bench:stream", "*", "f", "v"] });
    }
    // With a client blocked in BLPOP meanwhile (a queue's consumer waiting beside the traffic),
    // with keyspace notifications on (and a subscriber), with a client-side caching client.
    for (const pipeline of [1, 16]) cases.push({ test: "set", pipeline, requests: n("set", pipeline), beside: "blpop", label: `set -P ${pipeline}, a client blocked in BLPOP` });
    for (const test of ["set", "get"]) cases.push({ test, pipeline: 16, requests: n(test, 16), beside: "notify", label: `${test} -P 16, notify-keyspace-events KEA and a subscriber` });
    for (const test of ["set", "get"]) cases.push({ test, pipeline: 16, requests: n(test, 16), beside: "tracking", label: `${test} -P 16, a client tracking keys (RESP3)` });
    // 1,000 connections; 100 KB values (no extra copies of large replies).
    // 1,000 connections spread widest from round to round (0.83-1.07 in medians of 3 on one day): 5 rounds.
    for (const test of ["set", "get"]) cases.push({ test, pipeline: 1, clients: 1000, requests: n(test, 1), rounds: 5 });
    for (const test of ["set", "get"]) cases.push({ test, pipeline: 1, size: 102400, requests: n(test, 1, 10) });
    // A new connection for every request (-k 0): what accepting and closing a connection costs.
    cases.push({ test: "ping_mbulk", pipeline: 1, requests: n("ping_mbulk", 1, 15), reconnect: true, label: "ping_mbulk -P 1, a connection per request (-k 0)" });
    // The servers' first run, on their own line and out of the medians: a fresh Nodis runs its
    // first requests before V8 has optimized the request path (and compiles beside the client on
    // two cores); every measured case after it meets warm servers, as Redis's always are.
    const fresh = [{ test: "ping_inline", pipeline: 1, requests: n("ping_inline", 1), label: "first run, fresh servers: ping_inline -P 1" }];
    // NODIS_BENCH_E2E_CASES=regex: only the cases whose name matches (e.g. "-P 1$" for the nine at -P 1).
    const pick = process.env.NODIS_BENCH_E2E_CASES ? new RegExp(process.env.NODIS_BENCH_E2E_CASES) : null;
    result.e2eFresh = await runE2E(servers, { cases: fresh, rounds: 1, log, note });
    result.e2e = await runE2E(servers, { cases: pick ? cases.filter((c) => pick.test(caseName(c))) : cases, rounds, log, note });
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

if (only.has("scripting") && haveBenchmark) {
  log(`\n(h) scripting: redis-benchmark -c 50, alternating servers, median of ${rounds} rounds:`);
  const servers = { nodis: await startServer("nodis") };
  if (haveRedis) servers.redis = await startServer("redis");
  try {
    result.scripting = await benchScripting(servers, { scale, rounds, log, note });
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

if (only.has("startup")) {
  const times = Math.max(3, rounds * 2 - 1);
  log(`\n(f) start-up, launch to first PONG, median of ${times} alternating (and the server's CPU ms until then):`);
  const runs = { redis: [], nodis: [] };
  const kinds = haveRedis ? ["nodis", "redis"] : ["nodis"];
  for (let i = 0; i < times; i++) for (const kind of i % 2 ? [...kinds].reverse() : kinds) runs[kind].push(await startupTime(kind));
  const med = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
  result.startup = {};
  for (const kind of kinds) {
    result.startup[kind] = { ms: med(runs[kind].map((r) => r.ms)), cpuMs: med(runs[kind].map((r) => r.cpuMs)), runs: runs[kind] };
    log(`  ${kind.padEnd(5)} ${result.startup[kind].ms.toFixed(1).padStart(7)} ms  (cpu ${result.startup[kind].cpuMs.toFixed(0)} ms)`);
  }
}

/** The memory sections compare with both Redis builds where there are both (libc malloc, jemalloc). */
const memoryKinds = [...(haveRedis ? ["redis"] : []), ...(haveRedis && REDIS_JEMALLOC_SERVER ? ["redis-jemalloc"] : []), "nodis"];

if (only.has("memory")) {
  // NODIS_BENCH_MEMORY_KEYS=10000000 (npm run bench:memory10m) measures the issue's 10M-key figure.
  const keys = Number(process.env.NODIS_BENCH_MEMORY_KEYS ?? Math.round(1000000 * Math.min(1, scale)));
  log(`\n(c) RSS after loading ${keys.toLocaleString("en-US")} keys with 16-byte values:`);
  result.memory = [];
  for (const kind of memoryKinds) {
    const m = await measureMemory(kind, keys);
    result.memory.push(m);
    if (Math.abs(m.dbsize - keys) > keys * 0.01) note(`${kind} ended with DBSIZE ${m.dbsize}, not ${keys}`);
    log(`  ${kind.padEnd(14)} DBSIZE ${m.dbsize}  RSS ${(m.rssBytes / 2 ** 20).toFixed(1)} MiB (empty ${(m.emptyRssBytes / 2 ** 20).toFixed(1)} MiB)  ${m.bytesPerKey.toFixed(1)} B/key  loaded in ${m.loadSeconds.toFixed(1)} s`);
  }
  const n = result.memory.find((m) => m.kind === "nodis");
  for (const r of result.memory.filter((m) => m.kind !== "nodis")) {
    log(`  nodis/${r.kind} RSS ${(n.rssBytes / r.rssBytes).toFixed(2)}, per key ${(n.bytesPerKey / r.bytesPerKey).toFixed(2)}`);
  }
}

if (only.has("memory")) {
  const count = Math.round(100000 * Math.min(1, scale));
  log(`\n(c2) used_memory and RSS after loading ${count.toLocaleString("en-US")} hashes of 10 fields, and as many sorted sets of 10 members:`);
  result.typeMemory = [];
  for (const shape of ["hash", "zset"]) {
    const row = {};
    for (const kind of memoryKinds) {
      const m = await measureTypeMemory(kind, shape, count);
      result.typeMemory.push(m);
      row[kind] = m;
      log(`  ${shape} ${kind.padEnd(14)} ${m.encoding.padEnd(10)} used ${(m.usedBytes / 2 ** 20).toFixed(1)} MiB  RSS ${(m.rssBytes / 2 ** 20).toFixed(1)} MiB  (${(m.usedBytes / count).toFixed(0)} B per value)`);
    }
    for (const r of memoryKinds.filter((k) => k !== "nodis")) {
      log(`  ${shape} nodis/${r} used_memory ${(row.nodis.usedBytes / row[r].usedBytes).toFixed(2)}, RSS ${(row.nodis.rssBytes / row[r].rssBytes).toFixed(2)}`);
    }
  }
}

if (only.has("multi")) {
  log("\n(d) MULTI/SET/EXEC (and plain SET through the same client), 50 connections, -P requests in flight on each, alternating servers:");
  const servers = { nodis: await startServer("nodis") };
  if (haveRedis) servers.redis = await startServer("redis");
  try {
    const base = { 1: 200000, 16: 1500000 };
    result.multi = await runMulti(servers, { pipelines: [1, 16], count: (w, p) => Math.max(1000, Math.round(base[p] * scale * (w === "SET" ? 2 : 1))), log });
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

if (only.has("pubsub")) {
  log("\n(e) PUBLISH to 1 and 50 subscribers, messages delivered per second (and the server's CPU per message):");
  result.pubsub = await benchPubSub({ scale, log, header: false });
}

if (only.has("streams")) {
  log("\n(g) streams: memory of a stream and a PEL, XADD/XRANGE rates, the XREADGROUP/XACK consumer loop:");
  result.streams = await benchStreams({ scale, rounds, kinds: haveRedis ? ["redis", "nodis"] : ["nodis"], log });
}

if (only.has("evict") && haveRedis) {
  log("\n(i) eviction: hit ratio under maxmemory, Redis and Nodis on the same trace:");
  result.evict = await benchEviction({ scale, log });
}

if (only.has("bgsave")) {
  log("\n(j) latency during BGSAVE: a PING/GET probe every ms while SETs run at a fixed rate, windows with and without a BGSAVE:");
  result.bgsave = await benchBgsaveLatency({ kinds: memoryKinds, rounds, scale, log });
}
result.machine.loadAfter = machineLoad();
result.seconds = (Date.now() - started.getTime()) / 1000;
const la = result.machine.loadAfter;
log(`\nafter: load average ${la.loadavg.join(" ")}, cpu ${la.cpuBusyPct}% busy${la.busy.length ? ` (${la.busy.join(", ")})` : ""}`);
result.figures = compareFigures(result);
if (previous) printComparison(previous, result, log);
const dir = path.join(ROOT, "bench/results");
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify(result, null, 2));
fs.writeFileSync(path.join(dir, "latest.json"), JSON.stringify(result, null, 2));
log(`took ${result.seconds.toFixed(0)} s; saved ${path.relative(ROOT, file)}`);
