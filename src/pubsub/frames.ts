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
  putBulk(out, put(out, 4, kind), name, 0, name.length);
  return out;
}

/**
 * Sends one message to `clients` and returns how many: a name's frame head,
 * then (for a pattern) the channel, then the payload. The RESP2 frame is built
 * once, straight into the server's output arena when it is short (a Buffer of
 * its own when not), so every receiver's pending output refers to the same
 * bytes; the RESP3 push (`>` for `*`) is made from it when a RESP3 receiver
 * needs it.
 */
export function sendMessage(out: FrameOutput, head: Buffer, channel: Buffer | null, message: Buffer, clients: Set<Client>): number {
  return sendMessageOf(out, head, channel, message, 0, message.length, clients);
}

/** sendMessage() of the message at src[start, end) (the batch path's input: no Buffer made for it). */
export function sendMessageOf(out: FrameOutput, head: Buffer, channel: Buffer | null, src: Buffer, start: number, end: number, clients: Set<Client>): number {
  const mlen = end - start;
  const size = head.length + (channel ? bulkSize(channel.length) : 0) + bulkSize(mlen);
  let buf: Buffer;
  let at = 0;
  if (size < COPIED_OUTPUT_MAX) {
    at = out.outputSpace(size);
    buf = out.outputArena();
  } else buf = Buffer.allocUnsafe(size);
  buf.set(head, at);
  let pos = at + head.length;
  if (channel) pos = putBulk(buf, pos, channel, 0, channel.length);
  putBulk(buf, pos, src, start, end);
  let push: Buffer | null = null;
  let pushStart = 0;
  let n = 0;
  for (const c of clients) {
    if (c.resp === 2) out.writeTo(c, buf, at, at + size);
    else {
      if (push === null) {
        if (size < COPIED_OUTPUT_MAX) {
          pushStart = out.outputSpace(size);
          push = out.outputArena();
        } else push = Buffer.allocUnsafe(size);
        buf.copy(push, pushStart, at, at + size);
        push[pushStart] = 0x3e; // '>'
      }
      out.writeTo(c, push, pushStart, pushStart + size);
    }
    n++;
  }
  return n;
}

function digits(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  let d = 4;
  for (n = Math.floor(n / 10000); n > 0; n = Math.floor(n / 10)) d++;
  return d;
}

/** `$<len>\r\n<bytes>\r\n`. */
function bulkSize(len: number): number {
  return 1 + digits(len) + 2 + len + 2;
}

/** Copies src[start, end) at `pos` (a loop for short ones: cheaper than a native copy call). */
function put(out: Buffer, pos: number, src: Buffer, start = 0, end = src.length): number {
  const n = end - start;
  if (n > 32) src.copy(out, pos, start, end);
  else for (let i = 0; i < n; i++) out[pos + i] = src[start + i];
  return pos + n;
}

/** `$<len>\r\n`, body[start, end), `\r\n` at `pos`. */
function putBulk(out: Buffer, pos: number, body: Buffer, start: number, end: number): number {
  out[pos++] = 0x24; // '$'
  let len = end - start;
  const digitsEnd = pos + digits(len);
  for (let i = digitsEnd - 1; i >= pos; i--) {
    out[i] = 0x30 + (len % 10);
    len = Math.floor(len / 10);
  }
  pos = digitsEnd;
  out[pos++] = 13;
  out[pos++] = 10;
  pos = put(out, pos, body, start, end);
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
