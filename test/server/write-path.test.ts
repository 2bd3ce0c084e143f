/**
 * The one write path: what commands propagate (argv, or Redis 7.2's
 * deterministic rewrites), the MULTI/EXEC wrapping of one execution unit, the
 * DEL of keys that expire, the dirty count, and the modified-key and flush
 * signals WATCH and tracking build on. The propagated stream is read from the
 * in-process server's write path, as the AOF and replicas will read it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import type { RespConnection } from "../diff/resp.js";
import type { Server } from "../../src/server/server.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { FAMILY_SAMPLES } from "./write-samples/index.js";

let conn: RespConnection;
let server: Server;
useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => {
  conn = f.conn;
  server = f.srv.server;
});

/** Every propagated unit, each op as "db:ARG ARG ...". */
let units: string[][] = [];
let stop: () => void;
const signals: string[] = [];
beforeAll(() => {
  stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => `${o.db}:${o.argv.map((a) => a.toString()).join(" ")}`)));
  server.writePath.keyModified.push((db, key) => signals.push(`modified ${db}:${key}`));
  server.writePath.dbFlushed.push((db) => signals.push(`flushed ${db}`));
  server.writePath.dbsSwapped.push((a, b) => signals.push(`swapped ${a} ${b}`));
  server.writePath.listen("keys", true);
});
afterAll(() => stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs commands, then returns what they propagated (and forgets it). */
async function propagated(...cmds: string[][]): Promise<string[][]> {
  units = [];
  for (const c of cmds) await conn.call(...c);
  const got = units;
  units = [];
  return got;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("propagation", () => {
  beforeEach(async () => {
    await conn.call("FLUSHALL");
    await conn.call("SELECT", "0");
    units = [];
    signals.length = 0;
  });

  it("propagates a write as sent, and nothing for reads or writes that changed nothing", async () => {
    expect(await propagated(["SET", "k", "v"], ["GET", "k"], ["SET", "k", "w", "NX"], ["DEL", "nokey"], ["APPEND", "k", "x"])).toEqual([
      ["0:SET k v"],
      ["0:APPEND k x"],
    ]);
  });

  it("carries the db the command ran in", async () => {
    expect(await propagated(["SELECT", "3"], ["INCR", "n"], ["MOVE", "n", "5"])).toEqual([["3:INCR n"], ["3:MOVE n 5"]]);
  });

  it("rewrites relative times to absolute ones, as Redis 7.2", async () => {
    const before = Date.now();
    const got = await propagated(["SET", "k", "v", "EX", "100"], ["SETEX", "s", "100", "v"], ["PSETEX", "p", "100000", "v"], ["EXPIRE", "k", "200", "GT"]);
    const after = Date.now();
    const at = (op: string) => Number(op.split(" ").at(op.endsWith("GT") ? -2 : -1));
    expect(got.map((u) => u[0].replace(/\d{13}/, "T"))).toEqual(["0:SET k v PXAT T", "0:SET s v PXAT T", "0:SET p v PXAT T", "0:PEXPIREAT k T GT"]);
    for (const [op, ttl] of [[got[0][0], 100_000], [got[3][0], 200_000]] as const) {
      expect(at(op)).toBeGreaterThanOrEqual(before + ttl);
      expect(at(op)).toBeLessThanOrEqual(after + ttl);
    }
  });

  it("SET ... GET drops GET; PXAT and PEXPIREAT stay as sent", async () => {
    expect(await propagated(["SET", "k", "v", "get", "GET"], ["SET", "k", "w", "PXAT", "99999999999999", "GET"], ["PEXPIREAT", "k", "99999999999998"])).toEqual([
      ["0:SET k v"],
      ["0:SET k w PXAT 99999999999999 GET"],
      ["0:PEXPIREAT k 99999999999998"],
    ]);
  });

  it("GETSET, GETDEL, GETEX and INCRBYFLOAT propagate as SET, DEL, PEXPIREAT/PERSIST and SET KEEPTTL", async () => {
    const got = await propagated(
      ["GETSET", "k", "1.5"],
      ["INCRBYFLOAT", "k", "2"],
      ["GETEX", "k", "PX", "5000"],
      ["GETEX", "k", "PXAT", "99999999999999"],
      ["GETEX", "k", "PERSIST"],
      ["GETEX", "k", "PERSIST"],
      ["GETDEL", "k"],
      ["GETDEL", "k"],
    );
    expect(got.map((u) => u[0].replace(/\b\d{13}\b/, "T"))).toEqual(["0:SET k 1.5", "0:SET k 3.5 KEEPTTL", "0:PEXPIREAT k T", "0:PEXPIREAT k 99999999999999", "0:PERSIST k", "0:DEL k"]);
  });

  it("a time already past deletes and propagates DEL (UNLINK under lazyfree-lazy-expire)", async () => {
    await conn.call("SET", "a", "1");
    await conn.call("SET", "b", "1");
    expect(await propagated(["EXPIRE", "a", "-1"])).toEqual([["0:DEL a"]]);
    await conn.call("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
    try {
      expect(await propagated(["GETEX", "b", "PXAT", "1"])).toEqual([["0:UNLINK b"]]);
    } finally {
      await conn.call("CONFIG", "SET", "lazyfree-lazy-expire", "no");
    }
  });

  it("FLUSHDB and FLUSHALL propagate even when there was nothing to flush", async () => {
    expect(await propagated(["FLUSHDB"], ["FLUSHALL", "ASYNC"])).toEqual([["0:FLUSHDB"], ["0:FLUSHALL ASYNC"]]);
  });

  it("a lazily expired key propagates its DEL: alone for a read, with the write in MULTI/EXEC", async () => {
    await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await conn.call("SET", "r", "v", "PX", "1");
      await conn.call("SET", "w", "v", "PX", "1");
      await sleep(5);
      expect(await propagated(["GET", "r"], ["SET", "w", "new"])).toEqual([["0:DEL r"], ["-1:MULTI", "0:DEL w", "0:SET w new", "-1:EXEC"]]);
    } finally {
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  it("the active cycle propagates each expired key's DEL on its own", async () => {
    // The cycle is off while the keys are made: on a slow machine it could
    // otherwise take some before `units` is emptied.
    await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      for (let i = 0; i < 5; i++) await conn.call("SET", `e${i}`, "v", "PX", "1");
    } finally {
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
    units = [];
    await waitFor(async () => (await conn.call("DBSIZE")).toString() === ":0\r\n", "active expiry");
    await waitFor(() => units.length === 5, "five DELs");
    expect(units.map((u) => u.length)).toEqual([1, 1, 1, 1, 1]);
    expect(units.map((u) => u[0]).sort()).toEqual(["0:DEL e0", "0:DEL e1", "0:DEL e2", "0:DEL e3", "0:DEL e4"]);
  });
});

describe("dirty count and signals", () => {
  beforeEach(async () => {
    await conn.call("FLUSHALL");
    signals.length = 0;
  });

  const changes = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec((await conn.call("INFO", "persistence")).toString())![1]);

  it("counts changes as Redis does (MSET: one per key; failed and empty writes: none)", async () => {
    const before = await changes();
    await conn.call("MSET", "a", "1", "b", "2", "c", "3");
    await conn.call("SET", "a", "1", "NX");
    await conn.call("SETRANGE", "a", "0", "");
    await conn.call("DEL", "a", "b", "zz");
    expect((await changes()) - before).toBe(5);
  });

  it("signals modified keys, flushes and swaps", async () => {
    await conn.call("SET", "k", "v");
    await conn.call("RENAME", "k", "j");
    await conn.call("SWAPDB", "0", "1");
    await conn.call("FLUSHDB");
    await conn.call("FLUSHALL");
    expect(signals).toEqual(["modified 0:k", "modified 0:k", "modified 0:j", "swapped 0 1", "flushed 0", "flushed -1"]);
  });
});

/**
 * One invocation per write command that changes something, after its setup:
 * every write command of the table must have one (a new family adds its own),
 * and each must count a change and propagate.
 */
/** A one-function library, and Redis 7.2's FUNCTION DUMP of it alone. */
const WL = "#!lua name=wl\nredis.register_function('wf', function() return 1 end)";
const WL_DUMP = Buffer.from("\xf5@D" + WL + "\x0b\x00t \x99\x1d\xab\x82\xa2\x9b", "latin1");

const WRITE_SAMPLES: Record<string, (string | Buffer)[][]> = {
  del: [["SET", "k", "v"], ["DEL", "k"]],
  unlink: [["SET", "k", "v"], ["UNLINK", "k"]],
  rename: [["SET", "k", "v"], ["RENAME", "k", "j"]],
  renamenx: [["SET", "k", "v"], ["RENAMENX", "k", "j"]],
  move: [["SET", "k", "v"], ["MOVE", "k", "1"]],
  copy: [["SET", "k", "v"], ["COPY", "k", "j"]],
  flushdb: [["SET", "k", "v"], ["FLUSHDB"]],
  flushall: [["SET", "k", "v"], ["FLUSHALL"]],
  swapdb: [["SWAPDB", "0", "1"]],
  expire: [["SET", "k", "v"], ["EXPIRE", "k", "100"]],
  pexpire: [["SET", "k", "v"], ["PEXPIRE", "k", "100000"]],
  expireat: [["SET", "k", "v"], ["EXPIREAT", "k", "99999999999"]],
  pexpireat: [["SET", "k", "v"], ["PEXPIREAT", "k", "99999999999999"]],
  persist: [["SET", "k", "v", "EX", "100"], ["PERSIST", "k"]],
  set: [["SET", "k", "v"]],
  setnx: [["SETNX", "k", "v"]],
  setex: [["SETEX", "k", "100", "v"]],
  psetex: [["PSETEX", "k", "100000", "v"]],
  getset: [["GETSET", "k", "v"]],
  getdel: [["SET", "k", "v"], ["GETDEL", "k"]],
  getex: [["SET", "k", "v"], ["GETEX", "k", "EX", "100"]],
  mset: [["MSET", "k", "v", "j", "w"]],
  msetnx: [["MSETNX", "k", "v", "j", "w"]],
  append: [["APPEND", "k", "v"]],
  incr: [["INCR", "k"]],
  decr: [["DECR", "k"]],
  incrby: [["INCRBY", "k", "5"]],
  decrby: [["DECRBY", "k", "5"]],
  incrbyfloat: [["INCRBYFLOAT", "k", "1.5"]],
  setrange: [["SETRANGE", "k", "3", "v"]],
  // Functions are not keys, but their changes count and propagate as Redis's do.
  "function|load": [["FUNCTION", "LOAD", "REPLACE", WL]],
  "function|flush": [["FUNCTION", "LOAD", "REPLACE", WL], ["FUNCTION", "FLUSH"]],
  "function|delete": [["FUNCTION", "LOAD", "REPLACE", WL], ["FUNCTION", "DELETE", "wl"]],
  "function|restore": [["FUNCTION", "FLUSH"], ["FUNCTION", "RESTORE", WL_DUMP]],
  // The data type families keep theirs in write-samples/.
  ...FAMILY_SAMPLES,
};

describe("every write command goes through the write path", () => {
  const writes: string[] = [];
  beforeAll(() => {
    for (const s of server.commands.values()) {
      if (s.flags.includes("write")) writes.push(s.name);
      for (const sub of s.subcommands?.values() ?? []) if (sub.flags.includes("write")) writes.push(sub.name);
    }
  });

  it("has a sample for every write command of the table", () => {
    expect(writes.length).toBeGreaterThan(20);
    expect(writes.filter((w) => !(w in WRITE_SAMPLES))).toEqual([]);
  });

  it("each sample counts a change and propagates", async () => {
    const silent: string[] = [];
    for (const name of writes) {
      const steps = WRITE_SAMPLES[name] ?? [];
      if (steps.length === 0) continue;
      await conn.call("FLUSHALL");
      for (const s of steps.slice(0, -1)) await conn.call(...s);
      const dirty = server.writePath.dirty();
      const got = await propagated(steps[steps.length - 1]);
      if (server.writePath.dirty() === dirty || got.length === 0) silent.push(name);
    }
    expect(silent).toEqual([]);
  });
});
