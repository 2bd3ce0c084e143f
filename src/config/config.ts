import { PARAMS, findParam, type Param } from "./table.js";
import { specialDef, type FileState } from "./special.js";
import { canonicalDefault, numberOf, parseValue } from "./values.js";
import type { ExtraRewrite } from "./rewrite.js";

/** Runs after a change to the parameters that name it; returns an error text to undo the change. */
export type ApplyHook = () => string | null | undefined;
/** Called after every change; a returned string vetoes (undoes) the change. */
type Listener = (name: string, value: string) => string | void;

/** Who is asking CONFIG SET (protected configs may need a local connection). */
export interface SetContext {
  /** The client connects over loopback or a unix socket. */
  local: boolean;
  /** The server is loading a dataset (deny-loading parameters are refused). */
  loading?: boolean;
}

/** CONFIG SET's failure: Redis's full error text. */
export type SetError = string;

/** The live configuration: the CONFIG GET string of every parameter. */
export class Config {
  private values = new Map<string, string>();
  /** Numeric values by every name and alias, for hot paths (proto-max-bulk-len, maxclients...). */
  private nums = new Map<string, number>();
  private listeners: Listener[] = [];
  private hooks = new Map<string, ApplyHook>();
  /** Where the configuration was read from (CONFIG REWRITE writes it back), absolute. */
  file: string | null = null;
  /** Where Config logs its warnings (the server's log once there is one). */
  warn: (msg: string) => void = () => {};
  /** rename-command directives read from the file: [from, to] ("" removes). */
  renames: [string, string][] = [];
  /** `user name rules...` directives read from the file (without "user"), applied at start by src/acl. */
  aclUsers: string[][] = [];
  /** CONFIG REWRITE's `user` lines (set by src/acl; none while an ACL file holds the users). */
  aclUserLines: () => string[] = () => [];
  /** Sentinel mode: the file's "sentinel ..." directives, collected for src/sentinel (null: not a sentinel, they are refused). */
  sentinelLines: { argv: string[]; line: string; lineNo: number }[] | null = null;
  /** Lines CONFIG REWRITE adds after the parameters (a sentinel's state). */
  extraRewrite: ExtraRewrite | null = null;

  constructor() {
    for (const p of PARAMS) this.store(p, canonicalDefault(p));
  }

  private store(p: Param, value: string): void {
    this.values.set(p.name, value);
    if (p.type === "numeric") {
      const n = Number(numberOf(p, value));
      this.nums.set(p.name, n);
      if (p.alias) this.nums.set(p.alias, n);
    }
  }

  /** The CONFIG GET value of a parameter (name or alias). */
  get(name: string): string {
    const p = findParam(name);
    if (!p) throw new Error(`unknown config ${name}`);
    return this.valueOf(p);
  }
  valueOf(p: Param): string {
    if (p.type === "special") {
      const live = specialDef(p.special!).get;
      if (live) return live();
    }
    return this.values.get(p.name)!;
  }
  /** A numeric parameter as a number (exact up to 2^53; percentages negative). */
  int(name: string): number {
    const n = this.nums.get(name);
    if (n !== undefined) return n;
    return Number(this.get(name));
  }
  bool(name: string): boolean {
    return this.get(name) === "yes";
  }

  /**
   * Redis's interface set: checks and stores one parameter without running
   * apply hooks. Returns an error text, or whether the value changed.
   */
  setWords(p: Param, words: string[], file: FileState | null = null): { error: string } | { changed: boolean } {
    const old = this.valueOf(p);
    const res = parseValue(p, words, old, file);
    if ("error" in res) return res;
    if (p.type === "special") {
      const err = specialDef(p.special!).commit?.(res.value);
      if (err) return { error: err };
    }
    this.store(p, res.value);
    // Redis's special setters report a change every time (oom-score-adj-values aside).
    const changed = p.volatile || (p.type === "special" && p.special !== "oom-score-adj-values") || res.value !== old;
    return { changed };
  }

  /** Sets one parameter as CONFIG SET would (words as a config file line gives them); an error text or null. */
  set(name: string, words: string[]): string | null {
    const p = findParam(name);
    if (!p) return "Bad directive or wrong number of arguments";
    if (!p.multiArg && words.length !== 1) return "wrong number of arguments";
    const before = this.valueOf(p);
    const r = this.setWords(p, words);
    if ("error" in r) return r.error;
    if (!r.changed) return null;
    const err = this.applyAll([p]);
    if (err) {
      this.setWords(p, splitMulti(p, before));
      this.applyAll([p]);
      return err.error;
    }
    return null;
  }

