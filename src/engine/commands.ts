/**
 * The engine's command table (native/src/command.rs): data-type commands whose
 * whole semantics run in Rust over the client's argv, by number.
 */
import { native } from "./addon.js";
import { land } from "./land.js";
import type { Reply } from "../protocol/reply.js";

const IDS = new Map<string, number>(native.engineCommandNames().map((name, i) => [name, i]));

/** The engine's number for command `name` (lowercase); throws when the engine has no such command. */
export function id(name: string): number {
  const i = IDS.get(name);
  if (i === undefined) throw new Error(`the engine has no command '${name}'`);
  return i;
}

/** Whether the engine runs command `name`. */
export function has(name: string): boolean {
  return IDS.has(name);
}

/**
 * Runs engine command `cmd` over `argv` in `db`, replying into `r`: 0 when the
 * reply (or Redis's error) is written, else the status code (Code.NIL,
 * Code.OK, Code.NIL_ARRAY, Code.BLOCK, ...) for the caller to answer.
 */
export function run(cmd: number, db: number, argv: Buffer[], r: Reply): number {
  return land(r, native.rawCommand(cmd, db, argv, r.buf, r.pos));
}
