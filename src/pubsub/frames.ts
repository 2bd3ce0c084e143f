/**
 * The RESP frames pub/sub sends: messages (built once per publish and RESP
 * version, then handed to every subscriber as the same bytes) and the
 * subscribe/unsubscribe confirmations. RESP3 frames are pushes (`>`), RESP2
 * ones arrays (`*`); both are otherwise the same bytes.
 */
import { Buffer } from "node:buffer";
import type { Reply } from "../protocol/reply.js";
import type { Client } from "../server/client.js";
import { COPIED_OUTPUT_MAX } from "../server/output.js";

/** Bulk strings of the frames' first elements, as Redis's shared objects. */
export const KIND = {
  message: bulk("message"),
  pmessage: bulk("pmessage"),
  smessage: bulk("smessage"),
  subscribe: bulk("subscribe"),
  unsubscribe: bulk("unsubscribe"),
  psubscribe: bulk("psubscribe"),
  punsubscribe: bulk("punsubscribe"),
  ssubscribe: bulk("ssubscribe"),
  sunsubscribe: bulk("sunsubscribe"),
} as const;

function bulk(s: string): Buffer {
  return Buffer.from(`$${s.length}\r\n${s}\r\n`, "latin1");
}

/** What frames are built in and sent through: the server (Server.outputSpace / writeTo). */
export interface FrameOutput {
  outputSpace(n: number): number;
  outputArena(): Buffer;
  writeTo(client: Client, bytes: Buffer, start: number, end: number): void;
}

/**
 * The first part of the frames of messages for one subscribed name: `*3`,
 * `message` (or `smessage`) and the channel for a channel; `*4`, `pmessage`
 * and the pattern for a pattern. Made once per name (Registry).
 */
export function frameHead(kind: Buffer, name: Buffer): Buffer {
  const pattern = kind === KIND.pmessage;
  const out = Buffer.allocUnsafe(4 + kind.length + bulkSize(name.length));
  out[0] = 0x2a; // '*'
  out[1] = pattern ? 0x34 : 0x33;
  out[2] = 13;
  out[3] = 10;
  putBulk(out, put(out, 4, kind), name);
  return out;
}

/**
 * One message as its receivers get it: a name's frame head, then (for a
 * pattern) the channel, then the payload. The RESP2 frame is built once,
 * straight into the server's output arena when it is short (a Buffer of its
 * own when not), so every receiver's pending output refers to the same bytes;
 * the RESP3 push (`>` for `*`) is made from it when a RESP3 receiver needs it.
 */
export class MessageFrame {
  private readonly buf: Buffer;
  private readonly start: number;
  private readonly end: number;
  private push: Buffer | null = null;
  private pushStart = 0;

  constructor(
    private readonly out: FrameOutput,
    head: Buffer,
    channel: Buffer | null,
    message: Buffer,
  ) {
    const size = head.length + (channel ? bulkSize(channel.length) : 0) + bulkSize(message.length);
    let buf: Buffer;
    let pos = 0;
    if (size < COPIED_OUTPUT_MAX) {
      pos = out.outputSpace(size);
      buf = out.outputArena();
    } else buf = Buffer.allocUnsafe(size);
    this.buf = buf;
    this.start = pos;
    this.end = pos + size;
    buf.set(head, pos);
    pos += head.length;
    if (channel) pos = putBulk(buf, pos, channel);
    putBulk(buf, pos, message);
  }

  /** Sends the message to `client`, in its protocol. */
  deliver(client: Client): void {
    if (client.resp === 2) this.out.writeTo(client, this.buf, this.start, this.end);
    else {
      if (this.push === null) this.makePush();
      this.out.writeTo(client, this.push!, this.pushStart, this.pushStart + this.end - this.start);
    }
  }

  private makePush(): void {
    const size = this.end - this.start;
    let push: Buffer;
    if (size < COPIED_OUTPUT_MAX) {
      this.pushStart = this.out.outputSpace(size);
      push = this.out.outputArena();
    } else push = Buffer.allocUnsafe(size);
    this.buf.copy(push, this.pushStart, this.start, this.end);
    push[this.pushStart] = 0x3e; // '>'
    this.push = push;
  }
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** `$<len>\r\n<bytes>\r\n`. */
function bulkSize(len: number): number {
  return 1 + digits(len) + 2 + len + 2;
}

/** Copies `src` at `pos` (a loop for short ones: cheaper than a native copy call). */
function put(out: Buffer, pos: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 32) out.set(src, pos);
  else for (let i = 0; i < n; i++) out[pos + i] = src[i];
  return pos + n;
}

function putBulk(out: Buffer, pos: number, body: Buffer): number {
  out[pos++] = 0x24; // '$'
  let len = body.length;
  const end = pos + digits(len);
  for (let i = end - 1; i >= pos; i--) {
    out[i] = 0x30 + (len % 10);
    len = Math.floor(len / 10);
  }
  pos = end;
  out[pos++] = 13;
  out[pos++] = 10;
  pos = put(out, pos, body);
  out[pos++] = 13;
  out[pos++] = 10;
  return pos;
}

/** A (un)subscribe confirmation: `kind name count`, with a null name when an unsubscribe-all found nothing. */
export function writeConfirmation(r: Reply, kind: Buffer, name: Buffer | null, count: number): void {
  r.push(3);
  r.raw(kind);
  if (name) r.bulk(name);
  else r.nil();
  r.int(count);
}
