/**
 * What counts against maxmemory, on Nodis and redis-server side by side: a
 * keyspace table does not grow when its new buckets would pass maxmemory (no
 * eviction for a rehash), and the client-side caching table is memory like
 * the rest (used_memory grows with it, and evicting tracked keys frees it).
 */
import { describe, expect, it } from "vitest";
import { useServerPair } from "../helpers/pair.js";
import { RespConnection } from "../diff/resp.js";

function field(info: Buffer, name: string): number {
  const m = new RegExp(`\\r\\n${name}:(\\d+)`).exec(info.toString());
  return m ? Number(m[1]) : NaN;
}

describe("memory accounting under maxmemory, as Redis", () => {
  const p = useServerPair({ events: false });
  const both = () => [
    { conn: p.mine, port: p.nodis.port },
    { conn: p.theirs, port: p.oracle.port },
  ];

  it("a table that would grow past maxmemory does not, and nothing is evicted", async () => {
    await p.reset();
    for (const { conn } of both()) {
      await conn.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
      const batch = [];
      for (let i = 0; i < 4096; i++) batch.push(["SET", `key:${i}`, "v"]);
      await conn.send(batch);
      const used = field(await conn.call("INFO", "memory"), "used_memory");
      // The next insert would double the 4096-bucket table (32-64 KB of buckets).
      await conn.call("CONFIG", "SET", "maxmemory", String(used + 10 * 1024));
      await conn.call("SET", "k1", "v1");
      await conn.call("SET", "k2", "v2");
      expect((await conn.call("DBSIZE")).toString()).toBe(":4098\r\n");
      await conn.call("CONFIG", "SET", "maxmemory", "0");
      await conn.call("FLUSHALL");
    }
  });

  it("the tracking table counts in used_memory as Redis's does", async () => {
    await p.reset();
    const perKey: number[] = [];
    for (const { conn, port } of both()) {
      const readers: RespConnection[] = [];
      for (let i = 0; i < 5; i++) {
        const c = await RespConnection.connect(port);
        await c.call("CLIENT", "TRACKING", "on");
        readers.push(c);
      }
      const keys = Array.from({ length: 200 }, (_, i) => `${i}:${"x".repeat(1000)}`);
      await conn.send(keys.map((k) => ["SET", k, "x"]));
      const before = field(await conn.call("INFO", "memory"), "used_memory");
      // In batches small enough for Redis's 16 KB query buffer (a bigger one would stay a while and count).
      for (const c of readers) for (let i = 0; i < keys.length; i += 10) await c.send(keys.slice(i, i + 10).map((k) => ["GET", k]));
      const after = field(await conn.call("INFO", "memory"), "used_memory");
      perKey.push((after - before) / keys.length);
      for (const c of readers) c.close();
      await conn.call("FLUSHALL");
    }
    // Each tracked key costs its name and some more per client (Redis's radix trees: allocator-dependent).
    const [mine, theirs] = perKey;
    expect(theirs).toBeGreaterThan(1000);
    expect(mine).toBeGreaterThan(1000);
    expect(mine).toBeGreaterThan(theirs * 0.7);
    expect(mine).toBeLessThan(theirs * 1.3);
  });
});
