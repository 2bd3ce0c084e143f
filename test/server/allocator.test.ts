/**
 * The addon's allocator (jemalloc, native/src/alloc.rs): what INFO, MEMORY and DEBUG
 * MALLCTL say of it, as a jemalloc-built Redis 7.2 says it, and memory going back
 * to the system after a big value is deleted.
 */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { useNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";

let r: Redis;
useNodis({ "proto-max-bulk-len": "128mb", "enable-debug-command": "yes" }, { r: true }, (f) => ({ r } = f));

async function memoryInfo(): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const line of (await r.info("memory")).split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}
const num = (m: Map<string, string>, k: string) => Number(m.get(k));

describe("the allocator", () => {
  it("is named as Redis names its jemalloc, with jemalloc's own totals in INFO and MEMORY STATS", async () => {
    await r.set("k", "v".repeat(1000));
    const m = await memoryInfo();
    expect(m.get("mem_allocator")).toBe("jemalloc-5.3.0");
    const [allocated, active, resident] = ["allocator_allocated", "allocator_active", "allocator_resident"].map((k) => num(m, k));
    expect(allocated).toBeGreaterThan(0);
    expect(active).toBeGreaterThanOrEqual(allocated);
    expect(resident).toBeGreaterThanOrEqual(active);
    expect(m.get("allocator_frag_bytes")).toBe(String(active - allocated));
    expect(m.get("allocator_rss_bytes")).toBe(String(resident - active));
    expect(m.get("allocator_frag_ratio")).toBe((active / allocated).toFixed(2));
    // used_memory counts the addon's allocations by size class: at most what jemalloc holds.
    expect(num(m, "used_memory")).toBeLessThanOrEqual(allocated);
    const stats = (await r.call("MEMORY", "STATS")) as unknown[];
    const at = stats.indexOf("allocator.allocated");
    expect(at).toBeGreaterThan(0);
    expect(Number(stats[at + 1])).toBeGreaterThan(0);
  });

  it("MEMORY MALLOC-STATS is jemalloc's report, MEMORY PURGE answers OK", async () => {
    const text = String(await r.call("MEMORY", "MALLOC-STATS"));
    expect(text).toMatch(/^___ Begin jemalloc statistics ___\n/);
    expect(text).toContain("--- End jemalloc statistics ---");
    expect(await r.call("MEMORY", "PURGE")).toBe("OK");
  });

  it("DEBUG MALLCTL and MALLCTL-STR read and write jemalloc's settings with Redis's replies", async () => {
    expect(await r.call("DEBUG", "MALLCTL", "arenas.page")).toBe(4096);
    expect(await r.call("DEBUG", "MALLCTL", "arenas.quantum")).toBe(8);
    expect(String(await r.call("DEBUG", "MALLCTL-STR", "version"))).toMatch(/^5\.3\.0/);
    // A trigger (write-only, no value): written.
    expect(await r.call("DEBUG", "MALLCTL-STR", "thread.tcache.flush", "VOID")).toBe("OK");
    await expect(r.call("DEBUG", "MALLCTL-STR", "thread.tcache.flush")).rejects.toThrow(/^ERR Operation not permitted$/);
    await expect(r.call("DEBUG", "MALLCTL", "no.such.setting")).rejects.toThrow(/^ERR No such file or directory$/);
    await expect(r.call("DEBUG", "MALLCTL", "arenas.page", "x")).rejects.toThrow(/^ERR value is not an integer or out of range$/);
    // A read-write setting: the old value back, then the new one in force.
    const old = await r.call("DEBUG", "MALLCTL", "arenas.dirty_decay_ms", "5000");
    expect(typeof old).toBe("number");
    expect(await r.call("DEBUG", "MALLCTL", "arenas.dirty_decay_ms", String(old))).toBe(5000);
  });

  it("gives a deleted big value's pages back to the system", async () => {
    const resident = async () => num(await memoryInfo(), "allocator_resident");
    const before = await resident();
    await r.set("big", Buffer.alloc(64 * 1024 * 1024, 120));
    expect(await resident()).toBeGreaterThan(before + 60 * 1024 * 1024);
    await r.del("big");
    // jemalloc's own decay, or the cron's purge after a big free, returns them.
    const after = await until(resident, (n) => n < before + 8 * 1024 * 1024);
    expect(after).toBeLessThan(before + 8 * 1024 * 1024);
  });
});
