/**
 * WAITAOF numlocal numreplicas timeout (src/replication/wait.ts): our AOF's
 * fsynced replication offset, and the replicas' `REPLCONF ACK <offset> FACK
 * <aof offset>`. Error texts are Redis 7.2's (replication.c waitaofCommand).
 */
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-waitaof-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    s.proc.kill("SIGCONT");
    await s.kill9().catch(() => undefined);
  }
});

async function start(args: string[] = [], bin = "nodis"): Promise<ServerProcess> {
  const s = await startIn(dirs(), ["--repl-diskless-sync-delay", "0", ...args], bin);
  started.push(s);
  return s;
}

const field = async (c: Redis, section: string, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info(section)) as string)?.[1];
const waitaof = (c: Redis, ...args: (string | number)[]) => c.call("WAITAOF", ...args.map(String)) as Promise<number[]>;

describe.skipIf(!haveRedisServer())("WAITAOF", () => {
  it("counts the local fsync by appendfsync, and refuses what Redis refuses", async () => {
    const p = await start(["--appendonly", "yes", "--appendfsync", "always"]);
    const c = p.client();
    await c.incr("n");
    expect(await waitaof(c, 1, 0, 0)).toEqual([1, 0]);
    // everysec: the background fsync within about a second.
    await c.config("SET", "appendfsync", "everysec");
    await c.incr("n");
    expect(await waitaof(c, 1, 0, 0)).toEqual([1, 0]);
    // no: never fsynced by us, so the wait times out.
    await c.config("SET", "appendfsync", "no");
    await c.incr("n");
    expect(await waitaof(c, 1, 0, 50)).toEqual([0, 0]);
    await expect(waitaof(c, 2, 0, 0)).rejects.toThrow("ERR value is out of range, value must between 0 and 1");
    await expect(waitaof(c, 0, -1, 0)).rejects.toThrow("ERR value is out of range, must be positive");
    await expect(waitaof(c, "x", 0, 0)).rejects.toThrow("ERR value is not an integer or out of range");
    await expect(waitaof(c, 0, 0, -1)).rejects.toThrow("ERR timeout is negative");
    // A client blocked on the local fsync gets an error when the AOF is turned off.
    await c.config("SET", "appendfsync", "no");
    const other = p.client();
    await other.incr("n");
    const blocked = waitaof(other, 1, 0, 0).then(
      (v) => v,
      (e: Error) => e.message,
    );
    expect(await until(() => field(c, "clients", "blocked_clients"), (n) => n === "1")).toBe("1");
    await c.config("SET", "appendonly", "no");
    expect(await blocked).toBe("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
    await expect(waitaof(c, 1, 0, 0)).rejects.toThrow("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
    // No replicas asked for: answers at once.
    expect(await waitaof(c, 0, 0, 0)).toEqual([0, 0]);
  }, 30000);

  it("counts a Nodis replica's FACK; a stopped replica times out, then catches up", async () => {
    const p = await start(["--appendonly", "yes", "--appendfsync", "always"]);
    const r = await start(["--appendonly", "yes", "--appendfsync", "always"]);
    const pc = p.client();
    const rc = r.client();
    await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => field(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    await pc.set("a", "1");
    expect(await waitaof(pc, 1, 1, 0)).toEqual([1, 1]);
    await expect(waitaof(rc, 0, 0, 0)).rejects.toThrow(
      "ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.",
    );
    // The replica's AOF holds what the full sync loaded (it was rewritten after it) and the stream.
    expect(await until(() => field(rc, "persistence", "aof_rewrite_in_progress"), (s) => s === "0")).toBe("0");
    r.proc.kill("SIGSTOP");
    await pc.incr("n");
    expect(await waitaof(pc, 1, 1, 100)).toEqual([1, 0]);
    r.proc.kill("SIGCONT");
    expect(await waitaof(pc, 0, 1, 0)).toEqual([1, 1]);
    // WAIT counts the same replica by its plain ACK.
    expect(await pc.call("WAIT", "1", "0")).toBe(1);
  }, 30000);

  it("a redis-server 7.0 replica sends no FACK: WAITAOF counts it as not fsynced", async () => {
    const p = await start(["--appendonly", "yes", "--appendfsync", "always"]);
    const r = await start(["--appendonly", "yes"], "redis-server");
    const pc = p.client();
    const rc = r.client();
    await rc.call("REPLICAOF", "127.0.0.1", String(p.port));
    expect(await until(() => field(rc, "replication", "master_link_status"), (s) => s === "up")).toBe("up");
    await pc.set("a", "1");
    expect(await pc.call("WAIT", "1", "0")).toBe(1);
    expect(await waitaof(pc, 1, 1, 100)).toEqual([1, 0]);
  }, 30000);
});
