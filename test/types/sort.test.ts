/**
 * SORT and SORT_RO against redis-server: options, errors and replies byte
 * for byte over lists, sets and sorted sets, BY/GET through string keys and
 * hash fields, STORE (the stored list, its events), the key finder, and
 * seeded random SORT commands.
 *
 * Redis 7.0 (Debian's oracle) and 7.2 sort alike; where 7.2 differs (small
 * sets and lists are listpacks: BY nosort over a set walks it in another
 * order, a stored list's encoding) the tests compare as sets or state 7.2's
 * answer. NODIS_ORACLE_BIN=path uses another oracle binary; NODIS_DIFF_SEED replays seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { Subscriber } from "../helpers/subscriber.js";
import { show, type Arg } from "../diff/resp.js";
import { arrayElements } from "../diff/compare.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";

const SEEDS = seedsFromEnv([3, 4242, 65537]);
const STEPS = Number(process.env.NODIS_DIFF_COUNT ?? 300);

/** An array reply's elements sorted, for replies in a set's own order. */
function asSet(b: Buffer): string {
  const els = arrayElements(b);
  return els ? `*${els.length} ${els.map((e) => show(e)).sort().join(" ")}` : show(b);
}

describe.skipIf(!haveRedisServer())("SORT against redis-server", () => {
  const pair = useServerPair();

  /** How a reply compares: exactly, as a set, or (a slice of a hash order) by its length. */
  type Mode = "exact" | "set" | "count";
  async function same(cmds: Arg[][], mode: (argv: Arg[]) => Mode = () => "exact"): Promise<void> {
    await pair.reset();
    const [a, b] = await Promise.all([pair.mine.send(cmds), pair.theirs.send(cmds)]);
    cmds.forEach((argv, i) => {
      const what = `#${i} ${argv.map(String).join(" ")}`;
      const m = pair.is72 && mode(argv) !== "exact" && !String(argv[1]).startsWith("z") ? "exact" : mode(argv);
      if (m === "set") expect(asSet(a[i]), what).toBe(asSet(b[i]));
      else if (m === "count") expect(asSet(a[i]).split(" ")[0], what).toBe(asSet(b[i]).split(" ")[0]);
      else expect(show(a[i]), what).toBe(show(b[i]));
    });
  }

  /**
   * Replies whose order Redis leaves to a hash table: BY nosort over a set
   * (7.0 keeps small sets in hash tables: with a LIMIT even the slice
   * differs), and ALPHA BY over a set or sorted set, whose ties (equal or
   * missing values) keep the order Redis walked the elements in (a sorted
   * set's dict). Against a 7.2 oracle only the sorted sets' stay inexact.
   */
  const tiesInHashOrder = (argv: Arg[]): Mode => {
    const a = argv.map(String);
    if (a[0].toUpperCase() !== "SORT" || a.includes("STORE") || ["l", "nums", "nokey"].includes(a[1])) return "exact";
    const by = a.findIndex((x) => x.toUpperCase() === "BY");
    if (a.includes("nosort")) return a[1].startsWith("z") ? "exact" : a.some((x) => x.toUpperCase() === "LIMIT") ? "count" : "set";
    return by > 0 && a[by + 1].includes("*") && a.some((x) => x.toUpperCase() === "ALPHA") ? "set" : "exact";
  };

  /** A list, a set of integers, a set of words, a sorted set, and weights as strings and hash fields. */
  const DATA: Arg[][] = [
    ["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "1e1", "0x10", "3"],
    ["SADD", "is", "30", "-2", "7", "100", "0"],
    ["SADD", "ws", "pear", "apple", "Fig", "banana", "cherry", "apple2"],
    ["ZADD", "z", "1", "d", "5", "b", "2", "c", "10", "a", "3", "e"],
    ["MSET", "w_3", "30", "w_1", "10", "w_2", "-20", "w_10", "5", "w_-5", "7", "w_pear", "b", "w_apple", "a", "w_a", "4", "w_b", "1"],
    ["HSET", "h_3", "f", "0.5", "g", "x"],
    ["HSET", "h_1", "f", "-1", "g", "y"],
    ["HSET", "h_d", "f", "9"],
    ["HSET", "h_b", "f", "7", "name", "bee"],
    ["HSET", "h_pear", "f", "zz"],
    ["SET", "str", "x"],
    ["SET", "const", "1"],
  ];

  it("options, errors and replies over lists, sets and sorted sets", async () => {
    await same([
      ...DATA,
      ["SORT", "l"], ["SORT", "l", "DESC"], ["SORT", "l", "ALPHA"], ["SORT", "l", "ALPHA", "DESC"], ["SORT", "l", "asc", "desc", "asc"],
      ["SORT", "l", "LIMIT", "1", "3"], ["SORT", "l", "LIMIT", "-5", "2"], ["SORT", "l", "LIMIT", "100", "2"], ["SORT", "l", "LIMIT", "0", "-1"],
      ["SORT", "l", "LIMIT", "0", "0"], ["SORT", "l", "LIMIT", "2", "-7"], ["SORT", "l", "LIMIT", "8", "100"],
      ["SORT", "l", "BY", "nosort"], ["SORT", "l", "BY", "nosort", "DESC"], ["SORT", "l", "BY", "nosort", "LIMIT", "2", "3"],
      ["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "2", "3"], ["SORT", "l", "BY", "const"], ["SORT", "l", "BY", "w_*", "BY", "nosort"],
      ["SORT", "l", "BY", "w_*"], ["SORT", "l", "BY", "w_*", "DESC"], ["SORT", "l", "BY", "w_*", "ALPHA"], ["SORT", "l", "BY", "w_*", "LIMIT", "1", "4"],
      ["SORT", "l", "BY", "h_*->f"], ["SORT", "l", "BY", "h_*->f", "GET", "#", "GET", "h_*->f", "GET", "h_*->g", "GET", "w_*"],
      ["SORT", "l", "GET", "#"], ["SORT", "l", "GET", "nostar"], ["SORT", "l", "GET", "str"], ["SORT", "l", "BY", "nosort", "GET", "h_*->"],
      ["SORT", "l", "BY", "w_*->"], ["SORT", "l", "GET", "*"], ["SORT", "l", "BY", "h_*->nofield"], ["SORT", "l", "BY", "h_*->nofield", "ALPHA"],
      ["SORT", "is"], ["SORT", "is", "DESC", "LIMIT", "1", "2"], ["SORT", "is", "ALPHA"], ["SORT", "is", "BY", "w_*", "GET", "#", "GET", "w_*"],
      ["SORT", "ws"], ["SORT", "ws", "ALPHA"], ["SORT", "ws", "ALPHA", "DESC", "LIMIT", "1", "3"], ["SORT", "ws", "BY", "w_*", "ALPHA"],
      ["SORT", "ws", "BY", "h_*->f", "ALPHA", "GET", "#", "GET", "h_*->name"],
      ["SORT", "z"], ["SORT", "z", "ALPHA"], ["SORT", "z", "BY", "nosort"], ["SORT", "z", "BY", "nosort", "DESC"],
      ["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"], ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "3"], ["SORT", "z", "BY", "nosort", "LIMIT", "9", "3"],
      ["SORT", "z", "BY", "h_*->f"], ["SORT", "z", "BY", "w_*", "GET", "#", "GET", "w_*"], ["SORT", "z", "ALPHA", "BY", "h_*->f"],
      ["SORT", "nokey"], ["SORT", "nokey", "STORE", "l2"], ["SORT", "str"], ["SORT", "h_3"], ["SORT", "l", "LIMIT"], ["SORT", "l", "LIMIT", "1"],
      ["SORT", "l", "LIMIT", "a", "1"], ["SORT", "l", "LIMIT", "1", "b"], ["SORT", "l", "FOO"], ["SORT", "l", "STORE"], ["SORT", "l", "BY"], ["SORT", "l", "GET"],
      ["SORT", "ws"], ["SORT", "l", "BY", "h_*->g"], ["SORT", "l", "LIMIT", "x", "y", "FOO"], ["SORT", "str", "FOO"],
      ["SORT_RO", "l", "BY", "w_*", "GET", "#"], ["SORT_RO", "l", "STORE", "d"], ["SORT_RO", "str"], ["SORT", "l", "BY", "w_*", "STORE", "st"], ["LRANGE", "st", "0", "-1"],
      ["SORT", "ws", "ALPHA", "GET", "#", "GET", "nokey_*", "STORE", "st"], ["LRANGE", "st", "0", "-1"], ["SORT", "nokey", "STORE", "st"], ["EXISTS", "st"],
      ["SORT", "is", "BY", "nosort", "STORE", "st"], ["LRANGE", "st", "0", "-1"], ["SORT", "l", "STORE", "str"], ["TYPE", "str"],
      ["RPUSH", "bad", "1", "x", "2"], ["SORT", "bad"], ["SORT", "bad", "STORE", "st2"], ["EXISTS", "st2"], ["SORT", "bad", "LIMIT", "0", "1"],
      // Redis does not clear errno before strtod: after an ERANGE anything may fail, so that case comes last.
      ["RPUSH", "nums", "1", "2", "3"], ["MSET", "v_1", "", "v_2", "-inf", "v_3", " 4"], ["SORT", "nums", "BY", "v_*", "GET", "#"],
      ["SORT", "nums", "BY", "v_*", "ALPHA"], ["SET", "v_1", "12abc"], ["SORT", "nums", "BY", "v_*"], ["SORT", "nums", "BY", "v_*", "GET", "v_*", "ALPHA"],
      ["SET", "v_1", "nan"], ["SORT", "nums", "BY", "v_*"], ["SET", "v_1", "1e400"], ["SORT", "nums", "BY", "v_*"], ["DEBUG", "DIGEST"],
    ], tiesInHashOrder);
  });

  it("STORE: the list, its events (new, sortstore; del for nothing) and its encoding as Redis 7.2 makes it", async () => {
    const subs = await Promise.all([pair.oracle.port, pair.nodis.port].map((p) => Subscriber.open(p, "PSUBSCRIBE", "__key*@*__:*")));
    try {
      await same([
        ...DATA,
        ["SORT", "l", "STORE", "d"], ["SORT", "z", "BY", "nosort", "STORE", "d"], ["SORT", "nokey", "STORE", "d"], ["SORT", "nokey", "STORE", "d"],
        ["SORT", "ws", "BY", "nosort", "GET", "#", "GET", "w_*", "STORE", "d"], ["LRANGE", "d", "0", "-1"], ["SORT", "l", "LIMIT", "0", "0", "STORE", "d"],
        ["SORT", "l", "STORE", "x1", "STORE", "x2"], ["EXISTS", "x1", "x2"], ["EXPIRE", "x2", "100"], ["SORT", "l", "STORE", "x2"], ["TTL", "x2"],
      ]);
      for (const c of [pair.theirs, pair.mine]) await c.call("PUBLISH", "__keyspace@99__:end", "x");
      for (const s of subs) await s.until((m) => m.some((x) => x.includes("__keyspace@99__:end")));
      const names = subs[1].events().map((e) => e[1]);
      expect(subs[1].events()).toEqual(subs[0].events());
      expect(names).toContain("sortstore");
      expect(names).toContain("del");
    } finally {
      for (const s of subs) s.close();
    }
    // Redis 7.2 stores small results as listpacks, big ones as quicklists (7.0: always quicklist).
    const big = Array.from({ length: 5000 }, (_, i) => String(i));
    for (const conn of pair.is72 ? [pair.mine, pair.theirs] : [pair.mine]) {
      await conn.call("FLUSHALL");
      await conn.call("RPUSH", "small", "3", "1", "2");
      await conn.call("RPUSH", "big", ...big);
      await conn.call("SORT", "small", "STORE", "d1");
      await conn.call("SORT", "big", "STORE", "d2");
      await conn.call("ZADD", "z", "1", "a", "2", "b");
      await conn.call("SORT", "z", "ALPHA");
      const enc = async (k: string) => (await conn.call("OBJECT", "ENCODING", k)).toString().split("\r\n")[1];
      // And SORT converts a listpack sorted set to a skiplist for good.
      expect([await enc("d1"), await enc("d2"), await enc("z")]).toEqual(["listpack", "quicklist", "skiplist"]);
    }
  });

  it("the key finder: the sorted key and the last STORE's destination, with their flags", async () => {
    await same([
      ["COMMAND", "GETKEYS", "SORT", "l"], ["COMMAND", "GETKEYS", "SORT", "l", "STORE", "d", "BY", "w_*", "GET", "x_*"],
      ["COMMAND", "GETKEYS", "SORT", "l", "STORE", "d1", "STORE", "d2"], ["COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "STORE", "x", "STORE", "y"],
      ["COMMAND", "GETKEYS", "SORT", "l", "GET", "STORE", "STORE", "z"], ["COMMAND", "GETKEYS", "SORT", "l", "STORE"],
      ["COMMAND", "GETKEYSANDFLAGS", "SORT", "l", "STORE", "d"], ["COMMAND", "GETKEYS", "SORT_RO", "l", "BY", "x"],
      ["COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "l"], ["COMMAND", "INFO", "SORT", "SORT_RO"],
    ]);
  });

  /** Random SORT commands over random data. */
  function sequence(seed: number): Arg[][] {
    const r = new Prng(seed);
    const elems = ["1", "2", "3", "10", "-4", "2.5", "1e2", "x", "y", "Z", "007", "0", "abc", ""];
    const pick = () => r.pick(elems);
    const cmds: Arg[][] = [];
    for (let i = 0; i < STEPS; i++) {
      const p = r.int(100);
      if (p < 8) cmds.push(["RPUSH", "l", ...Array.from({ length: r.range(1, 6) }, pick)]);
      else if (p < 12) cmds.push(["SADD", "s", ...Array.from({ length: r.range(1, 6) }, () => (r.chance(0.7) ? String(r.int(50)) : pick()))]);
      else if (p < 16) cmds.push(["ZADD", "z", String(r.int(10)), pick()]);
      else if (p < 22) cmds.push(["SET", `w_${pick()}`, r.chance(0.8) ? String(r.range(-20, 20)) : pick()]);
      else if (p < 26) cmds.push(["HSET", `h_${pick()}`, "f", r.chance(0.8) ? String(r.range(-20, 20)) : pick()]);
      else if (p < 28) cmds.push(["DEL", r.pick(["l", "s", "z", `w_${pick()}`])]);
      else {
        const key = r.pick(["l", "s", "z", "nokey"]);
        const argv: Arg[] = ["SORT", key];
        const by = r.chance(0.4) ? r.pick(["w_*", "h_*->f", "nosort", "w_*->"]) : null;
        if (by) argv.push("BY", by);
        const alpha = r.chance(0.4);
        if (alpha) argv.push("ALPHA");
        if (r.chance(0.3)) argv.push("DESC");
        // ALPHA with BY sorts ties (equal or missing values) in the algorithm's own order,
        // which with a LIMIT is Redis's partial quicksort: no LIMIT there.
        if (r.chance(0.3) && !(alpha && by && by !== "nosort")) argv.push("LIMIT", String(r.range(-1, 5)), String(r.range(-1, 6)));
        for (let g = r.int(3); g > 0; g--) argv.push("GET", r.pick(["#", "w_*", "h_*->f", "nostar"]));
        // A stored list keeps the order of ties too (see tiesInHashOrder): none of those stored.
        if (r.chance(0.2) && !(alpha && by?.includes("*") && key !== "l")) argv.push("STORE", "dst");
        cmds.push(argv);
        if (argv.includes("STORE")) cmds.push(["LRANGE", "dst", "0", "-1"]);
      }
    }
    cmds.push(["DEBUG", "DIGEST"]);
    return cmds;
  }

  for (const seed of SEEDS) {
    it(`seed ${seed}: random SORT commands give Redis's replies`, async () => {
      await same(sequence(seed), tiesInHashOrder);
    });
  }
});
