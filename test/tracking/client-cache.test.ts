/**
 * A real client-side cache end to end: node-redis (RESP3, clientSideCache)
 * caches GET replies, Nodis tells it when another client changes a cached key
 * or flushes, and the next GET goes to the server again.
 */
import { describe, expect, it } from "vitest";
import { createClient } from "redis";
import { useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";
import { waitFor } from "../helpers/wait.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));


describe("node-redis client-side caching against Nodis", () => {
  it("serves repeated GETs from its cache and drops entries Nodis invalidates", async () => {
    const cached = createClient({ url: `redis://127.0.0.1:${srv.port}`, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    const writer = await RawConn.open(srv.port);
    await cached.connect();
    try {
      const csc = cached.clientSideCache!;
      await writer.call("SET", "csc:a", "1");
      await writer.call("SET", "csc:b", "x");
      expect(await cached.get("csc:a")).toBe("1");
      expect(await cached.get("csc:b")).toBe("x");
      expect(await cached.get("csc:a")).toBe("1");
      expect(csc.stats().hitCount).toBe(1);
      expect(csc.stats().missCount).toBe(2);
      expect(csc.size()).toBe(2);

      // The server remembered the keys for this connection.
      const info = await writer.call("INFO", "stats");
      expect(info).toMatch(/tracking_total_keys:2\r\n/);

      // Another client changes csc:a: the push drops that entry only.
      await writer.call("SET", "csc:a", "2");
      expect(await waitFor(() => csc.size() === 1)).toBe(true);
      expect(await cached.get("csc:a")).toBe("2");
      expect(await cached.get("csc:b")).toBe("x");
      expect(csc.stats().hitCount).toBe(2);

      // FLUSHALL: the null invalidation empties the whole cache.
      await writer.call("FLUSHALL");
      expect(await waitFor(() => csc.size() === 0)).toBe(true);
      expect(await cached.get("csc:a")).toBeNull();
      expect(await cached.get("csc:b")).toBeNull();
    } finally {
      await cached.quit();
      writer.close();
    }
  });
});
