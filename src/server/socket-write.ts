/**
 * Reply bytes to a client's socket. Node's socket.write costs a Writable state
 * update, a WriteWrap object and a completion tick per write; at one command
 * per read (-P 1) that is a good part of the request's CPU. So while Node holds
 * nothing queued for the socket, the addon sends the bytes itself with one
 * send(2); only what the kernel does not take at once (or an error) goes
 * through socket.write, which then queues it, emits 'drain' and reports errors
 * as usual. Bytes stay in order: nothing is sent directly while Node has some queued.
 */
import type { ClientSocket } from "./lite-socket.js";
import * as engine from "../engine/index.js";

let socketWrites = 0;

/** Writes made by sendTo in this process (tests check that a pipeline's replies go out in one). */
export function socketWriteCount(): number {
  return socketWrites;
}

/** Writes `out` to `socket` (whose descriptor is `fd`, -1 if unknown): socket.write's answer, false once backed up. */
export function sendTo(socket: ClientSocket, fd: number, out: Buffer): boolean {
  socketWrites++;
  if (fd >= 0 && socket.writableLength === 0 && socket.writable) {
    const rest = sendNow(fd, out);
    if (rest === null) return true;
    out = rest;
  }
  return socket.write(out);
}

/** One send(2) of `out` on `fd` without blocking: null when all of it went, else what is left (all of it after an error). */
export function sendNow(fd: number, out: Buffer): Buffer | null {
  const n = engine.io.writeFd(fd, out);
  if (n === out.length) return null;
  return n > 0 ? out.subarray(n) : out;
}
