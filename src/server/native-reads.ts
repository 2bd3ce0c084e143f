/**
 * Client sockets read by the addon (native/src/api/reads.rs) instead of Node's
 * stream layer: one JavaScript call per event-loop turn carries every read of
 * the turn, where Node makes one C++-to-JS callback per read (and a turn whose
 * reads all ran whole in the loop makes none: settleReads). Node keeps the
 * socket for everything else (writes, 'drain', close); it just never reads it.
 *
 * A turn's reads land in one shared arena, valid only during the call: the
 * server gets each as a transient view (the parser copies what it keeps).
 */
import * as engine from "../engine/index.js";
import { Reply } from "../protocol/reply.js";
import type { Client } from "./client.js";

/** A turn's reads: at most 64 reads of 16 KB (a full arena leaves the rest for the next turn). */
const ARENA = Buffer.allocUnsafeSlow(1024 * 1024);
/** Events of a turn: slot, kind, offset or errno, length; a batch's six more (reads.rs EV_FIELDS). */
const EVENT_FIELDS = 10;
const EVENTS = new Uint32Array(1024 * EVENT_FIELDS);
const EV_DATA = 0;
const EV_END = 1;
const EV_TARGET = 3;
const EV_BATCH = 4;
const EV_HELD = 5;
const EV_HELD_TAKE = 6;

/**
 * The batch path in the addon's read loop (reads.rs `reads_batching`): per
 * slot, whether TypeScript lets the loop run the client's reads (eligible, db,
 * RESP, NO-TOUCH), after two words for the whole process (WORD_* bits, the
 * slow log's threshold) and the addon's count of events waiting (FLAG_WAITING).
 * Kept current when they change (NativeReads.mark / serverAllows /
 * serverNeeds), never asked per read.
 */
const FLAG_HEADER = 4;
const FLAG_WAITING = 2;
/** The slot whose batch the loop runs now, plus 1 (0: none): a script's crossing asks whose it is. */
const FLAG_RUNNING = 3;
/** The word's bits (reads.rs WORD_*): batches may run; commands propagate; big arguments may be held (held.rs). */
const WORD_BATCH = 1;
const WORD_PROPAGATING = 2;
const WORD_HOLD = 4;
/** A read that is one EVALSHA or FCALL may run its script in the loop (every owner lets the batch path run scripts). */
const WORD_SCRIPTS = 8;
const FLAG_FIELDS = 4;
const MAX_BATCH_SLOTS = 16 * 1024;
const FLAGS = new Int32Array(FLAG_HEADER + MAX_BATCH_SLOTS * FLAG_FIELDS);
/**
 * The loop's replies for a turn (the addon sends them; the log points into it).
 * A batch stops the turn's batching once less than 64 KB is left: at 1 MB, 50
 * clients' GETs of 100 KB ran 1 in 3 in the loop, the rest went through
 * JavaScript; at 8 MB all of them. Pages are touched only as big replies fill it.
 */
const TURN_REPLY = new Reply(8 * 1024 * 1024);
/** The turn's batch logs, one segment (batch.rs header and entries) per batch. */
const TURN_LOG = new Float64Array(5 + 16 * 1024 * 6);
/** EV_BATCH bits (reads.rs EVB_*). */
export const EVB_SPILLED = 1;
export const EVB_RECORDS = 2;
export const EVB_PANICKED = 4;
export const EVB_HELD = 8;
export const EVB_WAITED = 16;
/** The batch's script passed busy-reply-threshold: suspended, the owner takes it over (batch.ts accountLoop). */
export const EVB_SUSPENDED = 64;
/** Owners (servers) whose state refuses the loop's batches now: the process's word has WORD_BATCH only with none. */
let refusing = 0;
/** Every owner, for what the word says of them all (serverNeeds). */
const owners = new Set<NativeReads>();

/** The process's word and slow log threshold from every owner's state. */
function setWord(): void {
  let word = refusing === 0 ? WORD_BATCH : 0;
  let hold = true;
  let slowFrom = -1;
  let scripts = owners.size > 0;
  for (const o of owners) {
    if (!o.scripts) scripts = false;
    if (o.propagating) word |= WORD_PROPAGATING;
    if (!o.hold) hold = false;
    if (o.slowFrom >= 0 && (slowFrom < 0 || o.slowFrom < slowFrom)) slowFrom = o.slowFrom;
  }
  if (scripts) word |= WORD_SCRIPTS;
  FLAGS[0] = hold ? word | WORD_HOLD : word;
  FLAGS[1] = slowFrom;
}

