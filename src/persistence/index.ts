/**
 * Persistence wired into the server: the RDB state per server, its cron,
 * SHUTDOWN's and DEBUG RELOAD's hooks, INFO's fields and -MISCONF.
 */
import { infoProviders, persistenceExtras } from "../commands/info.js";
import { requestShutdown, shutdownHooks, signalFlags } from "../server/shutdown.js";
import { debugHooks } from "../commands/debug.js";
import { persistence as native } from "../engine/index.js";
import type { Server } from "../server/server.js";
import { BackgroundChild } from "./child.js";
import { addLatencySample } from "../commands/latency.js";
import { Rdb } from "./rdb.js";
import { Backups } from "./backup.js";
import { loadingSources } from "./loading.js";

export { Rdb, functionHooks } from "./rdb.js";
export { BackgroundChild } from "./child.js";

const rdbs = new WeakMap<Server, Rdb>();
loadingSources.push((s) => rdbs.get(s)?.progress ?? null);

/** The RDB state of `server`. */
export function rdbOf(server: Server): Rdb {
  let r = rdbs.get(server);
  if (!r) {
    // Each fork's time goes to LATENCY as the "fork" event, as Redis's redisFork records it.
    r = new Rdb(server, new BackgroundChild((usec) => addLatencySample(server, "fork", usec / 1000)));
    rdbs.set(server, r);
  }
  return r;
}

const backups = new WeakMap<Server, Backups>();

/** The scheduled backups of `server`. */
export function backupsOf(server: Server): Backups {
  let b = backups.get(server);
  if (!b) {
    b = new Backups(server, rdbOf(server));
    backups.set(server, b);
  }
  return b;
}

/** Sets a server up for persistence (its constructor calls this). */
export function installPersistence(server: Server): void {
  const rdb = rdbOf(server);
  server.cronHooks.push(() => rdb.cron());
  const b = backupsOf(server);
  server.cronHooks.push(() => b.cron());
  server.cronHooks.push(() => native.migrateCloseTimedOut());
}

/** -MISCONF's text (Redis's shared.bgsaveerr). */
export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** Whether writes are refused now (dispatch asks before a write or PING). */
export function writesDenied(server: Server): boolean {
  const r = rdbs.get(server);
  return r !== undefined && r.writesDenied();
}

/**
 * After FLUSHALL (flushAllDataAndResetRDB): a running background save is
 * killed, and with save rules the empty dataset is saved at once.
 */
export function afterFlushAll(server: Server): void {
  const rdb = rdbOf(server);
  if (rdb.child.kind === "rdb") rdb.child.kill();
  if (server.config.get("save").trim() !== "") rdb.saveSync();
}

/** Before exiting (prepareForShutdown): a running background save is killed. */
function killSaveChild(server: Server): void {
  const rdb = rdbOf(server);
  if (rdb.child.kind === "rdb") {
    server.log.warning("There is a child saving an .rdb. Killing it!");
    rdb.child.kill();
  } else if (rdb.child.kind === "backup") {
    server.log.warning("There is a child writing a backup. Killing it!");
    rdb.child.kill();
  }
}
shutdownHooks.killChildren = killSaveChild;
// SHUTDOWN [SAVE], or a signal: a synchronous save (a second SIGINT ends a signal's).
shutdownHooks.save = (server, bySignal) => rdbOf(server).saveSync(bySignal);

/**
 * SIGTERM / SIGINT (shutdown-on-sigterm / -sigint: default, save, nosave, now,
 * force): the shutdown sequence as SHUTDOWN's, waiting for lagging replicas
 * unless "now": "exit", "waiting" (for the replicas) or "failed" (the server keeps running).
 */
export function prepareSignalShutdown(server: Server, flags: string): "exit" | "waiting" | "failed" {
  return requestShutdown(server, signalFlags(flags), true, null);
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE].
debugHooks.reload = (c, opts) => {
  const rdb = rdbOf(c.server);
  if (opts.save && !rdb.saveSync()) return c.r.error("ERR");
  const how = opts.flush ? native.Install.Replace : opts.merge ? native.Install.MergeReplacing : native.Install.Merge;
  try {
    rdb.load(rdb.file(), how);
  } catch (e) {
    Rdb.loadFailure(c.server.log, (e as Error).message);
    return c.r.error("ERR Error trying to load the RDB dump, check server logs.");
  }
  c.server.log.notice("DB reloaded by DEBUG RELOAD");
  return c.r.ok();
};

persistenceExtras.push((s) => backupsOf(s).info());

const unixSecs = () => Math.floor(Date.now() / 1000);
infoProviders.set("rdb_bgsave_in_progress", (s) => (rdbOf(s).child.kind === "rdb" ? 1 : 0));
infoProviders.set("rdb_last_save_time", (s) => rdbOf(s).lastSave);
infoProviders.set("rdb_last_bgsave_status", (s) => (rdbOf(s).lastBgsaveOk ? "ok" : "err"));
infoProviders.set("rdb_last_bgsave_time_sec", (s) => rdbOf(s).lastBgsaveTimeSec);
infoProviders.set("rdb_current_bgsave_time_sec", (s) => {
  const c = rdbOf(s).child;
  return c.kind === "rdb" ? unixSecs() - Math.floor(c.startedAt / 1000) : -1;
});
infoProviders.set("rdb_saves", (s) => rdbOf(s).saves);
infoProviders.set("rdb_last_cow_size", (s) => rdbOf(s).lastCowSize);
infoProviders.set("rdb_last_load_keys_expired", (s) => rdbOf(s).lastLoadKeysExpired);
infoProviders.set("rdb_last_load_keys_loaded", (s) => rdbOf(s).lastLoadKeysLoaded);
infoProviders.set("current_cow_peak", (s) => rdbOf(s).child.current().peak);
infoProviders.set("current_cow_size", (s) => rdbOf(s).child.current().cow);
infoProviders.set("current_cow_size_age", (s) => rdbOf(s).child.current().age);
infoProviders.set("current_save_keys_processed", (s) => rdbOf(s).child.current().keys);
infoProviders.set("current_save_keys_total", (s) => rdbOf(s).child.current().total);
infoProviders.set("current_fork_perc", (s) => {
  const c = rdbOf(s).child.current();
  return (c.total > 0 ? (c.keys / c.total) * 100 : 0).toFixed(2);
});
infoProviders.set("latest_fork_usec", (s) => rdbOf(s).child.latestForkUsec);
infoProviders.set("total_forks", (s) => rdbOf(s).child.totalForks);
