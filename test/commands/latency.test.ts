/** LATENCY: event series (latency-monitor-threshold), LATEST/HISTORY/RESET/GRAPH/DOCTOR, HISTOGRAM. */
import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";

let r: Redis;
useNodis({ "enable-debug-command": "yes" }, { r: true }, (f) => ({ r } = f));

describe("LATENCY", () => {
  it("records nothing while latency-monitor-threshold is 0", async () => {
    await r.call("debug", "sleep", "0.05");
    expect(await r.call("latency", "latest")).toEqual([]);
    expect(await r.call("latency", "history", "command")).toEqual([]);
    expect(await r.call("latency", "doctor")).toMatch(/^Dave, no latency spike was observed/);
  });

  it("records command events over the threshold, one sample per second", async () => {
    await r.config("SET", "latency-monitor-threshold", "40");
    await r.call("debug", "sleep", "0.05");
    await r.call("debug", "sleep", "0.09");
    await r.ping();
    const latest = (await r.call("latency", "latest")) as [string, number, number, number][];
    expect(latest).toHaveLength(1);
    const [name, time, ms, max] = latest[0];
    expect(name).toBe("command");
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(5);
    expect(ms).toBeGreaterThanOrEqual(40);
    expect(max).toBeGreaterThanOrEqual(89);
    const history = (await r.call("latency", "history", "command")) as [number, number][];
    expect(history.length).toBeGreaterThanOrEqual(1);
    expect(history.length).toBeLessThanOrEqual(2);
    const graph = (await r.call("latency", "graph", "command")) as string;
    expect(graph).toMatch(/^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
    expect(await r.call("latency", "doctor")).toMatch(/command: \d+ latency spikes/);
    await expect(r.call("latency", "graph", "nothing")).rejects.toThrow("ERR No samples available for event 'nothing'");
  });

  it("resets events", async () => {
    expect(await r.call("latency", "reset", "blabla")).toBe(0);
    expect(await r.call("latency", "reset")).toBe(1);
    expect(await r.call("latency", "latest")).toEqual([]);
    await r.config("SET", "latency-monitor-threshold", "0");
  });

  it("records the active expire cycle that freed a big value as expire-cycle", async () => {
    await r.call("eval", "for i=1,300000 do redis.call('sadd',KEYS[1],i) end", 1, "bigexp");
    await r.config("SET", "latency-monitor-threshold", "1");
    try {
      await r.pexpire("bigexp", 20);
      // Polled without touching the key: a lookup would expire it itself.
      const events = async () => ((await r.call("latency", "latest")) as [string][]).map((e) => e[0]);
      await waitFor(async () => (await events()).includes("expire-cycle"));
      expect(await events()).toContain("expire-cycle");
      expect(await r.call("object", "encoding", "bigexp")).toBe(null);
    } finally {
      await r.config("SET", "latency-monitor-threshold", "0");
      await r.call("latency", "reset");
    }
  });

  it("keeps per-command histograms: HISTOGRAM", async () => {
    await r.call("config", "resetstat");
    await r.set("a", "b");
    await r.set("c", "d");
    await r.call("client", "id");
    const all = (await r.call("latency", "histogram")) as unknown[];
    const byName = new Map<string, unknown[]>();
    for (let i = 0; i < all.length; i += 2) byName.set(all[i] as string, all[i + 1] as unknown[]);
    expect(byName.get("set")!.slice(0, 3)).toEqual(["calls", 2, "histogram_usec"]);
    const buckets = byName.get("set")![3] as number[];
    expect(buckets.length % 2).toBe(0);
    expect(buckets[buckets.length - 1]).toBe(2);
    expect(byName.has("config|resetstat")).toBe(true);
    const client = (await r.call("latency", "histogram", "client", "blabla")) as unknown[];
    expect(client[0]).toBe("client|id");
    expect(client).toHaveLength(2);
    expect(await r.call("latency", "histogram", "nosuch")).toEqual([]);
  });

  it("answers HELP", async () => {
    const help = (await r.call("latency", "help")) as string[];
    expect(help[0]).toBe("LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    await expect(r.call("latency", "help", "xxx")).rejects.toThrow("ERR wrong number of arguments for 'latency|help' command");
  });
});
