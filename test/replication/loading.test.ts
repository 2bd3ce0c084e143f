/**
 * What a full sync looks like from a replica that loads as the RDB comes
 * (repl-diskless-load swapdb): with the primary's own history it keeps serving
 * its old dataset (async_loading) and refuses only no_async_loading commands;
 * otherwise it answers -LOADING. And a primary restarting from its RDB puts the
 * DELs of the keys that expired while it was down into its backlog, so its
 * replicas continue partially and drop them too (Redis's RDBFLAGS_FEED_REPL).
 */
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-replload-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

async function start(args: string[] = [], dir = dirs()): Promise<ServerProcess> {
  const s = await startIn(dir, ["--repl-diskless-sync-delay", "0", ...args]);
  started.push(s);
  return s;
}

const info = async (c: Redis, section: string, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info(section)) as string)?.[1];

/** Makes the primary's next sync with its replicas a full one: the link is cut and the backlog overrun. */
async function forceFullSync(p: Redis): Promise<void> {
  const m = p.multi();
  m.call("CLIENT", "KILL", "TYPE", "replica");
  m.config("SET", "repl-backlog-size", "16384");
  for (let i = 0; i < 10; i++) m.set(`filler:${i}`, "A".repeat(16384));
  await m.exec();
}

describe.skipIf(!haveRedisServer())("replica loading a full sync as it comes", () => {
  it("async_loading with swapdb and the same history: the old data is served, no_async_loading commands get -LOADING", async () => {
    const p = await start(["--repl-diskless-sync", "yes"]);
    const r = await start(["--repl-diskless-load", "swapdb", "--replica-read-only", "no"]);
    const pc = p.client();
    const rc = r.client();
    await pc.call("DEBUG", "POPULATE", "200", "key", "10");
    await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => info(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    await rc.set("mine", "1");
    // About 2 s of snapshot.
    await pc.config("SET", "rdb-key-save-delay", "10000");
    await forceFullSync(pc);
    expect(await until(() => info(rc, "persistence", "async_loading"), (v) => v === "1")).toBe("1");
    expect(await info(rc, "persistence", "loading")).toBe("0");
    expect(await rc.get("mine")).toBe("1");
    await expect(rc.call("REPLICAOF", "NO", "ONE")).rejects.toThrow("LOADING Redis is loading the dataset in memory");
    await expect(rc.config("SET", "appendonly", "no")).rejects.toThrow("LOADING Redis is loading the dataset in memory");
    await pc.config("SET", "rdb-key-save-delay", "0");
    expect(await until(() => info(rc, "persistence", "async_loading"), (v) => v === "0", { timeoutMs: 30000 })).toBe("0");
    expect(await until(() => info(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    expect(await until(() => rc.get("mine"), (v) => v === null)).toBe(null);
  }, 60000);

  it("loading (-LOADING) with swapdb and another history; the old data stays when the transfer fails", async () => {
    const p = await start(["--repl-diskless-sync", "yes"]);
    const r = await start(["--repl-diskless-load", "swapdb"]);
    const pc = p.client();
    const rc = r.client();
    await pc.call("DEBUG", "POPULATE", "200", "key", "10");
    await rc.set("mine", "1");
    await pc.config("SET", "rdb-key-save-delay", "10000");
    await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => info(rc, "persistence", "loading"), (v) => v === "1")).toBe("1");
    expect(await info(rc, "persistence", "async_loading")).toBe("0");
    await expect(rc.get("mine")).rejects.toThrow("LOADING Redis is loading the dataset in memory");
    // The primary drops the transfer: the replica keeps what it had.
    await pc.config("SET", "repl-diskless-sync-delay", "5");
    await pc.call("CLIENT", "KILL", "TYPE", "replica");
    expect(await until(() => info(rc, "persistence", "loading"), (v) => v === "0")).toBe("0");
    expect(await rc.get("mine")).toBe("1");
  }, 60000);
});

describe.skipIf(!haveRedisServer())("a primary restarting from its RDB", () => {
  it("puts the DELs of keys expired meanwhile into its backlog; the replica continues partially and drops them", async () => {
    const dir = dirs();
    const p = await start([], dir);
    const r = await start();
    let pc = p.client();
    const rc = r.client();
    await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => info(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    await pc.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    for (let i = 0; i < 100; i++) await pc.set(`short:${i}`, "v", "PX", 50);
    await pc.set("stays", "1");
    const offset = await info(pc, "replication", "master_repl_offset");
    expect(await until(() => info(rc, "replication", "slave_repl_offset"), (o) => o === offset)).toBe(offset);
    await pc.call("SHUTDOWN", "SAVE").catch(() => undefined);
    await p.exited;
    // The keys (50 ms) have expired by the time it has restarted.
    // The same port (the later --port wins), so the replica finds it again.
    await start(["--port", String(p.port)], dir);
    pc = p.client();
    expect(await until(() => info(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    const grown = Number(await info(pc, "replication", "master_repl_offset"));
    expect(grown).toBeGreaterThan(Number(offset));
    expect(await info(pc, "stats", "sync_partial_ok")).toBe("1");
    expect(await until(() => info(rc, "replication", "slave_repl_offset"), (o) => o === String(grown))).toBe(String(grown));
    expect(await rc.dbsize()).toBe(1);
    expect(await rc.call("DEBUG", "DIGEST")).toBe(await pc.call("DEBUG", "DIGEST"));
  }, 60000);
});
