/**
 * The bytes the AOF holds for propagated commands (Redis's feedAppendOnlyFile
 * and catAppendOnlyGenericCommand): RESP multibulks, a SELECT when the db
 * changes, `#TS:<unix time>` annotations when aof-timestamp-enabled.
 */

/** Past this size an emptied ByteBuffer is a candidate for shrinking. */
const BIG_BUFFER = 1024 * 1024;
/** Clears that used at most an eighth of a big buffer before it is given back. */
const SMALL_CLEARS_BEFORE_SHRINK = 64;

/** A growable byte buffer for the AOF (Redis's aof_buf). */
export class ByteBuffer {
  buf = Buffer.allocUnsafe(16 * 1024);
  length = 0;
  /** Clears in a row that found a big buffer mostly unused. */
  private smallClears = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  ascii(s: string): void {
    this.ensure(s.length);
    this.length += this.buf.write(s, this.length, "latin1");
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let at = this.length;
    // Short arguments (most keys and values) copy faster in a loop than through a native call.
    if (n <= 32) for (let i = 0; i < n; i++) buf[at++] = b[i];
    else buf.set(b, at);
    this.length += n;
  }

  /** `<prefix><n>\r\n` (a RESP count or length), without making a string. */
  header(prefix: number, n: number): void {
    this.ensure(24);
    const buf = this.buf;
    let at = this.length;
    buf[at++] = prefix;
    let digits = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
    at += digits;
    for (let i = 1, v = n; i <= digits; i++, v = Math.floor(v / 10)) buf[at - i] = 48 + (v % 10);
    buf[at++] = 13;
    buf[at++] = 10;
    this.length = at;
  }

  crlf(): void {
    this.ensure(2);
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /** The bytes held (a view, valid until the next change). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Drops the first `n` bytes (a partial write). */
  consume(n: number): void {
    if (n >= this.length) {
      this.clear();
      return;
    }
    this.buf.copy(this.buf, 0, n, this.length);
    this.length -= n;
  }

  clear(): void {
    // A big buffer is given back once it has held little for a while (Redis frees an
    // aof_buf over 4k at once; here a fresh big Buffer per turn under a flood of big
    // values cost page faults and GC pressure: SET of 100 KB 2x the CPU).
    if (this.buf.length > BIG_BUFFER) {
      if (this.length > this.buf.length / 8) this.smallClears = 0;
      else if (++this.smallClears >= SMALL_CLEARS_BEFORE_SHRINK) {
        this.buf = Buffer.allocUnsafe(16 * 1024);
        this.smallClears = 0;
      }
    }
    this.length = 0;
  }
}

/** Appends one command as a RESP multibulk. */
export function catCommand(out: ByteBuffer, argv: Buffer[]): void {
  out.header(42 /* * */, argv.length);
  for (const a of argv) {
    out.header(36 /* $ */, a.length);
    out.bytes(a);
    out.crlf();
  }
}

/** A propagated command: its own bytes when the op carries them (already this encoding), else catCommand. */
export function catOp(out: ByteBuffer, op: { argv: Buffer[]; raw?: Buffer }): void {
  if (op.raw !== undefined) out.bytes(op.raw);
  else catCommand(out, op.argv);
}

/** SELECT db as Redis writes it into the AOF. */
export function catSelect(out: ByteBuffer, db: number): void {
  const s = String(db);
  out.ascii(`*2\r\n$6\r\nSELECT\r\n$${s.length}\r\n${s}\r\n`);
}
