/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH over TCP: exact reply bytes (Redis
 * 7.2's, stated here), queue-time errors and EXECABORT, runtime errors without
 * rollback, RESP3 replies, CLIENT LIST state, ioredis transactions, and a
 * differential run of the same sequences against Debian's redis-server.
 */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import { RespConnection, type Arg } from "../diff/resp.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";
import type { RunningServer } from "../../src/index.js";

const OK = "+OK\r\n";
const QUEUED = "+QUEUED\r\n";
const PONG = "+PONG\r\n";
const NIL = "$-1\r\n";
const NIL_ARRAY = "*-1\r\n";
const EXECABORT = "-EXECABORT Transaction discarded because of previous errors.\r\n";
const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const int = (n: number) => `:${n}\r\n`;
const err = (s: string) => `-${s}\r\n`;
const arr = (...items: string[]) => `*${items.length}\r\n${items.join("")}`;
const arity = (cmd: string) => err(`ERR wrong number of arguments for '${cmd}' command`);

let srv: RunningServer;
let conn: RespConnection;
let r: Redis;
useNodis({}, { conn: true, r: true }, (f) => ({ srv, conn, r } = f));

const words = (line: string): Arg[] => line.split(" ");

/** Sends the lines as one pipeline on `on` and returns the replies as text. */
async function run(on: RespConnection, lines: string[]): Promise<string[]> {
  return (await on.send(lines.map(words))).map((b) => b.toString("latin1"));
}

/** Runs [line, expected reply] pairs as one pipeline after emptying the server. */
async function expectReplies(on: RespConnection, cases: [string, string][]): Promise<void> {
  await on.send([["flushall"], ["select", "0"]]);
  const got = await run(on, cases.map(([l]) => l));
  cases.forEach(([line, want], i) => expect(got[i], line).toBe(want));
}

const CASES: Record<string, [string, string][]> = {
  "MULTI/EXEC basics": [
    ["multi", OK],
    ["set a 1", QUEUED],
    ["incr a", QUEUED],
    ["get a", QUEUED],
    ["ping", QUEUED],
    ["exec", arr(OK, int(2), bulk("2"), "+PONG\r\n")],
    ["get a", bulk("2")],
    ["multi", OK],
    ["exec", "*0\r\n"],
  ],
  "runtime errors inside EXEC do not roll back": [
    ["set s foo", OK],
    ["multi", OK],
    ["set a 1", QUEUED],
    ["incr s", QUEUED],
    ["incr a", QUEUED],
    ["exec", arr(OK, err("ERR value is not an integer or out of range"), int(2))],
    ["get a", bulk("2")],
  ],
  "DISCARD": [
    ["set a 1", OK],
    ["multi", OK],
    ["del a", QUEUED],
    ["discard", OK],
    ["get a", bulk("1")],
    ["discard", err("ERR DISCARD without MULTI")],
    ["exec", err("ERR EXEC without MULTI")],
  ],
  "queue-time errors abort EXEC": [
    ["multi", OK],
    ["set a 1", QUEUED],
    ["nosuchcommand x", err("ERR unknown command 'nosuchcommand', with args beginning with: 'x' ")],
    ["set b 2", QUEUED],
    ["exec", EXECABORT],
    ["exists a b", int(0)],
    ["multi", OK],
    ["get", arity("get")],
    ["exec", EXECABORT],
    ["multi", OK],
    ["config", arity("config")],
    ["exec", EXECABORT],
    ["multi", OK],
    ["config nosuch", err("ERR unknown subcommand 'nosuch'. Try CONFIG HELP.")],
    ["exec", EXECABORT],
    ["ping", PONG],
  ],
  "no_multi commands are refused and doom the transaction": [
    ["multi", OK],
    ["shutdown", err("ERR Command not allowed inside a transaction")],
    ["ping", QUEUED],
    ["exec", EXECABORT],
  ],
  "nested MULTI and WATCH inside MULTI are errors that do not doom": [
    ["multi", OK],
    ["multi", err("ERR MULTI calls can not be nested")],
    ["watch x", err("ERR WATCH inside MULTI is not allowed")],
    ["ping", QUEUED],
    ["exec", arr(PONG)],
  ],
  "EXEC with arguments aborts the transaction, in MULTI or not": [
    ["exec foo", err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")],
    ["multi", OK],
    ["set a 1", QUEUED],
    ["exec foo", err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")],
    ["exec", err("ERR EXEC without MULTI")],
    ["exists a", int(0)],
    ["multi foo", arity("multi")],
    ["discard foo", arity("discard")],
    ["watch", arity("watch")],
    ["unwatch foo", arity("unwatch")],
  ],
  "WATCH and UNWATCH": [
    ["watch a b c", OK],
    ["watch a", OK],
    ["multi", OK],
    ["ping", QUEUED],
    ["exec", arr(PONG)],
    ["unwatch", OK],
    ["unwatch", OK],
  ],
  "SELECT inside a transaction": [
    ["multi", OK],
    ["select 3", QUEUED],
    ["set k v", QUEUED],
    ["exec", arr(OK, OK)],
    ["get k", bulk("v")],
    ["select 0", OK],
    ["get k", NIL],
  ],
  "MONITOR inside EXEC is refused": [
    ["multi", OK],
    ["monitor", QUEUED],
    ["exec", arr(err("ERR MONITOR isn't allowed for DENY BLOCKING client"))],
    ["ping", PONG],
  ],
  "a dirty (watched and modified) transaction": [
    ["set x 1", OK],
    ["watch x", OK],
    ["set x 2", OK],
    ["multi", OK],
    ["incr x", QUEUED],
    ["exec", NIL_ARRAY],
    ["get x", bulk("2")],
  ],
};

describe("transactions: exact replies", () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => expectReplies(conn, cases));
  }

  it("RESET and QUIT run at once inside MULTI; RESET ends the transaction", async () => {
    const c = await RespConnection.connect(srv.port);
    expect(await run(c, ["multi", "set a 1", "reset", "exec"])).toEqual([OK, QUEUED, "+RESET\r\n", err("ERR EXEC without MULTI")]);
    expect(await run(c, ["multi", "quit"])).toEqual([OK, OK]);
    c.close();
  });

  it("a refused EXEC (NOAUTH) aborts with the refusal as its reason", async () => {
    await conn.call("config", "set", "requirepass", "pw");
    const c = await RespConnection.connect(srv.port);
    try {
      expect(await run(c, ["exec", "multi"])).toEqual([
        err("EXECABORT Transaction discarded because of: NOAUTH Authentication required."),
        err("NOAUTH Authentication required."),
      ]);
      expect(await run(c, ["auth pw", "multi", "set a 1", "exec"])).toEqual([OK, OK, QUEUED, arr(OK)]);
    } finally {
      await conn.call("config", "set", "requirepass", "");
      c.close();
    }
  });

  it("RESP3: each reply as its command gives it, and a null for a dirty EXEC", async () => {
    const c = await RespConnection.connect(srv.port);
    await run(c, ["hello 3", "flushall"]);
    const got = await run(c, ["multi", "set a 1", "get nosuch", "config get maxmemory", "incr a", "exec"]);
    expect(got.slice(0, 5)).toEqual([OK, QUEUED, QUEUED, QUEUED, QUEUED]);
    expect(got[5]).toBe(arr(OK, "_\r\n", `%1\r\n${bulk("maxmemory")}${bulk("0")}`, int(2)));
    expect(await run(c, ["watch a", "set a 5", "multi", "get a", "exec"])).toEqual([OK, OK, OK, QUEUED, "_\r\n"]);
    // HELLO inside the transaction switches the protocol from its own reply on.
    await run(c, ["hello 2"]);
    const mixed = await run(c, ["multi", "get nosuch", "hello 3", "get nosuch", "exec"]);
    expect(mixed[4]).toMatch(/^\*3\r\n\$-1\r\n%7\r\n[\s\S]*_\r\n$/);
    c.close();
  });

  it("CLIENT LIST shows x and multi=<queued>, d once a watched key changed", async () => {
    const c = await RespConnection.connect(srv.port);
    const other = await RespConnection.connect(srv.port);
    const [, idReply] = await run(c, ["flushall", "client id"]);
    const id = idReply.slice(1, -2);
    const mine = async () => (await other.call("client", "list", "id", id)).toString("latin1");
    expect(await mine()).toMatch(/ flags=N .* multi=-1 /);
    await run(c, ["multi", "set a 1", "get a"]);
    expect(await mine()).toMatch(/ flags=x .* multi=2 /);
    expect(await run(c, ["client info"])).toEqual([QUEUED]);
    const [res] = await run(c, ["exec"]);
    expect(res).toMatch(/^\*3\r\n\+OK\r\n\$1\r\n1\r\n\$\d+\r\nid=.* flags=x .* multi=3 .* cmd=exec /);
    expect(await mine()).toMatch(/ flags=N .* multi=-1 /);
    await run(c, ["watch a"]);
    await other.call("set", "a", "2");
    expect(await mine()).toMatch(/ flags=d /);
    await run(c, ["multi"]);
    expect(await mine()).toMatch(/ flags=xd /);
    expect(await run(c, ["exec"])).toEqual([NIL_ARRAY]);
    expect(await mine()).toMatch(/ flags=N /);
    c.close();
    other.close();
  });

  it("CLIENT PAUSE WRITE holds an EXEC whose queue writes, not a read-only one", async () => {
    const c = await RespConnection.connect(srv.port);
    const admin = await RespConnection.connect(srv.port);
    await run(c, ["flushall"]);
    expect(await run(c, ["multi", "get a", "set a 1"])).toEqual([OK, QUEUED, QUEUED]);
    const ro = await RespConnection.connect(srv.port);
    expect(await run(ro, ["multi", "get a", "ping"])).toEqual([OK, QUEUED, QUEUED]);
    await admin.call("client", "pause", "100000", "write");
    expect(await run(ro, ["exec"])).toEqual([arr(NIL, PONG)]);
    let done = false;
    const held = c.send([["exec"]]).then((r) => ((done = true), r));
    for (let i = 0; i < 20; i++) await admin.call("ping"); // turns of the event loop: the EXEC stays held
    expect(done).toBe(false);
    expect((await admin.call("get", "a")).toString()).toBe(NIL);
    await admin.call("client", "unpause");
    expect((await held)[0].toString()).toBe(arr(NIL, OK));
    c.close();
    ro.close();
    admin.close();
  });

  it("commandstats count the commands EXEC ran, and EXECABORT in errorstats", async () => {
    const c = await RespConnection.connect(srv.port);
    await run(c, ["config resetstat", "multi", "set a 1", "incr a", "exec", "multi", "nosuch", "exec"]);
    const info = (await c.call("info", "all")).toString("latin1");
    expect(info).toMatch(/cmdstat_set:calls=1,/);
    expect(info).toMatch(/cmdstat_incr:calls=1,/);
    expect(info).toMatch(/cmdstat_exec:calls=2,.*failed_calls=1/);
    expect(info).toMatch(/errorstat_EXECABORT:count=1/);
    c.close();
  });
});

