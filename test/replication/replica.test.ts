/**
 * The replica side (src/replication/replica.ts, role.ts) and PSYNC2 between
 * processes: Nodis replicas of redis-server and of Nodis, chains, partial
 * resynchronization, promotion, WAIT, expiry on replicas. Datasets are
 * compared with DEBUG DIGEST. Every server is a process of its own.
 */
import { afterAll, describe, expect, it } from "vitest";
import IORedis from "ioredis";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { sleep, until } from "../helpers/wait.js";
// @ts-expect-error: a plain JavaScript helper of the benches
import { pipelineOneLineReplies } from "../../bench/servers.mjs";
import { dataDirs, fill, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-repl-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

async function start(args: string[] = [], bin = "nodis"): Promise<ServerProcess> {
  // A primary sends its snapshot at once (no diskless delay).
  const extra = ["--repl-diskless-sync-delay", "0"];
  const s = await startIn(dirs(), [...extra, ...args], bin);
  started.push(s);
  return s;
}

const info = async (c: Redis) => (await c.info("replication")) as string;
const field = (text: string, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec(text)?.[1];
const linkUp = (c: Redis) => until(() => info(c), (t) => field(t, "master_link_status") === "up");
const digest = (c: Redis) => c.call("DEBUG", "DIGEST") as Promise<string>;

/** Waits until every replica has the primary's dataset (DEBUG DIGEST), and returns the digests. */
async function converge(primary: Redis, ...replicas: Redis[]): Promise<string[]> {
  const want = await digest(primary);
  const got: string[] = [];
  for (const r of replicas) got.push(await until(() => digest(r), (d) => d === want));
  expect(got).toEqual(replicas.map(() => want));
  return got;
}

describe.skipIf(!haveRedisServer())("replication: Nodis replicas", () => {
  it("a Nodis replica of redis-server: full sync (diskless and from disk), the stream, -READONLY, ROLE, INFO", async () => {
    for (const diskless of ["yes", "no"]) {
      const m = await start(["--repl-diskless-sync", diskless], "redis-server");
      const mc = m.client();
      await fill(mc, 1);
      const r = await start(["--replicaof", "127.0.0.1", String(m.port)]);
      const rc = r.client();
      const t = await linkUp(rc);
      expect(field(t, "role")).toBe("slave");
      expect(field(t, "master_port")).toBe(String(m.port));
      await converge(mc, rc);
      // Writes after the sync, in several dbs, a transaction, expiries.
      await mc.select(2);
      await mc.set("k2", "v", "PX", 500000);
      await mc.multi().incr("ctr").lpush("l", "a", "b").exec();
      await mc.select(0);
      await mc.del("s:1");
      await mc.call("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])", 2, "sc", "sn", "x");
      await converge(mc, rc);
      const [mi, ri] = [await info(mc), await info(rc)];
      await until(() => info(rc), (t2) => field(t2, "slave_repl_offset") === field(mi, "master_repl_offset"));
      expect(field(ri, "master_replid")).toBe(field(mi, "master_replid"));
      await expect(rc.set("x", "1")).rejects.toThrow("READONLY You can't write against a read only replica.");
      expect(await rc.call("ROLE")).toEqual(["slave", "127.0.0.1", m.port, "connected", expect.any(Number)]);
      const role = (await mc.call("ROLE")) as [string, number, string[][]];
      expect(role[0]).toBe("master");
      expect(role[2][0][1]).toBe(String(r.port));
      expect(log(r)).toContain(diskless === "yes" ? "receiving streamed RDB from master with EOF" : "bytes from master to disk");
      await m.kill9();
      await r.kill9();
    }
  }, 60000);

  it("bind-source-addr: the link goes out from that address, as the primary's INFO shows (redis-server and Nodis primaries)", async () => {
    for (const bin of ["redis-server", "nodis"]) {
      // Redis 7.0 (Debian's) serves only 127.0.0.1 in protected mode; 7.2 and Nodis all of 127/8.
      const m = await start(["--protected-mode", "no"], bin);
      const r = await start(["--bind-source-addr", "127.0.0.2", "--replicaof", "127.0.0.1", String(m.port)]);
      await linkUp(r.client());
      const slave0 = await until(() => info(m.client()), (t) => field(t, "slave0") !== undefined);
      expect(field(slave0, "slave0"), bin).toMatch(/^ip=127\.0\.0\.2,/);
    }
  });

  it("a paused replica reads the stream but applies it only at the unpause, as redis-server's (PAUSE_ACTION_REPLICA)", async () => {
    for (const bin of ["nodis", "redis-server"]) {
      const m = await start(["--repl-ping-replica-period", "3600"], "redis-server");
      const mc = m.client();
      const r = await start(["--replicaof", "127.0.0.1", String(m.port)], bin);
      const rc = r.client();
      await linkUp(rc);
      await mc.set("foo", "bar");
      const before = field(await info(mc), "master_repl_offset");
      await until(() => info(rc), (t) => field(t, "slave_repl_offset") === before);
      await rc.call("CLIENT", "PAUSE", "100000", "WRITE");
      await mc.set("foo2", "bar2");
      await mc.lpush("list", ...Array.from({ length: 2000 }, (_, i) => `e${i}`));
      const after = field(await info(mc), "master_repl_offset");
      const t = await until(() => info(rc), (t) => field(t, "slave_read_repl_offset") === after);
      expect(field(t, "slave_repl_offset"), bin).toBe(before);
      expect(await rc.get("foo2"), bin).toBeNull();
      await rc.call("CLIENT", "UNPAUSE");
      await until(() => info(rc), (t) => field(t, "slave_repl_offset") === after);
      expect(await rc.get("foo2"), bin).toBe("bar2");
      expect(await rc.llen("list"), bin).toBe(2000);
      await converge(mc, rc);
    }
  });

  it("a short disconnection resyncs partially; REPLICAOF NO ONE promotes with the old ID as replid2", async () => {
    const m = await start([], "redis-server");
    const mc = m.client();
    const r = await start(["--replicaof", "127.0.0.1", String(m.port)]);
    const rc = r.client();
    await linkUp(rc);
    await mc.select(4);
    await mc.set("before", "1");
    await converge(mc, rc);
    await mc.call("CLIENT", "KILL", "TYPE", "replica");
    await mc.set("during", "2");
    await until(() => log(r), (l) => l.includes("Successful partial resynchronization with master."));
    await converge(mc, rc);
    expect((await mc.info("stats")) as string).toMatch(/sync_partial_ok:1/);
    const before = await info(rc);
    expect(await rc.call("REPLICAOF", "NO", "ONE")).toBe("OK");
    const after = await info(rc);
    expect(field(after, "role")).toBe("master");
    expect(field(after, "master_replid2")).toBe(field(before, "master_replid"));
    expect(field(after, "second_repl_offset")).toBe(String(Number(field(before, "master_repl_offset")) + 1));
    expect(await rc.set("now-writable", "1")).toBe("OK");
  }, 60000);

  it("chains: redis-server → Nodis → Nodis, the stream passed on byte for byte; a promoted middle continues partially", async () => {
    // (A Nodis snapshot is RDB 11, as Redis 7.2's: Debian's 7.0 cannot load it, so it stands first in the chain.)
    const a = await start([], "redis-server");
    const ac = a.client();
    await fill(ac, 2);
    const b = await start(["--replicaof", "127.0.0.1", String(a.port)]);
    const bc = b.client();
    await linkUp(bc);
    const c = await start(["--replicaof", "127.0.0.1", String(b.port)]);
    const cc = c.client();
    await linkUp(cc);
    await ac.select(7);
    await ac.rpush("chain", "1", "2");
    await ac.multi().sadd("s", "x").zadd("z", 1, "m").exec();
    await fill(ac, 3);
    await converge(ac, bc, cc);
    const offsets = async () => [await info(ac), await info(bc), await info(cc)].map((t) => field(t, "master_repl_offset"));
    const o = await until(offsets, (x) => x[0] === x[1] && x[1] === x[2]);
    expect(o[1]).toBe(o[0]);
    expect(o[2]).toBe(o[0]);
    // The middle is promoted: its replica continues from it with +CONTINUE.
    await bc.call("REPLICAOF", "NO", "ONE");
    await bc.select(7);
    await bc.set("after-promotion", "1");
    await until(() => log(c), (l) => l.includes("Successful partial resynchronization with master."));
    await converge(bc, cc);
    expect(log(c)).toContain("Master replication ID changed to");
    // Nodis primaries sync disklessly by default (repl-diskless-sync yes): the EOF-mark form.
    expect(log(c)).toContain("receiving streamed RDB from master with EOF");
  }, 60000);

  it("a restarted replica, and replicas of a restarted primary, continue from the replication ID saved in the RDB", async () => {
    const mdir = dirs();
    let m = await startIn(mdir, ["--repl-diskless-sync-delay", "0"]);
    started.push(m);
    let mc = m.client();
    const rdir = dirs();
    let r = await startIn(rdir, ["--replicaof", "127.0.0.1", String(m.port)]);
    started.push(r);
    let rc = r.client();
    await linkUp(rc);
    await fill(mc, 5);
    await converge(mc, rc);
    await rc.call("SHUTDOWN", "SAVE").catch(() => undefined); // the file holds repl-id and repl-offset
    await r.exited;
    await mc.set("while-down", "1");
    r = await startIn(rdir, ["--replicaof", "127.0.0.1", String(m.port)]);
    started.push(r);
    rc = r.client();
    await until(() => r.log(), (l) => l.includes("Successful partial resynchronization with master."));
    await converge(mc, rc);
    // The primary restarts on its port: its saved history becomes its replid2, the replica continues.
    await mc.call("SHUTDOWN", "SAVE").catch(() => undefined);
    await m.exited;
    const port = m.port;
    m = await startIn(mdir, ["--repl-diskless-sync-delay", "0", "--port", String(port)]);
    started.push(m);
    // (startIn's port is the one it picked; the later --port wins.)
    mc = new IORedis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    afterAll(() => mc.disconnect());
    await mc.set("after-restart", "1");
    await until(() => r.log(), (l) => l.split("Successful partial resynchronization with master.").length >= 3);
    await converge(mc, rc);
    expect((await mc.info("stats")) as string).toMatch(/sync_partial_ok:1/);
  }, 60000);

  it("a redis-server replica of Nodis gets a pipelined burst (more than the output arena holds) intact, and continues partially", async () => {
    const m = await start();
    const mc = m.client();
    const r = await start(["--replicaof", "127.0.0.1", String(m.port)], "redis-server");
    const rc = r.client();
    await linkUp(rc);
    await pipelineOneLineReplies(m.port, 60000, (i: number) => ["SET", `key:${i}`, `value-${i}`.repeat(1 + (i % 3))]);
    await converge(mc, rc);
    await mc.call("CLIENT", "KILL", "TYPE", "replica");
    await mc.incr("after-kill");
    await until(() => r.log(), (l) => l.includes("Successful partial resynchronization with master."));
    await converge(mc, rc);
    expect(r.log()).not.toContain("CRITICAL");
    expect(r.log()).toContain("receiving streamed RDB from master with EOF");
  }, 60000);

  it("links cut in the middle of commands under load resync partially, byte-exact (a misaligned stream would panic the replica)", async () => {
    const m = await start(["--repl-backlog-size", "64mb"]);
    const mc = m.client();
    const r = await start(["--replicaof", "127.0.0.1", String(m.port), "--propagation-error-behavior", "panic"]);
    const rc = r.client();
    await linkUp(rc);
    let stop = false;
    const load = (async () => {
      for (let n = 0; !stop; n++) {
        const pipe = mc.pipeline();
        for (let i = 0; i < 100; i++) pipe.incr(`c:${i % 50}`).set(`v:${i % 30}`, "x".repeat(100 + ((n * 7 + i) % 900)));
        await pipe.exec();
        await sleep(2); // a steady load the replica keeps up with, not a flood
      }
    })();
    for (let k = 0; k < 4; k++) {
      await until(() => info(rc), (t) => field(t, "master_link_status") === "up");
      await rc.call("CLIENT", "KILL", "TYPE", "master");
    }
    stop = true;
    await load;
    await converge(mc, rc);
    expect(r.log()).not.toContain("CRITICAL");
    expect(r.log().split("Successful partial resynchronization with master.").length).toBeGreaterThan(2);
  }, 60000);

  it("WAIT counts the replicas that acknowledged; expired keys stay on a replica until the primary's DEL", async () => {
    const m = await start();
    const mc = m.client();
    const r = await start(["--replicaof", "127.0.0.1", String(m.port)]);
    const rc = r.client();
    await linkUp(rc);
    await fill(mc, 4);
    await converge(mc, rc);
    await mc.set("w", "1");
    expect(await mc.call("WAIT", "1", "5000")).toBe(1);
    const t0 = Date.now();
    expect(await mc.call("WAIT", "2", "200")).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    await expect(rc.call("WAIT", "1", "10")).rejects.toThrow("WAIT cannot be used with replica instances");
    // Expiry: the primary stops expiring actively; the replica hides the key but keeps it.
    await mc.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await mc.set("e", "v", "PX", 150);
    await until(() => rc.exists("e"), (n) => n === 1);
    await until(() => rc.get("e"), (v) => v === null);
    const size = await rc.dbsize();
    expect(await mc.get("e")).toBe(null); // the primary's lookup deletes it and propagates DEL
    expect(await until(() => rc.dbsize(), (n) => n === size - 1)).toBe(size - 1);
    // A writable replica: a write replaces an expired key it meets, a read only hides one.
    await mc.set("e2", "5", "PX", 100);
    await mc.set("e3", "5", "PX", 100);
    await until(() => rc.dbsize(), (n) => n === size + 1);
    await until(() => rc.exists("e2", "e3"), (n) => n === 0);
    await rc.call("CONFIG", "SET", "replica-read-only", "no");
    expect(await rc.incr("e2")).toBe(1);
    expect(await rc.ttl("e2")).toBe(-1);
    expect(await rc.get("e3")).toBe(null);
    expect(await rc.dbsize()).toBe(size + 1);
  }, 60000);
});

function log(s: ServerProcess): string {
  return s.log();
}
