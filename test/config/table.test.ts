import { describe, expect, it } from "vitest";
import { Config } from "../../src/config/config.js";
import { PARAMS, findParam } from "../../src/config/table.js";
import { parseValue, rewriteLines } from "../../src/config/values.js";
import { formatMemory, memtoull, repr } from "../../src/config/convert.js";

const parse = (name: string, ...words: string[]) => {
  const p = findParam(name)!;
  return parseValue(p, words, new Config().valueOf(p));
};

describe("the config table", () => {
  it("holds every Redis 7.2 directive once, with aliases", () => {
    const names = PARAMS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    // 7.2.6's static_configs[] without the LOG_REQ_RES-only entries, and Nodis's own (backups).
    expect(PARAMS.filter((p) => !p.nodisOnly).length).toBe(183);
    expect(PARAMS.filter((p) => p.nodisOnly).map((p) => p.name)).toEqual(["backup-dir", "backup-interval", "backup-keep"]);
    for (const n of ["maxmemory", "save", "bind", "tls-ciphersuites", "key-load-delay", "locale-collate", "replica-ignore-disk-write-errors"]) {
      expect(findParam(n), n).toBeDefined();
    }
    expect(findParam("slaveof")!.name).toBe("replicaof");
    expect(findParam("lua-time-limit")!.name).toBe("busy-reply-threshold");
    expect(findParam("HASH-MAX-ZIPLIST-ENTRIES")!.name).toBe("hash-max-listpack-entries");
  });

  it("starts at Redis's defaults, as CONFIG GET shows them", () => {
    const c = new Config();
    expect(c.get("save")).toBe("3600 1 300 100 60 10000");
    expect(c.get("proto-max-bulk-len")).toBe("536870912");
    expect(c.get("client-query-buffer-limit")).toBe("1073741824");
    expect(c.get("client-output-buffer-limit")).toBe("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    expect(c.get("shutdown-on-sigterm")).toBe("default");
    expect(c.get("oom-score-adj")).toBe("no");
    expect(c.get("unixsocketperm")).toBe("0");
    expect(c.get("latency-tracking-info-percentiles")).toBe("50 99 99.9");
    expect(c.get("hash-max-listpack-entries")).toBe("512");
    expect(c.get("bind")).toBe("* -::*");
    expect(c.get("dir")).toBe(process.cwd());
    expect(c.int("maxclients")).toBe(10000);
  });
});

describe("values", () => {
  it("parses memory as memtoull does", () => {
    expect(memtoull("1k")).toBe(1000n);
    expect(memtoull("1KB")).toBe(1024n);
    expect(memtoull("2gb")).toBe(2147483648n);
    expect(memtoull("")).toBe(0n);
    expect(memtoull("-1")).toBeNull();
    expect(memtoull("1 mb")).toBeNull();
    expect(memtoull("1t")).toBeNull();
    expect(formatMemory(1073741824n)).toBe("1gb");
    expect(formatMemory(3000n)).toBe("3000");
    expect(formatMemory(0n)).toBe("0");
  });

  it("checks numbers, bounds and kinds with Redis's error texts", () => {
    expect(parse("maxmemory", "100mb")).toEqual({ value: "104857600" });
    expect(parse("maxmemory", "-1")).toEqual({ error: "argument must be a memory value" });
    expect(parse("port", "65536")).toEqual({ error: "argument must be between 0 and 65535 inclusive" });
    expect(parse("port", "007")).toEqual({ error: "argument couldn't be parsed into an integer" });
    expect(parse("maxclients", "-1")).toEqual({ error: "argument must be between 1 and 4294967295 inclusive" });
    expect(parse("maxmemory-clients", "10%")).toEqual({ value: "10%" });
    expect(parse("maxmemory-clients", "200%")).toEqual({ error: "percentage argument must be less or equal to 100" });
    expect(parse("maxmemory-clients", "x")).toEqual({ error: "argument must be a memory or percent value" });
    expect(parse("unixsocketperm", "755")).toEqual({ value: "755" });
    expect(parse("unixsocketperm", "1000")).toEqual({ error: "argument must be between 0 and 777 inclusive" });
    expect(parse("unixsocketperm", "9")).toEqual({ error: "argument couldn't be parsed as an octal number" });
    expect(parse("proto-max-bulk-len", "1")).toEqual({ error: "argument must be between 1048576 and 9223372036854775807 inclusive" });
    expect(parse("hz", "0")).toEqual({ value: "1" });
    expect(parse("hz", "100000")).toEqual({ value: "500" });
    expect(parse("list-max-listpack-size", "-5")).toEqual({ value: "-5" });
  });

  it("parses bools and enums case-insensitively", () => {
    expect(parse("activerehashing", "NO")).toEqual({ value: "no" });
    expect(parse("activerehashing", "0")).toEqual({ error: "argument must be 'yes' or 'no'" });
    expect(parse("loglevel", "WARNING")).toEqual({ value: "warning" });
    expect(parse("loglevel", "loud")).toEqual({
      error: "argument(s) must be one of the following: debug, verbose, notice, warning, nothing",
    });
    expect(parse("oom-score-adj", "relative")).toEqual({ value: "yes" });
    expect(parse("shutdown-on-sigint", "force", "nosave", "now")).toEqual({ value: "nosave now force" });
    expect(parse("shutdown-on-sigint", "save", "nosave")).toEqual({
      error: "shutdown options SAVE and NOSAVE can't be used simultaneously",
    });
  });

  it("parses the special parameters", () => {
    expect(parse("save", "900", "1", "60", "+5")).toEqual({ value: "900 1 60 5" });
    expect(parse("save", "")).toEqual({ value: "" });
    expect(parse("save", "0", "1")).toEqual({ error: "Invalid save parameters" });
    expect(parse("save", "900")).toEqual({ error: "Invalid save parameters" });
    expect(parse("client-output-buffer-limit", "replica", "1mb", "2kb", "30")).toEqual({
      value: "normal 0 0 0 slave 1048576 2048 30 pubsub 33554432 8388608 60",
    });
    expect(parse("client-output-buffer-limit", "master", "0", "0", "0")).toEqual({
      error: "Invalid client class specified in buffer limit configuration.",
    });
    expect(parse("notify-keyspace-events", "KEA")).toEqual({ value: "AKE" });
    expect(parse("notify-keyspace-events", "Kx$")).toEqual({ value: "$xK" });
    expect(parse("notify-keyspace-events", "Q")).toEqual({ error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." });
    expect(parse("bind", "")).toEqual({ value: "" });
    expect(parse("bind", ...Array(17).fill("127.0.0.1"))).toEqual({ error: "Too many bind addresses specified." });
    expect(parse("replicaof", "no", "one")).toEqual({ value: "" });
    expect(parse("replicaof", "127.0.0.1", "abc")).toEqual({ error: "Invalid master port" });
    expect(parse("replicaof", "127.0.0.1", "6380")).toEqual({ value: "127.0.0.1 6380" });
    expect(parse("latency-tracking-info-percentiles", "50.0", "99.99")).toEqual({ value: "50 99.99" });
    expect(parse("latency-tracking-info-percentiles", "101")).toEqual({
      error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
    });
    expect(parse("oom-score-adj-values", "0", "200")).toEqual({ error: "wrong number of arguments" });
  });

  it("refuses values asking for what Nodis has not built", () => {
    expect(parse("appendonly", "yes")).toEqual({ value: "yes" });
    expect(parse("syslog-enabled", "yes")).toEqual({ error: "syslog logging is not supported by Nodis yet" });
    expect(parse("cluster-enabled", "yes")).toEqual({ error: "cluster mode is not supported by Nodis yet" });
    expect(parse("tls-port", "6380")).toEqual({ error: "TLS (tls-port) is not supported by Nodis yet" });
    expect(parse("dbfilename", "a/b.rdb")).toEqual({ error: "dbfilename can't be a path, just a filename" });
  });

  it("rewrites each type in redis.conf form", () => {
    const line = (name: string, value: string) => rewriteLines(findParam(name)!, value);
    expect(line("maxmemory", "104857600")).toEqual([{ line: "maxmemory 100mb", force: true }]);
    expect(line("maxmemory", "0")).toEqual([{ line: "maxmemory 0", force: false }]);
    expect(line("maxmemory-clients", "5%")).toEqual([{ line: "maxmemory-clients 5%", force: true }]);
    expect(line("requirepass", "")).toEqual([]);
    expect(line("requirepass", 'a"b')).toEqual([{ line: 'requirepass "a\\"b"', force: true }]);
    expect(line("save", "")).toEqual([{ line: 'save ""', force: true }]);
    expect(line("save", "900 1 60 5")).toEqual([
      { line: "save 900 1", force: true },
      { line: "save 60 5", force: true },
    ]);
    expect(line("bind", "* -::*")).toEqual([]);
    expect(line("client-output-buffer-limit", "normal 0 0 0 slave 1048576 2048 30 pubsub 33554432 8388608 60")).toEqual([
      { line: "client-output-buffer-limit normal 0 0 0", force: false },
      { line: "client-output-buffer-limit replica 1mb 2kb 30", force: true },
      { line: "client-output-buffer-limit pubsub 32mb 8mb 60", force: false },
    ]);
    expect(repr("a\nb\x01")).toBe('"a\\nb\\x01"');
  });
});
