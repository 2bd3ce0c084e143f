/**
 * The function libraries (Redis 7's functions.c): FUNCTION LOAD checks a
 * library's metadata line (`#!lua name=mylib`), runs its code in the function
 * interpreter (engine/scripting.ts) and keeps what it registered; FCALL finds
 * a function by name and runs it like a script (eval.ts's checks and run);
 * FUNCTION DUMP / RESTORE move the libraries' codes in Redis's payload format.
 */
import { scripting } from "../engine/index.js";
import type { RegisteredFunction } from "../engine/scripting.js";
import { globMatch } from "../engine/keys.js";
import { FLAG_NAMES } from "./shebang.js";
import { splitArgs } from "../protocol/inline.js";
import { functionHooks } from "../persistence/rdb.js";
import { Install } from "../engine/persistence.js";

export interface LibraryFunction {
  name: string;
  /** The name and the engine key as bytes (what FCALL passes the engine). */
  nameBytes: Buffer;
  keyBytes: Buffer;
  description: Buffer | null;
  flags: number;
  key: string;
  library: Library;
}

export interface Library {
  name: string;
  code: Buffer;
  functions: Map<string, LibraryFunction>;
}

/** Redis compares library and function names without case. */
const fold = (name: string) => name.toLowerCase();

/** Redis's limit for a library's first run (LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

function validName(s: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(s);
}

/** The metadata line: the library's name and the code after the line (its newline kept), or the error. */
function metadata(code: Buffer): { engine: string; name: string; body: Buffer } | string {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return "Missing library metadata";
  const end = code.indexOf(0x0a);
  if (end < 0) return "Invalid library metadata";
  // Split as Redis's sdssplitargs: quotes group, an unbalanced one is an error.
  const parts = splitArgs(code.toString("latin1", 0, end))?.map((w) => w.toString("latin1")) ?? [];
  if (parts.length === 0) return "Invalid library metadata";
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) return "Invalid metadata value, name argument was given multiple times";
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === null) return "Library name was not given";
  return { engine, name, body: code.subarray(end) };
}

/** A set of libraries and the functions they registered (Redis's functionsLibCtx). */
class LibraryCtx {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LibraryFunction>();

  /** Loads a library into this set (Redis's functionsCreateWithLibraryCtx): its name, or the error text. */
  create(code: Buffer, replace: boolean, timeoutMs: number): string | { error: string } {
    const md = metadata(code);
    if (typeof md === "string") return { error: md };
    if (!validName(md.name)) return { error: "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long" };
    if (md.engine.toUpperCase() !== "LUA") return { error: `Engine '${md.engine}' not found` };
    const old = this.libraries.get(fold(md.name));
    if (old && !replace) return { error: `Library '${md.name}' already exists` };
    const loaded = scripting.loadLibrary(md.body, timeoutMs);
    if (loaded.error !== null) return { error: loaded.error };
    const refuse = (error: string) => {
      scripting.dropFunctions(loaded.functions.map((f) => f.key));
      return { error };
    };
    if (loaded.functions.length === 0) return refuse("No functions registered");
    for (const f of loaded.functions) {
      const have = this.functions.get(fold(f.name.toString("latin1")));
      if (have && have.library !== old) return refuse(`Function ${f.name.toString("latin1")} already exists`);
    }
    if (old) this.drop(old);
    this.link(makeLibrary(md.name, Buffer.from(code), loaded.functions));
    return md.name;
  }

  link(lib: Library): void {
    for (const f of lib.functions.values()) this.functions.set(fold(f.name), f);
    this.libraries.set(fold(lib.name), lib);
  }

  unlink(lib: Library): void {
    for (const f of lib.functions.values()) this.functions.delete(fold(f.name));
    this.libraries.delete(fold(lib.name));
  }

  /** Unlinks `lib` and frees its functions in the interpreter. */
  drop(lib: Library): void {
    this.unlink(lib);
    scripting.dropFunctions([...lib.functions.values()].map((f) => f.key));
  }

  dropAll(): void {
    for (const lib of [...this.libraries.values()]) this.drop(lib);
  }
}

