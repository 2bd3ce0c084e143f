/**
 * AOF directories move between Debian's redis-server (7.0) and Nodis in both
 * directions: the same dataset (DEBUG DIGEST) on either side.
 */
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, differingKeys, fill, manifest, startIn } from "./process.js";

const REDIS = process.env.NODIS_ORACLE_BIN ?? "redis-server";
/** The oracle's major.minor version (7.0 for Debian's). */
const oracleVersion = () => Number(/v=(\d+\.\d+)/.exec(spawnSync(REDIS, ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? 0);
const freshDir = dataDirs("nodis-aof-interop-");

/**
 * A copy of a running server's AOF directory in a fresh data directory, once
 * what it holds is written (with appendfsync everysec a write may wait while a
 * background fsync runs: Redis's postponed flush).
 */
async function copyAof(c: Redis, dir: string): Promise<string> {
  await until(async () => (await c.info("persistence")).includes("aof_buffer_length:0\r\n"), (ok) => ok);
  const copy = freshDir();
  fs.cpSync(path.join(dir, "appendonlydir"), path.join(copy, "appendonlydir"), { recursive: true });
  return copy;
}

describe.skipIf(!haveRedisServer()).each([
  ["commands", "no"],
  ["an RDB preamble", "yes"],
])("AOF interop with redis-server, bases of %s", (_what, preamble) => {
  const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];

  it("loads an AOF directory redis-server wrote (a base after a rewrite, incr files)", async () => {
    const dir = freshDir();
    const r = await startIn(dir, args, REDIS);
    const c = r.client();
    await fill(c, 7);
    await c.bgrewriteaof();
    await until(async () => (await c.info("persistence")).includes("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0"), (ok) => ok);
    await fill(c, 8);
    const want = await c.call("debug", "digest");
    const copy = await copyAof(c, dir);
    expect(manifest(copy).map((l) => l[2])).toEqual(["b", "i"]);

    const mine = await startIn(copy, args);
    const m = mine.client();
    if ((await m.call("debug", "digest")) !== want) expect(await differingKeys(c, m)).toEqual([]);
    expect(await m.call("debug", "digest")).toBe(want);
    await mine.kill9();
    await r.kill9();
  });

  // The data has stream consumers, whose active time needs RDB 11 (Redis 7.2's): redis-server 7.0 refuses
  // such a base ("Can't handle RDB format version 11").
  it.skipIf(preamble === "yes" && oracleVersion() < 7.2)("writes an AOF directory redis-server loads (a base after a rewrite, incr files)", async () => {
    const dir = freshDir();
    const mine = await startIn(dir, args);
    const c = mine.client();
    await fill(c, 9);
    await c.bgrewriteaof();
    await until(async () => (await c.info("persistence")).includes("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0"), (ok) => ok);
    await fill(c, 10);
    const want = await c.call("debug", "digest");
    // A copy to load in redis-server while Nodis keeps running (to compare key by key on a mismatch).
    const copy = await copyAof(c, dir);

    const r = await startIn(copy, args, REDIS);
    const theirs = r.client();
    if ((await theirs.call("debug", "digest")) !== want) expect(await differingKeys(c, theirs)).toEqual([]);
    expect(await theirs.call("debug", "digest")).toBe(want);
    await r.kill9();
    await mine.kill9();
  });
});
