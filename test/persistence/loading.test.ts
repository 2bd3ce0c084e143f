/**
 * The RDB loads at start on the engine's loading thread: the server accepts
 * connections meanwhile, answers -LOADING to commands without the loading
 * flag, and INFO persistence shows Redis's loading_* fields moving; then the
 * dataset is whole. key-load-delay slows the load down so it can be watched.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataDirs, startIn } from "./process.js";
import { until } from "../helpers/wait.js";

const dirs = dataDirs("nodis-loading-");
const field = (info: string, name: string) => new RegExp(`${name}:([^\\r\\n]*)`).exec(info)?.[1];

describe("loading at start", () => {
  it("answers -LOADING with the loading_* fields while the file loads, then serves the whole dataset", async () => {
    const dir = dirs();
    const a = await startIn(dir, []);
    const c = a.client();
    await c.call("DEBUG", "POPULATE", "20000", "key", "10");
    await c.call("HSET", "h", "f", "v");
    const digest = await c.call("DEBUG", "DIGEST");
    expect(await c.call("SAVE")).toBe("OK");
    await a.shutdown();
    const size = fs.statSync(path.join(dir, "dump.rdb")).size;

    // 100 µs a key: about 2 s of loading.
    const b = await startIn(dir, ["--key-load-delay", "100"], "nodis", { untilReady: false });
    try {
      const r = b.client();
      await expect(r.call("GET", "key:1")).rejects.toThrow("LOADING Redis is loading the dataset in memory");
      await expect(r.call("PING")).rejects.toThrow(/^LOADING/);
      const info = String(await r.call("INFO", "persistence"));
      expect(field(info, "loading")).toBe("1");
      expect(field(info, "async_loading")).toBe("0");
      expect(Number(field(info, "loading_total_bytes"))).toBe(size);
      expect(Math.abs(Number(field(info, "loading_start_time")) - Date.now() / 1000)).toBeLessThan(60);
      for (const f of ["loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds", "loading_rdb_used_mem"]) expect(field(info, f)).toBeDefined();
      // The bytes read grow while it loads.
      const first = Number(field(info, "loading_loaded_bytes"));
      const later = await until(
        async () => String(await r.call("INFO", "persistence")),
        (i) => field(i, "loading") === "0" || Number(field(i, "loading_loaded_bytes")) > first,
      );
      expect(field(later, "loading") === "0" || Number(field(later, "loading_loaded_bytes")) > first).toBe(true);
      const done = await until(async () => String(await r.call("INFO", "persistence")), (i) => field(i, "loading") === "0");
      expect(field(done, "loading")).toBe("0");
      expect(done).not.toContain("loading_total_bytes");
      expect(await r.call("DBSIZE")).toBe(20001);
      expect(await r.call("DEBUG", "DIGEST")).toBe(digest);
      expect(field(String(await r.call("INFO", "persistence")), "rdb_last_load_keys_loaded")).toBe("20001");
      expect(b.log()).toMatch(/DB loaded from disk: \d+\.\d{3} seconds/);
      expect(b.log()).toContain("Ready to accept connections");
    } finally {
      await b.kill9();
    }
  });

  it("a bad file found by the loading thread stops the server with exit code 1", async () => {
    const dir = dirs();
    const a = await startIn(dir, []);
    await a.client().call("SET", "k", "v".repeat(100));
    await a.client().call("SAVE");
    await a.shutdown();
    const file = path.join(dir, "dump.rdb");
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const b = await startIn(dir, []);
    expect(await b.exited).toBe(1);
    expect(b.log()).toContain("Wrong RDB checksum");
  });
});
