/**
 * The Lua interpreter's bindings (native/src/api/scripting.rs): scripts are
 * compiled and run in Rust; a script's redis.call crosses back to the one
 * function given to init() (src/scripting/bridge.ts).
 */
import { native } from "./addon.js";
import type { Reply } from "../protocol/reply.js";

/** What redis.* asks of the bridge (native/src/lua/redis_api.rs `op`). */
export const BridgeOp = { COMMAND: 0, SET_REPL: 1, LOG: 2, ACL_CHECK: 3, ACCOUNT: 4, END: 5 } as const;

/**
 * The log of the engine commands a script ran without crossing back
 * (native/src/lua/direct.rs): header slots, then per command its index in the
 * direct table and its time (µs). TypeScript sets MODE, DB and SLOW_US for the
 * running script and zeroes COUNT when it has accounted for the commands. For
 * a script the batch path runs, the engine sets MODE, DB, SEGMENT (where its
 * commands start: those of the batch's scripts before it come first) and
 * FLAGS (its script flags).
 */
export const Direct = {
  COUNT: 0,
  MODE: 1,
  DB: 2,
  SLOW_US: 3,
  LAST_INDEX: 4,
  LAST_USEC: 5,
  LAST_CHANGED: 6,
  ARGV_END: 7,
  SEGMENT: 8,
  FLAGS: 9,
  HEADER: 10,
  /** Per command: index, µs, db, where its argv is in directArgv (-1: nothing to propagate), its count. */
  FIELDS: 5,
  ON: 1,
  READONLY: 2,
} as const;
export const directLog = new Float64Array(Direct.HEADER + 256 * Direct.FIELDS);
/** Where the argv of the logged commands that changed something wait to be propagated (packed as the bridge's scratch). */
export const directArgv = Buffer.allocUnsafeSlow(256 * 1024);
// Registered once for the life of the process; neither is ever released.
native.scriptRegisterDirectLog(Buffer.from(directLog.buffer), directArgv);

/** direct.rs's flag for a command refused in read-only scripts. */
export const DIRECT_DENY_READONLY: number = native.SCRIPT_DIRECT_DENY_READONLY;

