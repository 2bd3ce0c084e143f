/**
 * The list type against redis-server: replies and errors byte for byte (RESP2
 * and RESP3), seeded random sequences that cross the listpack/quicklist
 * limits ending with equal DEBUG DIGESTs, the keyspace events, what the pops
 * propagate, and the encodings Redis 7.2 gives (stated here: Debian's 7.0
 * has no listpack lists; with a Redis 7.2 binary at REDIS72 or
 * /tmp/redis72/src/redis-server the node shapes are compared with it too).
 *
 * NODIS_DIFF_SEED replays seeds.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS72, haveRedisServer, startNodis, startRedis, useNodis } from "../helpers/nodis.js";
import { expectSameReplies } from "../helpers/oracle.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { Subscriber } from "../helpers/subscriber.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import type { RunningServer } from "../../src/index.js";
import type { PropagatedOp } from "../../src/server/write-path.js";

const SEEDS = seedsFromEnv([1, 7, 42, 2024]);

/** Two servers and a connection to each, for a describe block. */
function usePair(oracleBin?: string, config: Record<string, string> = {}) {
  const pair = {} as { nodis: RunningServer; oracle: { port: number; stop(): Promise<void> }; a: RespConnection; b: RespConnection };
  beforeAll(async () => {
    const extra = Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]);
    pair.oracle = await startRedis(extra, oracleBin);
    pair.nodis = await startNodis({ "enable-debug-command": "yes", ...config });
    pair.a = await RespConnection.connect(pair.nodis.port);
    pair.b = await RespConnection.connect(pair.oracle.port);
  });
  afterAll(async () => {
    pair.a?.close();
    pair.b?.close();
    await pair.nodis?.close();
    await pair.oracle?.stop();
  });
  return pair;
}

const split = (lines: string): string[][] =>
  lines
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" "));

/** Every command's replies and errors, none of them blocking (every blocking pop finds an element or fails on its arguments). */
const FIXED = split(`
  rpush l a b c 1 2 3
  lrange l 0 -1
  lpop l
  lpop l 0
  lpop l 2
  lpop l -1
  lpop l a
  lpop l 1 2
  rpop l 10
  exists l
  lpop nosuch
  lpop nosuch 2
  rpop nosuch 0
  rpush l 1 2 3 2 1
  lpos l 2
  lpos l 2 rank -1
  lpos l 2 count 0
  lpos l 2 rank 0
  lpos l 2 rank 2 count 2 maxlen 0
  lpos l 2 count -1
  lpos l 2 count a
  lpos l 2 maxlen -1
  lpos l 2 maxlen 2 count 0
  lpos l 9
  lpos l 9 count 1
  lpos nosuch 9 count 1
  lpos nosuch 9
  lpos l 2 bogus
  lpos l 2 rank
  lindex l 0
  lindex l -1
  lindex l 99
  lindex l x
  lindex nosuch x
  lset l 0 z
  lset l 99 z
  lset nosuch 0 z
  lset l x z
  linsert l before 2 X
  linsert l AFTER 1 Y
  linsert l middle 1 Y
  linsert l before nosuch Y
  linsert nosuch before 1 Y
  lrange l 0 -1
  lrem l 0 2
  lrem l -1 1
  lrem l x 1
  lrem nosuch 1 1
  ltrim l 1 -2
  ltrim l x 1
  ltrim nosuch 0 1
  lrange l 0 -1
  ltrim l 5 1
  exists l
  rpush s a b c
  lmove s d left right
  lmove s d RIGHT left
  lmove s d up left
  lmove s d left up
  lrange d 0 -1
  rpoplpush s s
  rpush one a
  rpoplpush one one
  lmove one one left right
  lrange one 0 -1
  rpoplpush nosuch d
  set str x
  lmove s str left left
  lmove str s left left
  lpush str x
  rpushx str x
  llen str
  lrange str 0 1
  lmpop 0 s left
  lmpop 1 s
  lmpop 1 s up
  lmpop 1 nosuch s left count 0
  lmpop 2 nosuch s left count 5
  lmpop 2 nosuch s left count 5 count 3
  lmpop 1 nosuch left
  lmpop 2 str s left
  lmpop 2 nosuch s left count
  lmpop 9223372036854775807 s left
  rpush s a b c d e
  lmpop 1 s right count 2
  blpop nosuch s 0
  blpop s -1
  blpop s abc
  blpop s -inf
  blpop s nan
  blpop str 0
  brpop s 0.1
  blmove s d left left x
  blmove s d left up 0
  blmove nosuch d left left -1
  blmove s d right left 0
  rpush s x y z
  blmove s str right left 0
  brpoplpush nosuch d a
  brpoplpush s d 0
  blmpop 0 0 s left
  blmpop a 1 s left
  blmpop -1 1 s left
  blmpop 0 1 s left count 0
  blmpop 0 1 s left count -1
  blmpop 0 1 s
  blmpop x 1 s left
  rpush s q r
  blmpop 0 1 s right count 5
  lpushx nosuch a
  rpushx d a b
  llen d
  llen nosuch
  lrange d 0 -1
  lrange d a b
  lrange nosuch a b
  lrange nosuch 0 1
  lrange d -100 100
  lrange d 2 1
  lrange d -1 -2
`);

