/** INFO: sections, field names and counters clients read. */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { createClient } from "redis";
import { useNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
let r: Redis;
useNodis({}, { r: true }, (f) => ({ srv, r } = f));

/** field -> value of an INFO text. */
function parse(info: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of info.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}
function titles(info: string): string[] {
  return info.split("\r\n").filter((l) => l.startsWith("# "));
}

const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

describe("INFO", () => {
  it("says what it is: nodis_version (package.json's) beside redis_version, and the allocator", async () => {
    const f = parse(await r.info("server"));
    expect(f.get("redis_version")).toMatch(/^7\.2\.\d+$/);
    expect(f.get("nodis_version")).toBe(PACKAGE_VERSION);
    expect(parse(await r.info("memory")).get("mem_allocator")).toBe("jemalloc-5.3.0");
  });

  it("gives the default sections with Redis's titles and blank lines between them", async () => {
    const info = await r.info();
    expect(titles(info)).toEqual([
      "# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace",
    ]);
    expect(info).toMatch(/^# Server\r\nredis_version:7\.2\.4\r\nnodis_version:(\d+\.\d+\.\d+)\r\n/);
    expect(info).toContain("\r\n\r\n# Clients\r\n");
    expect(info.endsWith("\r\n")).toBe(true);
    const f = parse(info);
    expect(f.get("redis_mode")).toBe("standalone");
    expect(f.get("process_id")).toBe(String(process.pid));
    expect(f.get("tcp_port")).toBe(String(srv.port));
    expect(f.get("loading")).toBe("0");
    expect(f.get("role")).toBe("master");
    expect(f.get("connected_slaves")).toBe("0");
    expect(f.get("master_replid")).toMatch(/^[0-9a-f]{40}$/);
    expect(f.get("run_id")).toMatch(/^[0-9a-f]{40}$/);
    expect(f.get("maxmemory_policy")).toBe("noeviction");
    expect(Number(f.get("used_memory"))).toBeGreaterThan(0);
    expect(f.get("used_memory_human")).toMatch(/^\d+(\.\d\d[KMG])?B?$/);
    expect(f.get("mem_fragmentation_ratio")).toMatch(/^\d+\.\d\d$/);
    expect(f.get("cluster_enabled")).toBe("0");
    expect(f.has("rejected_calls")).toBe(false);
    expect(info).not.toContain("cmdstat_");
  });

  it("picks sections case-insensitively, several at once, without repeats", async () => {
    const cpu = await r.info("CPU");
    expect(titles(cpu)).toEqual(["# CPU"]);
    expect(cpu).toMatch(/used_cpu_user:\d+\.\d{6}\r\n/);
    const two = (await r.call("info", "keyspace", "server", "server")) as string;
    expect(titles(two)).toEqual(["# Server", "# Keyspace"]);
    const all = (await r.call("info", "cpu", "all")) as string;
    expect(titles(all)).toContain("# Commandstats");
    expect(titles(all)).toContain("# Latencystats");
    expect(all.match(/used_cpu_user_children/g)).toHaveLength(1);
    const everything = (await r.call("info", "everything")) as string;
    expect(everything).toContain("rejected_calls=");
    expect((await r.call("info", "nosuchsection")) as string).toBe("");
  });

  it("counts commands, errors, hits and misses", async () => {
    await r.call("config", "resetstat");
    await r.set("k", "v");
    await r.get("k");
    await r.get("nokey");
    await expect(r.call("incr", "k")).rejects.toThrow();
    await expect(r.call("nosuchcommand")).rejects.toThrow();
    const f = parse((await r.call("info", "everything")) as string);
    expect(f.get("cmdstat_set")).toMatch(/^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    expect(f.get("cmdstat_incr")).toMatch(/^calls=1,.*,rejected_calls=0,failed_calls=1$/);
    expect(f.get("errorstat_ERR")).toBe("count=2");
    expect(f.get("total_error_replies")).toBe("2");
    expect(f.get("keyspace_hits")).toBe("1");
    expect(f.get("keyspace_misses")).toBe("1");
    expect(f.get("latency_percentiles_usec_set")).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
  });

  // Redis 7.2.6's answers: a known command refused for its arity (or in MULTI) counts as a
  // rejected call of it; unknown commands and subcommands count for no command.
  it("counts arity refusals as rejected calls of the command", async () => {
    await r.call("config", "resetstat");
    await expect(r.call("set", "k")).rejects.toThrow("ERR wrong number of arguments for 'set' command");
    await expect(r.call("config", "set")).rejects.toThrow("ERR wrong number of arguments for 'config|set' command");
    await expect(r.call("config", "nosuch")).rejects.toThrow();
    await r.set("k1", "v1");
    let f = parse((await r.call("info", "commandstats")) as string);
    expect(f.get("cmdstat_set")).toMatch(/^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$/);
    expect(f.get("cmdstat_config|set")).toBe("calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0");
    expect([...f.keys()].filter((k) => k.startsWith("cmdstat_config")).sort()).toEqual(["cmdstat_config|resetstat", "cmdstat_config|set"]);
    await r.call("config", "resetstat");
    const m = new Redis(srv.port, "127.0.0.1", { lazyConnect: true });
    try {
      await m.connect();
      const tx = m.multi();
      tx.call("get");
      await expect(tx.exec()).rejects.toThrow("EXECABORT");
    } finally {
      m.disconnect();
    }
    f = parse((await r.call("info", "commandstats")) as string);
    expect(f.get("cmdstat_get")).toBe("calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0");
    expect(f.get("cmdstat_exec")).toMatch(/^calls=1,.*,rejected_calls=0,failed_calls=1$/);
  });

  // Redis measures its event loop's busy time; Nodis takes Node's (event loop utilization).
  it("measures event loop time: a running sum that RESETSTAT zeroes, and a per-turn average", async () => {
    const stats = async () => parse((await r.call("info", "stats")) as string);
    const num = (f: Map<string, string>, k: string) => Number(f.get(k));
    for (let i = 0; i < 50; i++) await r.set(`el${i}`, "v");
    const before = await stats();
    expect(num(before, "eventloop_duration_sum")).toBeGreaterThan(0);
    // Busy for a while (pipelines, 200 ms of loop time or more), so that a sum RESETSTAT left alone is larger than any wait below.
    const busy = async () => {
      const pipe = r.pipeline();
      for (let i = 0; i < 2000; i++) pipe.set(`el${i % 50}`, "v");
      await pipe.exec();
      return stats();
    };
    const later = await until(busy, (f) => num(f, "eventloop_duration_sum") >= num(before, "eventloop_duration_sum") + 200_000, { everyMs: 0 });
    expect(num(later, "eventloop_duration_sum")).toBeGreaterThanOrEqual(num(before, "eventloop_duration_sum") + 200_000);
    // Busy time cannot exceed the wall time since the reset: a bound a loaded machine only loosens.
    const sent = performance.now();
    await r.call("config", "resetstat");
    const reset = await stats();
    const wallUsec = (performance.now() - sent) * 1000;
    expect(num(reset, "eventloop_duration_sum")).toBeLessThanOrEqual(wallUsec);
    // The average per turn comes from cron samples (every 100 ms at hz 10).
    const avg = await until(stats, (f) => num(f, "instantaneous_eventloop_duration_usec") > 0);
    expect(num(avg, "instantaneous_eventloop_duration_usec")).toBeGreaterThan(0);
    expect(num(avg, "instantaneous_eventloop_cycles_per_sec")).toBeGreaterThan(0);
  });

  it("counts the instantaneous rates from zero after RESETSTAT, never below it", async () => {
    const stats = async () => parse((await r.call("info", "stats")) as string);
    const num = (f: Map<string, string>, k: string) => Number(f.get(k));
    const pipe = r.pipeline();
    for (let i = 0; i < 3000; i++) pipe.ping();
    await pipe.exec();
    // Let a cron sample record the totals before the reset (every 100 ms at hz 10).
    await new Promise((res) => setTimeout(res, 300));
    await r.call("config", "resetstat");
    await new Promise((res) => setTimeout(res, 300));
    const f = await stats();
    for (const k of ["instantaneous_ops_per_sec", "instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_eventloop_cycles_per_sec"]) {
      expect(num(f, k), k).toBeGreaterThanOrEqual(0);
    }
  });

  it("reports keys per db with expires", async () => {
    await r.flushall();
    await r.set("a", "1");
    await r.set("b", "2", "EX", 100);
    await r.select(2);
    await r.set("c", "3");
    await r.select(0);
    const f = parse(await r.info("keyspace"));
    expect(f.get("db0")).toMatch(/^keys=2,expires=1,avg_ttl=\d+$/);
    expect(f.get("db2")).toBe("keys=1,expires=0,avg_ttl=0");
    expect(f.has("db1")).toBe(false);
  });

  it("counts connections and connected clients", async () => {
    const before = parse(await r.info("stats"));
    const c = await RawConn.open(srv.port);
    await c.call("PING");
    const after = parse(await r.info());
    expect(Number(after.get("total_connections_received"))).toBe(Number(before.get("total_connections_received")) + 1);
    expect(after.get("connected_clients")).toBe("2");
    c.close();
  });

  it("samples instantaneous_ops_per_sec from the cron", async () => {
    // Traffic until the cron (hz 10) has sampled some: however late it runs.
    const f = await until(
      async () => {
        await Promise.all(Array.from({ length: 300 }, () => r.ping()));
        return parse(await r.info("stats"));
      },
      (f) => Number(f.get("instantaneous_ops_per_sec")) > 0 && Number(f.get("instantaneous_input_kbps")) > 0,
      { everyMs: 50 },
    );
    expect(Number(f.get("instantaneous_ops_per_sec"))).toBeGreaterThan(0);
    expect(Number(f.get("instantaneous_input_kbps"))).toBeGreaterThan(0);
  });

  it("answers RESP3 with a verbatim string", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("HELLO", "3");
    const reply = await c.call("INFO", "server");
    expect(reply).toMatch(/^=\d+\r\ntxt:# Server\r\n/);
    c.close();
  });

  it("lets ioredis and node-redis connect with their default ready checks", async () => {
    const infoCalls = async () => Number(/cmdstat_info:calls=(\d+)/.exec((await r.call("info", "commandstats")) as string)?.[1] ?? 0);
    const before = await infoCalls();
    const io = new Redis({ port: srv.port, host: "127.0.0.1", lazyConnect: true });
    await io.connect();
    expect(io.status).toBe("ready");
    // the ready check ran INFO (ours above adds one more)
    expect(await infoCalls()).toBe(before + 2);
    expect(await io.get("a")).toBe("1");
    io.disconnect();
    const nr = createClient({ socket: { port: srv.port, host: "127.0.0.1" } });
    await nr.connect();
    expect(await nr.info("server")).toContain("redis_version:7.2.4");
    await nr.quit();
  });
});
