/**
 * Transactions end to end: MULTI / SET / EXEC against redis-server and Nodis,
 * alternating which goes first (as e2e.mjs). redis-benchmark sends one command
 * per request, so the load comes from here: `clients` connections, each with
 * `pipeline` transactions in flight, every transaction the same bytes
 * (prebuilt), replies counted by length (a transaction's replies are fixed:
 * +OK +QUEUED *1 +OK), so the generator spends next to nothing per reply.
 * A plain SET runs through the same generator for comparison, and each
 * server's CPU time per operation (from /proc) is reported beside the rates:
 * on a shared machine it moves less than the rates do.
 */
import fs from "node:fs";
import net from "node:net";
import { cpuMicros, machineLoad } from "./servers.mjs";

const resp = (...argv) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

export const WORKLOADS = {
  "MULTI/SET/EXEC": { request: Buffer.from(resp("MULTI") + resp("SET", "key:tx1", "xxx") + resp("EXEC")), reply: Buffer.from("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n") },
  SET: { request: Buffer.from(resp("SET", "key:tx1", "xxx")), reply: Buffer.from("+OK\r\n") },
};

/**
 * Runs `total` operations of `workload` over `clients` connections, `pipeline`
 * at a time each; resolves with operations per second (and the server's CPU
 * microseconds per operation when its `pid` is given).
 */
export function opsPerSecond(port, workload, total, pipeline, { clients = 50, pid } = {}) {
  const { request, reply } = WORKLOADS[workload];
  const batch = Buffer.concat(Array(pipeline).fill(request));
  const perClient = Math.ceil(total / clients / pipeline) * pipeline;
  return new Promise((resolve, reject) => {
    let running = clients;
    let t0 = 0;
    let cpu0 = 0;
    let checked = false;
    const done = () => {
      if (--running > 0) return;
      const seconds = (performance.now() - t0) / 1000;
      const ops = perClient * clients;
      resolve({ ops: ops / seconds, seconds, count: ops, cpuUsPerOp: pid ? (cpuMicros(pid) - cpu0) / ops : null });
    };
    let connected = 0;
    const socks = [];
    for (let c = 0; c < clients; c++) {
      const sock = net.connect(port, "127.0.0.1");
      sock.setNoDelay(true);
      socks.push(sock);
      let sent = 0;
      let got = 0;
      const want = perClient * reply.length;
      const send = () => {
        sock.write(batch);
        sent += pipeline;
      };
      sock.on("error", reject);
      sock.on("connect", () => {
        if (++connected < clients) return;
        t0 = performance.now();
        if (pid) cpu0 = cpuMicros(pid);
        for (const s of socks) s.emit("go");
      });
      sock.on("go", send);
      sock.on("data", (d) => {
        if (!checked) {
          checked = true;
          const n = Math.min(d.length, reply.length);
          if (!d.subarray(0, n).equals(reply.subarray(0, n))) reject(new Error(`unexpected reply ${JSON.stringify(d.toString("latin1", 0, 64))}`));
        }
        got += d.length;
        // A whole batch answered: send the next one.
        if (got === sent * reply.length) {
          if (got >= want) {
            sock.end();
            done();
          } else send();
        }
      });
    }
  });
}

/** For each pipeline depth and workload, against each of `servers` ({ redis, nodis }, or nodis alone). */
export async function runMulti(servers, { pipelines, workloads = ["MULTI/SET/EXEC", "SET"], count, log }) {
  const rows = [];
  let round = 0;
  for (const pipeline of pipelines) {
    for (const workload of workloads) {
      const n = count(workload, pipeline);
      const kinds = Object.keys(servers);
      const order = round++ % 2 === 0 ? kinds : [...kinds].reverse();
      const load = machineLoad(Object.values(servers).map((s) => s.pid));
      const row = { test: workload, pipeline, operations: n, clients: 50, cpuBusyBeforePct: load.cpuBusyPct, busyBefore: load.busy };
      for (const kind of order) {
        const r = await opsPerSecond(servers[kind].port, workload, n, pipeline, { pid: servers[kind].pid });
        row[kind] = r.ops;
        row[`${kind}Seconds`] = r.seconds;
        row[`${kind}CpuUsPerOp`] = r.cpuUsPerOp;
      }
      if (row.redis) {
        row.ratio = row.nodis / row.redis;
        row.cpuRatio = row.redisCpuUsPerOp / row.nodisCpuUsPerOp;
      }
      const unit = workload === "SET" ? "req/s" : "tx/s";
      const cpu = (k) => `${row[`${k}CpuUsPerOp`].toFixed(2)} us cpu`;
      log(
        `  ${workload.padEnd(14)} -P ${String(pipeline).padEnd(2)}  ${row.redis ? `redis ${fmt(row.redis, unit)} (${cpu("redis")})  ` : ""}nodis ${fmt(row.nodis, unit)} (${cpu("nodis")})` +
          (row.redis ? `  nodis/redis ${row.ratio.toFixed(2)}, by cpu ${row.cpuRatio.toFixed(2)}` : "") +
          `   (other load before: ${load.cpuBusyPct}% cpu${load.busy.length ? `: ${load.busy.join(", ")}` : ""})`,
      );
      rows.push(row);
    }
  }
  return rows;
}

function fmt(n, unit) {
  return `${Math.round(n).toLocaleString("en-US").padStart(9)} ${unit}`;
}