describe("transactions: ioredis", () => {
  it("multi() pipelines", async () => {
    await r.flushall();
    expect(await r.multi().set("a", "1").incr("a").get("a").exec()).toEqual([
      [null, "OK"],
      [null, 2],
      [null, "2"],
    ]);
    await r.set("s", "x");
    const res = await r.multi().incr("s").set("b", "1").exec();
    expect(res![0][0]).toBeInstanceOf(Error);
    expect((res![0][0] as Error).message).toBe("ERR value is not an integer or out of range");
    expect(res![1]).toEqual([null, "OK"]);
    // A queue-time error: ioredis rejects with EXECABORT.
    const bad = r.multi();
    bad.set("c", "1");
    bad.call("nosuchcommand");
    await expect(bad.exec()).rejects.toThrow(/EXECABORT Transaction discarded because of previous errors/);
    expect(await r.exists("c")).toBe(0);
  });

  it("WATCH broken by another client makes exec() give null", async () => {
    const other = new Redis({ port: srv.port, host: "127.0.0.1" });
    await r.set("w", "1");
    await r.watch("w");
    await other.set("w", "2");
    expect(await r.multi().set("w", "3").exec()).toBeNull();
    expect(await r.get("w")).toBe("2");
    await r.watch("w");
    expect(await r.multi().set("w", "3").exec()).toEqual([[null, "OK"]]);
    other.disconnect();
  });
});

