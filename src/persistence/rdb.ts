/**
 * RDB snapshots (Redis's rdb.c around the codec): SAVE, BGSAVE in a forked
 * child, the `save` rules, loading at start and DEBUG RELOAD, and the state
 * INFO persistence reports. The file format is the addon's (native/src/rdb).
 */
import fs from "node:fs";
import path from "node:path";
import { keys, persistence as native, server as engineServer } from "../engine/index.js";
import { REDIS_VERSION } from "../version.js";
import type { Server } from "../server/server.js";
import { BackgroundChild } from "./child.js";
import { logCorruptRdb } from "./rdb-reason.js";
import type { LoadProgress } from "./loading.js";

/** How often the start-up load's thread is checked on (ms). */
const LOAD_POLL_MS = 2;

/** Seconds before a failed BGSAVE is retried by the save rules (CONFIG_BGSAVE_RETRY_DELAY). */
const BGSAVE_RETRY_DELAY = 5;

/**
 * Replication's AUX fields (repl-stream-db, repl-id, repl-offset: Redis's
 * rdbPopulateSaveInfo), set by src/replication: a restarted server continues
 * its replication history from them.
 */
export const replicationAux: { fields: (() => string[]) | null; loadedAtStart: ((server: Server, aux: Buffer[]) => void) | null } = {
  fields: null,
  loadedAtStart: null,
};

/** Function libraries go into snapshots through these (the scripting engine sets them). */
/**
 * The function libraries in snapshots: `dump` gives every library's code;
 * `restore` loads a snapshot's libraries as rdbLoad does with `how` (Replace:
 * the libraries there were went with the dataset; Merge: one already loaded
 * fails the load; MergeReplacing: it is replaced).
 */
export const functionHooks: { dump?: () => Buffer[]; restore?: (code: Buffer[], how: native.Install) => void } = {};

export class Rdb {
  /** Unix seconds of the last successful save (LASTSAVE). */
  lastSave: number;
  lastBgsaveOk = true;
  /** Unix seconds of the last BGSAVE attempt. */
  lastBgsaveTry = 0;
  lastBgsaveTimeSec = -1;
  saves = 0;
  lastCowSize = 0;
  bgsaveScheduled = false;
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;
  /** The AUX fields of the file loaded at start (replication continues from its repl-id), null when none was. */
  startAux: Buffer[] | null = null;
  /** The keys the file loaded at start held already expired (a primary's backlog gets their DELs), until taken. */
  startExpired: { dbs: number[]; keys: Buffer[] } | null = null;
  /** The dirty count when the running BGSAVE started. */
  private dirtyBeforeBgsave = 0;

  constructor(
    private readonly server: Server,
    readonly child: BackgroundChild,
  ) {
    this.lastSave = Math.floor(server.startedAt / 1000);
  }

  /** The file SAVE writes and start-up loads (dbfilename, relative to dir, the cwd). */
  file(): string {
    return this.server.config.get("dbfilename");
  }

  /** The AUX fields of a snapshot, name, value, ... (an AOF base file sets aof-base). */
  auxFields(aofBase: boolean): string[] {
    return [
      "redis-ver", REDIS_VERSION,
      "redis-bits", "64",
      "ctime", String(Math.floor(Date.now() / 1000)),
      "used-mem", String(engineServer.usedMemory()),
      ...(replicationAux.fields?.() ?? []),
      "aof-base", aofBase ? "1" : "0",
    ];
  }

  keyCount(): number {
    let n = 0;
    for (let db = 0; db < this.server.config.int("databases"); db++) n += keys.dbsize(db);
    return n;
  }

  saveLru(): boolean {
    return this.server.config.get("maxmemory-policy").endsWith("-lru");
  }

