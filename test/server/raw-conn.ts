/** A raw TCP connection for protocol tests: send bytes, read whole RESP replies as text. */
import net from "node:net";

/** End offset of the RESP reply starting at `pos`, or -1 when incomplete. */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const cr = buf.indexOf("\r\n", pos);
  if (cr < 0) return -1;
  const type = String.fromCharCode(buf[pos]);
  const n = Number(buf.toString("latin1", pos + 1, cr));
  let p = cr + 2;
  switch (type) {
    case "$":
    case "=":
    case "!":
      if (n < 0) return p;
      return buf.length >= p + n + 2 ? p + n + 2 : -1;
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      const items = n < 0 ? 0 : type === "%" || type === "|" ? 2 * n : n;
      for (let i = 0; i < items; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      // An attribute is followed by the reply it describes.
      return type === "|" ? replyEnd(buf, p) : p;
    }
    default:
      return p;
  }
}

export class RawConn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly sock: net.Socket;

  private constructor(port: number) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.sock.on("close", () => {
      this.closed = true;
      this.wake();
    });
    this.sock.on("error", () => {});
  }

  static open(port: number): Promise<RawConn> {
    const c = new RawConn(port);
    return new Promise((resolve, reject) => {
      c.sock.once("connect", () => resolve(c));
      c.sock.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** Sends a command in RESP. */
  send(...args: (string | Buffer)[]): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(a);
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
    }
    this.sock.write(Buffer.concat(parts));
  }

  /** Waits until `cond()` or the timeout; returns cond's last value. */
  private async until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed || Date.now() > deadline) return cond();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** The next whole reply as text; throws when none arrives in time. */
  async reply(timeoutMs = 10_000): Promise<string> {
    await this.until(() => replyEnd(this.buf, 0) >= 0, timeoutMs);
    const end = replyEnd(this.buf, 0);
    if (end < 0) throw new Error(`no reply (closed=${this.closed}, have ${JSON.stringify(this.buf.toString("latin1"))})`);
    const out = this.buf.toString("latin1", 0, end);
    this.buf = this.buf.subarray(end);
    return out;
  }

  /** Sends a command and returns its reply. */
  async call(...args: (string | Buffer)[]): Promise<string> {
    this.send(...args);
    return this.reply();
  }

  /** Whether a reply arrives within `ms` (for replies that must not come). */
  async hasReplyWithin(ms: number): Promise<boolean> {
    return this.until(() => replyEnd(this.buf, 0) >= 0, ms);
  }

  /** Everything received and not yet read as a reply. */
  get pendingText(): string {
    return this.buf.toString("latin1");
  }

  /** Resolves true once the server has closed the connection (false after the timeout). */
  waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return this.until(() => this.closed, timeoutMs);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A connection whose reads the server's read loop may run: its first command, through TypeScript, marks it. */
export async function markedConn(port: number): Promise<RawConn> {
  const c = await RawConn.open(port);
  const pong = await c.call("PING");
  if (pong !== "+PONG\r\n") throw new Error(`PING answered ${JSON.stringify(pong)}`);
  return c;
}

/** A field of INFO `section` (as text), or undefined. */
export async function infoField(c: RawConn, section: string, field: string): Promise<string | undefined> {
  const text = await c.call("INFO", section);
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  return line?.slice(field.length + 1);
}
