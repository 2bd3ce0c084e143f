/**
 * Blocking commands (Redis's blocked.c). A command that finds nothing to serve
 * (the engine's Code.BLOCK: BLPOP on empty lists, later XREAD BLOCK) blocks its
 * client: the client's later commands wait in its input behind it, and the
 * command waits on its keys until
 *   - one of them is modified and has the type the command waits for (or, for a
 *     command that asked for it, is deleted or replaced by another type): after
 *     the command that changed it (after EXEC for a transaction), the blocked
 *     command runs again through call(), so it replies, propagates and fires
 *     events exactly as an immediate one; if it blocks again it stays blocked
 *     (with its first timeout). Waiters on a key are served first come first served;
 *   - its timeout passes (Redis's null array);
 *   - CLIENT UNBLOCK (as a timeout, or with -UNBLOCKED);
 *   - the client disconnects.
 * Inside MULTI (and scripts: `client.denyBlocking`) nothing blocks: the
 * command answers as on a timeout.
 * The write path's keyModified/dbFlushed/dbsSwapped hooks are listened to only
 * while some client is blocked, and the engine records the changes of the
 * waited keys alone (and flushes and swaps): other commands pay nothing, and
 * the batch path runs on, stopping after a command that changed a waited key
 * (batch.ts drains its record and serves the ready keys, as call() does).
 *
 * Engine commands block through `blockOrAnswer` (engineHandler, on Code.BLOCK):
 * the keys are those the command's key specs mark "access", the type follows
 * its ACL category, the timeout is read where the command has it. Others call
 * `blockForKeys` themselves (XREAD: its stream keys, type "stream", the BLOCK
 * option's deadline; XREADGROUP also `unblockOnNokey`).
 */
import type { CommandSpec, Ctx } from "../commands/types.js";
import { commandKeys } from "../commands/command.js";
import { infoProviders } from "../commands/info.js";
import { performance } from "node:perf_hooks";
import { Reply } from "../protocol/reply.js";
import * as engine from "../engine/index.js";
import { call, countError } from "./call.js";
import type { Client } from "./client.js";
import type { Server } from "./server.js";

/** How a command blocks; the stream commands give these themselves (see blockForKeys). */
export interface BlockRequest {
  /** The keys to wait on (duplicates are ignored). */
  keys: Buffer[];
  /** The type ("list", "zset", "stream") a key must have for the command to be run again. */
  type: string;
  /** When the wait ends (Date.now() ms); 0 waits forever. */
  deadline: number;
  /** Also run the command again when a key is deleted or becomes another type (XREADGROUP). */
  unblockOnNokey?: boolean;
}

/** One blocked command. */
interface Waiter {
  client: Client;
  spec: CommandSpec;
  argv: Buffer[];
  db: number;
  /** The keys waited on, latin1 (the per-db index's keys). */
  keys: string[];
  type: string;
  nokey: boolean;
  deadline: number;
  timer: NodeJS.Timeout | null;
  /** Whether it is on its keys' lines now (not while its command runs again). */
  waiting: boolean;
}

/** The UNBLOCKED error CLIENT UNBLOCK ... ERROR answers. */
const UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/** The type a blocking command waits for, from its ACL category. */
const TYPE_OF_CATEGORY: [string, string][] = [
  ["list", "list"],
  ["sortedset", "zset"],
  ["stream", "stream"],
];

/** Blocking commands whose timeout is argv[1] (the others': their last argument). */
const TIMEOUT_FIRST = new Set(["blmpop", "bzmpop"]);
/** Where blocking is not allowed (MULTI, scripts) these answer a null bulk, not a null array (t_list.c's blmoveGenericCommand). */
const NULL_WHEN_DENIED = new Set(["blmove", "brpoplpush"]);

/** The engine answered Code.BLOCK for the command in `c`: block its client (or answer null where blocking is not allowed). */
export function blockOrAnswer(c: Ctx): void {
  const server = c.server;
  const spec = server.commandNames?.get(c.argv[0]);
  const type = spec ? waitedType(spec) : null;
  if (!spec || type === null) return c.r.nilArray();
  if (c.client.denyBlocking && NULL_WHEN_DENIED.has(spec.name)) return c.r.nil();
  blockForKeys(c, { keys: waitedKeys(spec, c.argv), type, deadline: deadlineOf(spec, c.argv) }, spec);
}

/**
 * Blocks the client of `c` on `req`'s keys (Redis's blockForKeys); inside
 * MULTI or a script it answers the null array instead. The command (`spec`,
 * by default the one argv[0] names) runs again with `c.argv` when a key is
 * ready: a command that must run again differently rewrites c.argv before
 * blocking (XREAD's `$` becomes the last ID, as Redis rewrites its argv).
 */
