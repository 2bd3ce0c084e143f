/**
 * Client sockets read by the addon (native/src/api/reads.rs) instead of Node's
 * stream layer: one JavaScript call per event-loop turn carries every read of
 * the turn, where Node makes one C++-to-JS callback per read. Node keeps the
 * socket for everything else (writes, 'drain', close); it just never reads it.
 *
 * A turn's reads land in one shared arena, valid only during the call: the
 * server gets each as a transient view (the parser copies what it keeps).
 */
import * as engine from "../engine/index.js";
import type { Client } from "./client.js";

/** A turn's reads: at most 64 reads of 16 KB (a full arena leaves the rest for the next turn). */
const ARENA = Buffer.allocUnsafeSlow(1024 * 1024);
/** Events of a turn: slot, kind, offset or errno, length. */
const EVENT_FIELDS = 4;
const EVENTS = new Uint32Array(256 * EVENT_FIELDS);
const EV_DATA = 0;
const EV_END = 1;
const EV_TARGET = 3;

export interface ReadOwner {
  /** A read's bytes, a view valid only during the call. */
  onData(client: Client, chunk: Buffer, transient: boolean): void;
  /** The peer closed its side (read returned 0). */
  onEnd(client: Client): void;
  /** Reading failed (ECONNRESET...). */
  onReadError(client: Client): void;
}

interface ReadableHandle {
  readStop?: () => number;
  readStart?: () => number;
}

/** The addon reads for the whole process (one epoll set); each server owns its clients' slots. */
const slots: ({ client: Client; owner: ReadOwner } | undefined)[] = [];
/** The Buffer each slot's next read goes into (a big argument's rest), kept alive until that read. */
const targets: (Buffer | null)[] = [];
const free: number[] = [];
let started = false;

function onTurn(count: number): void {
  const ev = EVENTS;
  for (let i = 0; i < count; i++) {
    const at = i * EVENT_FIELDS;
    const slot = ev[at];
    const entry = slots[slot];
    if (entry === undefined || entry.client.closed) continue;
    const { client, owner } = entry;
    const kind = ev[at + 1];
    if (kind === EV_DATA) {
      owner.onData(client, ARENA.subarray(ev[at + 2], ev[at + 2] + ev[at + 3]), true);
      aim(client, slot);
    } else if (kind === EV_TARGET) {
      const into = targets[slot]!;
      targets[slot] = null;
      owner.onData(client, into.subarray(0, ev[at + 3]), true);
      aim(client, slot);
    } else if (kind === EV_END) owner.onEnd(client);
    else owner.onReadError(client);
  }
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
  constructor(private readonly owner: ReadOwner) {}

  /** Takes over reading `client`'s socket; false when it cannot (Node keeps reading it). */
  adopt(client: Client): boolean {
    const handle = (client.socket as unknown as { _handle?: ReadableHandle })._handle;
    if (client.fd < 0 || !handle || typeof handle.readStop !== "function" || typeof handle.readStart !== "function") return false;
    if (!started) {
      engine.io.readsStart(ARENA, Buffer.from(EVENTS.buffer), onTurn);
      started = true;
    }
    const slot = free.pop() ?? slots.length;
    handle.readStop();
    if (!engine.io.readsAdd(client.fd, slot)) {
      handle.readStart();
      if (slot === slots.length) slots.push(undefined);
      free.push(slot);
      return false;
    }
    slots[slot] = { client, owner: this.owner };
    targets[slot] = null;
    client.readSlot = slot;
    return true;
  }

  /** Stops reading `client` (closed, or its socket about to be). */
  release(client: Client): void {
    const slot = client.readSlot;
    if (slot < 0) return;
    client.readSlot = -1;
    engine.io.readsRemove(client.fd, slot);
    slots[slot] = undefined;
    targets[slot] = null;
    free.push(slot);
  }

  /** After bytes of `client` came another way than the addon's reads: where its next read goes is worked out again. */
  reaim(client: Client): void {
    if (client.readSlot >= 0) aim(client, client.readSlot);
  }

  /** Stops (output backs up) or restarts (it drained) reading `client`. */
  pause(client: Client, paused: boolean): void {
    if (client.readSlot < 0 || client.readStopped === paused) return;
    client.readStopped = paused;
    engine.io.readsPause(client.fd, paused);
  }
}
