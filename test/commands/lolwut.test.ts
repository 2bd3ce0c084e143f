/**
 * LOLWUT against redis-server. Its art is random, except Schotter's first two
 * rows (VERSION 5 with one or two rows of squares): those must match Redis's
 * bytes exactly, which checks the drawing's arithmetic. The random drawings
 * are checked for their shape. The version number is the one difference allowed.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { show, type Arg } from "../diff/resp.js";

/** A reply with the server's version number taken out (and the length before it, which counts it). */
const unversioned = (b: Buffer): string =>
  show(b)
    .replace(/ver\. \d+\.\d+\.\d+/, "ver. X")
    .replace(/^"[$=]\d+/, "length");

describe.skipIf(!haveRedisServer())("LOLWUT against redis-server", () => {
  const p = useServerPair({ events: false });

  async function sameUnversioned(cmds: Arg[][], resp = 2): Promise<void> {
    for (const c of [p.mine, p.theirs]) await c.call("HELLO", String(resp));
    const [a, b] = await Promise.all([p.mine.send(cmds), p.theirs.send(cmds)]);
    cmds.forEach((argv, i) => expect(unversioned(a[i]), argv.join(" ")).toBe(unversioned(b[i])));
  }

  it("gives the version line, errors and Schotter's ordered rows as Redis does", async () => {
    const cmds: Arg[][] = [["LOLWUT"], ["LOLWUT", "5", "x"], ["LOLWUT", "VERSION"], ["LOLWUT", "VERSION", "x"], ["LOLWUT", "VERSION", "5", "x"],
      ["LOLWUT", "VERSION", "5", "1", "1", "x"], ["LOLWUT", "VERSION", "6", "x"], ["LOLWUT", "VERSION", "7"], ["LOLWUT", "VERSION", "4"], ["LOLWUT", "VERSION", "-1"],
      // 2^32 + 5 prints as 5 (an unsigned int in Redis): Schotter.
      ["LOLWUT", "VERSION", "4294967301", "20", "3", "1"]];
    for (const cols of ["1", "2", "3", "7", "33", "66", "257", "1000", "5000", "-5"]) {
      for (const perRow of ["1", "3", "7", "8", "13", "200", "300", "0"]) {
        for (const perCol of ["1", "2"]) cmds.push(["LOLWUT", "VERSION", "5", cols, perRow, perCol]);
      }
    }
    await sameUnversioned(cmds);
    await sameUnversioned([["LOLWUT"], ["LOLWUT", "VERSION", "5", "10", "3", "2"]], 3);
  });

  it("draws random Schotter and skylines of the asked size", async () => {
    await p.mine.call("HELLO", "2");
    const [schotter] = await p.mine.send([["LOLWUT", "VERSION", "5", "40", "4", "6"]]);
    const text = schotter.toString("utf8").split("\r\n")[1];
    const lines = text.split("\n");
    // 40 columns of braille (80 pixels wide); 6 rows of 19-pixel squares and the padding, 118 pixels: 30 lines,
    // then an empty one (Redis ends the last row with a newline too).
    const art = lines.slice(0, -3);
    expect(art.length).toBe(30);
    for (const l of art) expect(l).toMatch(/^[\u2800-\u28ff]{40}$/);
    expect(lines.at(-3)).toBe("");
    expect(lines.at(-2)).toMatch(/^Georg Nees - schotter, plotter on paper, 1968\. Redis ver\. 7\.2\.\d+$/);

    const [city] = await p.mine.send([["LOLWUT", "VERSION", "6", "30", "12"]]);
    const rows = city.toString("utf8").split("\r\n")[1].split("\n");
    expect(rows.length).toBe(12 + 3);
    for (const row of rows.slice(0, 12)) {
      const cells = row.match(/\x1b\[0;(30;40|90;100|37;47|97;107)m \x1b\[0m/g) ?? [];
      expect(cells.join("")).toBe(row);
      expect(cells.length).toBe(30);
    }
    // No tower reaches the top row (at most 11 of 12): sky; and there are towers.
    expect(rows[0]).toBe("\x1b[0;97;107m \x1b[0m".repeat(30));
    expect(rows[11]).toMatch(/30;40m/);
    expect(rows[12]).toBe("Dedicated to the 8 bit game developers of past and present.");
  });
});
