/** Tests of the differential harness itself: the reply reader, the PRNG, the generator and the comparison. */
import { describe, expect, it } from "vitest";
import net from "node:net";
import { ReplyReader, RespConnection, encodeCommand, replyEnd } from "./resp.js";
import { Prng, seedsFromEnv } from "./prng.js";
import { GENERATORS, generateRun } from "./generator.js";
import { expected72, sameReply } from "./compare.js";

const b = (s: string) => Buffer.from(s, "latin1");

describe("ReplyReader", () => {
  const replies = [
    "+OK\r\n",
    "-ERR wrong number of arguments for 'get' command\r\n",
    ":-42\r\n",
    "$5\r\nhe\r\nx\r\n", // a bulk whose payload holds CRLF
    "$-1\r\n",
    "$0\r\n\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+x\r\n",
    "%1\r\n+k\r\n,1.5\r\n",
    "|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n",
    "_\r\n",
    "#t\r\n",
    "=7\r\ntxt:abc\r\n",
    ">2\r\n$7\r\nmessage\r\n$1\r\nm\r\n",
  ];
  const stream = b(replies.join(""));

  it("splits a stream into whole replies with their exact bytes", () => {
    const r = new ReplyReader();
    r.push(stream);
    const out: string[] = [];
    for (let x = r.next(); x; x = r.next()) out.push(x.toString("latin1"));
    expect(out).toEqual(replies);
  });

  it("gives the same replies when the stream arrives one byte at a time", () => {
    const r = new ReplyReader();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      r.push(stream.subarray(i, i + 1));
      for (let x = r.next(); x; x = r.next()) out.push(x.toString("latin1"));
    }
    expect(out).toEqual(replies);
  });

  it("waits for the rest of an incomplete reply", () => {
    expect(replyEnd(b("$5\r\nhel"), 0, 7)).toBe(-1);
    expect(replyEnd(b("*2\r\n:1\r\n"), 0, 8)).toBe(-1);
    expect(replyEnd(b("+OK\r"), 0, 4)).toBe(-1);
  });

  it("rejects what is not RESP", () => {
    expect(() => replyEnd(b("hello\r\n"), 0, 7)).toThrow(/unknown reply type/);
  });

  it("encodes commands as arrays of bulk strings, binary-safe", () => {
    expect(encodeCommand(["SET", "k", b("a\r\nb")]).toString("latin1")).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
  });
});

describe("RespConnection", () => {
  it("pipelines commands and gives up on a server that does not answer", async () => {
    // Answers the first command of each packet with +OK, then goes silent.
    const srv = net.createServer((s) => s.once("data", () => s.write("+OK\r\n")));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const c = await RespConnection.connect((srv.address() as net.AddressInfo).port);
    try {
      await expect(c.send([["PING"], ["GET", "k"]], 200)).rejects.toThrow(/no reply to "GET" "k" \(command 2 of a batch of 2\)/);
      await expect(c.call("PING")).rejects.toThrow(/no reply/);
    } finally {
      c.close();
      srv.close();
    }
  });
});

