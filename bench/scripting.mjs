/**
 * Scripting rows of the bench: EVALSHA of a script doing one GET, of one doing
 * three, and of one doing INCR + EXPIRE, and FCALL of the same as functions, with
 * redis-benchmark against both servers (bench/e2e.mjs); and the cost of one
 * redis.call crossing, from a script making 100,000 of them.
 */
import { createHash } from "node:crypto";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { runE2E } from "./e2e.mjs";

const GET = "return redis.call('GET', KEYS[1])";
const GET3 = "redis.call('GET', KEYS[1]) redis.call('GET', KEYS[1]) return redis.call('GET', KEYS[1])";
const INCR_EXPIRE = "local v = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return v";
const LIBRARY =
  "#!lua name=benchlib\n" +
  "redis.register_function('bget', function(keys) return redis.call('GET', keys[1]) end)\n" +
  "redis.register_function('bincr', function(keys) local v = redis.call('INCR', keys[1]) redis.call('EXPIRE', keys[1], 100) return v end)";
const sha = (s) => createHash("sha1").update(s).digest("hex");

/** Loads the scripts and the library into a server (redis-cli), and a value for GET. */
function prepare(port) {
  const cli = (...args) => {
    const r = spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`redis-cli ${args[0]} failed: ${r.stderr}`);
  };
  cli("SCRIPT", "LOAD", GET);
  cli("SCRIPT", "LOAD", GET3);
  cli("SCRIPT", "LOAD", INCR_EXPIRE);
  cli("FUNCTION", "LOAD", "REPLACE", LIBRARY);
  cli("SET", "bench:script", "value");
}

/** Sends one command on a fresh connection; resolves with the milliseconds until the whole reply arrived. */
function timed(port, argv) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const body = Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from("\r\n")])]);
    let t0 = 0;
    sock.once("connect", () => {
      t0 = performance.now();
      sock.write(body);
    });
    sock.once("data", (d) => {
      const ms = performance.now() - t0;
      sock.destroy();
      if (d[0] === 45) reject(new Error(d.toString()));
      else resolve(ms);
    });
    sock.once("error", reject);
  });
}

/** Microseconds per redis.call of `call` (Lua source), from a script making `n` of them (median of 5, less an empty loop's time). */
async function crossing(port, call, n = 100000) {
  const once = async (body) => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await timed(port, ["EVAL", `for i = 1, ${n} do ${body} end`, "1", "bench:script"]));
    return runs.sort((a, b) => a - b)[2];
  };
  const empty = await once("local x = i");
  return ((await once(call)) - empty) * 1000 / n;
}

export async function benchScripting(servers, { scale, rounds, log, note }) {
  for (const s of Object.values(servers)) prepare(s.port);
  const base = { 1: 200000, 16: 1000000 };
  const n = (p) => Math.max(1000, Math.round(base[p] * scale));
  const cases = [];
  for (const pipeline of [1, 16]) {
    cases.push({ test: "evalsha_get", row: "evalsha", pipeline, requests: n(pipeline), command: ["EVALSHA", sha(GET), "1", "bench:script"] });
    cases.push({ test: "evalsha_get3", row: "evalsha", pipeline, requests: n(pipeline), command: ["EVALSHA", sha(GET3), "1", "bench:script"] });
    cases.push({ test: "evalsha_incr_expire", row: "evalsha", pipeline, requests: n(pipeline), command: ["EVALSHA", sha(INCR_EXPIRE), "1", "bench:counter"] });
    cases.push({ test: "fcall_get", row: "fcall", pipeline, requests: n(pipeline), command: ["FCALL", "bget", "1", "bench:script"] });
    cases.push({ test: "fcall_incr_expire", row: "fcall", pipeline, requests: n(pipeline), command: ["FCALL", "bincr", "1", "bench:counter"] });
  }
  const rows = await runE2E(servers, { cases, rounds, log, note });
  log("  one redis.call crossing (a script making 100,000; µs per call):");
  const crossings = {};
  for (const [label, call] of [["ping", "redis.call('PING')"], ["get", "redis.call('GET', KEYS[1])"]]) {
    const row = {};
    for (const [kind, s] of Object.entries(servers)) row[kind] = await crossing(s.port, call);
    crossings[label] = row;
    log(`    redis.call ${label.padEnd(5)} ${Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(3)} µs`).join("  ")}`);
  }
  return { rows, crossings };
}
