/**
 * WATCH invalidation as Redis 7.2 does it: by any write to the key from any
 * client (the watcher too), by FLUSHDB/FLUSHALL and SWAPDB (only keys that
 * exist), by expiry (keys already expired when watched are no change when
 * deleted), per db; the watch table empties with EXEC, DISCARD, UNWATCH,
 * RESET and closing; EXEC's propagation as one MULTI/EXEC unit. Each scenario
 * states 7.2's EXEC replies and runs again against Debian's redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import { RespConnection } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { transactions } from "../../src/multi/transactions.js";

const PONG_EXEC = "*1\r\n+PONG\r\n";
const NIL_ARRAY = "*-1\r\n";

let srv: RunningServer;
useNodis({ "enable-debug-command": "yes" }, {}, (f) => ({ srv } = f));

/**
 * A step: a command on connection 0 or 1 (several joined by " ; " go as one
 * pipeline, so no time passes between them on a busy machine), or a wait
 * until the server's clock passed `ms` more milliseconds, or until the db is empty.
 */
type Step = [0 | 1, string] | ["wait", number] | ["empty"];

interface Scenario {
  name: string;
  steps: Step[];
  /** The replies of the steps that are EXEC, in order (Redis 7.2's). */
  execs: string[];
}

const STALE = (key: string): Step[] => [[0, "debug set-active-expire 0"], [0, `set ${key} foo px 1`], ["wait", 3]];

