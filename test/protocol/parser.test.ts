import { describe, expect, it } from "vitest";
import { RequestParser } from "../../src/protocol/parser.js";
import { ProtocolError } from "../../src/protocol/errors.js";

const limits = { maxBulkLen: 512 * 1024 * 1024 };

function parseAll(chunks: Buffer[]): string[][] {
  const p = new RequestParser(limits);
  const out: string[][] = [];
  for (const c of chunks) {
    p.feed(c);
    for (let a = p.next(); a; a = p.next()) out.push(a.map((b) => b.toString()));
  }
  return out;
}

describe("RequestParser", () => {
  const cmd = Buffer.from("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n");

  it("parses a pipeline in one chunk", () => {
    expect(parseAll([cmd])).toEqual([["SET", "key", "value"], ["PING"]]);
  });

  it("keeps what it needs of transient reads (one buffer reused for every read), big arguments included", () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);
    for (let i = 0; i < big.length; i += 4093) big[i] = 0x30 + (i % 10);
    const stream = Buffer.concat([
      Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${big.length}\r\n`),
      big,
      Buffer.from("\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI"),
      Buffer.from("NG\r\n"),
    ]);
    for (const step of [1000, 65536, 777777]) {
      const p = new RequestParser(limits);
      const shared = Buffer.alloc(step);
      const got: Buffer[][] = [];
      for (let i = 0; i < stream.length; i += step) {
        const n = stream.copy(shared, 0, i, Math.min(stream.length, i + step));
        p.feed(shared.subarray(0, n), true);
        for (let a = p.next(); a; a = p.next()) got.push(a);
        shared.fill(0x7e); // the next read lands here: nothing kept may change
      }
      expect(got.map((a) => a.length)).toEqual([3, 2, 1]);
      expect(got[0][2].equals(big), `read by ${step}`).toBe(true);
      expect(got[1].map(String)).toEqual(["GET", "k"]);
      expect(String(got[2][0])).toBe("PING");
      expect(p.pending).toBe(0);
    }
  });

  it("reassembles a command split at every byte", () => {
    for (let cut = 1; cut < cmd.length; cut++) {
      expect(parseAll([cmd.subarray(0, cut), cmd.subarray(cut)])).toEqual([["SET", "key", "value"], ["PING"]]);
    }
    expect(parseAll([...cmd].map((b) => Buffer.from([b])))).toEqual([["SET", "key", "value"], ["PING"]]);
  });

  it("parses inline commands with quotes", () => {
    expect(parseAll([Buffer.from('set k "a b\\x41"\r\nPING\n')])).toEqual([["set", "k", "a bA"], ["PING"]]);
  });

  it("gathers a large bulk sent in many chunks", () => {
    const big = Buffer.alloc(200000, 120);
    const full = Buffer.concat([Buffer.from(`*2\r\n$3\r\nSET\r\n$${big.length}\r\n`), big, Buffer.from("\r\n")]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < full.length; i += 1000) chunks.push(full.subarray(i, i + 1000));
    const out = parseAll(chunks);
    expect(out).toHaveLength(1);
    expect(out[0][1].length).toBe(200000);
  });

  it("rejects malformed input with Redis's messages", () => {
    const err = (s: string) => {
      try {
        parseAll([Buffer.from(s)]);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err("*1\r\nfoo\r\n")).toBe("expected '$', got 'f'");
    expect(err("*abc\r\n")).toBe("invalid multibulk length");
    expect(err("*1\r\n$-5\r\n")).toBe("invalid bulk length");
    expect(err("*3000000000\r\n")).toBe("invalid multibulk length");
    expect(err('set "foo\r\n')).toBe("unbalanced quotes in request");
  });

  it("judges a bulk header only once its line is complete", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("*1\r\nfoo"));
    expect(p.next()).toBeNull();
    p.feed(Buffer.from("\r\n"));
    expect(() => p.next()).toThrow("expected '$', got 'f'");
  });

  it("skips any number of empty lines without recursion", () => {
    expect(parseAll([Buffer.from("\r\n".repeat(200000) + "PING\r\n")])).toEqual([["PING"]]);
    expect(parseAll([Buffer.from("\n \r\n*0\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n")])).toEqual([["PING"]]);
  });

  it("splits inline arguments on C whitespace only", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("ECHO a\xa0b\tc\r\n", "latin1"));
    expect(p.next()!.map((a) => a.toString("latin1"))).toEqual(["ECHO", "a\xa0b", "c"]);
  });

  it("holds only what arrived of a huge declared bulk", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("*2\r\n$3\r\nSET\r\n$400000000\r\nabc"));
    expect(p.next()).toBeNull();
    const held = p.pending; // "abc" plus the parsed "SET" and its bookkeeping
    expect(held).toBeGreaterThanOrEqual(6);
    expect(held).toBeLessThan(300);
    p.feed(Buffer.alloc(1000));
    expect(p.next()).toBeNull();
    expect(p.pending).toBe(held + 1000);
    p.clear();
    expect(p.pending).toBe(0);
    p.feed(Buffer.from("*1\r\n$4\r\nPING\r\n"));
    expect(p.next()!.map(String)).toEqual(["PING"]);
  });

  it("gathers a bulk sent one byte at a time without quadratic copying", () => {
    const big = Buffer.alloc(300000, 97);
    const full = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n`), big, Buffer.from("\r\n*1\r\n$4\r\nPING\r\n")]);
    const p = new RequestParser(limits);
    const out: Buffer[][] = [];
    const t0 = Date.now();
    for (let i = 0; i < full.length; i++) {
      p.feed(full.subarray(i, i + 1));
      for (let a = p.next(); a; a = p.next()) out.push(a);
    }
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out.length).toBe(2);
    expect(out[0][1].equals(big)).toBe(true);
    expect(String(out[1][0])).toBe("PING");
  });

  it("counts the query buffer: received includes the parsed commands, pending does not", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI"));
    expect(p.next()!.map(String)).toEqual(["PING"]);
    expect(p.received).toBe(24);
    expect(p.pending).toBe(10);
  });

  it("rejects over-long lines and unauthenticated big requests", () => {
    const err = (s: string, auth = true) => {
      const p = new RequestParser({ maxBulkLen: 1024 * 1024 }, () => auth);
      p.feed(Buffer.from(s));
      try {
        while (p.next());
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err("x".repeat(65 * 1024))).toBe("too big inline request");
    expect(err("*" + "1".repeat(65 * 1024))).toBe("too big mbulk count string");
    expect(err("*1\r\n$" + "1".repeat(65 * 1024))).toBe("too big bulk count string");
    expect(err("*1\r\n$1048577\r\n")).toBe("invalid bulk length");
    expect(err("*1\r\n$1048576\r\n")).toBe("no error");
    expect(err("*11\r\n", false)).toBe("unauthenticated multibulk length");
    expect(err("*10\r\n$16385\r\n", false)).toBe("unauthenticated bulk length");
    expect(err("*10\r\n$16384\r\n", false)).toBe("no error");
  });

  it("gives Redis's log reason and query buffer sample for protocol errors", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("*1\r\nfoo\x01\r\n"));
    try {
      p.next();
      expect.unreachable();
    } catch (e) {
      expect((e as ProtocolError).reason).toBe("expected $ but got something else");
    }
    expect(p.sample()).toBe("Query buffer during protocol error: 'foo...'");
    const q = new RequestParser(limits);
    q.feed(Buffer.from("*x" + "a".repeat(200) + "\r\n"));
    expect(() => q.next()).toThrow("invalid multibulk length");
    expect(q.sample()).toBe(`Query buffer during protocol error: '*x${"a".repeat(62)}' (... more 76 bytes ...) '${"a".repeat(62)}..'`);
  });

  it("counts the arguments of an unfinished command in pending, and forgets them once it completes", () => {
    const p = new RequestParser(limits);
    p.feed(Buffer.from("*100001\r\n" + "$1\r\na\r\n".repeat(100000)));
    expect(p.next()).toBeNull();
    expect(p.pending).toBeGreaterThan(100000 * 50);
    p.feed(Buffer.from("$1\r\nb\r\n"));
    expect(p.next()!.length).toBe(100001);
    expect(p.pending).toBe(0);
  });
});
