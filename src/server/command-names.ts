/**
 * Command names as clients spell them ("SET", "set", "Set") to their table
 * entries, without building a string per command: an open-addressing table
 * hashed over the name's bytes with ASCII letters folded to lowercase, each
 * hit confirmed byte by byte. (A Map keyed by the packed bytes allocated a
 * heap number for every name longer than 3 bytes, and its lookup cost more
 * than the rest of dispatch.)
 */
import type { CommandSpec } from "../commands/types.js";

const EMPTY = new Uint8Array(0);

export class CommandNames {
  private readonly mask: number;
  /** Lowercase names by slot (EMPTY: a free slot). */
  private readonly names: Uint8Array[];
  private readonly specs: (CommandSpec | null)[];

  constructor(private readonly commands: Map<string, CommandSpec>) {
    let size = 64;
    while (size < commands.size * 4) size *= 2;
    this.mask = size - 1;
    this.names = new Array<Uint8Array>(size).fill(EMPTY);
    this.specs = new Array<CommandSpec | null>(size).fill(null);
    for (const [name, spec] of commands) {
      const bytes = Buffer.from(name, "latin1");
      let slot = hash(bytes) & this.mask;
      while (this.names[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.names[slot] = bytes;
      this.specs[slot] = spec;
    }
  }

  /** The entry for `name` in any ASCII case, or undefined. */
  get(name: Uint8Array): CommandSpec | undefined {
    const n = name.length;
    if (n === 0) return undefined;
    const names = this.names;
    const mask = this.mask;
    for (let slot = hash(name) & mask; ; slot = (slot + 1) & mask) {
      const cand = names[slot];
      if (cand === EMPTY) break;
      if (cand.length === n && sameLower(cand, name)) return this.specs[slot]!;
    }
    // Only names outside ASCII can still match through JavaScript's wider lowercasing (as the table's keys were made).
    for (let i = 0; i < n; i++) if (name[i] >= 0x80) return this.commands.get(Buffer.from(name).toString("latin1").toLowerCase());
    return undefined;
  }
}

function hash(b: Uint8Array): number {
  let h = b.length;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h ^ (h >>> 15);
}

/** Whether `name` (as sent) is `lower` with some ASCII letters in uppercase. */
function sameLower(lower: Uint8Array, name: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = name[i];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower[i]) return false;
  }
  return true;
}
