/**
 * Memory introspection and client eviction with a real Nodis: used_memory
 * counts data and client buffers (not JavaScript garbage), INFO memory's split
 * adds up, maxmemory-clients closes the biggest clients but not NO-EVICT ones,
 * and redis-cli's --bigkeys, --memkeys and --hotkeys work.
 */
import net from "node:net";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { useNodis } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

async function infoFields(r: Redis): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await r.info("everything")).split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** redis-cli against the server, run asynchronously (the server runs in this process). */
async function cli(port: number, ...args: string[]): Promise<string> {
  const res = await promisify(execFile)("redis-cli", ["-p", String(port), ...args], { encoding: "utf8", timeout: 20_000 });
  return res.stdout;
}

describe("memory introspection", () => {
  let r: Redis;
  let srv: RunningServer;
  useNodis({}, { r: true }, (f) => {
    r = f.r;
    srv = f.srv;
  });

  it("used_memory falls back after a big value and FLUSHALL; its split adds up", async () => {
    await r.flushall();
    const start = Number((await infoFields(r)).used_memory);
    await r.set("big", Buffer.alloc(20 * 1024 * 1024, 97));
    const withBig = Number((await infoFields(r)).used_memory);
    expect(withBig - start).toBeGreaterThan(20 * 1024 * 1024);
    await r.flushall();
    const f = await infoFields(r);
    // The 20 MB request's Buffers are JavaScript's garbage now: not counted.
    expect(Number(f.used_memory) - start).toBeLessThan(1024 * 1024);
    expect(Number(f.used_memory_overhead) + Number(f.used_memory_dataset)).toBe(Number(f.used_memory));
    expect(Number(f.used_memory_startup)).toBeGreaterThan(0);
    expect(Number(f.used_memory_peak)).toBeGreaterThanOrEqual(withBig);
    expect(await r.memory("PURGE")).toBe("OK");
  });

  it("redis-cli --bigkeys, --memkeys and --hotkeys", async () => {
    await r.flushall();
    await r.config("SET", "maxmemory-policy", "allkeys-lfu");
    try {
      for (let i = 0; i < 50; i++) await r.set(`s:${i}`, "x".repeat(i + 1));
      await r.rpush("list", ...Array.from({ length: 30 }, (_, i) => `e${i}`));
      await r.hset("hash", { a: "1", b: "2" });
      for (let i = 0; i < 100; i++) await r.get("s:7");
      const big = await cli(srv.port, "--bigkeys");
      expect(big).toContain(`Biggest string found '"s:49"' has 50 bytes`);
      expect(big).toContain(`Biggest   list found '"list"' has 30 items`);
      expect(big).toContain("50 strings with 1275 bytes");
      const mem = await cli(srv.port, "--memkeys");
      // MEMORY USAGE's sizes: every string costs more than its length.
      expect(Number(/Biggest string found '"s:\d+"' has (\d+) bytes/.exec(mem)?.[1])).toBeGreaterThan(50);
      expect(mem).toMatch(/Biggest   list found '"list"' has \d+ bytes/);
      const hot = await cli(srv.port, "--hotkeys");
      // The key read 100 times is the hottest (listed first).
      const lines = hot.split("\n").filter((l) => l.startsWith("hot key found"));
      expect(lines[0]).toContain('keyname: "s:7"');
    } finally {
      await r.config("SET", "maxmemory-policy", "noeviction");
    }
  });

  it("maxmemory-clients evicts the biggest client, not a NO-EVICT one", async () => {
    const before = Number((await infoFields(r)).evicted_clients);
    // A test before this one sent a big argument: Redis keeps a query buffer of its size until
    // the cron shrinks it (within a few ticks), and so does Nodis; until then this client is the biggest.
    await waitFor(async () => Number(/tot-mem=(\d+)/.exec(await r.client("INFO"))![1]) < 100 * 1024);
    await r.config("SET", "maxmemory-clients", String(200 * 1024));
    try {
      // A protected client with a big unfinished command stays.
      const keep = r.duplicate();
      await keep.client("NO-EVICT", "ON");
      await keep.client("SETNAME", "keeper");
      // A raw client sends half of a 600 KB argument: its query buffer grows past the limit.
      const sock = net.connect(srv.port, "127.0.0.1");
      let closed = false;
      sock.on("close", () => (closed = true));
      sock.on("error", () => {});
      await new Promise((res) => sock.on("connect", res));
      sock.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000\r\n${"v".repeat(300_000)}`);
      await waitFor(() => closed);
      expect(closed).toBe(true);
      expect(Number((await infoFields(r)).evicted_clients)).toBe(before + 1);
      expect(await keep.ping()).toBe("PONG");
      expect(await r.client("LIST")).toContain("name=keeper");
      keep.disconnect();
    } finally {
      await r.config("SET", "maxmemory-clients", "0");
    }
  });
});
