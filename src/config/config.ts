import { PARAMS, findParam, memToBytes, type Param } from "./table.js";

export type CheckResult = { value: string } | { error: string };

/** Checks words given for a parameter and returns its canonical value or Redis's error text. */
export function check(p: Param, words: string[]): CheckResult {
  if (p.type === "special") return p.parse ? p.parse(words) : { value: words.join(" ") };
  if (words.length !== 1) return { error: "wrong number of arguments" };
  const w = words[0];
  switch (p.type) {
    case "bool": {
      const v = w.toLowerCase();
      if (v !== "yes" && v !== "no") return { error: "argument must be 'yes' or 'no'" };
      return { value: v };
    }
    case "int":
    case "memory": {
      let n: number | null;
      if (p.type === "memory") {
        if (p.percent && /^\d+%$/.test(w)) return { value: w };
        n = memToBytes(w);
        if (n === null) return { error: "argument must be a memory value" };
      } else {
        n = /^-?\d+$/.test(w) ? Number(w) : null;
        if (n === null) return { error: "argument couldn't be parsed into an integer" };
      }
      if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) {
        return { error: `argument must be between ${p.min} and ${p.max} inclusive` };
      }
      return { value: String(n) };
    }
    case "enum": {
      const parts = p.multi ? w.toLowerCase().split(/\s+/) : [w.toLowerCase()];
      for (const part of parts) {
        if (!p.values!.includes(part)) {
          return { error: `argument(s) must be one of the following: ${p.values!.join(", ")}` };
        }
      }
      return { value: parts.join(" ") };
    }
    default:
      return { value: w };
  }
}

type Listener = (name: string, value: string) => string | void;

/** The live configuration: one canonical string per parameter. */
export class Config {
  private values = new Map<string, string>();
  private listeners: Listener[] = [];
  /** Where the configuration was read from (CONFIG REWRITE writes it back). */
  file: string | null = null;

  constructor() {
    for (const p of PARAMS) {
      const c = check(p, p.type === "special" || p.type === "string" ? [p.default] : [p.default]);
      this.values.set(p.name, "value" in c ? c.value : p.default);
    }
  }

  get(name: string): string {
    const p = findParam(name);
    if (!p) throw new Error(`unknown config ${name}`);
    return this.values.get(p.name)!;
  }
  int(name: string): number {
    return Number(this.get(name));
  }
  bool(name: string): boolean {
    return this.get(name) === "yes";
  }

  /** Sets a parameter after checking it; returns an error text or null. */
  set(name: string, words: string[]): string | null {
    const p = findParam(name);
    if (!p) return "Bad directive or wrong number of arguments";
    const c = check(p, words);
    if ("error" in c) return c.error;
    const why = p.unsupported?.(c.value);
    if (why) return why;
    const old = this.values.get(p.name)!;
    this.values.set(p.name, c.value);
    for (const l of this.listeners) {
      const err = l(p.name, c.value);
      if (err) {
        this.values.set(p.name, old);
        return err;
      }
    }
    return null;
  }

  /** Called after every change; a returned string vetoes the change. */
  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  /** All parameters with their current values, in table order. */
  entries(): [Param, string][] {
    return PARAMS.map((p) => [p, this.values.get(p.name)!]);
  }
}
