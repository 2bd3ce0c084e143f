/**
 * EVALSHA, EVALSHA_RO, FCALL and FCALL_RO on the batch path (native/src/batch.rs
 * KIND_SCRIPT): a pipeline of them runs in one native call once each script
 * ran the usual way. Differential against redis-server: replies and errors
 * byte for byte (scripts that cross back for their commands included),
 * statistics, slowlog, keyspace events in order, a client blocked on a key a
 * script pushes to; and the cases that must leave the path (a changed library,
 * SCRIPT FLUSH, a write script from *_RO, a busy script that must be killable).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callStats, slowlogShape } from "../helpers/script-stats.js";
import { BODIES, LIBRARY, evalsha, loadScripts, pipeline, sha } from "../helpers/script-bodies.js";
import { messagesDuring } from "../helpers/subscriber.js";
import { oneByOne } from "../helpers/one-by-one.js";
import { haveRedisServer, startNodis } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

/**
 * How a test sends its commands: pipelined (a read of many commands: the batch
 * path TypeScript starts), or one a read, each reply awaited (the read loop
 * runs a read that is one script command); and the count of commands that
 * way ran.
 */
interface Way {
  name: string;
  send(c: RespConnection, cmds: Arg[][]): Promise<Buffer[]>;
  ran(s: RunningServer): number;
}
const WAYS: Way[] = [
  { name: "pipelined, on the batch path", send: (c, cmds) => c.send(cmds), ran: (s) => s.server.batchPath.commands },
  { name: "one a read, in the read loop", send: oneByOne, ran: (s) => s.server.batchPath.loopCommands },
];

describe.runIf(haveRedisServer()).each(WAYS)("scripting: EVALSHA and FCALL $name", (way) => {
  const pair = useServerPair({ events: false });

  const load = () => loadScripts([pair.mine, pair.theirs]);

  async function both(cmds: Arg[][]): Promise<void> {
    const [a, b] = await Promise.all([way.send(pair.mine, cmds), way.send(pair.theirs, cmds)]);
    cmds.forEach((argv, i) => expect(show(a[i]), `${i}: ${argv.map(String).join(" ").slice(0, 160)}`).toBe(show(b[i])));
  }

  const batched = () => way.ran(pair.nodis);

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
      await way.send(c, [evalsha("setget", ["sk"], ["1"]), ["FCALL", "bset", "1", "sk", "2"]]);
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await c.call("SLOWLOG", "RESET");
      await way.send(c, [evalsha("setget", ["sk"], ["1"]), ["FCALL", "bset", "1", "sk", "2"], evalsha("pcallErr", ["sk"]), evalsha("crossing", ["sk2"])]);
      const log = await c.call("SLOWLOG", "GET", "20");
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      return slowlogShape(log);
    };
    expect(await slow(pair.mine)).toBe(await slow(pair.theirs));
  });

  it("publishes the scripts' keyspace events and messages in the order they ran", async () => {
    await load();
    const traffic = (k: string): Arg[][] => [evalsha("setget", [`${k}1`], ["v"]), evalsha("publish", [`${k}2`], ["first"]), ["SET", "plain", "1"], evalsha("many", [`${k}3`]), evalsha("publish", [`${k}4`], ["second"]), ["PUBLISH", "chan", "third"], evalsha("incr", [`${k}5`])];
    const events = (conn: RespConnection, port: number) => messagesDuring(port, ["__key*__:*", "chan"], () => way.send(conn, traffic("e")));
    // A first run registers the scripts (SCRIPT LOAD does not).
    await both(traffic("warm"));
    await both([["CONFIG", "SET", "notify-keyspace-events", "KEA"]]);
    try {
      const before = batched();
      const [a, b] = await Promise.all([events(pair.mine, pair.nodis.port), events(pair.theirs, pair.oracle.port)]);
      expect(a.length).toBeGreaterThan(300);
      expect(a).toEqual(b);
      expect(batched() - before).toBeGreaterThanOrEqual(7);
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
        const replies = await way.send(conn, [evalsha("list", ["q"], ["one", "two"]), ["LRANGE", "q", "0", "-1"], evalsha("list", ["q"], ["three"])]);
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

describe("scripting: a busy script the batch path or the read loop started", () => {
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

  it("started by the read loop (a read that is only its EVALSHA): -BUSY for others, SCRIPT KILL, then its caller's next command", async () => {
    const s = sha(body);
    await conn.call("CONFIG", "RESETSTAT");
    await conn.call("SCRIPT", "LOAD", body);
    expect(show(await conn.call("EVALSHA", s, "0", "10"))).toBe(show(":10\r\n"));
    expect(show(await conn.call("EVALSHA", s, "0", "10"))).toBe(show(":10\r\n"));
    const suspended = srv.server.batchPath.suspendedInLoop;
    const reply = conn.call("EVALSHA", s, "0", "-1");
    const busy = await until(
      () => other.call("PING"),
      (r) => r.toString().startsWith("-BUSY"),
    );
    expect(show(busy)).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
    expect(srv.server.batchPath.suspendedInLoop).toBe(suspended + 1);
    expect(show(await other.call("SCRIPT", "KILL"))).toBe(show("+OK\r\n"));
    expect((await reply).toString()).toBe(`-ERR Script killed by user with SCRIPT KILL... script: ${s}, on @user_script:1.\r\n`);
    expect(show(await conn.call("EVALSHA", s, "0", "5"))).toBe(show(":5\r\n"));
    expect(show(await other.call("PING"))).toBe(show("+PONG\r\n"));
    const stats = (await other.call("INFO", "commandstats")).toString();
    expect(stats).toMatch(/cmdstat_evalsha:calls=4,.*failed_calls=1/);
  });
});
