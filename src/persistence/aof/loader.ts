/**
 * Loading an AOF (Redis's loadSingleAppendOnlyFile / loadAppendOnlyFiles):
 * each file's commands replayed through the normal command path by a fake
 * client that never gets replies, MULTI/EXEC included. A file that starts
 * with "REDIS" is an RDB (a base written with aof-use-rdb-preamble, or an old
 * single-file AOF with an RDB preamble): the RDB loader reads it and the
 * commands after it, if any, are replayed. A torn tail of the last file is cut
 * off when aof-load-truncated allows it; anything else malformed stops the load.
 */
import fs from "node:fs";
import path from "node:path";
import type net from "node:net";
import { AOF_CLIENT_ID, Client } from "../../server/client.js";
import type { Server } from "../../server/server.js";
import { execute } from "../../server/dispatch.js";
import { CommandNames } from "../../server/command-names.js";
import { Reply } from "../../protocol/reply.js";
import { server as engineServer } from "../../engine/index.js";
import { Install } from "../../engine/persistence.js";
import { rdbOf } from "../index.js";
import { busy } from "../../scripting/bridge.js";
import { strerror } from "../../config/special.js";
import type { Manifest } from "./manifest.js";
import type { LoadProgress } from "../loading.js";

export type { LoadProgress } from "../loading.js";

/** loadSingleAppendOnlyFile's results. */
export type LoadResult = "ok" | "not_exist" | "empty" | "open_err" | "failed" | "truncated";

/** Redis's AOF_ANNOTATION_LINE_MAX_LEN: fgets reads at most this minus one byte per line. */
const LINE_MAX = 1024;
const CHUNK = 1 << 20;

/** fgets/fread over a file read in chunks, keeping the offset (ftello). */
class FileReader {
  /** The bytes read so far and not consumed, from `pos` (lines are read in place: see `line`). */
  buf = Buffer.alloc(0);
  private pos = 0;
  /** The file offset of buf[0]. */
  private base = 0;
  eof = false;

  constructor(
    private readonly fd: number,
    start: number,
  ) {
    this.base = start;
  }

  tell(): number {
    return this.base + this.pos;
  }

  /** Makes at least `n` bytes available if the file has them; false at end of file. */
  private want(n: number): boolean {
    while (this.buf.length - this.pos < n) {
      if (this.eof) return false;
      const rest = this.buf.subarray(this.pos);
      const more = Buffer.allocUnsafe(Math.max(CHUNK, n - rest.length));
      const got = fs.readSync(this.fd, more, 0, more.length, this.base + this.buf.length);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.base += this.pos;
      this.buf = rest.length === 0 ? more.subarray(0, got) : Buffer.concat([rest, more.subarray(0, got)]);
      this.pos = 0;
    }
    return true;
  }

  /** Where the line `line` read starts in `buf`. */
  lineStart = 0;

  /**
   * fgets: the next line, up to a newline (kept) or LINE_MAX-1 bytes, read in
   * place: it is buf[lineStart, returned end). -1 at end of file with nothing read.
   */
  line(): number {
    let end = -1;
    for (;;) {
      const avail = this.buf.length - this.pos;
      const limit = Math.min(avail, LINE_MAX - 1);
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0 && nl - this.pos < limit) {
        end = nl + 1;
        break;
      }
      if (avail >= LINE_MAX - 1) {
        end = this.pos + LINE_MAX - 1;
        break;
      }
      if (!this.want(avail + 1)) {
        if (this.buf.length - this.pos === 0) return -1;
        end = this.buf.length;
        break;
      }
    }
    this.lineStart = this.pos;
    this.pos = end;
    return end;
  }

  /** fread of exactly `n` bytes, or null (the file ended first; what was there is consumed). */
  read(n: number): Buffer | null {
    if (!this.want(n)) {
      this.pos = this.buf.length;
      return null;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** fread of `n` bytes dropped; false when the file ended first. */
  skip(n: number): boolean {
    if (!this.want(n)) {
      this.pos = this.buf.length;
      return false;
    }
    this.pos += n;
    return true;
  }
}

/** atoi / strtol over b[from, end): leading digits with a sign; 0 when there are none. */
function leadingInt(b: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && (b[i] === 32 || (b[i] >= 9 && b[i] <= 13))) i++;
  let neg = false;
  if (i < end && (b[i] === 45 || b[i] === 43)) neg = b[i++] === 45;
  let n = 0;
  while (i < end && b[i] >= 48 && b[i] <= 57) n = n * 10 + (b[i++] - 48);
  return neg ? -n : n;
}

const EMPTY = Buffer.alloc(0);

/** A stand-in socket for the fake client: the AOF client has no connection. */
const NO_SOCKET = {
  remoteAddress: undefined,
  localAddress: undefined,
  write: () => true,
  writableLength: 0,
  isPaused: () => false,
  destroy: () => undefined,
  end: () => undefined,
} as unknown as net.Socket;