  /** SAVE (rdbSave): true on success; the reason is logged otherwise. `onExit`: the save of a shutdown (a second SIGINT ends it). */
  saveSync(onExit = false): boolean {
    const log = this.server.log;
    try {
      native.save(this.file(), this.auxFields(false), this.saveLru(), functionHooks.dump?.() ?? [], onExit);
    } catch (e) {
      log.warning(`Failed saving the DB: ${(e as Error).message}`);
      return false;
    }
    log.notice("DB saved on disk");
    this.server.writePath.dirtyAtLastSave = this.server.writePath.dirty();
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    return true;
  }

  /** BGSAVE (rdbSaveBackground): false when the fork failed (logged). */
  bgsave(): boolean {
    if (this.child.active()) return false;
    this.saves++;
    this.dirtyBeforeBgsave = this.server.writePath.dirty();
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    const file = this.file();
    try {
      const r = this.child.start(
        "rdb",
        () => native.bgsave(file, this.auxFields(false), this.saveLru(), functionHooks.dump?.() ?? []),
        (d) => this.bgsaveDone(d),
        this.keyCount(),
      );
      this.server.log.notice(`Background saving started by pid ${r.pid}`);
      return true;
    } catch (e) {
      this.lastBgsaveOk = false;
      this.server.log.warning(`Can't save in background: fork: ${(e as Error).message}`);
      return false;
    }
  }

  /** backgroundSaveDoneHandlerDisk. */
  private bgsaveDone({ ok, signal, cowBytes, pid }: native.ChildDone): void {
    const log = this.server.log;
    const now = Date.now();
    if (ok) {
      log.notice("Background saving terminated with success");
      this.server.writePath.dirtyAtLastSave = this.dirtyBeforeBgsave;
      this.lastSave = Math.floor(now / 1000);
      this.lastBgsaveOk = true;
    } else if (signal === 0) {
      log.warning("Background saving error");
      this.lastBgsaveOk = false;
    } else {
      log.warning(`Background saving terminated by signal ${signal}`);
      fs.rmSync(path.join(path.dirname(this.file()), `temp-${pid}.rdb`), { force: true });
      // SIGUSR1 is how a save is killed on purpose: not an error.
      if (signal !== 10) this.lastBgsaveOk = false;
    }
    this.lastBgsaveTimeSec = Math.round((now - this.child.startedAt) / 1000);
    this.lastCowSize = cowBytes;
    for (const h of this.bgsaveDoneHooks.splice(0)) h(ok);
  }

  /** Called once when the running BGSAVE ends, with whether it saved (a full sync from disk waits for it). */
  readonly bgsaveDoneHooks: ((ok: boolean) => void)[] = [];

  /** The save rules and a scheduled BGSAVE (serverCron's part). */
  cron(): void {
    this.child.poll();
    if (this.child.active()) return;
    const now = Math.floor(Date.now() / 1000);
    const retryOk = now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY || this.lastBgsaveOk;
    if (this.bgsaveScheduled && retryOk) {
      this.bgsaveScheduled = false;
      this.bgsave();
      return;
    }
    const rules = this.server.config.get("save").trim();
    if (rules === "") return;
    const p = rules.split(" ").map(Number);
    const dirty = this.server.writePath.dirty() - this.server.writePath.dirtyAtLastSave;
    for (let j = 0; j + 1 < p.length; j += 2) {
      const [seconds, changes] = [p[j], p[j + 1]];
      if (dirty >= changes && now - this.lastSave > seconds && retryOk) {
        this.server.log.notice(`${changes} changes in ${seconds} seconds. Saving...`);
        this.bgsave();
        break;
      }
    }
  }

  /** The start-up load's progress (INFO's loading_* fields), null when none runs. */
  progress: LoadProgress | null = null;

