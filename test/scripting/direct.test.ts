/**
 * A script's engine commands run without crossing back to JavaScript
 * (native/src/lua/direct.rs) while nothing must see each command: the same
 * replies, errors, statistics, slowlog and MONITOR lines as redis-server, with
 * the path taken (its counter grows) and not taken (a client tracking in BCAST
 * mode: every change must be seen). Differential; the servers run without
 * keyspace events (the other scripting tests run with them).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { callStats, slowlogShape } from "../helpers/script-stats.js";
import { messagesDuring } from "../helpers/subscriber.js";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import net from "node:net";
import { encodeCommand, RespConnection, show, type Arg } from "../diff/resp.js";
import { waitFor } from "../helpers/wait.js";
import { directStats } from "../../src/scripting/bridge.js";
import type { RunningServer } from "../../src/index.js";

const ev = (script: string, ...rest: (string | number)[]): Arg[] => ["EVAL", script, ...(rest.length ? rest : [0]).map(String)];

/** Scripts over the commands the path runs, their errors, and those that must still cross. */
const SCRIPTS: Arg[][] = [
  ev("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", 1, "k", "v"),
  ev("return redis.call('set', 'k2', 'v')"),
  ev("return {redis.call('incr', 'n'), redis.call('incrby', 'n', 10), redis.call('decr', 'n')}"),
  ev("return {redis.call('expire', 'n', 100), redis.call('ttl', 'n'), redis.call('pexpire', 'n', 100000) , redis.call('persist', 'n'), redis.call('ttl', 'n')}"),
  ev("return {redis.call('expireat', 'n', 4000000000), redis.call('expiretime', 'n'), redis.call('pexpireat', 'n', 4000000000000), redis.call('pexpiretime', 'n')}"),
  ev("return {redis.call('ttl', 'nokey'), redis.call('pttl', 'nokey'), redis.call('persist', 'nokey'), redis.call('expire', 'nokey', 5)}"),
  ev("return redis.call('expire', 'n', 100, 'NX')"),
  ev("return redis.pcall('expire', 'n', 'soon')"),
  ev("return redis.pcall('expire', 'n', 100, 'BAD')"),
  ev("return redis.call('expire', 'n', -1)"),
  ev("redis.call('rpush', 'l', 'a', 'b', 'c') return {redis.call('type', 'l'), redis.call('type', 'k'), redis.call('type', 'nokey')}"),
  ev("return {redis.call('exists', 'k', 'l', 'k', 'nokey'), redis.call('del', 'k', 'nokey', 'k2'), redis.call('unlink', 'l', 'l')}"),
  ev("redis.call('hset', 'h', 'f', 'v', 'g', 'w') return redis.call('hgetall', 'h')"),
  ev("redis.call('zadd', 'z', 1.5, 'a', 2, 'b') return redis.call('zrange', 'z', 0, -1, 'withscores')"),
  ev("return redis.call('zscore', 'z', 'a')"),
  ev("return redis.call('get', 'nokey')"),
  ev("return redis.call('lpop', 'nolist')"),
  ev("return redis.pcall('incr', 'h')"),
  ev("return redis.pcall('lpush', 'h', 'x')"),
  ev("return redis.call('lpush', 'h', 'x')"),
  ev("return redis.pcall('get')"),
  ev("return redis.pcall('nosuchcommand', 'x')"),
  ev("return redis.pcall('hset', 'h', 'odd')"),
  ev("for i = 1, 3000 do redis.call('rpush', 'big', string.rep('x', 20) .. i) end return redis.call('lrange', 'big', 0, -1)"),
  ev("redis.call('select', 2) redis.call('set', 'in2', 'two') local v = redis.call('get', 'in2') redis.call('select', 0) return {v, redis.call('get', 'in2')}"),
  ev("redis.call('set', 'x', 'a') return redis.call('getrange', 'x', 0, -1)"),
  ev("redis.call('xadd', 's', '1-1', 'f', 'v') return redis.call('xrange', 's', '-', '+')"),
  ["EVAL_RO", "return redis.call('get', 'x')", "0"],
  ["EVAL_RO", "return redis.pcall('set', 'x', 'y')", "0"],
  ["EVAL_RO", "return redis.call('del', 'x')", "0"],
  ev("redis.setresp(3) return {redis.call('hgetall', 'h'), redis.call('get', 'nokey'), redis.call('zscore', 'z', 'a')}"),
];

