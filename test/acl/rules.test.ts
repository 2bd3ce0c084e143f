/**
 * ACL users and rules: ACL SETUSER's errors, CAT, GENPASS, USERS, DELUSER,
 * WHOAMI, AUTH, byte for byte against redis-server where 7.0 and 7.2 agree;
 * what 7.2 changed (the descriptions show sanitize-payload and keep rules in
 * the order given; DRYRUN names the user) is asserted with 7.2's answers,
 * taken from the 7.2.6 binary. A seeded random walk over rules compares which
 * commands each user may run (DRYRUN's verdicts) with the oracle.
 */
import { describe, expect, it } from "vitest";
import { expectSameReplies } from "../helpers/oracle.js";
import { useServerPair } from "../helpers/pair.js";
import { show, type Arg } from "../diff/resp.js";

const pair = useServerPair({ events: false });

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

async function users(): Promise<void> {
  for (const k of [pair.mine, pair.theirs]) {
    const names = (await k.call("ACL", "USERS")).toString("latin1").split("\r\n").filter((l, i) => i % 2 === 0 && i > 0 && l !== "");
    const others = names.filter((n) => n !== "default");
    if (others.length) await k.call("ACL", "DELUSER", ...others);
    await k.call("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all");
  }
}

describe("ACL rules against redis-server", () => {
  it("refuses bad rules with the same errors, changing nothing", async () => {
    await users();
    const cmds: Arg[][] = [
      ["ACL", "SETUSER", "x", "~*", "~foo"],
      ["ACL", "SETUSER", "x", "&*", "&foo"],
      ["ACL", "SETUSER", "x", "+nosuch"],
      ["ACL", "SETUSER", "x", "-nosuch"],
      ["ACL", "SETUSER", "x", "+@nosuch"],
      ["ACL", "SETUSER", "x", "#abc"],
      ["ACL", "SETUSER", "x", "#" + "A".repeat(64)],
      ["ACL", "SETUSER", "x", "<nopw"],
      ["ACL", "SETUSER", "x", "!" + "0".repeat(64)],
      ["ACL", "SETUSER", "x", "+config|get|x"],
      ["ACL", "SETUSER", "x", "+get|"],
      ["ACL", "SETUSER", "x", "+config|nosuch"],
      ["ACL", "SETUSER", "x", "-select|0"],
      ["ACL", "SETUSER", "x", "foo"],
      ["ACL", "SETUSER", "x", "%~foo"],
      ["ACL", "SETUSER", "x", "%RR~foo"],
      ["ACL", "SETUSER", "x", "%X~foo"],
      ["ACL", "SETUSER", "x", "~a b"],
      ["ACL", "SETUSER", "x", "on", "(+get", "~a"],
      ["ACL", "SETUSER", "x", "on", "(+get ~a", "+nosuch)"],
      ["ACL", "SETUSER", "a b"],
      ["ACL", "SETUSER", "a\0b"],
      ["ACL", "USERS"],
      ["ACL", "GETUSER", "x"],
    ];
    await expectSameReplies(pair.mine, pair.theirs, cmds);
  });

  it("answers CAT, GENPASS, DELUSER, WHOAMI, AUTH and subcommand errors the same", async () => {
    await users();
    await expectSameReplies(pair.mine, pair.theirs, [
      ["ACL", "CAT"],
      ["ACL", "CAT", "nosuch"],
      ["ACL", "CAT", "a", "b"],
      ["ACL", "GENPASS", "0"],
      ["ACL", "GENPASS", "4097"],
      ["ACL", "GENPASS", "abc"],
      ["ACL", "GENPASS", "1", "2"],
      ["ACL", "LOG", "1", "2"],
      ["ACL", "LOG", "x"],
      ["ACL", "WHOAMI"],
      ["ACL", "WHOAMI", "x"],
      ["ACL", "NOSUCH"],
      ["ACL"],
      ["ACL", "SETUSER"],
      ["ACL", "GETUSER", "nosuch"],
      ["ACL", "SETUSER", "u1", "on", ">pw"],
      ["ACL", "SETUSER", "u2"],
      ["ACL", "USERS"],
      ["ACL", "DELUSER", "u1", "default"],
      ["ACL", "DELUSER", "u1", "nosuch", "u2"],
      ["ACL", "USERS"],
      ["ACL", "SAVE"],
      ["ACL", "LOAD"],
      ["ACL", "DRYRUN", "nosuch", "get", "x"],
      ["ACL", "DRYRUN", "default", "nosuch", "x"],
      ["ACL", "DRYRUN", "default", "get"],
      ["ACL", "DRYRUN", "default", "config", "nosuch"],
      ["ACL", "DRYRUN", "default", "get", "x"],
    ]);
    // One at a time: Redis 7.2.6 drops a failed AUTH's reply while earlier replies wait to be written (addAuthErrReply).
    for (const argv of [["AUTH", "nosuch", "x"], ["AUTH", "x"], ["AUTH", "a", "b", "c"], ["AUTH", "default", "x"]]) {
      expect(show(await pair.mine.call(...argv)), argv.join(" ")).toBe(show(await pair.theirs.call(...argv)));
    }
    for (const bits of ["1", "5", "256", "4096"]) {
      const got = (await pair.mine.call("ACL", "GENPASS", bits)).toString();
      const len = Math.floor((Number(bits) + 3) / 4);
      expect(got).toMatch(new RegExp(`^\\$${len}\\r\\n[0-9a-f]{${len}}\\r\\n$`));
    }
  });

  it("lists a category's commands as redis-server does (as a set: Redis's order is its hash order)", async () => {
    const lines = (x: Buffer) => x.toString().split("\r\n").filter((_, i) => i % 2 === 0 && i > 0);
    const mineCommands = new Set(lines(await pair.mine.call("COMMAND", "LIST")));
    const theirCommands = new Set(lines(await pair.theirs.call("COMMAND", "LIST")));
    // Commands both servers have (Debian's 7.0 lacks some of 7.2's, Nodis a few of Redis's).
    const shared = (name: string) => mineCommands.has(name.split("|")[0]) && theirCommands.has(name.split("|")[0]);
    for (const cat of ["keyspace", "read", "write", "admin", "dangerous", "pubsub", "scripting", "connection", "fast", "slow"]) {
      const [a, b] = await Promise.all([pair.mine.call("ACL", "CAT", cat), pair.theirs.call("ACL", "CAT", cat)]);
      const mine = lines(a).filter(shared).sort();
      const theirs = lines(b).filter(shared).sort();
      // 7.0 lacks some of 7.2's subcommands (CLIENT NO-TOUCH, SETINFO...): all of its own must be there.
      if (pair.is72) expect(mine, cat).toEqual(theirs);
      else expect(theirs.filter((n) => !mine.includes(n)), cat).toEqual([]);
    }
  });

  it("describes users as Redis 7.2 does (ACL LIST, GETUSER)", async () => {
    await users();
    const c = pair.mine;
    expect(String(await c.call("ACL", "SETUSER", "alice", "on", ">p1", "~foo*", "+get", "+set", "&chan"))).toBe("+OK\r\n");
    await c.call("ACL", "SETUSER", "bob", "on", "nopass", "%R~r*", "%W~w*", "%RW~rw*", "+@read", "-@write", "+@hash", "-hset", "+config|get", "+select|0", "allchannels");
    await c.call("ACL", "SETUSER", "carol", "on", "nopass", "~a*", "+get", "(~b* +set)", "(%R~c*", "+@string", "-append)");
    await c.call("ACL", "SETUSER", "dave", "+@all", "-@dangerous", "~*", "+flushall", "-config|set", "+debug");
    await c.call("ACL", "SETUSER", "eve", "on", ">a", ">b", ">a", "<b", "-get", "+get", "+get");
    const hash = "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"; // sha256("p1")
    const list = [
      `user alice on sanitize-payload #${hash} ~foo* resetchannels &chan -@all +get +set`,
      "user bob on nopass sanitize-payload %R~r* %W~w* ~rw* &* -@all +@read -@write +@hash -hset +config|get +select|0",
      "user carol on nopass sanitize-payload ~a* resetchannels -@all +get (~b* resetchannels -@all +set) (%R~c* resetchannels -@all +@string -append)",
      "user dave off sanitize-payload ~* resetchannels +@all -@dangerous +flushall -config|set +debug",
      "user default on nopass sanitize-payload ~* &* +@all",
      "user eve on sanitize-payload #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb resetchannels -@all +get",
    ];
    expect(String(await c.call("ACL", "LIST"))).toBe(`*${list.length}\r\n` + list.map(bulk).join(""));
    const carol =
      "*12\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$6\r\nnopass\r\n$16\r\nsanitize-payload\r\n$9\r\npasswords\r\n*0\r\n" +
      "$8\r\ncommands\r\n$10\r\n-@all +get\r\n" +
      "$4\r\nkeys\r\n$3\r\n~a*\r\n$8\r\nchannels\r\n$0\r\n\r\n$9\r\nselectors\r\n*2\r\n" +
      "*6\r\n$8\r\ncommands\r\n$10\r\n-@all +set\r\n$4\r\nkeys\r\n$3\r\n~b*\r\n$8\r\nchannels\r\n$0\r\n\r\n" +
      "*6\r\n$8\r\ncommands\r\n$22\r\n-@all +@string -append\r\n$4\r\nkeys\r\n$5\r\n%R~c*\r\n$8\r\nchannels\r\n$0\r\n\r\n";
    expect(String(await c.call("ACL", "GETUSER", "carol"))).toBe(carol);
    // DRYRUN names the user in 7.2 (7.0: "This user").
    const dry = async (...argv: string[]) => String(await c.call("ACL", "DRYRUN", ...argv));
    expect(await dry("alice", "get", "bar")).toBe(bulk("User alice has no permissions to access the 'bar' key"));
    expect(await dry("alice", "del", "foo1")).toBe(bulk("User alice has no permissions to run the 'del' command"));
    expect(await dry("alice", "publish", "chan2", "x")).toBe(bulk("User alice has no permissions to run the 'publish' command"));
    expect(await dry("bob", "config", "set", "x", "y")).toBe(bulk("User bob has no permissions to run the 'config|set' command"));
    expect(await dry("bob", "get", "w1")).toBe(bulk("User bob has no permissions to access the 'w1' key"));
    expect(await dry("bob", "select", "0")).toBe("+OK\r\n");
    expect(await dry("bob", "select", "1")).toBe(bulk("User bob has no permissions to run the 'select' command"));
    expect(await dry("carol", "set", "b1", "x")).toBe("+OK\r\n");
    expect(await dry("carol", "set", "a1", "x")).toBe(bulk("User carol has no permissions to access the 'a1' key"));
    expect(await dry("carol", "append", "c1", "x")).toBe(bulk("User carol has no permissions to run the 'append' command"));
  });
});

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RULES = [
  "+get", "-get", "+set", "-set", "+@read", "-@read", "+@write", "-@write", "+@string", "-@string", "+@list", "-@hash",
  "+@keyspace", "-@keyspace", "+@pubsub", "-@pubsub", "+@all", "-@all", "+config|get", "-config", "+config", "+lpush",
  "+client|id", "-client", "+sort", "+eval", "+publish", "+subscribe", "+psubscribe", "+@slow", "-@slow", "+@fast",
  "+@connection", "-@admin", "+@dangerous", "-@scripting", "+select|1", "+client", "-client|kill",
  "~k*", "%R~r*", "%W~w*", "%RW~b*", "~*", "resetkeys", "allkeys", "&c*", "&chan", "allchannels", "resetchannels",
];
const PROBES: string[][] = [
  ["get", "k1"], ["get", "r1"], ["get", "w1"], ["get", "b1"], ["get", "x"], ["set", "k1", "v"], ["set", "w1", "v"], ["set", "r1", "v"],
  ["lpush", "w1", "a"], ["copy", "r1", "w1"], ["copy", "k1", "x"], ["lmove", "r1", "w1", "left", "right"], ["rename", "b1", "w1"],
  ["config", "get", "x"], ["config", "set", "x", "y"], ["client", "id"], ["client", "kill", "id", "1"],
  ["eval", "return 1", "1", "k1"], ["eval", "return 1", "1", "x"], ["sort", "k1"], ["sort", "k1", "store", "w1"],
  ["publish", "chan", "m"], ["publish", "c1", "m"], ["publish", "x", "m"], ["subscribe", "chan", "x"], ["psubscribe", "c*"], ["psubscribe", "c1"],
  ["mset", "k1", "a", "w1", "b"], ["hset", "k1", "f", "v"], ["object", "encoding", "r1"], ["ping"], ["auth", "a", "b"],
  ["client", "info"], ["config", "resetstat"], ["select", "1"], ["select", "2"], ["flushall"], ["keys", "*"], ["fcall", "f", "1", "k1"],
  ["xreadgroup", "group", "g", "c", "streams", "r1", ">"], ["georadius", "w1", "0", "0", "1", "m", "store", "r1"],
];

