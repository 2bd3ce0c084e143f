/**
 * A subscriber that never reads is cut off by `client-output-buffer-limit pubsub`
 * (default 32mb 8mb 60), as redis-server does, and what the server holds for it
 * stays under the limit while messages keep coming.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

const MB = 1024 * 1024;
const MESSAGE = Buffer.alloc(64 * 1024, 0x6d);
const BATCH = 16;

interface Cut {
  /** Bytes of messages published while the subscriber was still counted. */
  delivered: number;
  /** What PUBSUB NUMSUB says afterwards. */
  numsub: string;
}

/**
 * Subscribes a connection that then stops reading, and publishes 64KB messages
 * until PUBLISH counts no receiver (the subscriber was dropped). `observe` runs
 * after every batch (memory checks on the in-process Nodis).
 */
async function publishUntilCut(port: number, limitMb: number, observe: () => void = () => {}): Promise<Cut> {
  const sub = await RawConn.open(port);
  const pub = await RawConn.open(port);
  try {
    expect(await sub.call("SUBSCRIBE", "slow")).toBe("*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n");
    sub.sock.pause(); // never reads again: the kernel buffers fill, then the server's
    let delivered = 0;
    for (;;) {
      for (let i = 0; i < BATCH; i++) pub.send("PUBLISH", "slow", MESSAGE);
      let cut = false;
      for (let i = 0; i < BATCH; i++) {
        const reply = await pub.reply(10000);
        if (reply === ":1\r\n") delivered += MESSAGE.length;
        else {
          expect(reply).toBe(":0\r\n");
          cut = true;
        }
      }
      observe();
      if (cut) break;
      if (delivered > limitMb * MB + 64 * MB) throw new Error(`still subscribed after ${delivered} bytes`);
    }
    return { delivered, numsub: await pub.call("PUBSUB", "NUMSUB", "slow") };
  } finally {
    sub.close();
    pub.close();
  }
}

describe("client-output-buffer-limit pubsub", () => {
  it("cuts off a subscriber that never reads, at the default 32mb hard limit, holding at most that much", async () => {
    expect(srv.server.config.get("client-output-buffer-limit")).toContain("pubsub 33554432 8388608 60");
    let held = 0;
    let tracked: { socket: { writableLength: number }; pendingBytes: number; closed: boolean } | undefined;
    const cut = await publishUntilCut(srv.port, 32, () => {
      tracked ??= [...srv.server.clients.values()].find((c) => c.flags.has("pubsub"));
      if (tracked && !tracked.closed) held = Math.max(held, tracked.socket.writableLength + tracked.pendingBytes);
    });
    expect(cut.numsub).toBe("*2\r\n$4\r\nslow\r\n:0\r\n");
    // Cut past the limit (what the kernel's socket buffers took comes on top), not long after it.
    expect(cut.delivered).toBeGreaterThanOrEqual(32 * MB);
    expect(cut.delivered).toBeLessThan(32 * MB + 40 * MB);
    // The server never held more than the limit and one message for it; nothing once it is gone.
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(32 * MB + MESSAGE.length);
    expect(tracked?.closed).toBe(true);
    expect(tracked!.pendingBytes).toBe(0);
    expect([...srv.server.clients.values()].some((c) => c.flags.has("pubsub"))).toBe(false);
  });

  it("cuts at a configured limit, as redis-server does", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    try {
      const cuts: Cut[] = [];
      for (const port of [redis.port, srv.port]) {
        const admin = await RawConn.open(port);
        expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 2mb 0 0")).toBe("+OK\r\n");
        cuts.push(await publishUntilCut(port, 2));
        expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")).toBe("+OK\r\n");
        admin.close();
      }
      const [theirs, mine] = cuts;
      expect(mine.numsub).toBe(theirs.numsub);
      for (const c of cuts) {
        expect(c.delivered).toBeGreaterThanOrEqual(2 * MB);
        expect(c.delivered).toBeLessThan(2 * MB + 40 * MB);
      }
    } finally {
      await redis.stop();
    }
  });

  it("closes a reading subscriber at once for one message over the hard limit, as redis-server does", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    try {
      const seen: Record<string, unknown> = {};
      for (const [name, port] of [["redis", redis.port], ["nodis", srv.port]] as const) {
        const admin = await RawConn.open(port);
        expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32kb 0 0")).toBe("+OK\r\n");
        const sub = await RawConn.open(port);
        expect(await sub.call("SUBSCRIBE", "big")).toBe("*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n");
        // 20 KB: what the subscriber's reply buffer (1-16 KB) does not take is under the limit.
        const small = "s".repeat(20 * 1024);
        expect(await admin.call("PUBLISH", "big", small)).toBe(":1\r\n");
        expect(await sub.reply()).toBe(`*3\r\n$7\r\nmessage\r\n$3\r\nbig\r\n$${small.length}\r\n${small}\r\n`);
        // 100 KB: over it before anything is written; the subscriber still counts as a receiver.
        const published = await admin.call("PUBLISH", "big", "b".repeat(100 * 1024));
        let got = "";
        try {
          got = await sub.reply(2000);
        } catch {
          // closed without a reply
        }
        seen[name] = { published, got: got.length, closed: sub.closed, after: await admin.call("PUBLISH", "big", "x") };
        expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")).toBe("+OK\r\n");
        sub.close();
        admin.close();
      }
      expect(seen.redis).toEqual({ published: ":1\r\n", got: 0, closed: true, after: ":0\r\n" });
      expect(seen.nodis).toEqual(seen.redis);
    } finally {
      await redis.stop();
    }
  });
});
