/**
 * The replication backlog (Redis's repl_backlog): the last `size` bytes of the
 * replication stream, so a replica that lost its link for a moment asks for
 * what it missed (PSYNC replid offset) and gets only that (+CONTINUE).
 * `firstOffset` is the stream offset of the oldest byte held (Redis's
 * repl_backlog_first_byte_offset: offsets start at 1 there).
 */
export class Backlog {
  private buf: Buffer;
  /** Where the next byte goes in `buf`. */
  private idx = 0;
  /** Bytes held (repl_backlog_histlen). */
  histlen = 0;
  /** Offset (of the stream) of the oldest byte held. */
  firstOffset: number;

  constructor(
    size: number,
    /** The stream's offset when the backlog starts (its next byte is offset + 1). */
    offset: number,
  ) {
    this.buf = Buffer.alloc(Math.max(16 * 1024, size));
    this.firstOffset = offset + 1;
  }

  get size(): number {
    return this.buf.length;
  }

  /** Appends bytes of the stream. */
  add(bytes: Buffer): void {
    const cap = this.buf.length;
    let src = bytes;
    if (src.length > cap) src = src.subarray(src.length - cap);
    const first = Math.min(src.length, cap - this.idx);
    src.copy(this.buf, this.idx, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.idx = (this.idx + src.length) % cap;
    const dropped = Math.max(0, this.histlen + bytes.length - cap);
    this.histlen = Math.min(cap, this.histlen + bytes.length);
    this.firstOffset += dropped;
  }

  /** The bytes from stream offset `from` to the end (`end`: the stream's current offset), or null when not all held. */
  from(from: number, end: number): Buffer | null {
    if (this.histlen === 0) return from === end + 1 ? Buffer.alloc(0) : null;
    if (from < this.firstOffset || from > end + 1) return null;
    const n = end + 1 - from;
    const cap = this.buf.length;
    const start = (this.idx - n + cap) % cap;
    if (start + n <= cap) return Buffer.from(this.buf.subarray(start, start + n));
    return Buffer.concat([this.buf.subarray(start), this.buf.subarray(0, n - (cap - start))]);
  }

  /** repl-backlog-size changed: the newest bytes are kept. */
  resize(size: number, end: number): void {
    const keep = this.from(Math.max(this.firstOffset, end + 1 - size), end) ?? Buffer.alloc(0);
    this.buf = Buffer.alloc(Math.max(16 * 1024, size));
    this.idx = 0;
    this.histlen = 0;
    this.firstOffset = end + 1 - keep.length;
    this.add(keep);
    this.firstOffset = end + 1 - keep.length;
  }
}
