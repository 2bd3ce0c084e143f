/**
 * Writing an AOF base: in process (at start, for an empty dataset, as Redis's
 * rewriteAppendOnlyFile) or in the one background child (persistence/child.ts,
 * a fork that runs only Rust: the event loop never waits for it). The base is
 * an RDB with aof-use-rdb-preamble yes (the RDB module's writer, its AUX
 * fields with aof-base 1), else the commands that rebuild the dataset.
 */
import type { Server } from "../../server/server.js";
import { aof as engineAof, persistence as native } from "../../engine/index.js";
import type { ChildDone } from "../../engine/persistence.js";
import { functionHooks, rdbOf } from "../index.js";

export interface RewriteChild {
  pid: number;
  /** Where the child writes the new base (temp-rewriteaof-bg-<pid>.aof in `dir`, as Redis names it). */
  tmpFile: string;
  /** The base is an RDB (aof-use-rdb-preamble yes). */
  preamble: boolean;
}

const timestamp = (server: Server) => (server.config.bool("aof-timestamp-enabled") ? Math.floor(Date.now() / 1000) : null);
const functions = () => functionHooks.dump?.() ?? [];

/** Writes a base to `file` now; an error line to log, or null. */
export function writeBaseNow(server: Server, file: string, preamble: boolean): string | null {
  let err: string | null = null;
  if (preamble) {
    const rdb = rdbOf(server);
    try {
      native.save(file, rdb.auxFields(true), rdb.saveLru(), functions());
    } catch (e) {
      err = (e as Error).message;
    }
  } else err = engineAof.writeCommands(file, timestamp(server), functions());
  return err === null ? null : `Write error writing append only file on disk: ${err}`;
}

/** Starts the background child writing a base; its handle, or an error text. `onDone` runs when it ends. */
export function startRewriteChild(server: Server, preamble: boolean, onDone: (d: ChildDone) => void): RewriteChild | { error: string } {
  const rdb = rdbOf(server);
  const tmpFile = `temp-rewriteaof-bg-${process.pid}.aof`;
  try {
    const r = rdb.child.start(
      "aof",
      () =>
        preamble
          ? native.bgsave(tmpFile, rdb.auxFields(true), rdb.saveLru(), functions())
          : engineAof.rewriteInChild(tmpFile, timestamp(server), functions()),
      onDone,
    );
    return { pid: r.pid, tmpFile, preamble };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Whether the background child runs (an AOF rewrite or a BGSAVE: one at a time, as in Redis). */
export function childActive(server: Server): boolean {
  return rdbOf(server).child.active();
}

/** Kills the background child if it is an AOF rewrite. */
export function killRewriteChild(server: Server): void {
  const child = rdbOf(server).child;
  if (child.kind === "aof") child.kill();
}
