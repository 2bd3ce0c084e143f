/**
 * Streams: differential against redis-server (replies byte for byte where IDs
 * are explicit, in RESP2 and RESP3; seeded random producer/consumer sequences
 * over small nodes, so that approximate trimming exercises the node layout;
 * ending with DEBUG DIGEST and the keyspace events compared), then what the
 * in-process server propagates (XADD's generated ID, approximate trimming's
 * exact arguments, XREADGROUP's XCLAIM / XGROUP SETID) and blocking
 * XREAD / XREADGROUP.
 *
 * The oracle is Debian's redis-server 7.0 by default (NODIS_ORACLE_BIN: another
 * binary): XINFO CONSUMERS / STREAM FULL differ in 7.2 (active-time,
 * inactive) and are compared for their stable fields only.
 * NODIS_DIFF_SEED replays seeds, as in test/diff/random.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { Subscriber } from "../helpers/subscriber.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import type { Server } from "../../src/server/server.js";
import type { PropagatedOp } from "../../src/server/write-path.js";
import { useServerPair } from "../helpers/pair.js";

const text = (b: Buffer) => b.toString("latin1");

async function poll(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!haveRedisServer())("streams against redis-server", () => {
  // NODIS_ORACLE_BIN: another redis-server binary (e.g. a Redis 7.2 built in /tmp) as the oracle.
  const pair = useServerPair();
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  let mine: RespConnection;
  let theirs: RespConnection;
  beforeAll(() => {
    ({ nodis, oracle, mine, theirs } = pair);
  });

  async function both(cmds: Arg[][]): Promise<[Buffer[], Buffer[]]> {
    return Promise.all([mine.send(cmds), theirs.send(cmds)]);
  }
  /**
   * A reply as compared: XPENDING's extended rows carry the milliseconds since
   * delivery, which depend on when each server ran the command: left out.
   */
  function stable(argv: Arg[], reply: Buffer): string {
    const shown = show(reply);
    if (String(argv[0]).toUpperCase() !== "XPENDING" || argv.length <= 3) return shown;
    return shown.replace(/(\*4\\r\\n\$\d+\\r\\n[^\\]*\\r\\n\$\d+\\r\\n[^\\]*\\r\\n):\d+/g, "$1:<idle>");
  }
  async function same(cmds: Arg[][]): Promise<void> {
    const [a, b] = await both(cmds);
    cmds.forEach((argv, i) => expect(stable(argv, a[i]), argv.map(String).join(" ")).toBe(stable(argv, b[i])));
  }
  it("quotes binary key and group names in NOGROUP as Redis formats them (CR and LF as spaces, up to a NUL)", async () => {
    const group = Buffer.from([0x31, 0x0a, 0xe4, 0x0d, 0x0a, 0x7a, 0x00, 0x41, 0x0a]);
    const key = Buffer.from([0x6b, 0x0a, 0xff]);
    await same([
      ["XADD", key, "1-1", "f", "v"],
      ["XPENDING", key, group],
      ["XPENDING", "missing", group, "-", "+", "10"],
      ["XREADGROUP", "GROUP", group, "c", "STREAMS", key, ">"],
      ["XACK", key, group, "1-1"],
      ["XGROUP", "CREATECONSUMER", key, group, "c"],
      ["XINFO", "CONSUMERS", key, group],
      ["XGROUP", Buffer.concat([Buffer.alloc(130, 0x61), Buffer.from([0x0a, 0xfe])]), key],
      ["XGROUP", Buffer.from([0x62, 0x00, 0x63]), key],
      ["XGROUP", "CREATE", key, "g", "0"],
      ["XCLAIM", key, "g", "c", "0", "1-1", Buffer.from([0x0a, 0xe9, 0x00, 0x7a])],
      ["PFDEBUG", Buffer.from([0x0d, 0xff]), key],
      ["PING"],
      ["DEL", key],
    ]);
  });

  /** Whether the oracle is 7.2 (Debian's is 7.0: see adapt()). */
  let is72 = false;
  beforeAll(async () => {
    is72 = text(await theirs.call("INFO", "server")).includes("redis_version:7.2");
  });
  /**
   * Against a 7.0 oracle, the sequences are adapted where 7.0 and 7.2 differ
   * (7.2's answers are stated below): XSETID checks max_deleted_entry_id before
   * the top item in 7.2 (left out); XREADGROUP `>`, XCLAIM and XAUTOCLAIM
   * create their consumer even when they serve nothing in 7.2 (the consumer
   * is created first with XGROUP CREATECONSUMER, the same in both); HELP says
   * "Prints" in 7.0 (left out).
   */
  function adapt(cmds: Arg[][]): Arg[][] {
    if (is72) return cmds;
    const out: Arg[][] = [];
    for (const c of cmds) {
      const name = String(c[0]).toUpperCase();
      if (name === "XSETID" || (c.length === 2 && String(c[1]).toUpperCase() === "HELP")) continue;
      if (name === "XCLAIM" || name === "XAUTOCLAIM") out.push(["XGROUP", "CREATECONSUMER", c[1], c[2], c[3]]);
      if (name === "XREADGROUP" && String(c[1]).toUpperCase() === "GROUP") {
        const at = c.findIndex((a) => String(a).toUpperCase() === "STREAMS");
        if (at > 0 && at + 1 < c.length) out.push(["XGROUP", "CREATECONSUMER", c[at + 1], c[2], c[3]]);
      }
      out.push(c);
    }
    return out;
  }
  async function reset(): Promise<void> {
    await both([["HELLO", "2"], ["FLUSHALL"], ["SELECT", "0"], ["CONFIG", "SET", "stream-node-max-entries", "100", "stream-node-max-bytes", "4096"]]);
  }

  const BASIC: Arg[][] = [
    ["XADD", "s", "1-1", "a", "1", "b", "2"],
    ["XADD", "s", "1-2", "a", "3", "b", "4"],
    ["XADD", "s", "1-*", "a", "5", "c", "6"],
    ["XADD", "s", "2", "x", "y"],
    ["XADD", "s", "1-1", "a", "b"],
    ["XADD", "s", "0-0", "a", "b"],
    ["XADD", "t", "0-0", "a", "b"],
    ["XADD", "s", "NOMKSTREAM", "3-0", "f", "v"],
    ["XADD", "nope", "NOMKSTREAM", "3-0", "f", "v"],
    ["XADD", "s", "MAXLEN", "~", "2", "LIMIT", "x", "4-0", "f", "v"],
    ["XADD", "s", "MAXLEN", "2", "LIMIT", "5", "4-0", "f", "v"],
    ["XADD", "s", "MAXLEN", "2", "MINID", "0", "4-0", "f", "v"],
    ["XADD", "s", "LIMIT", "5", "4-0", "f", "v"],
    ["XADD", "s", "MAXLEN", "-1", "4-0", "f", "v"],
    ["XADD", "s", "4-0", "f"],
    ["XADD", "s", "bad-id", "f", "v"],
    ["XADD", "s", "18446744073709551615-18446744073709551615", "f", "v"],
    ["XADD", "s", "*", "f", "v"],
    ["XLEN", "s"],
    ["XLEN", "nope"],
    ["XRANGE", "s", "-", "+"],
    ["XRANGE", "s", "(1-1", "+", "COUNT", "2"],
    ["XRANGE", "s", "1", "1"],
    ["XRANGE", "s", "-", "+", "COUNT", "0"],
    ["XRANGE", "s", "-", "+", "COUNT", "-5"],
    ["XRANGE", "s", "(-", "+"],
    ["XRANGE", "s", "-", "(0-0"],
    ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
    ["XRANGE", "s", "-", "+", "LIMIT", "2"],
    ["XREVRANGE", "s", "+", "-", "COUNT", "2"],
    ["XREVRANGE", "s", "(2-0", "-"],
    ["XRANGE", "nope", "-", "+"],
    ["XDEL", "s", "1-2", "9-9"],
    ["XDEL", "s", "bad"],
    ["XRANGE", "s", "-", "+"],
    ["XTRIM", "s", "MAXLEN", "1"],
    ["XTRIM", "s", "MINID", "0"],
    ["XTRIM", "s", "FOO", "1"],
    ["XTRIM", "s"],
    ["XTRIM", "nope", "MAXLEN", "0"],
    ["XSETID", "s", "1-0"],
    ["XSETID", "s", "100-0", "ENTRIESADDED", "1"],
    ["XSETID", "s", "100-0", "MAXDELETEDID", "200-0"],
    ["XSETID", "s", "100-0", "ENTRIESADDED", "50", "MAXDELETEDID", "50-0"],
    ["XSETID", "nope", "1-0"],
    ["XADD", "s", "100-0", "f", "v"],
    ["XADD", "s", "100-*", "f", "v"],
    ["XINFO", "STREAM", "s"],
    ["XINFO", "STREAM", "nope"],
    ["XINFO", "STREAM", "s", "BAD"],
    ["XREAD", "STREAMS", "s", "0"],
    ["XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"],
    ["XREAD", "STREAMS", "s", "$"],
    ["XREAD", "STREAMS", "s"],
    ["XREAD", "STREAMS", "s", ">"],
    ["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"],
    ["SET", "str", "x"],
    ["XADD", "str", "1-1", "f", "v"],
    ["XRANGE", "str", "-", "+"],
    ["XREAD", "STREAMS", "str", "0"],
    ["DEBUG", "DIGEST-VALUE", "s", "t"],
    ["DEBUG", "DIGEST"],
  ];

  const GROUPS: Arg[][] = [
    ["XADD", "s", "1-1", "a", "1"],
    ["XADD", "s", "2-1", "b", "2"],
    ["XADD", "s", "3-1", "c", "3"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XGROUP", "CREATE", "nope", "g", "0"],
    ["XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM"],
    ["XGROUP", "CREATE", "s", "late", "$", "ENTRIESREAD", "3"],
    ["XGROUP", "CREATE", "s", "bad", "$", "ENTRIESREAD", "-3"],
    ["XGROUP", "CREATE", "s", "h", "0", "FOO"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
    ["XGROUP", "CREATECONSUMER", "s", "nog", "alice"],
    ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
    ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", "(0"],
    ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "$"],
    ["XREADGROUP", "GROUP", "nog", "bob", "STREAMS", "s", ">"],
    ["XREADGROUP", "STREAMS", "s", ">"],
    ["XPENDING", "s", "g"],
    ["XPENDING", "s", "nog"],
    ["XPENDING", "s", "g", "-", "+"],
    ["XPENDING", "s", "g", "+", "-", "10"],
    ["XPENDING", "s", "g", "-", "+", "0"],
    ["XPENDING", "s", "g", "-", "+", "10", "nobody"],
    ["XACK", "s", "g", "1-1", "9-9"],
    ["XACK", "s", "g", "bad"],
    ["XACK", "nope", "g", "1-1"],
    ["XDEL", "s", "2-1"],
    ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"],
    ["XCLAIM", "s", "g", "carol", "0", "3-1", "JUSTID"],
    ["XCLAIM", "s", "g", "carol", "0", "2-1", "JUSTID"],
    ["XCLAIM", "s", "g", "carol", "x", "3-1"],
    ["XCLAIM", "s", "g", "carol", "0", "3-1", "BOGUS"],
    ["XCLAIM", "s", "nog", "carol", "0", "3-1"],
    ["XCLAIM", "s", "g", "dave", "0", "1-1", "FORCE", "JUSTID", "RETRYCOUNT", "7"],
    ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1", "JUSTID"],
    ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"],
    ["XAUTOCLAIM", "s", "g", "erin", "0", "(0", "JUSTID"],
    ["XPENDING", "s", "g"],
    ["XINFO", "GROUPS", "s"],
    ["XGROUP", "SETID", "s", "g", "$"],
    ["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"],
    ["XGROUP", "SETID", "s", "nog", "0"],
    ["XINFO", "GROUPS", "s"],
    ["XGROUP", "DELCONSUMER", "s", "g", "erin"],
    ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
    ["XGROUP", "DESTROY", "s", "late"],
    ["XGROUP", "DESTROY", "s", "late"],
    ["XGROUP", "FOO", "s", "g"],
    ["XGROUP", "DESTROY", "s"],
    ["XGROUP", "HELP"],
    ["XINFO", "HELP"],
    ["XINFO", "GROUPS", "s"],
    ["XINFO", "STREAM", "s"],
    ["DEBUG", "DIGEST"],
  ];

  it("answers as Redis, byte for byte, in RESP2 and RESP3", async () => {
    for (const resp of ["2", "3"]) {
      await reset();
      await both([["HELLO", resp]]);
      await same(adapt(BASIC));
      await both([["FLUSHALL"]]);
      await same(adapt(GROUPS));
    }
    await both([["HELLO", "2"]]);
  });

  it("lays nodes out as Redis: approximate trims and XINFO's node count agree", async () => {
    await reset();
    await same([["CONFIG", "SET", "stream-node-max-entries", "10"]]);
    const cmds: Arg[][] = [];
    for (let i = 1; i <= 95; i++) cmds.push(["XADD", "s", `${i}-1`, "f", String(i), ...(i % 7 === 0 ? ["g", "x"] : [])]);
    cmds.push(["XINFO", "STREAM", "s"], ["XTRIM", "s", "MAXLEN", "~", "42"], ["XLEN", "s"], ["XTRIM", "s", "MINID", "~", "70"], ["XINFO", "STREAM", "s"]);
    cmds.push(["XADD", "s", "MAXLEN", "~", "5", "200-0", "f", "v"], ["XLEN", "s"], ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "10"], ["XLEN", "s"]);
    cmds.push(["CONFIG", "SET", "stream-node-max-bytes", "60"]);
    for (let i = 1; i <= 30; i++) cmds.push(["XADD", "b", `${i}-0`, "field", "v".repeat(i)]);
    cmds.push(["XINFO", "STREAM", "b"], ["XTRIM", "b", "MAXLEN", "~", "3"], ["XINFO", "STREAM", "b"], ["DEBUG", "DIGEST"]);
    await same(cmds);
  });

  it("a large PEL over many nodes: ranges, counts, acks and claims as Redis walks them", async () => {
    await reset();
    // IDs spread over distant milliseconds and sequences, so the index and the PELs branch at many bytes.
    const ids: string[] = [];
    for (let i = 0; i < 1500; i++) ids.push(`${1 + (i % 7) * 2 ** 33 + Math.floor(i / 7) * (i % 3 === 0 ? 1 : 257)}-${i % 5}`);
    const sorted = [...new Set(ids)].sort((x, y) => {
      const [a1, a2] = x.split("-").map(BigInt);
      const [b1, b2] = y.split("-").map(BigInt);
      return a1 !== b1 ? (a1 < b1 ? -1 : 1) : a2 < b2 ? -1 : a2 > b2 ? 1 : 0;
    });
    const cmds: Arg[][] = sorted.map((id, i) => ["XADD", "big", id, "f", String(i)]);
    cmds.push(["XGROUP", "CREATE", "big", "g", "0"], ["XGROUP", "CREATECONSUMER", "big", "g", "a"], ["XGROUP", "CREATECONSUMER", "big", "g", "b"]);
    cmds.push(["XREADGROUP", "GROUP", "g", "a", "COUNT", "700", "STREAMS", "big", ">"], ["XREADGROUP", "GROUP", "g", "b", "STREAMS", "big", ">"]);
    const at = (i: number) => sorted[Math.min(sorted.length - 1, i)];
    for (let i = 0; i < sorted.length; i += 97) {
      cmds.push(["XPENDING", "big", "g", at(i), "+", "5"], ["XPENDING", "big", "g", `(${at(i)}`, at(i + 300), "3", i % 2 ? "a" : "b"]);
      cmds.push(["XRANGE", "big", at(i), "+", "COUNT", "3"], ["XREVRANGE", "big", at(i), "-", "COUNT", "3"]);
    }
    cmds.push(["XACK", "big", "g", ...sorted.filter((_, i) => i % 3 === 1)], ["XDEL", "big", ...sorted.filter((_, i) => i % 11 === 4)]);
    cmds.push(["XPENDING", "big", "g"], ["XPENDING", "big", "g", "-", "+", "20", "a"], ["XPENDING", "big", "g", at(900), "+", "20", "b"]);
    cmds.push(["XAUTOCLAIM", "big", "g", "a", "0", at(650), "COUNT", "25", "JUSTID"], ["XCLAIM", "big", "g", "b", "0", at(3), at(4), at(5), "JUSTID"]);
    cmds.push(["XREADGROUP", "GROUP", "g", "a", "COUNT", "10", "STREAMS", "big", at(640)], ["XGROUP", "DELCONSUMER", "big", "g", "b"]);
    cmds.push(["XPENDING", "big", "g"], ["XPENDING", "big", "g", "-", "+", "10"], ["XINFO", "GROUPS", "big"], ["XINFO", "STREAM", "big"], ["DEBUG", "DIGEST"]);
    await same(cmds);
  });

  for (const seed of seedsFromEnv([11, 2024, 777])) {
    it(`seed ${seed}: random producer/consumer sequences end with the same replies, digest and events`, async () => {
      await reset();
      const rnd = new Prng(seed);
      await same([["CONFIG", "SET", "stream-node-max-entries", String(rnd.range(2, 12))]]);
      const subs = await Promise.all([nodis.port, oracle.port].map((p) => Subscriber.open(p, "PSUBSCRIBE", "__key*@0__:*")));
      try {
        const keys = ["s1", "s2"];
        const groups = ["g1", "g2"];
        // Names sharing prefixes, one past a rax node's 15-byte run: the consumers' rax splits and chains.
        const consumers = ["c1", "c2", "c3", "c10", "c1-a-consumer-name-longer-than-a-run"];
        const top = new Map<string, number>();
        const nextId = (k: string) => {
          const t = (top.get(k) ?? 0) + rnd.range(0, 3);
          top.set(k, t);
          return rnd.chance(0.3) ? `${t + 1}-*` : `${t + 1}-${rnd.range(0, 3)}`;
        };
        const anyId = (k: string) => `${rnd.range(0, (top.get(k) ?? 0) + 2)}-${rnd.range(0, 3)}`;
        const fields = () => {
          const out: string[] = [];
          for (let n = rnd.range(1, 3); n > 0; n--) out.push(rnd.pick(["a", "b", "c", "1", "22"]), String(rnd.range(-50, 50)));
          return out;
        };
        const ops: (() => Arg[])[] = [
          () => {
            const k = rnd.pick(keys);
            const trim = rnd.weighted<Arg[]>([
              [5, []],
              [1, ["MAXLEN", String(rnd.range(0, 20))]],
              [1, ["MAXLEN", "~", String(rnd.range(0, 20))]],
              [1, ["MINID", anyId(k)]],
              [1, ["MINID", "~", anyId(k)]],
            ]);
            return ["XADD", k, ...trim, nextId(k), ...fields()];
          },
          () => {
            const k = rnd.pick(keys);
            return ["XADD", k, nextId(k), ...fields()];
          },
          () => ["XDEL", rnd.pick(keys), anyId("s1"), anyId("s2")],
          () => ["XTRIM", rnd.pick(keys), rnd.pick(["MAXLEN", "MINID"]), rnd.pick(["=", "~"]), rnd.chance(0.5) ? String(rnd.range(0, 15)) : anyId("s1")],
          () => ["XRANGE", rnd.pick(keys), rnd.pick(["-", anyId("s1"), `(${anyId("s1")}`]), rnd.pick(["+", anyId("s1")]), "COUNT", String(rnd.range(0, 6))],
          () => ["XREVRANGE", rnd.pick(keys), rnd.pick(["+", anyId("s1")]), rnd.pick(["-", anyId("s1")])],
          () => ["XLEN", rnd.pick(keys)],
          () => ["XREAD", "COUNT", String(rnd.range(1, 5)), "STREAMS", ...keys, anyId("s1"), anyId("s2")],
          () => ["XGROUP", "CREATE", rnd.pick(keys), rnd.pick(groups), rnd.pick(["0", "$", anyId("s1")]), ...(rnd.chance(0.5) ? ["MKSTREAM"] : [])],
          () => ["XGROUP", "SETID", rnd.pick(keys), rnd.pick(groups), rnd.pick(["0", "$", anyId("s1")])],
          () => ["XREADGROUP", "GROUP", rnd.pick(groups), rnd.pick(consumers), "COUNT", String(rnd.range(1, 4)), ...(rnd.chance(0.2) ? ["NOACK"] : []), "STREAMS", rnd.pick(keys), ">"],
          () => ["XREADGROUP", "GROUP", rnd.pick(groups), rnd.pick(consumers), "STREAMS", rnd.pick(keys), rnd.pick(["0", anyId("s1")])],
          () => ["XACK", rnd.pick(keys), rnd.pick(groups), anyId("s1"), anyId("s2")],
          () => ["XPENDING", rnd.pick(keys), rnd.pick(groups)],
          () => [
            "XPENDING",
            rnd.pick(keys),
            rnd.pick(groups),
            ...(rnd.chance(0.3) ? ["IDLE", "0"] : []),
            rnd.pick(["-", anyId("s1"), `(${anyId("s1")}`]),
            rnd.pick(["+", anyId("s1"), `(${anyId("s1")}`]),
            String(rnd.range(1, 6)),
            ...(rnd.chance(0.4) ? [rnd.pick(consumers)] : []),
          ],
          () => ["XCLAIM", rnd.pick(keys), rnd.pick(groups), rnd.pick(consumers), "0", anyId("s1"), anyId("s2"), "JUSTID"],
          () => ["XAUTOCLAIM", rnd.pick(keys), rnd.pick(groups), rnd.pick(consumers), "0", "0", "COUNT", String(rnd.range(1, 4)), "JUSTID"],
          () => ["XINFO", "GROUPS", rnd.pick(keys)],
          () => ["XINFO", "STREAM", rnd.pick(keys)],
          () => ["XGROUP", "DELCONSUMER", rnd.pick(keys), rnd.pick(groups), rnd.pick(consumers)],
          () => ["XGROUP", "DESTROY", rnd.pick(keys), rnd.pick(groups)],
          () => ["XSETID", rnd.pick(keys), anyId("s1")],
          () => (rnd.chance(0.2) ? ["DEL", rnd.pick(keys)] : ["EXISTS", rnd.pick(keys)]),
        ];
        const cmds: Arg[][] = [];
        while (cmds.length < 1200) cmds.push(...adapt([rnd.pick(ops)()]));
        const [a, b] = await both(cmds);
        cmds.forEach((argv, i) => expect(stable(argv, a[i]), `#${i} ${argv.map(String).join(" ")}`).toBe(stable(argv, b[i])));
        await same([...keys.flatMap((k) => [["XLEN", k], ["DEBUG", "DIGEST-VALUE", k], ["XRANGE", k, "-", "+"]]), ["DEBUG", "DIGEST"]]);
        await both([["PUBLISH", "__keyspace@0__:end", "x"]]);
        await Promise.all(subs.map((s) => s.until((m) => m.some((x) => x.includes("__keyspace@0__:end")))));
        const [got, want] = subs.map((s) => s.events().map((e) => e.join(" ")));
        expect(want.length).toBeGreaterThan(300);
        expect(got).toEqual(want);
      } finally {
        for (const s of subs) s.close();
      }
    });
  }
});

