/**
 * A scenario of several raw connections to one server, recorded as the
 * sequence of replies (pushes included) each connection read, as exact bytes.
 * The same scenario run against Nodis and redis-server must give the same
 * record. Client ids differ between servers, so each reply has the ids of the
 * scenario's connections replaced by their names.
 */
import { expect } from "vitest";
import { startRedis } from "../helpers/nodis.js";
import { RawConn } from "../server/raw-conn.js";

export class Peer {
  constructor(
    readonly name: string,
    readonly raw: RawConn,
    readonly id: number,
    private readonly log: string[],
    private readonly names: Map<number, string>,
  ) {}

  /** The commands sent whose replies are not read yet (GETREDIR's reply is an id). */
  private sent: string[] = [];

  /** Sends a command without reading (its reply is read with read()). */
  send(...args: (string | number | Buffer)[]): void {
    this.sent.push(args.slice(0, 2).map(String).join(" ").toLowerCase());
    this.raw.send(...args.map((a) => (typeof a === "number" ? String(a) : a)));
  }

  /** Reads the next reply or push, records it and returns it (ids replaced where replies hold them). */
  async read(timeoutMs = 3000): Promise<string> {
    let r = await this.raw.reply(timeoutMs);
    const isPush = r.startsWith(">");
    const cmd = isPush ? "" : (this.sent.shift() ?? "");
    for (const [id, name] of this.names) {
      for (const where of ["redirect\r\n", "tracking-redir-broken\r\n"]) r = r.split(`${where}:${id}\r\n`).join(`${where}:<${name}>\r\n`);
      if (cmd === "client getredir" && r === `:${id}\r\n`) r = `:<${name}>\r\n`;
    }
    this.log.push(`${this.name} ${JSON.stringify(r)}`);
    return r;
  }

  /** Sends a command and reads one reply (a push that came first is that reply: read on). */
  async call(...args: (string | number | Buffer)[]): Promise<string> {
    this.send(...args);
    return this.read();
  }

  /** HELLO, unrecorded (its reply holds the server's version). */
  async hello(resp: string): Promise<void> {
    await this.raw.call("HELLO", resp);
  }

  /** Whether something arrives within `ms` (for messages that must not come). */
  async quiet(ms = 100): Promise<boolean> {
    const got = await this.raw.hasReplyWithin(ms);
    if (got) this.log.push(`${this.name} unexpected ${JSON.stringify(this.raw.pendingText)}`);
    return !got;
  }
}

export interface Scene {
  open(name: string): Promise<Peer>;
  log: string[];
}

/** Runs `play` against the server on `port` with fresh connections; returns the record. */
export async function record(port: number, play: (s: Scene) => Promise<void>): Promise<string[]> {
  const log: string[] = [];
  const names = new Map<number, string>();
  const peers: Peer[] = [];
  const scene: Scene = {
    log,
    async open(name) {
      const raw = await RawConn.open(port);
      const id = Number((await raw.call("CLIENT", "ID")).slice(1, -2));
      names.set(id, name);
      const p = new Peer(name, raw, id, log, names);
      peers.push(p);
      return p;
    },
  };
  try {
    await play(scene);
  } finally {
    for (const p of peers) p.raw.close();
  }
  return log;
}

/** Plays `play` on the Nodis at `port` and on a fresh redis-server, expects the same record, and returns Nodis's. */
export async function sameOnBoth(port: number, play: (s: Scene) => Promise<void>): Promise<string[]> {
  const mine = await record(port, play);
  const redis = await startRedis();
  try {
    const theirs = await record(redis.port, play);
    expect(mine).toEqual(theirs);
  } finally {
    await redis.stop();
  }
  return mine;
}
