import { Buffer } from "node:buffer"; // not the global: its getter costs on every argument
import { ProtocolError } from "./errors.js";
import { splitInline } from "./inline.js";
import { parseI64 } from "./numbers.js";
import { giveArgBuffer, takeArgBuffer } from "./arg-pool.js";

const CR = 13;
const LF = 10;
/** Longest inline command or header line Redis accepts before it gives up. */
const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/**
 * A bulk at least this large that spans reads gets a Buffer of its declared size,
 * and the following reads are copied straight into it (as Redis reads a big
 * argument into a buffer of its size): no joining of chunks, no copy kept per read.
 */
const BIG_ARG = 1024;
/**
 * A big argument's Buffer gets at most this much before its bytes come; past
 * it the Buffer doubles as they arrive. A client that declares a 500 MB bulk
 * and sends three bytes costs no 500 MB.
 */
const BIG_UPFRONT = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
/** A read at least this long is copied into a pooled Buffer (arg-pool.ts) rather than a new one. */
const POOLED_COPY = 4096;
const NO_ARGS: Buffer[] = [];
/** What one parsed argument costs besides its bytes (a Buffer view and its slot). */
const ARG_OVERHEAD = 96;
/** Command names are kept for reuse up to this length, this many per client. */
const NAME_MAX = 16;
const NAMES_KEPT = 4;

/**
 * An argument: a Buffer view into the received bytes, made by a plain
 * typed-array constructor. Buffer.from(arrayBuffer, offset, length) checks its
 * arguments in JavaScript first and costs twice as much, and this runs for
 * every argument. Instances are Buffers (Buffer.isBuffer, every Buffer method).
 */
class ArgView extends Uint8Array {}
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);

export interface ParserLimits {
  /** proto-max-bulk-len (the server updates it in place on CONFIG SET). */
  maxBulkLen: number;
}

/**
 * Incremental RESP request parser: feed() it socket chunks, then call next()
 * until it returns null. Arguments are Buffer views into the received data; a
 * command split across chunks at any byte is reassembled.
 */
export class RequestParser {
  private buf: Buffer = EMPTY;
  /** buf's memory, for argument views made without Buffer#subarray's checks. */
  private mem: ArrayBuffer = EMPTY.buffer as ArrayBuffer;
  private memOffset = 0;
  private pos = 0;
  private argc = -1; // -1: between commands
  /** The arguments of a command whose bytes have not all arrived yet. */
  private args: Buffer[] = NO_ARGS;
  /** How many of the command's `argc` arguments `args` holds. */
  private argi = 0;
  /** Command names (argv[0]) this client sent lately, reused (see commandName). */
  private readonly names: Buffer[] = [];
  private nextName = 0;
  private bulkLen = -1; // -1: expecting a $ header
  /** The big argument being received, and how much of it (bytes and CRLF: bulkLen + 2 in all) has come. */
  private big: Buffer | null = null;
  private bigHave = 0;
  /**
   * The big argument's Buffer the last complete command got, and its index in
   * that command's argv (-1: none): the caller may give it back to the pool
   * (arg-pool.ts) once the command no longer needs it.
   */
  lentBuffer: Buffer | null = null;
  lentAt = -1;
  /** The pooled Buffer a read was copied into, while `buf` is (the start of) it; null otherwise. */
  private copyBase: Buffer | null = null;
  /** Where the command being parsed starts in `buf`. */
  private cmdStart = 0;
  /**
   * Memory held by the arguments parsed so far of an unfinished command (their bytes plus
   * what a Buffer view costs), so client-query-buffer-limit also bounds a command of
   * millions of tiny arguments.
   */
  private partial = 0;
  /** The longest bulk of Redis's big-argument size (32 KB) whose header was parsed since takeBigBulkSeen() (src/server/query-buffer.ts). */
  private bigBulkSeen = 0;

  constructor(
    private readonly limits: ParserLimits,
    /** Whether the client has authenticated (unauthenticated clients get small limits). */
    private readonly authenticated: () => boolean = () => true,
  ) {}

  /** Bytes received and not yet consumed (client-query-buffer-limit). */
  get pending(): number {
    return this.buf.length - this.pos + this.bigHave + this.partial;
  }

  /** Bytes received and not yet parsed into arguments (CLIENT LIST qbuf=, Redis's sdslen(querybuf)). */
  get queryLen(): number {
    return this.buf.length - this.pos + this.bigHave;
  }

