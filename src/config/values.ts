/**
 * How each parameter type is parsed, shown (CONFIG GET) and rewritten
 * (CONFIG REWRITE), following config.c's typeInterface functions and
 * util.c's number parsers. Integers are bigints: bounds reach 2^64-1.
 */
import type { Param } from "./table.js";
import { specialDef, type FileState, type Parsed, type RewriteLine } from "./special.js";
import { enumName, formatMemory, I64_MAX, I64_MIN, memtoull, repr, string2ll } from "./convert.js";

/** The stored (CONFIG GET) form of a numeric value. */
function showNumber(p: Param, v: bigint): string {
  if (p.percent && v < 0n) return `${-v}%`;
  if (p.memory) return String(BigInt.asUintN(64, v));
  if (p.octal) return BigInt.asUintN(64, v).toString(8);
  return String(p.unsigned ? BigInt.asUintN(64, v) : v);
}

/** The numeric value behind a stored form (percentages are negative, as Redis keeps them). */
export function numberOf(p: Param, shown: string): bigint {
  if (p.percent && shown.endsWith("%")) return -BigInt(shown.slice(0, -1));
  if (p.octal) return BigInt("0o" + (shown || "0"));
  return BigInt(shown);
}

function parseNumber(p: Param, w: string): { n: bigint } | { error: string } {
  if (p.memory) {
    const m = memtoull(w);
    if (m !== null) return { n: BigInt.asIntN(64, m) };
  }
  if (p.percent && w.length > 1 && w.endsWith("%")) {
    const v = string2ll(w.slice(0, -1));
    if (v !== null && v >= 0n) return { n: -v };
  }
  if (p.octal) {
    if (w === "") return { n: 0n };
    if (/^\s*[+-]?[0-7]+$/.test(w)) {
      const t = w.trim();
      const v = t.startsWith("-") ? -BigInt("0o" + t.slice(1)) : BigInt("0o" + t.replace(/^\+/, ""));
      if (v >= I64_MIN && v <= I64_MAX) return { n: v };
    }
  }
  if (!p.memory && !p.percent && !p.octal) {
    const v = string2ll(w);
    if (v !== null) return { n: v };
  }
  if (p.memory && p.percent) return { error: "argument must be a memory or percent value" };
  if (p.memory) return { error: "argument must be a memory value" };
  if (p.octal) return { error: "argument couldn't be parsed as an octal number" };
  return { error: "argument couldn't be parsed into an integer" };
}

function checkBounds(p: Param, n: bigint): string | undefined {
  const min = p.min!;
  const max = p.max!;
  if (p.unsigned) {
    const u = BigInt.asUintN(64, n);
    if (u > max || u < min) {
      return p.octal
        ? `argument must be between ${min.toString(8)} and ${max.toString(8)} inclusive`
        : `argument must be between ${min} and ${max} inclusive`;
    }
    return undefined;
  }
  if (p.percent && n < 0n) {
    return n < min ? `percentage argument must be less or equal to ${-min}` : undefined;
  }
  if (n > max || n < min) return `argument must be between ${min} and ${max} inclusive`;
  return undefined;
}

/**
 * Redis's interface set, minus storing: checks `words` for `p` and returns the
 * canonical (CONFIG GET) value. `current` is the value now; `file` is the load
 * state when reading a config file.
 */
export function parseValue(p: Param, words: string[], current: string, file: FileState | null = null): Parsed {
  let res: Parsed;
  switch (p.type) {
    case "special":
      res = specialDef(p.special!).parse(words, current, file);
      break;
    case "enum": {
      const bitflags = !!p.multiArg;
      let v = 0;
      let ok = words.length > 0 && (bitflags || words.length === 1);
      for (const w of ok ? words : []) {
        const lw = w.toLowerCase();
        const hits = p.values!.filter(([n]) => n === lw);
        if (hits.length === 0) ok = false;
        for (const [, val] of hits) v |= val;
      }
      res = ok
        ? { value: enumName(p.values!, v, bitflags) }
        : { error: `argument(s) must be one of the following: ${p.values!.map(([n]) => n).join(", ")}` };
      break;
    }
    case "bool": {
      const w = words[0].toLowerCase();
      res = w === "yes" || w === "no" ? { value: w } : { error: "argument must be 'yes' or 'no'" };
      break;
    }
    case "numeric": {
      const r = parseNumber(p, words[0]);
      if ("error" in r) return r;
      const bad = checkBounds(p, r.n);
      if (bad) return { error: bad };
      let n = r.n;
      if (p.clamp) n = n < BigInt(p.clamp[0]) ? BigInt(p.clamp[0]) : n > BigInt(p.clamp[1]) ? BigInt(p.clamp[1]) : n;
      res = { value: showNumber(p, n) };
      break;
    }
    default:
      res = { value: words[0] };
  }
  if ("error" in res) return res;
  const why = p.validate?.(res.value) ?? p.unsupported?.(res.value);
  return why ? { error: why } : res;
}

/** The canonical form of a table default (defaults are written as Redis's C defaults). */
export function canonicalDefault(p: Param): string {
  if (p.type === "special" || p.type === "string" || p.type === "enum" || p.type === "bool") return p.default;
  return showNumber(p, p.octal ? BigInt("0o" + p.default) : BigInt(p.default));
}

/** The lines CONFIG REWRITE writes for `p` at `value` (none: only remove old lines). */
export function rewriteLines(p: Param, value: string): RewriteLine[] {
  const name = p.name;
  const def = canonicalDefault(p);
  switch (p.type) {
    case "special":
      return specialDef(p.special!).rewrite(name, value);
    case "string":
      if (p.emptyIsNull && value === "") return [];
      return [{ line: `${name} ${repr(value)}`, force: p.emptyIsNull ? true : value !== def }];
    case "numeric": {
      const n = numberOf(p, value);
      const force = value !== def;
      if (p.percent && n < 0n) return [{ line: `${name} ${-n}%`, force }];
      if (p.memory) return [{ line: `${name} ${formatMemory(n)}`, force }];
      if (p.octal) return [{ line: `${name} ${n.toString(8)}`, force }];
      return [{ line: `${name} ${n}`, force }];
    }
    default:
      return [{ line: `${name} ${value}`, force: value !== def }];
  }
}
