/**
 * The blocking machinery (src/server/blocking.ts) over real connections. The
 * machinery is generic, so it is exercised first with a test-only command,
 * BGETDEL key [key ...] timeout (GETDEL of the first string key, blocking while
 * none exists), which needs nothing but strings; the list and zset pops are
 * tested below it when their families are in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import { RespConnection } from "../diff/resp.js";
import { until } from "../helpers/wait.js";
import type { Server } from "../../src/server/server.js";
import type { CommandSpec } from "../../src/commands/types.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { blockForKeys } from "../../src/server/blocking.js";
import * as engine from "../../src/engine/index.js";

let conn: RespConnection;
let server: Server;
let port: number;
useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => {
  conn = f.conn;
  server = f.srv.server;
  port = f.srv.port;
});

/** How many times BGETDEL's handler ran (first runs and runs again). */
let bgetdelRuns = 0;

/**
 * BGETDEL key [key ...] timeout: [key, value] of the first string key, deleted;
 * blocks while there is none. BGETDELNK also wants to hear of its keys'
 * deletion (as XREADGROUP does).
 */
function installBgetdel(s: Server): void {
  for (const [name, nokey] of [["bgetdel", false], ["bgetdelnk", true]] as const) installOne(s, name, nokey);
}
function installOne(s: Server, name: string, unblockOnNokey: boolean): void {
  const base = s.commands.get("getdel")!;
  const spec: CommandSpec = {
    ...base,
    name,
    arity: -3,
    flags: ["write", "blocking"],
    stat: undefined,
    latency: null,
    lastKey: -2,
    keySpecs: [{ flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { lastkey: -2, keystep: 1, limit: 0 } }],
    handler: (c) => {
      bgetdelRuns++;
      const keys = c.argv.slice(1, -1);
      for (const k of keys) {
        if (engine.keys.liveType(c.db, k) !== "string") continue;
        c.r.array(2);
        c.r.bulk(k);
        engine.answer(c.r, engine.strings.getdel(c.db, k, c.r));
        return;
      }
      const secs = Number(c.argv[c.argv.length - 1].toString());
      blockForKeys(c, { keys, type: "string", deadline: secs > 0 ? Date.now() + Math.ceil(secs * 1000) : 0, unblockOnNokey }, spec);
    },
  };
  s.commands.set(name, spec);
  s.commandNames = null;
}

const conns: RespConnection[] = [];
async function client(): Promise<RespConnection> {
  const c = await RespConnection.connect(port);
  conns.push(c);
  return c;
}
afterAll(() => {
  for (const c of conns) c.close();
});

beforeAll(() => installBgetdel(server));
beforeEach(async () => {
  await conn.call("FLUSHALL");
  await conn.call("CONFIG", "RESETSTAT");
});

async function info(field: string): Promise<string> {
  const text = (await conn.call("INFO", "everything")).toString();
  return /\r\n/.test(text) ? (text.split("\r\n").find((l) => l.startsWith(field + ":"))?.slice(field.length + 1) ?? "") : "";
}
async function blockedClients(n: number): Promise<void> {
  const seen = await until(() => info("blocked_clients"), (v) => v === String(n));
  expect(seen).toBe(String(n));
}
/** A reply on one line: CRLFs as spaces. */
const show = (b: Buffer): string => b.toString("latin1").replace(/\r\n/g, " ").trim();
/** Sends a command without waiting for its reply. */
function start(c: RespConnection, ...argv: string[]): Promise<string> {
  return c.call(...argv).then(show);
}

