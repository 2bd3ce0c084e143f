/**
 * The parser over random pipelines cut at random places: every command comes
 * out whole and in order, with each argument's bytes, however the bytes were
 * split (a command name repeated by a client comes back as the same bytes too),
 * and nothing is left pending at the end.
 */
import { describe, expect, it } from "vitest";
import { RequestParser } from "../../src/protocol/parser.js";

/** A small deterministic generator (tests must not depend on luck). */
function rng(seed: number) {
  return (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
}

function encode(argv: Buffer[]): Buffer {
  const parts = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

describe("RequestParser on random pipelines", () => {
  it("returns every command whole, in order, wherever the bytes are cut", () => {
    const pick = rng(7);
    const names = ["SET", "get", "MULTI", "exec", "Ping", "HSET", "x"];
    for (let round = 0; round < 400; round++) {
      const commands: Buffer[][] = [];
      const n = 1 + pick(12);
      for (let i = 0; i < n; i++) {
        const argv = [Buffer.from(names[pick(names.length)])];
        const args = pick(5) === 0 ? 65 + pick(10) : pick(4);
        for (let j = 0; j < args; j++) {
          const len = pick(8) === 0 ? 1000 + pick(3000) : pick(12);
          argv.push(Buffer.from(Array.from({ length: len }, () => pick(256))));
        }
        commands.push(argv);
      }
      const bytes = Buffer.concat(commands.map(encode));
      const cuts = [0, bytes.length];
      for (let k = pick(10); k > 0; k--) cuts.push(pick(bytes.length));
      cuts.sort((a, b) => a - b);
      const p = new RequestParser({ maxBulkLen: 512 * 1024 * 1024 });
      const got: Buffer[][] = [];
      for (let k = 1; k < cuts.length; k++) {
        // A copy per chunk, as sockets deliver them; the previous chunk's memory is not reused.
        p.feed(Buffer.from(bytes.subarray(cuts[k - 1], cuts[k])));
        for (let a = p.next(); a !== null; a = p.next()) got.push(a);
      }
      expect(got.map((a) => a.map((b) => Buffer.from(b).toString("hex")))).toEqual(commands.map((a) => a.map((b) => b.toString("hex"))));
      for (const argv of got) for (const a of argv) expect(Buffer.isBuffer(a)).toBe(true);
      expect(p.pending).toBe(0);
    }
  });
});
