/**
 * The batch path (src/server/batch.ts, native/src/batch.rs): pipelined engine
 * commands run in one native call. What clients see must be what the usual
 * path gives (replies byte for byte against redis-server, pipelines cut at
 * any byte, big replies), and what call() would have recorded must still be
 * recorded (commandstats, errorstats, slowlog, latency histograms, CLIENT
 * LIST's cmd=). Keyspace events stay off here: with a listener the path is off.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import { RespConnection, encodeCommand, type Arg } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { until, waitFor } from "../helpers/wait.js";
import { Prng } from "../diff/prng.js";
import { readsWaiting } from "../../src/server/native-reads.js";

/** Sends `bytes` in the given pieces (each its own write, waiting a little between) and returns the reply bytes once `want` have come (or they end with `want`). */
function sendInPieces(port: number, pieces: Buffer[], want: number | string): Promise<Buffer> {
  const done = typeof want === "number" ? (got: Buffer[], have: number) => have >= want : (got: Buffer[]) => Buffer.concat(got).toString("latin1").endsWith(want);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.setNoDelay(true);
    const got: Buffer[] = [];
    let have = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`only ${have} of ${want} reply bytes came`));
    }, 10000);
    sock.on("data", (d) => {
      got.push(d);
      have += d.length;
      if (done(got, have)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(Buffer.concat(got));
      }
    });
    sock.on("error", reject);
    sock.on("connect", async () => {
      for (const p of pieces) {
        sock.write(p);
        await new Promise((r) => setTimeout(r, 2));
      }
    });
  });
}

function infoField(info: Buffer, name: string): string | undefined {
  return new RegExp(`^${name.replace(/\|/g, "\\|")}:(.*)\r$`, "m").exec(info.toString())?.[1];
}