export function blockForKeys(c: Ctx, req: BlockRequest, spec?: CommandSpec): void {
  if (c.client.denyBlocking) return c.r.nilArray();
  spec ??= c.server.commandNames?.get(c.argv[0]);
  if (!spec) return c.r.nilArray();
  c.server.blocking.block(c.client, spec, c.argv, c.db, req);
}

/** The keys a command waits on: those its key specs mark as accessed (BLMOVE waits on its source only). */
function waitedKeys(spec: CommandSpec, argv: Buffer[]): Buffer[] {
  const found = commandKeys(spec, argv) ?? [];
  const keys: Buffer[] = [];
  for (const k of found) if (k.flags.some((f) => f.toLowerCase() === "access")) keys.push(argv[k.pos]);
  return keys;
}

function waitedType(spec: CommandSpec): string | null {
  for (const [cat, type] of TYPE_OF_CATEGORY) if (spec.acl.includes(cat)) return type;
  return null;
}

/**
 * The deadline of a timeout in seconds (fractional; 0: none), as Redis's
 * getTimeoutFromObjectOrReply rounds it (up to a millisecond). The engine
 * has validated it already (strtold's syntax, hex floats included).
 */
function deadlineOf(spec: CommandSpec, argv: Buffer[]): number {
  const arg = (TIMEOUT_FIRST.has(spec.name) ? argv[1] : argv[argv.length - 1]).toString("latin1");
  const ms = Math.ceil(seconds(arg) * 1000);
  return Number.isFinite(ms) && ms > 0 ? Date.now() + ms : 0;
}

/** A timeout's seconds: decimal, or C's hex float (0x1.8p3), which Number() does not read. */
function seconds(s: string): number {
  const n = Number(s);
  if (!Number.isNaN(n)) return n;
  const m = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  if (!m) return NaN;
  const frac = m[3] ?? "";
  const mantissa = parseInt((m[2] || "0") + frac, 16) / 16 ** frac.length;
  return (m[1] === "-" ? -1 : 1) * mantissa * 2 ** Number(m[4] ?? 0);
}

/** setTimeout's longest delay (about 24.8 days): a later deadline is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A server's blocked clients and the keys they wait on. */
export class Blocking {
  /** Blocked commands by client. */
  private readonly waiters = new Map<Client, Waiter>();
  /** Per db: key (latin1) to the clients waiting on it, oldest first (Redis's db->blocking_keys). */
  private readonly byKey = new Map<number, Map<string, Client[]>>();
  /** Per db: key to how many of its waiters want to hear of its deletion (db->blocking_keys_unblock_on_nokey). */
  private readonly nokey = new Map<number, Map<string, number>>();
  /** Keys signalled since they were last served (server.ready_keys), and the same as "db key" strings. */
  private ready: { db: number; key: string }[] = [];
  private readonly readySet = new Set<string>();
  /** Set while ready keys are served (Redis's in_handling_blocked_clients): commands run then do not serve again. */
  private serving = false;
  private serveScheduled = false;
  /** The waiter whose command is running again: if it blocks again it keeps its deadline. */
  private rerunning: Waiter | null = null;
  /** Where a command run again writes its reply. */
  private readonly reply = new Reply(16 * 1024);
  private listening = false;

  constructor(private readonly server: Server) {}

  /** Whether keys wait to be served (call() checks after each outermost command). */
  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  /** INFO clients: total_blocking_keys, total_blocking_keys_on_nokey, clients_in_timeout_table. */
  blockingKeys(): number {
    let n = 0;
    for (const m of this.byKey.values()) n += m.size;
    return n;
  }
  blockingKeysOnNokey(): number {
    let n = 0;
    for (const m of this.nokey.values()) n += m.size;
    return n;
  }
  clientsWithTimeout(): number {
    let n = 0;
    for (const w of this.waiters.values()) if (w.deadline !== 0) n++;
    return n;
  }

