/**
 * The log's local time comes from the C library (engine localTime), not from
 * Date's local getters (which load ICU's time zone data): both must agree.
 */
import { describe, expect, it } from "vitest";
import { localTime } from "../../src/engine/server.js";

describe("engine localTime", () => {
  it("gives the fields Date's local getters give", () => {
    const now = Math.floor(Date.now() / 1000);
    // The epoch, a leap day, both sides of a year's end, a year of seconds ago, now, far ahead.
    for (const s of [0, 951782400, 1704067199, 1704067200, now - 31536000, now, 4102444800 + 12345]) {
      const d = new Date(s * 1000);
      expect(localTime(s), String(s)).toEqual([d.getDate(), d.getMonth(), d.getFullYear(), d.getHours(), d.getMinutes(), d.getSeconds()]);
    }
  });
});
