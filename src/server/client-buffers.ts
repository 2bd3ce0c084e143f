/**
 * The clients' buffers as used_memory counts them (Redis's mem_clients_normal
 * and mem_clients_slaves): unparsed input and output not yet written, measured
 * each cron tick (src/server/eviction.ts); and the tracking table (Redis's
 * TrackingTable is allocated memory, counted in used_memory like the rest).
 */
export const clientBuffers = { normal: 0, replicas: 0, tracking: 0 };
