/**
 * Big last arguments the read loop holds (native/src/api/held.rs): a command
 * whose last argument is 32 KB to 512 KB and not all in a read is kept in the
 * addon, the argument read straight into a buffer of its size that the value
 * then takes. What a client sees must not change: replies byte-equal to
 * Redis's for any split of the bytes, values intact when overwritten, pipelines
 * mixing big and small commands in order, CLIENT LIST's view of the query
 * buffer, a client closing mid-argument, a command that can no longer run in
 * the loop when it is whole (run the usual way), slow log entries and
 * propagation to a replica.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import { encodeCommand } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";
import { sleep, until, waitFor } from "../helpers/wait.js";

const cmds = (...list: (string | Buffer)[][]) => Buffer.concat(list.map(encodeCommand));

/** A value of `n` bytes from `seed` (not one repeated byte: a shifted copy would show). */
function value(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = 32 + ((x >>> 16) % 90);
  }
  return b;
}

/** A seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `data` to each connection in the same pieces (cut at `cuts`), pausing between pieces so each lands in its own read. */
async function writeInPieces(conns: RawConn[], data: Buffer, cuts: number[]): Promise<void> {
  let at = 0;
  for (const cut of [...cuts, data.length]) {
    for (const c of conns) c.write(data.subarray(at, cut));
    at = cut;
    await sleep(5);
  }
}

async function replies(c: RawConn, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await c.reply());
  return out;
}

