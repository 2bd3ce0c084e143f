/**
 * Streams, both servers (npm run bench:streams, or part "streams" of npm run bench):
 *
 * - memory: used_memory and RSS growth for one stream of 1,000,000 entries of
 *   two small fields (XADD with explicit IDs, pipelined; the load's rate is
 *   the XADD figure), then for a group holding 100,000 pending entries (one
 *   XREADGROUP ... COUNT 100000 >);
 * - XRANGE of 10 entries from a random ID of that stream (redis-benchmark,
 *   __rand_int__ as the start);
 * - the consumer loop: 50 connections, each repeating XADD (MAXLEN ~ 10000) ->
 *   XREADGROUP COUNT 1 > -> XACK of what it got, one command in flight each,
 *   as a worker does; loops per second and the server's CPU per loop.
 *
 * NODIS_BENCH_SCALE scales the entry counts and the loop's duration.
 */
import net from "node:net";
import { spawnSync } from "node:child_process";
import { call, cpuMicros, pipelineOneLineReplies, rssBytes, startServer } from "./servers.mjs";
import { settle, usedMemory } from "./memory-types.mjs";

const resp = (argv) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/** The length of the complete RESP reply at `at` in `buf`, or -1 if it is not all there. */
function replyEnd(buf, at = 0) {
  const nl = buf.indexOf("\r\n", at);
  if (nl < 0) return -1;
  const type = buf[at];
  const n = Number(buf.toString("latin1", at + 1, nl));
  let p = nl + 2;
  if (type === 0x24 /* $ */) return n < 0 ? p : p + n + 2 <= buf.length ? p + n + 2 : -1;
  if (type === 0x2a /* * */ || type === 0x25 /* % */) {
    const items = type === 0x25 ? n * 2 : n;
    for (let i = 0; i < items; i++) {
      p = replyEnd(buf, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return p;
}

/** Memory of a 1M-entry stream and a 100k-entry PEL; XADD and XRANGE rates. */
async function measureStream(kind, entries, pending) {
  const srv = await startServer(kind);
  try {
    await settle(srv.port);
    const used0 = await usedMemory(srv.port);
    const rss0 = rssBytes(srv.pid);
    const t0 = performance.now();
    // XADD's reply is a bulk string: two lines each.
    const res = await pipelineOneLineReplies(srv.port, entries, (i) => ["XADD", "s", `${i + 1}-1`, "name", `user${i % 1000}`, "n", String(i)], 10000, 2);
    const xaddRate = entries / ((performance.now() - t0) / 1000);
    if (res.errors > 0) throw new Error(`${kind}: ${res.errors} errors loading the stream`);
    await settle(srv.port);
    const used1 = await usedMemory(srv.port);
    const rss1 = rssBytes(srv.pid);
    const len = Number((await call(srv.port, "XLEN", "s")).slice(1));
    // The group's PEL: one consumer reads `pending` entries.
    await call(srv.port, "XGROUP", "CREATE", "s", "g", "0");
    const rd = spawnSync("redis-cli", ["-p", String(srv.port), "XREADGROUP", "GROUP", "g", "c", "COUNT", String(pending), "STREAMS", "s", ">"], { maxBuffer: 1 << 28 });
    if (rd.status !== 0) throw new Error(`${kind}: XREADGROUP failed`);
    await settle(srv.port);
    const used2 = await usedMemory(srv.port);
    const rss2 = rssBytes(srv.pid);
    const pel = (await call(srv.port, "XPENDING", "s", "g")).split("\r\n")[0];
    // XRANGE: 10 entries from a random start, 50 clients.
    const n = Math.max(10000, Math.round(entries / 10));
    const b = spawnSync("redis-benchmark", ["-p", String(srv.port), "-c", "50", "-n", String(n), "-r", String(entries), "--csv", "XRANGE", "s", "__rand_int__", "+", "COUNT", "10"], { encoding: "utf8" });
    const row = (b.stdout || "").split("\n").find((l) => l.startsWith('"XRANGE'));
    const xrangeRate = row ? Number(JSON.parse(`[${row}]`)[1]) : NaN;
    return {
      kind,
      entries: len,
      streamUsed: used1 - used0,
      streamRss: rss1 - rss0,
      pending: Number(pel.slice(1)) ? pending : 0,
      pelUsed: used2 - used1,
      pelRss: rss2 - rss1,
      xaddRate,
      xrangeRate,
    };
  } finally {
    await srv.stop();
  }
}

/** `clients` workers looping XADD -> XREADGROUP -> XACK for `seconds`; loops per second. */
function consumerLoop(port, pid, seconds, clients = 50) {
  return new Promise((resolve, reject) => {
    let loops = 0;
    let acked = 0;
    let running = clients;
    const cpu0 = cpuMicros(pid);
    const t0 = performance.now();
    const stopAt = () => t0 + seconds * 1000;
    for (let c = 0; c < clients; c++) {
      const sock = net.connect(port, "127.0.0.1");
      sock.setNoDelay(true);
      let buf = Buffer.alloc(0);
      let step = 0;
      const steps = [
        () => resp(["XADD", "loop", "MAXLEN", "~", "10000", "*", "job", "payload"]),
        () => resp(["XREADGROUP", "GROUP", "workers", `w${c}`, "COUNT", "1", "STREAMS", "loop", ">"]),
      ];
      let ackId = null;
      const next = () => {
        if (step === 0 && performance.now() >= stopAt()) {
          sock.end();
          if (--running === 0) {
            const secs = (performance.now() - t0) / 1000;
            resolve({ loopsPerSec: loops / secs, acked, cpuUsPerLoop: (cpuMicros(pid) - cpu0) / loops });
          }
          return;
        }
        sock.write(step === 2 ? resp(["XACK", "loop", "workers", ackId]) : steps[step]());
      };
      sock.on("data", (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        const end = replyEnd(buf);
        if (end < 0) return;
        const reply = buf.toString("latin1", 0, end);
        buf = buf.subarray(end);
        if (reply[0] === "-") return reject(new Error(`consumer loop: ${reply.trim()}`));
        if (step === 1) {
          const m = /\r\n\$\d+\r\n(\d+-\d+)\r\n/.exec(reply);
          if (m) {
            ackId = m[1];
            step = 2;
            return next();
          }
          loops++; // another worker took it: the loop ends without an ack
          step = 0;
          return next();
        }
        if (step === 2) {
          acked++;
          loops++;
          step = 0;
          return next();
        }
        step = 1;
        next();
      });
      sock.on("error", reject);
      sock.on("connect", next);
    }
  });
}

export async function benchStreams({ scale = 1, rounds = 3, kinds = ["redis", "nodis"], log = console.log } = {}) {
  const entries = Math.round(1000000 * Math.min(1, scale));
  const pending = Math.round(100000 * Math.min(1, scale));
  const out = { memory: [], loop: {} };
  log(`  one stream of ${entries.toLocaleString("en-US")} entries (2 small fields), then a group with ${pending.toLocaleString("en-US")} pending:`);
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  for (const kind of kinds) {
    const m = await measureStream(kind, entries, pending);
    out.memory.push(m);
    log(
      `  ${kind.padEnd(5)} stream used ${mib(m.streamUsed)} RSS ${mib(m.streamRss)} (${(m.streamUsed / m.entries).toFixed(1)} B/entry)  ` +
        `PEL used ${mib(m.pelUsed)} RSS ${mib(m.pelRss)} (${(m.pelUsed / pending).toFixed(0)} B/pending)  ` +
        `XADD ${Math.round(m.xaddRate).toLocaleString("en-US")}/s (pipelined)  XRANGE COUNT 10 ${Math.round(m.xrangeRate).toLocaleString("en-US")}/s`,
    );
  }
  if (out.memory.length === 2) {
    const [r, n] = out.memory;
    log(`  nodis/redis stream used_memory ${(n.streamUsed / r.streamUsed).toFixed(2)}, RSS ${(n.streamRss / r.streamRss).toFixed(2)}; PEL used_memory ${(n.pelUsed / r.pelUsed).toFixed(2)}; XADD x${(n.xaddRate / r.xaddRate).toFixed(2)}, XRANGE x${(n.xrangeRate / r.xrangeRate).toFixed(2)}`);
  }
  const seconds = Math.max(1, 4 * Math.min(1, scale));
  log(`  consumer loop, 50 workers (XADD -> XREADGROUP COUNT 1 > -> XACK), ${seconds} s, median of ${rounds} alternating:`);
  const servers = {};
  for (const kind of kinds) {
    servers[kind] = await startServer(kind);
    await call(servers[kind].port, "XGROUP", "CREATE", "loop", "workers", "$", "MKSTREAM");
  }
  try {
    const runs = Object.fromEntries(kinds.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const kind of r % 2 ? [...kinds].reverse() : kinds) runs[kind].push(await consumerLoop(servers[kind].port, servers[kind].pid, seconds));
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
    for (const kind of kinds) {
      out.loop[kind] = { loopsPerSec: med(runs[kind].map((x) => x.loopsPerSec)), cpuUsPerLoop: med(runs[kind].map((x) => x.cpuUsPerLoop)), runs: runs[kind] };
      log(`  ${kind.padEnd(5)} ${Math.round(out.loop[kind].loopsPerSec).toLocaleString("en-US").padStart(8)} loops/s  ${out.loop[kind].cpuUsPerLoop.toFixed(1)} µs CPU per loop`);
    }
    if (out.loop.redis && out.loop.nodis) {
      out.loop.ratio = out.loop.nodis.loopsPerSec / out.loop.redis.loopsPerSec;
      log(`  nodis/redis loops x${out.loop.ratio.toFixed(2)} (cpu per loop x${(out.loop.redis.cpuUsPerLoop / out.loop.nodis.cpuUsPerLoop).toFixed(2)})`);
    }
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scale = Number(process.env.NODIS_BENCH_SCALE ?? 1);
  const rounds = Math.max(1, Number(process.env.NODIS_BENCH_ROUNDS ?? 3));
  await benchStreams({ scale, rounds });
}