  /** The bytes of the arguments parsed so far of an unfinished command (CLIENT LIST argv-mem). */
  get argvBytes(): number {
    return this.argc < 0 ? 0 : this.partial - this.argi * ARG_OVERHEAD;
  }

  /** The length of the bulk being received, -1 between bulks (Redis's c->bulklen). */
  get bulkInProgress(): number {
    return this.argc < 0 ? -1 : this.bulkLen;
  }

  /**
   * Input read ahead of its turn is not parsed yet: this looks through the
   * headers of the command it starts (without consuming anything) for a bulk
   * of at least `min` bytes that has not all arrived, and notes it as seen
   * (takeBigBulkSeen), as Redis's parser makes room for it on reading.
   */
  peekBigBulk(min: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let left: number;
    if (this.big !== null) return; // noted when its header was parsed
    if (this.argc < 0) {
      if (pos >= buf.length || buf[pos] !== 42 /* '*' */) return;
      const count = scanHeader(buf, pos);
      if (lineCr < 0 || count < 0) return;
      pos = lineCr + 2;
      left = count;
    } else {
      left = this.argc - this.argi;
      if (this.bulkLen >= 0) {
        if (this.bulkLen >= min && buf.length - pos < this.bulkLen + 2) this.noteBig(this.bulkLen);
        pos += this.bulkLen + 2;
        left--;
      }
    }
    for (; left > 0 && pos < buf.length; left--) {
      if (buf[pos] !== 36 /* '$' */) return;
      const len = scanHeader(buf, pos);
      if (lineCr < 0 || len < 0) return;
      pos = lineCr + 2;
      if (buf.length - pos < len + 2) {
        if (len >= min) this.noteBig(len);
        return;
      }
      pos += len + 2;
    }
  }

  private noteBig(len: number): void {
    if (len > this.bigBulkSeen) this.bigBulkSeen = len;
  }

  /** The longest big bulk whose header was parsed since the last call (0: none); resets it. */
  takeBigBulkSeen(): number {
    const n = this.bigBulkSeen;
    this.bigBulkSeen = 0;
    return n;
  }

  /** Bytes in the query buffer including the commands of this batch already parsed (CLIENT LIST qbuf=). */
  get received(): number {
    return this.buf.length + this.bigHave;
  }

  /**
   * What is left to parse, as Redis logs it with a protocol error: all of it when short,
   * else its first and last 64 bytes; unprintable bytes as '.'.
   */
  sample(): string {
    const rest = this.buf.subarray(this.pos);
    const show = (b: Buffer) => b.toString("latin1").replace(/[^\x20-\x7e]/g, ".");
    if (rest.length < 128) return `Query buffer during protocol error: '${show(rest)}'`;
    return (
      `Query buffer during protocol error: '${show(rest.subarray(0, 64))}' (... more ${rest.length - 128} bytes ...) ` +
      `'${show(rest.subarray(rest.length - 64))}'`
    );
  }

  /**
   * The buffered input when the parser stands between commands (nothing of a
   * command held back), for a reader that consumes whole commands itself (the
   * batch path); null otherwise. Its unread part starts at `offset`.
   */
  idleInput(): Buffer | null {
    return this.argc < 0 && this.big === null && this.pos < this.buf.length ? this.buf : null;
  }

  /** Where the unread part of `idleInput()` starts. */
  get offset(): number {
    return this.pos;
  }

  /** Marks the input up to `pos` as read (by the reader `idleInput()` was given to). */
  consumedTo(pos: number): void {
    this.pos = pos;
  }

  /** Makes `buf` the buffer being parsed. */
  private use(buf: Buffer): void {
    this.buf = buf;
    this.mem = buf.buffer as ArrayBuffer;
    this.memOffset = buf.byteOffset;
  }

  /** Drops everything buffered (the client is gone). */
  clear(): void {
    this.use(EMPTY);
    this.pos = 0;
    this.argc = -1;
    this.args = NO_ARGS;
    this.argi = 0;
    this.bulkLen = -1;
    this.big = null;
    this.bigHave = 0;
    this.partial = 0;
  }

