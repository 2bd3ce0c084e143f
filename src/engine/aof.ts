/**
 * Typed bindings for the AOF: its command-form base (native/src/api/aof.rs),
 * and the pieces of the RDB module it uses (native/src/api/persistence.rs):
 * an RDB base, loading an RDB base, the forked child.
 */
import { native } from "./addon.js";

/** Writes the command-form AOF base (rewriteAppendOnlyFileRio) to `path`; an error text or null. */
export function writeCommands(path: string, timestamp: number | null): string | null {
  return native.aofWriteCommands(path, timestamp ?? undefined) ?? null;
}

/** Forks a child that writes the command-form base to `path`; its pid. Throws when it cannot fork. */
export function rewriteInChild(path: string, timestamp: number | null): number {
  return native.aofRewriteBackground(path, timestamp ?? undefined).pid;
}

/** Writes an RDB of the dataset to `path` now (`aux`: name, value, ...); an error text or null. */
export function writeRdb(path: string, aux: string[], saveLru: boolean): string | null {
  try {
    native.rdbSave(path, aux, saveLru);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Forks a child that writes an RDB to `path`; its pid. Throws when it cannot fork. */
export function writeRdbInChild(path: string, aux: string[], saveLru: boolean): number {
  return native.rdbBgsave(path, aux, saveLru).pid;
}

/** Loads an RDB file as the whole dataset (expired keys kept); the bytes it took, or throws with the reason. */
export function loadRdb(path: string): number {
  return native.rdbLoad(path, false).consumed;
}

/** The running child's pid (an AOF rewrite or a BGSAVE), or null. */
export function childPid(): number | null {
  return native.childPid() ?? null;
}

/** The child's end once it has exited (reaped), else null. */
export function childPoll(): { pid: number; ok: boolean; signal: number; cowBytes: number } | null {
  return native.childPoll() ?? null;
}

/** Kills the running child and reaps it. */
export function childKill(): void {
  native.childKill();
}
