/**
 * Pending output (src/server/output.ts): what clients get outside their own
 * batch is built in a shared arena, referred to by ranges, copied when it
 * comes from elsewhere and written as it is when long. These tests check that
 * every byte arrives, in order, whichever of those ways it took: short and
 * long messages mixed, RESP2 and RESP3 receivers, a turn with more output than
 * one arena, and a receiver that reads late (its socket backed up while the
 * others' are not).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { encodeCommand } from "../diff/resp.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

/** A connection that keeps every byte it receives. */
class Collector {
  private chunks: Buffer[] = [];
  received = 0;
  private waiting: { bytes: number; resolve: () => void } | null = null;

  private constructor(readonly sock: net.Socket) {
    sock.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.received += d.length;
      if (this.waiting && this.received >= this.waiting.bytes) this.waiting.resolve();
    });
    sock.on("error", () => {});
  }

  static async open(port: number): Promise<Collector> {
    const sock = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    return new Collector(sock);
  }

  /** Sends `commands` and waits for `bytes` bytes in all (polls nothing: resolves on data). */
  async until(bytes: number, timeoutMs = 20_000): Promise<Buffer> {
    if (this.received < bytes) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`got ${this.received} of ${bytes} bytes`)), timeoutMs);
        this.waiting = {
          bytes,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
      });
      this.waiting = null;
    }
    return this.take();
  }

  take(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.received = 0;
    return all;
  }
}

const opened: Collector[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.sock.destroy();
});

async function connect(protocol: 2 | 3, subscribe: string[][]): Promise<Collector> {
  const c = await Collector.open(srv.port);
  opened.push(c);
  if (protocol === 3) {
    c.sock.write(encodeCommand(["HELLO", "3"]));
    const hello = await c.until(1);
    // The HELLO map ends with the modules array: read until it.
    let got = hello;
    while (!got.toString("latin1").endsWith("$7\r\nmodules\r\n*0\r\n")) got = Buffer.concat([got, await c.until(1)]);
  }
  for (const cmd of subscribe) {
    c.sock.write(encodeCommand(cmd));
    const name = cmd[1];
    const kind = cmd[0].toLowerCase();
    const want = `${protocol === 3 ? ">" : "*"}3\r\n$${kind.length}\r\n${kind}\r\n$${name.length}\r\n${name}\r\n:`;
    const got = await c.until(want.length + 3);
    expect(got.toString("latin1").startsWith(want)).toBe(true);
  }
  return c;
}

/** What a subscriber to `channel` (and to `pattern`, when given) receives for `message`. */
function frames(protocol: 2 | 3, channel: string, message: Buffer, pattern: string | null): Buffer {
  const t = protocol === 3 ? ">" : "*";
  const parts = [Buffer.from(`${t}3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${message.length}\r\n`), message, Buffer.from("\r\n")];
  if (pattern !== null) {
    parts.push(
      Buffer.from(`${t}4\r\n$8\r\npmessage\r\n$${pattern.length}\r\n${pattern}\r\n$${channel.length}\r\n${channel}\r\n$${message.length}\r\n`),
      message,
      Buffer.from("\r\n"),
    );
  }
  return Buffer.concat(parts);
}

/** A payload of `size` bytes that names its sequence number, so a misplaced byte shows. */
function payload(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size, 97 + (seq % 26));
  b.write(String(seq), 0, "latin1");
  return b;
}

function expectSameBytes(got: Buffer, want: Buffer): void {
  if (got.equals(want)) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const show = (b: Buffer) => JSON.stringify(b.toString("latin1", Math.max(0, i - 40), i + 40));
  throw new Error(`bytes differ at ${i} of ${want.length} (got ${got.length}): got ${show(got)}, want ${show(want)}`);
}

describe("pending output", () => {
  it("keeps short, long and borderline messages in order, for RESP2 and RESP3 receivers", async () => {
    const subscribe = [
      ["SUBSCRIBE", "mix"],
      ["PSUBSCRIBE", "m?x"],
    ];
    const subs = [await connect(2, subscribe), await connect(3, subscribe)];
    const pub = await Collector.open(srv.port);
    opened.push(pub);
    // One write: all of it runs in one batch, so one turn holds short ones (arena), long ones (written as they are) and their order.
    const sizes = [5, 70000, 17, 65536, 65535, 65400, 3, 200, 0, 131072];
    const messages = sizes.map((n, i) => payload(i, n));
    pub.sock.write(Buffer.concat(messages.map((m) => encodeCommand(["PUBLISH", "mix", m]))));
    expect((await pub.until(4 * sizes.length)).toString()).toBe(":4\r\n".repeat(sizes.length));
    for (const [i, s] of subs.entries()) {
      const want = Buffer.concat(messages.map((m) => frames(i === 0 ? 2 : 3, "mix", m, "m?x")));
      expectSameBytes(await s.until(want.length), want);
    }
  });

  it("delivers a turn with more output than one arena, in order", async () => {
    const subs = [await connect(2, [["SUBSCRIBE", "big"]]), await connect(3, [["SUBSCRIBE", "big"]])];
    const pub = await Collector.open(srv.port);
    opened.push(pub);
    const messages = Array.from({ length: 3000 }, (_, i) => payload(i, 100 + (i % 7)));
    pub.sock.write(Buffer.concat(messages.map((m) => encodeCommand(["PUBLISH", "big", m]))));
    expect((await pub.until(4 * messages.length)).toString()).toBe(":2\r\n".repeat(messages.length));
    for (const [i, s] of subs.entries()) {
      const want = Buffer.concat(messages.map((m) => frames(i === 0 ? 2 : 3, "big", m, null)));
      expectSameBytes(await s.until(want.length), want);
    }
  });

  it("gives a receiver that reads late every byte, while the others are served", async () => {
    const late = await connect(2, [["SUBSCRIBE", "late"]]);
    const fast = await connect(2, [["SUBSCRIBE", "late"]]);
    late.sock.pause();
    const pub = await Collector.open(srv.port);
    opened.push(pub);
    // About 8 MB each: more than the kernel buffers take, less than the pubsub class's 32 MB limit.
    const messages = Array.from({ length: 40000 }, (_, i) => payload(i, 150 + (i % 100)));
    const want = Buffer.concat(messages.map((m) => frames(2, "late", m, null)));
    for (let i = 0; i < messages.length; i += 500) {
      pub.sock.write(Buffer.concat(messages.slice(i, i + 500).map((m) => encodeCommand(["PUBLISH", "late", m]))));
      expect((await pub.until(4 * 500)).toString()).toBe(":2\r\n".repeat(500));
    }
    expectSameBytes(await fast.until(want.length), want);
    const client = [...srv.server.clients.values()].find((c) => c.flags.has("pubsub") && c.socket.writableLength > 0);
    expect(client).toBeDefined(); // the late one's output waits in the server
    late.sock.resume();
    expectSameBytes(await late.until(want.length), want);
  });
});
