/**
 * EVALSHA, EVALSHA_RO, FCALL and FCALL_RO on the batch path (native/src/batch.rs
 * KIND_SCRIPT): a pipeline of them runs in one native call once each script
 * ran the usual way. Differential against redis-server: replies and errors
 * byte for byte (scripts that cross back for their commands included),
 * statistics, slowlog, keyspace events in order, a client blocked on a key a
 * script pushes to; and the cases that must leave the path (a changed library,
 * SCRIPT FLUSH, a write script from *_RO, a busy script that must be killable).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callStats, slowlogShape } from "../helpers/script-stats.js";
import { messagesDuring } from "../helpers/subscriber.js";
import { haveRedisServer, startNodis } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

const sha = (body: string) => createHash("sha1").update(body).digest("hex");

/** Script bodies: engine commands (no crossing), commands that cross back, errors, RESP3, db changes. */
const BODIES = {
  setget: "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
  incr: "local v = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) return v",
  list: "redis.call('rpush', KEYS[1], unpack(ARGV)) return redis.call('lrange', KEYS[1], 0, -1)",
  hash: "redis.call('hset', KEYS[1], 'f', ARGV[1], 'g', 'w') return redis.call('hgetall', KEYS[1])",
  zset: "redis.call('zadd', KEYS[1], 1.5, 'a', 2, 'b') return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
  nothing: "return redis.call('get', 'nokey')",
  table: "return {1, 'two', {3, false}, redis.status_reply('OK'), 3.99}",
  pcallErr: "return redis.pcall('incr', KEYS[1])",
  callErr: "return redis.call('lpush', KEYS[1], 'x')",
  unknown: "return redis.pcall('nosuchcommand', 'x')",
  arity: "return redis.pcall('get')",
  raise: "error('boom')",
  errorReply: "return redis.error_reply('MY failure')",
  argType: "return redis.call('get', {})",
  publish: "redis.call('set', KEYS[1], 'p') local n = redis.call('publish', 'chan', ARGV[1]) return {n, redis.call('del', KEYS[1])}",
  crossing: "redis.call('set', KEYS[1], 'abc') return {redis.call('object', 'encoding', KEYS[1]), redis.call('type', KEYS[1]), redis.call('getrange', KEYS[1], 0, 1)}",
  sort: "redis.call('sadd', KEYS[1], 'c', 'a', 'b') return redis.call('sort', KEYS[1], 'by', 'nosort')",
  select: "redis.call('select', 2) redis.call('set', 'in2', 'two') local v = redis.call('get', 'in2') redis.call('select', 0) return {v, redis.call('get', 'in2')}",
  resp3: "redis.setresp(3) return {redis.call('hgetall', KEYS[1]), redis.call('get', 'nokey'), redis.call('zscore', 'zz', 'a')}",
  many: "for i = 1, 300 do redis.call('sadd', KEYS[1], i) end return redis.call('scard', KEYS[1])",
  keys: "return {#KEYS, #ARGV, KEYS[1], ARGV[1]}",
  readonly: "return redis.call('set', KEYS[1], 'x')",
  noWrites: "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
  writeFlag: "#!lua\nreturn redis.call('set', KEYS[1], 'flagged')",
} as const;

const LIBRARY =
  "#!lua name=blib\n" +
  "redis.register_function('bset', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('get', keys[1]) end)\n" +
  "redis.register_function{function_name='bget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\n" +
  "redis.register_function('bfail', function(keys) return redis.call('incr', keys[1]) end)";

const evalsha = (name: keyof typeof BODIES, keys: string[] = [], args: string[] = []): Arg[] => ["EVALSHA", sha(BODIES[name]), String(keys.length), ...keys, ...args];

