/** CONFIG GET/SET/RESETSTAT/REWRITE/HELP over TCP, against a config file. */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startServer, type RunningServer } from "../../src/index.js";
import { loadFromArgv } from "../../src/config/load.js";
import { freePort, rawExchange } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { persistence } from "../../src/engine/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-config-"));
const confFile = path.join(tmp, "redis.conf");
const CONF = [
  "# Nodis test configuration",
  "bind 127.0.0.1",
  "",
  "# memory",
  "maxmemory 100mb",
  "hash-max-ziplist-entries 64",
  "save 900 1",
  "save 300 10",
  "rename-command NOSUCHTHING2 \"\"",
  "timeout 0",
  "",
].join("\n");

let srv: RunningServer;
let r: Redis;
const startDir = process.cwd();

beforeAll(async () => {
  // rename-command needs an existing command: use one every server has.
  fs.writeFileSync(confFile, CONF.replace("NOSUCHTHING2", "TIME"));
  const { config } = loadFromArgv([confFile, "--enable-protected-configs", "yes"]);
  srv = await startServer({ configObject: config, port: 0 });
  r = new Redis({ port: srv.port, host: "127.0.0.1", lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  await r.connect();
});
afterAll(async () => {
  r.disconnect();
  await srv.close();
  process.chdir(startDir);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const get = async (p: string) => (await r.call("config", "get", p)) as string[];

describe("CONFIG GET", () => {
  it("answers names, aliases and glob patterns, without duplicates", async () => {
    expect(await get("maxmemory")).toEqual(["maxmemory", "104857600"]);
    expect(await get("MAXMEMORY")).toEqual(["MAXMEMORY", "104857600"]);
    expect(await get("hash-max-ziplist-entries")).toEqual(["hash-max-ziplist-entries", "64"]);
    const res = (await r.call("config", "get", "maxmemory", "maxmemory*", "bind", "*of", "MAXMEMORY")) as string[];
    const keys = res.filter((_, i) => i % 2 === 0);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(["maxmemory", "maxmemory-samples", "maxmemory-clients", "maxmemory-policy", "bind", "replicaof", "slaveof"]));
    expect(keys).not.toContain("MAXMEMORY");
    expect(await get("MaxMemory-Pol*")).toEqual(["maxmemory-policy", "noeviction"]);
    expect(await get("nosuchparam")).toEqual([]);
  });

  it("shows hidden parameters only by exact name", async () => {
    const all = await get("*");
    expect(all).not.toContain("key-load-delay");
    expect(all.length).toBeGreaterThan(300);
    expect(await get("key-load-delay")).toEqual(["key-load-delay", "0"]);
  });

  it("replies with a map in RESP3", async () => {
    const { data } = await rawExchange(srv.port, "HELLO 3\r\nCONFIG GET maxmemory\r\n", (d) => d.includes("104857600\r\n"));
    expect(data.endsWith("%1\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n")).toBe(true);
  });
});

describe("CONFIG SET", () => {
  it("sets several parameters at once", async () => {
    expect(await r.call("config", "set", "maxmemory", "10000001", "repl-backlog-size", "10000002", "save", "3000 5")).toBe("OK");
    expect(await get("maxmemory")).toEqual(["maxmemory", "10000001"]);
    expect(await get("repl-backlog-size")).toEqual(["repl-backlog-size", "10000002"]);
    expect(await get("save")).toEqual(["save", "3000 5"]);
    expect(await r.call("config", "set", "save", "900 1 300 10", "repl-backlog-size", "1mb", "maxmemory", "100mb")).toBe("OK");
  });

  it("is all or nothing, with Redis's error texts", async () => {
    await expect(r.call("config", "set", "maxmemory", "1", "maxmemory-clients", "200%", "client-query-buffer-limit", "x")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100",
    );
    expect(await get("maxmemory")).toEqual(["maxmemory", "104857600"]);
    await expect(r.call("config", "set", "maxmemory", "1", "nosuch", "2")).rejects.toThrow(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    await expect(r.call("config", "set", "maxmemory", "1", "MAXMEMORY", "2")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter",
    );
    await expect(r.call("config", "set", "hash-max-listpack-entries", "1", "hash-max-ziplist-entries", "2")).rejects.toThrow(
      "duplicate parameter",
    );
    await expect(r.call("config", "set", "daemonize", "no")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config",
    );
    await expect(r.call("config", "set", "maxmemory", "1", "x")).rejects.toThrow("ERR syntax error");
    await expect(r.call("config", "set", "maxmemory")).rejects.toThrow("ERR wrong number of arguments for 'config|set' command");
    await expect(r.call("config", "set", "syslog-enabled", "yes")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'syslog-enabled') - can't set immutable config",
    );
    expect(await get("maxmemory")).toEqual(["maxmemory", "104857600"]);
  });

  it("changes the log level at once", async () => {
    expect(await r.call("config", "set", "loglevel", "warning")).toBe("OK");
    expect(srv.server.log.level).toBe("warning");
    expect(await r.call("config", "set", "loglevel", "notice")).toBe("OK");
    expect(srv.server.log.level).toBe("notice");
  });

  it("changes the working directory with dir, checking it exists", async () => {
    const sub = fs.mkdtempSync(path.join(tmp, "dir-"));
    expect(await r.call("config", "set", "dir", sub)).toBe("OK");
    expect(process.cwd()).toBe(fs.realpathSync(sub));
    expect(await get("dir")).toEqual(["dir", fs.realpathSync(sub)]);
    await expect(r.call("config", "set", "dir", path.join(tmp, "missing"))).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory",
    );
    expect(process.cwd()).toBe(fs.realpathSync(sub));
    expect(await r.call("config", "set", "dir", tmp)).toBe("OK");
  });

  it("asks new connections for the password set with requirepass", async () => {
    expect(await r.call("config", "set", "requirepass", "s3cret")).toBe("OK");
    const { data } = await rawExchange(srv.port, "GET k\r\nAUTH s3cret\r\nPING\r\n", (d) => d.includes("PONG"));
    expect(data).toBe("-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n");
    expect(await r.call("config", "set", "requirepass", "")).toBe("OK");
    expect((await rawExchange(srv.port, "PING\r\n", (d) => d.includes("\r\n"))).data).toBe("+PONG\r\n");
  });

  it("refuses connections beyond maxclients", async () => {
    expect(await r.call("config", "set", "maxclients", "1")).toBe("OK");
    const { data } = await rawExchange(srv.port, "PING\r\n", (d) => d.includes("\r\n"));
    expect(data).toBe("-ERR max number of clients reached\r\n");
    expect(await r.call("config", "set", "maxclients", "10000")).toBe("OK");
  });

  it("sets this process's OOM score with oom-score-adj", async () => {
    const file = "/proc/self/oom_score_adj";
    if (!fs.existsSync(file)) return;
    const before = fs.readFileSync(file, "utf8").trim();
    expect(await r.call("config", "set", "oom-score-adj", "absolute", "oom-score-adj-values", "345 400 800")).toBe("OK");
    expect(fs.readFileSync(file, "utf8").trim()).toBe("345");
    expect(await r.call("config", "set", "oom-score-adj-values", "456 500 800")).toBe("OK");
    expect(fs.readFileSync(file, "utf8").trim()).toBe("456");
    // A replica takes the second value, the primary the first again (Redis's setOOMScoreAdj(-1)).
    expect(await r.call("replicaof", "127.0.0.1", String(await freePort()))).toBe("OK");
    expect(fs.readFileSync(file, "utf8").trim()).toBe("500");
    expect(await r.call("replicaof", "no", "one")).toBe("OK");
    expect(fs.readFileSync(file, "utf8").trim()).toBe("456");
    // A background child gives itself the third.
    await r.set("oom:key", "v");
    await r.call("config", "set", "rdb-key-save-delay", "300000");
    try {
      expect(await r.call("bgsave")).toBe("Background saving started");
      const child = persistence.childPid();
      expect(child).not.toBeNull();
      expect(await until(() => fs.readFileSync(`/proc/${child}/oom_score_adj`, "utf8").trim(), (v) => v === "800")).toBe("800");
    } finally {
      await r.call("config", "set", "rdb-key-save-delay", "0");
      await until(() => r.info("persistence"), (t) => t.includes("rdb_bgsave_in_progress:0"));
      await r.del("oom:key");
    }
    // A failed CONFIG SET puts the old score back along with the old values.
    await expect(r.call("config", "set", "oom-score-adj-values", "567 600 800", "maxmemory", "x")).rejects.toThrow("maxmemory");
    expect(fs.readFileSync(file, "utf8").trim()).toBe("456");
    expect(await r.call("config", "set", "oom-score-adj", "no", "oom-score-adj-values", "0 200 800")).toBe("OK");
    if (process.getuid?.() === 0) expect(fs.readFileSync(file, "utf8").trim()).toBe(before);
  });

  it("moves the listener with port, keeping it when the new port is taken", async () => {
    const taken = net.createServer().listen(0, "127.0.0.1");
    await new Promise((res) => taken.once("listening", res));
    const busy = (taken.address() as net.AddressInfo).port;
    await expect(r.call("config", "set", "maxmemory", "5", "port", String(busy))).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
    );
    taken.close();
    expect(await get("maxmemory")).toEqual(["maxmemory", "104857600"]);
    expect(await get("port")).toEqual(["port", String(srv.port)]);
    expect((await rawExchange(srv.port, "PING\r\n", (d) => d.includes("\r\n"))).data).toBe("+PONG\r\n");

    const next = await freePort();
    expect(await r.call("config", "set", "port", String(next))).toBe("OK");
    expect((await rawExchange(next, "PING\r\n", (d) => d.includes("\r\n"))).data).toBe("+PONG\r\n");
    const old = await rawExchange(srv.port, "PING\r\n", (d) => d.includes("\r\n"), 500);
    expect(old.data).toBe("");
    expect(await r.call("config", "set", "port", String(srv.port))).toBe("OK"); // the open connection still works
    expect(srv.server.port).toBe(srv.port);
  });
});

describe("CONFIG SET bind", () => {
  it("rebinds on the same port, and restores the old addresses when one fails", async () => {
    const ping = async () => (await rawExchange(srv.port, "PING\r\n", (d) => d.includes("\r\n"))).data;
    expect(await r.call("config", "set", "bind", "127.0.0.1 -::1")).toBe("OK");
    expect(await ping()).toBe("+PONG\r\n");
    // 192.0.2.1 (TEST-NET-1) is never a local address.
    await expect(r.call("config", "set", "bind", "127.0.0.1 192.0.2.1")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
    );
    expect(await get("bind")).toEqual(["bind", "127.0.0.1 -::1"]);
    expect(await ping()).toBe("+PONG\r\n");
    expect(await r.call("config", "set", "bind", "127.0.0.1")).toBe("OK");
    expect(await ping()).toBe("+PONG\r\n");
  });
});

describe("CONFIG RESETSTAT and HELP", () => {
  it("zeroes the statistics", async () => {
    await r.set("k", "v");
    expect(srv.server.stats.totalCommands).toBeGreaterThan(0);
    expect(await r.call("config", "resetstat")).toBe("OK");
    // As in Redis, the RESETSTAT call itself is counted once it finishes.
    expect(srv.server.stats.totalCommands).toBe(1);
    // Records are zeroed in place (specs keep references to them): look at the counted ones.
    const counted = [...srv.server.stats.commands].filter(([, c]) => c.calls || c.failed || c.rejected).map(([n]) => n);
    expect(counted).toEqual(["config|resetstat"]);
  });

  it("lists the subcommands", async () => {
    const help = (await r.call("config", "help")) as string[];
    expect(help[0]).toBe("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toContain("REWRITE");
    expect(help[help.length - 1]).toBe("    Print this help.");
  });
});

describe("CONFIG REWRITE", () => {
  it("keeps comments, rewrites lines in place, blanks orphans and appends the rest", async () => {
    expect(await r.call("config", "set", "maxmemory", "200mb", "hash-max-listpack-entries", "512", "save", "60 1", "notify-keyspace-events", "Ex")).toBe(
      "OK",
    );
    expect(await r.call("config", "rewrite")).toBe("OK");
    const text = fs.readFileSync(confFile, "utf8");
    expect(text).toBe(
      [
        "# Nodis test configuration",
        "bind 127.0.0.1",
        "",
        "# memory",
        "maxmemory 200mb",
        // An alias's line is rewritten under the parameter's name, even at the default.
        "hash-max-listpack-entries 512",
        "save 60 1",
        // The second "save" line is no longer used: blanked.
        "",
        'rename-command TIME ""',
        "timeout 0",
        "",
        "# Generated by CONFIG REWRITE",
        "enable-protected-configs yes",
        `port ${srv.port}`,
        `dir "${process.cwd()}"`,
        'notify-keyspace-events "xE"',
        // Redis always writes this one.
        "latency-tracking-info-percentiles 50 99 99.9",
        // And every ACL user, the default one too (rewriteConfigUserOption).
        "user default on nopass sanitize-payload ~* &* +@all",
        "",
      ].join("\n"),
    );
    // The file reads back to the same configuration.
    const again = loadFromArgv([confFile]).config;
    for (const name of ["maxmemory", "save", "notify-keyspace-events", "hash-max-listpack-entries", "bind"]) {
      expect(again.get(name), name).toBe(srv.server.config.get(name));
    }
    expect(again.renames).toEqual([["TIME", ""]]);
  });

  it("answers without a config file", async () => {
    const saved = srv.server.config.file;
    srv.server.config.file = null;
    await expect(r.call("config", "rewrite")).rejects.toThrow("ERR The server is running without a config file");
    srv.server.config.file = saved;
  });

  it("applied rename-command from the file", async () => {
    await expect(r.call("time")).rejects.toThrow("ERR unknown command 'time'");
  });
});
