/**
 * Expiry over TCP: the EXPIRE family's options and errors (exact replies),
 * TTL queries, lazy expiry on access, and the active cycle removing keys that
 * are never accessed again, also inside a large keyspace of persistent keys.
 * A differential block runs the time-independent cases against redis-server.
 */
import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";
import { sleep, until } from "../helpers/wait.js";

const OK = "+OK\r\n";
const NIL = "$-1\r\n";
const int = (n: number | bigint | string) => `:${n}\r\n`;
const err = (s: string) => `-${s}\r\n`;
const NOT_INT = err("ERR value is not an integer or out of range");
const invalid = (cmd: string) => err(`ERR invalid expire time in '${cmd}' command`);
const arity = (cmd: string) => err(`ERR wrong number of arguments for '${cmd}' command`);
const NX_CONFLICT = err("ERR NX and XX, GT or LT options at the same time are not compatible");
const GT_LT = err("ERR GT and LT options at the same time are not compatible");

type Case = [Arg[], string];
const c = (line: string, reply: string): Case => [line.split(" "), reply];

/** Cases whose replies do not depend on the clock (far-future or past times only). */
const CASES: Record<string, Case[]> = {
  "option parsing and errors": [
    c("set k v", OK),
    c("expire k 100 nx xx", NX_CONFLICT),
    c("expire k 100 nx gt", NX_CONFLICT),
    c("expire k 100 lt nx", NX_CONFLICT),
    c("expire k 100 gt lt", GT_LT),
    c("expire k 100 foo", err("ERR Unsupported option foo")),
    c("expire k 100 NX FOO", err("ERR Unsupported option FOO")),
    c("expire k abc", NOT_INT),
    c("expire k abc foo", err("ERR Unsupported option foo")),
    c("expire k 1.5", NOT_INT),
    c("expire k", arity("expire")),
    c("pexpire k", arity("pexpire")),
    c("ttl", arity("ttl")),
    c("persist", arity("persist")),
    c("ttl k", int(-1)),
  ],
  "overflow checks": [
    c("set k v", OK),
    c("expire k 9223370399119966", invalid("expire")),
    c("expire k 9223372036854775807", invalid("expire")),
    c("expire k -9223372036854775808", invalid("expire")),
    c("expireat k 9223372036854775807", invalid("expireat")),
    c("pexpire k 9223372036854770000", invalid("pexpire")),
    c("pexpire k 9223372036854775807", invalid("pexpire")),
    c("pexpireat k 9223372036854770000", int(1)),
    c("pexpiretime k", int("9223372036854770000")),
    c("expiretime k", int("9223372036854770")),
    c("pexpireat k 9223372036854775807", int(1)),
    c("pexpiretime k", int("9223372036854775807")),
    c("expireat k 9223372036854775", int(1)),
    c("pexpiretime k", int("9223372036854775000")),
    c("exists k", int(1)),
  ],
  "missing keys and persistent keys": [
    c("expire nokey 100", int(0)),
    c("pexpire nokey 100", int(0)),
    c("expireat nokey 100", int(0)),
    c("ttl nokey", int(-2)),
    c("pttl nokey", int(-2)),
    c("expiretime nokey", int(-2)),
    c("pexpiretime nokey", int(-2)),
    c("persist nokey", int(0)),
    c("set k v", OK),
    c("ttl k", int(-1)),
    c("pttl k", int(-1)),
    c("expiretime k", int(-1)),
    c("persist k", int(0)),
  ],
  "a time in the past deletes the key": [
    c("set a v", OK),
    c("expire a -1", int(1)),
    c("exists a", int(0)),
    c("set b v", OK),
    c("pexpireat b 1", int(1)),
    c("get b", NIL),
    c("set c v", OK),
    c("expireat c 0", int(1)),
    c("exists c", int(0)),
    c("set d v", OK),
    c("expire d 0", int(1)),
    c("exists d", int(0)),
    c("set e v", OK),
    c("expire e -9223372036854775", int(1)),
    c("exists e", int(0)),
  ],
  "NX XX GT LT": [
    c("set k v", OK),
    c("expireat k 4000000000 xx", int(0)),
    c("expireat k 4000000000 gt", int(0)),
    c("expireat k 4000000000 lt", int(1)),
    c("expiretime k", int(4000000000)),
    c("expireat k 4000000001 nx", int(0)),
    c("expireat k 4000000001 xx", int(1)),
    c("expireat k 4000000000 gt", int(0)),
    c("expireat k 4000000001 gt", int(0)),
    c("expireat k 4000000002 GT", int(1)),
    c("expireat k 4000000002 lt", int(0)),
    c("expireat k 4000000001 LT XX", int(1)),
    c("expiretime k", int(4000000001)),
    c("persist k", int(1)),
    c("expiretime k", int(-1)),
    c("expireat k 4000000000 nx", int(1)),
    c("expireat k 1 gt", int(0)),
    c("exists k", int(1)),
    c("expireat k 1 lt", int(1)),
    c("exists k", int(0)),
    c("set p v", OK),
    c("expire p -1 gt", int(0)),
    c("expire p -1 lt", int(1)),
    c("exists p", int(0)),
  ],
  "SET clears the TTL, other writes keep it": [
    c("set k v", OK),
    c("expireat k 4000000000", int(1)),
    c("append k x", int(2)),
    c("expiretime k", int(4000000000)),
    c("set k v2", OK),
    c("expiretime k", int(-1)),
    c("set k v ex 100", OK),
    c("persist k", int(1)),
    c("ttl k", int(-1)),
    c("set n 1", OK),
    c("pexpireat n 4000000000123", int(1)),
    c("incr n", int(2)),
    c("pexpiretime n", int(4000000000123)),
    c("expiretime n", int(4000000000)),
  ],
};

