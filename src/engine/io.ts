/** Client sockets through the addon: replies sent (native/src/api/io.rs) and reads (native/src/api/reads.rs). */
import { native } from "./addon.js";

/** Sends `data` on socket `fd` without blocking: bytes sent, 0 when the socket is full, -errno on an error. */
export function writeFd(fd: number, data: Uint8Array): number {
  return native.rawWriteFd(fd, data) as number;
}

/** TCP keepalive on socket `fd` as Redis sets it (tcp-keepalive `interval` seconds, probes every interval / 3, three of them): false when the socket refused it. */
export function socketKeepAlive(fd: number, interval: number): boolean {
  return native.socketKeepAlive(fd, interval);
}

/** Starts the addon's reading of client sockets (native/src/api/reads.rs). */
export function readsStart(arena: Buffer, events: Buffer, onTurn: (count: number) => void): void {
  native.readsStart(arena, events, onTurn);
}
/** Starts the batch path in the read loop: the flag block, the reply arena, the turn log (reads.rs reads_batching). */
export function readsBatching(flags: Buffer, out: Buffer, log: Buffer): void {
  native.readsBatching(flags, out, log);
}
/** Watches socket `fd` for client `slot`: false when it cannot (Node reads it then). */
export function readsAdd(fd: number, slot: number): boolean {
  return native.readsAdd(fd, slot);
}
/** Stops or restarts reading socket `fd` of client `slot`. */
export function readsPause(fd: number, slot: number, paused: boolean): void {
  native.readsPause(fd, slot, paused);
}
/** Stops watching socket `fd` of client `slot` (before Node closes it). */
export function readsRemove(fd: number, slot: number): void {
  native.readsRemove(fd, slot);
}
/** The next read of socket `fd` (client `slot`) goes into `target` (kept alive by the caller until then). */
export function readsTarget(fd: number, slot: number, target: Buffer): void {
  native.readsTarget(fd, slot, target);
}
/** The command the read loop held for socket `fd` (client `slot`), whole, for the usual way to run (reads.rs reads_take_held); null: none. */
export function readsTakeHeld(fd: number, slot: number): Buffer | null {
  return native.readsTakeHeld(fd, slot) ?? null;
}
/** The events of quiet turns still waiting for JavaScript, taken now: how many (the caller hands them on; reads.rs reads_settle). */
export function readsSettle(): number {
  return native.readsSettle();
}
/** Whether the read loop holds part of a command of socket `fd` (client `slot`). */
export function readsHolding(fd: number, slot: number): boolean {
  return native.readsHolding(fd, slot);
}