describe.skipIf(!haveRedisServer())("transactions: differential against redis-server", () => {
  const oracle = useOracle();
  // Redis 7.0 and 7.2 agree on all of these (the EXEC-with-arguments case included).
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => expectSameReplies(conn, oracle.conn, cases.map(([l]) => words(l))));
  }

  it("WATCH sequences with a second connection", async () => {
    const oracle2 = await startRedis();
    const theirs1 = await RespConnection.connect(oracle2.port);
    const theirs2 = await RespConnection.connect(oracle2.port);
    const mine2 = await RespConnection.connect(srv.port);
    await conn.send([["flushall"], ["select", "0"]]);
    const script: [0 | 1, string][] = [
      [0, "set x 1"],
      [0, "watch x y"],
      [1, "set y 1"],
      [0, "multi"],
      [0, "get x"],
      [0, "exec"],
      [0, "watch x"],
      [1, "get x"],
      [0, "multi"],
      [0, "get x"],
      [0, "exec"],
      [0, "watch x"],
      [1, "select 1"],
      [1, "set x 5"],
      [0, "multi"],
      [0, "get x"],
      [0, "exec"],
      [0, "watch x"],
      [0, "set x 2"],
      [0, "multi"],
      [0, "get x"],
      [0, "exec"],
      [0, "watch x"],
      [1, "select 0"],
      [1, "del x"],
      [0, "unwatch"],
      [0, "multi"],
      [0, "exists x"],
      [0, "exec"],
    ];
    const replies = async (conns: [RespConnection, RespConnection]) => {
      const out: string[] = [];
      for (const [who, line] of script) out.push((await conns[who].call(...words(line))).toString("latin1"));
      return out;
    };
    const mine = await replies([conn, mine2]);
    const theirs = await replies([theirs1, theirs2]);
    expect(mine).toEqual(theirs);
    mine2.close();
    theirs1.close();
    theirs2.close();
    await oracle2.stop();
  });
});