  /**
   * CONFIG SET name value [name value ...]: all or nothing. Checks every name
   * first, sets every value, then runs the apply hooks once each; any failure
   * restores the old values (and re-applies them). Returns Redis's error text.
   */
  setMany(pairs: [string, string][], ctx: SetContext): SetError | null {
    const params: Param[] = [];
    const names: string[] = [];
    let failure: { arg: string; why: string | null; unknown?: boolean; loading?: boolean } | null = null;
    for (const [rawName] of pairs) {
      const p = findParam(rawName);
      if (!p) {
        failure ??= { arg: rawName, why: null, unknown: true };
        continue;
      }
      if (failure) continue;
      const name = rawName.toLowerCase();
      if (p.immutable || (p.protected && !this.protectedAllowed(ctx))) {
        failure = { arg: rawName, why: p.immutable ? "can't set immutable config" : "can't set protected config" };
        continue;
      }
      if (ctx.loading && p.denyLoading) {
        failure = { arg: rawName, why: null, loading: true };
        continue;
      }
      if (params.includes(p)) {
        failure = { arg: rawName, why: "duplicate parameter" };
        continue;
      }
      params.push(p);
      names.push(name);
    }
    if (failure) return renderSetError(failure);

    const old = params.map((p) => this.valueOf(p));
    const changed: Param[] = [];
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const r = this.setWords(p, splitMulti(p, pairs[i][1]));
      if ("error" in r) {
        this.restore(params.slice(0, i + 1), old);
        return renderSetError({ arg: names[i], why: r.error });
      }
      if (r.changed) changed.push(p);
    }
    const err = this.applyAll(changed);
    if (err) {
      this.warn(`Failed applying new configuration. Possibly related to new ${err.param.name} setting. Restoring previous settings.`);
      this.restore(params, old);
      this.applyAll(changed);
      return renderSetError({ arg: names[params.indexOf(err.param)], why: err.error });
    }
    return null;
  }

  private restore(params: Param[], old: string[]): void {
    params.forEach((p, i) => this.setWords(p, splitMulti(p, old[i])));
  }

  /** Runs each distinct apply hook of the changed parameters, then the change listeners. */
  private applyAll(changed: Param[]): { param: Param; error: string } | null {
    const done = new Set<string>();
    for (const p of changed) {
      if (!p.apply || done.has(p.apply)) continue;
      done.add(p.apply);
      const err = this.hooks.get(p.apply)?.();
      if (err) return { param: p, error: err };
    }
    for (const p of changed) {
      for (const l of this.listeners) {
        const err = l(p.name, this.valueOf(p));
        if (err) return { param: p, error: err };
      }
    }
    return null;
  }

  private protectedAllowed(ctx: SetContext): boolean {
    const mode = this.get("enable-protected-configs");
    return mode === "yes" || (mode === "local" && ctx.local);
  }

  /** Registers the run-time hook named by parameters' `apply` (e.g. "listeners", "maxclients"). */
  onApply(hook: string, fn: ApplyHook): void {
    this.hooks.set(hook, fn);
  }

  /** Called after every change; a returned string vetoes the change. */
  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  /** All parameters with their current values, in table order. */
  entries(): [Param, string][] {
    return PARAMS.map((p) => [p, this.valueOf(p)]);
  }
}

/** CONFIG SET's value as words: multi-word parameters split on single spaces (sdssplitlen). */
export function splitMulti(p: Param, value: string): string[] {
  if (!p.multiArg) return [value];
  return value === "" ? [] : value.split(" ");
}

function renderSetError(f: { arg: string; why: string | null; unknown?: boolean; loading?: boolean }): SetError {
  // The name is the client's bytes (one latin1 char each), printed with %s: up to a NUL.
  f = { ...f, arg: f.arg.split("\0", 1)[0] };
  if (f.loading) return "LOADING Redis is loading the dataset in memory";
  if (f.unknown) return `ERR Unknown option or number of arguments for CONFIG SET - '${f.arg}'`;
  if (f.why) return `ERR CONFIG SET failed (possibly related to argument '${f.arg}') - ${f.why}`;
  return `ERR CONFIG SET failed (possibly related to argument '${f.arg}')`;
}
