/**
 * The batch path's binding (native/src/batch.rs): the registered commands at
 * the start of a client's input run in one native call, and a log (one
 * Float64Array shared with the engine) says what ran.
 */
import { native } from "./addon.js";
import { Code } from "./codes.js";
import { land } from "./land.js";
import type { Reply } from "../protocol/reply.js";

/** Commands one call may run (and log) at most. */
const LOG_CAP = 512;
/** Header slots (batch.rs LOG_*): commands run, where input and output stopped, a spilled reply, may go on, a suspended script. */
const COUNT = 0;
const IN = 1;
const OUT = 2;
const SPILLED = 3;
const AGAIN = 4;
const SUSPENDED = 5;
const LOG_HEADER = 6;
/**
 * Per command: registration index, µs, input start, input end, reply start,
 * changes made (for a script: where its commands end in the direct log times
 * 2, plus 1 when its error reply was counted already).
 */
export const LOG_FIELDS = 6;

/** The log; entry i of the last batch starts at `LOG_HEADER + i * LOG_FIELDS`. */
export const log = new Float64Array(LOG_HEADER + LOG_CAP * LOG_FIELDS);
// Registered once for the life of the process; `log` is never released.
native.engineRegisterBatchLog(Buffer.from(log.buffer));

/** Where the fields of the `i`-th command of the last batch start in `log`. */
export function entry(i: number): number {
  return LOG_HEADER + i * LOG_FIELDS;
}

/** What a name in the batch table is: an engine command, or MULTI / EXEC (whole transactions of them run there). */
export const KIND_COMMAND: number = native.BATCH_KIND_COMMAND;
export const KIND_MULTI: number = native.BATCH_KIND_MULTI;
export const KIND_EXEC: number = native.BATCH_KIND_EXEC;
/** An engine command that serves now or would block (XREAD, XREADGROUP): run there while nothing propagates, else by its handler. */
export const KIND_SERVE_OR_BLOCK: number = native.BATCH_KIND_SERVE_OR_BLOCK;

/** PUBLISH: answered there with its receivers' count (channel and patterns); the message is delivered (and propagated) from the log. */
export const KIND_PUBLISH: number = native.BATCH_KIND_PUBLISH;

/**
 * EVALSHA, EVALSHA_RO, FCALL, FCALL_RO (ids SCRIPT_*): scripts registered with
 * scripting.batchRegister run there while the state block says scripts may
 * (state.setBatchScripts); in the read loop's batches only as a read's one
 * command, while its word allows (native-reads.ts WORD_SCRIPTS).
 */
export const KIND_SCRIPT: number = native.BATCH_KIND_SCRIPT;
export const SCRIPT_EVALSHA: number = native.BATCH_SCRIPT_EVALSHA;
export const SCRIPT_EVALSHA_RO: number = native.BATCH_SCRIPT_EVALSHA_RO;
export const SCRIPT_FCALL: number = native.BATCH_SCRIPT_FCALL;
export const SCRIPT_FCALL_RO: number = native.BATCH_SCRIPT_FCALL_RO;

/** What PUBLISH on the batch path counts (native/src/pubsub.rs): `channel` has `clients` subscribers now (0: none). */
export function setChannelSubscribers(channel: Buffer, clients: number): void {
  native.enginePubsubChannel(channel, clients);
}

/** What PUBLISH on the batch path counts: `pattern` has `clients` subscribers now (0: none). */
export function setPatternSubscribers(pattern: Buffer, clients: number): void {
  native.enginePubsubPattern(pattern, clients);
}

/** Registers what the batch path may run: the names clients use, engine command ids (0 for MULTI/EXEC), arities, kinds. */
export function setTable(names: string[], ids: number[], arities: number[], kinds: number[]): void {
  native.engineBatchTable(names, ids, arities, kinds);
}

/**
 * Runs the registered commands at the start of `input[from..]` in `db`,
 * replying into `r` (up to `limit` bytes, a reply past that spills and is
 * landed here). `ran()` says how many ran, `stoppedAt()` where the input stopped.
 * A native panic is thrown after the log has recorded the commands that ran
 * before it, and `r.pos` covers their replies.
 */
export function run(db: number, input: Buffer, from: number, r: Reply, limit: number): void {
  try {
    native.rawRunBatch(db, input, from, r.buf, r.pos, limit);
  } finally {
    r.pos = log[OUT];
    if (log[SPILLED] !== 0) land(r, Code.NOSPACE); // the last reply waits in the overflow area
  }
}

/** How many commands the last batch ran (also when it ended in a native panic). */
export function ran(): number {
  return log[COUNT];
}

/** The input offset where the last batch stopped. */
export function stoppedAt(): number {
  return log[IN];
}

/** Where the script command the last batch ended with, suspended past busy-reply-threshold, starts in the input (it ends at stoppedAt()); -1: none. */
export function suspendedAt(): number {
  return log[SUSPENDED] - 1;
}

/** A log segment at `at` of the read loop's turn log whose script was suspended: where its command is in the turn's reads [start, end); null if none was. */
export function suspendedIn(turnLog: Float64Array, at: number): [number, number] | null {
  return turnLog[at + SUSPENDED] > 0 ? [turnLog[at + SUSPENDED] - 1, turnLog[at + IN]] : null;
}

/** Whether the last batch stopped before a command it could run (the next call may go on at once). */
export function mayGoOn(): boolean {
  return log[AGAIN] !== 0;
}
