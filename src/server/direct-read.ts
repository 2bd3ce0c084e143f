/**
 * Connections whose reads skip Node's stream machinery. net.Server makes each
 * socket read into a new 64 KB allocation, wraps it in a Buffer and pushes it
 * through Readable ('data' events, a nextTick per read): at one command per read
 * (-P 1) that is a large part of Nodis's CPU per request. Client sockets have an
 * `onread` option (libuv reads into a buffer we own and calls us back); server
 * sockets do not, so `acceptDirect` replaces a listening server's accept step
 * (net's onconnection, which Node keeps on the handle) by one that makes its
 * sockets with `onread`, then emits 'connection' as Node does.
 *
 * All such sockets read into one shared buffer: a read's bytes are copied out
 * (into Node's buffer pool) before the next read can land, so what the parser
 * keeps (argument views held by MULTI, blocked or postponed commands) never
 * changes under it. The reader of a socket is set with `setReader`; a socket
 * without one drops what it reads (a connection refused at accept).
 */
import net from "node:net";
import { Buffer } from "node:buffer";

const READER = Symbol("nodis.reader");
const SHARED = Buffer.allocUnsafeSlow(64 * 1024);

type DirectSocket = net.Socket & { [READER]?: (chunk: Buffer) => void };

function onRead(this: DirectSocket, n: number, buf: Buffer): void {
  const chunk = Buffer.allocUnsafe(n);
  buf.copy(chunk, 0, 0, n);
  this[READER]?.(chunk);
}

/** Whether `socket` reads directly (made by acceptDirect): its bytes go to setReader's function, never to 'data'. */
export function readsDirect(socket: net.Socket): boolean {
  return READER in socket;
}

/** Where `socket`'s bytes go: `fn` gets each read's bytes as a Buffer of its own. */
export function setReader(socket: net.Socket, fn: (chunk: Buffer) => void): void {
  (socket as DirectSocket)[READER] = fn;
}

interface ServerInternals {
  _handle: { onconnection: (err: number, clientHandle: unknown) => void } | null;
  _connections: number;
  allowHalfOpen?: boolean;
}

/**
 * After `srv` listens: its connections become direct-read sockets (no delay set,
 * as net.createServer({ noDelay: true }) does), emitted as 'connection'.
 */
export function acceptDirect(srv: net.Server): void {
  const s = srv as unknown as ServerInternals;
  if (!s._handle || typeof s._handle.onconnection !== "function") return; // not a Node we know: keep its own accept
  s._handle.onconnection = (err: number, clientHandle: unknown) => {
    if (err) {
      const e = Object.assign(new Error(`accept ${err}`), { errno: err, syscall: "accept" });
      srv.emit("error", e);
      return;
    }
    const socket = new net.Socket({
      handle: clientHandle,
      allowHalfOpen: s.allowHalfOpen ?? false,
      readable: true,
      writable: true,
      noDelay: true,
      onread: { buffer: SHARED, callback: onRead },
    } as net.SocketConstructorOpts) as DirectSocket;
    socket[READER] = undefined;
    (clientHandle as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    // What Node's own accept does, so server.close() waits for these connections as for its own.
    s._connections++;
    (socket as unknown as { server: net.Server; _server: net.Server }).server = srv;
    (socket as unknown as { server: net.Server; _server: net.Server })._server = srv;
    srv.emit("connection", socket);
  };
}
