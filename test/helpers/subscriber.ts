/** A connection that sent one command (PSUBSCRIBE, MONITOR, ...) and keeps every message it receives after it. */
import net from "node:net";
import { ReplyReader, encodeCommand, type Arg } from "../diff/resp.js";

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
  /** Connects, sends `argv` and waits for its first reply. */
  static async open(port: number, ...argv: Arg[]): Promise<Subscriber> {
    const sock = net.connect(port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    const s = new Subscriber(sock);
    sock.write(encodeCommand(argv));
    await s.until((m) => m.length > 0);
    return s;
  }
  /** Polls until `done` holds for the messages so far (20 s at most). */
  async until(done: (m: Buffer[]) => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done(this.messages)) {
      if (Date.now() > deadline) throw new Error(`subscriber: timed out with ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  close(): void {
    this.sock.destroy();
  }
}
