/**
 * SCAN over TCP: cursor parsing and option errors (exact replies, also
 * against redis-server), full iterations with MATCH/COUNT/TYPE, and the SCAN
 * guarantee while the table grows and shrinks between calls.
 */
import type Redis from "ioredis";
import { describe, expect, it } from "vitest";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";

const err = (s: string) => `-${s}\r\n`;
const EMPTY = "*2\r\n$1\r\n0\r\n*0\r\n";
const INVALID_CURSOR = err("ERR invalid cursor");
const SYNTAX = err("ERR syntax error");
const NOT_INT = err("ERR value is not an integer or out of range");

type Case = [Arg[], string];
const c = (argv: Arg[], reply: string): Case => [argv, reply];

/** On an empty db: every valid cursor form answers "0" and no keys. */
const CASES: Record<string, Case[]> = {
  "cursor parsing": [
    c(["scan", "0"], EMPTY),
    c(["scan", ""], EMPTY),
    c(["scan", "-1"], EMPTY),
    c(["scan", "+5"], EMPTY),
    c(["scan", "007"], EMPTY),
    c(["scan", "18446744073709551615"], EMPTY),
    c(["scan", "18446744073709551616"], INVALID_CURSOR),
    c(["scan", "99999999999999999999999"], INVALID_CURSOR),
    c(["scan", " 1"], INVALID_CURSOR),
    c(["scan", "1 "], INVALID_CURSOR),
    c(["scan", "1a"], INVALID_CURSOR),
    c(["scan", "-"], INVALID_CURSOR),
    c(["scan", "0x10"], INVALID_CURSOR),
    c(["scan", "abc", "count", "0"], INVALID_CURSOR),
    c(["scan"], err("ERR wrong number of arguments for 'scan' command")),
  ],
  "options": [
    c(["scan", "0", "count", "0"], SYNTAX),
    c(["scan", "0", "count", "-1"], SYNTAX),
    c(["scan", "0", "count", "abc"], NOT_INT),
    c(["scan", "0", "count", "9223372036854775808"], NOT_INT),
    c(["scan", "0", "count", "9223372036854775807"], EMPTY),
    c(["scan", "0", "count"], SYNTAX),
    c(["scan", "0", "match"], SYNTAX),
    c(["scan", "0", "type"], SYNTAX),
    c(["scan", "0", "foo", "bar"], SYNTAX),
    c(["scan", "0", "MATCH", "*", "COUNT", "5", "TYPE", "string"], EMPTY),
    c(["scan", "0", "type", "nosuchtype"], EMPTY),
    c(["scan", "0", "count", "0", "match"], SYNTAX),
  ],
};

let conn: RespConnection;
let r: Redis;
useNodis({}, { conn: true, r: true }, (f) => ({ conn, r } = f));

/** Runs a whole SCAN iteration, calling `between` after each step; returns every key seen. */
async function scanAll(args: (string | number)[] = [], between?: (step: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor = "0";
  let step = 0;
  do {
    const [next, keys] = (await r.call("scan", cursor, ...args)) as [string, string[]];
    seen.push(...keys);
    cursor = next;
    step++;
    if (between) await between(step);
  } while (cursor !== "0");
  return seen;
}

describe("SCAN: exact replies", () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => {
      await conn.call("flushall");
      const replies = await conn.send(cases.map(([argv]) => argv));
      cases.forEach(([argv, want], i) => expect(show(replies[i]), argv.map(String).join(" ")).toBe(show(want)));
    });
  }
});

