/**
 * Command names as clients spell them ("SET", "set", "Set") to their table
 * entries, without building a string per command. A name's first 8 bytes,
 * ASCII letters folded to lowercase, are packed into two 32-bit words; with
 * the length they are the key of an open-addressing table, so a name of up to
 * 8 bytes is matched by comparing three integers (longer ones are compared
 * byte by byte after that). A Map keyed by the packed bytes allocated a heap
 * number for every name longer than 3 bytes and cost more than the rest of
 * dispatch; hashing bytes and comparing them in a loop cost twice this.
 */
import type { CommandSpec } from "../commands/types.js";

export class CommandNames {
  private readonly mask: number;
  /** Per slot: the name's length (-1: free), its first 8 bytes packed, the name, the entry. */
  private readonly lens: Int32Array;
  private readonly w0: Int32Array;
  private readonly w1: Int32Array;
  private readonly names: (Uint8Array | null)[];
  private readonly specs: (CommandSpec | null)[];

  constructor(private readonly commands: Map<string, CommandSpec>) {
    let size = 64;
    while (size < commands.size * 4) size *= 2;
    this.mask = size - 1;
    this.lens = new Int32Array(size).fill(-1);
    this.w0 = new Int32Array(size);
    this.w1 = new Int32Array(size);
    this.names = new Array<Uint8Array | null>(size).fill(null);
    this.specs = new Array<CommandSpec | null>(size).fill(null);
    for (const [name, spec] of commands) {
      const bytes = new Uint8Array(Buffer.from(name, "latin1"));
      const a = word(bytes, 0);
      const b = word(bytes, 4);
      let slot = mix(bytes.length, a, b) & this.mask;
      while (this.lens[slot] !== -1) slot = (slot + 1) & this.mask;
      this.lens[slot] = bytes.length;
      this.w0[slot] = a;
      this.w1[slot] = b;
      this.names[slot] = bytes;
      this.specs[slot] = spec;
    }
  }

  /** The entry for `name` in any ASCII case, or undefined. */
  get(name: Uint8Array): CommandSpec | undefined {
    const n = name.length;
    const a = word(name, 0);
    const b = word(name, 4);
    const lens = this.lens;
    const mask = this.mask;
    for (let slot = mix(n, a, b) & mask; ; slot = (slot + 1) & mask) {
      const len = lens[slot];
      if (len === -1) break;
      if (len === n && this.w0[slot] === a && this.w1[slot] === b && (n <= 8 || sameLower(this.names[slot]!, name))) return this.specs[slot]!;
    }
    // Only names outside ASCII can still match through JavaScript's wider lowercasing (as the table's keys were made).
    for (let i = 0; i < n; i++) if (name[i] >= 0x80) return this.commands.get(Buffer.from(name).toString("latin1").toLowerCase());
    return undefined;
  }
}

/** Bytes `from`..`from + 3` of `b` (those there are), ASCII letters lowercased, as one 32-bit word. */
function word(b: Uint8Array, from: number): number {
  const end = Math.min(b.length, from + 4);
  let w = 0;
  for (let i = from; i < end; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 32;
    w |= c << (8 * (i - from));
  }
  return w;
}

function mix(n: number, a: number, b: number): number {
  let h = Math.imul(a ^ n, 0x9e3779b1);
  h = Math.imul(h ^ b ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Whether `name` (as sent) is `lower` with some ASCII letters in uppercase (lengths are equal). */
function sameLower(lower: Uint8Array, name: Uint8Array): boolean {
  for (let i = 8; i < lower.length; i++) {
    let c = name[i];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower[i]) return false;
  }
  return true;
}
