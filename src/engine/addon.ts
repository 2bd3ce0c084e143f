/**
 * Loads the Rust addon. This is the only module that touches the `.node`
 * file; the rest of src/engine wraps it in typed functions.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type * as Binding from "../../native/binding.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// src/engine and dist/engine are both two levels below the package root.
const addonPath = path.resolve(here, "../../native/nodis.node");

export const native: typeof Binding = createRequire(import.meta.url)(addonPath);