describe("Redis 7.2's answers where 7.0 differs (stated)", () => {
  // (XREADGROUP > creating its consumer when nothing is served is in the test below.)
  let c: RespConnection;
  useNodis({}, { conn: true }, (f) => {
    c = f.conn;
  });
  it("XSETID checks the max deleted ID before the top item", async () => {
    await c.call("FLUSHALL");
    await c.call("XADD", "s", "5-0", "f", "v");
    await c.call("XADD", "s", "6-0", "f", "v");
    await c.call("XDEL", "s", "6-0");
    expect(text(await c.call("XSETID", "s", "1-0"))).toBe("-ERR The ID specified in XSETID is smaller than current max_deleted_entry_id\r\n");
    expect(text(await c.call("XSETID", "s", "6-0"))).toBe("+OK\r\n");
  });
  it("XREAD's + reads the last entry (Redis 7.4); XREADGROUP refuses it", async () => {
    await c.call("FLUSHALL");
    await c.call("XADD", "s", "1-0", "a", "1");
    await c.call("XADD", "s", "2-0", "b", "2");
    expect(text(await c.call("XREAD", "STREAMS", "s", "nope", "+", "+"))).toBe("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    await c.call("XGROUP", "CREATE", "s", "g", "0");
    expect(text(await c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "+"))).toContain("-ERR The + ID is meaningless in the context of XREADGROUP");
  });
  it("XCLAIM and XAUTOCLAIM create their consumer even when they claim nothing", async () => {
    await c.call("FLUSHALL");
    await c.call("XADD", "s", "1-0", "f", "v");
    await c.call("XGROUP", "CREATE", "s", "g", "0");
    expect(text(await c.call("XCLAIM", "s", "g", "x", "0", "1-0"))).toBe("*0\r\n");
    expect(text(await c.call("XAUTOCLAIM", "s", "g", "y", "0", "0", "JUSTID"))).toBe("*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n");
    expect(text(await c.call("XINFO", "GROUPS", "s"))).toContain("$9\r\nconsumers\r\n:2\r\n");
    await c.call("XREADGROUP", "GROUP", "g", "z", "STREAMS", "s", ">");
    await c.call("XREADGROUP", "GROUP", "g", "w", "STREAMS", "s", ">");
    expect(text(await c.call("XINFO", "GROUPS", "s"))).toContain("$9\r\nconsumers\r\n:4\r\n");
  });
});

