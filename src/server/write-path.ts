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
import { state } from "../engine/index.js";
import { parseCommand } from "../protocol/parser.js";

export type KeyModifiedHook = (db: number, key: Buffer, by: Client | null) => void;
export type DbFlushedHook = (db: number) => void;
export type DbsSwappedHook = (a: number, b: number) => void;
/** `type` is the event's class letter as notify-keyspace-events names it (g $ l s h z x e t m d n). */
export type KeyspaceEventHook = (type: string, event: string, db: number, key: Buffer) => void;
/** One propagated unit: commands with the db each runs in. */
export type PropagatedHook = (ops: PropagatedOp[]) => void;

/**
 * What a feature needs the engine to record: "keys" (every modified key:
 * BCAST tracking without a prefix, a replica's keys), "events" (the keyspace
 * events of the classes notifications want, engine keys.setEventClasses),
 * "keymiss" (the `m` class: every missed lookup of a read), "propagation" (a
 * consumer of propagated commands: replicas, the AOF), "waited" (the changes of
 * the keys blocked clients, WATCH and tracking wait on alone, engine
 * keys.setWaited, setTracked, setTrackedPrefix). The batch path stays on but for "keys".
 */
export type ListenKind = "keys" | "events" | "keymiss" | "propagation" | "waited";

export interface PropagatedOp {
  db: number;
  argv: Buffer[];
  /** The command's multibulk encoding as catCommand writes it, when known (the batch path's input): written as is. */
  raw?: Buffer;
  /** Where it goes (PROPAGATE_AOF, PROPAGATE_REPL) when not everywhere: a script's redis.set_repl narrowed it. */
  targets?: number;
}

/** Propagation targets (Redis's PROPAGATE_AOF, PROPAGATE_REPL; a script's redis.REPL_* values). */
export const PROPAGATE_AOF = 1;
export const PROPAGATE_REPL = 2;
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

/** Whether `op` goes to `target` (PROPAGATE_AOF or PROPAGATE_REPL). */
export function propagatesTo(op: PropagatedOp, target: number): boolean {
  return op.targets === undefined || (op.targets & target) !== 0;
}

/** A command propagated by its multibulk bytes; argv is parsed from them only if a consumer asks. */
class RawOp implements PropagatedOp {
  private args: Buffer[] | null = null;
  constructor(
    readonly db: number,
    readonly raw: Buffer,
    readonly targets: number | undefined,
  ) {}
  get argv(): Buffer[] {
    return (this.args ??= parseCommand(this.raw));
  }
}

const MULTI = [Buffer.from("MULTI")];
const EXEC = [Buffer.from("EXEC")];
const DEL = Buffer.from("DEL");
const UNLINK = Buffer.from("UNLINK");
/** Commands that may touch arbitrary keys (Redis's CMD_TOUCHES_ARBITRARY_KEYS): what their lookups expire is not wrapped in MULTI/EXEC. */
const ARBITRARY_KEYS = new Set(["scan", "randomkey"]);

export class WritePath {
  readonly keyModified: KeyModifiedHook[] = [];
  readonly dbFlushed: DbFlushedHook[] = [];
  readonly dbsSwapped: DbsSwappedHook[] = [];
  readonly keyspaceEvent: KeyspaceEventHook[] = [];
  readonly propagated: PropagatedHook[] = [];
  private readonly listening: Record<ListenKind, number> = { keys: 0, events: 0, keymiss: 0, propagation: 0, waited: 0 };

  /**
   * A feature starts (`on`) or stops listening for `kind`; calls nest (one
   * stop per start). The engine records changes only while somebody listens.
   */
  listen(kind: ListenKind, on: boolean): void {
    const l = this.listening;
    l[kind] = Math.max(0, l[kind] + (on ? 1 : -1));
    // Propagation alone needs no record of every change: the engine records what
    // goes out in place of argv (also_propagate) and expired keys' DELs for it.
    const record = l.keys > 0;
    this.recording = record;
    state.setListen(
      (record ? state.LISTEN_RECORD : 0) |
        (l.keymiss > 0 ? state.LISTEN_KEYMISS : 0) |
        (l.propagation > 0 ? state.LISTEN_PROPAGATE : 0) |
        (l.waited > 0 ? state.LISTEN_WAITED : 0) |
        (l.events > 0 ? state.LISTEN_EVENTS : 0),
    );
  }

  /** Where what propagates now goes: all, unless a script's redis.set_repl narrowed it (none: nothing propagates). */
  targets = PROPAGATE_ALL;
  /** Whether some feature needs every change ("keys"), so the engine records them all. */
  recording = false;

