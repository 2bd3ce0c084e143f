/**
 * Blocking commands (Redis's blocked.c): a client whose command would block
 * waits here until a key it waits on is ready, its timeout passes, or CLIENT
 * UNBLOCK. Skeleton: until the blocking machinery lands, a command that would
 * block answers as it does inside MULTI (a null array).
 */
import type { Ctx } from "../commands/types.js";

/** The engine answered Code.BLOCK for the command in `c`: block its client (or answer null where blocking is not allowed). */
export function blockOrAnswer(c: Ctx): void {
  c.r.nilArray();
}