describe.skipIf(!haveRedisServer())("the batch path", () => {
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  let mine: RespConnection;
  let theirs: RespConnection;

  beforeAll(async () => {
    oracle = await startRedis();
    nodis = await startNodis({ "enable-debug-command": "yes" });
    mine = await RespConnection.connect(nodis.port);
    theirs = await RespConnection.connect(oracle.port);
  });
  afterAll(async () => {
    mine?.close();
    theirs?.close();
    await nodis?.close();
    await oracle?.stop();
  });

  async function both(cmds: Arg[][]): Promise<[Buffer[], Buffer[]]> {
    return [await mine.send(cmds), await theirs.send(cmds)];
  }

  /** A pipeline that mixes commands the path takes with ones it leaves (MULTI, errors, arity errors). */
  const mixed: Arg[][] = [
    ["FLUSHALL"],
    ["LPUSH", "l", "a", "b", "c"],
    ["RPUSH", "l", "d"],
    ["LRANGE", "l", "0", "-1"],
    ["SET", "s", "1"],
    ["INCR", "s"],
    ["incrby", "s", "10"],
    ["GET", "l"], // WRONGTYPE, answered on the path
    ["LLEN"], // wrong arity: the usual path answers
    ["MULTI"],
    ["LPUSH", "l", "queued"],
    ["GET", "s"],
    ["EXEC"],
    ["SET", "e", "v", "EX", "100"],
    ["MSET", "a", "1", "b"], // MSET's own arity error
    ["MSET", "a", "1", "b", "2"],
    ["HSET", "h", "f", "v", "g", "w"],
    ["HGETALL", "h"],
    ["ZADD", "z", "1", "x", "2.5", "y"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["SADD", "set", "1", "2", "3"],
    ["SMEMBERS", "set"],
    ["GET", "missing"],
    ["RPOP", "missing"],
    ["DECR", "s"],
    ["DECRBY", "s", "x"],
    ["GET", "s"],
    // Transactions: whole ones of engine commands run on the path; the others go the usual way.
    ["MULTI"],
    ["EXEC"],
    ["MULTI"],
    ["INCR", "s"],
    ["GET", "l"],
    ["SADD", "set", "4"],
    ["EXEC"],
    ["MULTI"],
    ["INCR", "s"],
    ["SET", "s", "5", "PX", "100000"],
    ["EXEC"],
    ["MULTI"],
    ["LLEN"], // a wrong arity: EXECABORT
    ["EXEC"],
    ["MULTI"],
    ["INCR", "s"],
    ["DISCARD"],
    ["MULTI"],
    ["MULTI"],
    ["INCR", "s"],
    ["EXEC"],
    ["EXEC"],
    ["GET", "s"],
  ];

  it("answers a mixed pipeline as redis-server does, byte for byte, over RESP2 and RESP3", async () => {
    const before = nodis.server.batchPath.commands;
    const [a, b] = await both(mixed);
    expect(nodis.server.batchPath.commands - before, "commands run on the batch path").toBeGreaterThan(20);
    expect(a.map(String)).toEqual(b.map(String));
    await both([["HELLO", "3"]]);
    const [c, d] = await both(mixed);
    expect(c.map(String)).toEqual(d.map(String));
    await both([["HELLO", "2"]]);
  });

  it("takes a pipeline back after a long run of commands it leaves (OBJECT), and answers runs of both as redis-server does", async () => {
    await both([["FLUSHALL"]]);
    // 300 commands the path leaves: its tries back off to one in 64 commands.
    const run: Arg[][] = [];
    for (let i = 0; i < 300; i++) run.push(["OBJECT", "ENCODING", i % 2 ? "n" : String(i)]);
    for (let i = 0; i < 100; i++) run.push(["INCR", "n"]);
    // Then the two alternating, and runs of three: each left command is followed by ones the path takes.
    for (let i = 0; i < 60; i++) run.push(i % 2 ? ["OBJECT", "ENCODING", "n"] : ["INCR", "n"]);
    for (let i = 0; i < 60; i++) run.push(i % 4 < 3 ? ["OBJECT", "FREQ", String(i)] : ["GET", "n"]);
    const incrCalls = async () => Number(/^calls=(\d+),/.exec(infoField(await mine.call("INFO", "commandstats"), "cmdstat_incr") ?? "")?.[1] ?? 0);
    const calls = await incrCalls();
    const before = nodis.server.batchPath.commands;
    const [a, b] = await both(run);
    const ran = nodis.server.batchPath.commands - before;
    expect(a.map(String)).toEqual(b.map(String));
    // The 100 INCRs after the run: at most 63 go the usual way before a try runs the rest.
    expect(ran, "commands run on the batch path").toBeGreaterThanOrEqual(37);
    expect((await incrCalls()) - calls).toBe(130);
  });

  it("runs MGET, SETNX, APPEND, STRLEN, INCRBYFLOAT, GETSET, GETDEL and the key commands (DEL, EXISTS, TYPE, the TTL and EXPIRE families with their options, PERSIST), byte for byte", async () => {
    const keyTraffic: Arg[][] = [
      ["FLUSHALL"],
      ["SET", "k", "v"],
      ["RPUSH", "l", "a"],
      ["HSET", "h", "f", "v"],
      ["EXISTS", "k", "l", "k", "nokey"],
      ["MGET", "k", "l", "nokey", "k"],
      ["SETNX", "k", "x"],
      ["SETNX", "l", "x"],
      ["SETNX", "s", "x"],
      ["APPEND", "s", "yz"],
      ["APPEND", "l", "yz"],
      ["STRLEN", "s"],
      ["STRLEN", "l"],
      ["STRLEN", "nokey"],
      ["INCRBYFLOAT", "f", "1.5"],
      ["INCRBYFLOAT", "f", "1e3"],
      ["INCRBYFLOAT", "s", "1"], // not a float
      ["GETSET", "f", "10"],
      ["GETSET", "l", "10"], // WRONGTYPE
      ["GETDEL", "f"],
      ["GETDEL", "f"],
      ["TYPE", "k"],
      ["type", "h"],
      ["TYPE", "nokey"],
      ["TTL", "k"],
      ["PTTL", "nokey"],
      ["EXPIRE", "k", "100"],
      ["TTL", "k"],
      ["EXPIREAT", "l", "4000000000"],
      ["EXPIRETIME", "l"],
      ["PEXPIRETIME", "l"],
      ["PEXPIREAT", "h", "4000000000123"],
      ["PEXPIRETIME", "h"],
      ["EXPIRE", "k", "soon"], // not an integer
      ["EXPIRE", "k", "99999999999999999"], // invalid expire time
      ["EXPIRE", "nokey", "10"],
      ["EXPIRE", "k", "50", "GT"],
      ["TTL", "k"],
      ["PEXPIRE", "k", "500000", "gt", "XX"],
      ["TTL", "k"],
      ["EXPIRE", "k", "10", "NX", "XX"], // option errors, as Redis words them
      ["EXPIRE", "k", "10", "GT", "LT"],
      ["EXPIRE", "k", "10", "sooner\r\n"],
      ["EXPIRE", "k", "10", Buffer.from("lt\0junk")], // an option ends at NUL, as in C
      ["EXPIRE", "k", "soon", "bogus"], // the options are read first
      ["TTL", "k"],
      ["PERSIST", "k"],
      ["PERSIST", "k"],
      ["TTL", "k"],
      ["EXPIRE", "k", "-1"], // in the past: the key goes
      ["EXISTS", "k"],
      ["DEL", "l", "h", "nokey"],
      ["UNLINK", "nokey"],
      ["EXISTS", "l", "h"],
      ["TTL"], // wrong arity: the usual way answers
      ["EXPIRE", "k"],
    ];
    const before = nodis.server.batchPath.commands;
    const [a, b] = await both(keyTraffic);
    expect(a.map(String)).toEqual(b.map(String));
    expect(nodis.server.batchPath.commands - before, "commands run on the batch path").toBeGreaterThanOrEqual(52);
  });

  it("runs GETRANGE, SUBSTR, SETRANGE, MSETNX and the key commands RENAME(NX), MOVE, COPY, TOUCH, DBSIZE, RANDOMKEY, KEYS and SCAN, errors included, byte for byte", async () => {
    const traffic: Arg[][] = [
      ["FLUSHALL"],
      ["SET", "s", "hello world"],
      ["RPUSH", "l", "a"],
      ["RANDOMKEY"], // two keys: which one is random; it is answered here to run on the path, and compared below
      ["GETRANGE", "s", "0", "4"],
      ["GETRANGE", "s", "-5", "-1"],
      ["GETRANGE", "s", "7", "2"],
      ["GETRANGE", "s", "x", "2"], // not an integer
      ["GETRANGE", "nokey", "0", "-1"],
      ["GETRANGE", "l", "0", "1"], // WRONGTYPE
      ["SUBSTR", "s", "6", "100"],
      ["SETRANGE", "s", "6", "there"],
      ["SETRANGE", "s", "-1", "x"], // offset out of range
      ["SETRANGE", "s", "536870911", "xy"], // past proto-max-bulk-len
      ["SETRANGE", "new", "0", ""], // nothing made
      ["EXISTS", "new"],
      ["SETRANGE", "new", "3", "ab"],
      ["GET", "new"],
      ["SETRANGE", "l", "0", "x"],
      ["MSETNX", "m1", "1", "m2", "2"],
      ["MSETNX", "m1", "x", "m3", "3"], // m1 exists: nothing set
      ["MSETNX", "m4"], // wrong number of arguments
      ["MGET", "m1", "m2", "m3"],
      ["RENAME", "m1", "r1"],
      ["RENAME", "nokey", "r1"],
      ["RENAME", "r1", "r1"],
      ["RENAMENX", "r1", "m2"],
      ["RENAMENX", "r1", "r2"],
      ["RENAMENX", "r2", "r2"],
      ["MOVE", "r2", "1"],
      ["MOVE", "r2", "1"],
      ["MOVE", "m2", "0"], // the same db
      ["MOVE", "m2", "16"], // out of range
      ["MOVE", "m2", "x"],
      ["MOVE", "m2", "3000000000"],
      ["COPY", "m2", "m2"],
      ["COPY", "m2", "c1"],
      ["COPY", "m2", "c1"],
      ["COPY", "m2", "c1", "REPLACE"],
      ["COPY", "m2", "c2", "DB", "1"],
      ["COPY", "m2", "c2", "db", "1"],
      ["COPY", "m2", "c2", "DB", "x"],
      ["COPY", "m2", "c2", "DB", "99"],
      ["COPY", "m2", "c2", "REPLACE", "DB"], // DB without its index
      ["COPY", "m2", "c2", "bogus"],
      ["COPY", "m2", "c3", Buffer.from("replace\0junk")], // an option ends at NUL, as in C
      ["COPY", "nokey", "c4"],
      ["TOUCH", "s", "l", "nokey", "s"],
      ["DBSIZE"],
      // One key matches each pattern: the order of several is the hash table's.
      ["KEYS", "s"],
      ["KEYS", "nomatch*"],
      ["SCAN", "0", "MATCH", "c[1]", "COUNT", "1000"],
      ["SCAN", "0", "count", "1000", "TYPE", "list"],
      ["SCAN", "0", "COUNT", "0"],
      ["SCAN", "0", "COUNT", "x"],
      ["SCAN", "0", "MATCH"],
      ["SCAN", "0", "bogus", "1"],
      ["SCAN", "x"],
      ["SCAN", "18446744073709551616"], // past u64
      ["SELECT", "1"],
      ["DBSIZE"],
      ["GET", "c2"],
      ["FLUSHDB"],
      ["RANDOMKEY"], // an empty db
      ["SET", "only", "v"],
      ["RANDOMKEY"],
      ["SELECT", "0"],
      ["GETRANGE", "s"], // wrong arity: the usual way answers
    ];
    const before = nodis.server.batchPath.commands;
    const [a, b] = await both(traffic);
    expect(String(a[3])).toMatch(/^\$1\r\n[sl]\r\n$/);
    expect(a.map(String).filter((_, i) => i !== 3)).toEqual(b.map(String).filter((_, i) => i !== 3));
    expect(nodis.server.batchPath.commands - before, "commands run on the batch path").toBeGreaterThanOrEqual(60);
  });

  it("stays on while clients are blocked, serving each after the command that feeds its key (a transaction's after EXEC), as redis-server does", async () => {
    const run = async (port: number, conn: RespConnection) => {
      const popper = await RespConnection.connect(port);
      const mover = await RespConnection.connect(port);
      const idle = await RespConnection.connect(port);
      try {
        await conn.send([["FLUSHALL"], ["SET", "n", "0"]]);
        const idleId = String(await idle.call("CLIENT", "ID")).slice(1, -2);
        const popped = popper.call("BLPOP", "q", "0");
        const moved = mover.call("BLMOVE", "q2", "out", "LEFT", "RIGHT", "0");
        // Blocked on keys the pipeline below does not touch: served by nothing here.
        const waiting = idle.call("BLPOP", "never", "0");
        await waitFor(async () => /blocked_clients:3\r/.test(String(await conn.call("INFO", "clients"))), "three blocked clients");
        const before = port === nodis.port ? nodis.server.batchPath.commands : 0;
        const traffic: Arg[][] = [];
        for (let i = 0; i < 200; i++) traffic.push(["INCR", "n"], ["SET", `k${i}`, "v"]);
        traffic.push(
          ["LPUSH", "q", "a"], // served to the BLPOP before the next LPUSH: it gets "a"
          ["LPUSH", "q", "b"],
          ["MULTI"],
          ["RPUSH", "q2", "x"],
          ["RPUSH", "q2", "y"],
          ["EXEC"], // BLMOVE served after EXEC: it moves "x"
          ["LRANGE", "q", "0", "-1"],
          ["LRANGE", "q2", "0", "-1"],
          ["LRANGE", "out", "0", "-1"],
          ["GET", "n"],
        );
        const replies = (await conn.send(traffic)).map(String);
        const ran = port === nodis.port ? nodis.server.batchPath.commands - before : 0;
        const served = [String(await popped), String(await moved)];
        await conn.call("CLIENT", "UNBLOCK", idleId);
        return { replies, served, ran, unblocked: String(await waiting) };
      } finally {
        for (const c of [popper, mover, idle]) c.close();
      }
    };
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect(a.replies).toEqual(b.replies);
    expect(a.served).toEqual(b.served);
    expect(a.served).toEqual(["*2\r\n$1\r\nq\r\n$1\r\na\r\n", "$1\r\nx\r\n"]);
    expect(a.unblocked).toBe(b.unblocked);
    // The 400 commands before the first LPUSH, and most after it, ran on the path.
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(400);
  });

  it("stays on while a client WATCHes keys: another client's change of one, run there, fails its EXEC, as redis-server does", async () => {
    const run = async (port: number, conn: RespConnection) => {
      const watcher = await RespConnection.connect(port);
      try {
        await conn.send([["FLUSHALL"], ["SET", "w1", "0"], ["SET", "w2", "0"]]);
        await watcher.send([["WATCH", "w1"]]);
        const before = port === nodis.port ? nodis.server.batchPath.commands : 0;
        const traffic: Arg[][] = [];
        for (let i = 0; i < 100; i++) traffic.push(["INCR", "n"], ["SET", `k${i}`, "v"]);
        traffic.push(["INCR", "w2"], ["GET", "n"]);
        const untouched = (await conn.send(traffic)).map(String);
        // Its watched key unchanged: its transaction runs (the usual way: it WATCHes).
        const first = (await watcher.send([["MULTI"], ["INCR", "w1"], ["EXEC"]])).map(String);
        await watcher.send([["WATCH", "w1"]]);
        const touched = (await conn.send([["INCR", "n"], ["INCR", "w1"], ["INCR", "n"]])).map(String);
        const second = (await watcher.send([["MULTI"], ["INCR", "w1"], ["EXEC"]])).map(String);
        const ran = port === nodis.port ? nodis.server.batchPath.commands - before : 0;
        return { untouched, first, touched, second, ran };
      } finally {
        watcher.close();
      }
    };
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect({ ...a, ran: 0 }).toEqual({ ...b, ran: 0 });
    expect(a.first[2]).toBe("*1\r\n:1\r\n");
    expect(a.second[2]).toBe("*-1\r\n");
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(200);
  });

  it("stays on with only expired events configured (notify-keyspace-events Ex), publishing the keys its commands expire, as redis-server does", async () => {
    const run = async (port: number, conn: RespConnection) => {
      const sub = await RespConnection.connect(port);
      try {
        await conn.send([["FLUSHALL"], ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["CONFIG", "SET", "notify-keyspace-events", "Ex"]]);
        await sub.call("SUBSCRIBE", "__keyevent@0__:expired");
        await conn.send([["SET", "gone1", "v", "PX", "1"], ["SET", "gone2", "v", "PX", "1"], ["SET", "kept", "v"]]);
        await new Promise((r) => setTimeout(r, 20));
        const before = port === nodis.port ? nodis.server.batchPath.commands : 0;
        const traffic: Arg[][] = [];
        for (let i = 0; i < 100; i++) traffic.push(["INCR", "n"], ["GET", "kept"]);
        traffic.push(["GET", "gone1"], ["INCR", "n"], ["EXISTS", "gone2"], ["GET", "n"]);
        const replies = (await conn.send(traffic)).map(String);
        const ran = port === nodis.port ? nodis.server.batchPath.commands - before : 0;
        // Read in order: the two expired events, then the first PING's reply (nothing came between).
        const got = (await sub.send([["PING"], ["PING"], ["PING"]])).map(String);
        return { replies, ran, got };
      } finally {
        sub.close();
        await conn.send([["CONFIG", "SET", "notify-keyspace-events", ""], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]]);
      }
    };
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect(a.replies).toEqual(b.replies);
    expect(a.got).toEqual(b.got);
    expect(a.got[0]).toContain("gone1");
    expect(a.got[1]).toContain("gone2");
    expect(a.got[2]).toContain("pong");
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(200);
  });

  /**
   * Runs `traffic` from `conn` with another client of the same server beside
   * it (made ready by `setup`; `teardown` after): the replies, what the client
   * beside received (messages, pushes) in order up to its PING's reply, and the
   * commands the batch path ran (Nodis).
   */
  const beside = async (port: number, conn: RespConnection, traffic: Arg[][], setup: (other: RespConnection) => Promise<void>, teardown?: () => Promise<void>) => {
    const other = await RespConnection.connect(port);
    try {
      await setup(other);
      const before = port === nodis.port ? nodis.server.batchPath.commands : 0;
      const replies = (await conn.send(traffic)).map(String);
      const ran = port === nodis.port ? nodis.server.batchPath.commands - before : 0;
      const got: string[] = [];
      for (;;) {
        const [m] = (await other.send([["PING"]])).map(String);
        if (/pong/i.test(m)) break;
        got.push(m);
      }
      return { replies, ran, got };
    } finally {
      other.close();
      await teardown?.();
    }
  };

  it("stays on with keyspace events of every class configured (KEA, and keymiss), publishing each command's events in order, as redis-server does", async () => {
    const rng = new Prng(7);
    const traffic: Arg[][] = [["SET", "gone", "v", "PX", "1"]];
    const pick = () => `k${rng.int(4)}`;
    for (let i = 0; i < 150; i++) {
      const k = pick();
      const shapes: Arg[][] = [
        ["GET", `s${k}`],
        ["SET", `s${k}`, String(i)],
        ["INCR", `n${k}`],
        ["LPUSH", `l${k}`, String(i)],
        ["RPOP", `l${k}`],
        ["SADD", `t${k}`, String(i % 5)],
        ["HSET", `h${k}`, "f", String(i)],
        ["ZADD", `z${k}`, String(i), "m"],
        ["EXPIRE", `s${k}`, "100"],
        ["DEL", `t${k}`],
        ["EXISTS", `h${k}`],
        ["ZSCORE", `z${k}`, "m"],
      ];
      traffic.push(shapes[rng.int(shapes.length)]);
      if (i === 75) traffic.push(["MULTI"], ["INCR", "tx"], ["GET", "gone"], ["SADD", "txs", "a"], ["EXEC"]);
      // A message published between events reaches the subscriber between them.
      if (i % 50 === 10) traffic.push(["PUBLISH", "__keyevent@0__:mine", String(i)]);
    }
    // A subscriber to every keyspace event beside the traffic.
    const run = (port: number, conn: RespConnection) =>
      beside(
        port,
        conn,
        traffic.slice(1),
        async (sub) => {
          await conn.send([["FLUSHALL"], ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["CONFIG", "SET", "notify-keyspace-events", "KEAm"]]);
          await sub.call("PSUBSCRIBE", "__key*__:*");
          await conn.send(traffic.slice(0, 1));
          await new Promise((r) => setTimeout(r, 20));
        },
        async () => void (await conn.send([["CONFIG", "SET", "notify-keyspace-events", ""], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]])),
      );
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect(a.replies).toEqual(b.replies);
    expect(a.got).toEqual(b.got);
    expect(a.got.length, "events published").toBeGreaterThan(150);
    expect(a.got.some((m) => m.includes("expired"))).toBe(true);
    expect(a.got.some((m) => m.includes("keymiss"))).toBe(true);
    expect(a.got.filter((m) => m.includes("mine"))).toHaveLength(3);
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(150);
  });

  it("stays on beside a client-side caching client, which is told of the tracked keys the batch changed, as redis-server tells it", async () => {
    const traffic: Arg[][] = [];
    for (let i = 0; i < 100; i++) traffic.push(["SET", `u${i % 7}`, String(i)], ["GET", "t1"]);
    // A tracked key changed twice (told once), another in another db (tracking ignores dbs), and t3, read while missing.
    traffic.push(["APPEND", "t1", "x"], ["INCR", "n"], ["SET", "t1", "y"], ["PEXPIRE", "t3", "1"]);
    for (let i = 0; i < 100; i++) traffic.push(["INCR", "n"]);
    traffic.push(["SELECT", "1"], ["SET", "t2", "other db"], ["SELECT", "0"], ["SET", "t3", "v", "PX", "1"]);
    const run = (port: number, conn: RespConnection) =>
      beside(port, conn, traffic, async (tracker) => {
        await conn.send([["FLUSHALL"], ["SET", "t1", "a"], ["SET", "t2", "b"]]);
        await tracker.send([["HELLO", "3"], ["CLIENT", "TRACKING", "on"], ["GET", "t1"], ["MGET", "t2", "t3"]]);
      });
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect(a.replies).toEqual(b.replies);
    expect(a.got).toEqual(b.got);
    expect(a.got.join("")).toContain("t1");
    expect(a.got.join("")).toContain("t2");
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(300);
  });

  it("stays on beside a BCAST client with prefixes, which is told of the keys under them the batch changed, as redis-server tells it", async () => {
    const traffic: Arg[][] = [];
    for (let i = 0; i < 150; i++) traffic.push(["SET", `u${i % 7}`, String(i)], ["GET", "t:1"]);
    traffic.push(["SET", "t:1", "x"], ["INCR", "w:n"], ["APPEND", "t:2", "y"], ["DEL", "t:1"], ["SET", "tx", "not under t:"]);
    // The pushes come one per event-loop turn: both servers read the pipeline at once.
    const run = (port: number, conn: RespConnection) =>
      beside(port, conn, traffic, async (tracker) => {
        await conn.send([["FLUSHALL"]]);
        await tracker.send([["HELLO", "3"], ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "t:", "PREFIX", "w:"]]);
      });
    const a = await run(nodis.port, mine);
    const b = await run(oracle.port, theirs);
    expect(a.replies).toEqual(b.replies);
    expect(a.got).toEqual(b.got);
    expect(a.got.join("")).toContain("w:n");
    expect(a.got.join("")).not.toContain("tx");
    expect(a.ran, "commands run on the batch path").toBeGreaterThanOrEqual(300);
  });

  it("answers the same when the pipeline arrives cut at every few bytes", async () => {
    const bytes = Buffer.concat(mixed.slice(1).map(encodeCommand));
    await theirs.call("FLUSHALL");
    const expected = Buffer.concat(await theirs.send(mixed.slice(1)));
    for (const step of [1, 7, 23]) {
      await mine.call("FLUSHALL");
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += step) pieces.push(bytes.subarray(i, i + step));
      const got = await sendInPieces(nodis.port, pieces, expected.length);
      expect(got.toString("latin1"), `cut every ${step} bytes`).toBe(expected.toString("latin1"));
    }
  });

  it("sends big replies whole (replies that outgrow the output buffer), in transactions too", async () => {
    const items = Array.from({ length: 3000 }, (_, i) => `item-${i}-${"x".repeat(40)}`);
    const cmds: Arg[][] = [
      ["FLUSHALL"],
      ["RPUSH", "big", ...items],
      ["LRANGE", "big", "0", "-1"],
      ["LRANGE", "big", "0", "-1"],
      ["LLEN", "big"],
      ["MULTI"],
      ["LRANGE", "big", "0", "-1"],
      ["LPUSH", "big", "front"],
      ["LRANGE", "big", "0", "-1"],
      ["EXEC"],
    ];
    const [a, b] = await both(cmds);
    expect(a.map(String)).toEqual(b.map(String));
    expect(a[2].length).toBeGreaterThan(100_000);
  });

  it("counts calls, failed calls and errors as call() does", async () => {
    const stats: Arg[][] = [["CONFIG", "RESETSTAT"], ...mixed.slice(1), ["INFO", "commandstats"], ["INFO", "errorstats"]];
    const [a, b] = await both(stats);
    const n = stats.length;
    for (const cmd of ["lpush", "rpush", "lrange", "incr", "incrby", "get", "mset", "hset", "zadd", "sadd", "rpop", "decr", "decrby", "multi", "exec", "discard", "set"]) {
      const pick = (info: Buffer) => (infoField(info, `cmdstat_${cmd}`) ?? "").replace(/usec=\d+,usec_per_call=[\d.]+,/, "");
      expect(pick(a[n - 2]), cmd).toBe(pick(b[n - 2]));
    }
    expect(infoField(a[n - 1], "errorstat_WRONGTYPE")).toBe(infoField(b[n - 1], "errorstat_WRONGTYPE"));
    expect(infoField(a[n - 1], "errorstat_ERR")).toBe(infoField(b[n - 1], "errorstat_ERR"));
  });

  it("logs slow commands with their arguments, feeds the latency histograms and CLIENT LIST's cmd=", async () => {
    await mine.send([["SLOWLOG", "RESET"], ["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["CONFIG", "RESETSTAT"]]);
    const replies = await mine.send([["LPUSH", "slow", "v1"], ["LLEN", "slow"], ["SLOWLOG", "GET", "3"], ["LATENCY", "HISTOGRAM", "lpush", "llen"], ["CLIENT", "INFO"]]);
    await mine.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    const slowlog = replies[2].toString();
    expect(slowlog).toContain("$5\r\nLPUSH\r\n$4\r\nslow\r\n$2\r\nv1\r\n");
    expect(slowlog).toContain("$4\r\nLLEN\r\n$4\r\nslow\r\n");
    const hist = replies[3].toString();
    expect(hist).toMatch(/\$5\r\nlpush\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n/);
    expect(hist).toMatch(/\$4\r\nllen\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n/);
    // The last command before CLIENT INFO ran on the path: LATENCY then CLIENT ran the usual way.
    expect(replies[4].toString()).toContain("cmd=client|info");
    const list = await mine.send([["LLEN", "slow"], ["CLIENT", "LIST"]]);
    expect(list[1].toString()).toContain("cmd=client|list");
    const other = await RespConnection.connect(nodis.port);
    try {
      await mine.send([["LLEN", "slow"]]);
      const seen = (await other.call("CLIENT", "LIST")).toString();
      expect(seen).toMatch(/cmd=llen /);
    } finally {
      other.close();
    }
  });

  it("runs SET with its options, SETEX, PSETEX and GETEX, errors included, byte for byte", async () => {
    const setTraffic: Arg[][] = [
      ["FLUSHALL"],
      ["RPUSH", "l", "a"],
      ["SET", "a", "1", "EX", "100"],
      ["TTL", "a"],
      ["SET", "a", "2", "px", "200000", "GET"],
      ["TTL", "a"],
      ["SET", "a", "3", "KEEPTTL"],
      ["TTL", "a"],
      ["SET", "a", "4", "EXAT", "4000000000", "XX"],
      ["EXPIRETIME", "a"],
      ["SET", "a", "5", "PXAT", "4000000000123", "NX"], // exists: nil
      ["SET", "b", "5", "NX", "GET"], // missing: set, nil
      ["SET", "b", "6", "XX", "GET", "get"],
      ["SET", "c", "1", "XX"],
      ["SET", "l", "x", "GET"], // WRONGTYPE, nothing set
      ["SET", "l", "x", "NX"], // exists: nil
      ["SET", "a", "1", "NX", "XX"], // syntax errors
      ["SET", "a", "1", "EX", "10", "PX", "10"],
      ["SET", "a", "1", "KEEPTTL", "EX", "10"],
      ["SET", "a", "1", "EX"],
      ["SET", "a", "1", "PERSIST"],
      ["SET", "a", "1", "EX", "0"], // invalid expire time
      ["SET", "a", "1", "EX", "ten"], // not an integer
      ["SET", "a", "1", "PX", "-5"],
      ["SET", "a", "1", "EX", "9223372036854775807"],
      ["SET", "a", Buffer.from("1"), Buffer.from("ex\0junk"), "100"], // an option ends at NUL, as in C
      ["TTL", "a"],
      ["SETEX", "s", "100", "v"],
      ["TTL", "s"],
      ["SETEX", "s", "0", "v"],
      ["SETEX", "s", "x", "v"],
      ["PSETEX", "p", "100000", "v"],
      ["TTL", "p"],
      ["PSETEX", "p", "-1", "v"],
      ["GETEX", "s"],
      ["GETEX", "s", "EX", "300"],
      ["TTL", "s"],
      ["GETEX", "s", "PERSIST"],
      ["TTL", "s"],
      ["GETEX", "s", "EXAT", "4000000000"],
      ["EXPIRETIME", "s"],
      ["GETEX", "s", "PXAT", "1"], // a time already past: the key goes
      ["EXISTS", "s"],
      ["GETEX", "nokey", "EX", "bad"], // missing: nil before the expire is read
      ["GETEX", "a", "EX", "bad"],
      ["GETEX", "a", "EX", "10", "PERSIST"],
      ["GETEX", "a", "KEEPTTL"],
      ["GETEX", "l"],
      ["MULTI"], // a transaction of them runs on the path too
      ["SET", "t", "1", "EX", "100"],
      ["SET", "t", "2", "GET"],
      ["EXEC"],
      ["TTL", "t"],
    ];
    const before = nodis.server.batchPath.commands;
    const [a, b] = await both(setTraffic);
    expect(a.map(String)).toEqual(b.map(String));
    expect(nodis.server.batchPath.commands - before, "commands run on the batch path").toBeGreaterThanOrEqual(50);
  });

  it("propagates (AOF, replicas) what the usual path propagates: argv, rewrites, expired keys' DELs, one unit per command", async () => {
    const units: string[] = [];
    const wp = nodis.server.writePath;
    const stop = wp.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => `${o.db}:${o.argv.map(String).join(" ")}`).join(" | ")));
    const play = async () => {
      // No active expiry: the key must be there to expire lazily, in both runs.
      await mine.send([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["FLUSHALL"], ["SELECT", "0"], ["SET", "gone", "v", "PX", "1"], ["HSET", "h", "f", "1.5"]]);
      await new Promise((r) => setTimeout(r, 20));
      units.length = 0;
      const replies = await mine.send([
        ["LPUSH", "l", "a", "b"],
        ["GET", "gone"], // expires lazily: its DEL is propagated
        ["INCR", "n"],
        ["GET", "l"], // WRONGTYPE: nothing propagated
        ["HINCRBYFLOAT", "h", "f", "0.25"], // propagated as HSET
        ["MSET", "a", "1", "b", "2"],
        ["MULTI"],
        ["INCR", "n"],
        ["LPUSH", "l", "c"],
        ["EXEC"],
        ["SELECT", "3"],
        ["SET", "k3", "v"],
        ["RPOP", "missing"], // changes nothing
        ["SELECT", "0"],
        ["DEL", "a", "nokey"],
        ["EXPIREAT", "n", "4000000000"], // propagated as PEXPIREAT
        ["EXISTS", "n", "l", "nokey"],
        ["PERSIST", "n"],
        ["UNLINK", "b"],
        ["EXPIRE", "n", "100", "LT"], // PEXPIREAT with its option
        ["PEXPIREAT", "n", "4000000000999"], // as sent
        ["EXPIRE", "l", "-1"], // past: DEL
        ["INCRBYFLOAT", "f", "1.5"], // propagated as SET ... KEEPTTL
        ["GETSET", "f", "3"],
        ["GETDEL", "f"],
        ["SET", "e", "v", "EX", "100"], // propagated as SET ... PXAT
        ["SET", "e", "w", "GET"], // propagated without GET
        ["SET", "e", "x", "NX"], // changes nothing
        ["SETEX", "e", "100", "y"],
        ["GETEX", "e", "PERSIST"],
        ["SETRANGE", "e", "1", "zz"],
        ["SETRANGE", "none", "0", ""], // changes nothing
        ["MSETNX", "x1", "1", "x2", "2"],
        ["MSETNX", "x1", "1", "x3", "2"], // changes nothing
        ["RENAME", "x1", "x4"],
        ["RENAMENX", "x4", "x2"], // changes nothing
        ["MOVE", "x4", "2"],
        ["COPY", "x2", "x5", "DB", "2"],
        ["TOUCH", "x2", "e"],
        ["GETRANGE", "e", "0", "1"],
        ["DBSIZE"],
      ]);
      return { replies: replies.map(String), units: [...units] };
    };
    try {
      const path = nodis.server.batchPath;
      const before = path.commands;
      const batched = await play();
      // The rewriting commands run there too: the engine records their rewrites.
      expect(path.commands - before).toBeGreaterThanOrEqual(33);
      // The same with a key listener: the batch path is off, everything goes through call().
      wp.listen("keys", true);
      let usual;
      try {
        const mark = path.commands;
        usual = await play();
        expect(path.commands).toBe(mark);
      } finally {
        wp.listen("keys", false);
      }
      expect(batched.replies).toEqual(usual.replies);
      // SET EX, SETEX and EXPIRE propagate the time each run computed.
      const norm = (units: string[]) => units.map((u) => u.replace(/^(0:SET e \w PXAT |0:PEXPIREAT n )\d{13}( LT)?$/, "$1T$2"));
      expect(norm(batched.units)).toEqual(norm(usual.units));
      expect(batched.units).toContain("0:DEL gone");
      expect(batched.units).toContain("0:PEXPIREAT n 4000000000000");
      expect(batched.units.some((u) => /^0:PEXPIREAT n \d{13} LT$/.test(u))).toBe(true);
      expect(batched.units).toContain("0:PEXPIREAT n 4000000000999");
      expect(batched.units).toContain("0:DEL l");
      expect(batched.units).toContain("0:PERSIST n");
      expect(batched.units).toContain("0:SET f 1.5 KEEPTTL");
      expect(batched.units).toContain("0:SET f 3");
      expect(batched.units).toContain("0:DEL f");
      expect(batched.units.some((u) => u.includes("HSET h f 1.75"))).toBe(true);
      expect(batched.units.filter((u) => /^0:SET e [vy] PXAT \d{13}$/.test(u))).toHaveLength(2);
      expect(batched.units).toContain("0:SET e w");
      expect(batched.units).toContain("0:PERSIST e");
      expect(batched.units).toContain("0:SETRANGE e 1 zz");
      expect(batched.units).toContain("0:MSETNX x1 1 x2 2");
      expect(batched.units).toContain("0:RENAME x1 x4");
      expect(batched.units).toContain("0:MOVE x4 2");
      expect(batched.units).toContain("0:COPY x2 x5 DB 2");
      expect(batched.units.some((u) => /TOUCH|GETRANGE|DBSIZE|RENAMENX|x3/.test(u))).toBe(false);
    } finally {
      stop();
      await mine.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });
  /** Inline commands as telnet or redis-benchmark's PING_INLINE send them: plain ones run on the path, quoted ones go the usual way. */
  const inlineTraffic = [
    "FLUSHALL",
    "PING",
    "PING hello",
    "ping a b", // PING's own arity error
    "SET k v",
    "GET k",
    "  incr   n\t ",
    "INCR n\n", // a bare LF ends a line too
    'SET q "a b"', // quoted: the usual path unquotes it
    "GET q",
    "SET q 'x y' ",
    "GET q",
    "", // an empty line: skipped
    "LPUSH l a b c",
    "LRANGE l 0 -1",
    "MULTI",
    "INCR n",
    "LPUSH l d",
    "EXEC",
    "GET k extra", // a wrong arity: the usual path answers
    "NOSUCH x",
    "*1\r\n$4\r\nPING", // multibulk between inline lines
    'ECHO "x\\ty"',
    "GET \xff\xfe",
    "PING",
  ]
    .map((l) => (l.endsWith("\n") ? l : `${l}\r\n`))
    .join("");

  it("runs PING and plain inline commands, leaves quoted ones to the usual path, and answers as redis-server does, byte for byte", async () => {
    // The last line's reply marks the end of the answer.
    const bytes = Buffer.from(`${inlineTraffic}ECHO end-of-traffic\r\n`, "latin1");
    const end = "$14\r\nend-of-traffic\r\n";
    const redisReply = await sendInPieces(oracle.port, [bytes], end);
    const path = nodis.server.batchPath;
    for (const step of [bytes.length, 5]) {
      const before = path.commands;
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += step) pieces.push(bytes.subarray(i, i + step));
      const got = await sendInPieces(nodis.port, pieces, end);
      expect(got.toString("latin1"), `cut every ${step} bytes`).toBe(redisReply.toString("latin1"));
      expect(path.commands - before, `cut every ${step} bytes: commands run on the batch path`).toBeGreaterThanOrEqual(step === 5 ? 1 : 15);
    }
  });

  /** A seeded stream of inline lines: the commands the path runs and others, spacing, case, quotes, empty lines, both line ends. */
  function inlineStream(rng: Prng, lines: number): string {
    const keys = ["k1", "k2", "l1", "h1", "s1", "n1"];
    const word = (): string =>
      rng.weighted<() => string>([
        [6, () => rng.pick(["a", "bb", "10", "-3", "x y", "3.5", "\xe9t\xe9", "v\x01w"]).replace(" ", "_")],
        [1, () => `"${rng.pick(["a b", "tab\\there", "hex\\x41\\x42", 'q\\"uote', ""])}"`],
        [1, () => `'${rng.pick(["s p", "it\\'s", ""])}'`],
      ])();
    const key = () => rng.pick(keys);
    const templates: (() => string[])[] = [
      () => ["PING"],
      () => ["PING", word()],
      () => ["PING", word(), word()],
      () => ["ECHO", word()],
      () => ["SET", key(), word()],
      () => ["GET", key()],
      () => ["GET"],
      () => ["INCR", key()],
      () => ["DEL", key(), key()],
      () => ["LPUSH", key(), word(), word()],
      () => ["LRANGE", key(), "0", "-1"],
      () => ["HSET", key(), word(), word()],
      () => ["HGETALL", key()],
      () => ["SADD", key(), word()],
      () => ["SCARD", key()],
      () => ["MGET", key(), key()],
      () => ["EXISTS", key(), key()],
      () => ["NOSUCH", word()],
    ];
    const space = () => rng.pick([" ", " ", " ", "  ", "\t", " \t"]);
    let out = "";
    for (let i = 0; i < lines; i++) {
      if (rng.chance(0.05)) {
        out += rng.pick(["\r\n", "\n", "   \r\n"]);
        continue;
      }
      if (rng.chance(0.05)) {
        out += encodeCommand(["INCR", key()]).toString("latin1");
        continue;
      }
      const argv = rng.pick(templates)();
      argv[0] = rng.chance(0.3) ? argv[0].toLowerCase() : argv[0];
      out += (rng.chance(0.1) ? space() : "") + argv.join(space()) + (rng.chance(0.1) ? space() : "") + (rng.chance(0.2) ? "\n" : "\r\n");
    }
    return out;
  }

  it("answers seeded streams of inline commands as redis-server does, byte for byte, whole and cut at random", async () => {
    const end = "$14\r\nend-of-traffic\r\n";
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = new Prng(seed);
      const bytes = Buffer.from(`FLUSHALL\r\n${inlineStream(rng, 400)}ECHO end-of-traffic\r\n`, "latin1");
      const expected = await sendInPieces(oracle.port, [bytes], end);
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; ) {
        const n = seed % 2 ? bytes.length : rng.range(1, 300);
        pieces.push(bytes.subarray(i, i + n));
        i += n;
      }
      const got = await sendInPieces(nodis.port, pieces, end);
      expect(got.toString("latin1"), `seed ${seed}`).toBe(expected.toString("latin1"));
    }
  });

  it("propagates inline commands it runs as multibulk commands, as the usual path does", async () => {
    const units: string[] = [];
    const wp = nodis.server.writePath;
    const path = nodis.server.batchPath;
    // What the AOF and replicas would be sent as is: never an inline line.
    const notMultibulk: string[] = [];
    const stop = wp.onPropagate((ops: PropagatedOp[]) => {
      for (const o of ops) if (o.raw && o.raw[0] !== 42) notMultibulk.push(o.raw.toString());
      units.push(ops.map((o) => `${o.db}:${o.argv.map(String).join(" ")}`).join(" | "));
    });
    const lines = "SET pk v\r\nINCR pn\r\nGET pk\r\nMULTI\r\nINCR pn\r\nLPUSH pl a\r\nEXEC\r\nDEL pk\r\n";
    const play = async () => {
      await mine.send([["FLUSHALL"]]);
      units.length = 0;
      const reply = await sendInPieces(nodis.port, [Buffer.from(lines)], 45);
      return { reply: reply.toString(), units: [...units] };
    };
    try {
      const before = path.commands;
      const batched = await play();
      // All but the transaction (while something propagates, transactions go the usual way).
      expect(path.commands - before, "commands run on the batch path").toBe(4);
      wp.listen("keys", true);
      let usual;
      try {
        usual = await play();
      } finally {
        wp.listen("keys", false);
      }
      expect(batched).toEqual(usual);
      expect(batched.reply).toBe("+OK\r\n:1\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n:1\r\n:1\r\n");
      expect(notMultibulk).toEqual([]);
      expect(batched.units).toEqual(["0:SET pk v", "0:INCR pn", "-1:MULTI | 0:INCR pn | 0:LPUSH pl a | -1:EXEC", "0:DEL pk"]);
    } finally {
      stop();
    }
  });

  /** A consumer group's traffic: XREADGROUP and XREAD served at once, errors, history, NOACK, acks. */
  const streamTraffic: Arg[][] = [
    ["FLUSHALL"],
    ["XADD", "s", "1-1", "f", "v1"],
    ["XADD", "s", "1-2", "f", "v2", "g", "w"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"], // nothing new: a null array
    ["xreadgroup", "group", "g", "c1", "block", "10", "streams", "s", "0"], // history, served at once
    ["XREADGROUP", "GROUP", "nog", "c1", "STREAMS", "s", ">"], // NOGROUP
    ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "$"],
    ["XREAD", "COUNT", "1", "STREAMS", "s", "0"],
    ["XREAD", "BLOCK", "10", "STREAMS", "s", "1-1"], // served at once
    ["XREAD", "STREAMS", "s", "missing", "0", "0"],
    ["XADD", "s", "2-1", "f", "v3"],
    ["XDEL", "s", "1-1"],
    ["XREADGROUP", "GROUP", "g", "c3", "NOACK", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"], // a deleted entry still pending: [id, nil]
    ["XACK", "s", "g", "1-1", "1-2"],
    ["XPENDING", "s", "g"],
    ["XINFO", "GROUPS", "s"],
  ];

  it("serves XREAD and XREADGROUP on the path, byte for byte, over RESP2 and RESP3", async () => {
    const path = nodis.server.batchPath;
    for (const proto of ["2", "3"]) {
      await both([["HELLO", proto]]);
      const before = path.commands;
      const [a, b] = await both(streamTraffic);
      expect(a.map(String), `RESP${proto}`).toEqual(b.map(String));
      // All but FLUSHALL, XGROUP and XINFO (commands with subcommands go the usual way).
      expect(path.commands - before, `RESP${proto}: commands run on the batch path`).toBe(streamTraffic.length - 3);
    }
    await both([["HELLO", "2"]]);
  });

  it("leaves XREADGROUP to its handler when it would block: one consumer made, woken by XADD", async () => {
    await both([["FLUSHALL"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]]);
    const waiter = await RespConnection.connect(nodis.port);
    try {
      const served = waiter.send([
        ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"],
      ]);
      expect(await waitFor(async () => /blocked_clients:1\r/.test(String(await mine.call("INFO", "clients"))))).toBe(true);
      const consumers = String(await mine.call("XINFO", "CONSUMERS", "s", "g"));
      expect(consumers.match(/\$4\r\nname\r\n/g)?.length).toBe(1);
      await mine.call("XADD", "s", "5-1", "f", "v");
      const replies = (await served).map(String);
      expect(replies[0]).toBe("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
      expect(replies[1]).toBe("*-1\r\n");
      expect(String(await mine.call("XPENDING", "s", "g"))).toContain("$2\r\nc1\r\n$1\r\n1\r\n");
    } finally {
      waiter.close();
    }
    // Inside MULTI it answers a null array, as redis-server does (the transaction goes the usual way).
    const tx: Arg[][] = [["MULTI"], ["XREADGROUP", "GROUP", "g", "c9", "BLOCK", "0", "STREAMS", "s", ">"], ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["EXEC"]];
    await theirs.send([["FLUSHALL"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], ["XADD", "s", "5-1", "f", "v"], ["XGROUP", "SETID", "s", "g", "$"]]);
    await mine.send([["XGROUP", "SETID", "s", "g", "$"]]);
    const [a, b] = await both(tx);
    expect(a.map(String)).toEqual(b.map(String));
  });

  it("leaves XREADGROUP to its handler while something propagates: XCLAIMs go out, never XREADGROUP", async () => {
    const units: string[] = [];
    const wp = nodis.server.writePath;
    const path = nodis.server.batchPath;
    const stop = wp.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map(String).join(" ")).join(" | ")));
    try {
      await mine.send([["FLUSHALL"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], ["XADD", "s", "1-1", "f", "v"], ["XADD", "s", "1-2", "f", "v"]]);
      units.length = 0;
      const before = path.commands;
      const replies = await mine.send([
        ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
      ]);
      expect(path.commands, "no XREADGROUP on the path").toBe(before);
      expect(replies[2].toString()).toBe("*-1\r\n");
      expect(units.map((u) => u.replace(/TIME \d+/, "TIME t"))).toEqual([
        "XCLAIM s g c 0 1-1 TIME t RETRYCOUNT 1 FORCE JUSTID LASTID 1-1",
        "XGROUP SETID s g 1-2 ENTRIESREAD 2",
      ]);
    } finally {
      stop();
    }
  });
  /** A raw connection that sends `setup` and keeps every byte the server sends it. */
  function listener(port: number, setup: Arg[][]): Promise<{ bytes: () => Buffer; close: () => void }> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, "127.0.0.1");
      const got: Buffer[] = [];
      sock.on("data", (d) => got.push(d));
      sock.on("error", reject);
      sock.on("connect", () => {
        sock.write(Buffer.concat(setup.map(encodeCommand)));
        resolve({ bytes: () => Buffer.concat(got), close: () => sock.destroy() });
      });
    });
  }

  it("answers PUBLISH with its receivers (patterns matched), delivers its messages as redis-server does and propagates it to replicas only; leaves it to its handler in MULTI", async () => {
    await both([["FLUSHALL"]]);
    const setups: Arg[][][] = [[["SUBSCRIBE", "ch", "other"]], [["HELLO", "3"], ["SUBSCRIBE", "ch"]]];
    const subs = { mine: await Promise.all(setups.map((c) => listener(nodis.port, c))), theirs: await Promise.all(setups.map((c) => listener(oracle.port, c))) };
    // What each heard after its subscriptions were confirmed (HELLO's reply differs: version, id).
    const from = { mine: [0, 0], theirs: [0, 0] };
    const heard = (which: "mine" | "theirs") => subs[which].map((l, i) => l.bytes().toString("latin1", from[which][i]));
    try {
      const ready = async (which: "mine" | "theirs") => {
        const h = await until(() => heard(which), (h) => h[0].split("subscribe").length === 3 && h[1].includes("subscribe"));
        from[which] = h.map((x) => x.length);
      };
      await ready("mine");
      await ready("theirs");
      const run: Arg[][] = [];
      for (let i = 0; i < 200; i++) run.push(["PUBLISH", i % 5 === 4 ? "other" : "ch", `m${i}`.repeat(1 + (i % 7))]);
      run.push(["publish", "nobody", "x"], ["PUBLISH", "ch", Buffer.alloc(40000, "b")], ["INCR", "n"], ["PUBLISH", "ch", ""], ["PUBLISH", "ch"]);
      const before = nodis.server.batchPath.commands;
      const [a, b] = await both(run);
      expect(a.map(String)).toEqual(b.map(String));
      expect(nodis.server.batchPath.commands - before, "commands run on the batch path").toBeGreaterThanOrEqual(200);
      // What each subscriber heard, in order, byte for byte, once each has heard what it should end with.
      const same = async (last: string[]) => {
        const [m, t] = await until(
          () => [heard("mine"), heard("theirs")],
          ([m, t]) => t.every((x, i) => x.includes(last[i])) && JSON.stringify(m) === JSON.stringify(t),
        );
        expect(t.every((x, i) => x.includes(last[i]))).toBe(true);
        expect(m).toEqual(t);
      };
      await same(["$0\r\n\r\n", "$0\r\n\r\n"]);
      // A read loop turn that ran a PUBLISH hands it to JavaScript at once (its messages go out this
      // turn): it never waits with the quiet turns, whose accounting may wait for the next command.
      for (let i = 0; i < 20; i++) {
        expect((await mine.send([["PUBLISH", "ch", `w${i}`], ["PUBLISH", "ch", `x${i}`]])).map(String)).toEqual([":2\r\n", ":2\r\n"]);
        expect(readsWaiting(), "events left waiting after a PUBLISH").toBe(0);
        await theirs.send([["PUBLISH", "ch", `w${i}`], ["PUBLISH", "ch", `x${i}`]]);
      }
      await same([`x19`, `x19`]);
      // Inline PUBLISH too.
      const inline = Buffer.from("PUBLISH ch inline1\r\nPUBLISH other inline2\r\n");
      const replies = await Promise.all([nodis.port, oracle.port].map((port) => sendInPieces(port, [inline], 8)));
      expect(replies[0].toString()).toBe(replies[1].toString());
      await same(["inline2", "inline1"]);

      // Patterns subscribed: their clients are counted where they match, and hear pmessages. (One
      // pattern per listener that a channel matches: Redis 7.2 walks its patterns in hash order.)
      const psubs: Arg[][][] = [[["PSUBSCRIBE", "c*", "nomatch*"]], [["PSUBSCRIBE", "?h"]]];
      const patterns = {
        mine: await Promise.all(psubs.map((c) => listener(nodis.port, c))),
        theirs: await Promise.all(psubs.map((c) => listener(oracle.port, c))),
      };
      const all = [...patterns.mine, ...patterns.theirs];
      for (const [i, l] of all.entries()) await until(() => l.bytes().toString().split("psubscribe").length, (n) => n === (i % 2 ? 2 : 3));
      const mark = nodis.server.batchPath.commands;
      const [e, f] = await both([["PUBLISH", "ch", "p1"], ["PUBLISH", "cx", "p2"], ["PUBLISH", "other", "p3"]]);
      expect(e.map(String)).toEqual([":4\r\n", ":1\r\n", ":1\r\n"]);
      expect(e.map(String)).toEqual(f.map(String));
      expect(nodis.server.batchPath.commands - mark).toBe(3);
      const pheard = (which: "mine" | "theirs") => patterns[which].map((l) => l.bytes().toString());
      const [pm, pt] = await until(
        () => [pheard("mine"), pheard("theirs")],
        ([m, t]) => t[0].includes("p2") && t[1].includes("p1") && JSON.stringify(m) === JSON.stringify(t),
      );
      expect(pt[0]).toContain("p2");
      expect(pm).toEqual(pt);
      await same(["p3", "p1"]);
      for (const l of all) l.close();
      await until(() => mine.call("PUBSUB", "NUMPAT").then(String), (n) => n === ":0\r\n");
      // A subscriber gone: counted no more.
      subs.mine[0].close();
      await until(() => mine.call("PUBSUB", "NUMSUB", "ch").then((r) => r.toString()), (r) => r.endsWith(":1\r\n"));
      const back = nodis.server.batchPath.commands;
      expect((await mine.send([["PUBLISH", "ch", "q"], ["PUBLISH", "other", "q"]])).map(String)).toEqual([":1\r\n", ":0\r\n"]);
      expect(nodis.server.batchPath.commands - back).toBe(2);

      // Propagating: replicas get PUBLISH (though it changes nothing), the AOF does not (targets 2: PROPAGATE_REPL).
      const units: string[] = [];
      const stop = nodis.server.writePath.onPropagate((ops: PropagatedOp[]) =>
        units.push(ops.map((o) => o.argv.map(String).join(" ") + (o.targets ? ` @${o.targets}` : "")).join(" | ")),
      );
      try {
        const mark = nodis.server.batchPath.commands;
        const replies = await mine.send([["PUBLISH", "ch", "r1"], ["INCR", "n"], ["PUBLISH", "nobody", "r2"]]);
        expect(replies.map(String)).toEqual([":1\r\n", ":2\r\n", ":0\r\n"]);
        expect(nodis.server.batchPath.commands - mark).toBe(3);
        expect(units).toEqual(["PUBLISH ch r1 @2", "INCR n", "PUBLISH nobody r2 @2"]);
        // The same from the handler (inside MULTI).
        units.length = 0;
        await mine.send([["MULTI"], ["PUBLISH", "ch", "r3"], ["EXEC"]]);
        expect(units.join(" | ")).toContain("PUBLISH ch r3 @2");
      } finally {
        stop();
      }
      // In MULTI: the usual way, replies as EXEC gives them.
      const [c, d] = await both([["MULTI"], ["PUBLISH", "nobody", "t"], ["INCR", "tx"], ["EXEC"]]);
      expect(c.map(String)).toEqual(d.map(String));
    } finally {
      for (const l of [...subs.mine, ...subs.theirs]) l.close();
    }
  });
});
