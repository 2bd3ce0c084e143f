/**
 * Writing an AOF base: in process (at start, for an empty dataset, as Redis's
 * rewriteAppendOnlyFile) or in a forked child that runs only Rust (a rewrite,
 * so the event loop never waits for it). The base is an RDB with
 * aof-use-rdb-preamble yes (the RDB module's writer, with the aof-base AUX
 * field), else the commands that rebuild the dataset.
 */
import type { Server } from "../../server/server.js";
import { aof as engineAof } from "../../engine/index.js";
import { usedMemory } from "../../commands/introspection.js";
import { REDIS_VERSION } from "../../version.js";

export interface RewriteChild {
  pid: number;
  /** Where the child writes the new base (temp-rewriteaof-bg-<pid>.aof in `dir`, as Redis). */
  tmpFile: string;
  /** The base is an RDB (aof-use-rdb-preamble yes). */
  preamble: boolean;
  /** The exit status once the child is done (code, signal), else null. */
  poll(): { code: number; signal: number; cowBytes: number } | null;
  kill(): void;
}

const timestamp = (server: Server) => (server.config.bool("aof-timestamp-enabled") ? Math.floor(Date.now() / 1000) : null);

/** The AUX fields of an RDB base (rdbSaveInfoAuxFields with RDBFLAGS_AOF_PREAMBLE). */
function aux(): string[] {
  return ["redis-ver", REDIS_VERSION, "redis-bits", "64", "ctime", String(Math.floor(Date.now() / 1000)), "used-mem", String(usedMemory()), "aof-base", "1"];
}

const saveLru = (server: Server) => server.config.get("maxmemory-policy").includes("lru");

export const rewriteChild = {
  /** Writes a base to `file` now; an error line to log, or null. */
  writeNow(server: Server, file: string, preamble: boolean): string | null {
    const err = preamble ? engineAof.writeRdb(file, aux(), saveLru(server)) : engineAof.writeCommands(file, timestamp(server));
    return err === null ? null : `Write error writing append only file on disk: ${err}`;
  },

  /** Starts a child writing a base; its handle, or an error text. */
  start(server: Server, preamble: boolean): RewriteChild | { error: string } {
    const tmpFile = `temp-rewriteaof-bg-${process.pid}.aof`;
    let pid: number;
    try {
      pid = preamble ? engineAof.writeRdbInChild(tmpFile, aux(), saveLru(server)) : engineAof.rewriteInChild(tmpFile, timestamp(server));
    } catch (e) {
      return { error: (e as Error).message };
    }
    return {
      pid,
      tmpFile,
      preamble,
      poll() {
        // Only this child's end: the RDB module's BGSAVE child is its own to reap.
        if (engineAof.childPid() !== pid) return { code: 1, signal: 0, cowBytes: 0 };
        const done = engineAof.childPoll();
        if (done === null) return null;
        return { code: done.ok ? 0 : 1, signal: done.signal, cowBytes: done.cowBytes };
      },
      kill() {
        if (engineAof.childPid() === pid) engineAof.childKill();
      },
    };
  },

  /** Whether any background child runs (an AOF rewrite or a BGSAVE: one at a time, as Redis). */
  active(): boolean {
    return engineAof.childPid() !== null;
  },
};
