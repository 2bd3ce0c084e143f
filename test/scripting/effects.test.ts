/**
 * What scripts do to the rest of the server: their writes propagate as one
 * MULTI/EXEC unit (or alone, or not at all with redis.set_repl), keyspace
 * events fire for their commands, and a script past busy-reply-threshold
 * leaves the server answering others with -BUSY until it ends or is killed.
 */
import { describe, expect, it } from "vitest";
import { useRecordedNodis } from "../helpers/recorded.js";
import { RespConnection, show } from "../diff/resp.js";
import { until } from "../helpers/wait.js";

describe("scripting: propagation and keyspace events", () => {
  const rec = useRecordedNodis();

  it("propagates a script's writes as one MULTI/EXEC unit, in the db they ran in", async () => {
    await rec.conn.call("FLUSHALL");
    rec.clear();
    await rec.conn.call("EVAL", "redis.call('set', KEYS[1], 'a') redis.call('incr', 'n') redis.call('get', KEYS[1])", "1", "k");
    expect(rec.units).toEqual([["MULTI", "set k a", "incr n", "EXEC"]]);
    rec.clear();
    await rec.conn.call("EVAL", "return redis.call('set', 'one', '1')", "0");
    expect(rec.units).toEqual([["set one 1"]]);
    rec.clear();
    await rec.conn.call("EVAL", "return redis.call('get', 'one')", "0");
    expect(rec.units).toEqual([]);
    const ops: { db: number; argv: string }[] = [];
    const stop = rec.srv.server.writePath.onPropagate((unit) => ops.push(...unit.map((o) => ({ db: o.db, argv: o.argv.join(" ") }))));
    try {
      await rec.conn.call("EVAL", "redis.call('select', 3) redis.call('set', 'x', '1') redis.call('select', 0) redis.call('set', 'y', '2')", "0");
    } finally {
      stop();
    }
    expect(ops).toEqual([
      { db: -1, argv: "MULTI" },
      { db: 3, argv: "set x 1" },
      { db: 0, argv: "set y 2" },
      { db: -1, argv: "EXEC" },
    ]);
  });

  it("propagates nothing after redis.set_repl(redis.REPL_NONE), and again after REPL_ALL", async () => {
    rec.clear();
    await rec.conn.call("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', 'a', '1') redis.set_repl(redis.REPL_ALL) redis.call('set', 'b', '2')", "0");
    expect(rec.units).toEqual([["set b 2"]]);
  });

  it("propagates FUNCTION LOAD and DELETE and the writes of FCALL", async () => {
    rec.clear();
    const code = "#!lua name=plib\nredis.register_function('pset', function(keys, args) return redis.call('set', keys[1], args[1]) end)";
    await rec.conn.call("FUNCTION", "LOAD", code);
    await rec.conn.call("FCALL", "pset", "1", "fk", "fv");
    await rec.conn.call("FUNCTION", "DELETE", "plib");
    expect(rec.units).toEqual([[`FUNCTION LOAD ${code}`], ["set fk fv"], ["FUNCTION DELETE plib"]]);
  });

  it("fires keyspace events for a script's commands", async () => {
    await rec.conn.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const sub = await RespConnection.connect(rec.srv.port);
    try {
      await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
      await rec.conn.call("EVAL", "redis.call('set', 'ev', '1') redis.call('expire', 'ev', 100) redis.call('del', 'ev')", "0");
      // The three events arrived before the replies to these PINGs: they are the first three "replies".
      const got = (await sub.send([["PING"], ["PING"], ["PING"], ["PING"]])).map((b) => b.toString());
      expect(got.slice(0, 3).map((m) => m.split("\r\n")[6])).toEqual(["__keyevent@0__:set", "__keyevent@0__:expire", "__keyevent@0__:del"]);
    } finally {
      sub.close();
      await rec.conn.call("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});

describe("scripting: busy scripts", () => {
  const rec = useRecordedNodis();

  it("answers others -BUSY past busy-reply-threshold, and SCRIPT KILL ends a script that has not written", async () => {
    const other = await RespConnection.connect(rec.srv.port);
    try {
      await rec.conn.call("CONFIG", "SET", "busy-reply-threshold", "50");
      const slow = rec.conn.call("EVAL", "local i = 0 while true do i = i + 1 end", "0");
      const busy = await until(() => other.call("PING"), (r) => r.toString().startsWith("-BUSY"));
      expect(show(busy)).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
      expect(show(await other.call("FUNCTION", "KILL"))).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
      expect(show(await other.call("SHUTDOWN"))).toBe(show("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"));
      expect(show(await other.call("SCRIPT", "KILL"))).toBe(show("+OK\r\n"));
      expect((await slow).toString()).toMatch(/^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
      expect(show(await other.call("PING"))).toBe(show("+PONG\r\n"));
      expect(show(await other.call("SCRIPT", "KILL"))).toBe(show("-NOTBUSY No scripts in execution right now.\r\n"));
    } finally {
      other.close();
    }
  });

  it("refuses to kill a script that wrote, and its writes go out as one unit when it ends", async () => {
    const other = await RespConnection.connect(rec.srv.port);
    try {
      await rec.conn.call("CONFIG", "SET", "busy-reply-threshold", "50");
      rec.clear();
      const slow = rec.conn.call("EVAL", "redis.call('set', 'w', '1') local t = redis.call('time')[1] local i = 0 while i < 3e7 do i = i + 1 end redis.call('set', 'w2', '2') return i", "0");
      await until(() => other.call("PING"), (r) => r.toString().startsWith("-BUSY"));
      expect((await other.call("SCRIPT", "KILL")).toString()).toMatch(/^-UNKILLABLE Sorry the script already executed write commands/);
      expect(show(await slow)).toBe(show(":30000000\r\n"));
      expect(rec.units).toEqual([["MULTI", "set w 1", "set w2 2", "EXEC"]]);
      expect(show(await other.call("GET", "w2"))).toBe(show("$1\r\n2\r\n"));
    } finally {
      other.close();
    }
  });

  it("kills a function with FUNCTION KILL, even looping inside pcall", async () => {
    const other = await RespConnection.connect(rec.srv.port);
    try {
      await rec.conn.call("CONFIG", "SET", "busy-reply-threshold", "50");
      await rec.conn.call("FUNCTION", "LOAD", "REPLACE", "#!lua name=spin\nredis.register_function('spin', function() local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end end)");
      const slow = rec.conn.call("FCALL", "spin", "0");
      const busy = await until(() => other.call("PING"), (r) => r.toString().startsWith("-BUSY"));
      expect(show(busy)).toBe(show("-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"));
      const stats = (await other.call("FUNCTION", "STATS")).toString();
      expect(stats).toContain("spin");
      expect(show(await other.call("SCRIPT", "KILL"))).toBe(show("-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"));
      expect(show(await other.call("FUNCTION", "KILL"))).toBe(show("+OK\r\n"));
      expect((await slow).toString()).toContain("Script killed by user with SCRIPT KILL...");
      expect(show(await other.call("PING"))).toBe(show("+PONG\r\n"));
    } finally {
      other.close();
      await rec.conn.call("CONFIG", "SET", "busy-reply-threshold", "5000");
    }
  });
});