/** The fake client commands run as while loading (createAOFClient). */
export function createAofClient(server: Server): Client {
  // Its id tells it apart (Redis's CLIENT_ID_AOF): it runs while other clients get -LOADING.
  const c = new Client(AOF_CLIENT_ID, NO_SOCKET, { limits: server.hot, authRequired: false });
  c.denyBlocking = true;
  return c;
}

export interface LoadOptions {
  dir: string;
  /** aof-load-truncated. */
  truncatedOk: boolean;
  /** appendfilename (an old single-file AOF by that name loads its RDB preamble as such). */
  aofName: string;
  /** key-load-delay: microseconds slept after each command (tests make loading slow with it). */
  keyLoadDelayUs: number;
  log: Server["log"];
  /** The steps run between turns of the event loop (a suspended script can then finish before the next command). */
  yielding: boolean;
}

/**
 * The loading steps yield every this many commands, or sooner once STEP_MS
 * have passed (checked every 64): run at start, the event loop then answers
 * clients (-LOADING) between steps, as Redis's processEventsWhileBlocked.
 */
const COMMANDS_PER_STEP = 1024;
const STEP_MS = 50;
/** What key-load-delay sleeps on. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Replays one file of the AOF (loadSingleAppendOnlyFile), yielding between steps. */
function* loadSingleFile(server: Server, name: string, opts: LoadOptions, progress: LoadProgress): Generator<void, LoadResult> {
  const log = opts.log;
  const file = path.join(opts.dir, name);
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      log.warning(`Fatal error: can't open the append log file ${name} for reading: ${strerror(e)}`);
      return "open_err";
    }
    log.warning(`The append log file ${name} doesn't exist: ${strerror(e)}`);
    return "not_exist";
  }
  try {
    if (fs.fstatSync(fd).size === 0) return "empty";
    // The engine's clock stands at the start of time (1 ms: 0 means "unset") while
    // loading: no key expires and a past expire is set, not applied (Redis's
    // server.loading), so the commands replay as they ran.
    engineServer.setClock(1);
    return yield* replay(server, fd, file, name, opts, progress);
  } finally {
    engineServer.setClock(Date.now());
    fs.closeSync(fd);
  }
}