function makeLibrary(name: string, code: Buffer, regs: RegisteredFunction[]): Library {
  const lib: Library = { name, code, functions: new Map() };
  for (const r of regs) {
    const f: LibraryFunction = {
      name: r.name.toString("latin1"),
      nameBytes: Buffer.from(r.name),
      keyBytes: Buffer.from(r.key, "latin1"),
      description: r.description ?? null,
      flags: r.flags,
      key: r.key,
      library: lib,
    };
    lib.functions.set(f.name, f);
  }
  return lib;
}

let current = new LibraryCtx();

/** FUNCTION LOAD: the library's name, or the error text (without "ERR "). */
export function loadLibrary(code: Buffer, replace: boolean): string | { error: string } {
  return current.create(code, replace, LOAD_TIMEOUT_MS);
}

/** FUNCTION DELETE: false when there is no such library. */
export function deleteLibrary(name: string): boolean {
  const lib = current.libraries.get(fold(name));
  if (!lib) return false;
  current.drop(lib);
  return true;
}

/** FUNCTION FLUSH: every library goes, with the interpreter. */
export function flushLibraries(): void {
  current = new LibraryCtx();
  scripting.flushFunctions();
}

export function findFunction(name: string): LibraryFunction | undefined {
  return current.functions.get(fold(name));
}

/** The libraries FUNCTION LIST shows (all, or those whose name matches `pattern`). */
export function listLibraries(pattern: Buffer | null): Library[] {
  const all = [...current.libraries.values()];
  return pattern === null ? all : all.filter((l) => globMatch(pattern, Buffer.from(l.name, "latin1"), false));
}

export function libraryCount(): number {
  return current.libraries.size;
}

export function functionCount(): number {
  return current.functions.size;
}

/** A function's flags by name, in Redis's order. */
export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
}

/** FUNCTION DUMP: every library's code in Redis's payload. */
export function dumpLibraries(compress: boolean): Buffer {
  return scripting.dumpPayload([...current.libraries.values()].map((l) => l.code), compress);
}

export type RestorePolicy = "flush" | "append" | "replace";

/** FUNCTION RESTORE: null when done, else the error text (nothing changed then). */
export function restoreLibraries(payload: Buffer, policy: RestorePolicy): string | null {
  const parsed = scripting.parsePayload(payload);
  if (parsed.error !== null) return parsed.error;
  const incoming = new LibraryCtx();
  for (const code of parsed.codes) {
    // Loads from a payload have no time limit (Redis passes 0).
    const r = incoming.create(code, false, 0);
    if (typeof r !== "string") {
      incoming.dropAll();
      return r.error;
    }
  }
  if (policy === "flush") {
    current.dropAll();
    current = incoming;
    return null;
  }
  // Redis's libraryJoin: existing libraries of the same name fail the restore (APPEND) or make way (REPLACE).
  const replaced: Library[] = [];
  const undo = (error: string) => {
    for (const lib of replaced) current.link(lib);
    incoming.dropAll();
    return error;
  };
  for (const lib of incoming.libraries.values()) {
    const old = current.libraries.get(fold(lib.name));
    if (!old) continue;
    if (policy === "append") return undo(`Library ${lib.name} already exists`);
    current.unlink(old);
    replaced.push(old);
  }
  for (const f of incoming.functions.values()) {
    if (current.functions.has(fold(f.name))) return undo(`Function ${f.name} already exists`);
  }
  for (const lib of incoming.libraries.values()) current.link(lib);
  scripting.dropFunctions(replaced.flatMap((l) => [...l.functions.values()].map((f) => f.key)));
  return null;
}

/** Bytes of the libraries' code and names (INFO's used_memory_functions, roughly as Redis counts it). */
export function libraryBytes(): number {
  let n = 0;
  for (const lib of current.libraries.values()) n += lib.code.length + lib.name.length;
  return n;
}

// Snapshots (RDB files, AOF bases, replicas' snapshots) carry every library's code; loading one loads them.
functionHooks.dump = () => [...current.libraries.values()].map((l) => l.code);
functionHooks.restore = (codes, how) => {
  // Replacing the dataset empties the libraries too (Redis's emptyData); merging keeps them.
  if (how === Install.Replace) flushLibraries();
  for (const code of codes) {
    const r = loadLibrary(code, how !== Install.Merge);
    if (typeof r !== "string") throw new Error(`Failed loading library from the snapshot: ${r.error}`);
  }
};
