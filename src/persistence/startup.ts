/**
 * The dataset from disk at start (Redis's loadDataFromDisk and what surrounds
 * it in main()): the AOF when appendonly is on, else the RDB. Throws when the
 * server must not start (the reasons are logged; the CLI exits 1).
 */
import type { Server } from "../server/server.js";
import { startAof } from "./aof/index.js";

export function loadDataFromDisk(server: Server): void {
  startAof(server);
}