describe("stream propagation and blocking", () => {
  let conn: RespConnection;
  let server: Server;
  let port: number;
  useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => {
    conn = f.conn;
    server = f.srv.server;
    port = f.srv.port;
  });
  let units: string[][] = [];
  let stop: () => void = () => {};
  beforeAll(() => {
    stop = server.writePath.onPropagate((ops: PropagatedOp[]) => units.push(ops.map((o) => o.argv.map((a) => a.toString()).join(" "))));
  });
  afterAll(() => stop());

  async function propagated(...cmds: Arg[][]): Promise<string[]> {
    units = [];
    for (const c of cmds) await conn.call(...c);
    // Several commands of one call go out inside MULTI/EXEC, as Redis wraps them.
    const got = units.flat().filter((c) => c !== "MULTI" && c !== "EXEC");
    units = [];
    return got;
  }

  it("XADD * propagates the generated ID; approximate trims propagate what they reached", async () => {
    await conn.call("FLUSHALL");
    const got = await propagated(["XADD", "s", "*", "f", "v"], ["XADD", "s2", "5-*", "f", "v"], ["XADD", "s2", "5-*", "f", "v"], ["XADD", "s2", "6-1", "f", "v"]);
    expect(got[0]).toMatch(/^XADD s \d+-0 f v$/);
    expect(got.slice(1)).toEqual(["XADD s2 5-0 f v", "XADD s2 5-1 f v", "XADD s2 6-1 f v"]);
    await conn.call("FLUSHALL");
    await conn.call("CONFIG", "SET", "stream-node-max-entries", "10");
    for (let i = 1; i <= 25; i++) await conn.call("XADD", "t", `${i}-0`, "f", "v");
    expect(await propagated(["XTRIM", "t", "MAXLEN", "~", "12"])).toEqual(["XTRIM t MAXLEN = 15"]);
    expect(await propagated(["XADD", "t", "MINID", "~", "21", "30-0", "f", "v"])).toEqual(["XADD t MINID = 21-0 30-0 f v"]);
    expect(await propagated(["XTRIM", "t", "MAXLEN", "100"])).toEqual([]);
    await conn.call("CONFIG", "SET", "stream-node-max-entries", "100");
  });

  it("XREADGROUP propagates XCLAIM per delivered entry, and XGROUP SETID with NOACK", async () => {
    await conn.call("FLUSHALL");
    await conn.call("XADD", "s", "1-0", "f", "v");
    await conn.call("XADD", "s", "2-0", "f", "v");
    await conn.call("XGROUP", "CREATE", "s", "g", "0");
    const got = await propagated(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    expect(got.length, got.join("\n")).toBe(2);
    expect(got[0]).toMatch(/^XCLAIM s g c 0 1-0 TIME \d+ RETRYCOUNT 1 FORCE JUSTID LASTID 1-0$/);
    expect(got[1]).toMatch(/^XCLAIM s g c 0 2-0 TIME \d+ RETRYCOUNT 1 FORCE JUSTID LASTID 2-0$/);
    await conn.call("XADD", "s", "3-0", "f", "v");
    expect(await propagated(["XREADGROUP", "GROUP", "g", "d", "NOACK", "STREAMS", "s", ">"])).toEqual([
      "XGROUP CREATECONSUMER s g d",
      "XGROUP SETID s g 3-0 ENTRIESREAD 3",
    ]);
    // Reading history changes delivery counts but propagates nothing of its own.
    expect(await propagated(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"])).toEqual([]);
    expect(await propagated(["XACK", "s", "g", "1-0"])).toEqual(["XACK s g 1-0"]);
  });

  it("XREAD BLOCK $ waits for the next XADD; XREADGROUP BLOCK wakes on XADD and on the group's removal", async () => {
    await conn.call("FLUSHALL");
    await conn.call("XADD", "s", "1-0", "old", "x");
    const reader = await RespConnection.connect(port);
    try {
      const pending = reader.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await poll(async () => text(await conn.call("INFO", "clients")).includes("blocked_clients:1"), "the reader to block");
      await conn.call("XADD", "s", "2-0", "new", "y");
      expect(show(await pending)).toBe(show(Buffer.from("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$3\r\nnew\r\n$1\r\ny\r\n")));
      // A timeout answers the null array.
      expect(text(await reader.call("XREAD", "BLOCK", "20", "STREAMS", "s", "$"))).toBe("*-1\r\n");

      await conn.call("XGROUP", "CREATE", "s", "g", "$");
      const grp = reader.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await poll(async () => text(await conn.call("INFO", "clients")).includes("blocked_clients:1"), "the group reader to block");
      await conn.call("XADD", "s", "3-0", "k", "v");
      expect(text(await grp)).toContain("3-0");
      const gone = reader.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await poll(async () => text(await conn.call("INFO", "clients")).includes("blocked_clients:1"), "the group reader to block again");
      await conn.call("DEL", "s");
      expect(text(await gone)).toBe("-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n");
    } finally {
      reader.close();
    }
  });
});