describe.skipIf(!haveRedisServer())("list commands against redis-server", () => {
  const p = usePair();

  it("answers every command, error and edge case as Redis (RESP2)", async () => {
    await expectSameReplies(p.a, p.b, FIXED);
  });

  it("answers in RESP3 shapes as Redis", async () => {
    const [a, b] = await Promise.all([RespConnection.connect(p.nodis.port), RespConnection.connect(p.oracle.port)]);
    try {
      await a.call("HELLO", "3");
      await b.call("HELLO", "3");
      await expectSameReplies(a, b, FIXED);
    } finally {
      a.close();
      b.close();
    }
  });

  it("answers blocking pops that cannot block (in MULTI) as Redis: null arrays, null bulks for BLMOVE and BRPOPLPUSH", async () => {
    const cmds = split(`
      multi
      blmove nosuch d left left 0
      blpop nosuch 0
      blmpop 0 1 nosuch left
      brpoplpush nosuch d 0
      brpop nosuch 1
      rpush s a
      blmove s d left left 0
      blpop d 0
      exec
    `);
    await expectSameReplies(p.a, p.b, cmds);
  });

  it("refuses LPOS RANK of LONG_MIN as 7.2 does (7.0 took it)", async () => {
    await p.a.call("rpush", "l", "a");
    expect((await p.a.call("lpos", "l", "a", "rank", "-9223372036854775808")).toString()).toBe(
      "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
  });

  it("parses timeouts as 7.2's getTimeoutFromObjectOrReply (7.0 called inf negative)", async () => {
    await p.a.call("set", "str", "x");
    const timeout = async (t: string) => (await p.a.call("blpop", "str", t)).toString().split("\r\n")[0];
    expect(await timeout("inf")).toBe("-ERR timeout is out of range");
    expect(await timeout("1e400")).toBe("-ERR timeout is out of range");
    expect(await timeout("1e20")).toBe("-ERR timeout is out of range");
    expect(await timeout("1e5000")).toBe("-ERR timeout is not a float or out of range");
    expect(await timeout("-0x1p3")).toBe("-ERR timeout is negative");
    // Hex floats are floats to strtold: the timeout is fine, the key is not a list.
    expect(await timeout("0x10")).toMatch(/^-WRONGTYPE/);
    expect(await timeout(" 1")).toBe("-ERR timeout is not a float or out of range");
  });

  it("takes arguments of every size and integers in every width", async () => {
    const big = "x".repeat(70000);
    await expectSameReplies(p.a, p.b, [
      ["rpush", "l", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "+1", "1.0", "", big],
      ["lrange", "l", "0", "-1"],
      ["lpos", "l", "9223372036854775807"],
      ["lrem", "l", "1", "007"],
      ["lset", "l", "0", big],
      ["linsert", "l", "before", big, "y"],
      ["lindex", "l", "1"],
      ["llen", "l"],
      ["debug", "digest-value", "l"],
    ]);
  });
});

/** One random list command over a few keys; values cross the node limits. */
function randomCommand(g: Prng, keys: string[]): Arg[] {
  const k = g.pick(keys);
  const k2 = g.pick(keys);
  const val = (): string => {
    const t = g.next();
    if (t < 0.3) return String(g.range(-1000, 100000));
    if (t < 0.6) return `v${g.int(30)}`;
    if (t < 0.9) return "x".repeat(g.int(121));
    return "y".repeat(g.range(500, 3000));
  };
  const side = () => g.pick(["left", "right"]);
  const op = g.next();
  if (op < 0.25) return [g.pick(["lpush", "rpush", "lpushx", "rpushx"]), k, ...Array.from({ length: g.range(1, 8) }, val)];
  if (op < 0.35) return [g.pick(["lpop", "rpop"]), k, ...(g.chance(0.6) ? [String(g.int(13))] : [])];
  if (op < 0.42) return ["linsert", k, g.pick(["before", "after"]), val(), val()];
  if (op < 0.5) return ["lset", k, String(g.range(-30, 30)), val()];
  if (op < 0.56) return ["lrem", k, String(g.range(-3, 3)), val()];
  if (op < 0.6) return ["ltrim", k, String(g.range(-40, 10)), String(g.range(-20, 60))];
  if (op < 0.68) return ["lmove", k, k2, side(), side()];
  if (op < 0.72) return ["lmpop", "2", k, k2, side(), ...(g.chance(0.5) ? ["count", String(g.range(1, 20))] : [])];
  if (op < 0.8) return ["lrange", k, String(g.range(-50, 50)), String(g.range(-50, 50))];
  if (op < 0.85) {
    const opts = [
      ...(g.chance(0.5) ? ["rank", String(g.pick([1, 2, -1, -2]))] : []),
      ...(g.chance(0.5) ? ["count", String(g.int(4))] : []),
      ...(g.chance(0.3) ? ["maxlen", String(g.int(21))] : []),
    ];
    return ["lpos", k, val(), ...opts];
  }
  if (op < 0.9) return ["lindex", k, String(g.range(-40, 40))];
  if (op < 0.95) return g.chance(0.5) ? ["rpoplpush", k, k2] : ["blmpop", "0", "1", k, side()];
  return ["llen", k];
}

/** The node limits and depths the random runs go through. */
const CONFIGS: [string, string][] = [
  ["-2", "0"],
  ["-1", "1"],
  ["4", "0"],
  ["1", "2"],
  ["10", "1"],
  ["0", "0"],
  ["128", "0"],
  ["-3", "2"],
];

/** Runs `count` random commands on both (blocking ones only where they serve), comparing every reply. */
async function randomRun(a: RespConnection, b: RespConnection, seed: number, count: number, afterEach?: (argv: Arg[]) => Promise<void>) {
  const g = new Prng(seed);
  const keys = ["k1", "k2", "k3"];
  for (let i = 0; i < count; i++) {
    const argv = randomCommand(g, keys);
    // A blocking pop on empty lists would block the oracle: check first.
    if (argv[0] === "blmpop" && show(await b.call("exists", argv[3])) === show(":0\r\n")) continue;
    const [x, y] = await Promise.all([a.call(...argv), b.call(...argv)]);
    expect(show(x), `seed ${seed} #${i}: ${argv.map(String).join(" ").slice(0, 200)}`).toBe(show(y));
    await afterEach?.(argv);
  }
}

describe.skipIf(!haveRedisServer())("seeded random list sequences against redis-server", () => {
  const p = usePair();
  for (const seed of SEEDS) {
    it(`seed ${seed}: every reply and the final DEBUG DIGEST equal, over node limits and depths`, async () => {
      const [fill, depth] = CONFIGS[seed % CONFIGS.length];
      for (const c of [p.a, p.b]) {
        await c.call("flushall");
        await c.call("config", "set", "list-max-listpack-size", fill);
        await c.call("config", "set", "list-compress-depth", depth);
      }
      await randomRun(p.a, p.b, seed, 1500);
      expect(show(await p.a.call("debug", "digest"))).toBe(show(await p.b.call("debug", "digest")));
      expect(show(await p.a.call("dbsize"))).toBe(show(await p.b.call("dbsize")));
    });
  }
});

describe.skipIf(!existsSync(REDIS72))("node shapes against Redis 7.2 itself", () => {
  const p = usePair(REDIS72);
  /** OBJECT ENCODING, and for a quicklist its node count and bytes (DEBUG OBJECT's ql_nodes, ql_uncompressed_size). */
  async function shape(c: RespConnection, key: string): Promise<string> {
    const r = (await c.call("debug", "object", key)).toString("latin1");
    if (r.startsWith("-")) return "none";
    const enc = / encoding:(\S+)/.exec(r)?.[1];
    const ql = / ql_nodes:(\d+).* ql_uncompressed_size:(\d+)/.exec(r);
    return ql ? `${enc} nodes=${ql[1]} bytes=${ql[2]}` : `${enc}`;
  }
  for (const seed of SEEDS) {
    it(`seed ${seed}: the same encodings, nodes and node bytes after every command${seed % 2 ? ", plain nodes from 100 bytes" : ""}`, async () => {
      const [fill, depth] = CONFIGS[(seed + 3) % CONFIGS.length];
      for (const c of [p.a, p.b]) {
        await c.call("flushall");
        await c.call("config", "set", "list-max-listpack-size", fill);
        await c.call("config", "set", "list-compress-depth", depth);
        await c.call("debug", "quicklist-packed-threshold", seed % 2 ? "100b" : "0");
      }
      await randomRun(p.a, p.b, seed, 800, async (argv) => {
        for (const k of ["k1", "k2", "k3"]) expect(await shape(p.a, k), `${k} after ${argv.map(String).join(" ").slice(0, 100)}`).toBe(await shape(p.b, k));
      });
      expect(show(await p.a.call("debug", "digest"))).toBe(show(await p.b.call("debug", "digest")));
    });
  }
});

describe("encodings as Redis 7.2 gives them", () => {
  let c: RespConnection;
  useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => (c = f.conn));
  const enc = async (k: string) => (await c.call("object", "encoding", k)).toString("latin1").split("\r\n")[1];
  const run = async (...cmds: Arg[][]) => {
    for (const cmd of cmds) await c.call(...cmd);
  };

  it("a listpack up to the node limits, a quicklist past them, a listpack again at half", async () => {
    await run(["flushall"], ["config", "set", "list-max-listpack-size", "4"]);
    await run(["rpush", "l", "a", "b", "c", "d"]);
    expect(await enc("l")).toBe("listpack");
    await run(["rpush", "l", "e"]);
    expect(await enc("l")).toBe("quicklist");
    // Two nodes (4 + 1): no conversion while there are two.
    await run(["rpop", "l"]);
    expect(await enc("l")).toBe("quicklist");
    // One node of 4, above half the limit (2): still a quicklist; at 2 a listpack.
    await run(["rpop", "l"]);
    expect(await enc("l")).toBe("quicklist");
    await run(["rpop", "l"]);
    expect(await enc("l")).toBe("listpack");
    await run(["config", "set", "list-max-listpack-size", "-2"]);
  });

  it("converts on size: an element that does not fit 8 KB, and LINSERT converts even without its pivot", async () => {
    await run(["flushall"], ["rpush", "l", "a"]);
    await run(["linsert", "l", "before", "nosuch", "x".repeat(9000)]);
    expect(await enc("l")).toBe("quicklist");
    expect((await c.call("llen", "l")).toString()).toBe(":1\r\n");
    await run(["rpush", "m", "a"], ["lset", "m", "5", "x".repeat(9000)]);
    expect(await enc("m")).toBe("quicklist");
  });

  it("plain nodes below DEBUG QUICKLIST-PACKED-THRESHOLD, and its errors", async () => {
    expect((await c.call("debug", "quicklist-packed-threshold", "10b")).toString()).toBe("+OK\r\n");
    await run(["flushall"], ["rpush", "l", "a", "0123456789xyz", "b"]);
    expect((await c.call("lrange", "l", "0", "-1")).toString()).toBe("*3\r\n$1\r\na\r\n$13\r\n0123456789xyz\r\n$1\r\nb\r\n");
    expect((await c.call("debug", "quicklist-packed-threshold", "5gb")).toString()).toBe(
      "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n",
    );
    expect((await c.call("debug", "quicklist-packed-threshold", "0")).toString()).toBe("+OK\r\n");
  });
});