  /**
   * Takes a read's bytes. `transient`: `chunk` is only valid during this call
   * (a shared read buffer): what the parser keeps of it is copied.
   */
  feed(chunk: Buffer, transient = false): void {
    if (this.big !== null) {
      if (chunk.buffer === this.big.buffer && chunk.byteOffset === this.big.byteOffset + this.bigHave) {
        this.bigHave += chunk.length; // read straight into place (readTarget)
        return;
      }
      const want = this.bulkLen + 2;
      const n = Math.min(chunk.length, want - this.bigHave);
      if (this.bigHave + n > this.big.length) {
        const grown = Buffer.allocUnsafe(Math.min(want, Math.max(this.big.length * 2, this.bigHave + n)));
        this.big.copy(grown, 0, 0, this.bigHave);
        this.big = grown;
      }
      chunk.copy(this.big, this.bigHave, 0, n);
      this.bigHave += n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n); // what follows the big argument: parsed once next() has taken it
    }
    this.copyBase = null;
    if (this.pos >= this.buf.length) {
      if (!transient) this.use(chunk);
      else if (chunk.length < POOLED_COPY) this.use(copyOf(chunk));
      else {
        // A big read is often the head of a big argument: its copy may go back to the pool (next()).
        const base = takeArgBuffer(chunk.length);
        chunk.copy(base, 0, 0, chunk.length);
        this.copyBase = base;
        this.use(base.length === chunk.length ? base : base.subarray(0, chunk.length));
      }
    } else {
      this.use(Buffer.concat([this.buf.subarray(this.pos), chunk]));
    }
    this.pos = 0;
  }

  /**
   * Where the next read should land, when the parser has a place for it: the
   * rest of the big argument being received (never past its end), so its bytes
   * arrive without a copy. Null otherwise (a buffer of the reader's).
   */
  readTarget(): Buffer | null {
    const big = this.big;
    if (big === null) return null;
    const want = this.bulkLen + 2;
    if (this.bigHave >= want) return null;
    if (this.bigHave === big.length) {
      const grown = Buffer.allocUnsafe(Math.min(want, big.length * 2));
      big.copy(grown, 0, 0, this.bigHave);
      this.big = grown;
    }
    return this.big!.subarray(this.bigHave, Math.min(this.big!.length, want));
  }

  /** The next complete command, or null when more bytes are needed. Throws ProtocolError. */
  next(): Buffer[] | null {
    const big = this.big;
    if (big !== null) {
      if (this.bigHave < this.bulkLen + 2) return null;
      // The big argument is whole: it joins the command's arguments, and parsing goes on after it.
      this.lentAt = this.argi;
      this.lentBuffer = big;
      this.args[this.argi++] = big.subarray(0, this.bulkLen);
      this.partial += this.bulkLen + ARG_OVERHEAD;
      this.bulkLen = -1;
      this.big = null;
      this.bigHave = 0;
    }
    // The position and the bulk being read are kept in locals while parsing and
    // stored back wherever this returns or throws (protocol errors log from `pos`).
    for (;;) {
      const buf = this.buf;
      let pos = this.pos;
      // A command parsed in one go never stores its argv in the parser (a young object into an old one costs a write barrier).
      let args: Buffer[];
      let argi = 0;
      let bulkLen = -1;
      let partial = 0;
      if (this.argc < 0) {
        if (pos >= buf.length) return null;
        if (buf[pos] !== 42 /* '*' */) return this.inline();
        const start = pos;
        const plain = scanHeader(buf, pos);
        const cr = lineCr;
        if (cr < 0) {
          if (buf.length - pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError("too big mbulk count string");
          return null;
        }
        const count = plain >= 0 ? plain : parseI64(buf, pos + 1, cr);
        if (count === null || count > 2147483647) throw new ProtocolError("invalid multibulk length", "invalid mbulk count");
        if (count > 10 && !this.authenticated()) throw new ProtocolError("unauthenticated multibulk length", "unauth mbulk count");
        this.pos = pos = cr + 2;
        if (count <= 0) continue; // empty command: ignored, as Redis does
        this.cmdStart = start;
        this.argc = count;
        this.lentAt = -1;
        this.lentBuffer = null;
        // Sized up front when small (a [] pushed to reserves 17 slots); a large declared count grows as arguments arrive.
        args = count <= 64 ? new Array<Buffer>(count) : [];
      } else {
        args = this.args;
        argi = this.argi;
        bulkLen = this.bulkLen;
        partial = this.partial;
      }
      const argc = this.argc;
      while (argi < argc) {
        if (bulkLen < 0) {
          if (pos >= buf.length) return this.pause(pos, args, argi, bulkLen, partial);
          const plain = scanHeader(buf, pos);
          const cr = lineCr;
          if (cr < 0) {
            this.pause(pos, args, argi, bulkLen, partial);
            if (buf.length - pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError("too big bulk count string");
            return null;
          }
          // Like Redis, the header is judged once its whole line has arrived.
          if (buf[pos] !== 36 /* '$' */) {
            this.pause(pos, args, argi, bulkLen, partial);
            throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[pos])}'`, "expected $ but got something else");
          }
          const len = plain >= 0 ? plain : parseI64(buf, pos + 1, cr);
          if (len === null || len < 0 || len > this.limits.maxBulkLen || (len > 16384 && !this.authenticated())) {
            this.pause(pos, args, argi, bulkLen, partial);
            if (len === null || len < 0 || len > this.limits.maxBulkLen) throw new ProtocolError("invalid bulk length");
            throw new ProtocolError("unauthenticated bulk length", "unauth bulk length");
          }
          pos = cr + 2;
          bulkLen = len;
          if (len >= 32768 && len > this.bigBulkSeen) this.bigBulkSeen = len;
        }
        const avail = buf.length - pos;
        if (avail < bulkLen + 2) {
          this.pause(pos, args, argi, bulkLen, partial);
          if (bulkLen >= BIG_ARG) {
            const target = takeArgBuffer(Math.min(bulkLen + 2, Math.max(avail, BIG_UPFRONT)));
            buf.copy(target, 0, pos);
            if (this.copyBase !== null && this.cmdStart === 0) {
              // Nothing else was read from this copy of a read: with its own copies of the
              // arguments before this one, the copy goes back to the pool for the next read.
              for (let j = 0; j < argi; j++) args[j] = Buffer.from(args[j]);
              giveArgBuffer(this.copyBase);
            }
            this.copyBase = null;
            this.big = target;
            this.bigHave = avail;
            this.use(EMPTY);
            this.pos = 0;
          }
          return null;
        }
        args[argi] = argi === 0 && bulkLen <= NAME_MAX ? this.commandName(buf, pos, bulkLen) : (new ArgView(this.mem, this.memOffset + pos, bulkLen) as Buffer);
        argi++;
        partial += bulkLen + ARG_OVERHEAD;
        pos += bulkLen + 2; // Redis does not check the trailing CRLF's bytes either
        bulkLen = -1;
      }
      this.pos = pos;
      this.bulkLen = -1;
      this.argc = -1;
      this.partial = 0;
      this.args = NO_ARGS;
      return args;
    }
  }

  /**
   * argv[0]: a copy of a name this client sent lately when the bytes are the
   * same (commands repeat: no view made per command name), else a new copy
   * that replaces the oldest of the few kept. Nothing writes into arguments.
   */
  private commandName(buf: Buffer, pos: number, len: number): Buffer {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (n.length !== len) continue;
      let j = 0;
      while (j < len && n[j] === buf[pos + j]) j++;
      if (j === len) return n;
    }
    const copy = Buffer.allocUnsafe(len);
    for (let j = 0; j < len; j++) copy[j] = buf[pos + j];
    if (names.length < NAMES_KEPT) names.push(copy);
    else names[this.nextName++ % NAMES_KEPT] = copy;
    return copy;
  }

  /** Keeps where parsing stopped inside a command (more bytes needed, or an error about to be thrown); null. */
  private pause(pos: number, args: Buffer[], argi: number, bulkLen: number, partial: number): null {
    this.pos = pos;
    this.args = args;
    this.argi = argi;
    this.bulkLen = bulkLen;
    this.partial = partial;
    return null;
  }

  /** An inline command line, or null when its newline has not arrived; empty lines are skipped. */
  private inline(): Buffer[] | null {
    for (;;) {
      const nl = this.buf.indexOf(LF, this.pos);
      if (nl < 0) {
        if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError("too big inline request");
        return null;
      }
      let end = nl;
      if (end > this.pos && this.buf[end - 1] === CR) end--;
      const line = this.buf.subarray(this.pos, end);
      this.pos = nl + 1;
      const args = splitInline(line);
      if (args.length > 0) return args;
      if (this.pos >= this.buf.length || this.buf[this.pos] === 42 /* '*' */) return this.next();
    }
  }
}