/** A CLIENT LIST line's fields for the client named `name`. */
async function clientFields(admin: RawConn, name: string): Promise<Record<string, string> | null> {
  const text = await admin.call("CLIENT", "LIST");
  const line = text.split("\n").find((l) => l.includes(` name=${name} `));
  if (!line) return null;
  return Object.fromEntries(line.trim().split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

describe("big last arguments held by the read loop", () => {
  let srv: RunningServer;
  let oracle: { port: number; stop(): Promise<void> } | null = null;
  let admin: RawConn;
  const held = () => srv.server.batchPath.heldCommands;
  const taken = () => srv.server.batchPath.heldTaken;
  /** A connection whose reads the loop may run (its first command, through TypeScript, marks it). */
  const marked = async (port = srv.port) => {
    const c = await RawConn.open(port);
    expect(await c.call("PING")).toBe("+PONG\r\n");
    return c;
  };

  beforeAll(async () => {
    srv = await startNodis({ "enable-debug-command": "yes" });
    admin = await RawConn.open(srv.port);
    if (haveRedisServer()) oracle = await startRedis([], process.env.NODIS_ORACLE_BIN ?? "redis-server");
  });
  afterAll(async () => {
    admin.close();
    await srv.close();
    await oracle?.stop();
  });

  it("reads a big argument across reads into the value it becomes", async () => {
    const c = await marked();
    await c.call("CLIENT", "SETNAME", "held1");
    const v = value(100 * 1024, 1);
    const before = held();
    const cmd = cmds(["SET", "h:k", v]);
    const head = cmd.length - v.length - 2;
    c.write(cmd.subarray(0, head + 10_000));
    // Held: CLIENT LIST shows room for the whole argument, the bytes come so far and the other arguments (as Redis's).
    const f = await until(
      () => clientFields(admin, "held1"),
      (f) => f !== null && Number(f.qbuf) > 0,
    );
    expect(Number(f!.qbuf)).toBe(10_000);
    expect(Number(f!.qbuf) + Number(f!["qbuf-free"])).toBe(v.length + 2);
    expect(Number(f!["argv-mem"])).toBe(3 + 3);
    for (const cut of [30_000, 60_000, v.length + 1]) {
      c.write(cmd.subarray(head + (cut === 30_000 ? 10_000 : cut === 60_000 ? 30_000 : 60_000), head + cut));
      await sleep(5);
    }
    expect(await c.hasReplyWithin(20)).toBe(false);
    c.write(cmd.subarray(head + v.length + 1));
    expect(await c.reply()).toBe("+OK\r\n");
    expect(held()).toBe(before + 1);
    expect(await c.call("GET", "h:k")).toBe(`$${v.length}\r\n${v.toString("latin1")}\r\n`);
    const after = (await clientFields(admin, "held1"))!;
    expect(Number(after.qbuf)).toBe(0);
    expect(Number(after["argv-mem"])).toBe(0);
    c.close();
  });

  it("reads big values back whole at every offset of the turn's reply buffer (reply.rs's copy, util/copy.rs)", async () => {
    // Sizes 100 KB + k: each reply's header and CRLF move the next one's bytes by a few more, so the
    // 64 replies of one pipeline meet every distance to their page-aligned values, the vector copy's window included.
    const c = await marked();
    const values = Array.from({ length: 64 }, (_, k) => value(100 * 1024 + k, 600 + k));
    for (const [k, v] of values.entries()) expect(await c.call("SET", `h:back${k}`, v)).toBe("+OK\r\n");
    c.write(cmds(...values.map((_, k) => ["GET", `h:back${k}`])));
    const got = await replies(c, values.length);
    for (const [k, v] of values.entries()) expect(got[k] === `$${v.length}\r\n${v.toString("latin1")}\r\n`, `value ${k}`).toBe(true);
    // One at a time too: each reply first in its turn.
    for (const k of [0, 9, 33]) expect((await c.call("GET", `h:back${k}`)) === `$${values[k].length}\r\n${values[k].toString("latin1")}\r\n`).toBe(true);
    c.close();
  });

  it("keeps values intact when a big value is set, overwritten, appended to and replaced", async () => {
    const c = await marked();
    const sizes = [100 * 1024, 40 * 1024, 500 * 1024, 100 * 1024 + 1, 32 * 1024];
    const before = held();
    for (const [i, n] of sizes.entries()) {
      const v = value(n, 10 + i);
      const cmd = cmds(["SET", "h:over", v]);
      await writeInPieces([c], cmd, [100, 20_000]);
      expect(await c.reply()).toBe("+OK\r\n");
      expect(await c.call("STRLEN", "h:over")).toBe(`:${n}\r\n`);
      expect(await c.call("GETRANGE", "h:over", "-20", "-1")).toBe(`$20\r\n${v.subarray(n - 20).toString("latin1")}\r\n`);
      expect(await c.call("OBJECT", "ENCODING", "h:over")).toBe("$3\r\nraw\r\n");
    }
    expect(held()).toBe(before + sizes.length);
    // A held value grown in place, then replaced by a small one and a big one again.
    expect(await c.call("APPEND", "h:over", "xyz")).toBe(`:${32 * 1024 + 3}\r\n`);
    expect(await c.call("GETRANGE", "h:over", "-4", "-1")).toBe(`$4\r\n${value(32 * 1024, 14).subarray(-1).toString("latin1")}xyz\r\n`);
    expect(await c.call("SET", "h:over", "12")).toBe("+OK\r\n");
    expect(await c.call("OBJECT", "ENCODING", "h:over")).toBe("$3\r\nint\r\n");
    const last = value(64 * 1024, 99);
    await writeInPieces([c], cmds(["SET", "h:over", last]), [1000]);
    expect(await c.reply()).toBe("+OK\r\n");
    expect(await c.call("GET", "h:over")).toBe(`$${last.length}\r\n${last.toString("latin1")}\r\n`);
    // Commands that copy the argument (lists, hashes) keep theirs too.
    const lv = value(50 * 1024, 7);
    await writeInPieces([c], cmds(["RPUSH", "h:list", lv], ["HSET", "h:hash", "f", lv]), [500, 40_000, 60_000]);
    expect(await replies(c, 2)).toEqual([":1\r\n", ":1\r\n"]);
    expect(await c.call("LINDEX", "h:list", "0")).toBe(`$${lv.length}\r\n${lv.toString("latin1")}\r\n`);
    expect(await c.call("HGET", "h:hash", "f")).toBe(`$${lv.length}\r\n${lv.toString("latin1")}\r\n`);
    expect(await c.call("MEMORY", "USAGE", "h:over")).toMatch(/^:\d+\r\n$/);
    c.close();
  });

  it.skipIf(!haveRedisServer())("answers pipelines mixing big and small commands, split anywhere, as Redis does", async () => {
    const mine = await marked();
    const theirs = await marked(oracle!.port);
    const before = held();
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const list: (string | Buffer)[][] = [];
      for (let i = 0; i < 8; i++) {
        const big = value(32 * 1024 + Math.floor(r() * 200 * 1024), seed * 100 + i);
        const k = `p:${seed}:${i % 3}`;
        switch (Math.floor(r() * 8)) {
          case 0: list.push(["SET", k, big]); break;
          case 1: list.push(["SET", k, big, "EX", "100"]); break; // big, not last: the usual way
          case 2: list.push(["INCR", `p:${seed}:n`]); break;
          case 3: list.push(["GET", k]); break;
          case 4: list.push(["RPUSH", `p:${seed}:l`, big]); break;
          case 5: list.push(["APPEND", k, big]); break;
          case 6: list.push(["STRLEN", k]); break;
          default: list.push(["SET", k, "small"]); break;
        }
      }
      const data = cmds(...list);
      const cuts: number[] = [];
      for (let at = Math.floor(r() * 20_000); at < data.length; at += 1 + Math.floor(r() * 60_000)) cuts.push(at);
      await writeInPieces([mine, theirs], data, cuts);
      expect(await replies(mine, list.length)).toEqual(await replies(theirs, list.length));
    }
    expect(held()).toBeGreaterThan(before);
    // The values (not the TTLs: SET ... EX's absolute times differ).
    const keys = (await theirs.call("KEYS", "p:*")).split("\r\n").filter((l) => l.startsWith("p:")).sort();
    expect(keys.length).toBeGreaterThan(10);
    expect(await mine.call("DEBUG", "DIGEST-VALUE", ...keys)).toBe(await theirs.call("DEBUG", "DIGEST-VALUE", ...keys));
    mine.close();
    theirs.close();
  });

  it("forgets a command whose client closes mid-argument", async () => {
    const baseline = Number(/connected_clients:(\d+)/.exec(await admin.call("INFO", "clients"))![1]);
    for (let i = 0; i < 20; i++) {
      const c = await marked();
      const v = value(100 * 1024, 200 + i);
      const cmd = cmds(["SET", `h:gone:${i}`, v]);
      // Mid-argument, or all of it but its CRLF.
      c.write(cmd.subarray(0, i % 2 === 0 ? 30_000 : cmd.length - 1));
      await sleep(2);
      c.close();
    }
    expect(await waitFor(async () => Number(/connected_clients:(\d+)/.exec(await admin.call("INFO", "clients"))![1]) === baseline)).toBe(true);
    expect(await admin.call("EXISTS", ...Array.from({ length: 20 }, (_, i) => `h:gone:${i}`))).toBe(":0\r\n");
    // The next client of a freed slot starts clean.
    const c = await marked();
    const v = value(64 * 1024, 300);
    await writeInPieces([c], cmds(["SET", "h:after", v], ["GET", "h:after"]), [5000]);
    expect(await replies(c, 2)).toEqual(["+OK\r\n", `$${v.length}\r\n${v.toString("latin1")}\r\n`]);
    c.close();
  });

  it("runs a held command the usual way when the loop may not run it any more", async () => {
    const c = await marked();
    await c.call("CLIENT", "SETNAME", "held2");
    const v = value(100 * 1024, 400);
    const cmd = cmds(["SET", "h:paused", v]);
    const before = taken();
    c.write(cmd.subarray(0, 20_000));
    expect(await waitFor(async () => Number((await clientFields(admin, "held2"))?.qbuf) > 0)).toBe(true);
    // Another client pauses writes: whole, the command waits for the pause's end, as a command read then would.
    expect(await admin.call("CLIENT", "PAUSE", "100000", "WRITE")).toBe("+OK\r\n");
    c.write(cmd.subarray(20_000));
    expect(await waitFor(() => taken() === before + 1)).toBe(true);
    expect(await c.hasReplyWithin(50)).toBe(false);
    expect(await admin.call("CLIENT", "UNPAUSE")).toBe("+OK\r\n");
    expect(await c.reply()).toBe("+OK\r\n");
    expect(await c.call("GET", "h:paused")).toBe(`$${v.length}\r\n${v.toString("latin1")}\r\n`);
    c.close();
  });

  it("logs a slow held command with its arguments, as Redis trims them", async () => {
    await admin.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    try {
      const c = await marked();
      await admin.call("SLOWLOG", "RESET");
      const v = value(40 * 1024, 500);
      const before = held();
      await writeInPieces([c], cmds(["SET", "h:slow", v]), [1000]);
      expect(await c.reply()).toBe("+OK\r\n");
      expect(held()).toBe(before + 1);
      const log = await admin.call("SLOWLOG", "GET", "10");
      const arg = `${v.subarray(0, 128).toString("latin1")}... (${v.length - 128} more bytes)`;
      expect(log).toContain(`$6\r\nh:slow\r\n$${arg.length}\r\n${arg}\r\n`);
      c.close();
    } finally {
      await admin.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    }
  });

  it("sends big GET replies whole and in order, also when the client reads slowly", async () => {
    const c = await marked();
    const v = value(300 * 1024, 700);
    await writeInPieces([c], cmds(["SET", "h:get", v]), [1000]);
    expect(await c.reply()).toBe("+OK\r\n");
    await admin.call("CONFIG", "RESETSTAT");
    const one = `$${v.length}\r\n${v.toString("latin1")}\r\n`;
    // The kernel takes part of each reply while the client does not read: the rest follows from the arena or the overflow area.
    c.sock.pause();
    c.write(cmds(["GET", "h:get"], ["GET", "h:get"], ["PING"], ["GET", "h:get"], ["GET", "nokey"], ["GET", "h:get"]));
    await sleep(50);
    c.sock.resume();
    expect(await replies(c, 6)).toEqual([one, one, "+PONG\r\n", one, "$-1\r\n", one]);
    for (let i = 0; i < 10; i++) expect(await c.call("GET", "h:get")).toBe(one);
    const out = Number(/total_net_output_bytes:(\d+)/.exec(await admin.call("INFO", "stats"))![1]);
    // Every byte sent counted, as copied replies are (the admin's own replies besides).
    expect(out).toBeGreaterThanOrEqual(14 * one.length + 7 + 5);
    expect(out).toBeLessThan(14 * one.length + 7 + 5 + 200);
    c.close();
  });

  it.skipIf(!haveRedisServer())("propagates held commands to a replica", async () => {
    const replica = await RawConn.open(oracle!.port);
    await replica.call("FLUSHALL");
    await admin.call("CONFIG", "SET", "repl-diskless-sync-delay", "0");
    expect(await replica.call("REPLICAOF", "127.0.0.1", String(srv.port))).toBe("+OK\r\n");
    try {
      expect(await waitFor(async () => (await replica.call("INFO", "replication")).includes("master_link_status:up"))).toBe(true);
      const c = await marked();
      await c.call("CLIENT", "SETNAME", "held-rep");
      const before = held();
      // A turn in which JavaScript ran another read first (the replica's REPLCONF ACK, each second) leaves
      // a held command to JavaScript (taken), or its head is read there: every way must propagate, and five must run held.
      let sent = 0;
      for (; held() < before + 5 && sent < 20; sent++) {
        const cmd = cmds(["SET", `h:rep:${sent}`, value(60 * 1024 + sent, 600 + sent)]);
        c.write(cmd.subarray(0, 2000));
        // The rest only once the loop holds the head (sent at once, a loaded machine may read it whole: no hold).
        expect(await waitFor(async () => Number((await clientFields(admin, "held-rep"))?.qbuf) > 0)).toBe(true);
        c.write(cmd.subarray(2000));
        expect(await c.reply()).toBe("+OK\r\n");
      }
      expect(held()).toBe(before + 5);
      const want = await c.call("DEBUG", "DIGEST");
      expect(await waitFor(async () => (await replica.call("DEBUG", "DIGEST")) === want)).toBe(true);
      c.close();
    } finally {
      await replica.call("REPLICAOF", "NO", "ONE");
      replica.close();
    }
  });
});
