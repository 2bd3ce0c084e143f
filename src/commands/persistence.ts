/** SAVE, BGSAVE, LASTSAVE (src/persistence) and DUMP, RESTORE (the engine's RDB codec). */
import { rdbOf } from "../persistence/index.js";
import { persistence } from "../engine/index.js";
import { engineHandler } from "./engine-command.js";
import { SYNTAX } from "./errors.js";
import type { CommandDef, Ctx } from "./types.js";

function save(c: Ctx): void {
  const rdb = rdbOf(c.server);
  if (rdb.child.kind === "rdb") return c.r.error("ERR Background save already in progress");
  rdb.saves++;
  if (rdb.saveSync()) c.r.ok();
  else c.r.error("ERR");
}

function bgsave(c: Ctx): void {
  let schedule = false;
  if (c.argv.length > 1) {
    if (c.argv.length === 2 && c.argv[1].toString("latin1").toLowerCase() === "schedule") schedule = true;
    else return c.r.error(SYNTAX);
  }
  const rdb = rdbOf(c.server);
  // Inside EXEC (a nested call) a fork waits for the cron, as Redis's in_exec.
  const inExec = c.server.writePath.depth > 1;
  if (rdb.child.kind === "rdb") return c.r.error("ERR Background save already in progress");
  if (rdb.child.active() || inExec) {
    if (schedule || inExec) {
      rdb.bgsaveScheduled = true;
      return c.r.simple("Background saving scheduled");
    }
    return c.r.error(
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
  }
  if (rdb.bgsave()) c.r.simple("Background saving started");
  else c.r.error("ERR");
}

const restoreEngine = engineHandler("restore");

/** RESTORE runs in the engine; a bad payload's reason goes to the log, as Redis's rdbReportCorruptRDB. */
function restore(c: Ctx): void {
  restoreEngine(c);
  const why = persistence.takeRestoreError();
  if (why !== null) c.server.log.warning(`Internal error in RDB reading offset 0, function at rdb.c:0 -> ${why}`);
}

export const persistenceCommands: CommandDef[] = [
  { name: "save", arity: 1, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: save },
  { name: "bgsave", arity: -1, flags: "no_async_loading admin noscript", acl: "admin slow dangerous", handler: bgsave },
  {
    name: "lastsave",
    arity: 1,
    flags: "loading stale fast",
    acl: "admin fast dangerous",
    tips: "nondeterministic_output",
    handler: (c) => c.r.int(rdbOf(c.server).lastSave),
  },
  {
    name: "dump",
    arity: 2,
    flags: "readonly",
    keys: [1, 1, 1],
    acl: "keyspace read slow",
    tips: "nondeterministic_output",
    handler: engineHandler("dump"),
  },
  {
    name: "restore",
    arity: -4,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keyFlags: "OW update",
    acl: "keyspace write slow dangerous",
    handler: restore,
  },
];
