/**
 * A replica in another data centre: behind a link with 50-100 ms of latency
 * each way and limited bandwidth (bench/link-proxy.mjs). It follows the
 * primary, resyncs partially after an outage of the link, and no write
 * acknowledged with WAIT 1 is lost when the primary is killed and the remote
 * replica promoted.
 */
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";
// @ts-expect-error: a plain JavaScript helper of the benches
import { startLinkProxy } from "../../bench/link-proxy.mjs";

const dirs = dataDirs("nodis-remote-");
const started: ServerProcess[] = [];
const proxies: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const s of started) await s.kill9().catch(() => undefined);
});

const field = async (c: Redis, name: string) => new RegExp(`^${name}:(.*)\\r?$`, "m").exec((await c.info("replication")) as string)?.[1];

describe("replication: a remote replica behind a slow link", () => {
  it("resyncs partially after an outage, and keeps every write acknowledged by WAIT 1 when the primary dies", async () => {
    const m = await startIn(dirs(), ["--repl-diskless-sync-delay", "0"]);
    started.push(m);
    const mc = m.client();
    const link = await startLinkProxy(m.port, { minDelayMs: 50, maxDelayMs: 100, bytesPerSec: 256 * 1024 });
    proxies.push(link);
    const r = await startIn(dirs(), ["--replicaof", "127.0.0.1", String(link.port)]);
    started.push(r);
    const rc = r.client();
    expect(await until(() => field(rc, "master_link_status"), (s) => s === "up")).toBe("up");

    // The link goes down for a moment while writes go on: the replica continues from its offset.
    link.cut();
    for (let i = 0; i < 50; i++) await mc.set(`outage:${i}`, String(i));
    link.restore();
    await until(() => r.log(), (l) => l.includes("Successful partial resynchronization with master."));
    expect(await until(() => rc.get("outage:49"), (v) => v === "49")).toBe("49");

    // Writes acknowledged by WAIT 1 (in batches); the primary is killed while a batch is in flight.
    const acked: string[] = [];
    let batch = 0;
    const writer = (async () => {
      for (;;) {
        const keys = Array.from({ length: 20 }, (_, i) => `w:${batch}:${i}`);
        batch++;
        try {
          const pipe = mc.pipeline();
          for (const k of keys) pipe.set(k, "1");
          await pipe.exec();
          if ((await mc.call("WAIT", "1", "2000")) === 1) acked.push(...keys);
        } catch {
          return; // the primary is gone
        }
      }
    })();
    await until(() => acked.length, (n) => n >= 200);
    await m.kill9();
    await writer;
    expect(await rc.call("REPLICAOF", "NO", "ONE")).toBe("OK");
    const missing: string[] = [];
    for (const k of acked) if ((await rc.exists(k)) !== 1) missing.push(k);
    expect(missing).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(200);
    expect(await rc.set("promoted", "1")).toBe("OK");
  }, 60000);
});