describe.runIf(haveRedisServer())("scripting: engine commands without a crossing", () => {
  const pair = useServerPair({ events: false });
  let nodis: RunningServer;
  let mine: RespConnection;
  let theirs: RespConnection;
  beforeAll(() => {
    ({ nodis, mine, theirs } = pair);
  });

  const both = (cmds: Arg[][]) => pair.same(cmds);

  for (const resp of ["2", "3"]) {
    it(`gives Redis's replies and errors over RESP${resp}, through the path`, async () => {
      await Promise.all([mine.call("HELLO", resp), theirs.call("HELLO", resp)]);
      await both([["FLUSHALL"], ["SELECT", "0"]]);
      const before = directStats.commands;
      await both(SCRIPTS);
      expect(directStats.commands - before).toBeGreaterThan(3000);
      await both([ev("return {redis.call('get', 'k'), redis.call('hgetall', 'h'), redis.call('llen', 'big'), redis.call('dbsize')}"), ["SELECT", "2"], ["GET", "in2"], ["SELECT", "0"]]);
      await Promise.all([mine.call("HELLO", "2"), theirs.call("HELLO", "2")]);
    });
  }

  it("counts the script's commands, their failures and errors as Redis does", async () => {
    await both([["FLUSHALL"], ["CONFIG", "RESETSTAT"]]);
    await both(SCRIPTS);
    expect(await callStats(mine)).toEqual(await callStats(theirs));
  });

  it("logs a script's commands in the slowlog as Redis's Lua client, and shows them to MONITOR as lua", async () => {
    const script = ev("redis.call('set', KEYS[1], 'v') redis.pcall('incr', KEYS[1]) return redis.call('get', KEYS[1])", 1, "sk");
    const slow = async (c: RespConnection) => {
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await c.call("SLOWLOG", "RESET");
      await c.send([script]);
      const log = await c.call("SLOWLOG", "GET", "3");
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      return slowlogShape(log);
    };
    expect(await slow(mine)).toBe(await slow(theirs));

    const watch = async (port: number) => {
      const m = net.connect(port, "127.0.0.1");
      let text = "";
      const done = new Promise<void>((resolve) =>
        m.on("data", (d) => {
          text += d.toString("latin1");
          if (text.includes('"PING"')) resolve();
        }),
      );
      m.write(encodeCommand(["MONITOR"]));
      expect(await waitFor(() => text.startsWith("+OK"))).toBe(true);
      const c = await RespConnection.connect(port);
      await c.send([script, ["PING"]]);
      await done;
      m.destroy();
      c.close();
      // EVAL with the caller's address, then its commands as "lua"; timestamps and ports differ.
      return text
        .split("\r\n")
        .slice(1)
        .filter((l) => l !== "")
        .map((l) => l.replace(/^\+[\d.]+ /, "").replace(/127\.0\.0\.1:\d+/, "ADDR"));
    };
    expect(await watch(nodis.port)).toEqual(await watch(pair.oracle.port));
  });

  it("propagates what the path ran as the usual path does (the AOF's and replicas' units)", async () => {
    const scripts: Arg[][] = [
      ev("redis.call('set', 'a', '1') redis.call('incr', 'a') redis.call('get', 'a') return redis.call('del', 'a', 'nokey')"),
      ev("return redis.call('set', 'one', '1')"),
      ev("return redis.call('get', 'one')"),
      ev("redis.call('rpush', 'l', 'x', 'y') redis.call('expire', 'l', 100) redis.call('persist', 'l') return redis.call('lpop', 'l')"),
      ev("redis.call('select', 3) redis.call('set', 'x', '1') redis.call('select', 0) return redis.call('set', 'y', '2')"),
      ev("redis.call('set', 'q', '1') redis.set_repl(redis.REPL_NONE) redis.call('set', 'r', '1') redis.set_repl(redis.REPL_ALL) return redis.call('set', 's', '1')"),
      ev("redis.call('hset', 'h', 'f', 'v') redis.pcall('incr', 'h') return redis.call('hdel', 'h', 'f', 'g')"),
      ev("return redis.call('unlink', 'one', 'y')"),
      ev("for i = 1, 300 do redis.call('sadd', 'big', i) end return redis.call('scard', 'big')"),
    ];
    const units = async (events: boolean) => {
      await mine.call("FLUSHALL");
      await mine.call("CONFIG", "SET", "notify-keyspace-events", events ? "KEA" : "");
      // A BCAST tracking client turns the path off (every change is recorded).
      const bcast = await RespConnection.connect(nodis.port);
      if (events) await bcast.call("CLIENT", "TRACKING", "on", "BCAST");
      // A key past its time when the script reads it (active expiry off): its DEL goes out with the script.
      await mine.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      await mine.call("SET", "gone", "1", "PX", "5");
      const t0 = Date.now();
      await waitFor(() => Date.now() > t0 + 20);
      const seen: string[][] = [];
      const stop = nodis.server.writePath.onPropagate((unit) => seen.push(unit.map((o) => `${o.db} ${o.argv.map((a) => a.toString("latin1")).join(" ")}`)));
      const before = directStats.commands;
      try {
        await mine.send([...scripts, ev("return redis.call('get', 'gone')")]);
      } finally {
        stop();
        if (events) await bcast.call("CLIENT", "TRACKING", "off");
        bcast.close();
      }
      await mine.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      // PEXPIREAT's time is the run's own.
      return { seen: seen.map((u) => u.map((l) => l.replace(/PEXPIREAT l \d+/, "PEXPIREAT l T"))), direct: directStats.commands - before };
    };
    const off = await units(true);
    const on = await units(false);
    expect(off.direct).toBe(0);
    expect(on.direct).toBeGreaterThan(300);
    expect(on.seen).toEqual(off.seen);
    await mine.call("CONFIG", "SET", "notify-keyspace-events", "");
  });

  it("stays on while keyspace events listen, publishing the same events in the same order as redis-server", async () => {
    const traffic = [ev("return redis.call('publish', '__keyevent@0__:mine', 'first')"), ...SCRIPTS.slice(0, 14), ev("redis.call('set', 'p', 1) redis.call('publish', '__keyevent@0__:mine', 'between') return redis.call('del', 'p')")];
    const events = (conn: RespConnection, port: number) => messagesDuring(port, ["__key*__:*"], () => conn.send(traffic));
    await both([["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "KEA"]]);
    const before = directStats.commands;
    const [a, b] = await Promise.all([events(mine, nodis.port), events(theirs, pair.oracle.port)]);
    expect(directStats.commands - before).toBeGreaterThan(20);
    expect(a).toEqual(b);
    expect(a.filter((m) => m.includes("mine"))).toHaveLength(2);
    await both([["CONFIG", "SET", "notify-keyspace-events", ""]]);
  });
});