  block(client: Client, spec: CommandSpec, argv: Buffer[], db: number, req: BlockRequest): void {
    const again = this.rerunning !== null && this.rerunning.client === client ? this.rerunning : null;
    const keys = [...new Set(req.keys.map((k) => k.toString("latin1")))];
    const w: Waiter = again ?? { client, spec, argv, db, keys, type: req.type, nokey: req.unblockOnNokey === true, deadline: req.deadline, timer: null, waiting: false };
    if (again) {
      // Run again and blocked again: same deadline, and at the end of each key's line (as Redis).
      w.keys = keys;
      w.argv = argv;
    }
    this.waiters.set(client, w);
    w.waiting = true;
    let perDb = this.byKey.get(db);
    if (!perDb) this.byKey.set(db, (perDb = new Map()));
    for (const k of keys) {
      const line = perDb.get(k);
      if (line) line.push(client);
      else {
        perDb.set(k, [client]);
        engine.keys.setWaited(db, Buffer.from(k, "latin1"), true);
      }
      if (w.nokey) {
        let m = this.nokey.get(db);
        if (!m) this.nokey.set(db, (m = new Map()));
        m.set(k, (m.get(k) ?? 0) + 1);
      }
    }
    client.blocked = true;
    client.unblock = (withError) => this.unblockByCommand(client, withError);
    if (w.deadline !== 0 && w.timer === null) this.arm(w);
    this.listen(true);
  }

  /** Takes `client` off its keys' lines (the waiter itself stays while its command runs again). */
  private release(w: Waiter): void {
    if (!w.waiting) return;
    w.waiting = false;
    const perDb = this.byKey.get(w.db);
    const nk = this.nokey.get(w.db);
    for (const k of w.keys) {
      const line = perDb?.get(k);
      if (line) {
        const i = line.indexOf(w.client);
        if (i >= 0) line.splice(i, 1);
        if (line.length === 0) {
          perDb!.delete(k);
          engine.keys.setWaited(w.db, Buffer.from(k, "latin1"), false);
          nk?.delete(k);
          continue;
        }
      }
      if (w.nokey && nk) {
        const n = (nk.get(k) ?? 0) - 1;
        if (n > 0) nk.set(k, n);
        else nk.delete(k);
      }
    }
    w.client.blocked = false;
    w.client.unblock = null;
  }

  /** The command is over (served, timed out, unblocked, or its client gone). */
  private finish(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    this.waiters.delete(w.client);
    if (this.waiters.size === 0) this.listen(false);
  }

  /** The write path's hooks, on while anyone is blocked. */
  private listen(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    const wp = this.server.writePath;
    if (on) {
      wp.keyModified.push(this.keyModified);
      wp.dbFlushed.push(this.dbFlushed);
      wp.dbsSwapped.push(this.dbsSwapped);
    } else {
      remove(wp.keyModified, this.keyModified);
      remove(wp.dbFlushed, this.dbFlushed);
      remove(wp.dbsSwapped, this.dbsSwapped);
    }
    // The engine records the changes of the waited keys alone (setWaited), and the batch path stays on.
    wp.listen("waited", on);
  }

