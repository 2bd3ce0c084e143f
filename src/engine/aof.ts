/** Typed bindings for the AOF's command-form base (native/src/api/aof.rs); an RDB base is persistence.ts's. */
import { native } from "./addon.js";
import type { ForkResult } from "./persistence.js";

/**
 * Writes the command-form AOF base (rewriteAppendOnlyFileRio) to `path`: a `#TS:`
 * annotation first when `timestamp` is given, a FUNCTION LOAD per library, the keys.
 * An error text or null.
 */
export function writeCommands(path: string, timestamp: number | null, functions: Buffer[]): string | null {
  return native.aofWriteCommands(path, timestamp ?? undefined, functions) ?? null;
}

/** Forks the background child writing the command-form base to `path`. Throws when it cannot fork. */
export function rewriteInChild(path: string, timestamp: number | null, functions: Buffer[]): ForkResult {
  return native.aofRewriteBackground(path, timestamp ?? undefined, functions);
}
