/**
 * Eviction hit ratio (issue 11): the same seeded Zipf-distributed trace of
 * cache-aside traffic (GET; on a miss, SET) replayed against redis-server and
 * Nodis under allkeys-lru and allkeys-lfu, with maxmemory at a quarter of what
 * the whole dataset takes in each server (so both hold about as many keys).
 * Prints both hit ratios and their difference (target: within 2 points).
 *
 *   node bench/evict.mjs            (npm run bench:evict; part (i) of npm run bench)
 * NODIS_EVICT_OPS (2,000,000), NODIS_EVICT_KEYS (1,000,000) (both times NODIS_BENCH_SCALE in npm run bench), NODIS_EVICT_ZIPF (0.99),
 * NODIS_EVICT_VALUE (100 bytes), NODIS_EVICT_POLICIES (allkeys-lru,allkeys-lfu).
 */
import net from "node:net";
import { fileURLToPath } from "node:url";
import { REDIS_SERVER, call, pipelineOneLineReplies, startServer } from "./servers.mjs";

let OPS = Number(process.env.NODIS_EVICT_OPS ?? 2_000_000);
let KEYS = Number(process.env.NODIS_EVICT_KEYS ?? 1_000_000);
const S = Number(process.env.NODIS_EVICT_ZIPF ?? 0.99);
const VALUE = "v".repeat(Number(process.env.NODIS_EVICT_VALUE ?? 100));
const POLICIES = (process.env.NODIS_EVICT_POLICIES ?? "allkeys-lru,allkeys-lfu").split(",");
/** GETs in flight at once: the SETs of a chunk's misses follow its replies. */
const CHUNK = 1000;

/** xorshift64*: the trace's seeded random source. */
function rng(seed) {
  let x = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  return () => {
    x ^= x >> 12n;
    x ^= (x << 25n) & mask;
    x ^= x >> 27n;
    return Number(((x * 0x2545f4914f6cdd1dn) & mask) >> 11n) / 2 ** 53;
  };
}

/** The trace: OPS key indexes drawn by Zipf rank, ranks scattered over the key names. */
function makeTrace() {
  const cdf = new Float64Array(KEYS);
  let sum = 0;
  for (let i = 0; i < KEYS; i++) cdf[i] = sum += 1 / Math.pow(i + 1, S);
  const rand = rng(20261129);
  const trace = new Uint32Array(OPS);
  for (let n = 0; n < OPS; n++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = KEYS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    trace[n] = Number((BigInt(lo) * 2654435761n) % BigInt(KEYS));
  }
  return trace;
}

const key = (i) => `key:${i}`;

function encode(argv) {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** used_memory from INFO memory. */
async function usedMemory(port) {
  const m = /used_memory:(\d+)/.exec(await call(port, "INFO", "memory"));
  return Number(m[1]);
}

/**
 * Replays the trace as cache-aside traffic over one connection: a chunk of
 * GETs, then a SET for each miss. Resolves with the GET hits.
 */
function replay(port, trace) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let at = 0;
    let hits = 0;
    let pending = []; // key indexes of the GETs in flight
    let phase = "get";
    let expected = 0;
    let buf = "";
    let misses = [];
    const sendGets = () => {
      if (at >= trace.length) {
        sock.end();
        return resolve(hits);
      }
      const n = Math.min(CHUNK, trace.length - at);
      pending = Array.from(trace.subarray(at, at + n));
      at += n;
      phase = "get";
      expected = n;
      misses = [];
      sock.write(pending.map((i) => encode(["GET", key(i)])).join(""));
    };
    const sendSets = () => {
      if (misses.length === 0) return sendGets();
      phase = "set";
      expected = misses.length;
      sock.write(misses.map((i) => encode(["SET", key(i), VALUE])).join(""));
    };
    sock.on("connect", sendGets);
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      // Replies: $-1 (miss), $len + value (hit), +OK, or an error line.
      let pos = 0;
      while (expected > 0) {
        const eol = buf.indexOf("\r\n", pos);
        if (eol < 0) break;
        const line = buf.slice(pos, eol);
        if (line[0] === "$" && line !== "$-1") {
          const len = Number(line.slice(1));
          if (buf.length < eol + 2 + len + 2) break;
          pos = eol + 2 + len + 2;
          hits++;
        } else {
          if (phase === "get" && line === "$-1") misses.push(pending[pending.length - expected]);
          else if (line[0] === "-") return reject(new Error(`server error: ${line}`));
          pos = eol + 2;
        }
        expected--;
      }
      buf = buf.slice(pos);
      if (expected === 0) {
        if (phase === "get") sendSets();
        else sendGets();
      }
    });
  });
}

async function measure(kind, policy, trace) {
  const srv = await startServer(kind);
  try {
    // What the whole dataset takes in this server: maxmemory is a quarter of it above the empty server's.
    const empty = await usedMemory(srv.port);
    await pipelineOneLineReplies(srv.port, KEYS, (i) => ["SET", key(i), VALUE]);
    const full = await usedMemory(srv.port);
    await call(srv.port, "FLUSHALL");
    const base = await usedMemory(srv.port);
    const maxmemory = base + Math.floor((full - empty) / 4);
    await call(srv.port, "CONFIG", "SET", "maxmemory-policy", policy);
    await call(srv.port, "CONFIG", "SET", "maxmemory", String(maxmemory));
    const t0 = performance.now();
    const hits = await replay(srv.port, trace);
    const secs = (performance.now() - t0) / 1000;
    const keys = Number((await call(srv.port, "DBSIZE")).slice(1));
    const used = await usedMemory(srv.port);
    return { hits, ratio: hits / trace.length, keys, used, maxmemory, secs };
  } finally {
    await srv.stop();
  }
}

/** Runs the comparison (`scale` multiplies the trace and the key count); returns the figures per policy. */
export async function benchEviction({ scale = 1, log = console.log } = {}) {
  OPS = Math.round(OPS * scale);
  KEYS = Math.round(KEYS * scale);
  const trace = makeTrace();
  log(`eviction hit ratio: ${OPS} cache-aside GETs (SET on a miss) over ${KEYS} keys, Zipf s=${S}, ${VALUE.length}-byte values, maxmemory a quarter of the dataset; Redis: ${REDIS_SERVER}`);
  const out = {};
  for (const policy of POLICIES) {
    const redis = await measure("redis", policy, trace);
    const nodis = await measure("nodis", policy, trace);
    const pct = (x) => (x * 100).toFixed(2);
    log(
      `${policy.padEnd(12)} hit ratio Redis ${pct(redis.ratio)}%  Nodis ${pct(nodis.ratio)}%  difference ${(100 * (nodis.ratio - redis.ratio)).toFixed(2)} points` +
        `  | keys held ${redis.keys} / ${nodis.keys}, used/maxmemory ${(redis.used / redis.maxmemory).toFixed(3)} / ${(nodis.used / nodis.maxmemory).toFixed(3)}, replay ${redis.secs.toFixed(1)} s / ${nodis.secs.toFixed(1)} s`,
    );
    out[policy] = { redis: redis.ratio, nodis: nodis.ratio };
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchEviction();
