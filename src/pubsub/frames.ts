/**
 * The RESP frames pub/sub sends: messages (built once per publish and RESP
 * version, then handed to every subscriber as the same bytes) and the
 * subscribe/unsubscribe confirmations. RESP3 frames are pushes (`>`), RESP2
 * ones arrays (`*`); both are otherwise the same bytes.
 */
import { Buffer } from "node:buffer";
import type { Reply } from "../protocol/reply.js";
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

/** Where frames are built: the server's output arena (Server.outputSpace) for the short ones. */
export interface FrameSpace {
  outputSpace(n: number): Buffer;
}

/** Frames at least this long get a Buffer of their own (Server.writeTo writes them as they are). */
const ARENA_FRAME_MAX = COPIED_OUTPUT_MAX;

/**
 * One message as subscribers receive it: `message channel payload`,
 * `pmessage pattern channel payload` or `smessage channel payload`. The RESP2
 * frame is built at once (lengths written as digits, no strings), straight
 * into the server's output arena when it is short, so every subscriber's
 * pending output refers to the same bytes; the RESP3 one only when a RESP3
 * subscriber needs it.
 */
export class MessageFrame {
  readonly resp2: Buffer;
  private push: Buffer | null = null;

  constructor(
    private readonly space: FrameSpace,
    kind: Buffer,
    pattern: Buffer | null,
    channel: Buffer,
    message: Buffer,
  ) {
    const size = 4 + kind.length + (pattern ? bulkSize(pattern.length) : 0) + bulkSize(channel.length) + bulkSize(message.length);
    const out = size < ARENA_FRAME_MAX ? space.outputSpace(size) : Buffer.allocUnsafe(size);
    out[0] = 0x2a; // '*'
    out[1] = pattern ? 0x34 : 0x33;
    out[2] = 13;
    out[3] = 10;
    let pos = put(out, 4, kind);
    if (pattern) pos = putBulk(out, pos, pattern);
    pos = putBulk(out, pos, channel);
    putBulk(out, pos, message);
    this.resp2 = out;
  }

  /** The bytes for a client speaking `resp`. */
  for(resp: 2 | 3): Buffer {
    if (resp === 2) return this.resp2;
    if (this.push === null) {
      const n = this.resp2.length;
      const push = n < ARENA_FRAME_MAX ? this.space.outputSpace(n) : Buffer.allocUnsafe(n);
      this.resp2.copy(push);
      push[0] = 0x3e; // '>'
      this.push = push;
    }
    return this.push;
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
