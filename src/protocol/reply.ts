/**
 * The reply arena: replies for one read batch are written here and go out in
 * one socket write. Native engine calls write into `buf` at `pos` directly.
 * Methods follow RESP2/RESP3 by `resp`, as Redis's addReply* functions do.
 */
const CRLF = "\r\n";
/** The most frequent fixed replies, copied as bytes (a string write costs more per call). */
const OK = Buffer.from("+OK\r\n");
const NIL2 = Buffer.from("$-1\r\n");
const NIL_ARRAY2 = Buffer.from("*-1\r\n");
const NULL3 = Buffer.from("_\r\n");

/** An error text: one string, or strings and byte parts (arguments echoed as sent). */
export type ErrorText = string | readonly (string | Uint8Array)[];

/**
 * What C's `%s` (or `%.<max>s`) prints of an argument, as Redis formats its
 * errors: the bytes up to the first NUL, at most `max` of them.
 */
export function cstr(arg: Uint8Array, max = Infinity): Uint8Array {
  const nul = arg.indexOf(0);
  const end = Math.min(nul < 0 ? arg.length : nul, max);
  return end === arg.length ? arg : arg.subarray(0, end);
}

export class Reply {
  buf: Buffer;
  pos = 0;
  resp: 2 | 3 = 2;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Hands out the bytes written so far (a copy) and empties the arena. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.allocUnsafeSlow(64 * 1024);
    return out;
  }

  /**
   * Hands out the bytes written so far without copying them (a view of the arena)
   * and empties the arena. The caller then says with release() whether anything
   * still holds the view (a socket that could not write it at once).
   */
  view(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** After view(): `held` says the view is still in use, so the arena moves to new memory. */
  release(held: boolean): void {
    if (held) this.buf = Buffer.allocUnsafeSlow(Math.min(this.buf.length, 64 * 1024));
    else if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.allocUnsafeSlow(64 * 1024);
  }

  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    // Short ones byte by byte (a store keeps the low byte, as latin1 does): Buffer#write's call into C++ costs more.
    if (n > 32) {
      this.pos += this.buf.write(s, this.pos, "latin1");
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  raw(b: Uint8Array): void {
    // Short ones (+QUEUED, small pushes) byte by byte: TypedArray#set costs more than the copy.
    if (b.length <= 16) return this.fixed(b);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * A type byte, a count and CRLF ("*3\r\n", "$5\r\n"), digits written as bytes:
   * a header per array or bulk, where building and writing a string cost ~100 ns.
   */
  private header(type: number, n: number): void {
    if (n < 0 || n > 0x7fffffff || (n | 0) !== n) return this.ascii(String.fromCharCode(type) + n + CRLF);
    this.ensure(13);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = type;
    let digits = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
    pos += digits;
    for (let i = pos - 1, m = n; i >= pos - digits; i--, m = (m / 10) | 0) buf[i] = 48 + (m % 10);
    buf[pos++] = 13;
    buf[pos++] = 10;
    this.pos = pos;
  }

  /** Copies a short constant reply byte by byte. */
  private fixed(b: Uint8Array): void {
    this.ensure(b.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < b.length; i++) buf[pos++] = b[i];
    this.pos = pos;
  }

  ok(): void {
    this.fixed(OK);
  }
  simple(s: string): void {
    this.ascii("+" + s + CRLF);
  }
  /**
   * An error reply; `msg` carries its code ("ERR ...", "WRONGTYPE ..."). String
   * parts are written as UTF-8, byte parts (a client's arguments) as they are, as
   * Redis echoes them; CR and LF become spaces so the reply stays one line.
   */
  error(msg: ErrorText): void {
    const parts = typeof msg === "string" ? [msg] : msg;
    let len = 3;
    for (const p of parts) len += typeof p === "string" ? Buffer.byteLength(p) : p.length;
    this.ensure(len);
    const buf = this.buf;
    buf[this.pos++] = 45;
    const from = this.pos;
    for (const p of parts) {
      if (typeof p === "string") this.pos += buf.write(p, this.pos);
      else {
        buf.set(p, this.pos);
        this.pos += p.length;
      }
    }
    for (let i = from; i < this.pos; i++) if (buf[i] === 13 || buf[i] === 10) buf[i] = 32;
    buf[this.pos++] = 13;
    buf[this.pos++] = 10;
  }
  int(n: number | bigint): void {
    if (typeof n === "number" && n >= 10 && (n | 0) === n) return this.header(58, n);
    if (typeof n === "number" && n >= 0 && n < 10 && (n | 0) === n) {
      // 0-9 (counts, booleans) without building a string.
      this.ensure(4);
      const buf = this.buf;
      buf[this.pos] = 58;
      buf[this.pos + 1] = 48 + n;
      buf[this.pos + 2] = 13;
      buf[this.pos + 3] = 10;
      this.pos += 4;
      return;
    }
    this.ascii(":" + n + CRLF);
  }
  bulk(v: Uint8Array | string): void {
    if (typeof v === "string") {
      const len = Buffer.byteLength(v);
      this.ascii("$" + len + CRLF);
      this.ensure(len + 2);
      this.pos += this.buf.write(v, this.pos);
      this.ascii(CRLF);
      return;
    }
    this.header(36, v.length);
    this.ensure(v.length + 2);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }
  /** A null bulk ($-1 / _). */
  nil(): void {
    this.fixed(this.resp === 3 ? NULL3 : NIL2);
  }
  /** A null array (*-1 / _). */
  nilArray(): void {
    this.fixed(this.resp === 3 ? NULL3 : NIL_ARRAY2);
  }
  array(n: number): void {
    this.header(42, n);
  }
  /** A map of n pairs (RESP3 %, RESP2 a flat array of 2n). */
  map(n: number): void {
    if (this.resp === 3) this.header(37, n);
    else this.header(42, 2 * n);
  }
  set(n: number): void {
    this.header(this.resp === 3 ? 126 : 42, n);
  }
  push(n: number): void {
    this.header(this.resp === 3 ? 62 : 42, n);
  }
  bool(b: boolean): void {
    this.ascii(this.resp === 3 ? (b ? "#t\r\n" : "#f\r\n") : b ? ":1\r\n" : ":0\r\n");
  }
  /** A double: RESP3 `,`; RESP2 a bulk string, in Redis 7.2's shortest form. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 3) this.ascii("," + s + CRLF);
    else this.bulk(s);
  }
  /** A verbatim string (RESP3 `=`, RESP2 bulk). */
  verbatim(s: string, format = "txt"): void {
    if (this.resp === 3) {
      const len = Buffer.byteLength(s) + 4;
      this.ascii("=" + len + CRLF + format + ":");
      this.ensure(Buffer.byteLength(s) + 2);
      this.pos += this.buf.write(s, this.pos);
      this.ascii(CRLF);
    } else this.bulk(s);
  }
  /** An array of bulk strings. */
  bulks(items: (Uint8Array | string)[]): void {
    this.array(items.length);
    for (const it of items) this.bulk(it);
  }
}

/** Doubles as Redis 7.2 prints them: shortest round-trip, inf/-inf/nan. */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (Object.is(d, -0)) return "-0";
  const s = String(d);
  // JS writes 1e+21; Redis's %.17g writes 1e+21 too, but small exponents as 1e-07.
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}
