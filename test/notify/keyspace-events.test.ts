/**
 * Keyspace notifications, differential: a subscriber to `__key*@*__:*` on
 * Debian's redis-server and on Nodis, the same seeded random string/key/expiry
 * commands on both (the harness also compares every reply), then the two
 * message streams compared byte for byte. And the configuration's classes one by one.
 *
 * NODIS_DIFF_SEED replays seeds, as in test/diff/random.test.ts.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { encodeCommand, show, type Arg } from "../diff/resp.js";
import { Subscriber } from "../helpers/subscriber.js";
import { generatorsNamed } from "../diff/generator.js";
import { describeRun, runSeed, type Ports } from "../diff/harness.js";
import { seedsFromEnv } from "../diff/prng.js";

/** Commands with keyspace events, and the reads that expire keys lazily. */
const COMMANDS = [
  "set", "get", "mset", "msetnx", "append", "incr", "decr", "incrby", "decrby", "incrbyfloat", "setrange", "getdel",
  "getex", "getset", "setnx", "setex", "psetex", "del", "unlink", "exists", "expire", "pexpire", "expireat",
  "pexpireat", "persist", "rename", "renamenx", "copy", "move", "select", "swapdb", "flushdb",
  // the collection types' events, and `del` when one empties
  "lpush", "rpush", "lpop", "rpop", "sadd", "srem", "hset", "hdel", "hincrby", "zadd", "zrem", "zincrby",
];
const SEEDS = seedsFromEnv([11, 2026, 777]);
const COUNT = Number(process.env.NODIS_DIFF_COUNT ?? 3000);
const END = "__keyspace@99__:end-of-run";

describe.skipIf(!haveRedisServer())("keyspace notifications against redis-server", () => {
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  let ports: Ports;
  beforeAll(async () => {
    oracle = await startRedis(["--notify-keyspace-events", "KEA"]);
    nodis = await startNodis({ "enable-debug-command": "yes", "notify-keyspace-events": "KEA" });
    ports = { oracle: oracle.port, nodis: nodis.port };
  });
  afterAll(async () => {
    await nodis?.close();
    await oracle?.stop();
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: the same messages, byte for byte`, async () => {
      const subs = await Promise.all([ports.oracle, ports.nodis].map((p) => Subscriber.open(p, "PSUBSCRIBE", "__key*@*__:*")));
      try {
        const run = await runSeed(ports, { seed, commands: generatorsNamed(COMMANDS), count: COUNT });
        expect(run.mismatch, describeRun(run)).toBeNull();
        // A message of our own marks the end of each stream.
        for (const p of [ports.oracle, ports.nodis]) {
          const sock = net.connect(p, "127.0.0.1");
          await new Promise((r) => sock.once("connect", r));
          sock.end(encodeCommand(["PUBLISH", END, "x"]));
        }
        await Promise.all(subs.map((s) => s.until((m) => m.some((x) => x.includes(END)))));
        const [want, got] = subs.map((s) => s.messages.map((m) => show(m)));
        expect(want.length).toBeGreaterThan(COUNT / 4);
        for (let i = 0; i < want.length; i++) {
          if (want[i] !== got[i]) {
            expect(`#${i}: ${got[i]}`, `message #${i} of ${want.length}; before it: ${want.slice(Math.max(0, i - 5), i).join(" | ")}`).toBe(`#${i}: ${want[i]}`);
          }
        }
        expect(got.length).toBe(want.length);
      } finally {
        for (const s of subs) s.close();
      }
    });
  }
});

describe("notify-keyspace-events classes", () => {
  let nodis: RunningServer;
  beforeAll(async () => {
    nodis = await startNodis({});
  });
  afterAll(async () => nodis?.close());

  async function messagesFor(flags: string, cmds: Arg[][]): Promise<string[]> {
    const port = nodis.port;
    const ctl = net.connect(port, "127.0.0.1");
    await new Promise((r) => ctl.once("connect", r));
    const send = async (argv: Arg[]) => {
      ctl.write(encodeCommand(argv));
      await new Promise((r) => ctl.once("data", r));
    };
    await send(["CONFIG", "SET", "notify-keyspace-events", flags]);
    await send(["FLUSHALL"]);
    const sub = await Subscriber.open(port, "PSUBSCRIBE", "*");
    try {
      for (const c of cmds) await send(c);
      await send(["PUBLISH", "end", "x"]);
      await sub.until((m) => m.some((x) => x.includes("end")));
      // Each message without its "pmessage *" head: the channel and the payload.
      return sub.messages.slice(1, -1).map((m) => m.toString("latin1").replace("*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n", ""));
    } finally {
      sub.close();
      ctl.destroy();
    }
  }

  it("K and E choose the channels; classes choose the events; off publishes nothing", async () => {
    const set = [["SET", "k", "v"]];
    expect(await messagesFor("", set)).toEqual([]);
    expect(await messagesFor("$", set)).toEqual([]); // a class without K or E
    expect(await messagesFor("K$", set)).toEqual(["$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n"]);
    expect(await messagesFor("E$", set)).toEqual(["$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"]);
    expect(await messagesFor("Kg", set)).toEqual([]);
    expect(await messagesFor("KA", [["SET", "k", "v", "EX", "100"], ["DEL", "k"]])).toEqual(
      ["set", "expire", "del"].map((e) => `$16\r\n__keyspace@0__:k\r\n$${e.length}\r\n${e}\r\n`),
    );
  });

  it("n fires for new keys only, m for read misses only", async () => {
    const got = await messagesFor("Enm", [["SET", "a", "1"], ["SET", "a", "2"], ["GET", "zz"], ["SET", "zz", "1", "XX"]]);
    expect(got).toEqual(["$18\r\n__keyevent@0__:new\r\n$1\r\na\r\n", "$22\r\n__keyevent@0__:keymiss\r\n$2\r\nzz\r\n"]);
  });
});
