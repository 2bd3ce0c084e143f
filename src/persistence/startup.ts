/**
 * The dataset from disk at start (Redis's loadDataFromDisk and the AOF steps
 * around it in main()): the AOF when appendonly is on, else the RDB. Throws
 * when the server must not start (an AOF failure has logged its reasons and
 * is marked `logged`; the CLI exits 1).
 */
import type { Server } from "../server/server.js";
import { startAof } from "./aof/index.js";
import { Rdb, rdbOf } from "./index.js";

export async function loadDataFromDisk(server: Server, opts: { rdb: boolean }): Promise<void> {
  // Meanwhile clients are answered -LOADING (dispatch), and the cron waits.
  server.loading = true;
  try {
    if ((await startAof(server)) || !opts.rdb) return;
    try {
      await rdbOf(server).loadAtStart();
    } catch (e) {
      // Redis's lines for a bad RDB are logged; the last one is the error's message (the CLI logs it, then exits 1).
      throw new Error(Rdb.loadFailure(server.log, (e as Error).message));
    }
  } finally {
    server.loading = false;
  }
}
