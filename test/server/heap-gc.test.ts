/** The quiet-server collection of V8 garbage that keeps used_memory honest after a big command. */
import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { QuietHeapCollector, quietCollections } from "../../src/server/heap-gc.js";
import { useNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

const MB = 1024 * 1024;
const heapUsed = () => v8.getHeapStatistics().used_heap_size;

/** What parsing one 200,000-argument command leaves behind: Buffer views into its input. */
function makeGarbage(): void {
  const input = Buffer.alloc(1_400_000);
  let argv: Buffer[] | null = [];
  for (let i = 0; i < 200_000; i++) argv.push(input.subarray(i * 7, i * 7 + 6));
  expect(argv.length).toBe(200_000);
  argv = null;
}

describe("QuietHeapCollector", () => {
  it("collects the garbage of a big command once the server is quiet", () => {
    const heap = new QuietHeapCollector();
    makeGarbage();
    const before = heapUsed();
    const ran = quietCollections();
    heap.tick(0);
    expect(quietCollections()).toBe(ran + 1);
    expect(heapUsed()).toBeLessThan(before - 8 * MB);
  });

  it("collects once a load has ended (quiet for a while after many commands), without heap growth", () => {
    const heap = new QuietHeapCollector();
    const ran = quietCollections();
    heap.tick(0, 0);
    heap.tick(50_000, 100); // busy
    heap.tick(50_010, 200); // quiet, but only just
    expect(quietCollections()).toBe(ran);
    heap.tick(50_020, 500);
    expect(quietCollections()).toBe(ran + 1);
    // No new load since: no more collections.
    heap.tick(50_030, 900);
    heap.tick(50_040, 5000);
    expect(quietCollections()).toBe(ran + 1);
  });

  it("leaves a busy server's heap to V8", () => {
    const heap = new QuietHeapCollector();
    makeGarbage();
    const before = heapUsed();
    const ran = quietCollections();
    heap.tick(1_000_000); // a million commands since the last tick
    expect(quietCollections()).toBe(ran);
    expect(heapUsed()).toBeGreaterThan(before - 2 * MB);
  });
});

describe("the server's cron", () => {
  let srv: RunningServer;
  useNodis({ hz: "100" }, {}, (f) => ({ srv } = f));

  it("collects while nothing runs", async () => {
    expect(srv.port).toBeGreaterThan(0);
    const ran = quietCollections();
    // Fresh garbage at each poll, in case V8 collected the previous batch by itself.
    const probe = () => {
      if (quietCollections() === ran) makeGarbage();
      return quietCollections();
    };
    expect(await until(probe, (n) => n > ran, { everyMs: 50 })).toBeGreaterThan(ran);
  });
});
