/** A connection in subscribed mode that keeps every message it receives (keyspace notification tests). */
import net from "node:net";
import { ReplyReader, RespConnection, encodeCommand, type Arg } from "../diff/resp.js";

export class Subscriber {
  readonly messages: Buffer[] = [];
  private reader = new ReplyReader();
  private constructor(private sock: net.Socket) {
    sock.on("data", (d) => {
      this.reader.push(d);
      for (let m = this.reader.next(); m; m = this.reader.next()) this.messages.push(m);
    });
    sock.on("error", () => {});
  }
  static async open(port: number, ...argv: Arg[]): Promise<Subscriber> {
    const sock = net.connect(port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    const s = new Subscriber(sock);
    sock.write(encodeCommand(argv));
    await s.until((m) => m.length > 0);
    return s;
  }
  async until(done: (m: Buffer[]) => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done(this.messages)) {
      if (Date.now() > deadline) throw new Error(`subscriber: timed out with ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** The pmessages after the subscription's confirmation, as [channel, payload]. */
  events(): [string, string][] {
    return this.messages.slice(1).map((m) => {
      const parts = m.toString("latin1").split("\r\n");
      return [parts[6], parts[8]];
    });
  }
  /** Stops reading its socket (what the server sends backs up), or reads again. */
  reading(on: boolean): void {
    if (on) this.sock.resume();
    else this.sock.pause();
  }
  close(): void {
    this.sock.destroy();
  }
}

/**
 * What a client subscribed to `patterns` (PSUBSCRIBE, one each) on `port`
 * receives while `traffic` runs, up to the reply to a PING sent after it:
 * each message as its RESP text.
 */
export async function messagesDuring(port: number, patterns: string[], traffic: () => Promise<unknown>): Promise<string[]> {
  const sub = await RespConnection.connect(port);
  try {
    for (const p of patterns) await sub.call("PSUBSCRIBE", p);
    await traffic();
    const got: string[] = [];
    for (;;) {
      const [m] = (await sub.send([["PING"]])).map(String);
      if (m.includes("pong")) break;
      got.push(m);
    }
    return got;
  } finally {
    sub.close();
  }
}
