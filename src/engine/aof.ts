/** Typed bindings for the AOF (native/src/api/aof.rs). */
import { native } from "./addon.js";

/** Writes the command-form AOF base (rewriteAppendOnlyFileRio) to `path`; an error text or null. */
export function writeCommands(path: string, timestamp: number | null): string | null {
  return native.aofWriteCommands(path, timestamp ?? undefined) ?? null;
}
