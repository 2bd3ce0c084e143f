/**
 * Bitmaps against redis-server: edge cases of every command byte for byte,
 * encodings, and seeded random sequences (replies, keyspace events, DEBUG DIGEST).
 * NODIS_DIFF_SEED replays seeds.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { Prng, seedsFromEnv } from "../diff/prng.js";
import type { Arg } from "../diff/resp.js";
import { flushBoth, sameDigest, sameEvents, sameReplies, usePair } from "./bits-diff.js";

const SEEDS = seedsFromEnv([1, 42, 2026]);

describe.skipIf(!haveRedisServer())("bitmaps against redis-server", () => {
  const p = usePair();
  beforeEach(() => flushBoth(p));

  it("SETBIT and GETBIT: growth, old values, argument errors", async () => {
    await sameReplies(p, [
      ["SETBIT", "k", "7", "1"], ["SETBIT", "k", "7", "1"], ["SETBIT", "k", "7", "0"], ["GETBIT", "k", "7"],
      ["SETBIT", "k", "100", "1"], ["STRLEN", "k"], ["GET", "k"], ["GETBIT", "k", "100"], ["GETBIT", "k", "1000000"],
      ["GETBIT", "nokey", "0"], ["SETBIT", "k", "-1", "1"], ["SETBIT", "k", "1", "2"], ["SETBIT", "k", "1", "-1"],
      ["SETBIT", "k", "x", "1"], ["SETBIT", "k", "4294967296", "1"], ["GETBIT", "k", "4294967296"], ["GETBIT", "k", "-1"],
      ["SETBIT", "k", "0", "x"], ["SET", "i", "255"], ["GETBIT", "i", "2"], ["GETBIT", "i", "6"], ["SETBIT", "i", "7", "1"], ["GET", "i"],
      ["ZADD", "l", "1", "a"], ["SETBIT", "l", "0", "1"], ["GETBIT", "l", "0"],
      ["SETBIT", "k", "4294967295", "0"].slice(0, 0) as string[],
    ].filter((c) => c.length > 0));
  });

  it("BITCOUNT: ranges, BIT/BYTE, negative indexes, errors", async () => {
    const cmds: Arg[][] = [["SET", "s", "foobar"], ["SET", "n", "-12345"], ["SET", "e", ""]];
    for (const k of ["s", "n", "e", "nokey"]) {
      cmds.push(["BITCOUNT", k]);
      for (const [a, b] of [["0", "0"], ["1", "1"], ["0", "-1"], ["-2", "-1"], ["-1", "-2"], ["5", "30"], ["-100", "100"], ["3", "1"], ["1", "-5"]]) {
        cmds.push(["BITCOUNT", k, a, b], ["BITCOUNT", k, a, b, "BIT"], ["BITCOUNT", k, a, b, "byte"]);
      }
    }
    cmds.push(["BITCOUNT", "s", "0"], ["BITCOUNT", "nokey", "0"], ["BITCOUNT", "s", "a", "1"], ["BITCOUNT", "s", "0", "b"], ["BITCOUNT", "s", "0", "1", "bits"]);
    cmds.push(["BITCOUNT", "s", "0", "1", "bit", "x"], ["ZADD", "l", "1", "a"], ["BITCOUNT", "l"]);
    await sameReplies(p, cmds);
  });

  it("BITPOS: Redis's edge cases (zero-padded right, explicit end, BIT ranges)", async () => {
    const cmds: Arg[][] = [
      ["SET", "ff", Buffer.from([0xff, 0xff, 0xff])], ["SET", "z", Buffer.from([0, 0, 0])], ["SET", "m", Buffer.from([0xff, 0xf0, 0x00, 0x0f])],
      ["SET", "e", ""], ["SET", "i", "12"],
    ];
    for (const k of ["ff", "z", "m", "e", "i", "nokey"]) {
      for (const bit of ["0", "1"]) {
        cmds.push(["BITPOS", k, bit]);
        for (const s of ["0", "1", "-1", "2", "7", "-9", "100"]) {
          cmds.push(["BITPOS", k, bit, s]);
          for (const e of ["0", "-1", "1", "3", "12", "23", "-3", "200"]) {
            cmds.push(["BITPOS", k, bit, s, e], ["BITPOS", k, bit, s, e, "BIT"], ["BITPOS", k, bit, s, e, "BYTE"]);
          }
        }
      }
    }
    cmds.push(["BITPOS", "m", "2"], ["BITPOS", "m", "x"], ["BITPOS", "nokey", "2"], ["BITPOS", "m", "1", "a"], ["BITPOS", "m", "1", "0", "b"]);
    cmds.push(["BITPOS", "m", "1", "0", "1", "bits"], ["BITPOS", "m", "1", "0", "1", "bit", "x"], ["ZADD", "l", "1", "a"], ["BITPOS", "l", "1"]);
    await sameReplies(p, cmds);
  });

  it("BITOP: each operation, lengths, missing keys, the destination's TTL, errors", async () => {
    await sameReplies(p, [
      ["SET", "a", "abcdefghijklmnopqrstuvwxyz0123456789"], ["SET", "b", "xyz"], ["SET", "c", Buffer.from([0xff, 0, 0x0f])],
      ["BITOP", "AND", "d", "a", "b", "c"], ["GET", "d"], ["BITOP", "or", "d", "a", "b", "nokey"], ["GET", "d"],
      ["BITOP", "XOR", "d", "a", "b", "c", "a"], ["GET", "d"], ["BITOP", "NOT", "d", "a"], ["GET", "d"], ["OBJECT", "ENCODING", "d"],
      ["EXPIRE", "d", "100"], ["BITOP", "NOT", "d", "c"], ["TTL", "d"], ["BITOP", "AND", "d", "nokey", "other"], ["EXISTS", "d"],
      ["BITOP", "NOT", "d", "a", "b"], ["BITOP", "NAND", "d", "a"], ["ZADD", "l", "1", "x"], ["BITOP", "AND", "d", "a", "l"],
      ["BITOP", "AND", "l", "a"], ["TYPE", "l"], ["SET", "n", "123"], ["BITOP", "NOT", "d", "n"], ["GET", "d"],
    ]);
  });

  it("BITFIELD: types, overflow modes, # offsets, errors; BITFIELD_RO", async () => {
    const cmds: Arg[][] = [];
    for (const t of ["i1", "u1", "i8", "u8", "i13", "u13", "i63", "u63", "i64"]) {
      cmds.push(["BITFIELD", "f", "SET", t, "3", "-5", "GET", t, "3", "INCRBY", t, "3", "9223372036854775807", "INCRBY", t, "3", "-9223372036854775808"]);
      for (const ow of ["WRAP", "SAT", "FAIL"]) {
        cmds.push(["BITFIELD", "f", "OVERFLOW", ow, "SET", t, "#2", "12345678901234", "INCRBY", t, "#2", "100", "INCRBY", t, "#2", "-1000000", "GET", t, "#2"]);
      }
    }
    cmds.push(
      ["GET", "f"], ["BITFIELD", "f"], ["BITFIELD", "nokey", "GET", "u8", "0"], ["EXISTS", "nokey"],
      ["BITFIELD", "f", "GET", "u64", "0"], ["BITFIELD", "f", "GET", "i65", "0"], ["BITFIELD", "f", "GET", "i0", "0"], ["BITFIELD", "f", "GET", "x8", "0"],
      ["BITFIELD", "f", "GET", "u8", "-1"], ["BITFIELD", "f", "GET", "u8", "#-1"], ["BITFIELD", "f", "GET", "u8", "#"], ["BITFIELD", "f", "GET", "u8", "4294967296"],
      ["BITFIELD", "f", "SET", "u8", "0"], ["BITFIELD", "f", "SET", "u8", "0", "x"], ["BITFIELD", "f", "OVERFLOW", "NONE"], ["BITFIELD", "f", "OVERFLOW"],
      ["BITFIELD", "f", "FOO", "u8", "0"], ["BITFIELD", "f", "GET", "u8", "0", "GET"], ["BITFIELD", "f", "INCRBY", "u2", "0", "x", "GET", "u8", "0"],
      ["BITFIELD_RO", "f", "GET", "i8", "0", "GET", "u4", "#3"], ["BITFIELD_RO", "f", "SET", "u8", "0", "1"], ["BITFIELD_RO", "f", "INCRBY", "u8", "0", "1"],
      ["BITFIELD_RO", "nokey", "GET", "u8", "0"], ["SET", "n", "1234"], ["BITFIELD", "n", "GET", "u8", "8"], ["BITFIELD", "n", "INCRBY", "u8", "8", "1"], ["GET", "n"],
      ["ZADD", "l", "1", "a"], ["BITFIELD", "l", "GET", "u8", "0"], ["BITFIELD_RO", "l", "GET", "u8", "0"], ["BITFIELD", "l", "SET", "u8", "0", "1"],
      ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"], ["EXISTS", "g"], ["GET", "g"],
    );
    await sameReplies(p, cmds);
  });

  it("bit offsets are bounded by proto-max-bulk-len", async () => {
    try {
      await sameReplies(p, [
        ["CONFIG", "SET", "proto-max-bulk-len", "1048576"], ["SETBIT", "k", "8388608", "1"], ["SETBIT", "k", "8388607", "1"], ["STRLEN", "k"],
        ["GETBIT", "k", "8388608"], ["BITFIELD", "k", "SET", "u8", "#1048576", "1"], ["BITFIELD", "k", "GET", "u8", "#1048575"], ["BITFIELD", "k", "SET", "u8", "8388607", "1"],
        ["STRLEN", "k"], ["BITFIELD", "k", "GET", "i64", "#9223372036854775807"],
      ]);
    } finally {
      await sameReplies(p, [["CONFIG", "SET", "proto-max-bulk-len", "536870912"]]);
    }
  });

  it("writes make the value raw, reads leave its encoding", async () => {
    await sameReplies(p, [
      ["SET", "a", "12"], ["GETBIT", "a", "0"], ["BITCOUNT", "a"], ["BITFIELD", "a", "GET", "u8", "0"], ["OBJECT", "ENCODING", "a"],
      ["SETBIT", "a", "0", "0"], ["OBJECT", "ENCODING", "a"], ["SET", "b", "hello"], ["BITFIELD", "b", "SET", "u8", "0", "104"], ["OBJECT", "ENCODING", "b"],
      ["SETBIT", "c", "0", "1"], ["OBJECT", "ENCODING", "c"], ["BITOP", "NOT", "d", "c"], ["OBJECT", "ENCODING", "d"],
    ]);
  });

  it("keyspace events: setbit only on change, new keys, BITOP's set and del, BITFIELD once per command", async () => {
    const events = await sameEvents(p, [
      ["SETBIT", "k", "3", "1"], ["SETBIT", "k", "3", "1"], ["SETBIT", "k", "30", "0"], ["SETBIT", "k", "30", "0"],
      ["BITFIELD", "f", "SET", "u8", "0", "1", "SET", "u8", "8", "2"], ["BITFIELD", "f", "SET", "u8", "0", "1"], ["BITFIELD", "f", "GET", "u8", "0"],
      ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"], ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "1"],
      ["BITOP", "OR", "d", "k", "f"], ["BITOP", "OR", "d", "k", "f"], ["BITOP", "AND", "d", "x", "y"], ["BITOP", "AND", "d", "x", "y"],
    ]);
    expect(events.filter((e) => e.includes("__keyevent@0__:setbit")).length).toBe(4);
    expect(events.filter((e) => e.includes("__keyevent@0__:new")).length).toBe(4);
  });

  for (const seed of SEEDS) {
    it(`seeded random sequence ${seed}: replies, events, digest`, async () => {
      const r = new Prng(seed);
      const keys = ["b0", "b1", "b2", "b3", "s"];
      const types = ["i1", "u1", "i5", "u7", "i8", "u8", "i16", "u16", "i31", "u32", "i63", "u63", "i64"];
      const num = () => String(r.weighted([[3, r.range(-300, 300)], [1, Math.floor((r.next() - 0.5) * 2 ** 53)], [1, r.range(0, 4000)]]));
      const cmds: Arg[][] = [];
      for (let i = 0; i < 600; i++) {
        const k = r.pick(keys);
        const cmd = r.weighted<() => Arg[]>([
          [5, () => ["SETBIT", k, String(r.weighted([[4, r.int(64)], [1, r.int(4000)]])), String(r.int(2))]],
          [3, () => ["GETBIT", k, String(r.int(300))]],
          [3, () => (r.chance(0.3) ? ["BITCOUNT", k] : ["BITCOUNT", k, num(), num(), ...(r.chance(0.5) ? [r.pick(["BIT", "BYTE"])] : [])])],
          [3, () => ["BITPOS", k, String(r.int(2)), ...(r.chance(0.7) ? [num(), ...(r.chance(0.7) ? [num(), ...(r.chance(0.5) ? [r.pick(["BIT", "BYTE"])] : [])] : [])] : [])]],
          [2, () => ["BITOP", r.pick(["AND", "OR", "XOR"]), r.pick(keys), k, r.pick(keys), ...(r.chance(0.5) ? [r.pick(keys)] : [])]],
          [1, () => ["BITOP", "NOT", r.pick(keys), k]],
          [5, () => {
            const a: Arg[] = ["BITFIELD", k];
            for (let j = r.range(1, 4); j > 0; j--) {
              if (r.chance(0.3)) a.push("OVERFLOW", r.pick(["WRAP", "SAT", "FAIL"]));
              const t = r.pick(types);
              const off = r.chance(0.3) ? `#${r.int(20)}` : String(r.int(200));
              const op = r.pick(["GET", "SET", "INCRBY"]);
              a.push(op, t, off);
              if (op !== "GET") a.push(num());
            }
            return a;
          }],
          [1, () => ["BITFIELD_RO", k, "GET", r.pick(types), String(r.int(100))]],
          [1, () => ["SET", k, r.pick(["", "abc", "12345", "\xff\x00\xff", String(r.int(1000))])]],
          [1, () => ["APPEND", k, "xyz"]],
          [1, () => ["DEL", k]],
        ])();
        cmds.push(cmd);
      }
      expect((await sameEvents(p, cmds)).length).toBeGreaterThan(200);
      await sameDigest(p);
      for (const k of keys) await sameReplies(p, [["GET", k], ["OBJECT", "ENCODING", k]]);
    });
  }
});