  /**
   * Loads dbfilename if it exists (start-up), on the engine's loading thread:
   * the event loop goes on meanwhile, and clients get -LOADING (dispatch).
   * Throws the reason when the file is bad.
   */
  async loadAtStart(): Promise<void> {
    const file = this.file();
    if (!fs.existsSync(file)) return;
    const start = Date.now();
    const total = native.loadStart(file, true, Math.max(0, this.server.config.int("key-load-delay")));
    const progress: LoadProgress = { startTime: Math.floor(start / 1000), totalBytes: total, doneBytes: 0, fileOffset: 0 };
    this.progress = progress;
    try {
      for (;;) {
        const r = native.loadPoll();
        if (r) {
          this.startAux = this.loaded(r, native.Install.Replace).aux;
          this.startExpired = r.expiredKeys.length > 0 ? { dbs: r.expiredDbs, keys: r.expiredKeys } : null;
          break;
        }
        progress.fileOffset = native.loadProgress();
        await new Promise((resolve) => setTimeout(resolve, LOAD_POLL_MS));
      }
    } finally {
      this.progress = null;
    }
    if (this.startAux) replicationAux.loadedAtStart?.(this.server, this.startAux);
    this.server.log.notice(`DB loaded from disk: ${((Date.now() - start) / 1000).toFixed(3)} seconds`);
  }

  /** Loads an RDB file (rdbLoad), replacing the dataset; throws the reason when it is bad. `skipExpired` false: an AOF base. */
  load(file: string, how: native.Install = native.Install.Replace, skipExpired = true): native.LoadResult {
    return this.loaded(native.load(file, skipExpired, how), how);
  }

  /** What follows a load: its counts, its log lines, the function libraries. */
  private loaded(r: native.LoadResult, how: native.Install): native.LoadResult {
    this.lastLoadKeysLoaded = r.keys;
    this.lastLoadKeysExpired = r.expiredSkipped;
    const log = this.server.log;
    const aux = r.aux;
    for (let i = 0; i + 1 < aux.length; i += 2) {
      const k = aux[i].toString("latin1");
      const v = aux[i + 1].toString("latin1");
      if (k === "redis-ver") log.notice(`Loading RDB produced by version ${v}`);
      else if (k === "ctime") log.notice(`RDB age ${Math.floor(Date.now() / 1000) - Number(v)} seconds`);
      else if (k === "used-mem") log.notice(`RDB memory usage when created ${(Number(v) / 1024 / 1024).toFixed(2)} Mb`);
    }
    if (functionHooks.restore) functionHooks.restore(r.functions, how);
    else if (r.functions.length > 0) {
      log.warning(`The RDB file holds ${r.functions.length} function libraries; this server has no function engine to load them into`);
    }
    for (const k of r.emptyKeys) log.notice(`rdbLoadObject skipping empty key: ${k.toString("latin1")}`);
    if (r.emptySkipped > 0) {
      log.notice(`Done loading RDB, keys loaded: ${r.keys}, keys expired: ${r.expiredSkipped}, empty keys skipped: ${r.emptySkipped}.`);
    } else {
      log.notice(`Done loading RDB, keys loaded: ${r.keys}, keys expired: ${r.expiredSkipped}.`);
    }
    return r;
  }

  /**
   * Logs why a file did not load as Redis does, and gives the last line
   * before exiting: a bad header or a short read is "Fatal error loading the
   * DB"; damaged data (the last line of the reason) is an internal error
   * followed by "Terminating server after rdb file reading failure."
   */
  static loadFailure(log: Server["log"], reason: string): string {
    const lines = reason.split("\n");
    if (/^(Can't handle RDB format version|Wrong signature|Short read|Fatal error loading the DB)/.test(lines[0])) {
      for (const l of lines) log.warning(l);
      return "Fatal error loading the DB: Invalid argument. Exiting.";
    }
    const last = logCorruptRdb(log, reason);
    // What Redis's built-in redis-check-rdb then reports.
    log.warning("--- RDB ERROR DETECTED ---");
    log.warning(`[offset 0] ${last}`);
    return "Terminating server after rdb file reading failure.";
  }

  /** -MISCONF: writes are refused while the last BGSAVE failed (stop-writes-on-bgsave-error with save rules). */
  writesDenied(): boolean {
    const c = this.server.config;
    return !this.lastBgsaveOk && c.bool("stop-writes-on-bgsave-error") && c.get("save").trim() !== "";
  }
}
