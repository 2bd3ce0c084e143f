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
 * All such sockets read into one shared buffer: the reader gets a view of it
 * that is valid only during its call, and copies what it keeps (the parser
 * does: argument views held by MULTI, blocked or postponed commands must never
 * change under it; a big argument's bytes go straight into its own Buffer).
 * The reader of a socket is set with `setReader`; a socket without one drops
 * what it reads (a connection refused at accept).
 */
import net from "node:net";
import { Buffer } from "node:buffer";
import { LiteSocket, type ClientSocket, type TcpHandle } from "./lite-socket.js";

const READER = Symbol("nodis.reader");
const TARGET = Symbol("nodis.readTarget");
/** Redis reads 16 KB at a time too (PROTO_IOBUF_LEN); a big argument's rest is read straight into its own Buffer. */
const SHARED = Buffer.allocUnsafeSlow(16 * 1024);

type DirectSocket = net.Socket & { [READER]?: (chunk: Buffer) => void; [TARGET]?: () => Buffer | null };

function onRead(this: DirectSocket, n: number, buf: Buffer): void {
  this[READER]?.(buf.subarray(0, n));
}

/** Whether `socket` reads directly (made by acceptDirect): its bytes go to the addon's reads or setReader's function, never to 'data'. */
export function readsDirect(socket: ClientSocket): boolean {
  return socket instanceof LiteSocket || READER in socket;
}

/**
 * Where `socket`'s bytes go: `fn` gets each read's bytes as a view valid only
 * during the call. `target`, asked after each read, may name where the next
 * read lands instead of the shared buffer (the rest of a big argument).
 */
export function setReader(socket: net.Socket, fn: (chunk: Buffer) => void, target?: () => Buffer | null): void {
  (socket as DirectSocket)[READER] = fn;
  (socket as DirectSocket)[TARGET] = target;
}

interface ServerInternals {
  _handle: { onconnection: (err: number, clientHandle: unknown) => void } | null;
  _connections: number;
  allowHalfOpen?: boolean;
}

/** A direct-read socket on accepted `handle` (no delay set, counted by `srv` as Node's own): reading unless `paused`. */
function directSocket(srv: net.Server, handle: unknown, paused: boolean): net.Socket {
  const s = srv as unknown as ServerInternals;
  // Not yet made when Node first asks for a read buffer (inside the constructor).
  let socket: DirectSocket | undefined = undefined;
  socket = new net.Socket({
    handle,
    allowHalfOpen: s.allowHalfOpen ?? false,
    readable: true,
    writable: true,
    noDelay: true,
    pauseOnCreate: paused,
    // Asked for a buffer before each read (Node calls it after the previous one).
    onread: { buffer: () => socket?.[TARGET]?.() ?? SHARED, callback: onRead },
  } as net.SocketConstructorOpts) as DirectSocket;
  socket[READER] = undefined;
  // What Node's own accept does, so server.close() waits for these connections as for its own.
  (socket as unknown as { server: net.Server; _server: net.Server }).server = srv;
  (socket as unknown as { server: net.Server; _server: net.Server })._server = srv;
  return socket;
}

/**
 * After `srv` listens: its connections are emitted as 'connection' with no
 * delay set, as LiteSockets (no net.Socket until one is needed; their
 * `upgrade(true)` is a direct-read socket), or with `lite` false as
 * direct-read sockets.
 */
export function acceptDirect(srv: net.Server, lite: boolean): void {
  const s = srv as unknown as ServerInternals;
  if (!s._handle || typeof s._handle.onconnection !== "function") return; // not a Node we know: keep its own accept
  s._handle.onconnection = (err: number, clientHandle: unknown) => {
    if (err) {
      const e = Object.assign(new Error(`accept ${err}`), { errno: err, syscall: "accept" });
      srv.emit("error", e);
      return;
    }
    (clientHandle as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    if (lite) {
      srv.emit("connection", new LiteSocket(clientHandle as TcpHandle, s, (reading) => directSocket(srv, clientHandle, !reading)));
      return;
    }
    s._connections++;
    srv.emit("connection", directSocket(srv, clientHandle, false));
  };
}