/** Where scanHeader found the header line's '\r' (-1: the line has not all arrived, its '\n' included). */
let lineCr = -1;

/**
 * Scans the header line at `pos` (its type byte, then the number) in one pass:
 * sets `lineCr`, and returns the number when it is plain (1-9 digits, no sign,
 * no leading zero), else -1 (the caller reads it by parseI64's rules).
 */
function scanHeader(buf: Buffer, pos: number): number {
  // A plain loop: header lines are a few bytes, where Buffer#indexOf's call costs more.
  const len = buf.length;
  let i = pos + 1;
  let v = 0;
  let plain = true;
  for (; i < len; i++) {
    const c = buf[i];
    if (c === CR) break;
    const d = c - 48;
    if (d < 0 || d > 9) plain = false;
    else v = v * 10 + d;
  }
  if (i + 1 >= len) {
    lineCr = -1;
    return -1;
  }
  lineCr = i;
  const n = i - pos - 1;
  if (!plain || n < 1 || n > 9 || (n > 1 && buf[pos + 1] === 48)) return -1;
  return v;
}

/** A copy of `b` in memory of its own (Node's pool for small ones). */
function copyOf(b: Buffer): Buffer {
  const c = Buffer.allocUnsafe(b.length);
  b.copy(c, 0, 0, b.length);
  return c;
}

