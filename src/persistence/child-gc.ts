/**
 * V8's young-generation collections while a forked child runs. A scavenge
 * is split between the main thread and V8's helper threads, and the main
 * thread's pause lasts until the last helper has finished its share. The
 * child (an RDB save, an AOF rewrite) keeps a core busy for its whole life:
 * on a machine with few cores a helper that took a share is then often
 * waiting for a CPU, and the pause stretches from about a millisecond to
 * tens. Nodis's young generation is small (the keyspace lives in the addon),
 * so the main thread alone scavenges it about as fast: while a child runs,
 * scavenges are not parallel (V8 reads the flag at each scavenge), unless
 * node was started with a choice of its own (--parallel-scavenge, ...).
 */
import v8 from "node:v8";

let serial = false;

/** Node started with its own choice about parallel scavenges (it stands). */
const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) =>
  /^--(no-)?(parallel[-_]scavenge|single[-_]threaded([-_]gc)?)$/.test(a),
);

/** A child started (true) or ended (false). */
export function childRunning(running: boolean): void {
  if (chosen || running === serial) return;
  serial = running;
  v8.setFlagsFromString(running ? "--no-parallel-scavenge" : "--parallel-scavenge");
}
