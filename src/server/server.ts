import net from "node:net";
import type { CommandSpec } from "../commands/types.js";
import { buildCommandTable } from "../commands/index.js";
import { Config } from "../config/config.js";
import * as engine from "../engine/index.js";
import { ProtocolError } from "../protocol/errors.js";
import { Reply } from "../protocol/reply.js";
import { Client } from "./client.js";
import { execute } from "./dispatch.js";
import { Logger } from "./log.js";
import { Stats } from "./stats.js";

export const REDIS_VERSION = "7.2.4";

/** Hooks other features register to see every executed command (slowlog, MONITOR, ...). */
export type CommandObserver = (client: Client, spec: CommandSpec, argv: Buffer[], usec: number) => void;

/** Reading from a client pauses while this much of its output is unsent. */
const OUTPUT_PAUSE_BYTES = 16 * 1024 * 1024;

export class Server {
  readonly config: Config;
  readonly log = new Logger();
  readonly stats = new Stats();
  readonly commands: Map<string, CommandSpec>;
  readonly clients = new Map<number, Client>();
  readonly startedAt = Date.now();
  readonly observers: CommandObserver[] = [];
  /** The shared reply arena for the batch being processed. */
  private readonly reply = new Reply();
  private nextClientId = 1;
  private net: net.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Set by SHUTDOWN or a signal; `closed` resolves when the server has stopped. */
  private closing: Promise<void> | null = null;
  /** Actual port after listen (port 0 picks a free one). */
  port = 0;
  host = "127.0.0.1";
  /** Called when the server stops itself (SHUTDOWN): the CLI exits the process. */
  onShutdown: (() => void) | null = null;

  constructor(config: Config = new Config()) {
    this.config = config;
    this.commands = buildCommandTable();
    this.log.level = config.get("loglevel") as Logger["level"];
    this.log.file = config.get("logfile");
    config.onChange((name, value) => {
      if (name === "loglevel") this.log.level = value as Logger["level"];
      if (name === "hz") this.startTimer();
    });
    engine.server.init(config.int("databases"));
  }

  async listen(host: string, port: number): Promise<void> {
    const srv = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.net = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen({ host, port, backlog: this.config.int("tcp-backlog") }, () => {
        srv.off("error", reject);
        resolve();
      });
    });
    const addr = srv.address() as net.AddressInfo;
    this.port = addr.port;
    this.host = host;
    this.startTimer();
  }

  private startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    const hz = Math.min(Math.max(this.config.int("hz"), 1), 500);
    this.timer = setInterval(() => this.cron(), Math.floor(1000 / hz));
    this.timer.unref();
  }

  /** Periodic work (Redis's serverCron): active expiry, client timeouts. */
  private cron(): void {
    engine.server.setClock(Date.now());
    if (this.activeExpire) engine.server.activeExpire(20000);
    const timeout = this.config.int("timeout");
    if (timeout > 0) {
      const now = Date.now();
      for (const c of this.clients.values()) {
        if (now - c.lastInteraction > timeout * 1000 && !c.flags.has("nonidle")) this.closeClient(c);
      }
    }
  }

  /** DEBUG SET-ACTIVE-EXPIRE. */
  activeExpire = true;

  private accept(socket: net.Socket): void {
    const maxclients = this.config.int("maxclients");
    this.stats.totalConnections++;
    if (this.clients.size >= maxclients) {
      this.stats.rejectedConnections++;
      socket.end("-ERR max number of clients reached\r\n");
      return;
    }
    const client = new Client(this.nextClientId++, socket, {
      maxBulkLen: () => this.config.int("proto-max-bulk-len"),
      authRequired: this.config.get("requirepass") !== "",
    });
    this.clients.set(client.id, client);
    socket.on("data", (chunk: Buffer) => this.onData(client, chunk));
    socket.on("drain", () => {
      if (socket.isPaused() && !client.closed) socket.resume();
    });
    socket.on("error", () => this.closeClient(client));
    socket.on("close", () => this.closeClient(client));
  }

  private onData(client: Client, chunk: Buffer): void {
    if (client.closed || client.closeAfterReply) return;
    this.stats.netInputBytes += chunk.length;
    client.lastInteraction = Date.now();
    engine.server.setClock(client.lastInteraction);
    const r = this.reply;
    const parser = client.parser;
    parser.feed(chunk);
    try {
      for (;;) {
        const argv = parser.next();
        if (argv === null) break;
        r.resp = client.resp;
        const mark = r.pos;
        execute(this, client, argv, r);
        if (client.replyMode !== "on") {
          r.pos = mark; // CLIENT REPLY OFF/SKIP: drop what was written
          if (client.replyMode === "skip") client.replyMode = "on";
          if (client.flags.has("reply-skip-next")) {
            client.flags.delete("reply-skip-next");
            client.replyMode = "skip";
          }
        }
        if (client.closeAfterReply || client.closed) break;
      }
      if (parser.pending > this.config.int("client-query-buffer-limit")) {
        this.log.warning(`Closing client that reached max query buffer length: id=${client.id} addr=${client.addr}`);
        r.pos = 0;
        this.closeClient(client);
        return;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      r.error(`ERR Protocol error: ${e.message}`);
      this.log.verbose(`Protocol error (${e.message}) from client: id=${client.id} addr=${client.addr}`);
      client.closeAfterReply = true;
    }
    this.flush(client);
  }

  /** Sends what the batch wrote for `client` in one write. */
  private flush(client: Client): void {
    const r = this.reply;
    if (r.pos > 0 && !client.closed) {
      const out = r.take();
      this.stats.netOutputBytes += out.length;
      const more = client.socket.write(out);
      if (!more && client.socket.writableLength > OUTPUT_PAUSE_BYTES) client.socket.pause();
    } else {
      r.pos = 0;
    }
    if (client.closeAfterReply && !client.closed) {
      client.socket.end();
      this.closeClient(client, false);
    }
  }

  /** Writes to a client outside its own batch (pub/sub messages, MONITOR, unblocked replies). */
  writeTo(client: Client, bytes: Buffer): void {
    if (client.closed) return;
    this.stats.netOutputBytes += bytes.length;
    client.socket.write(bytes);
  }

  closeClient(client: Client, destroy = true): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client.id);
    if (destroy) client.socket.destroy();
  }

  afterCommand(client: Client, spec: CommandSpec, argv: Buffer[], usec: number): void {
    for (const o of this.observers) o(client, spec, argv, usec);
  }

  /** Stops listening, disconnects everyone; resolves when done. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const c of [...this.clients.values()]) this.closeClient(c);
      await new Promise<void>((resolve) => (this.net ? this.net.close(() => resolve()) : resolve()));
    })();
    return this.closing;
  }

  /** SHUTDOWN: stop and let the owner (the CLI) exit. */
  shutdown(): void {
    this.log.warning("User requested shutdown...");
    this.log.notice("Redis is now ready to exit, bye bye...");
    void this.close().then(() => this.onShutdown?.());
  }
}