describe("Prng and the generator", () => {
  it("replays the same sequence from the same seed and another from another", () => {
    const seq = (seed: number) => Array.from({ length: 8 }, ((p) => () => p.int(1000))(new Prng(seed)));
    expect(seq(5)).toEqual(seq(5));
    expect(seq(5)).not.toEqual(seq(6));
  });

  it("stays in range", () => {
    const p = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const x = p.range(-3, 3);
      expect(x >= -3 && x <= 3 && Number.isInteger(x)).toBe(true);
    }
  });

  it("takes seeds from NODIS_DIFF_SEED", () => {
    const old = process.env.NODIS_DIFF_SEED;
    try {
      process.env.NODIS_DIFF_SEED = "12, 34";
      expect(seedsFromEnv([1])).toEqual([12, 34]);
      delete process.env.NODIS_DIFF_SEED;
      expect(seedsFromEnv([1, 2])).toEqual([1, 2]);
      process.env.NODIS_DIFF_SEED = "x";
      expect(() => seedsFromEnv([1])).toThrow(/not a seed/);
    } finally {
      if (old === undefined) delete process.env.NODIS_DIFF_SEED;
      else process.env.NODIS_DIFF_SEED = old;
    }
  });

  it("generates the same run from a seed, using every generator, with some wrong-arity commands", () => {
    const a = generateRun(3, 4000, GENERATORS, 1700000000);
    const c = generateRun(3, 4000, GENERATORS, 1700000000);
    expect(a.map((x) => encodeCommand(x).toString("latin1"))).toEqual(c.map((x) => encodeCommand(x).toString("latin1")));
    const names = new Set(a.map((x) => x[0].toString().toLowerCase()));
    for (const g of GENERATORS) expect(names.has(g.name.split("|")[0])).toBe(true);
    expect(a.some((x) => x[0] === "GET" && x.length !== 2)).toBe(true);
  });

  it("never makes a relative expire that could run out during a run", () => {
    const seconds = (argv: (string | Buffer)[]): [string, number][] => {
      const cmd = argv[0].toString();
      if (cmd === "SETEX" || cmd === "EXPIRE") return [["s", Number(argv[2])]];
      if (cmd === "PSETEX" || cmd === "PEXPIRE") return [["ms", Number(argv[2])]];
      const out: [string, number][] = [];
      for (let i = 1; i < argv.length - 1; i++) {
        const opt = argv[i].toString().toUpperCase();
        if (opt === "EX") out.push(["s", Number(argv[i + 1])]);
        if (opt === "PX") out.push(["ms", Number(argv[i + 1])]);
      }
      return out;
    };
    let checked = 0;
    for (const argv of generateRun(9, 5000, GENERATORS, 1700000000)) {
      for (const [unit, n] of seconds(argv)) {
        if (!Number.isInteger(n) || n <= 0 || n > 2 ** 40) continue;
        expect(n).toBeGreaterThanOrEqual(unit === "s" ? 100000 : 100000000);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("touches a key right after a SET leaves it already expired", () => {
    const start = 1700000000;
    const run = generateRun(11, 5000, GENERATORS, start);
    let seen = 0;
    run.forEach((argv, i) => {
      if (argv[0] !== "SET") return;
      const at = argv.findIndex((a, j) => j >= 3 && /^(EXAT|PXAT)$/i.test(a.toString()));
      if (at < 0 || at + 1 >= argv.length) return;
      const t = Number(argv[at + 1].toString());
      const past = t > 0 && t <= (argv[at].toString().toUpperCase() === "EXAT" ? start : start * 1000);
      if (!past) return;
      seen++;
      expect(run[i + 1]).toEqual(["EXISTS", argv[1]]);
    });
    expect(seen).toBeGreaterThan(5);
  });
});

describe("reply comparison", () => {
  it("compares byte for byte", () => {
    expect(sameReply(["GET", "k"], b("$1\r\na\r\n"), b("$1\r\na\r\n"))).toBe(true);
    expect(sameReply(["GET", "k"], b("$1\r\na\r\n"), b("$1\r\nb\r\n"))).toBe(false);
    expect(sameReply(["INCR", "k"], b(":1\r\n"), b("+1\r\n"))).toBe(false);
    expect(sameReply(["SET", "k", "v"], b("-ERR syntax error\r\n"), b("-ERR syntax error \r\n"))).toBe(false);
  });

  it("allows clock slack only for TTL-like replies, and never between codes", () => {
    expect(sameReply(["TTL", "k"], b(":100\r\n"), b(":99\r\n"))).toBe(true);
    expect(sameReply(["PTTL", "k"], b(":100000\r\n"), b(":99990\r\n"))).toBe(true);
    expect(sameReply(["TTL", "k"], b(":100\r\n"), b(":90\r\n"))).toBe(false);
    expect(sameReply(["TTL", "k"], b(":-1\r\n"), b(":-2\r\n"))).toBe(false);
    expect(sameReply(["TTL", "k"], b(":-1\r\n"), b(":0\r\n"))).toBe(false);
    expect(sameReply(["GET", "k"], b(":100\r\n"), b(":99\r\n"))).toBe(false);
  });

  it("compares KEYS as a set, not an order", () => {
    const x = b("*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n");
    expect(sameReply(["KEYS", "*"], x, b("*2\r\n$2\r\nk2\r\n$2\r\nk1\r\n"))).toBe(true);
    expect(sameReply(["KEYS", "*"], x, b("*2\r\n$2\r\nk2\r\n$2\r\nk3\r\n"))).toBe(false);
    expect(sameReply(["KEYS", "*"], x, b("*1\r\n$2\r\nk1\r\n"))).toBe(false);
  });

  it("compares SCAN's keys as a set, and its cursor exactly", () => {
    const scan = (cursor: string, keys: string[]) => b(`*2\r\n$${cursor.length}\r\n${cursor}\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join("")}`);
    const argv = ["SCAN", "0", "COUNT", "1000"];
    expect(sameReply(argv, scan("0", ["a", "b"]), scan("0", ["b", "a"]))).toBe(true);
    expect(sameReply(argv, scan("0", ["a", "b"]), scan("0", ["a"]))).toBe(false);
    expect(sameReply(argv, scan("0", ["a", "b"]), scan("7", ["b", "a"]))).toBe(false);
    expect(sameReply(argv, b("-ERR invalid cursor\r\n"), b("-ERR syntax error\r\n"))).toBe(false);
  });

  it("expects Redis 7.2's answer where redis-server 7.0 differs", () => {
    const list = expected72(["OBJECT", "ENCODING", "k"], b("$9\r\nquicklist\r\n"));
    expect(list.reply.toString()).toBe("$8\r\nlistpack\r\n");
    expect(list.why).toMatch(/7\.2/);
    expect(expected72(["OBJECT", "ENCODING", "k"], b("$6\r\nembstr\r\n")).reply.toString()).toBe("$6\r\nembstr\r\n");
    expect(expected72(["GET", "k"], b("$9\r\nquicklist\r\n")).reply.toString()).toBe("$9\r\nquicklist\r\n");
  });
});
