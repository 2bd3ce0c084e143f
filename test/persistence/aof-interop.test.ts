/**
 * AOF directories move between Debian's redis-server (7.0) and Nodis in both
 * directions: the same dataset (DEBUG DIGEST) on either side.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { differingKeys, fill, manifest, startIn } from "./process.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-aof-interop-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const REDIS = process.env.NODIS_ORACLE_BIN ?? "redis-server";
let n = 0;
const freshDir = () => {
  const d = path.join(tmp, `d${n++}`);
  fs.mkdirSync(d);
  return d;
};

describe.skipIf(!haveRedisServer())("AOF interop with redis-server", () => {
  it("loads an AOF directory redis-server wrote (command base after a rewrite, incr files)", async () => {
    const dir = freshDir();
    const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    const r = await startIn(dir, args, REDIS);
    const c = r.client();
    await fill(c, 7);
    await c.bgrewriteaof();
    await until(async () => (await c.info("persistence")).includes("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0"), (ok) => ok);
    await fill(c, 8);
    const want = await c.call("debug", "digest");
    const copy = freshDir();
    fs.cpSync(path.join(dir, "appendonlydir"), path.join(copy, "appendonlydir"), { recursive: true });
    expect(manifest(copy).map((l) => l[2])).toEqual(["b", "i"]);

    const mine = await startIn(copy, args);
    const m = mine.client();
    if ((await m.call("debug", "digest")) !== want) expect(await differingKeys(c, m)).toEqual([]);
    expect(await m.call("debug", "digest")).toBe(want);
    await mine.kill9();
    await r.kill9();
  });

  it("writes an AOF directory redis-server loads", async () => {
    const dir = freshDir();
    const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    const mine = await startIn(dir, args);
    const c = mine.client();
    await fill(c, 9);
    const want = await c.call("debug", "digest");
    // A copy to load in redis-server while Nodis keeps running (to compare key by key on a mismatch).
    const copy = freshDir();
    fs.cpSync(path.join(dir, "appendonlydir"), path.join(copy, "appendonlydir"), { recursive: true });

    const r = await startIn(copy, args, REDIS);
    const theirs = r.client();
    if ((await theirs.call("debug", "digest")) !== want) expect(await differingKeys(c, theirs)).toEqual([]);
    expect(await theirs.call("debug", "digest")).toBe(want);
    await r.kill9();
    await mine.kill9();
  });
});
