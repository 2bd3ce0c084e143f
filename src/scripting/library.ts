/**
 * The function libraries (Redis 7's functions.c): FUNCTION LOAD checks a
 * library's metadata line (`#!lua name=mylib`), runs its code in the function
 * interpreter (engine/scripting.ts) and keeps what it registered; FCALL finds
 * a function by name and runs it like a script (eval.ts's checks and run).
 */
import { scripting } from "../engine/index.js";
import type { RegisteredFunction } from "../engine/scripting.js";
import { globMatch } from "../engine/keys.js";
import { FLAG_NAMES } from "./shebang.js";

export interface LibraryFunction {
  name: string;
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

const libraries = new Map<string, Library>();
const functions = new Map<string, LibraryFunction>();

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
  const parts = code.toString("latin1", 0, end).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
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

/** FUNCTION LOAD: the library's name, or the error text (without "ERR "). */
export function loadLibrary(code: Buffer, replace: boolean): string | { error: string } {
  const md = metadata(code);
  if (typeof md === "string") return { error: md };
  if (!validName(md.name)) return { error: "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long" };
  if (md.engine.toUpperCase() !== "LUA") return { error: `Engine '${md.engine}' not found` };
  const old = libraries.get(md.name);
  if (old && !replace) return { error: `Library '${md.name}' already exists` };
  const loaded = scripting.loadLibrary(md.body, LOAD_TIMEOUT_MS);
  if (loaded.error !== null) return { error: loaded.error };
  const refuse = (error: string) => {
    scripting.dropFunctions(loaded.functions.map((f) => f.key));
    return { error };
  };
  if (loaded.functions.length === 0) return refuse("No functions registered");
  for (const f of loaded.functions) {
    const have = functions.get(f.name.toString("latin1"));
    if (have && have.library !== old) return refuse(`Function ${f.name.toString("latin1")} already exists`);
  }
  if (old) unlink(old);
  link(md.name, Buffer.from(code), loaded.functions);
  return md.name;
}

function link(name: string, code: Buffer, regs: RegisteredFunction[]): void {
  const lib: Library = { name, code, functions: new Map() };
  for (const r of regs) {
    const f: LibraryFunction = { name: r.name.toString("latin1"), description: r.description ?? null, flags: r.flags, key: r.key, library: lib };
    lib.functions.set(f.name, f);
    functions.set(f.name, f);
  }
  libraries.set(name, lib);
}

function unlink(lib: Library): void {
  for (const f of lib.functions.values()) functions.delete(f.name);
  libraries.delete(lib.name);
  scripting.dropFunctions([...lib.functions.values()].map((f) => f.key));
}

/** FUNCTION DELETE: false when there is no such library. */
export function deleteLibrary(name: string): boolean {
  const lib = libraries.get(name);
  if (!lib) return false;
  unlink(lib);
  return true;
}

/** FUNCTION FLUSH: every library goes, with the interpreter. */
export function flushLibraries(): void {
  libraries.clear();
  functions.clear();
  scripting.flushFunctions();
}

export function findFunction(name: string): LibraryFunction | undefined {
  return functions.get(name);
}

/** The libraries FUNCTION LIST shows (all, or those whose name matches `pattern`). */
export function listLibraries(pattern: Buffer | null): Library[] {
  const all = [...libraries.values()];
  return pattern === null ? all : all.filter((l) => globMatch(pattern, Buffer.from(l.name, "latin1"), false));
}

export function libraryCount(): number {
  return libraries.size;
}

export function functionCount(): number {
  return functions.size;
}

/** A function's flags by name, in Redis's order. */
export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
}
