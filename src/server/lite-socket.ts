/**
 * An accepted TCP connection without a net.Socket, for clients the addon reads
 * (native-reads.ts) and writes (socket-write.ts) itself. A net.Socket costs
 * more to make and to collect than everything else a connection does in
 * JavaScript (a Duplex with its two states, reading started and stopped at
 * once): with one connection per request (redis-benchmark -k 0) Nodis spent
 * several times Redis's CPU per connection on it. A LiteSocket keeps Node's
 * accepted handle and makes the net.Socket only when one is needed
 * (`upgrade`): output the kernel does not take at once, a send error, or a
 * connection Node must read (refused at accept, or one the addon cannot
 * read). From then on it hands everything to that socket and repeats its events.
 */
import { EventEmitter } from "node:events";
import type net from "node:net";
import { sendNow } from "./socket-write.js";

/** What the server does with a client's socket: a net.Socket, or a LiteSocket standing in for one. */
export interface ClientSocket extends EventEmitter {
  readonly writableLength: number;
  readonly writable: boolean;
  readonly bytesWritten: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  write(data: Buffer | string): boolean;
  end(cb?: () => void): unknown;
  end(data: Buffer | string, cb?: () => void): unknown;
  destroy(): unknown;
  isPaused(): boolean;
  pause(): unknown;
  resume(): unknown;
  setKeepAlive(on: boolean, delayMs: number): unknown;
}

/** The parts of Node's accepted TCP handle (tcp_wrap's TCP) a LiteSocket uses. */
export interface TcpHandle {
  fd: number;
  readStop(): number;
  readStart(): number;
  getpeername(out: SockAddr): number;
  getsockname(out: SockAddr): number;
  setKeepAlive(on: boolean, delaySecs: number): number;
  close(cb: () => void): void;
}

interface SockAddr {
  address?: string;
  port?: number;
}

/** The listening server's counts, kept as for its own sockets so server.close() waits for these too. */
interface ServerCount {
  _connections: number;
  _emitCloseIfDrained?: () => void;
}

/** What `get` fills in, or null when it fails. */
function sockAddr(get: (out: SockAddr) => number): SockAddr | null {
  const out: SockAddr = {};
  return get(out) === 0 ? out : null;
}

/** The net.Socket's events the server listens to. */
const FORWARDED = ["drain", "error", "close", "finish"] as const;

export class LiteSocket extends EventEmitter implements ClientSocket {
  /** The net.Socket everything goes to once made (`upgrade`). */
  private inner: net.Socket | null = null;
  /** Bytes sent before there was a net.Socket. */
  private sent = 0;
  private ended = false;
  private closed = false;
  private peer: SockAddr | null = null;
  private local: SockAddr | null = null;

  /**
   * `make(reading)` makes the net.Socket on `_handle` (counted by `server` as
   * its own): reading as Node's own, or not reading (the addon reads it).
   */
  constructor(
    readonly _handle: TcpHandle,
    private readonly server: ServerCount,
    private readonly make: (reading: boolean) => net.Socket,
  ) {
    super();
    server._connections++;
  }

  /**
   * The net.Socket on this connection, made now if not yet: `reading` when Node
   * is to read it (only asked before the addon takes the socket).
   */
  upgrade(reading: boolean): net.Socket {
    if (this.inner) return this.inner;
    const s = this.make(reading);
    this.inner = s;
    for (const ev of FORWARDED) s.on(ev, (...args: unknown[]) => this.emit(ev, ...args));
    return s;
  }

  get writableLength(): number {
    return this.inner ? this.inner.writableLength : 0;
  }

  get writable(): boolean {
    return this.inner ? this.inner.writable : !this.ended && !this.closed;
  }

  get bytesWritten(): number {
    return this.sent + (this.inner ? this.inner.bytesWritten : 0);
  }

  get remoteAddress(): string | undefined {
    return this.peerAddr()?.address;
  }

  get remotePort(): number | undefined {
    return this.peerAddr()?.port;
  }

  get localAddress(): string | undefined {
    return this.localAddr()?.address;
  }

  get localPort(): number | undefined {
    return this.localAddr()?.port;
  }

  /** The peer's address, asked of the handle once (none once closed). */
  private peerAddr(): SockAddr | null {
    if (!this.peer && !this.closed) this.peer = sockAddr((out) => this._handle.getpeername(out));
    return this.peer;
  }

  private localAddr(): SockAddr | null {
    if (!this.local && !this.closed) this.local = sockAddr((out) => this._handle.getsockname(out));
    return this.local;
  }

  /** Sends `data` at once; what the kernel does not take (or an error) goes to the net.Socket, which queues it and reports as usual. */
  write(data: Buffer | string): boolean {
    if (this.inner) return this.inner.write(data);
    if (this.closed || this.ended) return false;
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    if (buf.length === 0) return true;
    const rest = sendNow(this._handle.fd, buf);
    this.sent += buf.length - (rest?.length ?? 0);
    return rest === null || this.upgrade(false).write(rest);
  }

  /** Sends `data` if any, then 'finish' (the caller destroys the socket then, as the server does). */
  end(cb?: () => void): this;
  end(data: Buffer | string, cb?: () => void): this;
  end(a?: Buffer | string | (() => void), b?: () => void): this {
    const cb = typeof a === "function" ? a : b;
    if (a !== undefined && typeof a !== "function") this.write(a);
    if (this.inner) {
      this.inner.end(cb);
      return this;
    }
    if (this.ended || this.closed) return this;
    this.ended = true;
    process.nextTick(() => {
      this.emit("finish");
      cb?.();
    });
    return this;
  }

  /** Closes the connection; 'close' follows once Node closed the handle. */
  destroy(): this {
    if (this.inner) {
      this.inner.destroy();
      return this;
    }
    if (this.closed) return this;
    this.closed = true;
    this._handle.close(() => {
      this.server._connections--;
      this.server._emitCloseIfDrained?.();
      this.emit("close", false);
    });
    return this;
  }

  isPaused(): boolean {
    return this.inner ? this.inner.isPaused() : false;
  }

  pause(): this {
    this.inner?.pause();
    return this;
  }

  resume(): this {
    this.inner?.resume();
    return this;
  }

  setKeepAlive(on: boolean, delayMs: number): this {
    if (this.inner) this.inner.setKeepAlive(on, delayMs);
    else this._handle.setKeepAlive(on, Math.floor(delayMs / 1000));
    return this;
  }
}
