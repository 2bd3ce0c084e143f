/**
 * MULTI/EXEC state of one server (Redis's multi.c, first half): the commands
 * each client queued, which transactions a queue-time error doomed, and the
 * WATCH table. Created on the first MULTI or WATCH, which also registers the
 * hooks that keep it right: RESET and closing a connection discard the
 * client's transaction; the write path reports changed keys, flushed and
 * swapped dbs to WATCH.
 *
 * A client is in MULTI while `client.multiCount >= 0` (dispatch and CLIENT
 * LIST's x test only that field) and `client.multiState` holds the queue (a
 * field, not a Map: setting and deleting an object-keyed Map entry per
 * transaction costs ~250 ns; a "multi" entry in `client.flags` cost ~60).
 */
import { CMD_WRITE_OR_MAY_REPLICATE, type CommandSpec } from "../commands/types.js";
import { effectiveSpec } from "../scripting/command-flags.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { DIRTY_CAS, WatchTable } from "./watch.js";

/**
 * A client's transaction while in MULTI (`client.multiState`): the first
 * `client.multiCount` slots of `specs` and `argvs` are the queued commands.
 * The arrays are kept from one transaction to the next (their slots cleared
 * after EXEC, so no argument outlives it): no object or array per command.
 */
export interface MultiState {
  specs: (CommandSpec | null)[];
  argvs: (Buffer[] | null)[];
  /** A command was refused while queueing (Redis's CLIENT_DIRTY_EXEC): EXEC aborts. */
  doomed: boolean;
  /** EXEC is running this transaction's commands (the slots are in use). */
  running: boolean;
}

export class Transactions {
  readonly watch: WatchTable;

  constructor(server: Server) {
    const wp = server.writePath;
    this.watch = new WatchTable(wp);
    const forget = (c: Client) => this.discard(c);
    server.resetHooks.push(forget);
    server.closeHooks.push(forget);
    wp.keyModified.push((db, key) => this.watch.touch(db, key));
    wp.dbFlushed.push((db) => this.watch.flushed(db));
    wp.dbsSwapped.push((a, b) => this.watch.swapped(a, b));
  }

  /** MULTI: the client starts queueing. */
  begin(client: Client): void {
    client.multiCount = 0;
    client.multiWrites = false;
    client.multiNotStale = false;
    // The state object is kept between transactions (one allocation per client, not per MULTI).
    let st = client.multiState;
    // MULTI inside EXEC runs (it is never queued) and fails as nested: a fresh state only if that ever changes.
    if (st === null || st.running) st = client.multiState = { specs: [], argvs: [], doomed: false, running: false };
    st.doomed = false;
  }

  /** Queues a checked command (nothing is kept once the transaction cannot run, as Redis). */
  enqueue(client: Client, spec: CommandSpec, argv: Buffer[]): void {
    const tx = client.multiState;
    if (!tx || client.multiCount < 0 || tx.doomed || (client.flags.size !== 0 && client.flags.has(DIRTY_CAS))) return;
    const i = client.multiCount++;
    tx.specs[i] = spec;
    tx.argvs[i] = argv;
    // The transaction's flags sum its commands' as dispatch judges them (a script by its declared flags).
    const judged = effectiveSpec(spec, argv);
    if ((judged.bits & CMD_WRITE_OR_MAY_REPLICATE) !== 0) client.multiWrites = true;
    if (!judged.flags.includes("stale")) client.multiNotStale = true;
  }

  /** A command was refused while queueing (Redis's flagTransaction). */
  doom(client: Client): void {
    const tx = client.multiState;
    if (tx && client.multiCount >= 0) tx.doomed = true;
  }

  isDoomed(client: Client): boolean {
    return client.multiCount >= 0 && client.multiState!.doomed;
  }


  /** Leaves MULTI, clears the dirty flags and unwatches (Redis's discardTransaction). */
  discard(client: Client): void {
    if (client.multiCount >= 0) {
      const st = client.multiState!;
      // While EXEC runs, it clears the slots it is reading when it is done.
      if (!st.running) clearSlots(st, client.multiCount);
      client.multiCount = -1;
      client.multiWrites = false;
      client.multiNotStale = false;
    }
    if (client.flags.size !== 0) client.flags.delete(DIRTY_CAS); // set by a touch that also unwatched: the table may be empty
    if (this.watch.size() > 0) this.watch.unwatchAll(client);
  }
}

/** Drops the queued commands' references (their arguments are views into received data). */
export function clearSlots(st: MultiState, n: number): void {
  for (let i = 0; i < n; i++) {
    st.specs[i] = null;
    st.argvs[i] = null;
  }
}

const states = new WeakMap<Server, Transactions>();
/** The last one looked up: a process runs one server, so the WeakMap is seldom consulted. */
let last: { server: Server | null; state: Transactions | null } = { server: null, state: null };

/** The server's transaction state, created (and its hooks registered) on first use. */
export function transactions(server: Server): Transactions {
  if (last.server === server) return last.state!;
  let st = states.get(server);
  if (!st) {
    st = new Transactions(server);
    states.set(server, st);
  }
  last = { server, state: st };
  return st;
}

/** The state if MULTI or WATCH was ever used on this server (nothing to clean up otherwise). */
export function transactionsIfAny(server: Server): Transactions | undefined {
  return states.get(server);
}
