/**
 * The bytes the AOF holds for propagated commands (Redis's feedAppendOnlyFile
 * and catAppendOnlyGenericCommand): RESP multibulks, a SELECT when the db
 * changes, `#TS:<unix time>` annotations when aof-timestamp-enabled.
 */

/** A growable byte buffer for the AOF (Redis's aof_buf). */
export class ByteBuffer {
  buf = Buffer.allocUnsafe(16 * 1024);
  length = 0;

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
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
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
    this.length = 0;
    // A big buffer is given back once emptied (Redis frees an aof_buf over 4k).
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
  }
}

/** Appends one command as a RESP multibulk. */
export function catCommand(out: ByteBuffer, argv: Buffer[]): void {
  out.ascii(`*${argv.length}\r\n`);
  for (const a of argv) {
    out.ascii(`$${a.length}\r\n`);
    out.bytes(a);
    out.ascii("\r\n");
  }
}

/** SELECT db as Redis writes it into the AOF. */
export function catSelect(out: ByteBuffer, db: number): void {
  const s = String(db);
  out.ascii(`*2\r\n$6\r\nSELECT\r\n$${s.length}\r\n${s}\r\n`);
}