  /** Redis's signalKeyAsReady: a key somebody waits on changed; it is served after the running command. */
  private signal(db: number, key: string): void {
    const id = `${db} ${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
    // Changed outside any command (active expiry, the cron): served on the next turn.
    if (this.server.writePath.depth === 0 && !this.serving && !this.serveScheduled) {
      this.serveScheduled = true;
      setImmediate(() => {
        this.serveScheduled = false;
        this.serveReady();
      });
    }
  }

  private readonly keyModified = (db: number, key: Buffer): void => {
    const perDb = this.byKey.get(db);
    if (perDb === undefined || perDb.size === 0) return;
    const k = key.toString("latin1");
    if (perDb.has(k)) this.signal(db, k);
  };

  /** FLUSHDB/FLUSHALL (-1): every waited key of the db may have gone. */
  private readonly dbFlushed = (db: number): void => {
    for (const [d, perDb] of this.byKey) if (db === -1 || d === db) for (const k of perDb.keys()) this.signal(d, k);
  };

  /** SWAPDB: the waited keys of both dbs may now exist (Redis's scanDatabaseForReadyKeys). */
  private readonly dbsSwapped = (a: number, b: number): void => {
    for (const d of [a, b]) for (const k of this.byKey.get(d)?.keys() ?? []) this.signal(d, k);
  };

  /**
   * Serves the keys signalled since the last call (Redis's handleClientsBlockedOnKeys),
   * including those the served commands signal in turn (a BLMOVE feeding another one).
   */
  serveReady(): void {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.ready.length !== 0) {
        const batch = this.ready;
        this.ready = [];
        for (const { db, key } of batch) {
          this.readySet.delete(`${db} ${key}`);
          this.serveKey(db, key);
        }
      }
    } finally {
      this.serving = false;
    }
  }

  /** Runs again, oldest first, the commands waiting on `key` that it can serve now. */
  private serveKey(db: number, key: string): void {
    const line = this.byKey.get(db)?.get(key);
    if (!line) return;
    // Only those waiting now: one blocked again goes to the end of the line and waits for the next change.
    const waiting = line.slice();
    const keyBuf = Buffer.from(key, "latin1");
    for (const client of waiting) {
      const w = this.waiters.get(client);
      if (!w || !client.blocked || !w.keys.includes(key)) continue;
      const type = engine.keys.liveType(db, keyBuf);
      if (type === w.type || w.nokey) this.runAgain(w);
    }
  }

  /** Runs a blocked command again, as its client's own command (Redis's unblockClientOnKey). */
  private runAgain(w: Waiter): void {
    const client = w.client;
    this.release(w);
    this.rerunning = w;
    client.reprocessing = true;
    const r = this.reply;
    // A new execution unit, with its own time (Redis's enterExecutionUnit): a key may have expired since the check;
    // and its duration counts from now (the clock may be a batch's of long ago).
    engine.server.setClock(Date.now());
    this.server.commandClock = performance.now();
    try {
      this.server.runFor(client, r, () => {
        // Permissions may have changed while it waited (Redis reprocesses the command whole).
        if (!client.user.unrestricted && this.refused(client, w, r)) return;
        call(this.server, client, w.spec, w.argv, r);
      });
    } finally {
      this.rerunning = null;
      client.reprocessing = false;
    }
    if (client.blocked) return; // blocked again (its reply, if any, was already queued)
    this.finish(w);
    this.server.resume(client);
  }

  /** The ACL refusal of a command run again, answered and counted as rejected (true), or false. */
  private refused(client: Client, w: Waiter, r: Reply): boolean {
    const why = this.server.auth.refusal(client, w.spec, w.argv, "toplevel");
    if (why === null) return false;
    const start = r.pos;
    r.error(["NOPERM ", Buffer.from(why, "latin1")]);
    (w.spec.stat ??= this.server.stats.command(w.spec.name)).rejected++;
    countError(this.server, r, start);
    return true;
  }

  /** Starts the waiter's timer, for at most MAX_TIMER_MS. */
  private arm(w: Waiter): void {
    w.timer = setTimeout(() => this.timedOut(w.client), Math.min(MAX_TIMER_MS, Math.max(0, w.deadline - Date.now())));
    w.timer.unref();
  }

  /** The deadline passed: the null array (Redis's replyToBlockedClientTimedOut). */
  private timedOut(client: Client): void {
    const w = this.waiters.get(client);
    if (!w) return;
    w.timer = null;
    if (Date.now() < w.deadline) return this.arm(w); // a step of a long wait
    this.answerAndRelease(w, null);
  }

  /** CLIENT UNBLOCK: as a timeout, or with the UNBLOCKED error. */
  private unblockByCommand(client: Client, withError: boolean): void {
    const w = this.waiters.get(client);
    if (w) this.answerAndRelease(w, withError ? UNBLOCKED : null);
  }

  /**
   * Ends a wait without running the command again: answers the null array or
   * `error`, counts the call (Redis's updateStatsOnUnblock), lets the client go on.
   */
  private answerAndRelease(w: Waiter, error: string | null): void {
    const withError = error !== null;
    const { client, spec, argv } = w;
    this.release(w);
    this.finish(w);
    const r = this.reply;
    r.pos = 0;
    r.resp = client.resp;
    if (error !== null) r.error(error);
    else r.nilArray();
    const server = this.server;
    if (withError) countError(server, r, 0);
    const st = (spec.stat ??= server.stats.command(spec.name));
    st.calls++;
    st.usec += client.blockedUsec;
    if (withError) st.failed++;
    server.stats.totalCommands++;
    const usec = client.blockedUsec;
    client.blockedUsec = 0;
    client.reprocessing = true;
    try {
      server.afterCommand(client, spec, argv, usec);
    } finally {
      client.reprocessing = false;
    }
    server.writeTo(client, r.take());
    server.resume(client);
  }

  /**
   * Ends every wait with an error and closes the clients after it (Redis's
   * disconnectAllBlockedClients, when a master becomes a replica).
   */
  disconnectAll(): void {
    for (const w of [...this.waiters.values()]) {
      this.answerAndRelease(w, "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
      w.client.closeAfterReply = true;
    }
  }

  /** A blocked client disconnected: it leaves its keys' lines (nothing is answered or counted). */
  clientClosed(client: Client): void {
    const w = this.waiters.get(client);
    if (!w) return;
    this.release(w);
    this.finish(w);
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

infoProviders.set("total_blocking_keys", (s) => s.blocking.blockingKeys());
infoProviders.set("total_blocking_keys_on_nokey", (s) => s.blocking.blockingKeysOnNokey());
infoProviders.set("clients_in_timeout_table", (s) => s.blocking.clientsWithTimeout());