const SCENARIOS: Scenario[] = [
  { name: "a write from another client", steps: [[0, "set x 1"], [0, "watch x"], [1, "set x 2"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "a write by the watcher itself", steps: [[0, "set x 1"], [0, "watch x"], [0, "incr x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "another client's transaction", steps: [[0, "set x 1"], [0, "watch x"], [1, "multi"], [1, "incr x"], [1, "exec"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: ["*1\r\n:2\r\n", NIL_ARRAY] },
  { name: "MSET of one watched key among others", steps: [[0, "watch x"], [1, "mset a 1 x 2 b 3"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "RENAME onto a watched key", steps: [[0, "set a 1"], [0, "watch x"], [1, "rename a x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "a read does not break it", steps: [[0, "set x 1"], [0, "watch x"], [1, "get x"], [1, "exists x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "creating a watched missing key", steps: [[0, "watch x"], [1, "set x 1"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "deleting a watched key", steps: [[0, "set x 1"], [0, "watch x"], [1, "del x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "DEL of a missing key changes nothing", steps: [[0, "watch x"], [1, "del x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "1 key of 5 watched", steps: [[0, "set x 1"], [0, "watch a b x k z"], [1, "set x 2"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "EXPIRE of a watched key", steps: [[0, "set x 1"], [0, "watch x"], [1, "expire x 100"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  {
    name: "WATCH remembers the db of the key",
    steps: [[0, "select 5"], [0, "set x 1"], [0, "watch x"], [0, "select 1"], [0, "set x 2"], [0, "select 5"], [0, "multi"], [0, "ping"], [0, "exec"], [1, "select 5"], [0, "watch x"], [1, "set x 3"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "select 0"]],
    execs: [PONG_EXEC, NIL_ARRAY],
  },
  {
    name: "after EXEC, DISCARD and UNWATCH nothing is watched",
    steps: [
      [0, "set x 1"], [0, "watch x"], [0, "multi"], [0, "ping"], [0, "exec"], [1, "set x 2"], [0, "multi"], [0, "ping"], [0, "exec"],
      [0, "watch x"], [1, "set x 3"], [0, "multi"], [0, "ping"], [0, "exec"], [1, "set x 4"], [0, "multi"], [0, "ping"], [0, "exec"],
      [0, "watch x"], [1, "set x 5"], [0, "multi"], [0, "discard"], [0, "multi"], [0, "ping"], [0, "exec"],
      [0, "watch x"], [1, "set x 6"], [0, "unwatch"], [0, "multi"], [0, "ping"], [0, "exec"],
    ],
    execs: [PONG_EXEC, PONG_EXEC, NIL_ARRAY, PONG_EXEC, PONG_EXEC, PONG_EXEC],
  },
  { name: "FLUSHALL touches an existing watched key", steps: [[0, "set x 1"], [0, "watch x"], [1, "flushall"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "FLUSHALL does not touch a missing watched key", steps: [[0, "watch x"], [1, "flushall"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "FLUSHDB touches an existing watched key", steps: [[0, "set x 1"], [0, "watch x"], [0, "flushdb"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  { name: "FLUSHDB of another db does not", steps: [[0, "set x 1"], [0, "watch x"], [1, "select 2"], [1, "flushdb"], [1, "select 0"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "SWAPDB touches a watched key that exists", steps: [[0, "set x 1"], [0, "watch x"], [1, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  {
    name: "SWAPDB touches a watched key that the other db has",
    steps: [[1, "select 1"], [1, "set x 1"], [1, "select 0"], [0, "watch x"], [1, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"]],
    execs: [NIL_ARRAY],
  },
  { name: "SWAPDB of two dbs without the key does not", steps: [[0, "watch x"], [1, "swapdb 1 2"], [1, "swapdb 0 3"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  {
    name: "a watched key that expires after WATCH (never looked up)",
    steps: [[0, "debug set-active-expire 0"], [0, "set x 1 px 100 ; watch x"], ["wait", 102], [0, "multi"], [0, "incr x"], [0, "exec"]],
    execs: [NIL_ARRAY],
  },
  {
    name: "a watched key that expires and is looked up by another client",
    steps: [[0, "debug set-active-expire 0"], [0, "set x 1 px 100 ; watch x"], ["wait", 102], [1, "get x"], [0, "multi"], [0, "ping"], [0, "exec"]],
    execs: [NIL_ARRAY],
  },
  {
    name: "a watched key removed by active expiry",
    steps: [[0, "set x 1 px 100 ; watch x"], ["empty"], [0, "multi"], [0, "ping"], [0, "exec"]],
    execs: [NIL_ARRAY],
  },
  { name: "WATCH of a stale key does not fail EXEC", steps: [...STALE("x"), [0, "watch x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "deleting a watched stale key does not", steps: [...STALE("x"), [0, "watch x"], [1, "exists x"], [1, "del x"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  { name: "setting a watched stale key does", steps: [...STALE("x"), [0, "watch x"], [1, "set x bar"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [NIL_ARRAY] },
  {
    name: "a watched stale key deleted, then created",
    steps: [...STALE("x"), [0, "watch x"], [1, "exists x"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "watch x"], [1, "set x 1"], [0, "multi"], [0, "ping"], [0, "exec"]],
    execs: [PONG_EXEC, NIL_ARRAY],
  },
  {
    name: "FLUSHDB after the watched stale key was deleted does not; a key created since is touched",
    steps: [...STALE("x"), [0, "watch x"], [1, "exists x"], [1, "flushdb"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "watch y"], [0, "set z 1"], [1, "flushdb"], [0, "multi"], [0, "ping"], [0, "exec"]],
    execs: [PONG_EXEC, PONG_EXEC],
  },
  { name: "FLUSHDB while watching a stale key does not", steps: [...STALE("x"), [0, "watch x"], [0, "flushdb"], [0, "multi"], [0, "ping"], [0, "exec"]], execs: [PONG_EXEC] },
  {
    name: "SWAPDB: stale key replaced with nothing does not",
    steps: [[0, "select 1"], ...STALE("x"), [0, "watch x"], [0, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "select 0"]],
    execs: [PONG_EXEC],
  },
  {
    name: "SWAPDB: nothing replaced with a stale key does not",
    steps: [...STALE("x"), [0, "select 1"], [0, "watch x"], [0, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "select 0"]],
    execs: [PONG_EXEC],
  },
  {
    name: "SWAPDB: stale key replaced with another stale key does not",
    steps: [
      [0, "debug set-active-expire 0"], [0, "select 1"], [0, "set x foo px 1"], [0, "select 0"], [0, "set x bar px 1"], ["wait", 3],
      [0, "select 1"], [0, "watch x"], [0, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "select 0"],
    ],
    execs: [PONG_EXEC],
  },
  {
    name: "SWAPDB: stale key replaced with a live key does",
    steps: [[0, "select 1"], ...STALE("x"), [0, "select 0"], [0, "set x live"], [0, "select 1"], [0, "watch x"], [0, "swapdb 0 1"], [0, "multi"], [0, "ping"], [0, "exec"], [0, "select 0"]],
    execs: [NIL_ARRAY],
  },
];

/** The server's clock in ms (TIME). */
async function serverMs(c: RespConnection): Promise<number> {
  const t = (await c.call("time")).toString("latin1").split("\r\n");
  return Number(t[2]) * 1000 + Math.floor(Number(t[4]) / 1000);
}

/** Runs a scenario on a fresh pair of connections to `port`; returns every reply (waits show as "") and the EXEC replies. */
async function play(port: number, steps: Step[]): Promise<{ all: string[]; execs: string[] }> {
  const conns = [await RespConnection.connect(port), await RespConnection.connect(port)];
  const all: string[] = [];
  const execs: string[] = [];
  try {
    await conns[0].send([["flushall"], ["debug", "set-active-expire", "1"]]);
    for (const step of steps) {
      if (step[0] === "wait") {
        const until = (await serverMs(conns[1])) + step[1];
        while ((await serverMs(conns[1])) <= until) await new Promise((res) => setTimeout(res, 1));
        all.push("");
        continue;
      }
      if (step[0] === "empty") {
        for (let i = 0; i < 500 && (await conns[1].call("dbsize")).toString() !== ":0\r\n"; i++) await new Promise((res) => setTimeout(res, 10));
        all.push("");
        continue;
      }
      const [who, lines] = step;
      const cmds = lines.split(" ; ");
      const replies = await conns[who].send(cmds.map((l) => l.split(" ")));
      cmds.forEach((line, i) => {
        const reply = replies[i].toString("latin1");
        all.push(reply);
        if (line === "exec") execs.push(reply);
      });
    }
    await conns[0].call("debug", "set-active-expire", "1");
  } finally {
    for (const c of conns) c.close();
  }
  return { all, execs };
}

describe("WATCH is broken (or not) as in Redis 7.2", () => {
  for (const s of SCENARIOS) {
    it(s.name, async () => {
      expect((await play(srv.port, s.steps)).execs).toEqual(s.execs);
    });
  }
});

describe("the watch table", () => {
  it("empties when watching clients EXEC, UNWATCH, RESET or close, and while empty the engine is not asked for the watched keys' changes", async () => {
    const table = transactions(srv.server).watch;
    const wp = srv.server.writePath as unknown as { listening: Record<string, number> };
    const c = await RespConnection.connect(srv.port);
    await c.send([["watch", "a", "b", "a"]]);
    expect(table.size()).toBe(2);
    // The watched keys' changes alone ("waited"), not every key's: the batch path stays on.
    expect(wp.listening.waited).toBe(1);
    expect(wp.listening.keys).toBe(0);
    await c.send([["multi"], ["exec"]]);
    expect(table.size()).toBe(0);
    expect(wp.listening.waited).toBe(0);
    await c.send([["watch", "a"], ["unwatch"]]);
    expect(table.size()).toBe(0);
    await c.send([["watch", "a"], ["multi"], ["reset"]]);
    expect(table.size()).toBe(0);
    await c.send([["watch", "a", "b"], ["select", "3"], ["watch", "a"]]);
    expect(table.size()).toBe(3);
    c.close();
    for (let i = 0; i < 200 && table.size() > 0; i++) await new Promise((res) => setTimeout(res, 5));
    expect(table.size()).toBe(0);
    expect(wp.listening.waited).toBe(0);
  });
});

describe("propagation", () => {
  it("EXEC propagates its writes as one MULTI/EXEC unit, never itself", async () => {
    const units: string[][] = [];
    const hook = (ops: PropagatedOp[]) => units.push(ops.map((o) => `${o.db}:${o.argv.map((a) => a.toString()).join(" ")}`));
    const stop = srv.server.writePath.onPropagate(hook);
    const c = await RespConnection.connect(srv.port);
    try {
      await c.send([["flushall"], ["set", "pre", "1"]]);
      units.length = 0;
      const seq = async (...cmds: string[]) => {
        units.length = 0;
        await c.send(cmds.map((l) => l.split(" ")));
        return [...units];
      };
      expect(await seq("multi", "set a 1", "get a", "select 2", "set b 2", "exec", "select 0")).toEqual([
        ["-1:MULTI", "0:set a 1", "2:set b 2", "-1:EXEC"],
      ]);
      expect(await seq("multi", "set a 2", "get a", "exec")).toEqual([["0:set a 2"]]);
      expect(await seq("multi", "get a", "exec")).toEqual([]);
      expect(await seq("multi", "exec")).toEqual([]);
      expect(await seq("multi", "del nosuch", "exec", "incr n")).toEqual([["0:incr n"]]);
      expect(await seq("watch a", "set a 3", "multi", "set a 4", "exec")).toEqual([["0:set a 3"]]);
    } finally {
      c.close();
      stop();
    }
  });
});

describe.skipIf(!haveRedisServer())("WATCH scenarios: differential against redis-server", () => {
  let oracle: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    oracle = await startRedis();
  });
  afterAll(async () => {
    await oracle?.stop();
  });
  for (const s of SCENARIOS) {
    it(s.name, async () => {
      const theirs = await play(oracle.port, s.steps);
      expect(theirs.execs, "redis-server's EXEC replies").toEqual(s.execs);
      expect((await play(srv.port, s.steps)).all).toEqual(theirs.all);
    });
  }
});
