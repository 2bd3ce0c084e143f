/**
 * Rewriting the AOF: BGREWRITEAOF (a child writes the new base, in command form
 * or as an RDB), the manifest after it, the history deleted, the incr file the
 * writes went on in; CONFIG SET appendonly yes at run time (a rewrite first);
 * the automatic rewrite on growth.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataDirs, fill, manifest, startIn, type ServerProcess } from "./process.js";
import { until } from "../helpers/wait.js";

const freshDir = dataDirs("nodis-aofrw-");

async function rewriteDone(s: ServerProcess): Promise<string> {
  const c = s.client();
  return until(
    async () => (await c.info("persistence")) as string,
    (i) => i.includes("aof_rewrite_in_progress:0") && i.includes("aof_rewrite_scheduled:0"),
  );
}

describe.each([
  ["commands", "no", "aof"],
  ["an RDB preamble", "yes", "rdb"],
])("BGREWRITEAOF with a base of %s", (_what, preamble, ext) => {
  it("writes a new base, keeps writing in a new incr file, drops the history", async () => {
    const dir = freshDir();
    const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    const a = await startIn(dir, args);
    const c = a.client();
    await fill(c, 3);
    expect(await c.bgrewriteaof()).toBe("Background append only file rewriting started");
    // Writes while the child runs go to the new incr file.
    await c.set("during", "1");
    const info = await rewriteDone(a);
    expect(info).toContain("aof_last_bgrewrite_status:ok");
    expect(info).toContain("aof_rewrites:1");
    await c.set("after", "2");
    const want = await c.call("debug", "digest");
    expect(manifest(dir)).toEqual([
      [`appendonly.aof.2.base.${ext}`, "2", "b"],
      ["appendonly.aof.2.incr.aof", "2", "i"],
    ]);
    // The history files are deleted in the background.
    await until(() => fs.readdirSync(path.join(dir, "appendonlydir")).sort(), (f) => f.length === 3);
    expect(fs.readdirSync(path.join(dir, "appendonlydir")).sort()).toEqual([
      `appendonly.aof.2.base.${ext}`,
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    if (ext === "rdb") expect(fs.readFileSync(path.join(dir, "appendonlydir", "appendonly.aof.2.base.rdb")).subarray(0, 5).toString()).toBe("REDIS");
    await a.shutdown();
    const b = await startIn(dir, args);
    expect(b.log()).toContain(`DB loaded from base file appendonly.aof.2.base.${ext}`);
    expect(await b.client().call("debug", "digest")).toBe(want);
    await b.kill9();
  });
});

describe("appendonly at run time", () => {
  it("CONFIG SET appendonly yes rewrites first, then appends; no stops appending", async () => {
    const dir = freshDir();
    const a = await startIn(dir, ["--aof-use-rdb-preamble", "no"]);
    const c = a.client();
    await fill(c, 4);
    expect(await c.config("SET", "appendonly", "yes")).toBe("OK");
    await rewriteDone(a);
    await c.set("appended", "1");
    expect(manifest(dir)).toEqual([
      ["appendonly.aof.1.base.aof", "1", "b"],
      ["appendonly.aof.1.incr.aof", "1", "i"],
    ]);
    const want = await c.call("debug", "digest");
    expect(await c.config("SET", "appendonly", "no")).toBe("OK");
    await c.set("not-appended", "1");
    await a.kill9();
    const b = await startIn(dir, ["--appendonly", "yes"]);
    expect(await b.client().call("debug", "digest")).toBe(want);
    await b.kill9();
  });

  it("retries the first rewrite until one succeeds when children die (AOF turned on at run time)", async () => {
    const dir = freshDir();
    const a = await startIn(dir, []);
    const c = a.client();
    await c.call("debug", "populate", "100");
    await c.config("SET", "rdb-key-save-delay", "100000"); // 10 s for 100 keys: slow enough to kill the child
    await c.config("SET", "appendonly", "yes");
    const childPids = () => [...a.log().matchAll(/Background append only file rewriting started by pid (\d+)/g)].map((m) => Number(m[1]));
    const first = (await until(childPids, (p) => p.length === 1))[0];
    process.kill(first, "SIGKILL");
    const second = (await until(childPids, (p) => p.length === 2))[1];
    expect(a.log()).toContain("Background AOF rewrite terminated by signal 9");
    expect(fs.existsSync(path.join(dir, "appendonlydir", "appendonly.aof.manifest"))).toBe(false);
    await c.config("SET", "rdb-key-save-delay", "0");
    process.kill(second, "SIGKILL");
    const info = await rewriteDone(a);
    expect(info).toContain("aof_last_bgrewrite_status:ok");
    // The temp incr file is dropped after each failure (and only then), never the next rewrite's.
    expect(a.log().match(/Removing the temp incr aof file/g)).toHaveLength(2);
    expect(manifest(dir)).toEqual([
      ["appendonly.aof.1.base.rdb", "1", "b"],
      ["appendonly.aof.1.incr.aof", "1", "i"],
    ]);
    await c.set("after", "1");
    const want = await c.call("debug", "digest");
    await a.kill9();
    const b = await startIn(dir, ["--appendonly", "yes"]);
    expect(await b.client().call("debug", "digest")).toBe(want);
    await b.kill9();
  });

  it("rewrites on its own when the AOF grows past auto-aof-rewrite-percentage", async () => {
    const dir = freshDir();
    const a = await startIn(dir, ["--appendonly", "yes", "--auto-aof-rewrite-min-size", "1", "--auto-aof-rewrite-percentage", "100"]);
    const c = a.client();
    const big = "x".repeat(10000);
    for (let i = 0; i < 20; i++) await c.set("k", big);
    const info = await until(async () => (await c.info("persistence")) as string, (i) => /aof_rewrites:[1-9]/.test(i) && i.includes("aof_rewrite_in_progress:0"));
    expect(info).toMatch(/aof_rewrites:[1-9]/);
    expect(a.log()).toMatch(/Starting automatic rewriting of AOF on \d+% growth/);
    await a.kill9();
  });
});
