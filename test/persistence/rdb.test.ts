/**
 * SAVE, BGSAVE, LASTSAVE, the save rules, loading at start, DEBUG RELOAD,
 * SHUTDOWN SAVE, -MISCONF and INFO persistence, on a Nodis with a directory
 * of its own.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startNodis } from "../helpers/nodis.js";
import { until, waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-rdb-"));
  dirs.push(d);
  return d;
}
let srv: RunningServer | null = null;
let r: Redis | null = null;
async function start(config: Record<string, string>): Promise<Redis> {
  srv = await startNodis({ "enable-debug-command": "yes", "enable-protected-configs": "yes", ...config });
  // No reconnecting: a server that stops stays stopped for the test.
  r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  return r;
}
afterEach(async () => {
  r?.disconnect();
  await srv?.close();
  srv = r = null;
  process.chdir(os.tmpdir());
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const info = async (c: Redis, field: string) => String(await c.call("INFO", "persistence")).match(new RegExp(`${field}:(\\S+)`))?.[1];

describe("RDB persistence", () => {
  it("SAVE writes dbfilename in dir, LASTSAVE and INFO follow, and a new server loads it at start", async () => {
    const dir = tmpDir();
    const c = await start({ dir, dbfilename: "snap.rdb" });
    await c.call("SET", "a", "1");
    await c.call("RPUSH", "l", "x", "y");
    await c.call("SELECT", "3");
    await c.call("HSET", "h", "f", "v");
    await c.call("SET", "v", "1", "PX", "100000");
    expect(await info(c, "rdb_changes_since_last_save")).toBe("5"); // RPUSH of two counts two
    const before = await c.call("LASTSAVE");
    expect(await c.call("SAVE")).toBe("OK");
    expect(fs.existsSync(path.join(dir, "snap.rdb"))).toBe(true);
    expect(await info(c, "rdb_changes_since_last_save")).toBe("0");
    expect(await info(c, "rdb_saves")).toBe("1");
    expect(Number(await c.call("LASTSAVE"))).toBeGreaterThanOrEqual(Number(before));
    const digest = await c.call("DEBUG", "DIGEST");
    c.disconnect();
    await srv!.close();
    const c2 = await start({ dir, dbfilename: "snap.rdb" });
    expect(await c2.call("DEBUG", "DIGEST")).toBe(digest);
    await c2.call("SELECT", "3");
    expect(Number(await c2.call("PTTL", "v"))).toBeGreaterThan(90000);
    expect(await info(c2, "rdb_last_load_keys_loaded")).toBe("4");
  });

  it("a damaged file stops the start with the loader's reason", async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "dump.rdb"), Buffer.from("REDIS0010\xfe\x00\x00\x03key", "latin1"));
    await expect(startNodis({ dir })).rejects.toThrow("Terminating server after rdb file reading failure.");
    fs.writeFileSync(path.join(dir, "dump.rdb"), Buffer.from("REDIS0099", "latin1"));
    await expect(startNodis({ dir })).rejects.toThrow("Fatal error loading the DB: Invalid argument. Exiting.");
  });

  it("BGSAVE writes a point-in-time snapshot while writes go on", async () => {
    const dir = tmpDir();
    const c = await start({ dir });
    for (let i = 0; i < 200; i++) await c.call("SET", `k${i}`, String(i));
    const digest = await c.call("DEBUG", "DIGEST");
    // 2 ms per key: the child takes ~0.4 s, during which the parent writes on.
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "2000");
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    expect(await info(c, "rdb_bgsave_in_progress")).toBe("1");
    await expect(c.call("BGSAVE")).rejects.toThrow("ERR Background save already in progress");
    await expect(c.call("SAVE")).rejects.toThrow("ERR Background save already in progress");
    for (let i = 0; i < 100; i++) await c.call("SET", `k${i}`, "changed");
    await c.call("DEL", "k150");
    expect(await until(() => info(c, "rdb_bgsave_in_progress"), (v) => v === "0")).toBe("0");
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(Number(await info(c, "rdb_last_cow_size"))).toBeGreaterThan(0);
    expect(Number(String(await c.call("INFO", "stats")).match(/latest_fork_usec:(\d+)/)![1])).toBeGreaterThan(0);
    // What was written after the fork still counts as unsaved.
    expect(await info(c, "rdb_changes_since_last_save")).toBe("101");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
    expect(await c.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
    expect(await c.call("DEBUG", "DIGEST")).toBe(digest);
  });

  it("the save rules start a BGSAVE from the cron", async () => {
    const dir = tmpDir();
    const c = await start({ dir, save: "1 2" });
    const t0 = Number(await c.call("LASTSAVE"));
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "1");
    expect(await waitFor(async () => Number(await c.call("LASTSAVE")) > t0 && (await info(c, "rdb_bgsave_in_progress")) === "0")).toBe(true);
    expect(fs.existsSync(path.join(dir, "dump.rdb"))).toBe(true);
    expect(await info(c, "rdb_changes_since_last_save")).toBe("0");
  });

  it("a failed BGSAVE stops writes with -MISCONF until a save succeeds", async () => {
    const dir = tmpDir();
    const c = await start({ dir, save: "3600 1" });
    const gone = tmpDir();
    await c.call("CONFIG", "SET", "dir", gone);
    fs.rmSync(gone, { recursive: true });
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    expect(await until(() => info(c, "rdb_last_bgsave_status"), (v) => v === "err")).toBe("err");
    await expect(c.call("SET", "x", "1")).rejects.toThrow(/^MISCONF Redis is configured to save RDB snapshots/);
    await expect(c.call("PING")).rejects.toThrow(/^MISCONF/);
    // Pipelined engine writes too (they could take the batch path).
    const piped = await c.pipeline().lpush("l", "a").hset("h", "f", "v").sadd("s", "m").exec();
    expect(piped!.map(([e]) => String(e))).toEqual(Array(3).fill(expect.stringMatching(/MISCONF/)));
    expect(await c.call("GET", "x")).toBe(null);
    // Scripts too: a write from a script, or a script that may write (scriptVerifyWriteCommandAllow, scriptPrepareForRun).
    await expect(c.call("EVAL", "return redis.call('set','x',1)", "1", "x")).rejects.toThrow(/^MISCONF/);
    expect(await c.call("EVAL", "return redis.call('get','x')", "1", "x")).toBe(null);
    await expect(c.call("EVAL", "#!lua\nreturn redis.call('get','x')", "1", "x")).rejects.toThrow(/^MISCONF/);
    expect(await c.call("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "1", "x")).toBe(null);
    await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no");
    expect(await c.call("SET", "x", "1")).toBe("OK");
    await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes");
    await c.call("CONFIG", "SET", "dir", dir);
    expect(await c.call("SAVE")).toBe("OK");
    expect(await c.call("SET", "x", "2")).toBe("OK");
  });

  it("DEBUG RELOAD saves and loads back; NOFLUSH merges, MERGE replaces duplicates", async () => {
    const dir = tmpDir();
    const c = await start({ dir });
    await c.call("SET", "a", "1");
    await c.call("ZADD", "z", "1", "m");
    const digest = await c.call("DEBUG", "DIGEST");
    expect(await c.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await c.call("DEBUG", "DIGEST")).toBe(digest);
    await c.call("SET", "b", "2");
    await expect(c.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH")).rejects.toThrow("ERR Error trying to load the RDB dump");
    expect(await c.call("GET", "b")).toBe("2");
    await c.call("SET", "a", "changed");
    expect(await c.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")).toBe("OK");
    expect(await c.call("GET", "a")).toBe("1");
    expect(await c.call("GET", "b")).toBe("2");
  });

  it("SHUTDOWN SAVE saves before stopping, and refuses to stop when the save fails", async () => {
    const dir = tmpDir();
    const c = await start({ dir });
    await c.call("SET", "k", "v");
    const gone = tmpDir();
    await c.call("CONFIG", "SET", "dir", gone);
    fs.rmSync(gone, { recursive: true });
    await expect(c.call("SHUTDOWN", "SAVE")).rejects.toThrow("ERR Errors trying to SHUTDOWN. Check logs.");
    await c.call("CONFIG", "SET", "dir", dir);
    let stopped = false;
    srv!.server.onShutdown = () => {
      stopped = true;
    };
    await c.call("SHUTDOWN", "SAVE").catch(() => undefined);
    expect(await waitFor(() => stopped)).toBe(true);
    expect(fs.existsSync(path.join(dir, "dump.rdb"))).toBe(true);
  });
});

describe("sanitize-dump-payload", () => {
  it("a stream whose node header disagrees with its entries: refused under yes, kept under no (Redis's shallow check) without harm", async () => {
    const c = await start({ dir: tmpDir(), rdbcompression: "no" });
    await c.call("XADD", "s", "1-1", "a", "1");
    await c.call("XADD", "s", "1-2", "a", "2");
    await c.call("XADD", "s", "1-3", "a", "3");
    const p = (await c.callBuffer("DUMP", "s")) as Buffer;
    // type, node count, the 16-byte node key, the listpack's length, its 6-byte header: then the master entry's count.
    const lenBytes = p[19] >> 6 === 0 ? 1 : 2;
    const at = 19 + lenBytes + 6;
    expect(p[at]).toBe(3);
    p[at] = 0x7f;
    await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
    await expect(c.call("RESTORE", "bad", "0", p)).rejects.toThrow("ERR Bad data format");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    expect(await c.call("RESTORE", "bad", "0", p)).toBe("OK");
    for (const cmd of [["XRANGE", "bad", "-", "+"], ["XREVRANGE", "bad", "+", "-"], ["XINFO", "STREAM", "bad", "FULL"], ["XADD", "bad", "*", "x", "y"], ["XLEN", "bad"]]) {
      await c.call(cmd[0], ...cmd.slice(1)).catch((e: Error) => e.message);
    }
    expect(await c.call("PING")).toBe("PONG");
    expect(await c.call("DEL", "bad")).toBe(1);
    // The listpack's own header disagrees with its entries: rebuilt from them under no.
    const q = Buffer.from(p);
    q[at] = 3;
    q[19 + lenBytes + 4] ^= 0x01;
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
    await expect(c.call("RESTORE", "bad2", "0", q)).rejects.toThrow("ERR Bad data format");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    expect(await c.call("RESTORE", "bad2", "0", q)).toBe("OK");
    expect(await c.call("XRANGE", "bad2", "-", "+")).toEqual(await c.call("XRANGE", "s", "-", "+"));
  });

  it("a hash listpack with a duplicate field: refused under yes, the first of each field kept under no", async () => {
    const c = await start({ dir: tmpDir(), rdbcompression: "no" });
    await c.call("HSET", "h", "a", "1", "b", "2", "c", "3");
    const p = (await c.callBuffer("DUMP", "h")) as Buffer;
    const at = p.indexOf(Buffer.from([0x81, 0x62])); // the field "b"
    expect(at).toBeGreaterThan(0);
    p[at + 1] = 0x61; // now a second "a"
    await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
    await expect(c.call("RESTORE", "dup", "0", p)).rejects.toThrow("ERR Bad data format");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    expect(await c.call("RESTORE", "dup", "0", p)).toBe("OK");
    expect(await c.call("HGETALL", "dup")).toEqual(["a", "1", "c", "3"]);
    expect(await c.call("HLEN", "dup")).toBe(2);
  });

  it("a hash listpack with a duplicate field past hash-max-listpack-entries, under no: the listpack's hex dump logged (Redis's, before its panic) and refused", async () => {
    const dir = tmpDir();
    const logfile = path.join(dir, "nodis.log");
    const c = await start({ dir, rdbcompression: "no", logfile });
    await c.call("HSET", "h", "a", "1", "b", "2");
    const p = (await c.callBuffer("DUMP", "h")) as Buffer;
    const at = p.indexOf(Buffer.from([0x81, 0x62])); // the field "b"
    p[at + 1] = 0x61; // now a second "a"
    const lpBytes = p.readUInt32LE(2); // the listpack's total bytes (after the type and its 1-byte length)
    const listpack = p.subarray(2, 2 + lpBytes).toString("hex");
    await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    await c.call("CONFIG", "SET", "hash-max-listpack-entries", "1");
    await expect(c.call("RESTORE", "dup", "0", p)).rejects.toThrow("ERR Bad data format");
    expect(await c.call("EXISTS", "dup")).toBe(0);
    const log = fs.readFileSync(logfile, "utf8");
    expect(log).toContain(`# listpack with dup elements dump (hexdump of ${lpBytes} bytes):\n${listpack}\n`);
    expect(log).toContain("Internal error in RDB reading offset 0, function at rdb.c:0 -> Listpack corruption detected");
    // Within the limit it is kept, the first of each field, as before.
    await c.call("CONFIG", "SET", "hash-max-listpack-entries", "128");
    expect(await c.call("RESTORE", "dup", "0", p)).toBe("OK");
    expect(await c.call("HGETALL", "dup")).toEqual(["a", "1"]);
  });

  it("a set listpack with a duplicate member under no: kept as Redis keeps it, refused past set-max-listpack-entries (where Redis asserts), one member in the table a later conversion builds", async () => {
    const c = await start({ dir: tmpDir(), rdbcompression: "no" });
    // A set listpack (RDB type 20) of "a", "a", "c": 6 header bytes, three 3-byte entries, the end byte.
    const lp = Buffer.from([16, 0, 0, 0, 3, 0, 0x81, 0x61, 2, 0x81, 0x61, 2, 0x81, 0x63, 2, 0xff]);
    const p = Buffer.concat([Buffer.from([20, lp.length]), lp, Buffer.from([11, 0]), Buffer.alloc(8)]); // version 11, a CRC not checked
    await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
    await expect(c.call("RESTORE", "dup", "0", p)).rejects.toThrow("ERR Bad data format");
    await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    await c.call("CONFIG", "SET", "set-max-listpack-entries", "2");
    await expect(c.call("RESTORE", "dup", "0", p)).rejects.toThrow("ERR Bad data format");
    await c.call("CONFIG", "SET", "set-max-listpack-entries", "3");
    expect(await c.call("RESTORE", "dup", "0", p)).toBe("OK");
    expect(await c.call("SCARD", "dup")).toBe(3); // Redis's count too (the listpack's entries)
    expect(await c.call("SADD", "dup", "d")).toBe(1); // past the limit: a table
    expect(await c.call("OBJECT", "ENCODING", "dup")).toBe("hashtable");
    expect(((await c.call("SMEMBERS", "dup")) as string[]).sort()).toEqual(["a", "c", "d"]);
    expect(await c.call("SCARD", "dup")).toBe(3);
    expect(await c.call("SREM", "dup", "a")).toBe(1);
    expect(await c.call("SISMEMBER", "dup", "a")).toBe(0);
  });
});
