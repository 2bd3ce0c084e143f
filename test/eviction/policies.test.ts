/**
 * Eviction under each maxmemory-policy with a real Nodis: used memory is held
 * near maxmemory, the right keys go, and every eviction is seen as Redis shows
 * it (the `evicted` event, a propagated DEL or UNLINK, a broken WATCH,
 * evicted_keys in INFO).
 */
import { describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { useNodis } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import type { PropagatedOp } from "../../src/server/write-path.js";

const VALUE = "x".repeat(1000);

async function info(r: Redis, field: string): Promise<number> {
  const text = await r.info("everything");
  const m = new RegExp(`\\r\\n${field}:(\\d+)`).exec(text);
  if (!m) throw new Error(`no ${field} in INFO`);
  return Number(m[1]);
}

/** Sets maxmemory `room` bytes above what is used now, under `policy`. */
async function limit(r: Redis, policy: string, room: number): Promise<number> {
  await r.flushall();
  await r.config("SET", "maxmemory", "0");
  await r.config("SET", "maxmemory-policy", policy);
  const max = (await info(r, "used_memory")) + room;
  await r.config("SET", "maxmemory", String(max));
  return max;
}

/** Writes `n` keys `prefix:i` (with a TTL when `ttl`), pipelined by 100. */
async function fill(r: Redis, prefix: string, n: number, ttl = false): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const p = r.pipeline();
    for (let j = i; j < Math.min(n, i + 100); j++) {
      if (ttl) p.set(`${prefix}:${j}`, VALUE, "EX", 1000 + j);
      else p.set(`${prefix}:${j}`, VALUE);
    }
    await p.exec();
  }
}

describe("maxmemory policies", () => {
  let r: Redis;
  let srv: RunningServer;
  useNodis({}, { r: true }, (f) => {
    r = f.r;
    srv = f.srv;
  });

  for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
    it(`${policy} holds used_memory at maxmemory`, async () => {
      const max = await limit(r, policy, 2_000_000);
      const before = await info(r, "evicted_keys");
      await fill(r, "k", 6000);
      const used = await info(r, "used_memory");
      expect(used).toBeLessThanOrEqual(max * 1.05);
      const keys = await r.dbsize();
      expect(keys).toBeLessThan(6000);
      expect(keys).toBeGreaterThan(500);
      expect((await info(r, "evicted_keys")) - before).toBe(6000 - keys);
    });
  }

  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
    it(`${policy} evicts only keys with an expire, then refuses`, async () => {
      await limit(r, policy, 2_000_000);
      await fill(r, "p", 500);
      await fill(r, "v", 3000, true);
      expect(await r.dbsize()).toBeLessThan(3500);
      // Every key without an expire is still there.
      expect(await r.exists(...Array.from({ length: 500 }, (_, i) => `p:${i}`))).toBe(500);
      if (policy === "volatile-ttl") {
        // The keys closest to expiring went first (sampling may miss a few of them).
        expect(await r.exists(...Array.from({ length: 100 }, (_, i) => `v:${i}`))).toBeLessThan(20);
        expect(await r.exists("v:2999")).toBe(1);
      }
      // Only persistent keys now: nothing can be evicted.
      await r.config("SET", "maxmemory", "1");
      // Evicting the rest may take more than one call's time budget (the command then runs): wait for it.
      await waitFor(async () => (await r.dbsize()) === 500);
      await expect(r.set("p:new", "1")).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
      expect(await r.dbsize()).toBe(500);
      await r.config("SET", "maxmemory", "0");
    });
  }

  it("allkeys-lru keeps the keys in use", async () => {
    await limit(r, "allkeys-lru", 1_500_000);
    await fill(r, "old", 1000);
    // The clock of LRU counts seconds: let the old keys age, then read half of them.
    const t0 = Date.now();
    await waitFor(() => Date.now() - t0 > 1100, { everyMs: 50 });
    for (let i = 0; i < 500; i++) await r.get(`old:${i}`);
    // Room for about 1,300 keys: the new ones push out about 300, fewer than the idle half.
    await fill(r, "new", 600);
    expect(await r.dbsize()).toBeLessThan(1600);
    const hot = await r.exists(...Array.from({ length: 500 }, (_, i) => `old:${i}`));
    const cold = await r.exists(...Array.from({ length: 500 }, (_, i) => `old:${500 + i}`));
    expect(hot).toBeGreaterThan(450);
    expect(cold).toBeLessThan(450);
  });

  it("fires evicted, propagates DEL (UNLINK when lazy) and breaks WATCH", async () => {
    await limit(r, "allkeys-random", 1_000_000);
    await r.config("SET", "notify-keyspace-events", "Ee");
    const sub = r.duplicate();
    const events: string[] = [];
    sub.on("message", (_ch, key) => events.push(key));
    await sub.subscribe("__keyevent@0__:evicted");
    const units: string[] = [];
    const stop = srv.server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(...ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
    try {
      await fill(r, "k", 2000);
      await r.config("SET", "lazyfree-lazy-eviction", "yes");
      await fill(r, "m", 1000);
      const evicted = await info(r, "evicted_keys");
      expect(evicted).toBeGreaterThan(1000);
      await waitFor(() => events.length >= 1000);
      const dels = units.filter((u) => u.startsWith("DEL "));
      const unlinks = units.filter((u) => u.startsWith("UNLINK "));
      expect(dels.length).toBeGreaterThan(500);
      expect(unlinks.length).toBeGreaterThan(100);
      expect(events.length).toBeGreaterThanOrEqual(1000);
    } finally {
      stop();
      await r.config("SET", "lazyfree-lazy-eviction", "no");
      await r.config("SET", "notify-keyspace-events", "");
      sub.disconnect();
    }
  });

  it("CONFIG SET maxmemory evicts after the command, each key its own unit (not a MULTI inside CONFIG SET)", async () => {
    await r.flushall();
    await r.config("SET", "maxmemory", "0");
    await r.set("asdf1", "1");
    await r.set("asdf2", "2");
    await r.set("asdf3", "3");
    const units: string[][] = [];
    const stop = srv.server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
    try {
      await r.config("SET", "maxmemory-policy", "allkeys-lru");
      await r.config("SET", "maxmemory", "1");
      await waitFor(async () => (await r.dbsize()) === 0);
    } finally {
      await r.config("SET", "maxmemory", "0");
      await r.config("SET", "maxmemory-policy", "noeviction");
      stop();
    }
    expect(units.map((u) => u.join("; ")).sort()).toEqual(["DEL asdf1", "DEL asdf2", "DEL asdf3"]);
  });

  it("an eviction breaks WATCH", async () => {
    await limit(r, "volatile-ttl", 1_000_000);
    const watcher = r.duplicate();
    try {
      // The key closest to expiring: volatile-ttl evicts it among the first.
      await watcher.set("w", "1", "EX", 10);
      await watcher.watch("w");
      await fill(r, "v", 3000, true);
      expect(await r.exists("w")).toBe(0);
      expect(await watcher.multi().set("w", "2").exec()).toBeNull();
    } finally {
      watcher.disconnect();
    }
  });

  it("keeps pipelined commands on the batch path while under the limit", async () => {
    await limit(r, "allkeys-lru", 50_000_000);
    const ran = srv.server.batchPath.commands;
    await fill(r, "b", 1000);
    expect(srv.server.batchPath.commands - ran).toBeGreaterThan(900);
    await r.config("SET", "maxmemory", "0");
  });
});
