/**
 * Microbenchmarks of the engine bindings (dist/engine over native/nodis.node)
 * against a pure-TypeScript baseline doing the same work with a Map keyspace:
 * the same argument Buffers in, the same RESP bytes out through the same Reply
 * writer. So the native path's worth is a number (ns per command).
 */
import { Bench } from "tinybench";
import { commands, strings, server, answer } from "../dist/engine/index.js";
import { Reply } from "../dist/protocol/reply.js";
import { parseI64 } from "../dist/protocol/numbers.js";

const KEYS = 1000;
const key = (p, i) => Buffer.from(`${p}:${String(i).padStart(12, "0")}`); // 16 bytes, like redis-benchmark's
const setKeys = Array.from({ length: KEYS }, (_, i) => key("key", i));
const ctrKeys = Array.from({ length: KEYS }, (_, i) => key("ctr", i));
const value = Buffer.from("v".repeat(16));
/** GET and INCR are engine commands (their handlers make this call). */
const GET = commands.id("get");
const INCR = commands.id("incr");
const getArgv = setKeys.map((k) => [Buffer.from("get"), k]);
const incrArgv = ctrKeys.map((k) => [Buffer.from("incr"), k]);

/** The path the server takes for a plain SET. */
const nativeSet = (k, v, r) => {
  strings.setPlain(0, k, v);
  r.ok();
};
/** SET through strSet, the call with options that answers into the reply buffer (flags 0: plain). */
const nativeStrSet = (k, v, r) => answer(r, strings.set(0, k, v, 0, null, r));

/** The baseline: a Map from latin1 key strings to value copies (argv Buffers are views into the read buffer). */
const map = new Map();
const ts = {
  set(k, v, r) {
    map.set(k.toString("latin1"), Buffer.from(v));
    r.ok();
  },
  get(k, r) {
    const v = map.get(k.toString("latin1"));
    if (v === undefined) r.nil();
    else r.bulk(v);
  },
  incr(k, r) {
    const name = k.toString("latin1");
    const old = map.get(name);
    const n = old === undefined ? 0 : parseI64(old);
    if (n === null) return r.error("ERR value is not an integer or out of range");
    const next = n + 1;
    map.set(name, Buffer.from(String(next)));
    r.int(next);
  },
};

/** Runs each task over all KEYS keys per iteration; returns ns per command for each. */
export async function runMicro({ timeMs = 700 } = {}) {
  server.init(16);
  server.setClock(Date.now());
  const r = new Reply(1 << 20);
  for (const k of setKeys) {
    nativeSet(k, value, r);
    ts.set(k, value, r);
    r.pos = 0;
  }
  const tasks = {
    "native SET": () => {
      for (let i = 0; i < KEYS; i++) nativeSet(setKeys[i], value, r);
    },
    "native SET (strSet)": () => {
      for (let i = 0; i < KEYS; i++) nativeStrSet(setKeys[i], value, r);
    },
    "ts-map SET": () => {
      for (let i = 0; i < KEYS; i++) ts.set(setKeys[i], value, r);
    },
    "native GET": () => {
      for (let i = 0; i < KEYS; i++) answer(r, commands.run(GET, 0, getArgv[i], r));
    },
    "ts-map GET": () => {
      for (let i = 0; i < KEYS; i++) ts.get(setKeys[i], r);
    },
    "native INCR": () => {
      for (let i = 0; i < KEYS; i++) answer(r, commands.run(INCR, 0, incrArgv[i], r));
    },
    "ts-map INCR": () => {
      for (let i = 0; i < KEYS; i++) ts.incr(ctrKeys[i], r);
    },
  };
  // Same bytes out from both paths, or the comparison means nothing.
  for (const [native, ts] of [
    ["native SET", "ts-map SET"],
    ["native SET (strSet)", "ts-map SET"],
    ["native GET", "ts-map GET"],
  ]) {
    r.pos = 0;
    tasks[native]();
    const a = r.buf.toString("latin1", 0, r.pos);
    r.pos = 0;
    tasks[ts]();
    if (a !== r.buf.toString("latin1", 0, r.pos)) throw new Error(`micro: ${native} and ${ts} replies differ`);
  }
  const bench = new Bench({ time: timeMs, warmup: true });
  for (const [name, fn] of Object.entries(tasks)) {
    bench.add(name, () => {
      r.pos = 0;
      fn();
    });
  }
  await bench.run();
  const out = {};
  for (const t of bench.tasks) {
    const res = t.result;
    if (res.state !== "completed") throw new Error(`micro: ${t.name}: ${res.state} ${res.error ?? ""}`);
    out[t.name] = { nsPerOp: (res.latency.mean * 1e6) / KEYS, rmePct: res.latency.rme, samples: res.latency.samplesCount };
  }
  return { keys: KEYS, valueBytes: value.length, results: out };
}
