import type net from "node:net";
import { RequestParser } from "../protocol/parser.js";

/** One connection's state: what CLIENT LIST shows and what dispatch consults. */
export class Client {
  db = 0;
  resp: 2 | 3 = 2;
  name = "";
  libName = "";
  libVer = "";
  user = "default";
  authenticated: boolean;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  /** Last command run, for CLIENT LIST's cmd= field. */
  lastCommand = "NULL";
  /** Reply after this batch, then close (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  /** CLIENT REPLY ON|OFF|SKIP. */
  replyMode: "on" | "off" | "skip" = "on";
  /** CLIENT NO-EVICT / NO-TOUCH. */
  noEvict = false;
  noTouch = false;
  /** Free-form flags that other features attach (MULTI, pubsub, monitor, ...). */
  flags = new Set<string>();
  readonly parser: RequestParser;
  readonly addr: string;
  readonly laddr: string;

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
    opts: { maxBulkLen: () => number; authRequired: boolean },
  ) {
    this.authenticated = !opts.authRequired;
    this.parser = new RequestParser({
      get maxBulkLen() {
        return opts.maxBulkLen();
      },
      authenticated: () => this.authenticated,
    });
    this.addr = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.laddr = `${socket.localAddress ?? "?"}:${socket.localPort ?? 0}`;
  }
}
