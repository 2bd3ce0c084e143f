import { describe, expect, it } from "vitest";
import { RequestParser } from "../../src/protocol/parser.js";
import { ProtocolError } from "../../src/protocol/errors.js";

const limits = { maxBulkLen: 512 * 1024 * 1024, authenticated: () => true };

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
});