/** One read the loop's batch path ran, or began: what the owner accounts for. */
export interface LoopBatch {
  /** The turn's reads (valid only during the turn's call; the log's offsets are into it): this one is input[at, at + length), the batch ran its first `consumed` bytes. */
  input: Buffer;
  at: number;
  length: number;
  consumed: number;
  log: Float64Array;
  /** Where its log segment starts in `log`. */
  logAt: number;
  /** Its replies: reply.buf[outStart, outEnd), of which `sent` bytes went out. */
  reply: Reply;
  outStart: number;
  outEnd: number;
  sent: number;
  bits: number;
  /** Date.now() for the turn (read once). */
  now: number;
}
const loopBatch: LoopBatch = { input: ARENA, at: 0, length: 0, consumed: 0, log: TURN_LOG, logAt: 0, reply: TURN_REPLY, outStart: 0, outEnd: 0, sent: 0, bits: 0, now: 0 };

export interface ReadOwner {
  /** A read the loop's batch path ran (the first `b.consumed` bytes): accounting, unsent replies. */
  onBatch(client: Client, b: LoopBatch): void;
  /** The turn's loop batches were all accounted (onBatch). */
  loopBatchesDone(): void;
  /** A script the loop runs for `client` crosses to JavaScript for the first time (scripting/bridge.ts makes its run). */
  onLoopCrossing(client: Client): void;
  /** The rest of a read the loop's batch path began (after every batch of the turn was accounted for). */
  onBatchRest(client: Client, rest: Buffer, nread: number): void;
  /** `nread` bytes of a command the loop holds (reads.rs, held.rs) came: the read's accounting; its big argument has `have` of its `bulk` bytes (and CRLF), the other arguments `argv` bytes. */
  onHeld(client: Client, nread: number, have: number, bulk: number, argv: number): void;
  /** A command the loop held, whole, which it could not run: its bytes (the client's own), `nread` of them read this turn. */
  onHeldTake(client: Client, command: Buffer, nread: number): void;
  /** A read's bytes, a view valid only during the call. */
  onData(client: Client, chunk: Buffer, transient: boolean): void;
  /** The peer closed its side (read returned 0). */
  onEnd(client: Client): void;
  /** Reading failed (ECONNRESET...). */
  onReadError(client: Client): void;
  /** The turn's reads are being handed on (true), or all were (false): replies may wait for the turn's end. */
  onTurnReads(handing: boolean): void;
}

interface ReadableHandle {
  readStop?: () => number;
  readStart?: () => number;
  /** Set by net.Socket when it starts the handle's reading (a LiteSocket's handle was never started). */
  reading?: boolean;
}

/** The addon reads for the whole process (one epoll set); each server owns its clients' slots. */
const slots: ({ client: Client; owner: ReadOwner } | undefined)[] = [];
/** The Buffer each slot's next read goes into (a big argument's rest), kept alive until that read. */
const targets: (Buffer | null)[] = [];
const free: number[] = [];
let started = false;

function onTurn(count: number): void {
  const ev = EVENTS;
  // First what the loop ran: those commands ran before anything of this call does.
  let rests = false;
  let others = false;
  let now = 0;
  for (let i = 0; i < count; i++) {
    const at = i * EVENT_FIELDS;
    if (ev[at + 1] !== EV_BATCH) {
      others = true;
      continue;
    }
    if (now === 0) now = Date.now();
    const entry = slots[ev[at]];
    if (entry === undefined || entry.client.closed) continue;
    const b = loopBatch;
    b.at = ev[at + 2];
    b.length = ev[at + 3];
    b.consumed = ev[at + 4];
    b.logAt = ev[at + 5];
    b.outStart = ev[at + 6];
    b.outEnd = ev[at + 7];
    b.sent = ev[at + 8];
    b.bits = ev[at + 9];
    b.now = now;
    entry.owner.onBatch(entry.client, b);
    if (b.consumed < b.length) rests = true;
  }
  for (const o of owners) o.loopBatchesDone();
  // Every read of the turn ran whole on the batch path (the usual turn under load): nothing else to hand on.
  if (!rests && !others) return;
  for (const o of owners) o.turnReads(true);
  try {
    handOn(count, rests);
  } finally {
    for (const o of owners) o.turnReads(false);
  }
}

