/**
 * A raw RESP client for the differential harness: encodes commands, and splits
 * the reply stream into whole replies, each kept as its exact bytes so two
 * servers can be compared byte for byte. RESP2 and RESP3 reply types.
 */
import net from "node:net";

export type Arg = string | Buffer;

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(argv: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}
const CRLF = Buffer.from("\r\n");

/** Position just past the CRLF that ends the line starting at `pos`, or -1. */
function lineEnd(buf: Buffer, pos: number, end: number): number {
  const i = buf.indexOf(10, pos);
  return i < 0 || i >= end ? -1 : i + 1;
}

function lineInt(buf: Buffer, pos: number, lineStop: number): number {
  const n = Number(buf.toString("latin1", pos + 1, lineStop - 2));
  if (!Number.isInteger(n)) throw new Error(`RESP: bad length line ${JSON.stringify(buf.toString("latin1", pos, lineStop))}`);
  return n;
}

/**
 * Returns the position just past the complete reply that starts at `pos`,
 * or -1 when the bytes up to `end` do not hold all of it yet.
 */
export function replyEnd(buf: Buffer, pos: number, end: number): number {
  if (pos >= end) return -1;
  const type = String.fromCharCode(buf[pos]);
  const stop = lineEnd(buf, pos, end);
  if (stop < 0) return -1;
  switch (type) {
    case "+":
    case "-":
    case ":":
    case "_":
    case ",":
    case "#":
    case "(":
      return stop;
    case "$":
    case "!":
    case "=": {
      const len = lineInt(buf, pos, stop);
      if (len < 0) return stop;
      return stop + len + 2 <= end ? stop + len + 2 : -1;
    }
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      let n = lineInt(buf, pos, stop);
      if (n < 0) return stop;
      if (type === "%" || type === "|") n *= 2;
      if (type === "|") n += 1; // an attribute is followed by the reply it annotates
      let p = stop;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p, end);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new Error(`RESP: unknown reply type byte ${buf[pos]} at ${pos}`);
  }
}

/** Accumulates chunks and hands out whole replies, as Buffers holding their exact bytes. */
export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;

  push(chunk: Buffer): void {
    const rest = this.buf.length - this.start;
    this.buf = rest === 0 ? chunk : Buffer.concat([this.buf.subarray(this.start), chunk]);
    this.start = 0;
  }

  /** The next whole reply, or null until more bytes arrive. */
  next(): Buffer | null {
    const e = replyEnd(this.buf, this.start, this.buf.length);
    if (e < 0) return null;
    const out = Buffer.from(this.buf.subarray(this.start, e));
    this.start = e;
    return out;
  }
}

interface Pending {
  want: number;
  got: Buffer[];
  resolve(replies: Buffer[]): void;
  reject(e: Error): void;
}

/** One connection to a server; `send` pipelines commands and resolves with their replies in order. */
export class RespConnection {
  private reader = new ReplyReader();
  private queue: Pending[] = [];
  private failure: Error | null = null;

  private constructor(private sock: net.Socket) {
    sock.on("data", (d) => this.onData(d));
    sock.on("error", (e) => this.fail(e));
    sock.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      sock.setNoDelay(true);
      sock.once("connect", () => resolve(new RespConnection(sock)));
      sock.once("error", reject);
    });
  }

  /**
   * Pipelines `commands`; resolves with their replies in order. Without all
   * of them after `timeoutMs` the connection is given up (a server that does
   * not answer is a finding, not a hang).
   */
  send(commands: Arg[][], timeoutMs = 10000): Promise<Buffer[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        want: commands.length,
        got: [],
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const argv = commands[p.got.length].map((a) => show(a)).join(" ");
        this.fail(new Error(`no reply to ${argv} (command ${p.got.length + 1} of a batch of ${p.want}) within ${timeoutMs} ms`));
        this.sock.destroy();
      }, timeoutMs);
      this.queue.push(p);
      this.sock.write(Buffer.concat(commands.map(encodeCommand)));
    });
  }

  async call(...argv: Arg[]): Promise<Buffer> {
    return (await this.send([argv]))[0];
  }

  close(): void {
    this.failure ??= new Error("connection closed");
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    this.reader.push(d);
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const r = this.reader.next();
      if (!r) return;
      head.got.push(r);
      if (head.got.length === head.want) {
        this.queue.shift();
        head.resolve(head.got);
      }
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.queue.splice(0)) p.reject(e);
  }
}

/** A reply's bytes as a readable one-line string (for failure messages). */
export function show(b: Buffer | string): string {
  return JSON.stringify(typeof b === "string" ? b : b.toString("latin1"));
}
