import { Buffer } from "node:buffer"; // not the global: its getter costs on every argument
import { ProtocolError } from "./errors.js";
import { splitInline } from "./inline.js";
import { parseI64 } from "./numbers.js";

const CR = 13;
const LF = 10;
/** Longest inline command or header line Redis accepts before it gives up. */
const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Bulks at least this large that span reads are gathered chunk by chunk, then joined once. */
const GATHER_ARG = 1024;
const EMPTY = Buffer.alloc(0);
/** What one parsed argument costs besides its bytes (a Buffer view and its slot). */
const ARG_OVERHEAD = 96;

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
  private args: Buffer[] = [];
  private bulkLen = -1; // -1: expecting a $ header
  private bigChunks: Buffer[] | null = null;
  private bigHave = 0;
  /**
   * Memory held by the arguments parsed so far of an unfinished command (their bytes plus
   * what a Buffer view costs), so client-query-buffer-limit also bounds a command of
   * millions of tiny arguments.
   */
  private partial = 0;

  constructor(
    private readonly limits: ParserLimits,
    /** Whether the client has authenticated (unauthenticated clients get small limits). */
    private readonly authenticated: () => boolean = () => true,
  ) {}

  /** Bytes received and not yet consumed (client-query-buffer-limit). */
  get pending(): number {
    return this.buf.length - this.pos + this.bigHave + this.partial;
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
    this.args = [];
    this.bulkLen = -1;
    this.bigChunks = null;
    this.bigHave = 0;
    this.partial = 0;
  }

  feed(chunk: Buffer): void {
    if (this.bigChunks) {
      this.bigChunks.push(chunk);
      this.bigHave += chunk.length;
      return;
    }
    if (this.pos >= this.buf.length) {
      this.use(chunk);
    } else {
      this.use(Buffer.concat([this.buf.subarray(this.pos), chunk]));
    }
    this.pos = 0;
  }

  /** The next complete command, or null when more bytes are needed. Throws ProtocolError. */
  next(): Buffer[] | null {
    if (this.bigChunks) {
      if (this.bigHave < this.bulkLen + 2) return null;
      this.use(Buffer.concat(this.bigChunks, this.bigHave));
      this.pos = 0;
      this.bigChunks = null;
      this.bigHave = 0;
    }
    for (;;) {
      if (this.argc < 0) {
        if (this.pos >= this.buf.length) return null;
        if (this.buf[this.pos] !== 42 /* '*' */) return this.inline();
        const cr = this.lineEnd();
        if (cr < 0) {
          if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError("too big mbulk count string");
          return null;
        }
        const count = parseI64(this.buf, this.pos + 1, cr);
        if (count === null || count > 2147483647) throw new ProtocolError("invalid multibulk length", "invalid mbulk count");
        if (count > 10 && !this.authenticated()) throw new ProtocolError("unauthenticated multibulk length", "unauth mbulk count");
        this.pos = cr + 2;
        if (count <= 0) continue; // empty command: ignored, as Redis does
        this.argc = count;
        this.args = [];
      }
      while (this.args.length < this.argc) {
        if (this.bulkLen < 0) {
          if (this.pos >= this.buf.length) return null;
          const cr = this.lineEnd();
          if (cr < 0) {
            if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError("too big bulk count string");
            return null;
          }
          // Like Redis, the header is judged once its whole line has arrived.
          if (this.buf[this.pos] !== 36 /* '$' */) {
            throw new ProtocolError(`expected '$', got '${String.fromCharCode(this.buf[this.pos])}'`, "expected $ but got something else");
          }
          const len = parseI64(this.buf, this.pos + 1, cr);
          if (len === null || len < 0 || len > this.limits.maxBulkLen) throw new ProtocolError("invalid bulk length");
          if (len > 16384 && !this.authenticated()) throw new ProtocolError("unauthenticated bulk length", "unauth bulk length");
          this.pos = cr + 2;
          this.bulkLen = len;
        }
        const avail = this.buf.length - this.pos;
        if (avail < this.bulkLen + 2) {
          if (this.bulkLen >= GATHER_ARG) {
            // Gather the rest without re-copying what we have on every packet; nothing
            // is allocated for the declared length up front.
            this.bigChunks = [this.buf.subarray(this.pos)];
            this.bigHave = avail;
            this.use(EMPTY);
            this.pos = 0;
          }
          return null;
        }
        const end = this.pos + this.bulkLen;
        this.args.push(Buffer.from(this.mem, this.memOffset + this.pos, this.bulkLen));
        this.partial += this.bulkLen + ARG_OVERHEAD;
        this.pos = end + 2; // Redis does not check the trailing CRLF's bytes either
        this.bulkLen = -1;
      }
      const args = this.args;
      this.argc = -1;
      this.args = [];
      this.partial = 0;
      return args;
    }
  }

  /** Index of the '\r' ending the header line at pos, once its '\n' has arrived too; else -1. */
  private lineEnd(): number {
    // A plain loop: header lines are a few bytes, where Buffer#indexOf's call costs more.
    const buf = this.buf;
    const len = buf.length;
    let cr = this.pos;
    while (cr < len && buf[cr] !== CR) cr++;
    if (cr + 1 >= len) return -1;
    return cr;
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
