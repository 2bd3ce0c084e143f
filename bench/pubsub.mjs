/**
 * PUBLISH throughput: messages per second delivered to 1 and to 50
 * subscribers of one channel, redis-server and Nodis side by side (alternating
 * which goes first). One publisher pipelines PUBLISH (16-byte payloads) and
 * stays at most WINDOW messages ahead of the slowest subscriber, so no
 * subscriber comes near its output buffer limit.
 *
 * Part of `npm run bench` (NODIS_BENCH_ONLY=pubsub for it alone), or
 * `npm run bench:pubsub` (this file run directly).
 */
import net from "node:net";
import { fileURLToPath } from "node:url";
import { cpuMicros, have, machineLoad, startServer } from "./servers.mjs";

const CHANNEL = "bench";
const PAYLOAD = "p".repeat(16);
const CHUNK = 1000;
const WINDOW = 16 * CHUNK;
const WARMUP = 200 * CHUNK;

function encode(argv) {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}
const FRAME = Buffer.byteLength(encode(["message", CHANNEL, PAYLOAD]));
const CONFIRMATION = Buffer.byteLength(`*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`);

/** CPU seconds a process has run (servers.mjs's cpuMicros), NaN once it is gone. */
function cpuSeconds(pid) {
  try {
    return cpuMicros(pid) / 1e6;
  } catch {
    return NaN;
  }
}

/** A subscriber that counts the messages it received (by bytes: every frame is the same size). */
function subscriber(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const sub = { sock, bytes: 0, received: () => Math.max(0, Math.floor((sub.bytes - CONFIRMATION) / FRAME)), onData: null };
    sock.on("data", (d) => {
      sub.bytes += d.length;
      if (sub.bytes === CONFIRMATION) resolve(sub);
      sub.onData?.();
    });
    sock.on("error", reject);
    sock.on("connect", () => sock.write(encode(["SUBSCRIBE", CHANNEL])));
  });
}

/** Publishes `total` messages to `subscribers` connections; resolves with deliveries per second. */
async function publishRun(port, subscribers, total) {
  const subs = [];
  for (let i = 0; i < subscribers; i++) subs.push(await subscriber(port));
  const chunk = Buffer.from(encode(["PUBLISH", CHANNEL, PAYLOAD]).repeat(CHUNK));
  const pub = net.connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    pub.once("connect", resolve);
    pub.once("error", reject);
  });
  pub.setNoDelay(true);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let replies = 0;
    let receiversSeen = -1;
    let t0 = 0;
    const slowest = () => {
      let m = Infinity;
      for (const s of subs) m = Math.min(m, s.received());
      return m;
    };
    // A run that stops making progress (a subscriber dropped, a server gone) fails instead of hanging.
    let progress = -1;
    const watchdog = setInterval(() => {
      const now = replies + slowest();
      if (now === progress) {
        clearInterval(watchdog);
        pub.destroy();
        for (const s of subs) s.sock.destroy();
        reject(new Error(`no progress for 10 s (${replies} replies, slowest subscriber at ${slowest()} of ${total})`));
      }
      progress = now;
    }, 10000);
    const pump = () => {
      while (sent < total && sent - replies < WINDOW && sent - slowest() < WINDOW) {
        pub.write(chunk);
        sent += CHUNK;
      }
      if (replies >= total && slowest() >= total) {
        const seconds = (performance.now() - t0) / 1000;
        clearInterval(watchdog);
        pub.destroy();
        for (const s of subs) s.sock.destroy();
        if (receiversSeen !== subscribers) return reject(new Error(`PUBLISH counted ${receiversSeen} receivers, not ${subscribers}`));
        resolve({ deliveriesPerSec: (total * subscribers) / seconds, messagesPerSec: total / seconds, seconds });
      }
    };
    let line = "";
    pub.on("data", (d) => {
      if (receiversSeen < 0) line += d.toString("latin1", 0, Math.min(d.length, 8));
      if (receiversSeen < 0 && line.includes("\r\n")) receiversSeen = Number(line.slice(1, line.indexOf("\r\n")));
      for (let i = 0; i < d.length; i++) if (d[i] === 10) replies++;
      pump();
    });
    pub.on("error", reject);
    for (const s of subs) s.onData = pump;
    t0 = performance.now();
    pump();
  });
}

/** For 1 and 50 subscribers (or `counts`), PUBLISH deliveries per second on each of `servers` ({ redis, nodis } or nodis alone). */
export async function runPubSub(servers, { scale = 1, log = console.log, counts = [1, 50] } = {}) {
  const rows = [];
  let round = 0;
  // Untimed first: a fresh server's first messages run unoptimized code (Nodis's JavaScript), which a short run would count.
  for (const s of Object.values(servers)) await publishRun(s.port, 1, WARMUP);
  for (const subscribers of counts) {
    // About 1M deliveries per run with 50 subscribers, 3M messages with one (about a second: a
    // shorter run counts the compiler's threads finishing their work on the new code in the server's CPU).
    const total = Math.max(CHUNK, Math.round(((subscribers === 1 ? 3000000 : 20000) * scale) / CHUNK) * CHUNK);
    const kinds = Object.keys(servers);
    const order = round++ % 2 === 0 ? kinds : [...kinds].reverse();
    const load = machineLoad(Object.values(servers).map((s) => s.pid));
    const row = { subscribers, messages: total, payloadBytes: PAYLOAD.length, cpuBusyBeforePct: load.cpuBusyPct, busyBefore: load.busy };
    for (const kind of order) {
      const cpu0 = cpuSeconds(servers[kind].pid);
      const r = await publishRun(servers[kind].port, subscribers, total);
      row[kind] = r.deliveriesPerSec;
      row[`${kind}Seconds`] = r.seconds;
      // The server's own CPU per delivered message: steadier than the rate on a busy machine.
      row[`${kind}CpuNsPerDelivery`] = ((cpuSeconds(servers[kind].pid) - cpu0) * 1e9) / (total * subscribers);
    }
    if (row.redis) row.ratio = row.nodis / row.redis;
    const cpu = (k) => `${row[`${k}CpuNsPerDelivery`].toFixed(0)} ns cpu/msg`;
    log(
      `  ${String(subscribers).padStart(2)} subscriber${subscribers === 1 ? " " : "s"}  ${row.redis ? `redis ${fmt(row.redis)} (${cpu("redis")})  ` : ""}nodis ${fmt(row.nodis)} (${cpu("nodis")})` +
        (row.redis ? `  nodis/redis ${row.ratio.toFixed(2)}` : "") +
        `   (other load before: ${load.cpuBusyPct}% cpu${load.busy.length ? `: ${load.busy.join(", ")}` : ""})`,
    );
    rows.push(row);
  }
  return rows;
}

function fmt(n) {
  return `${Math.round(n).toLocaleString("en-US").padStart(10)} msg/s`;
}

/** Starts the servers, runs, stops them. */
export async function benchPubSub({ scale = 1, log = console.log, header = true } = {}) {
  const servers = { nodis: await startServer("nodis") };
  if (have("redis-server")) servers.redis = await startServer("redis");
  try {
    if (header) log(`PUBLISH, ${PAYLOAD.length}-byte messages delivered per second (one pipelining publisher), and the server's CPU per message:`);
    return await runPubSub(servers, { scale, log });
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchPubSub({ scale: Number(process.env.NODIS_BENCH_SCALE ?? 1) });
}
