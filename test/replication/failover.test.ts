/**
 * FAILOVER (src/replication/failover.ts), the coordinated switch: the primary
 * holds writes until the target has the whole stream, becomes its replica and
 * sends PSYNC ... FAILOVER, which makes the target the primary and continues
 * partially. Between Nodis processes, and with Debian's redis-server (7.0 has
 * FAILOVER) on either side. Error texts are Redis 7.2's (replication.c).
 */
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-failover-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    s.proc.kill("SIGCONT");
    await s.kill9().catch(() => undefined);
  }
});

async function start(bin = "nodis", args: string[] = []): Promise<ServerProcess> {
  const s = await startIn(dirs(), ["--repl-diskless-sync-delay", "0", ...args], bin);
  started.push(s);
  return s;
}

const field = async (c: Redis, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info("replication")) as string)?.[1];
const stat = async (c: Redis, name: string) => Number(new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info("stats")) as string)?.[1]);
const digest = (c: Redis) => c.call("DEBUG", "DIGEST") as Promise<string>;
const role = async (c: Redis) => ((await c.call("ROLE")) as unknown[])[0];

async function replicate(replica: Redis, primary: ServerProcess): Promise<void> {
  await replica.call("REPLICAOF", "127.0.0.1", String(primary.port));
  expect(await until(() => field(replica, "master_link_status"), (s) => s === "up")).toBe("up");
}

/** Waits until the replica has applied the primary's whole stream. */
async function inSync(primary: Redis, replica: Redis): Promise<void> {
  const want = await field(primary, "master_repl_offset");
  expect(await until(() => field(replica, "slave_repl_offset"), (o) => o === want)).toBe(want);
}

async function failoverBetween(primaryBin: string, targetBin: string): Promise<void> {
  const p = await start(primaryBin);
  const t = await start(targetBin);
  const pc = p.client();
  const tc = t.client();
  await replicate(tc, p);
  for (let i = 0; i < 200; i++) await pc.set(`k${i}`, `v${i}`);
  await pc.rpush("list", "a", "b", "c");
  const partialBefore = await stat(tc, "sync_partial_ok");
  // The link is up on the replica's side before the primary counts it online (its first ACK): FAILOVER TO needs the latter.
  expect(await until(() => field(pc, "slave0"), (s) => s?.includes("state=online") ?? false)).toContain("state=online");
  expect(await pc.call("FAILOVER", "TO", "127.0.0.1", String(t.port))).toBe("OK");
  expect(await until(() => field(pc, "master_failover_state"), (s) => s === "no-failover")).toBe("no-failover");
  expect(await until(() => role(tc), (r) => r === "master")).toBe("master");
  expect(await role(pc)).toBe("slave");
  expect(await field(pc, "master_port")).toBe(String(t.port));
  expect(await until(() => field(pc, "master_link_status"), (s) => s === "up")).toBe("up");
  // The old primary continued the target's history: a partial resynchronization.
  expect(await stat(tc, "sync_partial_ok")).toBe(partialBefore + 1);
  await tc.set("after", "1");
  await inSync(tc, pc);
  expect(await digest(pc)).toBe(await digest(tc));
  await expect(pc.set("x", "1")).rejects.toThrow("READONLY You can't write against a read only replica.");
}

describe.skipIf(!haveRedisServer())("FAILOVER", () => {
  it("refuses what Redis refuses, with its texts", async () => {
    const p = await start();
    const r = await start();
    const pc = p.client();
    const rc = r.client();
    await expect(pc.call("FAILOVER")).rejects.toThrow("ERR FAILOVER requires connected replicas.");
    await expect(pc.call("FAILOVER", "ABORT")).rejects.toThrow("ERR No failover in progress.");
    await replicate(rc, p);
    await expect(pc.call("FAILOVER", "TO", "127.0.0.1", "x")).rejects.toThrow("ERR value is not an integer or out of range");
    await expect(pc.call("FAILOVER", "TO", "nohost", String(r.port))).rejects.toThrow("ERR FAILOVER target HOST and PORT is not a replica.");
    await expect(pc.call("FAILOVER", "FORCE", "TIMEOUT", "100")).rejects.toThrow("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
    await expect(pc.call("FAILOVER", "TIMEOUT", "0")).rejects.toThrow("ERR FAILOVER timeout must be greater than 0");
    await expect(pc.call("FAILOVER", "TO", "127.0.0.1")).rejects.toThrow("ERR syntax error");
    await expect(rc.call("FAILOVER")).rejects.toThrow("ERR FAILOVER is not valid when server is a replica.");
    // PSYNC FAILOVER to a primary, or with another ID.
    await expect(pc.call("PSYNC", "?", "-1", "FAILOVER")).rejects.toThrow("ERR PSYNC FAILOVER can't be sent to a master.");
    await expect(rc.call("PSYNC", "0".repeat(40), "1", "FAILOVER")).rejects.toThrow("ERR PSYNC FAILOVER replid must match my replid.");
  }, 30000);

  it("hands over to the named Nodis replica, which continues the old primary partially", async () => {
    await failoverBetween("nodis", "nodis");
  }, 60000);

  it("works across implementations: Nodis to redis-server and redis-server to Nodis", async () => {
    await failoverBetween("nodis", "redis-server");
    await failoverBetween("redis-server", "nodis");
  }, 90000);

  it("holds writes while waiting for the target; ABORT lets them through; a timeout aborts", async () => {
    const p = await start();
    const t = await start();
    const pc = p.client();
    const tc = t.client();
    await replicate(tc, p);
    await pc.set("a", "1");
    await inSync(pc, tc);
    // A stopped target never catches up.
    t.proc.kill("SIGSTOP");
    await pc.set("b", "2");
    expect(await pc.call("FAILOVER", "TO", "127.0.0.1", String(t.port), "TIMEOUT", "60000")).toBe("OK");
    expect(await field(pc, "master_failover_state")).toBe("waiting-for-sync");
    await expect(pc.call("FAILOVER")).rejects.toThrow("ERR FAILOVER already in progress.");
    await expect(pc.call("REPLICAOF", "NO", "ONE")).rejects.toThrow("ERR REPLICAOF not allowed while failing over.");
    // Reads go on; a write waits for the end of the failover.
    expect(await pc.get("a")).toBe("1");
    const writer = p.client();
    let written = false;
    const write = writer.set("c", "3").then((v) => ((written = true), v));
    // The held write counts as a blocked client, as in Redis.
    const blocked = async () => /^blocked_clients:(\d+)/m.exec((await pc.info("clients")) as string)?.[1];
    expect(await until(blocked, (n) => n === "1")).toBe("1");
    expect(written).toBe(false);
    expect(await pc.call("FAILOVER", "ABORT")).toBe("OK");
    expect(await write).toBe("OK");
    expect(await field(pc, "master_failover_state")).toBe("no-failover");
    expect(await role(pc)).toBe("master");
    // A timeout without FORCE aborts.
    expect(await pc.call("FAILOVER", "TO", "127.0.0.1", String(t.port), "TIMEOUT", "200")).toBe("OK");
    expect(await until(() => field(pc, "master_failover_state"), (s) => s === "no-failover")).toBe("no-failover");
    expect(p.log()).toContain("aborted: Replica never caught up before timeout");
    expect(await role(pc)).toBe("master");
    t.proc.kill("SIGCONT");
    await inSync(pc, tc);
    expect(await digest(tc)).toBe(await digest(pc));
  }, 60000);
});