/** The turn's reads the loop did not run whole, to their owners (onTurn's second pass). */
function handOn(count: number, rests: boolean): void {
  const ev = EVENTS;
  for (let i = 0; i < count; i++) {
    const at = i * EVENT_FIELDS;
    const slot = ev[at];
    const entry = slots[slot];
    if (entry === undefined || entry.client.closed) continue;
    const { client, owner } = entry;
    const kind = ev[at + 1];
    if (kind === EV_BATCH) {
      if (!rests || ev[at + 4] === ev[at + 3]) continue;
      owner.onBatchRest(client, ARENA.subarray(ev[at + 2] + ev[at + 4], ev[at + 2] + ev[at + 3]), ev[at + 3]);
      aim(client, slot);
    } else if (kind === EV_DATA) {
      owner.onData(client, ARENA.subarray(ev[at + 2], ev[at + 2] + ev[at + 3]), true);
      aim(client, slot);
    } else if (kind === EV_TARGET) {
      const into = targets[slot]!;
      targets[slot] = null;
      owner.onData(client, into.subarray(0, ev[at + 3]), true);
      aim(client, slot);
    } else if (kind === EV_HELD) owner.onHeld(client, ev[at + 3], ev[at + 2], ev[at + 4], ev[at + 5]);
    else if (kind === EV_HELD_TAKE) {
      const command = engine.io.readsTakeHeld(client.fd, slot);
      if (command !== null) owner.onHeldTake(client, command, ev[at + 3]);
      aim(client, slot);
    } else if (kind === EV_END) owner.onEnd(client);
    else owner.onReadError(client);
  }
}

/**
 * The read loop's batches of quiet turns (every byte ran there, every reply
 * went out, nothing propagates) wait to be counted with later ones in one call
 * (reads.rs Carry). Whatever reads what they count (a command, the cron,
 * closing a client, a test's look at the counters) settles them first.
 */
export function settleReads(): void {
  if (FLAGS[FLAG_WAITING] === 0) return;
  const count = engine.io.readsSettle();
  if (count > 0) onTurn(count);
}

/**
 * A script the loop runs crosses to JavaScript (in the middle of the turn):
 * its client's owner is told (onLoopCrossing). False when no loop batch runs.
 */
export function loopCrossing(): boolean {
  const entry = slots[FLAGS[FLAG_RUNNING] - 1];
  if (entry === undefined) return false;
  entry.owner.onLoopCrossing(entry.client);
  return true;
}

/** How many of the loop's events wait to be counted now (tests look). */
export function readsWaiting(): number {
  return FLAGS[FLAG_WAITING];
}

const NO_TARGET = Buffer.alloc(0);

/** While a big argument comes in, its next bytes are read straight into its Buffer (the parser's readTarget). */
function aim(client: Client, slot: number): void {
  if (client.readSlot !== slot) return;
  const into = client.parser.readTarget();
  if (into === null) {
    if (targets[slot] !== null) {
      targets[slot] = null;
      engine.io.readsTarget(client.fd, slot, NO_TARGET);
    }
    return;
  }
  targets[slot] = into;
  engine.io.readsTarget(client.fd, slot, into);
}

export class NativeReads {
  constructor(private readonly owner: ReadOwner) {
    owners.add(this);
  }

  /** Takes over reading `client`'s socket; false when it cannot (Node keeps reading it). */
  adopt(client: Client): boolean {
    const handle = (client.socket as unknown as { _handle?: ReadableHandle })._handle;
    if (client.fd < 0 || !handle || typeof handle.readStop !== "function" || typeof handle.readStart !== "function") return false;
    if (!started) {
      engine.io.readsStart(ARENA, Buffer.from(EVENTS.buffer), onTurn);
      engine.io.readsBatching(Buffer.from(FLAGS.buffer), TURN_REPLY.buf, Buffer.from(TURN_LOG.buffer));
      setWord();
      started = true;
    }
    const slot = free.pop() ?? slots.length;
    const reading = handle.reading === true;
    if (reading) handle.readStop();
    if (!engine.io.readsAdd(client.fd, slot)) {
      if (reading) handle.readStart();
      if (slot === slots.length) slots.push(undefined);
      free.push(slot);
      return false;
    }
    slots[slot] = { client, owner: this.owner };
    targets[slot] = null;
    if (slot < MAX_BATCH_SLOTS) FLAGS[FLAG_HEADER + slot * FLAG_FIELDS] = 0;
    client.readSlot = slot;
    return true;
  }

