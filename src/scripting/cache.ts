/**
 * The EVAL script cache (Redis's lctx.lua_scripts): sha -> body and shebang
 * flags, beside the compiled functions the interpreter keeps. SCRIPT LOAD and
 * EVAL add to it; SCRIPT FLUSH empties both.
 */
import { nodeCrypto } from "../server/node-builtins.js";
import { scripting } from "../engine/index.js";
import { parseShebang } from "./shebang.js";

export interface CachedScript {
  body: Buffer;
  flags: number;
  /** Where the interpreter keeps it ("f_<sha>"), and its sha as bytes (how errors name it). */
  key: Buffer;
  sha: Buffer;
  /** The sha as text (lowercase hex). */
  shaText: string;
}

const scripts = new Map<string, CachedScript>();
/** Bytes of the cached bodies and their shas (INFO's used_memory_scripts_eval). */
let bodyBytes = 0;

export function sha1hex(body: Buffer): string {
  return nodeCrypto().createHash("sha1").update(body).digest("hex");
}

/** The cached script `sha` (lowercase), if any. */
export function cached(sha: string): CachedScript | undefined {
  return scripts.get(sha);
}

/** The script EVALSHA found last: clients tend to call one script many times in a row. */
let lastFound: CachedScript | null = null;

/** The cached script EVALSHA's argument names (its 40 hex digits in either case), if any. */
export function cachedFor(arg: Buffer): CachedScript | undefined {
  const last = lastFound;
  if (last !== null && sameBytes(arg, last.sha)) return last;
  const sha = arg.toString("latin1");
  // Clients send the sha in lowercase nearly always: one lookup then.
  const found = scripts.get(sha) ?? scripts.get(sha.toLowerCase());
  if (found) lastFound = found;
  return found;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds `body` (Redis's luaCreateFunction): its sha and entry, or the error
 * reply's text (a shebang error, or "Error compiling script ...").
 */
export function createScript(body: Buffer): { sha: string; script: CachedScript } | string {
  const sha = sha1hex(body);
  const have = scripts.get(sha);
  if (have) return { sha, script: have };
  const shebang = parseShebang(body);
  if (typeof shebang === "string") return `ERR ${shebang}`;
  // The shebang line is left out but its newline kept, so line numbers stay the user's.
  const err = scripting.load(sha, body.subarray(shebang.length));
  if (err !== null) return `ERR Error compiling script (new function): ${err}`;
  const script = { body: Buffer.from(body), flags: shebang.flags, key: Buffer.from(`f_${sha}`, "latin1"), sha: Buffer.from(sha, "latin1"), shaText: sha };
  scripts.set(sha, script);
  bodyBytes += body.length + 40;
  return { sha, script };
}

/** SCRIPT FLUSH: every script goes, with the interpreter. */
export function flushScripts(): void {
  scripts.clear();
  lastFound = null;
  bodyBytes = 0;
  scripting.flush();
}

export function scriptCount(): number {
  return scripts.size;
}

export function scriptBytes(): number {
  return bodyBytes;
}
