/** Server commands: SHUTDOWN and TIME (INFO, COMMAND, DEBUG, SLOWLOG, LATENCY, MONITOR have their own modules). */
import type { CommandDef, Ctx } from "./types.js";
import { SYNTAX } from "./errors.js";
import { busy, scriptTime, SLOW_EVAL, SLOW_SCRIPT } from "../scripting/bridge.js";
import { abortShutdown, requestShutdown, SHUTDOWN_FAILED } from "../server/shutdown.js";


function shutdown(c: Ctx): void {
  const flags = { save: false, nosave: false, now: false, force: false };
  let abort = false;
  for (const a of c.argv.slice(1)) {
    const o = a.toString("latin1").toLowerCase();
    if (o === "nosave") flags.nosave = true;
    else if (o === "save") flags.save = true;
    else if (o === "now") flags.now = true;
    else if (o === "force") flags.force = true;
    else if (o === "abort") abort = true;
    else return c.r.error(SYNTAX);
  }
  if ((abort && (flags.save || flags.nosave || flags.now || flags.force)) || (flags.save && flags.nosave)) return c.r.error(SYNTAX);
  if (abort) return abortShutdown(c.server) ? c.r.ok() : c.r.error("ERR No shutdown in progress.");
  if (!flags.now && c.client.denyBlocking) {
    return c.r.error("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
  }
  // Past busy-reply-threshold a script holds the server: only SHUTDOWN NOSAVE ends it.
  if (!flags.nosave && busy.script !== null) return c.r.error(busy.script.isEval ? SLOW_EVAL : SLOW_SCRIPT);
  // "waiting": the caller is blocked until the shutdown finishes or fails (src/server/shutdown.ts).
  if (requestShutdown(c.server, flags, false, c.client) === "failed") c.r.error(SHUTDOWN_FAILED);
}

export const serverCommands: CommandDef[] = [
  {
    name: "shutdown",
    arity: -1,
    flags: "admin noscript loading stale no_multi allow_busy",
    acl: "admin slow dangerous",
    handler: shutdown,
  },
  {
    name: "time",
    arity: 1,
    flags: "loading stale fast",
    acl: "fast",
    tips: "nondeterministic_output",
    handler: (c) => {
      // Inside a script the time stands still, as in Redis (the script's start).
      const us = scriptTime.us || Math.floor((performance.timeOrigin + performance.now()) * 1000);
      c.r.bulks([String(Math.floor(us / 1e6)), String(us % 1e6)]);
    },
  },
];