let conn: RespConnection;
let r: Redis;
useNodis({ "enable-debug-command": "yes" }, { conn: true, r: true }, (f) => ({ conn, r } = f));

describe("expiry commands: exact replies", () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => {
      await conn.call("flushall");
      const replies = await conn.send(cases.map(([argv]) => argv));
      cases.forEach(([argv, want], i) => expect(show(replies[i]), argv.map(String).join(" ")).toBe(show(want)));
    });
  }

  it("TTL rounds to the nearest second; PTTL and the *TIME forms agree", async () => {
    await r.set("t", "v");
    // One write: the commands of one read share the server's clock, so the
    // remaining times are exact however slow the machine is.
    const before = Date.now();
    const replies = (
      await conn.send([
        ["pexpire", "t", "10400"],
        ["ttl", "t"],
        ["pexpire", "t", "10600"],
        ["ttl", "t"],
        ["pttl", "t"],
        ["pexpiretime", "t"],
        ["expiretime", "t"],
      ])
    ).map((b) => b.toString("latin1"));
    const after = Date.now();
    const num = (s: string) => Number(s.slice(1, -2));
    expect(replies.slice(0, 4)).toEqual([int(1), int(10), int(1), int(11)]);
    expect(num(replies[4])).toBeGreaterThan(10_400);
    expect(num(replies[4])).toBeLessThanOrEqual(10_600);
    const at = num(replies[5]);
    expect(at).toBeGreaterThanOrEqual(before + 10_600);
    expect(at).toBeLessThanOrEqual(after + 10_600);
    expect(replies[6]).toBe(int(Math.floor((at + 500) / 1000)));
  });

  it("a key with a short TTL disappears on access (lazy) and from DBSIZE", async () => {
    await r.flushall();
    await r.set("x", "foo");
    // Long enough that the next command still sees the key on a loaded machine.
    expect(await r.pexpire("x", 1000)).toBe(1);
    expect(await r.get("x")).toBe("foo");
    expect(await until(() => r.get("x"), (v) => v === null)).toBeNull();
    expect(await r.exists("x")).toBe(0);
    expect(await r.ttl("x")).toBe(-2);
  });

  it("the active cycle removes keys that are never accessed again", async () => {
    await r.flushall();
    // The cycle is off while the keys are made, so all of them are counted
    // however long that takes; DBSIZE counts keys without accessing them.
    await r.call("debug", "set-active-expire", "0");
    try {
      const p = r.pipeline();
      for (let i = 0; i < 500; i++) p.set(`e:${i}`, "v", "PX", 100);
      for (let i = 0; i < 500; i++) p.set(`x:${i}`, "v").pexpire(`x:${i}`, 100);
      p.set("keep", "v");
      await p.exec();
      expect(await r.dbsize()).toBe(1001);
    } finally {
      await r.call("debug", "set-active-expire", "1");
    }
    expect(await until(() => r.dbsize(), (n) => n === 1)).toBe(1);
    expect(await r.exists("keep")).toBe(1);
  });

  it("the active cycle finds few volatile keys in a large keyspace", async () => {
    await r.flushall();
    const N = 200_000;
    for (let base = 0; base < N; base += 20_000) {
      const p = r.pipeline();
      for (let i = base; i < base + 20_000; i++) p.set(`persistent:${i}`, "v");
      await p.exec();
    }
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) p.set(`v1:${i}`, "v").pexpire(`v1:${i}`, 50);
    for (let i = 0; i < 300; i++) p.psetex(`v2:${i}`, 50, "v");
    await p.exec();
    expect(await until(() => r.dbsize(), (size) => size <= N, { everyMs: 100 })).toBe(N);
    await r.flushall();
  });

  it("EXPIRE on a key then SET without options drops the TTL (not actively expired later)", async () => {
    await r.flushall();
    await r.set("k", "v");
    await r.pexpire("k", 100);
    await r.set("k", "v2");
    await sleep(300);
    expect(await r.get("k")).toBe("v2");
    expect(await r.ttl("k")).toBe(-1);
  });

  it("RENAME, MOVE and COPY carry the expire; expired sources are missing", async () => {
    await r.flushall();
    // Long enough that the next commands still see the key on a loaded machine.
    await r.set("a", "v", "PX", 1000);
    await r.copy("a", "b");
    expect(await r.pttl("b")).toBeGreaterThan(0);
    await r.rename("a", "c");
    expect(await r.pttl("c")).toBeGreaterThan(0);
    expect(await until(() => r.exists("b", "c"), (n) => n === 0)).toBe(0);
    await expect(r.rename("c", "d")).rejects.toThrow("ERR no such key");
    expect(await r.copy("c", "d")).toBe(0);
  });
});

describe.skipIf(!haveRedisServer())("expiry commands against redis-server", () => {
  const oracle = useOracle();
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, () => expectSameReplies(conn, oracle.conn, cases.map(([argv]) => argv)));
  }
});
