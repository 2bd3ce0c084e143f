/**
 * Big arguments (a bulk that spans reads) get pooled Buffers that go back to
 * the pool once a command copied them into the engine (src/protocol/arg-pool.ts).
 * Values must never change after that: neither a queued MULTI's, nor a blocked
 * or postponed command's, nor a key's.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

const SIZE = 100 * 1024;
const value = (fill: number) => Buffer.alloc(SIZE, fill);
const digest = (b: Buffer | null) => (b === null ? null : createHash("sha1").update(b).digest("hex"));

describe("big arguments from the pool", () => {
  it("keeps each value intact across many big SETs from several clients", async () => {
    const clients = [0, 1, 2, 3].map(() => new Redis(srv.port, { lazyConnect: false }));
    try {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) writes.push(clients[i % 4].set(`big:${i}`, value(i)));
      await Promise.all(writes);
      for (let i = 0; i < 40; i++) expect(digest(await clients[0].getBuffer(`big:${i}`))).toBe(digest(value(i)));
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it("keeps a queued transaction's values while other clients send big values", async () => {
    const a = new Redis(srv.port);
    const b = new Redis(srv.port);
    try {
      await a.multi().set("tx:1", value(0x61)).rpush("tx:list", value(0x62)).hset("tx:h", "f", value(0x63)).exec();
      const tx = a.multi();
      tx.set("q:1", value(0x41));
      tx.set("q:2", value(0x42));
      // The queued values wait in the transaction while b's big values reuse whatever the pool holds.
      const pipeline = b.pipeline();
      for (let i = 0; i < 10; i++) pipeline.set(`other:${i}`, value(0x30 + i));
      const [done] = await Promise.all([tx.exec(), pipeline.exec()]);
      expect(done?.map(([e, r]) => [e, r])).toEqual([
        [null, "OK"],
        [null, "OK"],
      ]);
      expect(digest(await a.getBuffer("q:1"))).toBe(digest(value(0x41)));
      expect(digest(await a.getBuffer("q:2"))).toBe(digest(value(0x42)));
      expect(digest(await a.getBuffer("tx:1"))).toBe(digest(value(0x61)));
      expect(digest(await a.lindexBuffer("tx:list", 0))).toBe(digest(value(0x62)));
      expect(digest(await a.hgetBuffer("tx:h", "f"))).toBe(digest(value(0x63)));
      for (let i = 0; i < 10; i++) expect(digest(await a.getBuffer(`other:${i}`))).toBe(digest(value(0x30 + i)));
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it("keeps big keys (they live on in the keyspace) and a blocked pop's wake-up", async () => {
    const a = new Redis(srv.port);
    const b = new Redis(srv.port);
    try {
      const key1 = value(0x6b);
      const key2 = Buffer.concat([value(0x6b).subarray(1), Buffer.from("2")]);
      await a.set(key1, "v1");
      await a.set(key2, "v2");
      const popped = b.blpopBuffer("blk", 0);
      while ((await a.client("LIST")).split("\n").every((l) => !l.includes("cmd=blpop"))) await new Promise((r) => setTimeout(r, 10));
      await a.rpush("blk", value(0x70));
      for (let i = 0; i < 5; i++) await a.set(`filler:${i}`, value(0x20 + i));
      expect(digest((await popped)![1])).toBe(digest(value(0x70)));
      expect(await a.get(key1)).toBe("v1");
      expect(await a.get(key2)).toBe("v2");
      expect(await a.dbsize()).toBeGreaterThanOrEqual(7);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