/** The `argc` packed arguments at `at` in `buf`, copied out. */
export function unpackArgsAt(buf: Buffer, at: number, argc: number): Buffer[] {
  const out = new Array<Buffer>(argc);
  let p = at;
  for (let i = 0; i < argc; i++) {
    const n = buf.readUInt32LE(p);
    out[i] = Buffer.from(buf.subarray(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return out;
}

/** Registers the engine commands scripts run without crossing back: names as called (lowercase), engine ids, arities, flags. */
export function setDirectTable(names: string[], ids: number[], arities: number[], flags: number[]): void {
  native.scriptDirectTable(names, ids, arities, flags);
}

/**
 * `(argv, resp, op)`: for COMMAND, the RESP reply of argv run as a command in
 * protocol `resp`: its bytes, or its length when it is at the start of the
 * `reply` Buffer given to init(). argv comes as the number of arguments
 * written in the scratch Buffer given to init() (each a u32 length, little
 * endian, then its bytes: read them with unpackArgs), or as Buffers when they did not fit.
 */
export type Bridge = (argv: Buffer[] | number, resp: number, op: number) => Uint8Array | number | undefined;

export function init(version: string, versionNum: number, bridge: Bridge, scratch: Buffer, reply: Buffer): void {
  native.scriptInit(version, versionNum, bridge, scratch, reply);
}

/** The `argc` arguments the interpreter wrote in `scratch`, copied out (one allocation, a view per argument). */
export function unpackArgs(scratch: Buffer, argc: number): Buffer[] {
  let end = 0;
  for (let i = 0; i < argc; i++) end += 4 + scratch.readUInt32LE(end);
  const block = Buffer.allocUnsafe(end);
  scratch.copy(block, 0, 0, end);
  const out = new Array<Buffer>(argc);
  let p = 0;
  for (let i = 0; i < argc; i++) {
    const n = block.readUInt32LE(p);
    out[i] = block.subarray(p + 4, p + 4 + n);
    p += 4 + n;
  }
  return out;
}

/**
 * Lets the batch path run a script (`lookup`: EVALSHA's lowercase sha) or
 * function (`lookup`: its lowercase name): its engine key, its name in errors,
 * its flags. Forgotten when the scripts (flush) or the libraries change.
 */
export function batchRegister(isFunction: boolean, lookup: Buffer, key: Buffer, name: Buffer, flags: number): void {
  native.scriptBatchRegister(isFunction, lookup, key, name, flags);
}

/** The scripts and functions (their cache entries) registered with batchRegister since the engine last forgot them. */
let registeredScripts = new WeakSet<object>();
let registeredFunctions = new WeakSet<object>();

/** batchRegister, once for cache entry `owner` (a CachedScript or a LibraryFunction); `lookup` made only then. */
export function batchRegisterOnce(isFunction: boolean, owner: object, lookup: () => Buffer, key: Buffer, name: Buffer, flags: number): void {
  const set = isFunction ? registeredFunctions : registeredScripts;
  if (set.has(owner)) return;
  set.add(owner);
  batchRegister(isFunction, lookup(), key, name, flags);
}

/** Compiles a script body (its shebang line blanked out) as `sha`: null, or Lua's compile error. */
export function load(sha: string, body: Buffer): string | null {
  return native.scriptLoad(sha, body);
}

/** Where run() packs a script's key, name, keys and arguments (grown as needed). */
let packed = Buffer.allocUnsafeSlow(16 * 1024);
/** The key and name packed last (only run() writes `packed`). */
let packedKey: Uint8Array | null = null;
let packedName: Uint8Array | null = null;

/**
 * Packs `key`, `name` and argv[first..] into `packed` as the addon reads them
 * (native/src/api/scripting.rs unpack_run): their count, then each as a u32
 * length (little endian) and its bytes.
 */
function packRun(key: Uint8Array, name: Uint8Array, argv: Uint8Array[], first: number): void {
  let size = 4 + 8 + key.length + name.length;
  for (let i = first; i < argv.length; i++) size += 4 + argv[i].length;
  if (size > packed.length) {
    packed = Buffer.allocUnsafeSlow(Math.max(size, 2 * packed.length));
    packedKey = packedName = null;
  }
  const buf = packed;
  buf.writeUInt32LE(2 + argv.length - first, 0);
  let p: number;
  // The same script as last time: its key and name are in place already.
  if (key === packedKey && name === packedName) p = 12 + key.length + name.length;
  else {
    p = putArg(buf, putArg(buf, 4, key), name);
    packedKey = key;
    packedName = name;
  }
  for (let i = first; i < argv.length; i++) p = putArg(buf, p, argv[i]);
}

function putArg(buf: Buffer, p: number, a: Uint8Array): number {
  const n = a.length;
  buf.writeUInt32LE(n, p);
  p += 4;
  // Short ones byte by byte: TypedArray#set costs more than the copy.
  if (n <= 16) for (let i = 0; i < n; i++) buf[p + i] = a[i];
  else buf.set(a, p);
  return p + n;
}

/**
 * Runs loaded script `key` ("f_<sha>", as bytes), or function `key` (`fn`),
 * named `name` in its errors: keys are argv[first,
 * first+numkeys), arguments the rest. Writes its reply into `r` and returns
 * 0, or 1 when the reply is an error already counted in the error stats, or
 * SUSPENDED (nothing written): the script ran past `busyMs`
 * (busy-reply-threshold, 0: never) and goes on with resume().
 */
export function run(key: Buffer, name: Buffer, fn: boolean, argv: Buffer[], first: number, numkeys: number, resp: number, busyMs: number, r: Reply): number {
  packRun(key, name, argv, first);
  const n = native.rawScriptRun(packed, fn, numkeys, resp, busyMs, r.buf, r.pos);
  // The reply's length times 8, 4 when it was written into r, and the flag.
  const flag = n % 4;
  if (flag === SUSPENDED) return flag;
  const len = Math.floor(n / 8);
  // (Arithmetic, not bit operators: a reply past 256 MB makes n exceed 32 bits.)
  if (Math.floor(n / 4) % 2 === 1) r.pos += len;
  else {
    r.ensure(len);
    r.pos = native.rawScriptTake(r.buf, r.pos);
  }
  return flag;
}

/** The flag byte of a suspended script's outcome. */
export const SUSPENDED = 2;

/** Runs the suspended script (EVAL's or FCALL's) for a slice of time: as run(). */
export function resume(): Buffer {
  return native.scriptResume();
}

/** SCRIPT KILL / FUNCTION KILL: the suspended script fails at its next check. */
export function kill(): boolean {
  return native.scriptKill();
}

/** Milliseconds the running script has run. */
export function runningMs(): number {
  return native.scriptRunningMs();
}

/** Drops every script: a fresh interpreter. */
export function flush(): void {
  registeredScripts = new WeakSet();
  native.scriptFlush();
}

/** Bytes the interpreter uses. */
export function memory(): number {
  return native.scriptMemory();
}

export type RegisteredFunction = ReturnType<typeof native.functionLoad>["functions"][number];

/** Runs a library's code (after its shebang line): its functions, or the error text. */
export function loadLibrary(code: Buffer, timeoutMs: number): { error: string | null; functions: RegisteredFunction[] } {
  // The engine forgets the functions the batch path knew at any change of the libraries.
  registeredFunctions = new WeakSet();
  const r = native.functionLoad(code, timeoutMs);
  return { error: r.error ?? null, functions: r.functions };
}

/** Forgets functions by their engine keys. */
export function dropFunctions(keys: string[]): void {
  if (keys.length === 0) return;
  registeredFunctions = new WeakSet();
  native.functionDrop(keys);
}

/** FUNCTION FLUSH: a fresh function interpreter. */
export function flushFunctions(): void {
  registeredFunctions = new WeakSet();
  native.functionFlush();
}

/** Bytes the function interpreter uses. */
export function functionMemory(): number {
  return native.functionMemory();
}

/** FUNCTION DUMP's payload for libraries with these codes. */
export function dumpPayload(codes: Buffer[], compress: boolean): Buffer {
  return native.functionDumpPayload(codes, compress);
}

/** FUNCTION RESTORE's reading of a payload: the library codes, or the error text. */
export function parsePayload(payload: Buffer): { error: string | null; codes: Buffer[] } {
  const r = native.functionParsePayload(payload);
  return { error: r.error ?? null, codes: r.codes };
}
