/**
 * Buffers for big arguments, kept for the next one. Each big argument that
 * spans reads gets a Buffer of its size (parser.ts); at 100 KB values a new
 * one per command is V8 external memory that forces a scavenge every few
 * hundred commands and a full collection every few thousand, the largest cost
 * of a big SET. A command that copied its arguments into the engine gives the
 * Buffer back here (the server decides when that is safe), and the next big
 * argument of any client reuses it.
 */
import { Buffer } from "node:buffer";

/** Buffers larger than this are never kept. */
const KEEP_MAX = 1024 * 1024;
/** What the pool may hold in all (a few dozen clients' values in flight). */
const POOL_BYTES = 8 * 1024 * 1024;

const pool: Buffer[] = [];
let pooled = 0;

/** A Buffer of at least `size` bytes: one from the pool when one is large enough. */
export function takeArgBuffer(size: number): Buffer {
  for (let i = pool.length - 1; i >= 0; i--) {
    const b = pool[i];
    if (b.length >= size) {
      pool[i] = pool[pool.length - 1];
      pool.pop();
      pooled -= b.length;
      return b;
    }
  }
  return Buffer.allocUnsafe(size);
}

/** Gives back a Buffer nothing refers to any more. */
export function giveArgBuffer(b: Buffer): void {
  if (b.length > KEEP_MAX || pooled + b.length > POOL_BYTES) return;
  pool.push(b);
  pooled += b.length;
}

/** Lets the pool's memory go (a quiet server). */
export function releaseArgBuffers(): void {
  pool.length = 0;
  pooled = 0;
}
