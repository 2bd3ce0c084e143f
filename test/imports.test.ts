/**
 * The module graph of src/: no import cycles at run time (type-only imports are
 * erased and may point back), and one door to the addon (docs/architecture.md).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../src");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']/gm;

/** Whether `import { type A, type B } from` (or `import type`) names types only. */
function typeOnly(typeKeyword: string | undefined, clause: string): boolean {
  if (typeKeyword) return true;
  const m = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!m) return false;
  const names = m[1].split(",").map((n) => n.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

/** Each file's run-time imports of other src/ files, and every specifier it imports. */
function graph(): { deps: Map<string, string[]>; specifiers: Map<string, string[]> } {
  const deps = new Map<string, string[]>();
  const specifiers = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, "utf8");
    const out: string[] = [];
    const all: string[] = [];
    for (const [, type, clause, spec] of text.matchAll(IMPORT)) {
      all.push(spec);
      if (!spec.startsWith(".") || typeOnly(type, clause)) continue;
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
      if (target.startsWith(SRC) && fs.existsSync(target)) out.push(target);
    }
    deps.set(file, out);
    specifiers.set(file, all);
  }
  return { deps, specifiers };
}

/** A cycle of the graph if there is one (depth-first search), as paths relative to src/. */
function findCycle(deps: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    state.set(f, "open");
    stack.push(f);
    for (const d of deps.get(f) ?? []) {
      if (state.get(d) === "open") return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(f, "done");
    return null;
  };
  for (const f of deps.keys()) {
    if (state.has(f)) continue;
    const c = visit(f);
    if (c) return c.map((p) => path.relative(SRC, p));
  }
  return null;
}

describe("src module graph", () => {
  const { deps, specifiers } = graph();

  it("has no run-time import cycles", () => {
    expect(deps.size).toBeGreaterThan(20);
    expect(findCycle(deps)).toBeNull();
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const a = path.join(SRC, "a.ts");
    const b = path.join(SRC, "b.ts");
    expect(findCycle(new Map([[a, [b]], [b, [a]]]))).toEqual(["a.ts", "b.ts", "a.ts"]);
  });

  it("loads the addon in src/engine/addon.ts only", () => {
    const loaders = [...specifiers]
      .filter(([f, specs]) => specs.some((s) => s.includes("native/")) || fs.readFileSync(f, "utf8").includes(".node\""))
      .map(([f]) => path.relative(SRC, f));
    expect(loaders).toEqual([path.join("engine", "addon.ts")]);
  });
});
