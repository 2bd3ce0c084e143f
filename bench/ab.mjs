/**
 * A/B of the hot-path engine calls (GET, SET, SET EX, INCR, one MGET key)
 * between another build and this one: `node bench/ab.mjs <other checkout>`,
 * where both have dist/ and native/nodis.node built. Both addons are loaded in
 * this one process, rounds alternate between them, and each call is timed in
 * CPU time (process.cpuUsage), keeping each side's best round: a binding
 * change shows even on a busy machine, where wall-clock benches swing ±30%.
 * ROUNDS (25) and ITER (200 passes over 1000 keys per round) tune it.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

if (!process.argv[2]) {
  console.error("usage: node bench/ab.mjs <other checkout with dist/ and native/nodis.node>");
  process.exit(1);
}
const roots = { other: path.resolve(process.argv[2]), this: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..") };
const KEYS = 1000;
const ITER = Number(process.env.ITER ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 25);
const key = (p, i) => Buffer.from(`${p}:${String(i).padStart(12, "0")}`); // 16 bytes, like redis-benchmark's
const setKeys = Array.from({ length: KEYS }, (_, i) => key("key", i));
const ctrKeys = Array.from({ length: KEYS }, (_, i) => key("ctr", i));
const value = Buffer.from("v".repeat(16));
const ONE = Buffer.from("1");
const GET = Buffer.from("get");
const INCR = Buffer.from("incr");
const EX = Buffer.from("100");

/** The calls each command's handler makes, over all keys, for the build at `root`. */
async function tasksOf(root) {
  const { strings, commands, server, answer } = await import(path.join(root, "dist/engine/index.js"));
  // GET and INCR run as engine commands since the batch path (older builds: their string bindings).
  const get = strings.get ?? ((db, key, r) => commands.run(commands.id("get"), db, [GET, key], r));
  const incr = strings.incrBy ? (db, key, r) => strings.incrBy(db, key, ONE, false, r) : (db, key, r) => commands.run(commands.id("incr"), db, [INCR, key], r);
  const { Reply } = await import(path.join(root, "dist/protocol/reply.js"));
  server.init(16);
  server.setClock(Date.now());
  const r = new Reply(1 << 20);
  for (const k of setKeys) strings.setPlain(0, k, value);
  return {
    GET: () => {
      for (let i = 0; i < KEYS; i++) answer(r, get(0, setKeys[i], r));
    },
    SET: () => {
      for (let i = 0; i < KEYS; i++) {
        strings.setPlain(0, setKeys[i], value);
        r.ok();
      }
    },
    "SET EX": () => {
      for (let i = 0; i < KEYS; i++) answer(r, strings.set(0, setKeys[i], value, strings.SET_EX, EX, r));
    },
    INCR: () => {
      for (let i = 0; i < KEYS; i++) answer(r, incr(0, ctrKeys[i], r));
    },
    "MGET (a key)": () => {
      for (let i = 0; i < KEYS; i++) if (strings.mgetOne(0, setKeys[i], r) !== 0) r.nil();
    },
    reset: () => (r.pos = 0),
  };
}

const impls = { other: await tasksOf(roots.other), this: await tasksOf(roots.this) };
const names = Object.keys(impls.this).filter((t) => t !== "reset");
const best = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const t of names) {
    for (const side of round % 2 ? ["this", "other"] : ["other", "this"]) {
      const { reset } = impls[side];
      const f = impls[side][t];
      reset();
      f();
      const c0 = process.cpuUsage();
      for (let j = 0; j < ITER; j++) {
        reset();
        f();
      }
      const c = process.cpuUsage(c0);
      const ns = ((c.user + c.system) * 1000) / (ITER * KEYS);
      best[`${t}|${side}`] = Math.min(best[`${t}|${side}`] ?? Infinity, ns);
    }
  }
}
console.log(`ns of CPU per call, best of ${ROUNDS} rounds; other = ${roots.other}`);
console.table(
  names.map((t) => {
    const o = best[`${t}|other`];
    const n = best[`${t}|this`];
    return { command: t, other: +o.toFixed(1), this: +n.toFixed(1), "this/other": +(n / o).toFixed(3) };
  }),
);