describe("what the list commands propagate", () => {
  let c: RespConnection;
  let srv: RunningServer;
  useNodis({}, { conn: true }, (f) => {
    c = f.conn;
    srv = f.srv;
  });
  let units: string[][] = [];
  let stop: () => void = () => {};
  beforeAll(() => {
    stop = srv.server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
  });
  afterAll(() => stop());

  async function propagated(...cmds: string[][]): Promise<string[]> {
    await c.call("flushall");
    units = [];
    for (const cmd of cmds) await c.call(...cmd);
    return units.flat();
  }

  it("as t_list.c: served blocking pops as their plain forms, LMPOP as LPOP/RPOP with the count popped", async () => {
    const setup = ["rpush", "l", "a", "b", "c"];
    expect(await propagated(setup, ["lmpop", "2", "none", "l", "right", "count", "10"])).toEqual(["rpush l a b c", "RPOP l 3"]);
    expect(await propagated(setup, ["blpop", "none", "l", "0"])).toEqual(["rpush l a b c", "LPOP l"]);
    expect(await propagated(setup, ["brpop", "l", "5"])).toEqual(["rpush l a b c", "RPOP l"]);
    expect(await propagated(setup, ["blmpop", "0", "1", "l", "left", "count", "2"])).toEqual(["rpush l a b c", "LPOP l 2"]);
    expect(await propagated(setup, ["blmove", "l", "m", "right", "left", "0"])).toEqual(["rpush l a b c", "LMOVE l m right left"]);
    expect(await propagated(setup, ["brpoplpush", "l", "m", "0"])).toEqual(["rpush l a b c", "RPOPLPUSH l m"]);
    expect(await propagated(setup, ["lmove", "l", "m", "left", "left"], ["lpop", "l", "5"])).toEqual([
      "rpush l a b c",
      "lmove l m left left",
      "lpop l 5",
    ]);
  });

  it("nothing for what changed nothing: an LTRIM that keeps all, LREM of nothing, LINSERT without pivot, pops of nothing", async () => {
    expect(
      await propagated(["rpush", "l", "a"], ["ltrim", "l", "0", "-1"], ["lrem", "l", "0", "x"], ["linsert", "l", "after", "x", "y"], ["lpop", "none"], ["lmpop", "1", "none", "left"]),
    ).toEqual(["rpush l a"]);
  });
});