describe("SCAN iterations", () => {
  it("returns every key of a full iteration, whatever the COUNT", async () => {
    await r.flushall();
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`key:${i}`, "v");
    await p.exec();
    for (const count of [1, 10, 100, 5000]) {
      const seen = new Set(await scanAll(["count", count]));
      expect(seen.size, `COUNT ${count}`).toBe(1000);
    }
  });

  it("MATCH and TYPE filter the keys", async () => {
    await r.flushall();
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) p.set(`${i % 3 === 0 ? "three" : "other"}:${i}`, "v");
    await p.exec();
    const three = await scanAll(["match", "three:*", "count", 50]);
    expect(new Set(three).size).toBe(100);
    expect(three.every((k) => k.startsWith("three:"))).toBe(true);
    expect(new Set(await scanAll(["type", "STRING"])).size).toBe(300);
    expect(await scanAll(["type", "list"])).toEqual([]);
    expect(await scanAll(["match", "nothing*"])).toEqual([]);
  });

  it("a COUNT bounds the work per call and the cursor stays within the table", async () => {
    await r.flushall();
    const p = r.pipeline();
    for (let i = 0; i < 5000; i++) p.set(`k${i}`, "v");
    await p.exec();
    const [cursor, keys] = (await r.call("scan", "0", "count", "10")) as [string, string[]];
    expect(keys.length).toBeLessThan(40);
    expect(BigInt(cursor)).toBeLessThan(1n << 20n);
    // An arbitrary cursor is accepted and continues the iteration from there.
    const [next] = (await r.call("scan", "18446744073709551615")) as [string, string[]];
    expect(BigInt(next)).toBeGreaterThanOrEqual(0n);
  });

  it("does not return expired keys and deletes those it meets", async () => {
    await r.flushall();
    const p = r.pipeline();
    for (let i = 0; i < 100; i++) p.set(`live:${i}`, "v");
    for (let i = 0; i < 100; i++) p.set(`dead:${i}`, "v", "PX", 1);
    await p.exec();
    await new Promise((res) => setTimeout(res, 20));
    const seen = await scanAll(["count", 1000]);
    expect(seen.filter((k) => k.startsWith("dead:"))).toEqual([]);
    expect(new Set(seen).size).toBe(100);
    expect(await r.dbsize()).toBe(100);
  });

  it("keeps the SCAN guarantee while the table grows between calls", async () => {
    await r.flushall();
    const p = r.pipeline();
    for (let i = 0; i < 500; i++) p.set(`orig:${i}`, "v");
    await p.exec();
    let extra = 0;
    const seen = new Set(
      await scanAll(["count", 20], async (step) => {
        // Grow a lot between the first calls: the table doubles several times.
        if (step > 12) return;
        const q = r.pipeline();
        for (let i = 0; i < 400; i++) q.set(`new:${extra++}`, "v");
        await q.exec();
      }),
    );
    for (let i = 0; i < 500; i++) expect(seen.has(`orig:${i}`), `orig:${i}`).toBe(true);
    expect(await r.dbsize()).toBe(500 + 400 * 12);
  });

  it("keeps the SCAN guarantee while the table shrinks between calls", async () => {
    await r.flushall();
    const N_EXTRA = 20000;
    for (let base = 0; base < N_EXTRA; base += 5000) {
      const p = r.pipeline();
      for (let i = base; i < base + 5000; i++) p.set(`tmp:${i}`, "v");
      await p.exec();
    }
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) p.set(`orig:${i}`, "v");
    await p.exec();
    let next = 0;
    const seen = new Set(
      await scanAll(["count", 500], async () => {
        if (next >= N_EXTRA) return;
        const q = r.pipeline();
        for (let i = 0; i < 2500 && next < N_EXTRA; i++) q.del(`tmp:${next++}`);
        await q.exec();
      }),
    );
    for (let i = 0; i < 300; i++) expect(seen.has(`orig:${i}`), `orig:${i}`).toBe(true);
  });
});

describe.skipIf(!haveRedisServer())("SCAN against redis-server", () => {
  const oracle = useOracle();
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, () => expectSameReplies(conn, oracle.conn, cases.map(([argv]) => argv)));
  }
  it("a single key is found with any valid cursor form", async () => {
    for (const k of [conn, oracle.conn]) {
      await k.call("flushall");
      await k.call("set", "only", "v");
    }
    const cmds: Arg[][] = [["scan", "0"], ["scan", "0", "match", "o*"], ["scan", "0", "match", "x*"], ["scan", "0", "type", "string"], ["scan", "0", "type", "hash"]];
    const [mine, theirs] = await Promise.all([conn.send(cmds), oracle.conn.send(cmds)]);
    cmds.forEach((argv, i) => expect(show(mine[i]), argv.join(" ")).toBe(show(theirs[i])));
  });
});
