/** The typed door to the Rust addon. Nothing outside src/engine imports native code. */
export * as strings from "./strings.js";
export * as commands from "./commands.js";
export * as batch from "./batch.js";
export * as engineConfig from "./config.js";
export * as lists from "./lists.js";
export * as keys from "./keys.js";
export * as server from "./server.js";
export * as debug from "./debug.js";
export * as aof from "./aof.js";
export * as state from "./state.js";
export * as persistence from "./persistence.js";
export * as scripting from "./scripting.js";
export * as evict from "./evict.js";
export * as io from "./io.js";
export { Code } from "./codes.js";
export { land, answer, reply } from "./land.js";
