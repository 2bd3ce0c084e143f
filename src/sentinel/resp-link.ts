/**
 * A minimal asynchronous Redis client connection (what hiredis's async context
 * is to Redis's Sentinel): commands go out at once, replies come back in order
 * to their callbacks; in subscribed mode every message goes to `onPush`.
 * Speaks RESP2 (and reads RESP3 replies, for servers with client-default-resp 3),
 * so it works with any Redis-protocol server (Nodis, redis-server, a sentinel).
 */
import net from "node:net";

/** A parsed reply: status/bulk text, an integer, an array, nil, or an error. */
export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

type Callback = (reply: RespValue) => void;

export class RespLink {
  private readonly socket: net.Socket;
  private readonly waiting: (Callback | null)[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  closed = false;
  /** Where a callback's exception goes (the sentinel logs it). */
  static reportError: (e: unknown) => void = () => {};
  /** Messages (pub/sub) once the link is subscribed: every reply after the SUBSCRIBE one. */
  onPush: ((reply: RespValue) => void) | null = null;
  onClose: (() => void) | null = null;

  /** `localAddress`: the address the link goes out from (bind-source-addr). */
  constructor(host: string, port: number, onConnect: () => void, localAddress?: string) {
    this.socket = net.connect({ host, port, ...(localAddress !== undefined ? { localAddress } : {}) });
    this.socket.setNoDelay(true);
    this.socket.on("connect", onConnect);
    this.socket.on("data", (d) => this.read(d));
    this.socket.on("error", () => this.close());
    this.socket.on("close", () => this.close());
  }

  /** The local address of the connection (what a hello announces without announce-ip). */
  localAddress(): string | undefined {
    return this.socket.localAddress?.replace(/^::ffff:/, "");
  }

  send(args: (string | number)[], cb: Callback | null = null): void {
    if (this.closed) return;
    let out = `*${args.length}\r\n`;
    for (const a of args) {
      const s = Buffer.from(String(a), "latin1");
      out += `$${s.length}\r\n${s.toString("latin1")}\r\n`;
    }
    this.waiting.push(cb);
    this.socket.write(Buffer.from(out, "latin1"));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.waiting.length = 0;
    this.onClose?.();
  }

  private read(d: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), d]) : d;
    this.pos = 0;
    for (;;) {
      if (this.closed) return;
      const start = this.pos;
      const v = this.parse();
      if (v === undefined) {
        this.pos = start;
        return;
      }
      // A failing callback must not take the process down (socket handlers have no one above them).
      try {
        if (this.waiting.length > 0) this.waiting.shift()?.(v);
        else this.onPush?.(v);
      } catch (e) {
        RespLink.reportError(e);
      }
    }
  }

  /** One reply from buf at pos, or undefined when it is not all there yet. */
  private parse(): RespValue | undefined {
    const end = this.buf.indexOf("\r\n", this.pos, "latin1");
    if (end < 0) return undefined;
    const type = this.buf[this.pos];
    const line = this.buf.toString("latin1", this.pos + 1, end);
    this.pos = end + 2;
    switch (type) {
      case 43: // +
        return line;
      case 45: // -
        return new RespError(line);
      case 58: // :
        return Number(line);
      case 36: {
        // $
        const n = Number(line);
        if (n < 0) return null;
        if (this.buf.length < this.pos + n + 2) return undefined;
        const s = this.buf.toString("latin1", this.pos, this.pos + n);
        this.pos += n + 2;
        return s;
      }
      case 42: // *
      case 126: // ~ set
      case 62: // > push
      case 37: {
        // % map: its pairs flattened, as RESP2 gives them
        const n = Number(line) * (type === 37 ? 2 : 1);
        if (n < 0) return null;
        const out: RespValue[] = [];
        for (let i = 0; i < n; i++) {
          const v = this.parse();
          if (v === undefined) return undefined;
          out.push(v);
        }
        return out;
      }
      // RESP3, from a server whose client-default-resp is 3.
      case 95: // _
        return null;
      case 35: // #
        return line === "t" ? 1 : 0;
      case 44: // ,
      case 40: // (
        return line;
      case 61: // = verbatim: "txt:" then the text
      case 33: {
        // ! blob error
        const n = Number(line);
        if (this.buf.length < this.pos + n + 2) return undefined;
        const text = this.buf.toString("latin1", this.pos, this.pos + n);
        this.pos += n + 2;
        return type === 61 ? text.slice(4) : new RespError(text);
      }
      case 124: {
        // | attribute: skipped, the reply follows it
        for (let i = 0; i < Number(line) * 2; i++) if (this.parse() === undefined) return undefined;
        return this.parse();
      }
      default:
        this.close();
        return undefined;
    }
  }
}
