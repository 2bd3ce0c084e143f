/**
 * The TCP listening sockets for `bind` and `port`, as Redis's listeners: one
 * socket per bind address, "*" for every IPv4 interface, "::*" for every IPv6
 * one, a leading "-" for an address that may be missing. Binding is
 * synchronous, so CONFIG SET port/bind can answer at once and keep the old
 * sockets when the new ones fail.
 */
import fs from "node:fs";
import net from "node:net";
import { acceptDirect } from "./direct-read.js";
import type { ClientSocket } from "./lite-socket.js";

/**
 * net.Server's own synchronous bind+listen step. listen() with a host resolves
 * it with dns.lookup first (asynchronous even for IP literals); _listen2 is the
 * step after that, kept under this name by Node for code that wraps it.
 */
type SyncListen = (address: string, port: number, addressType: 4 | 6, backlog: number, fd: undefined, flags: number) => void;
const UV_TCP_IPV6ONLY = 1;

interface Bound {
  addr: string;
  srv: net.Server;
}

/** What a bind address means for listen(): host, IPv6-only, optional. */
function resolveAddr(addr: string): { host: string; v6only: boolean; optional: boolean } {
  const optional = addr.startsWith("-");
  const a = optional ? addr.slice(1) : addr;
  if (a === "*") return { host: "0.0.0.0", v6only: false, optional };
  if (a === "::*") return { host: "::", v6only: true, optional };
  if (a.toLowerCase() === "localhost") return { host: "127.0.0.1", v6only: false, optional };
  return { host: a, v6only: isIPv6(a), optional };
}

/** net.isIPv6, skipping its large regex (compiled on first use, ~5 ms of start-up) for what has no colon. */
const isIPv6 = (a: string): boolean => a.includes(":") && net.isIPv6(a);

export class Listeners {
  private bound: Bound[] = [];
  private addrs: string[] = [];
  /** The port the listeners use (the real one when 0 was asked). */
  port = 0;

  constructor(
    private readonly accept: (socket: ClientSocket) => void,
    private readonly backlog: () => number,
    private readonly warn: (msg: string) => void = () => {},
    /** TCP connections come as LiteSockets (for a server whose addon reads and writes them). */
    private readonly lite = false,
  ) {}

  /** The first address listened on, as clients would reach it. */
  get host(): string {
    return this.bound.length ? resolveAddr(this.bound[0].addr).host : "127.0.0.1";
  }

  /**
   * Listens on `addrs` at `port` (0 with no listeners yet: a free port). On a new
   * port the current sockets stay until every required address binds; on the same
   * port they are closed first. Returns the reason on failure, null on success.
   */
  bind(addrs: string[], port: number): string | null {
    if (port === this.port && this.bound.length && addrs.join(" ") === this.addrs.join(" ")) return null;
    if (port === 0 && this.bound.length) {
      // Redis: port 0 means no TCP listener.
      this.closeAll(this.bound);
      this.bound = [];
      this.addrs = addrs;
      this.port = 0;
      return null;
    }
    // On the same port the old sockets would hold the addresses: close them first
    // (as Redis does; a failure is rolled back by binding the old addresses again).
    if (port === this.port && this.bound.length) {
      this.closeAll(this.bound);
      this.bound = [];
    }
    const fresh: Bound[] = [];
    let actual = port;
    for (const addr of addrs) {
      const { host, v6only, optional } = resolveAddr(addr);
      if (!net.isIP(host)) {
        this.closeAll(fresh);
        this.warn(`Warning: Could not create server TCP listening socket ${addr}:${port}: only IP addresses can be bound by Nodis`);
        return `Failed listening on port ${port} (tcp)`;
      }
      const srv = net.createServer({ noDelay: true }, (s) => this.accept(s));
      // A failed listen() leaves the server unbound at once and reports why on the next tick.
      srv.on("error", (e: NodeJS.ErrnoException) => {
        if (!optional && e.syscall === "listen") {
          this.warn(`Warning: Could not create server TCP listening socket ${addr}:${port}: bind: ${errnoText(e)}`);
        }
      });
      const listen = (srv as unknown as { _listen2: SyncListen })._listen2;
      listen.call(srv, host, actual, isIPv6(host) ? 6 : 4, this.backlog(), undefined, v6only ? UV_TCP_IPV6ONLY : 0);
      if (!srv.listening) {
        srv.close();
        if (optional) continue;
        this.closeAll(fresh);
        return `Failed listening on port ${port} (tcp)`;
      }
      acceptDirect(srv, this.lite);
      if (actual === 0) actual = (srv.address() as net.AddressInfo).port;
      fresh.push({ addr, srv });
    }
    this.closeAll(this.bound);
    this.bound = fresh;
    this.addrs = addrs;
    this.port = actual;
    return null;
  }

  private unix: { path: string; srv: net.Server } | null = null;

  /**
   * Listens on a unix socket (unixsocket / unixsocketperm): an old socket file
   * is removed first, the permissions applied when not 0. An error text or null.
   */
  bindUnix(file: string, perm: number): string | null {
    fs.rmSync(file, { force: true });
    const srv = net.createServer((s) => this.accept(s));
    let why = "";
    srv.on("error", (e: NodeJS.ErrnoException) => {
      why = errnoText(e);
      this.warn(`Failed opening Unix socket: ${why}`);
    });
    srv.listen({ path: file, backlog: this.backlog() });
    if (!srv.listening) {
      srv.close();
      return `Failed opening Unix socket: ${file}`;
    }
    if (perm) fs.chmodSync(file, perm);
    this.unix = { path: file, srv };
    return null;
  }

  private closeAll(list: Bound[]): void {
    for (const b of list) b.srv.close();
  }

  /** Stops listening; resolves when every socket is closed. */
  close(): Promise<void> {
    const list = this.bound;
    this.bound = [];
    if (this.unix) {
      list.push({ addr: this.unix.path, srv: this.unix.srv }); // closing removes the socket file
      this.unix = null;
    }
    return Promise.all(list.map((b) => new Promise<void>((resolve) => b.srv.close(() => resolve())))).then(() => {});
  }
}

function errnoText(e: NodeJS.ErrnoException): string {
  const texts: Record<string, string> = {
    EADDRINUSE: "Address already in use",
    EADDRNOTAVAIL: "Cannot assign requested address",
    EACCES: "Permission denied",
    EAFNOSUPPORT: "Address family not supported by protocol",
  };
  return texts[e.code ?? ""] ?? e.message;
}