describe("ACL verdicts in a seeded random walk", () => {
  it("allows and refuses the same commands as redis-server", async () => {
    const rand = rng(Number(process.env.ACL_SEED ?? 20261130));
    for (let round = 0; round < 40; round++) {
      await users();
      const rules: Arg[] = ["on", "nopass"];
      for (let i = 0, n = 1 + Math.floor(rand() * 6); i < n; i++) rules.push(RULES[Math.floor(rand() * RULES.length)]);
      if (rand() < 0.3) rules.push(`(${RULES[Math.floor(rand() * RULES.length)]} ${RULES[Math.floor(rand() * RULES.length)]})`);
      const setA = await pair.mine.call("ACL", "SETUSER", "w", ...rules);
      const setB = await pair.theirs.call("ACL", "SETUSER", "w", ...rules);
      expect(show(setA), rules.join(" ")).toBe(show(setB));
      const cmds = PROBES.map((p) => ["ACL", "DRYRUN", "w", ...p]);
      const [a, b] = await Promise.all([pair.mine.send(cmds), pair.theirs.send(cmds)]);
      // 7.0 says "This user" where 7.2 names it.
      const norm = (x: Buffer) => x.toString("latin1").replace(/^\$\d+\r\n(This user|User w) /, "");
      cmds.forEach((c, i) => expect(norm(a[i]), `${rules.join(" ")} | ${c.slice(3).join(" ")}`).toBe(norm(b[i])));
    }
  });
});
