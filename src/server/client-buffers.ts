/**
 * The clients' buffers as used_memory counts them (Redis's mem_clients_normal
 * and mem_clients_slaves): unparsed input and output not yet written, measured
 * each cron tick (src/server/eviction.ts).
 */
import type { Client } from "./client.js";

export const clientBuffers = { normal: 0, replicas: 0 };

/** What a client's buffers hold now. */
export function clientMemory(c: Client): number {
  return c.parser.pending + c.socket.writableLength + c.pendingBytes;
}
