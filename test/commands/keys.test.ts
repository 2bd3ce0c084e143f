/**
 * The generic key family over TCP: exact replies and error texts (raw RESP),
 * KEYS with Redis's glob rules, OBJECT, multi-db commands, and a differential
 * run of the same case tables against Debian's redis-server when installed.
 */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import { globMatch } from "../../src/engine/keys.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";

const OK = "+OK\r\n";
const NIL = "$-1\r\n";
const bulk = (s: string) => `$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`;
const int = (n: number | bigint) => `:${n}\r\n`;
const err = (s: string) => `-${s}\r\n`;
const simple = (s: string) => `+${s}\r\n`;
const arr = (...items: string[]) => `*${items.length}\r\n${items.join("")}`;
const SYNTAX = err("ERR syntax error");
const NOT_INT = err("ERR value is not an integer or out of range");
const NO_KEY = err("ERR no such key");
const DB_RANGE = err("ERR DB index is out of range");
const SAME = err("ERR source and destination objects are the same");
const arity = (cmd: string) => err(`ERR wrong number of arguments for '${cmd}' command`);

type Case = [Arg[], string];
const c = (line: string, reply: string): Case => [line.split(" "), reply];

/** Case tables whose replies do not depend on time or hash order (KEYS with one match at most). */
const CASES: Record<string, Case[]> = {
  "DEL, UNLINK, EXISTS": [
    c("set a 1", OK),
    c("set b 2", OK),
    c("exists a b nokey a", int(3)),
    c("del a nokey", int(1)),
    c("exists a", int(0)),
    c("unlink b b", int(1)),
    c("del", arity("del")),
    c("exists", arity("exists")),
    c("unlink", arity("unlink")),
  ],
  "TYPE and TOUCH": [
    c("set s v", OK),
    c("type s", simple("string")),
    c("type nokey", simple("none")),
    c("touch s nokey s", int(2)),
    c("type", arity("type")),
    c("touch", arity("touch")),
  ],
  "KEYS glob patterns": [
    c("set hello 1", OK),
    c("keys h?llo", arr(bulk("hello"))),
    c("keys h*o", arr(bulk("hello"))),
    c("keys h[ae]llo", arr(bulk("hello"))),
    c("keys h[^e]llo", arr()),
    c("keys h[a-f]llo", arr(bulk("hello"))),
    c("keys h[f-a]llo", arr(bulk("hello"))),
    // "!" is no negation in Redis: [!e] is the set {'!', 'e'}.
    c("keys h[!e]llo", arr(bulk("hello"))),
    c("keys h[!a]llo", arr()),
    c("keys H*", arr()),
    c("keys hello\\", arr()),
    c("keys hel\\lo", arr(bulk("hello"))),
    c("keys h[el", arr()),
    c("keys *[l", arr()),
    c("keys *l[lo", arr(bulk("hello"))),
    c("keys ****o", arr(bulk("hello"))),
    c("keys *", arr(bulk("hello"))),
    c("keys ?", arr()),
    c("keys", arity("keys")),
    [["set", "a*b", "1"], OK],
    [["keys", "a\\*b"], arr(bulk("a*b"))],
    [["keys", "a[*]b"], arr(bulk("a*b"))],
    [["keys", "a[\\*]?"], arr(bulk("a*b"))],
    c("del hello", int(1)),
    [["set", "x]y", "1"], OK],
    [["keys", "x[]]y"], arr()],
    [["keys", "x[\\]]y"], arr(bulk("x]y"))],
    [["keys", "x\\]y"], arr(bulk("x]y"))],
  ],
  "RENAME and RENAMENX": [
    c("set a v", OK),
    c("rename a b", OK),
    c("exists a", int(0)),
    c("rename nokey x", NO_KEY),
    c("renamenx nokey x", NO_KEY),
    c("rename b b", OK),
    c("renamenx b b", int(0)),
    c("rename nokey nokey", NO_KEY),
    c("set c other", OK),
    c("renamenx b c", int(0)),
    c("renamenx b d", int(1)),
    c("rename d c", OK),
    c("get c", bulk("v")),
    c("rename a", arity("rename")),
  ],
  "RENAME keeps the TTL and does not inherit the target's": [
    c("set a v", OK),
    c("pexpire a 100000000", int(1)),
    c("set t x", OK),
    c("expire t 500", int(1)),
    c("rename a t", OK),
    c("set u v", OK),
    c("set w x", OK),
    c("expire w 500", int(1)),
    c("rename u w", OK),
    c("ttl w", int(-1)),
  ],
  "MOVE": [
    c("select 9", OK),
    c("set m v", OK),
    c("move m 9", SAME),
    c("move m 10", int(1)),
    c("exists m", int(0)),
    c("move m 10", int(0)),
    c("set m v2", OK),
    c("move m 10", int(0)),
    c("move m notanint", NOT_INT),
    c("move m 16", DB_RANGE),
    c("move m -1", DB_RANGE),
    c("move m 4294967296", err("ERR value is out of range, value must between -2147483648 and 2147483647")),
    c("select 10", OK),
    c("get m", bulk("v")),
    c("select 9", OK),
  ],
  "COPY": [
    c("select 9", OK),
    c("set src v", OK),
    c("copy src dst", int(1)),
    c("get dst", bulk("v")),
    c("copy src dst", int(0)),
    c("set src v2", OK),
    c("copy src dst replace", int(1)),
    c("get dst", bulk("v2")),
    c("copy src src", SAME),
    c("copy src src db 9", SAME),
    c("copy src src db 10", int(1)),
    c("copy nokey x", int(0)),
    c("copy src x db", SYNTAX),
    c("copy src x foo", SYNTAX),
    c("copy src x db abc", NOT_INT),
    c("copy src x db 99", DB_RANGE),
    c("copy src x REPLACE DB 10 replace", int(1)),
    c("select 10", OK),
    c("get src", bulk("v2")),
    c("get x", bulk("v2")),
    c("select 9", OK),
    c("set n 123", OK),
    c("copy n n2", int(1)),
    c("object encoding n2", bulk("int")),
    c("copy", arity("copy")),
  ],
  "SWAPDB, DBSIZE, FLUSHDB": [
    c("select 9", OK),
    c("set k nine", OK),
    c("select 10", OK),
    c("flushdb", OK),
    c("swapdb 9 10", OK),
    c("get k", bulk("nine")),
    c("dbsize", int(1)),
    c("select 9", OK),
    c("dbsize", int(0)),
    c("swapdb 9 9", OK),
    c("swapdb x 1", err("ERR invalid first DB index")),
    c("swapdb 1 x", err("ERR invalid second DB index")),
    c("swapdb 1 99", DB_RANGE),
    c("swapdb -1 1", DB_RANGE),
    c("swapdb 99999999999 1", err("ERR invalid first DB index")),
    c("flushdb sync", OK),
    c("flushdb async", OK),
    c("flushdb SYNC", OK),
    c("flushdb foo", SYNTAX),
    c("flushdb sync async", SYNTAX),
    c("flushall foo", SYNTAX),
    c("flushall ASYNC", OK),
    c("dbsize x", arity("dbsize")),
    c("swapdb 1", arity("swapdb")),
  ],
  "OBJECT": [
    c("set i 12345", OK),
    c("set s hello", OK),
    [["set", "long", "x".repeat(45)], OK],
    c("object encoding i", bulk("int")),
    c("object encoding s", bulk("embstr")),
    c("object encoding long", bulk("raw")),
    c("object encoding nokey", NIL),
    c("object refcount s", int(1)),
    c("object refcount i", int(1)),
    c("set small 100", OK),
    c("object refcount small", int(2147483647)),
    c("object refcount nokey", NIL),
    c("object idletime nokey", NIL),
    c("object freq nokey", NIL),
    c(
      "object freq s",
      err(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
      ),
    ),
    c("object foo s", err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")),
    c("object encoding", arity("object|encoding")),
    c("object encoding a b", arity("object|encoding")),
    c("object", arity("object")),
    c("object help extra", arity("object|help")),
  ],
  "RANDOMKEY": [c("randomkey", NIL), c("set only 1", OK), c("randomkey", bulk("only")), c("randomkey x", arity("randomkey"))],
};

let srv: RunningServer;
let conn: RespConnection;
useNodis({}, { conn: true }, (f) => ({ srv, conn } = f));

async function run(cases: Case[]): Promise<void> {
  await conn.call("flushall");
  await conn.call("select", "0");
  const replies = await conn.send(cases.map(([argv]) => argv));
  cases.forEach(([argv, want], i) => {
    expect(show(replies[i]), argv.map(String).join(" ")).toBe(show(want));
  });
}

describe("generic key commands: exact replies", () => {
  for (const [name, cases] of Object.entries(CASES)) it(name, () => run(cases));

  it("answers nulls the RESP3 way", async () => {
    const r3 = await RespConnection.connect(srv.port);
    try {
      await r3.call("hello", "3");
      await r3.call("flushall");
      const replies = await r3.send([["object", "encoding", "nokey"], ["randomkey"], ["scan", "0"], ["ttl", "nokey"]]);
      expect(replies.map((b) => b.toString("latin1"))).toEqual(["_\r\n", "_\r\n", "*2\r\n$1\r\n0\r\n*0\r\n", ":-2\r\n"]);
    } finally {
      r3.close();
    }
  });

  it("OBJECT HELP lists the subcommands as status lines", async () => {
    const reply = (await conn.call("object", "help")).toString("latin1");
    expect(reply.startsWith("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")).toBe(true);
    expect(reply.endsWith("+HELP\r\n+    Print this help.\r\n")).toBe(true);
  });

  it("OBJECT IDLETIME counts from the last access; TOUCH and GET reset it, TYPE and EXISTS do not", async () => {
    const r = new Redis(srv.port, { lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      await r.set("idle", "v");
      expect(await r.object("IDLETIME", "idle")).toBeLessThanOrEqual(1);
      await new Promise((res) => setTimeout(res, 2100));
      await r.type("idle");
      await r.exists("idle");
      expect(await r.object("IDLETIME", "idle")).toBeGreaterThanOrEqual(2);
      await r.touch("idle");
      expect(await r.object("IDLETIME", "idle")).toBeLessThanOrEqual(1);
    } finally {
      r.disconnect();
    }
  });

  it("OBJECT FREQ works under an LFU policy and IDLETIME then refuses", async () => {
    const r = new Redis(srv.port, { enableReadyCheck: false });
    try {
      await r.config("SET", "maxmemory-policy", "allkeys-lfu");
      await r.set("f", "v");
      expect(await r.object("FREQ", "f")).toBe(5);
      for (let i = 0; i < 200; i++) await r.get("f");
      const freq = (await r.object("FREQ", "f")) as number;
      expect(freq).toBeGreaterThan(5);
      expect(freq).toBeLessThan(255);
      await expect(r.object("IDLETIME", "f")).rejects.toThrow(/An LFU maxmemory policy is selected/);
      await r.config("SET", "maxmemory-policy", "noeviction");
      await expect(r.object("FREQ", "f")).rejects.toThrow(/An LFU maxmemory policy is not selected/);
    } finally {
      r.disconnect();
    }
  });

  it("RANDOMKEY returns every key eventually and never an expired one", async () => {
    const r = new Redis(srv.port, { enableReadyCheck: false });
    try {
      await r.flushall();
      await r.mset("a", 1, "b", 2, "c", 3);
      await r.set("gone", "x", "PX", 1);
      await new Promise((res) => setTimeout(res, 10));
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add((await r.randomkey())!);
      expect([...seen].sort()).toEqual(["a", "b", "c"]);
    } finally {
      r.disconnect();
    }
  });

  it("KEYS skips expired keys and handles binary names", async () => {
    const r = new Redis(srv.port, { enableReadyCheck: false });
    try {
      await r.flushall();
      const bin = Buffer.from([0, 0xff, 0x2a, 0x0d, 0x0a]);
      await r.set(bin, "1");
      await r.set("k1", "1");
      await r.set("k2", "1", "PX", 1);
      await new Promise((res) => setTimeout(res, 10));
      expect((await r.keysBuffer("*")).map((b) => b.toString("hex")).sort()).toEqual([bin.toString("hex"), Buffer.from("k1").toString("hex")].sort());
      expect(await r.keysBuffer(Buffer.from([0, 0xff, 0x5c, 0x2a, 0x3f, 0x3f]))).toEqual([bin]);
    } finally {
      r.disconnect();
    }
  });

  it("KEYS with an abusive pattern answers quickly", async () => {
    await conn.call("flushall");
    await conn.call("set", "a".repeat(50), "1");
    const t0 = Date.now();
    const reply = await conn.call("keys", "a*".repeat(40) + "b");
    expect(reply.toString()).toBe("*0\r\n");
    // Backtracking would take hours; a loaded machine may still stall a second.
    expect(Date.now() - t0).toBeLessThan(5000);
    // Nesting deeper than 1000 stars gives no match, as in Redis.
    await conn.call("set", "a".repeat(1100), "1");
    expect((await conn.call("keys", "*a".repeat(1100))).toString()).toBe("*0\r\n");
  });

  it("KEYS and SCAN replies larger than the reply arena arrive whole", async () => {
    const r = new Redis(srv.port, { enableReadyCheck: false });
    try {
      await r.flushall();
      const p = r.pipeline();
      for (let i = 0; i < 30000; i++) p.set(`a-rather-long-key-name-to-fill-the-buffer:${i}`, "x");
      await p.exec();
      const all = await r.keys("*");
      expect(all.length).toBe(30000);
      expect(new Set(all).size).toBe(30000);
      const [, batch] = (await r.call("scan", "0", "count", "100000")) as [string, string[]];
      expect(batch.length).toBe(30000);
    } finally {
      r.disconnect();
    }
  });

  it("FLUSHALL ASYNC of a large keyspace leaves it empty and usable", async () => {
    const r = new Redis(srv.port, { enableReadyCheck: false });
    try {
      const p = r.pipeline();
      for (let i = 0; i < 20000; i++) p.set(`big:${i}`, "x");
      await p.exec();
      expect(await r.dbsize()).toBeGreaterThanOrEqual(20000);
      expect(await r.flushall("ASYNC")).toBe("OK");
      expect(await r.dbsize()).toBe(0);
      await r.set("after", "1");
      expect(await r.get("after")).toBe("1");
    } finally {
      r.disconnect();
    }
  });
});

describe("globMatch (the binding CONFIG GET uses)", () => {
  const m = (p: string, s: string, nocase = false) => globMatch(Buffer.from(p, "latin1"), Buffer.from(s, "latin1"), nocase);
  it("matches like Redis's stringmatchlen", () => {
    expect(m("maxmemory*", "maxmemory-policy")).toBe(true);
    expect(m("MAXMEMORY*", "maxmemory-policy")).toBe(false);
    expect(m("MAXMEMORY*", "maxmemory-policy", true)).toBe(true);
    expect(m("*", "")).toBe(false);
    expect(m("a[b-d]e", "ace")).toBe(true);
    expect(m("a[^b-d]e", "ace")).toBe(false);
    expect(m("a\\?", "a?")).toBe(true);
    expect(m("a\\?", "ab")).toBe(false);
    expect(m("[A-Z]", "q", true)).toBe(true);
  });
});

describe.skipIf(!haveRedisServer())("generic key commands against redis-server", () => {
  const oracle = useOracle();

  for (const [name, cases] of Object.entries(CASES)) it(name, () => expectSameReplies(conn, oracle.conn, cases.map(([argv]) => argv)));

  it("random sequences of generic and expiry commands agree with Redis", async () => {
    let s = 777;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    const key = () => `r${rnd(6)}`;
    const db = () => String(rnd(3) + 9);
    // Absolute times far in the future or in the past only: replies do not depend on the clock.
    const when = () => ["4000000000", "4000000001", "3999999999", "1", "-5", "0", "x", "9223372036854775807"][rnd(8)];
    const opt = () => [[], ["nx"], ["xx"], ["gt"], ["lt"], ["nx", "xx"], ["gt", "lt"], ["bad"]][rnd(8)];
    const cmds: Arg[][] = [["select", "9"]];
    for (let i = 0; i < 3000; i++) {
      switch (rnd(20)) {
        case 0: case 1: cmds.push(["set", key(), String(rnd(20000))]); break;
        case 2: cmds.push(["del", key(), key()]); break;
        case 3: cmds.push(["unlink", key()]); break;
        case 4: cmds.push(["exists", key(), key(), key()]); break;
        case 5: cmds.push(["rename", key(), key()]); break;
        case 6: cmds.push(["renamenx", key(), key()]); break;
        case 7: cmds.push(["copy", key(), key(), ...(rnd(2) ? ["db", db()] : []), ...(rnd(2) ? ["replace"] : [])]); break;
        case 8: cmds.push(["move", key(), db()]); break;
        case 9: cmds.push(["expireat", key(), when(), ...opt()]); break;
        case 10: cmds.push(["pexpireat", key(), when() + "000", ...opt()]); break;
        case 11: cmds.push(["expiretime", key()]); break;
        case 12: cmds.push(["pexpiretime", key()]); break;
        case 13: cmds.push(["persist", key()]); break;
        case 14: cmds.push(["type", key()]); break;
        case 15: cmds.push(["object", "encoding", key()]); break;
        case 16: cmds.push(["select", db()]); break;
        case 17: cmds.push(["dbsize"]); break;
        case 18: cmds.push(["swapdb", db(), db()]); break;
        default: cmds.push(["get", key()]);
      }
    }
    await expectSameReplies(conn, oracle.conn, cmds);
  });

  it("KEYS over random patterns and names agrees with Redis", async () => {
    let s = 12345;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    const alphabet = "ab*?[]^-\\!cZ\xe9\xff";
    const names: string[] = [];
    for (let i = 0; i < 60; i++) {
      let k = "";
      const len = 1 + rnd(6);
      for (let j = 0; j < len; j++) k += "abc-]^*\\Z\xe9"[rnd(10)];
      names.push(k);
    }
    const setup: Arg[][] = [...new Set(names)].map((k) => ["set", Buffer.from(k, "latin1"), "1"]);
    for (const k of [conn, oracle.conn]) {
      await k.call("flushall");
      await k.call("select", "0");
      await k.send(setup);
    }
    for (let i = 0; i < 1500; i++) {
      let p = "";
      const len = 1 + rnd(7);
      for (let j = 0; j < len; j++) p += alphabet[rnd(alphabet.length)];
      const pat = Buffer.from(p, "latin1");
      const [a, b] = await Promise.all([conn.call("keys", pat), oracle.conn.call("keys", pat)]);
      const sorted = (buf: Buffer) => buf.toString("latin1").split("\r\n").slice(1).filter((l) => !l.startsWith("$")).sort().join(",");
      expect(sorted(a), `KEYS ${p}`).toBe(sorted(b));
    }
  });
});
