/**
 * Loads the Rust addon. This is the only module that touches the `.node`
 * file; the rest of src/engine wraps it in typed functions.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type * as Binding from "../../native/binding.js";

/**
 * The raw N-API callbacks of native/src/api/raw.rs (the per-command hot path,
 * ~100 ns cheaper per call than napi-rs's generated wrappers). napi-rs does not
 * generate their types, so they are declared here, next to the loader.
 */
export interface RawBinding {
  rawSetClock(nowMs: number): void;
  rawStrGet(db: number, key: Uint8Array, buf: Buffer, pos: number): number;
  rawStrMgetOne(db: number, key: Uint8Array, buf: Buffer, pos: number): number;
  rawStrSetPlain(db: number, key: Uint8Array, val: Uint8Array): void;
  rawStrSet(db: number, key: Uint8Array, val: Uint8Array, flags: number, expire: Uint8Array, buf: Buffer, pos: number): number;
  rawStrIncrBy(db: number, key: Uint8Array, delta: Uint8Array, negate: boolean, buf: Buffer, pos: number): number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
// src/engine and dist/engine are both two levels below the package root.
const addonPath = path.resolve(here, "../../native/nodis.node");

export const native: typeof Binding & RawBinding = createRequire(import.meta.url)(addonPath);
