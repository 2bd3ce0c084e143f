/**
 * End to end: redis-benchmark against redis-server and Nodis, one test at a
 * time, alternating which server goes first, so drift in the machine's load
 * hits both alike. Each figure is the median of `rounds` runs per server
 * (the order flips every round). Beside ops/s: the server's own CPU time per
 * request (the scheduler's count for its threads around the run; the steadier figure on a
 * shared machine) and redis-benchmark's p50/p99 latency. Beside the ratio of the medians, the
 * median of each round's own ratio (the two servers' runs of one round are back to back).
 */
import fs from "node:fs";
import net from "node:net";
import { once as onceEvent } from "node:events";
import { spawnSync } from "node:child_process";
import { machineDelta, machineLoad, machineTicks, pinnedClient, threadCpu } from "./servers.mjs";

/**
 * CPU microseconds of the children this process has waited for (/proc/self/stat
 * cutime + cstime, 10 ms ticks): what redis-benchmark used, once spawnSync returns.
 */
function childrenCpuMicros() {
  const f = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(f[13]) + Number(f[14])) * 10000;
}

/** Runs redis-benchmark once; returns requests per second and the latency percentiles (ms). */
export function redisBenchmark(port, test, requests, pipeline, clients = 50, { size, pid, command, row: rowName, reconnect } = {}) {
  // A test redis-benchmark has no -t for (XADD) runs as a command of its own.
  const what = command ? [] : ["-t", test];
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "-n", String(requests), "-P", String(pipeline), ...what, "--csv"];
  if (size) args.push("-d", String(size));
  // -k 0: a new connection for every request (what a client without a connection pool does).
  if (reconnect) args.push("-k", "0");
  if (command) args.push(...command);
  const threads0 = pid ? threadCpu(pid) : null;
  const client0 = childrenCpuMicros();
  const machine0 = machineTicks();
  const t0 = Date.now();
  const res = spawnSync(...pinnedClient("redis-benchmark", args), { encoding: "utf8", timeout: 300000, maxBuffer: 1 << 24 });
  const seconds = (Date.now() - t0) / 1000;
  const threads1 = pid ? threadCpu(pid) : null;
  const cpu = threads1 ? threads1.main + threads1.others - threads0.main - threads0.others : NaN;
  const client = childrenCpuMicros() - client0;
  // What else took the machine during the run (a slow round: the hypervisor, another process?),
  // and how the server's CPU split between its main thread and its helpers (GC, compiler).
  const machine = machineDelta(machine0, machineTicks(), seconds, (pid ? cpu : 0) + client);
  const threads = threads1
    ? {
        helperPct: Math.round((threads1.others - threads0.others) / (seconds * 1e4)),
        preemptedPerSec: Math.round((threads1.preempted - threads0.preempted) / seconds),
      }
    : {};
  // --csv: a header line ("test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
  // "p99_latency_ms","max_latency_ms"), then one row per test. LRANGE_* runs an LPUSH first to fill
  // the list and prints its row too: the test's own row is the one named after it.
  // A command's row is named after the command (`row`, e.g. EVALSHA), which may differ from the case's name.
  const name = `"${(rowName ?? test).toUpperCase()}`;
  const row = (res.stdout || "").split("\n").find((l) => l.startsWith(name));
  if (res.status !== 0 || !row) throw new Error(`redis-benchmark ${args.join(" ")} failed (${res.error?.message ?? `exit ${res.status}`}): ${res.stderr || res.stdout}`);
  const f = JSON.parse(`[${row}]`);
  // The fill's requests (LRANGE_*) are in the server's CPU time too: counted as requests.
  const served = test.startsWith("lrange") ? requests * 2 : requests;
  // The client's share of one core over the run: near 100%, redis-benchmark itself is what bounds the rate.
  return { rps: Number(f[1]), p50: Number(f[4]), p99: Number(f[6]), cpuUs: cpu / served, seconds, clientBusyPct: (100 * client) / (seconds * 1e6), ...machine, ...threads };
}

