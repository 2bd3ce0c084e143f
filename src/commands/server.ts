/** Server commands: SHUTDOWN and TIME (INFO, COMMAND, DEBUG, SLOWLOG, LATENCY, MONITOR have their own modules). */
import type { CommandDef, Ctx } from "./types.js";
import { SYNTAX } from "./errors.js";
import { busy, scriptTime, SLOW_EVAL, SLOW_SCRIPT } from "../scripting/bridge.js";


/**
 * Saving on shutdown belongs to persistence; it registers here. Returns true
 * when the dataset was saved.
 */
export const shutdownHooks: {
  save?: (c: Ctx) => boolean;
  /** Before anything else (prepareForShutdown): a background save is killed. */
  prepare?: (server: Ctx["server"]) => void;
  /** The AOF: false while the first AOF is being written (SHUTDOWN fails unless FORCE). */
  mayStop?: (force: boolean) => boolean;
} = {};

function shutdown(c: Ctx): void {
  let save = false;
  let nosave = false;
  let now = false;
  let force = false;
  let abort = false;
  for (const a of c.argv.slice(1)) {
    const o = a.toString("latin1").toLowerCase();
    if (o === "nosave") nosave = true;
    else if (o === "save") save = true;
    else if (o === "now") now = true;
    else if (o === "force") force = true;
    else if (o === "abort") abort = true;
    else return c.r.error(SYNTAX);
  }
  if ((abort && (save || nosave || now || force)) || (save && nosave)) return c.r.error(SYNTAX);
  // Past busy-reply-threshold a script holds the server: only SHUTDOWN NOSAVE ends it.
  if (!nosave && busy.script !== null) return c.r.error(busy.script.isEval ? SLOW_EVAL : SLOW_SCRIPT);
  // A shutdown is immediate, but for one a signal asked for while the cron is paused (Redis's abortShutdown).
  if (abort) {
    if (c.server.pendingShutdown === null) return c.r.error("ERR No shutdown in progress.");
    c.server.pendingShutdown = null;
    c.server.log.notice("Shutdown manually aborted.");
    return c.r.ok();
  }
  if (!now && c.client.denyBlocking) {
    return c.r.error("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
  }
  const log = c.server.log;
  shutdownHooks.prepare?.(c.server); // a background save is killed first, as Redis's prepareForShutdown
  if (shutdownHooks.mayStop && !shutdownHooks.mayStop(force)) return c.r.error("ERR Errors trying to SHUTDOWN. Check logs.");
  const saveParams = c.server.config.get("save").trim() !== "";
  if (save || (saveParams && !nosave)) {
    if (shutdownHooks.save) {
      log.notice("Saving the final RDB snapshot before exiting.");
      if (!shutdownHooks.save(c) && !force) {
        log.warning("Error trying to save the DB, can't exit.");
        return c.r.error("ERR Errors trying to SHUTDOWN. Check logs.");
      }
    } else if (save && !force) {
      // An explicit SAVE cannot be honoured without persistence: refuse, as Redis does when saving fails.
      log.warning("Error trying to save the DB, can't exit. (this server has no RDB persistence yet)");
      return c.r.error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
  }
  c.server.shutdown();
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