describe.skipIf(!haveRedisServer())("keyspace events of the list commands against redis-server", () => {
  const p = usePair(undefined, { "notify-keyspace-events": "KEA" });
  for (const seed of SEEDS.slice(0, 2)) {
    it(`seed ${seed}: the same messages, in the same order`, async () => {
      for (const c of [p.a, p.b]) await c.call("flushall");
      const subs = await Promise.all([p.a, p.b].map((_, i) => Subscriber.open(i === 0 ? p.nodis.port : p.oracle.port, "PSUBSCRIBE", "__key*@*__:*")));
      try {
        await randomRun(p.a, p.b, seed, 600);
        // The fixed commands too (LMOVE's pair of events, del when emptied, LTRIM's event without a change).
        for (const c of [p.a, p.b]) await c.call("flushall");
        for (const cmd of FIXED) await Promise.all([p.a.call(...cmd), p.b.call(...cmd)]);
        const END = "__keyspace@99__:end";
        for (const c of [p.a, p.b]) await c.call("publish", END, "x");
        await Promise.all(subs.map((s) => s.until((m) => m.some((x) => x.includes(END)))));
        const [got, want] = subs.map((s) => s.messages.map((m) => m.toString("latin1")));
        expect(want.length).toBeGreaterThan(300);
        expect(got.join("\n")).toBe(want.join("\n"));
      } finally {
        for (const s of subs) s.close();
      }
    });
  }
});
