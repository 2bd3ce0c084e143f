/**
 * MIGRATE between Nodis and redis-server (Debian's 7.0, or NODIS_ORACLE_BIN),
 * both ways: every type and encoding (fill.ts) moves with its TTLs, the
 * replies and errors equal redis-server's as a source against the same
 * target, moved keys reach the AOF as DEL, and the connection cache behaves
 * as Redis's (reused, retried once when stale, IOERR on a timeout).
 * Every server is a process: MIGRATE blocks its server while it waits.
 */
import fs from "node:fs";
import path from "node:path";
import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataDirs, startIn, type ServerProcess } from "./process.js";
import { fill, walk } from "./fill.js";
import { until } from "../helpers/wait.js";

const ORACLE = process.env.NODIS_ORACLE_BIN ?? "redis-server";
const dirs = dataDirs("nodis-migrate-");
let nodis: ServerProcess;
let redis: ServerProcess;
let target: ServerProcess;
let n: Redis;
let r: Redis;
let t: Redis;

beforeAll(async () => {
  nodis = await startIn(dirs(), ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
  redis = await startIn(dirs(), [], ORACLE);
  target = await startIn(dirs(), [], ORACLE);
  [n, r, t] = [nodis.client(), redis.client(), target.client()];
});
afterAll(async () => {
  await Promise.all([nodis?.kill9(), redis?.kill9(), target?.kill9()]);
});

const DBS = [0, 1, 5];

async function keysOf(c: Redis, db: number): Promise<string[]> {
  await c.call("SELECT", String(db));
  const k = ((await c.call("KEYS", "*")) as string[]).sort();
  await c.call("SELECT", "0");
  return k;
}

/** MIGRATEs every key of each filled db from `from` to the same db of `to`. */
async function migrateAll(from: Redis, toPort: number): Promise<void> {
  for (const db of DBS) {
    const keys = await keysOf(from, db);
    await from.call("SELECT", String(db));
    expect(await from.call("MIGRATE", "127.0.0.1", String(toPort), "", String(db), "5000", "KEYS", ...keys)).toBe("OK");
    await from.call("SELECT", "0");
  }
}

/** A reply or an error's text. */
const reply = (p: Promise<unknown>) => p.then((v) => v, (e: Error) => `ERR! ${e.message}`);

describe("MIGRATE", () => {
  it("moves every type from Nodis to redis-server, TTLs and all", async () => {
    await fill(n);
    const before = await walk(n);
    const digest = await n.call("DEBUG", "DIGEST");
    await migrateAll(n, target.port);
    expect(await n.call("DBSIZE")).toBe(0);
    expect(await walk(t)).toEqual(before);
    expect(await t.call("DEBUG", "DIGEST")).toBe(digest);
  });

  it("moves every type from redis-server to Nodis", async () => {
    await n.call("FLUSHALL");
    await fill(r);
    const before = await walk(r);
    await migrateAll(r, nodis.port);
    expect(await walk(n)).toEqual(before);
    expect(await n.call("DEBUG", "DIGEST")).toBe(await t.call("DEBUG", "DIGEST"));
  });

  it("propagates the moved keys as one DEL, and nothing for COPY", async () => {
    await n.call("FLUSHALL");
    await t.call("FLUSHALL");
    await n.call("MSET", "a", "1", "b", "2", "c", "3");
    await t.call("SELECT", "2");
    await t.call("SET", "b", "busy");
    await t.call("SELECT", "0");
    const err = await reply(n.call("MIGRATE", "127.0.0.1", String(target.port), "", "2", "5000", "KEYS", "a", "b", "c", "nosuch"));
    expect(err).toBe("ERR! ERR Target instance replied with error: BUSYKEY Target key name already exists.");
    expect(await n.call("KEYS", "*")).toEqual(["b"]);
    await n.call("SET", "d", "4");
    expect(await n.call("MIGRATE", "127.0.0.1", String(target.port), "d", "2", "5000", "COPY")).toBe("OK");
    const dir = String(await n.call("CONFIG", "GET", "dir").then((v) => (v as string[])[1]));
    // appendfsync everysec: while a background fsync runs, the write waits (up to 2 s) and the reply
    // may come first, as in Redis; the file is read until the DEL is there.
    const tailOfAof = () => {
      const incr = fs.readFileSync(path.join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"), "latin1");
      return incr.slice(incr.lastIndexOf("FLUSHALL"));
    };
    const tail = await until(tailOfAof, (t) => t.includes("DEL"));
    expect(tail).toContain("*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nc\r\n");
    expect(tail).not.toContain("MIGRATE");
    expect(tail.match(/DEL/g)).toHaveLength(1);
  });

  it("answers as redis-server does, as a source against the same target", async () => {
    const tp = String(target.port);
    const cases: string[][] = [
      ["MIGRATE", "127.0.0.1", tp, "nosuch", "0", "1000"],
      ["MIGRATE", "127.0.0.1", tp, "k1", "0", "1000"],
      ["MIGRATE", "127.0.0.1", tp, "k1", "0", "1000", "REPLACE", "COPY"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "KEYS", "k2"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "AUTH"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "AUTH2", "u"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "BOGUS"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "x", "1000"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "x"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "AUTH", "nopass"],
      ["MIGRATE", "127.0.0.1", tp, "k2", "0", "1000", "AUTH2", "nouser", "nopass"],
      ["MIGRATE", "127.0.0.1", "1", "k2", "0", "200"],
      ["MIGRATE", "127.0.0.1", tp, "", "3", "1000", "KEYS", "k2", "k3", "nosuch"],
      ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "COPY", "AUTH", "p", "KEYS", "x", "y"],
    ];
    const run = async (src: Redis) => {
      await t.call("FLUSHALL");
      await src.call("FLUSHALL");
      await src.call("MSET", "k1", "v1", "k2", "v2", "k3", "v3");
      await t.call("SET", "k1", "there");
      const out: string[] = [];
      for (const c of cases) out.push(JSON.stringify(await reply(src.call(c[0], ...c.slice(1)))));
      out.push(JSON.stringify(await src.call("KEYS", "*")));
      await t.call("SELECT", "3");
      out.push(JSON.stringify(((await t.call("KEYS", "*")) as string[]).sort()));
      await t.call("SELECT", "0");
      return out;
    };
    expect(await run(n)).toEqual(await run(r));
  });

  it("caches its connection, retries once when the target closed it, and times out with IOERR", async () => {
    const cached = async () => /migrate_cached_sockets:(\d+)/.exec(String(await n.call("INFO", "stats")))![1];
    const tp = String(target.port);
    await n.call("SET", "x", "1");
    expect(await n.call("MIGRATE", "127.0.0.1", tp, "x", "0", "1000", "REPLACE")).toBe("OK");
    expect(await cached()).toBe("1");
    // The target drops the cached connection: the next MIGRATE reconnects once and succeeds.
    const list = String(await t.call("CLIENT", "LIST"));
    const id = /id=(\d+) .*cmd=(restore|select)/.exec(list)![1];
    expect(await t.call("CLIENT", "KILL", "ID", id)).toBe(1);
    await n.call("SET", "y", "2");
    expect(await n.call("MIGRATE", "127.0.0.1", tp, "y", "0", "1000", "REPLACE")).toBe("OK");
    expect(await t.call("GET", "y")).toBe("2");
    // A target that does not answer within the timeout: IOERR, the key stays.
    await n.call("SET", "z", "3");
    expect(await t.call("CLIENT", "PAUSE", "1500", "ALL")).toBe("OK");
    expect(await reply(n.call("MIGRATE", "127.0.0.1", tp, "z", "0", "300", "REPLACE"))).toBe("ERR! IOERR error or timeout reading to target instance");
    expect(await n.call("EXISTS", "z")).toBe(1);
    expect(await cached()).toBe("0");
    // The pause over, the target answers again.
    expect(await until(() => t.call("PING").catch(() => "paused"), (v) => v === "PONG")).toBe("PONG");
  });
});
