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

/**
 * Runs engine command `cmd` over `argv` in `db`, replying into `r`: 0 when the
 * reply (or Redis's error) is written, else the status code (Code.NIL,
 * Code.OK, Code.NIL_ARRAY, Code.BLOCK, ...) for the caller to answer.
 */
export function run(cmd: number, db: number, argv: Buffer[], r: Reply): number {
  const b = r.buf;
  const p = r.pos;
  const a = argv;
  // Spread as the call's own arguments up to 8 (one napi_get_cb_info reads them);
  // an array costs a napi_get_element per argument.
  let res: number;
  switch (a.length) {
    case 1: res = native.rawCommandArgs(cmd, db, b, p, a[0]); break;
    case 2: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1]); break;
    case 3: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2]); break;
    case 4: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2], a[3]); break;
    case 5: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2], a[3], a[4]); break;
    case 6: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2], a[3], a[4], a[5]); break;
    case 7: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2], a[3], a[4], a[5], a[6]); break;
    case 8: res = native.rawCommandArgs(cmd, db, b, p, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); break;
    default: res = native.rawCommand(cmd, db, a, b, p);
  }
  return land(r, res);
}
