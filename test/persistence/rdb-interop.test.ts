/**
 * RDB files and DUMP payloads between redis-server (Debian's 7.0, or
 * NODIS_ORACLE_BIN) and Nodis, both ways: every type and encoding (fill.ts),
 * compared with DEBUG DIGEST and a key-by-key walk. Then the loader under
 * damaged real files and payloads: an error (the dataset untouched) or a
 * load, never a crash.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { fill, walk } from "./fill.js";

const theirDir = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-rdb-oracle-"));
const myDir = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-rdb-mine-"));
let oracle: { port: number; stop(): Promise<void> };
let nodis: RunningServer;
let theirs: Redis;
let mine: Redis;

beforeAll(async () => {
  oracle = await startRedis(["--dir", theirDir], process.env.NODIS_ORACLE_BIN ?? "redis-server");
  nodis = await startNodis({ "enable-debug-command": "yes", dir: myDir });
  theirs = new Redis({ port: oracle.port, host: "127.0.0.1", enableReadyCheck: false });
  mine = new Redis({ port: nodis.port, host: "127.0.0.1", enableReadyCheck: false });
});
afterAll(async () => {
  theirs?.disconnect();
  mine?.disconnect();
  await nodis?.close();
  await oracle?.stop();
  fs.rmSync(theirDir, { recursive: true, force: true });
  fs.rmSync(myDir, { recursive: true, force: true });
});

async function encodings(r: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const db of [0, 1, 5]) {
    await r.call("SELECT", String(db));
    for (const k of ((await r.call("KEYS", "*")) as string[]).sort()) out.push(`${db} ${k} ${await r.call("OBJECT", "ENCODING", k)}`);
  }
  await r.call("SELECT", "0");
  return out;
}

describe("RDB files between redis-server and Nodis", () => {
  it("a file redis-server saved loads here with the same data and encodings", async () => {
    await theirs.call("FLUSHALL");
    await fill(theirs);
    expect(await theirs.call("SAVE")).toBe("OK");
    fs.copyFileSync(path.join(theirDir, "dump.rdb"), path.join(myDir, "dump.rdb"));
    expect(await mine.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
    expect(await walk(mine)).toEqual(await walk(theirs));
    expect(await mine.call("DEBUG", "DIGEST")).toBe(await theirs.call("DEBUG", "DIGEST"));
    // 7.0 keeps small sets of strings in a hash table and small lists in a
    // quicklist; 7.2 (and Nodis) in a listpack.
    const is72 = String(await theirs.call("INFO", "server")).includes("redis_version:7.2.");
    const skip = (l: string) => !is72 && (l.includes(" set:lp ") || l.includes(" list:"));
    expect((await encodings(mine)).filter((l) => !skip(l))).toEqual((await encodings(theirs)).filter((l) => !skip(l)));
    expect(String(await mine.call("INFO", "persistence"))).toMatch(/rdb_last_load_keys_loaded:\d{2,}/);
  });

  it("a file Nodis saved loads in redis-server with the same data", async () => {
    await mine.call("FLUSHALL");
    await fill(mine, 2);
    expect(await mine.call("SAVE")).toBe("OK");
    fs.copyFileSync(path.join(myDir, "dump.rdb"), path.join(theirDir, "dump.rdb"));
    expect(await theirs.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
    expect(await walk(theirs)).toEqual(await walk(mine));
    expect(await theirs.call("DEBUG", "DIGEST")).toBe(await mine.call("DEBUG", "DIGEST"));
  });

  it("DUMP payloads restore in the other server, both ways, for every key", async () => {
    for (const [from, to] of [
      [theirs, mine],
      [mine, theirs],
    ]) {
      await from.call("FLUSHALL");
      await to.call("FLUSHALL");
      await fill(from, 3);
      for (const db of [0, 1, 5]) {
        await from.call("SELECT", String(db));
        await to.call("SELECT", String(db));
        for (const k of (await from.call("KEYS", "*")) as string[]) {
          const payload = (await from.callBuffer("DUMP", k)) as Buffer;
          const ttl = Math.max(0, (await from.call("PTTL", k)) as number);
          expect(await to.call("RESTORE", k, String(ttl), payload)).toBe("OK");
          expect(await to.call("DEBUG", "DIGEST-VALUE", k)).toEqual(await from.call("DEBUG", "DIGEST-VALUE", k));
        }
      }
      await from.call("SELECT", "0");
      await to.call("SELECT", "0");
      expect(await to.call("DEBUG", "DIGEST")).toBe(await from.call("DEBUG", "DIGEST"));
    }
  });
});

describe("damaged input", () => {
  // xorshift: the same damage every run.
  let s = 12345;
  const rand = (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };

  it("a damaged file is refused and leaves the dataset as it was", async () => {
    await theirs.call("FLUSHALL");
    await fill(theirs, 4);
    await theirs.call("SAVE");
    const good = fs.readFileSync(path.join(theirDir, "dump.rdb"));
    await mine.call("FLUSHALL");
    await mine.call("SET", "sentinel", "1");
    const before = await mine.call("DEBUG", "DIGEST");
    // Checksums off, so the damage reaches the parser.
    await mine.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const bad = Buffer.from(good);
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) bad[9 + rand(bad.length - 9)] ^= 1 << rand(8);
      const cut = i % 5 === 0 ? bad.subarray(0, 9 + rand(bad.length - 9)) : bad;
      fs.writeFileSync(path.join(myDir, "dump.rdb"), cut);
      const reply = await mine.call("DEBUG", "RELOAD", "NOSAVE").catch((e: Error) => e.message);
      if (reply === "OK") {
        // Damage the loader cannot see (a changed byte inside a value): restore the sentinel state.
        await mine.call("FLUSHALL");
        await mine.call("SET", "sentinel", "1");
      } else {
        refused++;
        expect(reply).toBe("ERR Error trying to load the RDB dump, check server logs.");
        expect(await mine.call("DEBUG", "DIGEST")).toBe(before);
      }
    }
    expect(refused).toBeGreaterThan(50);
    await mine.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
    // With checksums on, any flipped byte is refused.
    const bad = Buffer.from(good);
    bad[bad.length - 20] ^= 0x40;
    fs.writeFileSync(path.join(myDir, "dump.rdb"), bad);
    await expect(mine.call("DEBUG", "RELOAD", "NOSAVE")).rejects.toThrow("Error trying to load the RDB dump");
    expect(await mine.call("PING")).toBe("PONG");
  });

  it("damaged payloads get Redis's errors, never a crash", async () => {
    await mine.call("FLUSHALL");
    await fill(mine, 5);
    const keys = (await mine.call("KEYS", "*")) as string[];
    const payloads = await Promise.all(keys.map((k) => mine.callBuffer("DUMP", k) as Promise<Buffer>));
    const bad = Buffer.from(payloads[0]);
    bad[1] ^= 0xff;
    await expect(mine.call("RESTORE", "x", "0", bad)).rejects.toThrow("ERR DUMP payload version or checksum are wrong");
    await mine.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    for (let i = 0; i < 400; i++) {
      const p = Buffer.from(payloads[rand(payloads.length)]);
      const body = p.length - 10;
      for (let f = 0, n = 1 + rand(3); f < n; f++) p[rand(body)] ^= 1 << rand(8);
      const reply = await mine.call("RESTORE", `fuzz:${i}`, "0", p).catch((e: Error) => e.message);
      expect(["OK", "ERR Bad data format"]).toContain(reply);
    }
    await mine.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
    expect(await mine.call("PING")).toBe("PONG");
  });
});