/**
 * NODIS_BENCH_MAX_STEAL (percent, default 3): a round where either server's run had more of the
 * machine stolen by the hypervisor, or where other processes took more than NODIS_BENCH_MAX_OTHERS
 * percent of a CPU (default 25), is run again, at most NODIS_BENCH_STEAL_RETRIES times (default
 * 2; the redone rounds are kept in the row's `redone`). 0 retries keeps every round.
 */
const MAX_STEAL_PCT = Number(process.env.NODIS_BENCH_MAX_STEAL ?? 3);
const MAX_OTHERS_PCT = Number(process.env.NODIS_BENCH_MAX_OTHERS ?? 25);
const STEAL_RETRIES = Number(process.env.NODIS_BENCH_STEAL_RETRIES ?? 2);

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const resp = (...args) => args.map((a) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join("")}`).join("");

/**
 * What runs beside a case's traffic on the server at `port`, for cases that
 * measure the others meanwhile; returns what undoes it.
 *   - "blpop": a client blocked in BLPOP on a key nothing pushes to (a queue's consumer waiting);
 *   - "notify": notify-keyspace-events KEA, with a client subscribed to expired events;
 *   - "tracking": a RESP3 client-side caching client that read 100 of the benchmark's keys.
 */
async function besideClient(what, port) {
  const sock = net.connect(port, "127.0.0.1");
  await onceEvent(sock, "connect");
  const key = (i) => `key:${String(i).padStart(12, "0")}`;
  if (what === "blpop") sock.write(resp(["BLPOP", "bench:never:list", "0"]));
  else if (what === "notify") sock.write(resp(["CONFIG", "SET", "notify-keyspace-events", "KEA"], ["SUBSCRIBE", "__keyevent@0__:expired"]));
  else if (what === "tracking") sock.write(resp(["HELLO", "3"], ["CLIENT", "TRACKING", "on"], ...Array.from({ length: 100 }, (_, i) => ["GET", key(i * 997)])));
  else throw new Error(`unknown beside: ${what}`);
  sock.on("data", () => {});
  await new Promise((resolve) => setTimeout(resolve, 100));
  return async () => {
    if (what === "notify") {
      const admin = net.connect(port, "127.0.0.1");
      await onceEvent(admin, "connect");
      admin.write(resp(["CONFIG", "SET", "notify-keyspace-events", ""]));
      await onceEvent(admin, "data");
      admin.destroy();
    }
    sock.destroy();
  };
}

/**
 * Runs each case ({ test, pipeline, clients, size, requests; `beside`: what
 * runs beside the traffic, see besideClient }) against each of
 * `servers` ({ redis, nodis }, or nodis alone), `rounds` times alternating.
 * A row per case: per server the medians (ops/s, CPU µs per request, p50, p99 ms).
 */
export async function runE2E(servers, { cases, rounds = 3, log, note }) {
  const rows = [];
  let turn = 0;
  for (const c of cases) {
    const { test, pipeline, clients = 50, size, requests, command, row: rowName, reconnect } = c;
    const kinds = Object.keys(servers);
    // What the rest of the machine is doing just before.
    const load = machineLoad(Object.values(servers).map((s) => s.pid));
    const runs = Object.fromEntries(kinds.map((k) => [k, []]));
    // A case may ask for more rounds than the others (`rounds`): its runs spread wider.
    const caseRounds = Math.max(rounds, c.rounds ?? 0);
    // Rounds where the hypervisor took the vCPUs (steal), or another process a good part of one, are
    // run again, up to STEAL_RETRIES times each: at -P 1 a round with 10-20% steal ran 20-40% slower,
    // for either server (2026-12-02).
    const redone = [];
    for (let r = 0; r < caseRounds; r++) {
      const order = turn++ % 2 === 0 ? kinds : [...kinds].reverse();
      for (let attempt = 0; ; attempt++) {
        const round = {};
        for (const kind of order) {
          const once = () => redisBenchmark(servers[kind].port, test, requests, pipeline, clients, { size, pid: servers[kind].pid, command, row: rowName, reconnect });
          const undo = c.beside ? await besideClient(c.beside, servers[kind].port) : null;
          try {
            round[kind] = once();
          } catch (e) {
            await new Promise((resolve) => setTimeout(resolve, 200)); // let the exit event arrive
            if (!servers[kind].exited) throw e;
            // Something ended the server (a crash, or someone's cleanup): say so, start another, run again.
            note(`${kind} (pid ${servers[kind].pid}) exited with ${servers[kind].exited} during ${test} -P ${pipeline}; restarted`);
            servers[kind] = await servers[kind].restart();
            round[kind] = once();
          }
          await undo?.();
        }
        if (attempt < STEAL_RETRIES && kinds.some((k) => round[k].stealPct > MAX_STEAL_PCT || round[k].othersPct > MAX_OTHERS_PCT)) {
          redone.push(round);
          continue;
        }
        for (const kind of kinds) runs[kind].push(round[kind]);
        break;
      }
    }
    const row = { test, pipeline, clients, size: size ?? 3, requests, rounds: caseRounds, cpuBusyBeforePct: load.cpuBusyPct, busyBefore: load.busy, redone, ...(c.label ? { label: c.label } : {}) };
    for (const kind of kinds) {
      const rs = runs[kind];
      row[kind] = median(rs.map((x) => x.rps));
      row[`${kind}CpuUs`] = median(rs.map((x) => x.cpuUs));
      row[`${kind}P50`] = median(rs.map((x) => x.p50));
      row[`${kind}P99`] = median(rs.map((x) => x.p99));
      row[`${kind}ClientBusyPct`] = median(rs.map((x) => x.clientBusyPct));
      row[`${kind}Runs`] = rs;
    }
    if (row.redis) {
      row.ratio = row.nodis / row.redis;
      row.cpuRatio = row.redisCpuUs / row.nodisCpuUs;
      // Each round runs the two servers back to back, so a round's pair shares the machine's
      // state; the median of the rounds' own ratios is steadier than the ratio of the medians
      // when a slow stretch of the machine covers one server's run and not the other's.
      const paired = (f) => median(runs.nodis.map((n, i) => f(n, runs.redis[i])));
      row.pairedRatio = paired((n, r) => n.rps / r.rps);
      // The rounds' own ratios, lowest and highest: how far one round can say either way at parity.
      const own = runs.nodis.map((n, i) => n.rps / runs.redis[i].rps);
      row.pairedSpread = [Math.min(...own), Math.max(...own)];
      row.pairedCpuRatio = paired((n, r) => r.cpuUs / n.cpuUs);
    }
    const allRuns = kinds.flatMap((k) => runs[k]);
    const one = (k) =>
      `${k} ${fmt(row[k])} ${row[`${k}CpuUs`].toFixed(2).padStart(6)} µs` + (pipeline === 1 ? ` p50 ${row[`${k}P50`].toFixed(3)} p99 ${row[`${k}P99`].toFixed(3)} ms` : "");
    log(
      `  ${caseName(c).padEnd(24)} ${row.redis ? `${one("redis")}  ` : ""}${one("nodis")}` +
        (row.redis ? `  x${row.ratio.toFixed(2)} (cpu x${row.cpuRatio.toFixed(2)}; paired x${row.pairedRatio.toFixed(2)} [${row.pairedSpread.map((x) => x.toFixed(2)).join("-")}], cpu x${row.pairedCpuRatio.toFixed(2)})` : "") +
        `   (load ${load.cpuBusyPct}%; client busy ${(row.redis ? ["redis", "nodis"] : kinds).map((k) => `${Math.round(row[`${k}ClientBusyPct`])}%`).join("/")}` +
        `; during the runs at most: steal ${Math.max(...allRuns.map((x) => x.stealPct))}%, others ${Math.max(...allRuns.map((x) => x.othersPct))}% of a CPU` +
        `${redone.length ? `; ${redone.length} round${redone.length > 1 ? "s" : ""} run again (steal, others)` : ""})`,
    );
    rows.push(row);
  }
  return rows;
}

/** "get -P 16", "set -P 1 -c 1000", "get -P 1 -d 102400" (or the case's own label). */
export function caseName({ test, pipeline, clients = 50, size, label }) {
  if (label) return label;
  return `${test} -P ${pipeline}${clients !== 50 ? ` -c ${clients}` : ""}${size && size !== 3 ? ` -d ${size}` : ""}`;
}

function fmt(rps) {
  return `${Math.round(rps).toLocaleString("en-US").padStart(9)} ops/s`;
}