/** The arguments of one complete command given as its bytes (the batch path's input, a propagated command). */
export function parseCommand(bytes: Buffer): Buffer[] {
  // The usual case, a well-formed multibulk command: views of its arguments, read off at once.
  const argv = multibulkArgs(bytes);
  if (argv !== null) return argv;
  const p = new RequestParser({ maxBulkLen: Number.MAX_SAFE_INTEGER });
  p.feed(bytes);
  return p.next() ?? [];
}

/** `*N` then N `$len` bulks, all of `bytes` and nothing else: their views, else null (the parser takes it). */
function multibulkArgs(bytes: Buffer): Buffer[] | null {
  const count = multibulkBounds(bytes, 0, bytes.length, argBounds);
  if (count < 0) return null;
  const argv = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) argv[i] = bytes.subarray(argBounds[2 * i], argBounds[2 * i + 1]);
  return argv;
}

/** The most arguments multibulkBounds records for parseCommand (longer commands: the parser's). */
const ARG_BOUNDS_MAX = 64;
const argBounds = new Int32Array(2 * ARG_BOUNDS_MAX);

/**
 * Where the arguments of the multibulk command at bytes[from, to) are (`*N`
 * then N `$len` bulks, exactly filling it): argument i at [bounds[2i],
 * bounds[2i + 1]). Returns N, or -1 when it is not such a command or has more
 * arguments than `bounds` holds.
 */
export function multibulkBounds(bytes: Buffer, from: number, to: number, bounds: Int32Array): number {
  if (bytes[from] !== 0x2a /* '*' */) return -1;
  const count = decimalLine(bytes, from + 1, to);
  if (count < 0 || 2 * count > bounds.length) return -1;
  let p = decimalEnd + 2;
  for (let i = 0; i < count; i++) {
    if (bytes[p] !== 0x24 /* '$' */) return -1;
    const len = decimalLine(bytes, p + 1, to);
    if (len < 0) return -1;
    p = decimalEnd + 2;
    if (p + len + 2 > to || bytes[p + len] !== 13 || bytes[p + len + 1] !== 10) return -1;
    bounds[2 * i] = p;
    bounds[2 * i + 1] = p + len;
    p += len + 2;
  }
  return p === to ? count : -1;
}

/** Where the last decimalLine's digits ended (at its '\r'). */
let decimalEnd = 0;

/** The unsigned decimal at `pos` ending a line (CRLF) before `to`, else -1; sets decimalEnd. */
function decimalLine(bytes: Buffer, pos: number, to: number): number {
  let n = 0;
  let p = pos;
  for (; p < to && p - pos < 16; p++) {
    const c = bytes[p];
    if (c === 13) break;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + c - 0x30;
  }
  if (p === pos || p + 1 >= to || bytes[p] !== 13 || bytes[p + 1] !== 10) return -1;
  decimalEnd = p;
  return n;
}
