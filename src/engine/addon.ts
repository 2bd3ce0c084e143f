/**
 * Loads the Rust addon. This is the only module that touches the `.node`
 * file; the rest of src/engine wraps it in typed functions.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type * as Binding from "../../native/binding.js";
// The raw N-API callbacks of the hot path (~100 ns cheaper per call than
// napi-rs's wrappers): declared by native/build.rs from the same table that
// generates them (native/src/api/raw_table.rs).
import type * as RawBinding from "../../native/raw.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// src/engine and dist/engine are both two levels below the package root.
const addonPath = path.resolve(here, "../../native/nodis.node");

export const native: typeof Binding & typeof RawBinding = createRequire(import.meta.url)(addonPath);