function* replay(server: Server, fd: number, file: string, name: string, opts: LoadOptions, progress: LoadProgress): Generator<void, LoadResult> {
  const log = opts.log;
  let start = 0;
  const sig = Buffer.alloc(5);
  if (fs.readSync(fd, sig, 0, 5, 0) === 5 && sig.toString("latin1") === "REDIS") {
    const oldStyle = name === opts.aofName;
    log.notice(oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...");
    let end = -1;
    try {
      // The RDB module's loader (expired keys kept, as for any AOF preamble); it says where the RDB ended.
      end = rdbOf(server).load(file, Install.Replace, false).consumed;
    } catch (e) {
      log.warning(`${(e as Error).message}`);
    }
    if (end < 0) {
      log.warning(
        oldStyle
          ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
          : `Error reading the RDB base file ${name}, AOF loading aborted`,
      );
      return "failed";
    }
    start = end;
    if (oldStyle) log.notice("Reading the remaining AOF tail...");
  }

  const names = (server.commandNames ??= new CommandNames(server.commands));
  const client = createAofClient(server);
  const r = new Reply();
  const reader = new FileReader(fd, start);
  let validUpTo = start;
  let validBeforeMulti = start;
  // Nodis's line with the offset comes first: Redis's own line stays the last one logged (tools match it).
  const fmtErr = (): LoadResult => {
    log.warning(`The command that does not parse starts at offset ${validUpTo} of ${name}`);
    log.warning(
      `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
    );
    return "failed";
  };
  const uxeof = (): LoadResult => {
    if (opts.truncatedOk) {
      log.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
      log.warning(`!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
      try {
        fs.truncateSync(file, validUpTo);
        log.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
        return "truncated";
      } catch (e) {
        log.warning(`Error truncating the AOF file ${name}: ${strerror(e)}`);
      }
    }
    log.warning(`The last complete command of ${name} ends at offset ${validUpTo}`);
    log.warning(
      `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
    );
    return "failed";
  };

  let steps = 0;
  let stepStart = performance.now();
  for (;;) {
    if (++steps === COMMANDS_PER_STEP || ((steps & 63) === 0 && performance.now() - stepStart >= STEP_MS)) {
      steps = 0;
      progress.fileOffset = reader.tell();
      yield;
      // Clients ran in between and moved the clock: back to the loading clock (see loadSingleFile).
      engineServer.setClock(1);
      stepStart = performance.now();
    }
    let end = reader.line();
    if (end < 0) break;
    let b = reader.buf;
    let at = reader.lineStart;
    if (b[at] === 35 /* # */) continue; // annotations (#TS:...)
    if (b[at] !== 42 /* * */) return fmtErr();
    if (end - at === 1) return uxeof(); // "*" then the end of the file
    const argc = leadingInt(b, at + 1, end);
    if (argc < 1) return fmtErr();
    const argv: Buffer[] = new Array(argc);
    for (let j = 0; j < argc; j++) {
      end = reader.line();
      if (end < 0) return uxeof();
      b = reader.buf;
      at = reader.lineStart;
      if (b[at] !== 36 /* $ */) return fmtErr();
      const len = leadingInt(b, at + 1, end);
      // A view of the chunk read: chunks are never written again once read, so it stays valid.
      const arg = len > 0 ? reader.read(len) : EMPTY;
      if (arg === null) return uxeof();
      argv[j] = arg;
      if (!reader.skip(2)) return uxeof();
    }
    let spec = names.get(argv[0]);
    if (spec && spec.subcommands && argv.length > 1) spec = spec.subcommands.get(argv[1].toString("latin1").toLowerCase());
    if (!spec) {
      log.warning(`Unknown command '${argv[0].toString("latin1")}' reading the append only file ${name}`);
      return "failed";
    }
    if (spec.name === "multi") validBeforeMulti = validUpTo;
    // What the AOF holds is obeyed as written (Redis's mustObeyClient: a rewritten XADD trim keeps its LIMIT).
    engineServer.setObey(true);
    try {
      execute(server, client, argv, r);
    } finally {
      engineServer.setObey(false);
    }
    r.pos = 0;
    // A script past busy-reply-threshold goes on in slices between turns of the loop
    // (scripting/bridge.ts suspend): the next command waits for its end, as Redis's
    // loading runs the script to its end while others get -LOADING.
    while (busy.script !== null && opts.yielding) {
      yield;
      engineServer.setClock(1);
    }
    if (opts.keyLoadDelayUs > 0) Atomics.wait(SLEEPER, 0, 0, opts.keyLoadDelayUs / 1000);
    validUpTo = reader.tell();
  }
  // The end of the file inside MULTI/EXEC: the transaction's start is the end of the valid part.
  if (client.multiCount >= 0) {
    log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
    validUpTo = validBeforeMulti;
    return uxeof();
  }
  return "ok";
}

/** Runs loading steps to the end at once (DEBUG LOADAOF). */
export function runNow<T>(steps: Generator<void, T>): T {
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/** Runs loading steps, letting the event loop run between them (the start-up load). */
export async function runYielding<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface LoadedAof {
  result: LoadResult;
  /** Sizes of the base and of base plus incr files (aof_rewrite_base_size, aof_current_size). */
  baseSize: number;
  totalSize: number;
}

/** Loads the files the manifest lists, base first (loadAppendOnlyFiles), yielding between steps. */
export function* loadFiles(server: Server, m: Manifest, opts: LoadOptions, progress: LoadProgress): Generator<void, LoadedAof> {
  const log = opts.log;
  const files = m.loadOrder();
  if (files.length === 0) return { result: "not_exist", baseSize: 0, totalSize: 0 };
  let total = 0;
  for (const f of files) {
    try {
      total += fs.statSync(path.join(opts.dir, f.name)).size;
    } catch (e) {
      log.warning(`Unable to obtain the AOF file ${f.name} length. stat: ${strerror(e)}`);
      return { result: "failed", baseSize: 0, totalSize: 0 };
    }
  }
  if (total === 0) return { result: "empty", baseSize: 0, totalSize: 0 };
  progress.totalBytes = total;
  let baseSize = 0;
  let ret: LoadResult = "ok";
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const isBase = f === m.base;
    const last = i === files.length - 1;
    if (isBase) baseSize = fs.statSync(path.join(opts.dir, f.name)).size;
    const t0 = performance.now();
    ret = yield* loadSingleFile(server, f.name, opts, progress);
    try {
      progress.doneBytes += fs.statSync(path.join(opts.dir, f.name)).size;
    } catch {
      // cut or gone meanwhile: the progress only reports
    }
    progress.fileOffset = 0;
    if (ret === "ok" || (ret === "truncated" && last)) {
      log.notice(`DB loaded from ${isBase ? "base" : "incr"} file ${f.name}: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
    }
    // An empty incr file is fine: some file has data.
    if (!isBase && ret === "empty") ret = "ok";
    if (ret === "truncated" && !last) {
      ret = "failed";
      log.warning("Fatal error: the truncated file is not the last file");
    }
    if (ret === "open_err" || ret === "failed") return { result: ret, baseSize, totalSize: total };
  }
  return { result: ret, baseSize, totalSize: total };
}