describe("blocking machinery (test-only BGETDEL)", () => {
  it("serves an immediate request without blocking", async () => {
    await conn.call("SET", "k", "v");
    expect(show(await conn.call("BGETDEL", "k", "0"))).toBe("*2 $1 k $1 v");
  });

  it("blocks until another client creates the key, then answers and counts one call", async () => {
    const b = await client();
    const reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    expect(await info("total_blocking_keys")).toBe("1");
    expect(await info("total_blocking_keys_on_nokey")).toBe("0");
    await conn.call("SET", "k", "hello");
    expect(await reply).toBe("*2 $1 k $5 hello");
    await blockedClients(0);
    expect(await info("total_blocking_keys")).toBe("0");
    expect(await info("cmdstat_bgetdel")).toMatch(/^calls=1,.*,rejected_calls=0,failed_calls=0$/);
    expect(show(await conn.call("EXISTS", "k"))).toBe(":0");
  });

  it("shows the b flag in CLIENT LIST and the timeout table in INFO", async () => {
    const b = await client();
    const id = show(await b.call("CLIENT", "ID")).slice(1);
    const reply = start(b, "BGETDEL", "k", "100");
    await blockedClients(1);
    expect(show(await conn.call("CLIENT", "LIST", "ID", id))).toMatch(/ flags=b /);
    expect(await info("clients_in_timeout_table")).toBe("1");
    await conn.call("SET", "k", "x");
    await reply;
    expect(show(await conn.call("CLIENT", "LIST", "ID", id))).toMatch(/ flags=N /);
  });

  it("serves waiters on a key first come first served", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const ra = start(a, "BGETDEL", "k", "0");
    await blockedClients(1);
    const rb = start(b, "BGETDEL", "k", "0");
    await blockedClients(2);
    const rc = start(c, "BGETDEL", "k", "0");
    await blockedClients(3);
    await conn.call("SET", "k", "1");
    expect(await ra).toBe("*2 $1 k $1 1");
    await blockedClients(2);
    await conn.call("SET", "k", "2");
    expect(await rb).toBe("*2 $1 k $1 2");
    await conn.call("SET", "k", "3");
    expect(await rc).toBe("*2 $1 k $1 3");
    await blockedClients(0);
  });

  it("waits on several keys and is served by the first that appears", async () => {
    const b = await client();
    const reply = start(b, "BGETDEL", "k1", "k2", "k1", "0");
    await blockedClients(1);
    expect(await info("total_blocking_keys")).toBe("2");
    await conn.call("SET", "k2", "two");
    expect(await reply).toBe("*2 $2 k2 $3 two");
    expect(await info("total_blocking_keys")).toBe("0");
  });

  it("times out with the null array (RESP2 *-1, RESP3 _), counted once", async () => {
    const b = await client();
    expect(show(await b.call("BGETDEL", "k", "0.05"))).toBe("*-1");
    await b.call("HELLO", "3");
    expect(show(await b.call("BGETDEL", "k", "0.01"))).toBe("_");
    expect(await info("cmdstat_bgetdel")).toMatch(/^calls=2,.*,failed_calls=0$/);
    expect(await info("blocked_clients")).toBe("0");
  });

  it("keeps the client's later pipelined commands behind the blocked one", async () => {
    const b = await client();
    const replies = b.send([["BGETDEL", "k", "0"], ["PING"], ["GET", "k"]]);
    await blockedClients(1);
    // The PING has arrived but must not be answered yet.
    expect(show(await conn.call("SET", "k", "v"))).toBe("+OK");
    expect((await replies).map(show)).toEqual(["*2 $1 k $1 v", "+PONG", "$-1"]);
  });

  it("is served after EXEC, not inside the transaction, and propagates after it", async () => {
    const units: string[][] = [];
    const stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
    try {
      const b = await client();
      const reply = start(b, "BGETDEL", "k", "0");
      await blockedClients(1);
      const r = await conn.send([["MULTI"], ["SET", "k", "a"], ["SET", "k", "b"], ["EXEC"]]);
      expect(show(r[3])).toBe("*2 +OK +OK");
      expect(await reply).toBe("*2 $1 k $1 b");
      expect(units).toEqual([["MULTI", "SET k a", "SET k b", "EXEC"], ["BGETDEL k 0"]]);
    } finally {
      stop();
    }
  });

  it("is woken by RENAME, MOVE, COPY and SWAPDB", async () => {
    const b = await client();
    let reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.call("SET", "src", "renamed");
    await conn.call("RENAME", "src", "k");
    expect(await reply).toBe("*2 $1 k $7 renamed");

    reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.send([["SELECT", "1"], ["SET", "k", "moved"], ["MOVE", "k", "0"], ["SELECT", "0"]]);
    expect(await reply).toBe("*2 $1 k $5 moved");

    reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.call("SET", "c", "copied");
    await conn.call("COPY", "c", "k");
    expect(await reply).toBe("*2 $1 k $6 copied");

    reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.send([["SELECT", "2"], ["SET", "k", "swapped"], ["SELECT", "0"]]);
    await conn.call("SWAPDB", "0", "2");
    expect(await reply).toBe("*2 $1 k $7 swapped");
  });

  it("stays blocked while the key has another type or is expired", async () => {
    const b = await client();
    const reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // The transaction creates the key, but it expires before the waiter is served.
      await conn.send([["MULTI"], ["SET", "k", "v", "PX", "1"], ["DEBUG", "SLEEP", "0.01"], ["EXEC"]]);
      expect(await info("blocked_clients")).toBe("1");
      await conn.call("SET", "k", "fresh");
      expect(await reply).toBe("*2 $1 k $5 fresh");
    } finally {
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  it("CLIENT UNBLOCK answers as a timeout or with UNBLOCKED, and counts it", async () => {
    const b = await client();
    const id = show(await b.call("CLIENT", "ID")).slice(1);
    let reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    expect(show(await conn.call("CLIENT", "UNBLOCK", id))).toBe(":1");
    expect(await reply).toBe("*-1");
    expect(show(await conn.call("CLIENT", "UNBLOCK", id))).toBe(":0");

    reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    expect(show(await conn.call("CLIENT", "UNBLOCK", id, "ERROR"))).toBe(":1");
    expect(await reply).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
    expect(await info("cmdstat_bgetdel")).toMatch(/^calls=2,.*,rejected_calls=0,failed_calls=1$/);
    expect(await info("errorstat_UNBLOCKED")).toBe("count=1");
    expect(await info("total_error_replies")).toBe("1");
    // The client goes on normally.
    expect(show(await b.call("PING"))).toBe("+PONG");
  });

  it("never blocks inside MULTI: the command answers the null array", async () => {
    const r = await conn.send([["MULTI"], ["BGETDEL", "k", "0"], ["EXEC"]]);
    expect(show(r[2])).toBe("*1 *-1");
    expect(await info("blocked_clients")).toBe("0");
  });

  it("forgets a blocked client that disconnects or is killed", async () => {
    const a = await RespConnection.connect(port);
    start(a, "BGETDEL", "k", "0").catch(() => {});
    const b = await client();
    const id = show(await b.call("CLIENT", "ID")).slice(1);
    start(b, "BGETDEL", "k2", "0").catch(() => {});
    await blockedClients(2);
    a.close();
    await blockedClients(1);
    expect(show(await conn.call("CLIENT", "KILL", "ID", id))).toBe(":1");
    await blockedClients(0);
    expect(await info("total_blocking_keys")).toBe("0");
    // Nothing is woken or broken by the key appearing now.
    expect(show(await conn.call("SET", "k", "v"))).toBe("+OK");
    expect(show(await conn.call("GET", "k"))).toBe("$1 v");
  });

  it("a waiter that asked for it runs again when its key is deleted or changes type; others do not", async () => {
    const [a, b] = [await client(), await client()];
    await conn.call("RPUSH", "k", "list");
    const ra = start(a, "BGETDELNK", "k", "0");
    await blockedClients(1);
    const rb = start(b, "BGETDEL", "k", "0");
    await blockedClients(2);
    expect(await info("total_blocking_keys")).toBe("1");
    expect(await info("total_blocking_keys_on_nokey")).toBe("1");
    let runs = bgetdelRuns;
    await conn.call("DEL", "k");
    // Only the first waiter ran again (and blocked again: no string yet).
    expect(await until(() => bgetdelRuns, (n) => n === runs + 1)).toBe(runs + 1);
    await conn.call("SADD", "k", "set");
    runs = bgetdelRuns;
    await conn.call("FLUSHDB");
    expect(await until(() => bgetdelRuns, (n) => n === runs + 1)).toBe(runs + 1);
    expect(await info("blocked_clients")).toBe("2");
    // Re-blocked at the end of the line: the plain waiter is served first now.
    await conn.call("SET", "k", "v1");
    expect(await rb).toBe("*2 $1 k $2 v1");
    await conn.call("SET", "k", "v2");
    expect(await ra).toBe("*2 $1 k $2 v2");
    expect(await info("total_blocking_keys_on_nokey")).toBe("0");
  });

  it("answers RESP3 clients in RESP3 when served", async () => {
    const b = await client();
    await b.call("HELLO", "3");
    const reply = start(b, "BGETDEL", "k", "0");
    await blockedClients(1);
    await conn.call("SET", "k", "v");
    expect(await reply).toBe("*2 $1 k $1 v");
  });
});

describe("blocking list pops", () => {
  it("BLPOP is woken by LPUSH and RPUSH from another client", async () => {
    const b = await client();
    let reply = start(b, "BLPOP", "l", "0");
    await blockedClients(1);
    await conn.call("LPUSH", "l", "x");
    expect(await reply).toBe("*2 $1 l $1 x");
    reply = start(b, "BRPOP", "l1", "l2", "0");
    await blockedClients(1);
    await conn.call("RPUSH", "l2", "a", "b");
    expect(await reply).toBe("*2 $2 l2 $1 b");
    expect(show(await conn.call("LRANGE", "l2", "0", "-1"))).toBe("*1 $1 a");
  });

  it("propagates a served BLPOP as the pop it did, after the push", async () => {
    const units: string[][] = [];
    const stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
    try {
      const b = await client();
      const reply = start(b, "BLPOP", "l", "0");
      await blockedClients(1);
      await conn.call("RPUSH", "l", "a", "b");
      expect(await reply).toBe("*2 $1 l $1 a");
      expect(units).toEqual([["RPUSH l a b"], ["LPOP l"]]);
    } finally {
      stop();
    }
  });

  it("serves waiters first come first served, one element each", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const ra = start(a, "BLPOP", "l", "0");
    await blockedClients(1);
    const rb = start(b, "BLPOP", "l", "0");
    await blockedClients(2);
    const rc = start(c, "BLPOP", "l", "0");
    await blockedClients(3);
    await conn.call("RPUSH", "l", "1", "2");
    expect([await ra, await rb]).toEqual(["*2 $1 l $1 1", "*2 $1 l $1 2"]);
    expect(await info("blocked_clients")).toBe("1");
    await conn.call("RPUSH", "l", "3");
    expect(await rc).toBe("*2 $1 l $1 3");
  });

  it("is woken by RENAME, MOVE and MULTI/EXEC", async () => {
    const b = await client();
    let reply = start(b, "BLPOP", "l", "0");
    await blockedClients(1);
    await conn.call("RPUSH", "src", "r1", "r2");
    await conn.call("RENAME", "src", "l");
    expect(await reply).toBe("*2 $1 l $2 r1");
    await conn.call("DEL", "l");

    reply = start(b, "BLPOP", "l", "0");
    await blockedClients(1);
    await conn.send([["SELECT", "1"], ["RPUSH", "l", "m"], ["MOVE", "l", "0"], ["SELECT", "0"]]);
    expect(await reply).toBe("*2 $1 l $1 m");

    reply = start(b, "BLPOP", "l", "0");
    await blockedClients(1);
    const r = await conn.send([["MULTI"], ["RPUSH", "l", "t1"], ["LPOP", "l"], ["RPUSH", "l", "t2"], ["EXEC"]]);
    expect(show(r[4])).toBe("*3 :1 $2 t1 :1");
    // The waiter sees the state after the whole transaction.
    expect(await reply).toBe("*2 $1 l $2 t2");
  });

  it("stays blocked while the key is another type, and is served once it is a list again", async () => {
    const b = await client();
    const reply = start(b, "BLPOP", "k", "0");
    await blockedClients(1);
    await conn.call("SET", "k", "string");
    await conn.call("SADD", "k2", "m");
    await conn.call("RENAME", "k2", "k");
    expect(await info("blocked_clients")).toBe("1");
    await conn.call("DEL", "k");
    await conn.call("LPUSH", "k", "v");
    expect(await reply).toBe("*2 $1 k $1 v");
  });

  it("BRPOPLPUSH to a destination of another type answers WRONGTYPE when served and leaves the element", async () => {
    const b = await client();
    await conn.call("SET", "dst", "string");
    const reply = start(b, "BRPOPLPUSH", "src", "dst", "0");
    await blockedClients(1);
    await conn.call("RPUSH", "src", "e");
    expect(await reply).toMatch(/^-WRONGTYPE/);
    expect(show(await conn.call("LRANGE", "src", "0", "-1"))).toBe("*1 $1 e");
  });

  it("a served BLMOVE feeds the next waiter at once, before the pusher's next command", async () => {
    const units: string[][] = [];
    const stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
    try {
      const [a, b, c] = [await client(), await client(), await client()];
      const ra = start(a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0");
      await blockedClients(1);
      const rb = start(b, "BLMOVE", "dst", "src", "RIGHT", "LEFT", "0");
      await blockedClients(2);
      const rc = c.send([["SET", "k1", "v1"], ["LPUSH", "src", "dummy"], ["SET", "k2", "v2"]]);
      expect((await rc).map(show)).toEqual(["+OK", ":1", "+OK"]);
      expect([await ra, await rb]).toEqual(["$5 dummy", "$5 dummy"]);
      expect(units).toEqual([["SET k1 v1"], ["LPUSH src dummy"], ["LMOVE src dst LEFT RIGHT"], ["LMOVE dst src RIGHT LEFT"], ["SET k2 v2"]]);
    } finally {
      stop();
    }
  });

  it("BLPOP times out with the null array, counted once; BLMPOP and BRPOPLPUSH too", async () => {
    const b = await client();
    expect(show(await b.call("BLPOP", "l", "0.01"))).toBe("*-1");
    expect(show(await b.call("BLMPOP", "0.01", "1", "l", "LEFT"))).toBe("*-1");
    expect(show(await b.call("BRPOPLPUSH", "l", "d", "0.01"))).toBe("*-1");
    await b.call("HELLO", "3");
    expect(show(await b.call("BLPOP", "l", "0.01"))).toBe("_");
    expect(await info("cmdstat_blpop")).toMatch(/^calls=2,/);
  });

  it("a timeout past setTimeout's range keeps waiting; a hex float timeout is read as strtold reads it", async () => {
    const b = await client();
    const id = show(await b.call("CLIENT", "ID")).slice(1);
    const reply = start(b, "BLPOP", "l", "2592000");
    await blockedClients(1);
    // Another client's round trip: a timer that fired at once would have answered by now.
    await conn.call("PING");
    await new Promise((r) => setTimeout(r, 30));
    expect(await info("blocked_clients")).toBe("1");
    await conn.call("CLIENT", "UNBLOCK", id);
    expect(await reply).toBe("*-1");
    const started = Date.now();
    expect(show(await b.call("BLPOP", "l", "0x1p-4"))).toBe("*-1");
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it("BLPOP inside MULTI answers the null array without blocking", async () => {
    const r = await conn.send([["MULTI"], ["BLPOP", "l", "0"], ["BRPOPLPUSH", "l", "d", "0"], ["EXEC"]]);
    // BRPOPLPUSH (and BLMOVE) answer a null bulk there, as Redis 7.2 does.
    expect(show(r[3])).toBe("*2 *-1 $-1");
  });

  it("the pipelined commands behind a BLPOP wait, and a BLPOP among them blocks again", async () => {
    const b = await client();
    const replies = b.send([["BLPOP", "l", "0"], ["LPUSH", "l", "mine"], ["BLPOP", "l2", "0"], ["PING"]]);
    await blockedClients(1);
    await conn.call("RPUSH", "l", "first");
    await blockedClients(1);
    expect(show(await conn.call("LRANGE", "l", "0", "-1"))).toBe("*1 $4 mine");
    await conn.call("RPUSH", "l2", "second");
    expect((await replies).map(show)).toEqual(["*2 $1 l $5 first", ":1", "*2 $2 l2 $6 second", "+PONG"]);
  });

  it("a key that expired before its waiter runs again: the pop deletes it (DEL propagated) and blocks again with its first deadline", async () => {
    const units: string[][] = [];
    const stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString().replace(/^\d{13}$/, "<ms>")).join(" "))));
    await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      const b = await client();
      const started = Date.now();
      const reply = start(b, "BRPOP", "k", "1");
      await blockedClients(1);
      await conn.send([["MULTI"], ["RPUSH", "k", "hello"], ["PEXPIRE", "k", "100"], ["DEBUG", "SLEEP", "0.2"], ["EXEC"]]);
      expect(show(await conn.call("CLIENT", "LIST"))).toMatch(/flags=b /);
      expect(await reply).toBe("*-1");
      // The timeout counts from the first run (Redis's #13004): well under two seconds.
      expect(Date.now() - started).toBeLessThan(1900);
      expect(units).toEqual([["MULTI", "RPUSH k hello", "PEXPIREAT k <ms>", "EXEC"], ["DEL k"]]);
    } finally {
      stop();
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  it("SWAPDB wakes a client whose key now exists in its db", async () => {
    const b = await client();
    await b.call("SELECT", "9");
    const reply = start(b, "BRPOP", "k", "0");
    await blockedClients(1);
    await conn.send([["SELECT", "1"], ["RPUSH", "k", "hello"], ["SELECT", "0"]]);
    await conn.call("SWAPDB", "1", "9");
    expect(await reply).toBe("*2 $1 k $5 hello");
  });

  it("slowlog and commandstats see a blocked command once, when it completes; MONITOR when it first runs", async () => {
    await conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    try {
      await conn.call("SLOWLOG", "RESET");
      const b = await client();
      const reply = start(b, "BLPOP", "l", "0");
      await blockedClients(1);
      expect(show(await conn.call("SLOWLOG", "GET"))).not.toMatch(/blpop/i);
      await conn.call("LPUSH", "l", "1");
      await reply;
      const log = show(await conn.call("SLOWLOG", "GET"));
      expect(log.match(/BLPOP/g)?.length).toBe(1);
      expect(await info("cmdstat_blpop")).toMatch(/^calls=1,/);
    } finally {
      await conn.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    }
  });
});

describe("blocking sorted set pops", () => {
  it("BZPOPMIN/BZPOPMAX/BZMPOP are woken by ZADD, and time out with the null array", async () => {
    const b = await client();
    let reply = start(b, "BZPOPMIN", "z", "0");
    await blockedClients(1);
    await conn.call("ZADD", "z", "2", "b", "1", "a");
    expect(await reply).toBe("*3 $1 z $1 a $1 1");
    reply = start(b, "BZMPOP", "0", "2", "z0", "z2", "MAX", "COUNT", "3");
    await blockedClients(1);
    await conn.call("ZADD", "z2", "5", "x", "6", "y");
    expect(await reply).toBe("*2 $2 z2 *2 *2 $1 y $1 6 *2 $1 x $1 5");
    expect(show(await b.call("BZPOPMAX", "nz", "0.01"))).toBe("*-1");
    await b.call("HELLO", "3");
    expect(show(await b.call("BZPOPMAX", "nz", "0.01"))).toBe("_");
  });

  it("a key waited on by a list pop and a zset pop serves the one its new type suits", async () => {
    const [a, b] = [await client(), await client()];
    const ra = start(a, "BZPOPMIN", "k", "0");
    await blockedClients(1);
    const rb = start(b, "BLPOP", "k", "0");
    await blockedClients(2);
    await conn.call("RPUSH", "k", "v");
    expect(await rb).toBe("*2 $1 k $1 v");
    expect(await info("blocked_clients")).toBe("1");
    await conn.call("ZADD", "k", "3", "m");
    expect(await ra).toBe("*3 $1 k $1 m $1 3");
  });
});
