/** SAVE, BGSAVE, LASTSAVE (src/persistence) and DUMP, RESTORE (the engine's RDB codec). */
import { backupsOf, rdbOf } from "../persistence/index.js";
import { logCorruptRdb } from "../persistence/rdb-reason.js";
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

/** BACKUP: a backup into backup-dir now (Nodis's; see src/persistence/backup.ts). */
function backup(c: Ctx): void {
  const b = backupsOf(c.server);
  if (b.dir() === "") return c.r.error("ERR Backups are off: set backup-dir first");
  if (rdbOf(c.server).child.active()) return c.r.error("ERR Another child process is active: can't start a backup right now");
  const why = b.start();
  if (why !== null) return c.r.error(`ERR Backup failed: ${why}, check the server log`);
  c.r.simple("Background backup started");
}

const restoreEngine = engineHandler("restore");

/** RESTORE runs in the engine; a bad payload's reason goes to the log, as Redis's rdbReportCorruptRDB. */
function restore(c: Ctx): void {
  // Deep sanitization: always under `yes`, under `clients` for normal clients whose ACL user
  // lacks skip-sanitize-payload; under `no` (the default) a stream's entries are not checked (Redis's shallow check).
  const mode = c.server.config.get("sanitize-dump-payload");
  const skip = c.client.user.flags.has("skip-sanitize-payload"); // the AOF and master clients' superuser has it
  persistence.setRestoreDeep(mode === "yes" || (mode === "clients" && !skip));
  restoreEngine(c);
  const why = persistence.takeRestoreError();
  if (why !== null) logCorruptRdb(c.server.log, why);
}

const migrateEngine = engineHandler("migrate");

/** MIGRATE's keys (Redis's migrateGetKeys): the key argument, or those after KEYS. */
function migrateKeys(argv: Buffer[]): number[] {
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  for (let i = 6; i < argv.length; i++) {
    const w = argv[i].toString("latin1").toLowerCase();
    if (w === "keys") {
      if (argv[3].length > 0) return [];
      return Array.from({ length: argv.length - i - 1 }, (_, n) => i + 1 + n);
    }
    i += skip[w] ?? 0;
  }
  return [3];
}

const MIGRATE_KEY_FLAGS = ["RW", "access", "delete"];

export const persistenceCommands: CommandDef[] = [
  { name: "save", arity: 1, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: save },
  { name: "bgsave", arity: -1, flags: "no_async_loading admin noscript", acl: "admin slow dangerous", handler: bgsave },
  {
    name: "backup",
    arity: 1,
    flags: "no_async_loading admin noscript",
    acl: "admin slow dangerous",
    docs: {
      group: "server",
      summary: "Writes a timestamped, checksummed RDB snapshot into backup-dir in the background (Nodis).",
      since: "7.2.0",
      complexity: "O(1) to start; the snapshot is O(N) in a child process.",
    },
    handler: backup,
  },
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
  {
    // Redis's cluster sources send RESTORE-ASKING; outside a cluster it is RESTORE.
    name: "restore-asking",
    arity: -4,
    flags: "write denyoom asking",
    keys: [1, 1, 1],
    keyFlags: "OW update",
    acl: "keyspace write slow dangerous",
    handler: restore,
  },
  {
    // Blocks the server while it talks to the target, as Redis's does (a
    // handler of its own, so the batch path never takes it).
    name: "migrate",
    arity: -6,
    flags: "write",
    keys: [3, 3, 1],
    acl: "keyspace write slow dangerous",
    tips: "nondeterministic_output",
    keySpecs: [
      { flags: MIGRATE_KEY_FLAGS, begin: { index: 3 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
      { flags: [...MIGRATE_KEY_FLAGS, "incomplete"], begin: { keyword: "KEYS", startfrom: -2 }, find: { lastkey: -1, keystep: 1, limit: 0 } },
    ],
    getKeys: migrateKeys,
    handler: (c) => migrateEngine(c),
  },
];