/** A pipeline over every body (run it twice: the first run registers the scripts), with the keys' state changing. */
function pipeline(round: number): Arg[][] {
  const cmds: Arg[][] = [];
  {
    cmds.push(
      evalsha("setget", ["k"], [`v${round}`]),
      evalsha("incr", ["n"]),
      evalsha("list", ["l"], ["a", "b"]),
      evalsha("hash", ["h"], ["x"]),
      evalsha("zset", ["zz"]),
      evalsha("nothing"),
      evalsha("table"),
      evalsha("pcallErr", ["h"]),
      evalsha("callErr", ["h"]),
      evalsha("unknown"),
      evalsha("arity"),
      evalsha("raise"),
      evalsha("errorReply"),
      evalsha("argType"),
      evalsha("publish", ["pk"], ["msg"]),
      evalsha("crossing", ["s"]),
      evalsha("sort", ["st"]),
      evalsha("select"),
      evalsha("resp3", ["h"]),
      evalsha("many", ["big"]),
      evalsha("keys", ["a", "b"], ["c"]),
      ["EVALSHA", sha(BODIES.setget).toUpperCase(), "1", "upper", "U"],
      ["EVALSHA_RO", sha(BODIES.readonly), "1", "ro"],
      ["EVALSHA_RO", sha(BODIES.noWrites), "1", "k"],
      ["EVALSHA_RO", sha(BODIES.writeFlag), "1", "wf"],
      evalsha("writeFlag", ["wf"]),
      evalsha("noWrites", ["k"]),
      ["EVALSHA", sha(BODIES.keys), "abc"],
      ["EVALSHA", sha(BODIES.keys), "-1"],
      ["EVALSHA", sha(BODIES.keys), "3", "a"],
      ["EVALSHA", sha(BODIES.keys), "01", "a"],
      ["EVALSHA", "0".repeat(40), "0"],
      ["EVALSHA", "short", "0"],
      ["FCALL", "bset", "1", "fk", "fv"],
      ["FCALL", "BSET", "1", "fk", "fv2"],
      ["FCALL_RO", "bget", "1", "fk"],
      ["FCALL_RO", "bset", "1", "fk", "x"],
      ["FCALL", "bfail", "1", "h"],
      ["FCALL", "nosuchfn", "0"],
      ["FCALL", "bget", "x", "fk"],
      ["GET", "k"],
      ["LLEN", "l"],
    );
  }
  return cmds;
}

describe.runIf(haveRedisServer())("scripting: EVALSHA and FCALL on the batch path", () => {
  const pair = useServerPair({ events: false });

  async function load(): Promise<void> {
    for (const c of [pair.mine, pair.theirs]) {
      await c.call("SCRIPT", "FLUSH");
      for (const body of Object.values(BODIES)) await c.call("SCRIPT", "LOAD", body);
      await c.call("FUNCTION", "LOAD", "REPLACE", LIBRARY);
    }
  }

  const both = (cmds: Arg[][]) => pair.same(cmds);

  const batched = () => pair.nodis.server.batchPath.commands;

  for (const resp of ["2", "3"]) {
    it(`gives Redis's replies and errors over RESP${resp}, scripts after their first run taking the path`, async () => {
      await Promise.all([pair.mine.call("HELLO", resp), pair.theirs.call("HELLO", resp)]);
      await pair.reset();
      await load();
      await both(pipeline(0));
      const before = batched();
      await both(pipeline(1));
      // Of its 42 commands, those the usual way need not answer ran on the path.
      expect(batched() - before).toBeGreaterThan(25);
      await both([["GET", "in2"], ["SELECT", "2"], ["GET", "in2"], ["SELECT", "0"], ["SCARD", "st"], ["SCARD", "big"], ["GET", "fk"], ["GET", "upper"]]);
      await Promise.all([pair.mine.call("HELLO", "2"), pair.theirs.call("HELLO", "2")]);
    });
  }

  it("counts the scripts, their commands, failures and errors as Redis does", async () => {
    await pair.reset();
    await load();
    await both([["CONFIG", "RESETSTAT"]]);
    await both(pipeline(0));
    await both(pipeline(1));
    expect(await callStats(pair.mine)).toEqual(await callStats(pair.theirs));
  });

  it("logs the scripts and their commands in the slowlog as Redis does", async () => {
    await load();
    const slow = async (c: RespConnection) => {
      await c.send([evalsha("setget", ["sk"], ["1"]), ["FCALL", "bset", "1", "sk", "2"]]);
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await c.call("SLOWLOG", "RESET");
      await c.send([evalsha("setget", ["sk"], ["1"]), ["FCALL", "bset", "1", "sk", "2"], evalsha("pcallErr", ["sk"])]);
      const log = await c.call("SLOWLOG", "GET", "20");
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      return slowlogShape(log);
    };
    expect(await slow(pair.mine)).toBe(await slow(pair.theirs));
  });

  it("publishes the scripts' keyspace events and messages in the order they ran", async () => {
    await load();
    const traffic = [evalsha("setget", ["e1"], ["v"]), evalsha("publish", ["e2"], ["first"]), ["SET", "plain", "1"], evalsha("many", ["e3"]), evalsha("publish", ["e4"], ["second"]), ["PUBLISH", "chan", "third"], evalsha("incr", ["e5"])];
    const events = (conn: RespConnection, port: number) => messagesDuring(port, ["__key*__:*", "chan"], () => conn.send(traffic));
    await both([["CONFIG", "SET", "notify-keyspace-events", "KEA"]]);
    try {
      const [a, b] = await Promise.all([events(pair.mine, pair.nodis.port), events(pair.theirs, pair.oracle.port)]);
      expect(a.length).toBeGreaterThan(300);
      expect(a).toEqual(b);
    } finally {
      await both([["CONFIG", "SET", "notify-keyspace-events", ""]]);
    }
  });

  it("serves a client blocked on a key a script pushes to before the commands after the script", async () => {
    await load();
    const run = async (conn: RespConnection, port: number) => {
      await conn.call("DEL", "q");
      const waiter = await RespConnection.connect(port);
      try {
        const popped = waiter.call("BLPOP", "q", "0");
        await until(
          () => conn.call("CLIENT", "LIST"),
          (r) => r.toString().includes("cmd=blpop"),
        );
        const replies = await conn.send([evalsha("list", ["q"], ["one", "two"]), ["LRANGE", "q", "0", "-1"], evalsha("list", ["q"], ["three"])]);
        return [...replies.map(String), String(await popped)];
      } finally {
        waiter.close();
      }
    };
    // A first run of the script registers it for the path.
    await both([evalsha("list", ["warm"], ["x"])]);
    const before = batched();
    const [a, b] = await Promise.all([run(pair.mine, pair.nodis.port), run(pair.theirs, pair.oracle.port)]);
    expect(a).toEqual(b);
    expect(batched() - before).toBeGreaterThanOrEqual(2);
  });

  it("leaves the path when the scripts or the libraries change, and for a transaction", async () => {
    await load();
    const newLib = LIBRARY.replace("redis.call('get', keys[1]) end)\n", "'replaced' end)\n");
    await both([
      evalsha("setget", ["c"], ["1"]),
      evalsha("setget", ["c"], ["2"]),
      ["FCALL", "bset", "1", "c", "3"],
      ["FCALL", "bset", "1", "c", "4"],
      ["FUNCTION", "LOAD", "REPLACE", newLib],
      ["FCALL", "bset", "1", "c", "5"],
      ["FUNCTION", "DELETE", "blib"],
      ["FCALL", "bset", "1", "c", "6"],
      ["SCRIPT", "FLUSH"],
      evalsha("setget", ["c"], ["7"]),
      ["SCRIPT", "LOAD", BODIES.setget],
      evalsha("setget", ["c"], ["8"]),
      evalsha("setget", ["c"], ["9"]),
      ["MULTI"],
      evalsha("setget", ["c"], ["10"]),
      ["GET", "c"],
      ["EXEC"],
      ["GET", "c"],
    ]);
  });
});

