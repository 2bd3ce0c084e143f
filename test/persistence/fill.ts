/**
 * A dataset with every type and encoding Redis writes to an RDB: strings
 * (int, embstr, raw, compressible), lists (listpack, quicklist, compressed
 * quicklist nodes, plain nodes), sets (intset, listpack, hashtable), sorted
 * sets (listpack, skiplist), hashes (listpack, hashtable), streams (several
 * nodes, deleted entries, groups with pending entries and consumers),
 * expiries, in several dbs. Seeded: both servers get the same commands.
 */
import type Redis from "ioredis";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** The commands that build the dataset, db by db. */
export function fillCommands(seed = 1): (string | number)[][] {
  const r = rng(seed);
  const cmds: (string | number)[][] = [];
  const word = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
  for (const db of [0, 1, 5]) {
    cmds.push(["SELECT", db]);
    // strings
    cmds.push(["SET", "int:small", 7], ["SET", "int:big", "-9223372036854775808"], ["SET", "int:mid", 123456789012]);
    cmds.push(["SET", "str:embstr", "hello world"], ["SET", "str:raw", word(100)], ["SET", "str:lzf", "abcdefgh".repeat(50)]);
    cmds.push(["SET", "str:empty", ""], ["SET", "str:bin", "\x00\x01\xff\r\n"], ["APPEND", "str:appended", "xyz"]);
    for (let i = 0; i < 20; i++) cmds.push(["SET", `vol:${i}`, word(5), "PX", 3_600_000 + i * 1000]);
    cmds.push(["SET", "vol:abs", "x", "PXAT", 4_102_444_800_000]);
    // lists
    cmds.push(["RPUSH", "list:lp", "a", "b", 1, 2, -3, "c".repeat(30)]);
    cmds.push(["RPUSH", "list:ql", ...Array.from({ length: 2000 }, (_, i) => `item-${i}-${word(8)}`)]);
    cmds.push(["CONFIG", "SET", "list-compress-depth", 1]);
    cmds.push(["RPUSH", "list:compressed", ...Array.from({ length: 3000 }, (_, i) => `entry ${i % 10} ${"z".repeat(20)}`)]);
    cmds.push(["CONFIG", "SET", "list-compress-depth", 0]);
    cmds.push(["RPUSH", "list:ints", ...Array.from({ length: 600 }, (_, i) => i * 37 - 5000)]);
    // sets
    cmds.push(["SADD", "set:intset", 1, 2, 3, -100, 1_000_000_000_000]);
    cmds.push(["SADD", "set:lp", "a", "b", "c", 5]);
    cmds.push(["SADD", "set:ht", ...Array.from({ length: 300 }, (_, i) => `m${i}`)]);
    cmds.push(["SADD", "set:bigints", ...Array.from({ length: 600 }, (_, i) => i)]);
    // sorted sets
    cmds.push(["ZADD", "zset:lp", 1, "a", 2.5, "b", -3, "c", "inf", "d", "-inf", "e"]);
    // Scores whose "%.17g" (7.0's DEBUG DIGEST) and shortest form (7.2's) agree.
    cmds.push(["ZADD", "zset:sl", ...Array.from({ length: 300 }, (_, i) => [i * 0.5 + Math.floor(r() * 4) * 0.25, `member:${i}`]).flat()]);
    // hashes
    cmds.push(["HSET", "hash:lp", "f1", "v1", "f2", 2, "f3", "x".repeat(40)]);
    cmds.push(["HSET", "hash:ht", ...Array.from({ length: 600 }, (_, i) => [`field:${i}`, `value:${word(6)}`]).flat()]);
    cmds.push(["HSET", "hash:longval", "f", "v".repeat(100)]);
    cmds.push(["HSET", "hash:vol", "a", 1], ["PEXPIRE", "hash:vol", 7_200_000]);
    // streams
    for (let i = 1; i <= 250; i++) cmds.push(["XADD", "stream:s", `${1000 + i}-${i % 3}`, "f", i, "g", word(4)]);
    cmds.push(["XDEL", "stream:s", "1010-1", "1020-2"]);
    cmds.push(["XGROUP", "CREATE", "stream:s", "g1", "0"]);
    cmds.push(["XGROUP", "CREATE", "stream:s", "g2", "$"]);
    cmds.push(["XREADGROUP", "GROUP", "g1", "alice", "COUNT", 5, "STREAMS", "stream:s", ">"]);
    cmds.push(["XREADGROUP", "GROUP", "g1", "bob", "COUNT", 3, "STREAMS", "stream:s", ">"]);
    cmds.push(["XACK", "stream:s", "g1", "1001-1"]);
    cmds.push(["XADD", "stream:empty", "MAXLEN", 0, "*", "f", "v"]);
    cmds.push(["XADD", "stream:one", "5-5", "a", "b"]);
  }
  cmds.push(["SELECT", 0]);
  return cmds;
}

/** Runs the fill on a server. */
export async function fill(r: Redis, seed = 1): Promise<void> {
  for (const c of fillCommands(seed)) await r.call(String(c[0]), ...c.slice(1).map(String));
}

/** Every key of every db: db, name, type, encoding, digest of the value, whether it has a TTL. */
export async function walk(r: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const db of [0, 1, 2, 3, 4, 5]) {
    await r.call("SELECT", String(db));
    const keys = ((await r.call("KEYS", "*")) as string[]).sort();
    for (const k of keys) {
      const type = await r.call("TYPE", k);
      const digest = await r.call("DEBUG", "DIGEST-VALUE", k);
      const ttl = (await r.call("PTTL", k)) as number;
      out.push(`${db} ${k} ${type} ${digest} ${ttl > 0 ? "ttl" : ttl}`);
    }
  }
  await r.call("SELECT", "0");
  return out;
}
