/**
 * Node built-ins a plain server never needs at start-up, loaded on first use.
 * An ES import of node:crypto or node:child_process loads and compiles them
 * (and the modules they pull in) when the server starts: about 0.85 MB and
 * 0.7 MB of resident memory (V8's heap, the node binary's pages) that a
 * server without scripts, ACL passwords or sentinel scripts never used
 * (issue 7). `require` of a built-in is synchronous, so callers stay as they were.
 */
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

let crypto: typeof import("node:crypto") | undefined;
let childProcess: typeof import("node:child_process") | undefined;

/** node:crypto (hashes for scripts and ACL passwords). */
export function nodeCrypto(): typeof import("node:crypto") {
  return (crypto ??= require("node:crypto") as typeof import("node:crypto"));
}

/** node:child_process (daemonize, sentinel scripts). */
export function nodeChildProcess(): typeof import("node:child_process") {
  return (childProcess ??= require("node:child_process") as typeof import("node:child_process"));
}

/**
 * `bytes` random bytes as hex (run ids, replication ids, ACL GENPASS): read
 * from the kernel's generator as Redis does (/dev/urandom), so the ids every
 * server makes at start-up load no crypto; node:crypto where there is none.
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.allocUnsafe(bytes);
  let fd = -1;
  try {
    fd = fs.openSync("/dev/urandom", "r");
    let got = 0;
    while (got < bytes) got += fs.readSync(fd, buf, got, bytes - got, null);
  } catch {
    nodeCrypto().randomFillSync(buf);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  return buf.toString("hex");
}