  /** The running command recorded its own propagation (call() then propagates no argv for it). */
  rewritten = false;
  /** Nesting of call(): EXEC and scripts run commands inside a command. */
  depth = 0;
  /** Commands propagated by the running outermost call. */
  private ops: PropagatedOp[] = [];
  /** The dirty count when the dataset was last saved (rdb_changes_since_last_save counts from it). */
  dirtyAtLastSave = 0;
  /** While above 0 nothing is propagated (the AOF being loaded replays commands that are already in it). */
  suppressed = 0;
  /** lazyfree-lazy-expire: expired keys propagate as UNLINK instead of DEL (kept by the server). */
  lazyExpire = false;
  /** lazyfree-lazy-eviction: evicted keys propagate as UNLINK (kept by the eviction module). */
  lazyEviction = false;

  /** The number of changes since start (Redis's server.dirty): rdb_changes_since_last_save is its difference from the last save. */
  dirty(): number {
    return state.dirty();
  }

  /** Whether the engine has recorded changes waiting to be drained. */
  hasRecords(): boolean {
    return state.hasRecords();
  }

  /**
   * Delivers what the engine recorded to the hooks, in order. `by` is the client
   * whose command made the changes (null: the cron); keyModified gets null for
   * expired and evicted keys. An expired key's DEL is
   * propagated here: with the command's own propagation when a command ran,
   * alone when the cron expired it (Redis does not wrap active expiry in MULTI).
   */
  drain(by: Client | null): void {
    for (const c of state.takeChanges()) {
      if (c.kind === "key") {
        const ev = c.event;
        // Expired and evicted keys were changed by no client (Redis's signalModifiedKey(NULL, ...)).
        if (c.modified) for (const h of this.keyModified) h(c.db, c.key, ev !== null && (ev.type === "x" || ev.type === "e") ? null : by);
        if (ev === null) continue;
        for (const h of this.keyspaceEvent) h(ev.type, ev.name, c.db, c.key);
        if (ev.type === "x" || ev.type === "e") {
          this.propagate(c.db, [(ev.type === "x" ? this.lazyExpire : this.lazyEviction) ? UNLINK : DEL, c.key]);
          if (this.depth === 0) this.flushPropagation();
        }
      } else if (c.kind === "propagate") {
        this.propagate(c.db, c.argv);
        this.rewritten = true;
        // Outside a command (the cron's expiry of hash fields), each goes out on its own.
        if (this.depth === 0) this.flushPropagation();
      } else if (c.kind === "flushed") {
        for (const h of this.dbFlushed) h(c.db);
      } else {
        for (const h of this.dbsSwapped) h(c.a, c.b);
      }
    }
  }

  /** Whether anything consumes propagated commands. */
  propagating(): boolean {
    return this.propagated.length !== 0;
  }

  /** Registers a consumer of propagated commands (AOF, replicas, tests) and starts the recording it needs. */
  onPropagate(hook: PropagatedHook): () => void {
    this.propagated.push(hook);
    this.listen("propagation", true);
    return () => {
      const i = this.propagated.indexOf(hook);
      if (i < 0) return;
      this.propagated.splice(i, 1);
      this.listen("propagation", false);
    };
  }

  /**
   * Queues `argv` to propagate in `db` (Redis's alsoPropagate). It goes out with
   * flushPropagation(), which call() does when the outermost command ends (and the
   * cron after its expiry).
   */
  propagate(db: number, argv: Buffer[], only = PROPAGATE_ALL): void {
    const targets = this.targets & only;
    if (!this.propagating() || this.suppressed !== 0 || targets === 0) return;
    this.ops.push(targets === PROPAGATE_ALL ? { db, argv } : { db, argv, targets });
  }

  /** propagate() for a command given by its exact multibulk bytes (the batch path's input), kept by the op. */
  propagateRaw(db: number, raw: Buffer, only = PROPAGATE_ALL): void {
    const targets = this.targets & only;
    if (!this.propagating() || this.suppressed !== 0 || targets === 0) return;
    this.ops.push(new RawOp(db, raw, targets === PROPAGATE_ALL ? undefined : targets));
  }

  /**
   * Sends what the outermost call propagated (Redis's propagatePendingCommands):
   * one op as it is, several wrapped in MULTI/EXEC (whose db is -1: no SELECT of
   * their own), except after a command that touches arbitrary keys (`command`).
   */
  flushPropagation(command?: string): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    const wrap = ops.length > 1 && !(command !== undefined && ARBITRARY_KEYS.has(command));
    const unit = wrap ? [{ db: -1, argv: MULTI }, ...ops, { db: -1, argv: EXEC }] : ops;
    for (const h of this.propagated) h(unit);
  }
}