  /** Stops reading `client` (closed, or its socket about to be); the caller settled the loop's waiting events (closeClient): none of them may reach the slot's next client. */
  release(client: Client): void {
    const slot = client.readSlot;
    if (slot < 0) return;
    client.readSlot = -1;
    if (slot < MAX_BATCH_SLOTS) FLAGS[FLAG_HEADER + slot * FLAG_FIELDS] = 0;
    engine.io.readsRemove(client.fd, slot);
    slots[slot] = undefined;
    targets[slot] = null;
    free.push(slot);
  }

  /** After bytes of `client` came another way than the addon's reads: where its next read goes is worked out again. */
  reaim(client: Client): void {
    if (client.readSlot >= 0) aim(client, client.readSlot);
  }

  /** Whether this owner's state lets the loop run batches (the last word given to serverAllows). */
  private allows = true;

  /** The owner's state lets the loop's batch path run (or not): given when it may have changed. */
  serverAllows(on: boolean): void {
    if (on === this.allows) return;
    this.allows = on;
    refusing += on ? -1 : 1;
    setWord();
  }

  /** What the owner needs of commands the loop holds (held.rs): their bytes for propagation, for slow log entries from `slowFrom` µs (-1: none); `hold`: holding allowed. */
  propagating = false;
  hold = true;
  slowFrom = -1;
  /** Whether the owner lets the batch path run scripts now (batch.ts loopScripts). */
  scripts = false;
  serverNeeds(propagating: boolean, hold: boolean, slowFrom: number, scripts: boolean): void {
    if (propagating === this.propagating && hold === this.hold && slowFrom === this.slowFrom && scripts === this.scripts) return;
    this.propagating = propagating;
    this.hold = hold;
    this.slowFrom = slowFrom;
    this.scripts = scripts;
    setWord();
  }

  /** The turn's reads are handed to the owners (true), then all were (false). */
  turnReads(handing: boolean): void {
    this.owner.onTurnReads(handing);
  }

  /** The turn's loop batches were all accounted. */
  loopBatchesDone(): void {
    this.owner.loopBatchesDone();
  }

  /** The owner is gone (a closed server): its needs no longer count. */
  retire(): void {
    owners.delete(this);
    setWord();
  }

  /** Whether part of a command of `client` is held by the loop: its socket's later bytes must not be read elsewhere. */
  holding(client: Client): boolean {
    return client.readSlot >= 0 && engine.io.readsHolding(client.fd, client.readSlot);
  }

  /** Lets the loop run `client`'s reads (its db, RESP and NO-TOUCH with it), or stops it. */
  mark(client: Client, on: boolean): void {
    const slot = client.readSlot;
    if (slot < 0 || slot >= MAX_BATCH_SLOTS) return;
    const at = FLAG_HEADER + slot * FLAG_FIELDS;
    if (!on) {
      FLAGS[at] = 0;
      return;
    }
    FLAGS[at + 1] = client.db;
    FLAGS[at + 2] = client.resp;
    FLAGS[at + 3] = client.noTouch ? 1 : 0;
    FLAGS[at] = 1;
  }

  /** Whether the loop may run `client`'s reads now. */
  marked(client: Client): boolean {
    const slot = client.readSlot;
    return slot >= 0 && slot < MAX_BATCH_SLOTS && FLAGS[FLAG_HEADER + slot * FLAG_FIELDS] === 1;
  }

  /** Stops the loop's batches for every client of this owner (a change that may concern them all: ACL rules). */
  unmarkAll(clients: Iterable<Client>): void {
    for (const c of clients) this.mark(c, false);
  }

  /** Stops (output backs up) or restarts (it drained) reading `client`. */
  pause(client: Client, paused: boolean): void {
    if (client.readSlot < 0 || client.readStopped === paused) return;
    client.readStopped = paused;
    engine.io.readsPause(client.fd, client.readSlot, paused);
  }
}
