/**
 * The reply arena's writers of numbers and short strings, which write bytes
 * one by one rather than through Buffer#write: the same bytes as the string
 * forms they replace, at the edges of each fast path.
 */
import { describe, expect, it } from "vitest";
import { Reply } from "../../src/protocol/reply.js";

function written(fill: (r: Reply) => void, size?: number): string {
  const r = new Reply(size);
  fill(r);
  return r.take().toString("latin1");
}

describe("Reply", () => {
  it("writes integers as `:<n>\\r\\n` across the 32-bit fast path's edges", () => {
    for (const n of [0, 9, 10, 99, 100, 123456789, 2147483647, 2147483648, -1, -10, -2147483648, -2147483649, 2 ** 53 - 1, -(2 ** 53) + 1]) {
      expect(written((r) => r.int(n))).toBe(`:${n}\r\n`);
    }
    expect(written((r) => r.int(-(2n ** 63n)))).toBe(":-9223372036854775808\r\n");
    expect(written((r) => r.int(2n ** 63n - 1n))).toBe(":9223372036854775807\r\n");
  });

  it("writes short and long simple strings as latin1, and grows the arena as it writes", () => {
    const long = "x".repeat(40);
    expect(written((r) => r.simple("PONG"))).toBe("+PONG\r\n");
    expect(written((r) => r.simple("caf\u00e9"))).toBe("+caf\u00e9\r\n");
    expect(written((r) => r.simple(long))).toBe(`+${long}\r\n`);
    // Code points past 255 keep their low byte, as Buffer#write's latin1 does, short or long.
    const wide = "a\u0141b";
    expect(written((r) => r.simple(wide))).toBe(Buffer.from(`+${wide}\r\n`, "latin1").toString("latin1"));
    expect(written((r) => r.simple(wide + long))).toBe(Buffer.from(`+${wide}${long}\r\n`, "latin1").toString("latin1"));
    // A 4-byte arena: every write above needs it to grow first.
    expect(written((r) => {
      r.int(1234567);
      r.simple("OK then");
      r.bulk("caf\u00e9");
    }, 4)).toBe(":1234567\r\n+OK then\r\n$5\r\ncaf\u00c3\u00a9\r\n");
  });
});
