/**
 * End to end: redis-benchmark against redis-server and Nodis, one test at a
 * time, alternating which server goes first, so drift in the machine's load
 * hits both alike.
 */
import { spawnSync } from "node:child_process";
import { machineLoad } from "./servers.mjs";

/** Runs redis-benchmark once; returns requests per second. */
export function redisBenchmark(port, test, requests, pipeline, clients = 50) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "-n", String(requests), "-P", String(pipeline), "-t", test, "--csv"];
  const t0 = Date.now();
  const res = spawnSync("redis-benchmark", args, { encoding: "utf8", timeout: 120000 });
  const seconds = (Date.now() - t0) / 1000;
  // --csv: a header line, then "TEST","rps",...
  // The test's own row: LRANGE_* runs an LPUSH first to fill the list, and prints its row too.
  const name = `"${test.toUpperCase()}`;
  const row = (res.stdout || "").split("\n").find((l) => l.startsWith(name));
  if (res.status !== 0 || !row) throw new Error(`redis-benchmark ${args.join(" ")} failed (${res.error?.message ?? `exit ${res.status}`}): ${res.stderr || res.stdout}`);
  return { rps: Number(JSON.parse(`[${row}]`)[1]), seconds };
}

/**
 * For each test and pipeline depth, redis-benchmark against each of
 * `servers` ({ redis, nodis }, or nodis alone). `requests(test, pipeline)` gives -n.
 */
export async function runE2E(servers, { tests, pipelines, requests, log, note }) {
  const rows = [];
  let round = 0;
  for (const pipeline of pipelines) {
    for (const test of tests) {
      const n = requests(test, pipeline);
      const kinds = Object.keys(servers);
      const order = round++ % 2 === 0 ? kinds : [...kinds].reverse();
      // What the rest of the machine is doing just before.
      const load = machineLoad(Object.values(servers).map((s) => s.pid));
      const row = { test, pipeline, requests: n, clients: 50, cpuBusyBeforePct: load.cpuBusyPct, busyBefore: load.busy };
      for (const kind of order) {
        let r;
        try {
          r = redisBenchmark(servers[kind].port, test, n, pipeline);
        } catch (e) {
          await new Promise((resolve) => setTimeout(resolve, 200)); // let the exit event arrive
          if (!servers[kind].exited) throw e;
          // Something ended the server (a crash, or someone's cleanup): say so, start another, run again.
          note(`${kind} (pid ${servers[kind].pid}) exited with ${servers[kind].exited} during ${test} -P ${pipeline}; restarted`);
          servers[kind] = await servers[kind].restart();
          r = redisBenchmark(servers[kind].port, test, n, pipeline);
        }
        row[kind] = r.rps;
        row[`${kind}Seconds`] = r.seconds;
      }
      if (row.redis) row.ratio = row.nodis / row.redis;
      log(
        `  ${test.padEnd(10)} -P ${String(pipeline).padEnd(2)}  ${row.redis ? `redis ${fmt(row.redis)}  ` : ""}nodis ${fmt(row.nodis)}` +
          (row.redis ? `  nodis/redis ${row.ratio.toFixed(2)}` : "") +
          `   (other load before: ${load.cpuBusyPct}% cpu${load.busy.length ? `: ${load.busy.join(", ")}` : ""})`,
      );
      rows.push(row);
    }
  }
  return rows;
}

function fmt(rps) {
  return `${Math.round(rps).toLocaleString("en-US").padStart(9)} ops/s`;
}
