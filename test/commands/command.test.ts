/** COMMAND and its subcommands, derived from the command table. */
import { existsSync } from "node:fs";
import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { REDIS72, haveRedisServer, useNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
let r: Redis;
useNodis({}, { r: true }, (f) => ({ srv, r } = f));

describe("COMMAND", () => {
  it("lists the whole table, and COUNT agrees", async () => {
    const all = (await r.call("command")) as unknown[][];
    const count = (await r.call("command", "count")) as number;
    expect(all.length).toBe(count);
    expect(count).toBe(srv.server.commands.size);
    const names = all.map((e) => e[0]);
    expect(names).toContain("get");
    expect(names).toContain("command");
    for (const e of all) expect(e).toHaveLength(10);
  });

  it("gives COMMAND INFO entries of 10 elements with key specs and subcommands", async () => {
    const [get, nosuch, slowlog] = (await r.call("command", "info", "get", "nosuch", "SLOWLOG")) as unknown[][];
    expect(get.slice(0, 8)).toEqual(["get", 2, ["readonly", "fast"], 1, 1, 1, ["@read", "@string", "@fast"], []]);
    expect(get[8]).toEqual([
      ["flags", ["RO", "access"], "begin_search", ["type", "index", "spec", ["index", 1]], "find_keys", ["type", "range", "spec", ["lastkey", 0, "keystep", 1, "limit", 0]]],
    ]);
    expect(get[9]).toEqual([]);
    expect(nosuch).toBeNull();
    const subs = (slowlog[9] as unknown[][]).map((s) => s[0]).sort();
    expect(subs).toEqual(["slowlog|get", "slowlog|help", "slowlog|len", "slowlog|reset"]);
    const sub = (await r.call("command", "info", "slowlog|get")) as unknown[][];
    expect(sub[0][0]).toBe("slowlog|get");
    expect(sub[0][2]).toEqual(["admin", "loading", "stale"]);
  });

  // (7.0 gives GETKEYS arity -4; 7.2's -3 answers are asserted in the GETKEYS test below.)
  it("matches redis-server's bytes for COMMAND INFO GET", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    try {
      for (const resp of ["2", "3"]) {
        const a = await RawConn.open(srv.port);
        const b = await RawConn.open(redis.port);
        await a.call("HELLO", resp);
        await b.call("HELLO", resp);
        expect(await a.call("COMMAND", "INFO", "get", "nosuch")).toBe(await b.call("COMMAND", "INFO", "get", "nosuch"));
        expect(await a.call("COMMAND", "GETKEYS", "get", "k")).toBe(await b.call("COMMAND", "GETKEYS", "get", "k"));
        expect(await a.call("COMMAND", "COUNTX")).toBe(await b.call("COMMAND", "COUNTX"));
        a.close();
        b.close();
      }
    } finally {
      await redis.stop();
    }
  });

  /**
   * Commands whose COMMAND INFO changed between 7.0 (the oracle here) and 7.2:
   * checked against a Redis 7.2.6 by hand; containers are left out because their
   * subcommand order is a hash order Redis randomises per start.
   */
  /** COMMAND INFO of a name the server does not know (RESP2, RESP3). */
  const NO_SUCH_COMMAND = new Set(["*1\r\n$-1\r\n", "*1\r\n*-1\r\n", "*1\r\n_\r\n"]);
  const DIFFERS_IN_72 = new Set([
    "client|no-touch", "client|setinfo", "client|setname", "command|getkeys", "command|getkeysandflags",
    "config|resetstat", "config|rewrite", "latency|reset", "msetnx", "randomkey", "scan",
    // 7.0 flags these noscript; 7.2 lets scripts call them (they do not block there).
    "blpop", "brpop", "blmove", "brpoplpush", "bzpopmin", "bzpopmax", "wait",
    // 7.2 gave ZRANK/ZREVRANK their WITHSCORE option: arity -3 (7.0: 3).
    "zrank", "zrevrank",
    // 7.2 added the all_nodes request policy tips.
    "acl|deluser", "acl|save", "acl|setuser",
    // 7.2 lets CLUSTER SHARDS and SLOTS run while loading.
    "cluster|shards", "cluster|slots",
  ]);

  it("matches redis-server's COMMAND INFO bytes for every command and subcommand it has", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    const a = await RawConn.open(srv.port);
    const b = await RawConn.open(redis.port);
    try {
      const names: string[] = [];
      for (const spec of srv.server.commands.values()) {
        if (spec.subcommands) for (const sub of spec.subcommands.values()) names.push(sub.name);
        else names.push(spec.name);
      }
      let compared = 0;
      for (const name of names) {
        if (DIFFERS_IN_72.has(name)) continue;
        const theirs = await b.call("COMMAND", "INFO", name);
        if (NO_SUCH_COMMAND.has(theirs)) continue; // not in 7.0
        expect(await a.call("COMMAND", "INFO", name), name).toBe(theirs);
        compared++;
      }
      expect(compared).toBeGreaterThan(90);
    } finally {
      a.close();
      b.close();
      await redis.stop();
    }
  });

  it("matches Redis 7.2.6's COMMAND INFO bytes for every command and subcommand (with a 7.2 built in /tmp)", async (ctx) => {
    if (!existsSync(REDIS72)) return ctx.skip();
    const redis = await startRedis([], REDIS72);
    try {
      for (const resp of ["2", "3"]) {
        const a = await RawConn.open(srv.port);
        const b = await RawConn.open(redis.port);
        await a.call("HELLO", resp);
        await b.call("HELLO", resp);
        for (const spec of srv.server.commands.values()) {
          // A container's subcommands come in Redis's hash order, so containers are compared one subcommand at a time.
          for (const name of spec.subcommands ? [...spec.subcommands.keys()].map((s) => `${spec.name}|${s}`) : [spec.name]) {
            const theirs = await b.call("COMMAND", "INFO", name);
            // Commands 7.2 lacks (the field TTL commands of Redis 7.4/8) are checked by their family's tests.
            if (NO_SUCH_COMMAND.has(theirs)) continue;
            expect(await a.call("COMMAND", "INFO", name), `${name} RESP${resp}`).toBe(theirs);
          }
        }
        a.close();
        b.close();
      }
    } finally {
      await redis.stop();
    }
  });

  it("extracts keys: GETKEYS and GETKEYSANDFLAGS", async () => {
    expect(await r.call("command", "getkeys", "get", "k1")).toEqual(["k1"]);
    expect(await r.call("command", "getkeys", "mset", "a", "1", "b", "2")).toEqual(["a", "b"]);
    expect(await r.call("command", "getkeysandflags", "get", "k1")).toEqual([["k1", ["RO", "access"]]]);
    await expect(r.call("command", "getkeys", "ping")).rejects.toThrow("ERR The command has no key arguments");
    await expect(r.call("command", "getkeys", "nosuch", "x")).rejects.toThrow("ERR Invalid command specified");
    await expect(r.call("command", "getkeys", "get")).rejects.toThrow("ERR Invalid number of arguments specified for command");
  });

  // Redis 7.2.6's answers: SET's key spec says variable_flags, so its flags come from its
  // options (setGetKeys): the key is read (RW access) only with GET.
  it("gives SET's key flags by its options in GETKEYSANDFLAGS", async () => {
    expect(await r.call("command", "getkeysandflags", "set", "k1", "v1")).toEqual([["k1", ["OW", "update"]]]);
    expect(await r.call("command", "getkeysandflags", "set", "k1", "v1", "EX", "10")).toEqual([["k1", ["OW", "update"]]]);
    expect(await r.call("command", "getkeysandflags", "set", "k1", "v1", "NX", "gEt")).toEqual([["k1", ["RW", "access", "update"]]]);
    expect(await r.call("command", "getkeysandflags", "set", "k1", "get")).toEqual([["k1", ["OW", "update"]]]);
    expect(await r.call("command", "getkeysandflags", "set", "k1", "v1", "gets")).toEqual([["k1", ["OW", "update"]]]);
    expect(await r.call("command", "getkeysandflags", "mset", "k1", "v1", "k2", "v2")).toEqual([
      ["k1", ["OW", "update"]],
      ["k2", ["OW", "update"]],
    ]);
  });

  // Redis 7.2.6: one level of subcommands only; a deeper name is no command.
  it("finds no command for a name two levels deep", async () => {
    expect(await r.call("command", "info", "config|get|key", "get|key", "config|get")).toEqual([null, null, expect.any(Array)]);
    expect(await r.call("command", "docs", "config|get|key")).toEqual([]);
    expect(await r.call("latency", "histogram", "config|get|key")).toEqual([]);
  });

  it("lists names, with FILTERBY PATTERN and ACLCAT", async () => {
    const all = (await r.call("command", "list")) as string[];
    expect(all).toContain("slowlog|get");
    expect(all).toContain("get");
    const slow = (await r.call("command", "list", "filterby", "pattern", "slow*")) as string[];
    expect(slow.sort()).toEqual(["slowlog", "slowlog|get", "slowlog|help", "slowlog|len", "slowlog|reset"]);
    const str = (await r.call("command", "list", "filterby", "aclcat", "string")) as string[];
    expect(str).toContain("get");
    expect(str).not.toContain("ping");
    expect(await r.call("command", "list", "filterby", "module", "x")).toEqual([]);
    await expect(r.call("command", "list", "filterby", "bogus", "x")).rejects.toThrow("ERR syntax error");
  });

  it("documents commands: DOCS", async () => {
    const docs = (await r.call("command", "docs", "get", "nosuch", "shutdown")) as unknown[];
    expect(docs[0]).toBe("get");
    const get = docs[1] as unknown[];
    expect(get.slice(0, 8)).toEqual(["summary", expect.any(String), "since", "1.0.0", "group", "string", "complexity", "O(1)"]);
    expect(docs[2]).toBe("shutdown");
    expect(docs[3]).toContain("history");
    expect(docs).toHaveLength(4);
  });

  it("answers HELP and rejects unknown subcommands", async () => {
    const help = (await r.call("command", "help")) as string[];
    expect(help[0]).toBe("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help[help.length - 2]).toBe("HELP");
    await expect(r.call("command", "bogus")).rejects.toThrow("ERR unknown subcommand 'bogus'. Try COMMAND HELP.");
  });
});