describe("scripting: a busy script the batch path started", () => {
  let srv: RunningServer;
  let conn: RespConnection;
  let other: RespConnection;
  const body = "local n = tonumber(ARGV[1]) local i = 0 while n < 0 or i < n do i = i + 1 end return i";

  beforeAll(async () => {
    srv = await startNodis({ "busy-reply-threshold": "50" });
    conn = await RespConnection.connect(srv.port);
    other = await RespConnection.connect(srv.port);
  });
  afterAll(async () => {
    conn?.close();
    other?.close();
    await srv?.close();
  });

  it("answers others -BUSY until SCRIPT KILL, then its caller's next commands run", async () => {
    const s = sha(body);
    await conn.call("SCRIPT", "LOAD", body);
    expect(show(await conn.call("EVALSHA", s, "0", "10"))).toBe(show(":10\r\n"));
    const before = srv.server.batchPath.commands;
    const replies = conn.send([
      ["SET", "a", "1"],
      ["EVALSHA", s, "0", "-1"],
      ["GET", "a"],
      ["EVALSHA", s, "0", "5"],
    ]);
    const busy = await until(
      () => other.call("PING"),
      (r) => r.toString().startsWith("-BUSY"),
    );
    expect(show(busy)).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
    expect(show(await other.call("FUNCTION", "KILL"))).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
    expect(show(await other.call("SCRIPT", "KILL"))).toBe(show("+OK\r\n"));
    const got = (await replies).map((r) => r.toString());
    expect(got[0]).toBe("+OK\r\n");
    expect(got[1]).toBe(`-ERR Script killed by user with SCRIPT KILL... script: ${s}, on @user_script:1.\r\n`);
    expect(got.slice(2)).toEqual(["$1\r\n1\r\n", ":5\r\n"]);
    // SET and the busy EVALSHA ran on the path (the script counted once its run ended).
    expect(srv.server.batchPath.commands - before).toBeGreaterThanOrEqual(1);
    expect(show(await other.call("PING"))).toBe(show("+PONG\r\n"));
    const stats = (await other.call("INFO", "commandstats")).toString();
    expect(stats).toMatch(/cmdstat_evalsha:calls=3,.*failed_calls=1/);
  });
});
