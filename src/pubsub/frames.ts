/**
 * The RESP frames pub/sub sends: messages (built once per publish and RESP
 * version, then handed to every subscriber as the same bytes) and the
 * subscribe/unsubscribe confirmations. RESP3 frames are pushes (`>`), RESP2
 * ones arrays (`*`); both are otherwise the same bytes.
 */
import type { Reply } from "../protocol/reply.js";

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

/**
 * One message as subscribers receive it: `message channel payload`,
 * `pmessage pattern channel payload` or `smessage channel payload`. The RESP2
 * frame is built at once, the RESP3 one only when a RESP3 subscriber needs it.
 */
export class MessageFrame {
  readonly resp2: Buffer;
  private push: Buffer | null = null;

  constructor(kind: Buffer, pattern: Buffer | null, channel: Buffer, message: Buffer) {
    const n = pattern ? 4 : 3;
    const heads = [`*${n}\r\n`, `$${channel.length}\r\n`, `$${message.length}\r\n`, pattern ? `$${pattern.length}\r\n` : ""];
    let size = kind.length + channel.length + message.length + 4 + (pattern ? pattern.length + 2 : 0);
    for (const h of heads) size += h.length;
    const out = Buffer.allocUnsafe(size);
    let pos = out.write(heads[0], 0, "latin1");
    pos += kind.copy(out, pos);
    if (pattern) pos = part(out, pos, heads[3], pattern);
    pos = part(out, pos, heads[1], channel);
    part(out, pos, heads[2], message);
    this.resp2 = out;
  }

  /** The bytes for a client speaking `resp`. */
  for(resp: 2 | 3): Buffer {
    if (resp === 2) return this.resp2;
    if (this.push === null) {
      this.push = Buffer.from(this.resp2);
      this.push[0] = 0x3e; // '>'
    }
    return this.push;
  }
}

function part(out: Buffer, pos: number, head: string, body: Buffer): number {
  pos += out.write(head, pos, "latin1");
  pos += body.copy(out, pos);
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
