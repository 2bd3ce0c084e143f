/** Socket output through the addon (native/src/api/io.rs). */
import { native } from "./addon.js";

/** Sends `data` on socket `fd` without blocking: bytes sent, 0 when the socket is full, -errno on an error. */
export function writeFd(fd: number, data: Uint8Array): number {
  return native.rawWriteFd(fd, data) as number;
}
