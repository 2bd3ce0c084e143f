/**
 * The state block shared with the engine (native/src/state.rs) and the drain
 * of its change record (native/src/changes.rs). The clock and NO-TOUCH go in,
 * the dirty count and the number of waiting records come out, all without a
 * native call: they are slots of one Float64Array the engine reads and writes.
 */
import { native } from "./addon.js";

const SLOTS = 10;
const NOW_MS = 0;
const DIRTY = 1;
const RECORDS = 2;
const LISTEN = 3;
const NO_TOUCH = 4;
const SCRIPTS = 5;
const RESP = 6;
const OBEY = 7;
const REPLICA_EXPIRY = 8;
const REPLY_CAP = 9;

/** What the engine records: key changes and events; also `keymiss` events. */
export const LISTEN_RECORD = 1;
export const LISTEN_KEYMISS = 2;
export const LISTEN_PROPAGATE = 4;
/** Without LISTEN_RECORD: the changes of the keys blocked clients and WATCH wait on (keys.setWaited) and tracking tracks (keys.setTracked, setTrackedPrefix) alone, and flushes and swaps. */
export const LISTEN_WAITED = 8;
/** The events of the notify-keyspace-events classes on alone (keys.setEventClasses), with their keys' changes. */
export const LISTEN_EVENTS = 16;

const slots = new Float64Array(SLOTS);
// Registered once for the life of the process; `slots` is never released.
native.engineRegisterState(Buffer.from(slots.buffer));

/** The clock (unix ms) the following commands see for expiry. */
export function setClock(nowMs: number): void {
  slots[NOW_MS] = nowMs;
}
/** CLIENT NO-TOUCH of the client about to run a command. */
export function setNoTouch(on: boolean): void {
  slots[NO_TOUCH] = on ? 1 : 0;
}
/**
 * Whether the batch path may run scripts (EVALSHA, FCALL) now, and
 * busy-reply-threshold (ms) for them (native/src/state.rs SCRIPTS).
 */
export function setBatchScripts(on: boolean, busyMs: number): void {
  slots[SCRIPTS] = on ? 1 + busyMs : 0;
}
/** Whether the commands about to run come from a client the server must obey (the AOF being loaded). */
export function setObey(on: boolean): void {
  slots[OBEY] = on ? 1 : 0;
}
/** The expiry mode replication asks for, and whether a pause holds expiry back. */
let replicaExpiry: 0 | 1 | 2 | 3 = 0;
let expiryPaused = false;

/** Expiry on a replica (native/src/state.rs REPLICA_EXPIRY): 0 a primary, 1 a read-only replica, 2 its primary's commands, 3 a writable replica. */
export function setReplicaExpiry(mode: 0 | 1 | 2 | 3): void {
  replicaExpiry = mode;
  writeExpiry();
}

/**
 * A write pause (CLIENT PAUSE, FAILOVER) holds expiry as Redis's PAUSE_ACTION_EXPIRE:
 * past-due keys read as missing but are not deleted (mode 1), except for a primary's
 * own commands on a replica.
 */
export function setExpiryPaused(on: boolean): void {
  expiryPaused = on;
  writeExpiry();
}

function writeExpiry(): void {
  slots[REPLICA_EXPIRY] = expiryPaused && replicaExpiry !== 2 ? 1 : replicaExpiry;
}
/** The RESP version of the client about to run a command: the engine writes replies in its shapes. */
/** The reply size past which commands replying in a loop stop (0: none): the running client's output limit (state.rs REPLY_CAP). */
export function setReplyCap(bytes: number): void {
  slots[REPLY_CAP] = bytes;
}

export function replyCap(): number {
  return slots[REPLY_CAP];
}

export function setResp(resp: 2 | 3): void {
  slots[RESP] = resp;
}
/** Changes since start (Redis's server.dirty). */
export function dirty(): number {
  return slots[DIRTY];
}
/** Counts `n` changes that are not in the keyspace (FUNCTION LOAD, DELETE, FLUSH, RESTORE: Redis's server.dirty++). */
export function addDirty(n: number): void {
  slots[DIRTY] += n;
}
/** Whether change records wait to be drained. */
export function hasRecords(): boolean {
  return slots[RECORDS] !== 0;
}
/** What the engine must record (LISTEN_* bits). */
export function setListen(bits: number): void {
  slots[LISTEN] = bits;
}

/** A keyspace event as Redis names it, with its notify-keyspace-events class letter. */
export interface EventInfo {
  type: string;
  name: string;
}
/** Every event the engine fires, by number. */
export const EVENTS: readonly EventInfo[] = native.engineEventTable().map((s) => ({ type: s[0], name: s.slice(1) }));
const NO_EVENT = 255;

export type Change =
  | { kind: "key"; db: number; key: Buffer; event: EventInfo | null; modified: boolean }
  | { kind: "flushed"; db: number }
  | { kind: "swapped"; a: number; b: number }
  /** What the command propagates in place of its argv (Keyspace::also_propagate). */
  | { kind: "propagate"; db: number; argv: Buffer[] };

/** Takes the waiting change records, oldest first. Keys are views of a fresh Buffer (safe to keep). */
export function takeChanges(): Change[] {
  const size = native.engineChangesBytes();
  const buf = Buffer.allocUnsafe(size);
  const n = native.engineTakeChanges(buf);
  const out: Change[] = [];
  for (let i = 0, pos = 0; i < n; i++) {
    const kind = buf[pos];
    const event = buf[pos + 1];
    const x = buf.readUInt32LE(pos + 4);
    const y = buf.readUInt32LE(pos + 8);
    pos += 12;
    if (kind <= 1) {
      out.push({ kind: "key", db: x, key: buf.subarray(pos, pos + y), event: event === NO_EVENT ? null : EVENTS[event], modified: kind === 1 });
      pos += y;
    } else if (kind === 2) out.push({ kind: "flushed", db: x | 0 });
    else if (kind === 3) out.push({ kind: "swapped", a: x, b: y });
    else {
      const argv: Buffer[] = new Array(y);
      for (let j = 0; j < y; j++) {
        const len = buf.readUInt32LE(pos);
        argv[j] = buf.subarray(pos + 4, pos + 4 + len);
        pos += 4 + len;
      }
      out.push({ kind: "propagate", db: x, argv });
    }
  }
  return out;
}
