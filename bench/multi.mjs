/**
 * Transactions end to end: MULTI / SET / EXEC against redis-server and Nodis,
 * alternating which goes first (as e2e.mjs). redis-benchmark sends one command
 * per request, so the load comes from here: `clients` connections, each with
 * `pipeline` transactions in flight, every transaction the same bytes
 * (prebuilt), replies counted by length (a transaction's replies are fixed:
 * +OK +QUEUED *1 +OK), so the generator spends next to nothing per reply.
 */
import net from "node:net";
import { machineLoad } from "./servers.mjs";

const TX = Buffer.from("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$7\r\nkey:tx1\r\n$3\r\nxxx\r\n*1\r\n$4\r\nEXEC\r\n");
const REPLY = Buffer.from("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");

/** Runs `total` transactions over `clients` connections, `pipeline` at a time each; resolves with transactions per second. */
export function transactionsPerSecond(port, total, pipeline, clients = 50) {
  const batch = Buffer.concat(Array(pipeline).fill(TX));
  const perClient = Math.ceil(total / clients / pipeline) * pipeline;
  return new Promise((resolve, reject) => {
    let running = clients;
    let t0 = 0;
    let firstBytes = null;
    const done = () => {
      if (--running > 0) return;
      const seconds = (performance.now() - t0) / 1000;
      resolve({ tps: (perClient * clients) / seconds, seconds, transactions: perClient * clients });
    };
    let connected = 0;
    const socks = [];
    for (let c = 0; c < clients; c++) {
      const sock = net.connect(port, "127.0.0.1");
      sock.setNoDelay(true);
      socks.push(sock);
      let sent = 0;
      let got = 0;
      const want = perClient * REPLY.length;
      sock.on("error", reject);
      sock.on("connect", () => {
        if (++connected < clients) return;
        t0 = performance.now();
        for (const s of socks) s.emit("go");
      });
      sock.on("go", () => {
        sock.write(batch);
        sent += pipeline;
      });
      sock.on("data", (d) => {
        if (firstBytes === null) {
          firstBytes = d.subarray(0, REPLY.length);
          if (!firstBytes.equals(REPLY.subarray(0, firstBytes.length))) {
            reject(new Error(`unexpected reply ${JSON.stringify(firstBytes.toString("latin1"))}`));
          }
        }
        got += d.length;
        // A whole batch answered: send the next one.
        if (got === sent * REPLY.length) {
          if (got >= want) {
            sock.end();
            done();
          } else {
            sock.write(batch);
            sent += pipeline;
          }
        }
      });
    }
  });
}

/** For each pipeline depth, MULTI/SET/EXEC against each of `servers` ({ redis, nodis }, or nodis alone). */
export async function runMulti(servers, { pipelines, transactions, log }) {
  const rows = [];
  let round = 0;
  for (const pipeline of pipelines) {
    const n = transactions(pipeline);
    const kinds = Object.keys(servers);
    const order = round++ % 2 === 0 ? kinds : [...kinds].reverse();
    const load = machineLoad(Object.values(servers).map((s) => s.pid));
    const row = { test: "multi/set/exec", pipeline, transactions: n, clients: 50, cpuBusyBeforePct: load.cpuBusyPct, busyBefore: load.busy };
    for (const kind of order) {
      const r = await transactionsPerSecond(servers[kind].port, n, pipeline);
      row[kind] = r.tps;
      row[`${kind}Seconds`] = r.seconds;
    }
    if (row.redis) row.ratio = row.nodis / row.redis;
    log(
      `  MULTI/SET/EXEC -P ${String(pipeline).padEnd(2)}  ${row.redis ? `redis ${fmt(row.redis)}  ` : ""}nodis ${fmt(row.nodis)}` +
        (row.redis ? `  nodis/redis ${row.ratio.toFixed(2)}` : "") +
        `   (other load before: ${load.cpuBusyPct}% cpu${load.busy.length ? `: ${load.busy.join(", ")}` : ""})`,
    );
    rows.push(row);
  }
  return rows;
}

function fmt(tps) {
  return `${Math.round(tps).toLocaleString("en-US").padStart(9)} tx/s`;
}
