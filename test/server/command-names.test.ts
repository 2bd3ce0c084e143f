/** Command lookup by the bytes a client sent: any ASCII case matches, nothing else does. */
import { describe, expect, it } from "vitest";
import { buildCommandTable } from "../../src/commands/index.js";
import { CommandNames } from "../../src/server/command-names.js";

describe("CommandNames", () => {
  const table = buildCommandTable();
  const names = new CommandNames(table);
  const get = (s: string) => names.get(Buffer.from(s, "latin1"));

  it("finds every command in lower, upper and mixed case", () => {
    for (const [name, spec] of table) {
      expect(get(name)).toBe(spec);
      expect(get(name.toUpperCase())).toBe(spec);
      expect(get(name[0].toUpperCase() + name.slice(1))).toBe(spec);
    }
  });

  it("finds nothing for near misses", () => {
    for (const name of table.keys()) {
      for (const miss of [name + "x", name.slice(0, -1), name.slice(0, -1) + "\0", "\0" + name.slice(1), name.replace(/[a-z]/, "{")]) {
        if (!table.has(miss)) expect(get(miss)).toBeUndefined();
      }
    }
    expect(get("")).toBeUndefined();
    expect(get("GET\0")).toBeUndefined();
    expect(get("g\xc9t")).toBeUndefined();
  });

  it("folds case outside ASCII as the table's keys were made (toLowerCase)", () => {
    const renamed = new Map(table);
    renamed.set("sét", table.get("set")!);
    const withRename = new CommandNames(renamed);
    expect(withRename.get(Buffer.from("SÉT", "latin1"))).toBe(table.get("set"));
    expect(withRename.get(Buffer.from("sét", "latin1"))).toBe(table.get("set"));
  });
});
