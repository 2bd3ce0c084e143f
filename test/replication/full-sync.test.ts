/**
 * Full synchronisation by a forked child (src/replication/full-sync.ts): the
 * primary keeps serving while a slow snapshot is made (rdb-key-save-delay),
 * shows the sync in INFO (rdb_bgsave_in_progress, a wait_bgsave replica), and
 * the writes made meanwhile follow the snapshot; diskless and from disk, to a
 * redis-server replica. The child dies with its parent.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-fullsync-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

async function start(args: string[] = [], bin = "nodis"): Promise<ServerProcess> {
  const s = await startIn(dirs(), ["--repl-diskless-sync-delay", "0", ...args], bin);
  started.push(s);
  return s;
}

const field = async (c: Redis, section: string, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info(section)) as string)?.[1];
const childOf = (pid: number) => spawnSync("pgrep", ["-P", String(pid)]).stdout.toString().trim();
const alive = (pid: number) => spawnSync("kill", ["-0", String(pid)]).status === 0;

describe.skipIf(!haveRedisServer())("full sync by a forked child", () => {
  for (const diskless of ["yes", "no"]) {
    it(`keeps serving while a slow snapshot is made, and the writes made meanwhile follow it (diskless ${diskless})`, async () => {
      // A short backlog TTL: the replica in its full sync still counts as a replica (the backlog and its history stay).
      const p = await start(["--repl-diskless-sync", diskless, "--repl-backlog-ttl", "1"]);
      const pc = p.client();
      await pc.call("DEBUG", "POPULATE", "2000", "key", "10");
      // About 2 s of snapshot.
      await pc.config("SET", "rdb-key-save-delay", "1000");
      const r = await start([], "redis-server");
      const rc = r.client();
      await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
      expect(await until(() => field(pc, "persistence", "rdb_bgsave_in_progress"), (v) => v === "1")).toBe("1");
      expect((await pc.info("replication")) as string).toMatch(/slave0:ip=127\.0\.0\.1,port=\d+,state=wait_bgsave/);
      expect(childOf(p.proc.pid!)).toMatch(/^\d+$/);
      // The primary answers at once meanwhile, and takes writes that must reach the replica.
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) await pc.set(`during:${i}`, String(i));
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(await field(pc, "persistence", "rdb_bgsave_in_progress")).toBe("1");
      expect(await until(() => field(rc, "replication", "master_link_status"), (s) => s === "up", { timeoutMs: 30000 })).toBe("up");
      await pc.set("after", "1");
      const want = await pc.call("DEBUG", "DIGEST");
      expect(await until(() => rc.call("DEBUG", "DIGEST"), (d) => d === want)).toBe(want);
      expect(await rc.get("during:49")).toBe("49");
      expect(p.log()).not.toContain("Replication backlog freed");
      expect(p.log()).toContain(`Starting BGSAVE for SYNC with target: ${diskless === "yes" ? "replicas sockets" : "disk"}`);
    }, 60000);
  }

  it("the stream kept for a slow full sync lets another replica continue beyond the backlog, until the sync is cut by its output limit", async () => {
    const p = await start(["--repl-diskless-sync", "yes", "--repl-backlog-size", "16384", "--client-output-buffer-limit", "replica 0 0 0"]);
    const pc = p.client();
    const a = await start();
    const ac = a.client();
    await ac.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => field(ac, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    // Written through the stream (DEBUG POPULATE is not replicated), in a db of their own: the online replica has them.
    await pc.select(3);
    const fillers = pc.pipeline();
    for (let i = 0; i < 100; i++) fillers.set(`key:${i}`, "v");
    await fillers.exec();
    await pc.config("SET", "rdb-key-save-delay", "1000000");
    const b = await start([], "redis-server");
    await b.client().call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => field(pc, "persistence", "rdb_bgsave_in_progress"), (v) => v === "1")).toBe("1");
    // The stream selects db 3 again after the fork; the first replica has that, then leaves; the stream goes
    // on well past the backlog's size (no SELECT of its own), and it comes back.
    await pc.set("during", "1");
    const at = await field(pc, "replication", "master_repl_offset");
    expect(await until(() => field(ac, "replication", "slave_repl_offset"), (o) => o === at)).toBe(at);
    await ac.call("REPLICAOF", "127.0.0.1", "1");
    for (let i = 0; i < 100; i++) await pc.set(`big:${i}`, "x".repeat(10000));
    expect(Number(await field(pc, "replication", "repl_backlog_histlen"))).toBeGreaterThan(1000000);
    await ac.call("REPLICAOF", "127.0.0.1", String(p.port));
    const offset = await field(pc, "replication", "master_repl_offset");
    expect(await until(() => field(ac, "replication", "slave_repl_offset"), (o) => o === offset)).toBe(offset);
    expect(await field(pc, "stats", "sync_partial_ok")).toBe("1");
    expect(await ac.call("DEBUG", "DIGEST")).toBe(await pc.call("DEBUG", "DIGEST"));
    // Now the waiting replica's kept stream is over its (new) hard limit: it is cut, and the backlog shrinks back.
    await pc.config("SET", "client-output-buffer-limit", "replica 128kb 0 0");
    await pc.set("trigger", "1");
    // (It reconnects for a new full sync at once: the log says it was cut.)
    expect(await until(() => p.log(), (l) => l.includes("closed for overcoming of output buffer limits"))).toContain("closed for overcoming of output buffer limits");
    expect(Number(await field(pc, "replication", "repl_backlog_histlen"))).toBeLessThanOrEqual(16384);
  }, 60000);

  it("a replica's link gets no replies: a command that makes one disconnects it; PSYNC with a bad offset is refused", async () => {
    const p = await start(["--repl-diskless-sync", "no"]);
    const pc = p.client();
    await expect(pc.call("PSYNC", "replid", "offset_str")).rejects.toThrow("ERR value is not an integer or out of range");
    expect(await until(() => p.log(), (l) => l.includes("asks for synchronization but with a wrong offset"))).toMatch(/Replica .* asks for synchronization but with a wrong offset/);
    for (const [cmd, name] of [[["PING"], "ping"], [["GET", "foo"], "get"], [["XINFO", "HELP"], "xinfo|help"]] as const) {
      const link = p.client();
      const got = link.call("PSYNC", "replicationid", "-1").catch((e: Error) => e.message);
      // The link is closed (nothing but the sync comes back).
      await link.call(...(cmd as [string, ...string[]])).catch(() => undefined);
      await got;
      expect(await until(() => p.log(), (l) => l.includes(`Replica generated a reply to command '${name}', disconnecting it:`))).toContain(name);
      link.disconnect();
    }
    expect(p.log()).toContain("== CRITICAL == This master is sending an error to its replica: 'ERR Replica can't interact with the keyspace' after processing the command 'get'");
    expect(await pc.ping()).toBe("PONG");
  }, 30000);

  it("the snapshot's child dies with its parent", async () => {
    const p = await start(["--repl-diskless-sync", "yes"]);
    const pc = p.client();
    await pc.call("DEBUG", "POPULATE", "2000", "key", "10");
    await pc.config("SET", "rdb-key-save-delay", "10000");
    const r = await start([], "redis-server");
    await r.client().call("REPLICAOF", "127.0.0.1", String(p.port));
    const child = Number(await until(() => childOf(p.proc.pid!), (c) => /^\d+$/.test(c)));
    expect(child).toBeGreaterThan(0);
    await p.kill9();
    expect(await until(() => alive(child), (a) => !a)).toBe(false);
  }, 30000);
});
