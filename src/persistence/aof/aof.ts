/**
 * The append-only file (Redis 7's multi-part AOF, aof.c): what the write path
 * propagates is appended to the current incremental file, written before the
 * replies of the batch leave and fsynced per `appendfsync`; a rewrite (a child
 * process writes the new base while the parent goes on in a new incremental
 * file) replaces the base, and the files it made redundant go to history and
 * are deleted. The manifest in `appenddirname` lists the files.
 */
import fs from "node:fs";
import path from "node:path";
import type { Server } from "../../server/server.js";
import { PROPAGATE_AOF, propagatesTo, type PropagatedOp } from "../../server/write-path.js";
import { strerror } from "../../config/special.js";
import { ByteBuffer, catOp, catSelect } from "./encode.js";
import { Manifest, ManifestError, fsyncDir, manifestName, writeManifest } from "./manifest.js";
import { loadFiles, runNow, runYielding, type LoadedAof, type LoadProgress, type LoadResult } from "./loader.js";
import { childActive, killRewriteChild, startRewriteChild, writeBaseNow, type RewriteChild } from "./child.js";
import type { ChildDone } from "../../engine/persistence.js";

export type AofState = "off" | "on" | "wait_rewrite";

const unixtime = () => Math.floor(Date.now() / 1000);

/** A failure that stops the server at start, its reasons already logged (Redis logs and exits 1). */
export class AofFatal extends Error {
  readonly logged = true;
}

/**
 * What the AOF needs of replication, set by src/replication: master_repl_offset
 * (what an fsync covers), and `fed`, told of each unit appended (Redis counts the
 * stream offset up by one per command when no replica or backlog takes it, so
 * WAITAOF has an offset to wait for).
 */
export const aofReplication = {
  offset: (_server: Server): number => 0,
  fed: (_server: Server, _commands: number): void => undefined,
};

export class Aof {
  state: AofState = "off";
  private fd = -1;
  readonly buf = new ByteBuffer();
  private selectedDb = -1;
  manifest = new Manifest();
  currentSize = 0;
  rewriteBaseSize = 0;
  private lastIncrSize = 0;
  private lastIncrFsyncOffset = 0;
  private lastFsync = 0;
  private curTimestamp = 0;
  private flushPostponedStart = 0;
  delayedFsync = 0;
  /** Background fsyncs not finished yet (aof_pending_bio_fsync). */
  pendingFsync = 0;
  private lastWriteOk = true;
  private lastWriteError = "";
  private lastWriteErrorLog = 0;
  private bgFsyncOk = true;
  private bgFsyncError = "";
  rewriteScheduled = false;
  rewriteTimeStart = -1;
  rewriteTimeLast = -1;
  lastBgrewriteOk = true;
  rewrites = 0;
  consecutiveFailures = 0;
  lastCowSize = 0;
  child: RewriteChild | null = null;
  /** While the AOF itself is being replayed nothing is appended. */
  loading = false;
  /**
   * The replication offset known to be on disk (Redis's fsynced_reploff, what
   * WAITAOF and a replica's FACK report): -1 while the AOF is off, 0 until the
   * first rewrite after it was turned on finishes.
   */
  fsyncedReploff = -1;
  /** What the last fsync covered (fsynced_reploff_pending), taken into fsyncedReploff after the flush. */
  private fsyncedReploffPending = 0;
  /** Called when fsyncedReploff may have moved (WAITAOF's waiters, a replica's ACK). */
  readonly fsyncHooks: (() => void)[] = [];
  private unlisten: (() => void) | null = null;

  /** appendfsync and aof-timestamp-enabled, read on every write: kept here, updated on CONFIG SET. */
  private fsyncPolicy: string;
  private timestamps: boolean;

  constructor(readonly server: Server) {
    const config = server.config;
    this.fsyncPolicy = config.get("appendfsync");
    this.timestamps = config.bool("aof-timestamp-enabled");
    config.onChange((name) => {
      if (name === "appendfsync") this.fsyncPolicy = config.get(name);
      else if (name === "aof-timestamp-enabled") this.timestamps = config.bool(name);
    });
  }

  private get dirname(): string {
    return this.server.config.get("appenddirname");
  }
  private get filename(): string {
    return this.server.config.get("appendfilename");
  }
  private get log() {
    return this.server.log;
  }
  private filePath(name: string): string {
    return path.join(this.dirname, name);
  }

  /** Only one child runs at a time (an AOF rewrite or a BGSAVE), as in Redis. */
  hasActiveChild(): boolean {
    return this.child !== null || childActive(this.server);
  }

  // ---- start-up --------------------------------------------------------------------

  /** aofLoadManifestFromDisk: a missing directory or manifest is an empty manifest. Throws AofFatal. */
  loadManifest(): void {
    this.manifest = new Manifest();
    const dir = this.dirname;
    if (!isDir(dir)) return;
    const file = path.join(dir, manifestName(this.filename));
    if (!fs.existsSync(file)) return;
    let text: string;
    try {
      text = fs.readFileSync(file, "latin1");
    } catch (e) {
      this.log.warning(`Fatal error: can't open the AOF manifest file ${file} for reading: ${strerror(e)}`);
      throw new AofFatal("can't read the AOF manifest");
    }
    try {
      this.manifest = Manifest.parse(text);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      for (const l of e.logLines()) this.log.warning(l);
      throw new AofFatal(`AOF manifest error: ${e.reason}`);
    }
  }

  /**
   * loadAppendOnlyFiles at start, with the upgrade from an old single-file AOF.
   * The event loop runs between steps (clients get -LOADING). Throws AofFatal.
   */
  async loadOnStart(): Promise<LoadResult> {
    const m = this.manifest;
    const name = this.filename;
    const dir = this.dirname;
    if (isFile(name)) {
      const onlyOldBase = m.base !== null && m.incr.length === 0 && m.base.name === name && !isFile(path.join(dir, name));
      if (!isDir(dir) || (m.base === null && m.incr.length === 0) || onlyOldBase) this.upgradePrepare();
    }
    const t0 = performance.now();
    const res = await this.loadFiles(true);
    if (res === "failed" || res === "open_err") throw new AofFatal("the AOF could not be loaded (see the log above)");
    if (res !== "not_exist") this.log.notice(`DB loaded from append only file: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
    return res;
  }

  /** What the running load has done (INFO's loading_* fields), null when none runs. */
  progress: LoadProgress | null = null;

  /** Loads the files of the manifest: at once, or letting the event loop run between steps (`yielding`). */
  private loadFiles(yielding: false): LoadResult;
  private loadFiles(yielding: true): Promise<LoadResult>;
  private loadFiles(yielding: boolean): LoadResult | Promise<LoadResult> {
    this.loading = true;
    this.server.writePath.suppressed++;
    const progress: LoadProgress = { startTime: Math.floor(Date.now() / 1000), totalBytes: 0, doneBytes: 0, fileOffset: 0 };
    this.progress = progress;
    const steps = loadFiles(
      this.server,
      this.manifest,
      {
        dir: this.dirname,
        truncatedOk: this.server.config.bool("aof-load-truncated"),
        aofName: this.filename,
        log: this.log,
        keyLoadDelayUs: Math.max(0, this.server.config.int("key-load-delay")),
        yielding,
      },
      progress,
    );
    const done = (res: LoadedAof): LoadResult => {
      if (res.result === "ok" || res.result === "truncated") {
        this.currentSize = res.totalSize;
        this.rewriteBaseSize = res.baseSize;
      }
      return res.result;
    };
    const end = () => {
      this.loading = false;
      this.progress = null;
      this.server.writePath.suppressed--;
    };
    if (!yielding) {
      try {
        return done(runNow(steps));
      } finally {
        end();
      }
    }
    return runYielding(steps).then(done).finally(end);
  }

  /** aofUpgradePrepare: an old appendonly.aof in `dir` moves into the AOF directory as its base. */
  private upgradePrepare(): void {
    const dir = this.dirname;
    const name = this.filename;
    this.mkdir();
    const m = this.manifest;
    m.base = { name, seq: 1, type: "b" };
    m.baseSeq = 1;
    this.persistManifest(m, true);
    try {
      fs.renameSync(name, path.join(dir, name));
    } catch (e) {
      this.log.warning(`Error trying to move the old AOF file ${name} into dir ${dir}: ${strerror(e)}`);
      throw new AofFatal("can't move the old AOF file");
    }
    this.log.notice(`Successfully migrated an old-style AOF file (${name}) into the AOF directory (${dir}).`);
  }

  private mkdir(): void {
    try {
      fs.mkdirSync(this.dirname, { recursive: false, mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && isDir(this.dirname)) return;
      this.log.warning(`Can't open or create append-only dir ${this.dirname}: ${strerror(e)}`);
      throw new AofFatal("can't create the AOF directory");
    }
  }

  /** Writes `m` when it changed; `fatal` throws on failure (at start), else returns false. */
  private persistManifest(m: Manifest, fatal: boolean): boolean {
    const err = writeManifest(this.dirname, this.filename, m);
    if (err === null) return true;
    this.log.warning(err);
    if (fatal) throw new AofFatal("can't write the AOF manifest");
    return false;
  }

  /** aofOpenIfNeededOnServerStart: a base for an empty start, the last incr file opened for appending. */
  openOnStart(): void {
    this.state = "on";
    this.fsyncedReploff = 0;
    this.mkdir();
    const m = this.manifest;
    const incrLen = m.incr.length;
    if (m.base === null && incrLen === 0) {
      const base = m.newBase(this.filename, this.server.config.bool("aof-use-rdb-preamble"));
      const err = writeBaseNow(this.server, this.filePath(base), this.server.config.bool("aof-use-rdb-preamble"));
      if (err) {
        this.log.warning(err);
        throw new AofFatal("can't create the AOF base file");
      }
      this.log.notice(`Creating AOF base file ${base} on server start`);
    }
    const name = m.lastIncr(this.filename);
    try {
      this.fd = fs.openSync(this.filePath(name), "a", 0o644);
    } catch (e) {
      this.log.warning(`Can't open the append-only file ${name}: ${strerror(e)}`);
      throw new AofFatal("can't open the AOF");
    }
    this.persistManifest(m, true);
    this.lastIncrSize = fs.fstatSync(this.fd).size;
    this.lastIncrFsyncOffset = this.lastIncrSize;
    if (this.currentSize === 0) this.currentSize = this.sizeOfFiles();
    this.log.notice(incrLen ? `Opening AOF incr file ${name} on server start` : `Creating AOF incr file ${name} on server start`);
    this.listen();
  }

  /** Sizes of the base and incr files (getBaseAndIncrAppendOnlyFilesSize). */
  private sizeOfFiles(): number {
    let n = 0;
    for (const f of this.manifest.loadOrder()) {
      try {
        n += fs.statSync(this.filePath(f.name)).size;
      } catch {
        // counted as 0, as Redis after its log line
      }
    }
    return n;
  }

  /** aofDelHistoryFiles: history files are deleted (unless aof-disable-auto-gc). */
  deleteHistory(): void {
    const m = this.manifest;
    if (this.server.config.bool("aof-disable-auto-gc") || m.history.length === 0) return;
    for (const h of m.history) {
      this.log.notice(`Removing the history file ${h.name} in the background`);
      bgUnlink(this.filePath(h.name));
    }
    m.history = [];
    this.persistManifest(m, false);
  }

  private listen(): void {
    if (this.unlisten) return;
    this.unlisten = this.server.writePath.onPropagate((ops) => this.feed(ops));
  }

  private stopListening(): void {
    this.unlisten?.();
    this.unlisten = null;
  }

  // ---- appending -------------------------------------------------------------------

  /** feedAppendOnlyFile for each command of a propagated unit. */
  feed(ops: PropagatedOp[]): void {
    if (this.loading) return;
    if (!(this.state === "on" || (this.state === "wait_rewrite" && this.child !== null))) return;
    const out = this.buf;
    let fed = 0;
    for (const op of ops) {
      if (!propagatesTo(op, PROPAGATE_AOF)) continue;
      fed++;
      if (this.timestamps) {
        const now = unixtime();
        if (this.curTimestamp < now) {
          this.curTimestamp = now;
          out.ascii(`#TS:${now}\r\n`);
        }
      }
      if (op.db !== -1 && op.db !== this.selectedDb) {
        catSelect(out, op.db);
        this.selectedDb = op.db;
      }
      catOp(out, op);
    }
    if (fed !== 0) aofReplication.fed(this.server, fed);
  }

  /**
   * flushAppendOnlyFile: writes the buffer (before the replies of the batch
   * leave) and fsyncs as appendfsync says: always here, everysec on the
   * thread pool at most once a second, no never.
   */
  flush(force = false): void {
    if (this.fd < 0) return;
    const policy = this.fsyncPolicy;
    const now = unixtime();
    if (this.buf.length === 0) {
      const unsynced = this.lastIncrFsyncOffset !== this.lastIncrSize;
      if (policy === "everysec" && unsynced && now > this.lastFsync && this.pendingFsync === 0) this.tryFsync(policy, now, false);
      else if (policy === "always" && unsynced) this.tryFsync(policy, now, false);
      return;
    }
    const syncInProgress = policy === "everysec" && this.pendingFsync !== 0;
    if (policy === "everysec" && !force && syncInProgress) {
      if (this.flushPostponedStart === 0) {
        this.flushPostponedStart = now;
        return;
      } else if (now - this.flushPostponedStart < 2) return;
      this.delayedFsync++;
      this.log.notice(
        "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.",
      );
    }
    const data = this.buf.view();
    let written = 0;
    let error: unknown = null;
    while (written < data.length) {
      try {
        written += fs.writeSync(this.fd, data, written, data.length - written);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EINTR" || (e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        error = e;
        break;
      }
    }
    this.flushPostponedStart = 0;
    if (written !== data.length) {
      const canLog = now - this.lastWriteErrorLog > 30;
      if (canLog) this.lastWriteErrorLog = now;
      if (written === 0) {
        if (canLog) this.log.warning(`Error writing to the AOF file: ${strerror(error)}`);
        this.lastWriteError = strerror(error);
      } else {
        if (canLog) this.log.warning(`Short write while writing to the AOF file: (nwritten=${written}, expected=${data.length})`);
        try {
          fs.ftruncateSync(this.fd, this.lastIncrSize);
          written = 0;
        } catch (e) {
          if (canLog) {
            this.log.warning(
              `Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${strerror(e)}`,
            );
          }
        }
        this.lastWriteError = strerror({ code: "ENOSPC" });
      }
      if (policy === "always") {
        this.log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
        process.exit(1);
      }
      this.setWriteOk(false);
      if (written > 0) {
        this.currentSize += written;
        this.lastIncrSize += written;
        this.buf.consume(written);
      }
      return;
    }
    if (!this.lastWriteOk) {
      this.log.notice("AOF write error looks solved, Redis can write again.");
      this.setWriteOk(true);
    }
    this.currentSize += written;
    this.lastIncrSize += written;
    this.buf.clear();
    this.tryFsync(policy, now, syncInProgress);
  }

  private tryFsync(policy: string, now: number, syncInProgress: boolean): void {
    if (this.server.config.bool("no-appendfsync-on-rewrite") && this.hasActiveChild()) return;
    if (policy === "always") {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        this.log.warning(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(e)}. Exiting...`);
        process.exit(1);
      }
      this.lastIncrFsyncOffset = this.lastIncrSize;
      this.lastFsync = now;
      this.fsyncedReploffPending = aofReplication.offset(this.server);
    } else if (policy === "everysec" && now > this.lastFsync) {
      if (!syncInProgress) {
        this.backgroundFsync(this.fd, false);
        this.lastIncrFsyncOffset = this.lastIncrSize;
      }
      this.lastFsync = now;
    }
  }

  /** An fsync on the thread pool (Redis's bio AOF fsync job), closing the file after it when asked. */
  private backgroundFsync(fd: number, close: boolean): void {
    this.pendingFsync++;
    const offset = aofReplication.offset(this.server);
    fs.fdatasync(fd, (err) => {
      this.pendingFsync--;
      if (err && !close) {
        this.log.warning(`Fail to fsync the AOF file: ${strerror(err)}`);
        this.bgFsyncError = strerror(err);
        this.setFsyncOk(false);
      } else if (!close) this.setFsyncOk(true);
      if (!err) {
        this.fsyncedReploffPending = offset;
        this.takeFsyncedOffset();
      }
      if (close) fs.close(fd, () => undefined);
    });
  }

  /** beforeSleep's update: what the fsyncs covered becomes fsynced_reploff (not while the first rewrite runs). */
  takeFsyncedOffset(): void {
    if (this.state !== "on" || this.fsyncedReploff === -1) return;
    if (this.fsyncedReploff === this.fsyncedReploffPending) return;
    this.fsyncedReploff = this.fsyncedReploffPending;
    for (const h of this.fsyncHooks) h();
  }

  private setWriteOk(ok: boolean): void {
    this.lastWriteOk = ok;
    this.refreshDiskError();
  }

  private setFsyncOk(ok: boolean): void {
    this.bgFsyncOk = ok;
    this.refreshDiskError();
  }

  /** Writes are refused while the AOF cannot be written (Redis's writeCommandsDeniedByDiskError). */
  private refreshDiskError(): void {
    const why = this.state === "off" ? null : !this.lastWriteOk ? this.lastWriteError : !this.bgFsyncOk ? this.bgFsyncError : null;
    this.server.aofWriteError = why === null ? null : `MISCONF Errors writing to the AOF file: ${why}`;
  }

  lastWriteStatusOk(): boolean {
    return this.lastWriteOk && this.bgFsyncOk;
  }

  // ---- turning it on and off ------------------------------------------------------------

  /** stopAppendOnly: CONFIG SET appendonly no. */
  stop(): void {
    this.flush(true);
    if (this.fd >= 0) {
      try {
        fs.fdatasyncSync(this.fd);
        this.lastFsync = unixtime();
      } catch (e) {
        this.log.warning(`Fail to fsync the AOF file: ${strerror(e)}`);
      }
      fs.closeSync(this.fd);
    }
    this.fd = -1;
    this.selectedDb = -1;
    this.state = "off";
    this.rewriteScheduled = false;
    this.lastIncrSize = 0;
    this.lastIncrFsyncOffset = 0;
    this.fsyncedReploff = -1;
    this.fsyncedReploffPending = 0;
    this.killChild();
    this.buf.clear();
    this.stopListening();
    this.refreshDiskError();
    for (const h of this.fsyncHooks) h();
  }

  /** startAppendOnly: CONFIG SET appendonly yes; a rewrite makes the first base. An error text or null. */
  start(inExec: boolean): string | null {
    this.state = "wait_rewrite";
    this.listen();
    if (this.hasActiveChild() && this.child === null) {
      this.rewriteScheduled = true;
      this.log.notice("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
    } else if (inExec) {
      this.rewriteScheduled = true;
      this.log.notice("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
    } else {
      if (this.child !== null) {
        this.log.notice("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        this.killChild();
      }
      if (!this.rewriteBackground()) {
        this.state = "off";
        this.stopListening();
        this.log.warning(
          "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
        );
        return "Unable to turn on AOF. Check server logs.";
      }
    }
    this.lastFsync = unixtime();
    if (!this.bgFsyncOk) {
      this.log.warning("AOF reopen, just ignore the AOF fsync error in bio job");
      this.setFsyncOk(true);
    }
    if (!this.lastWriteOk) {
      this.log.warning("AOF reopen, just ignore the last error.");
      this.setWriteOk(true);
    }
    return null;
  }

  // ---- rewriting ---------------------------------------------------------------------

  /**
   * openNewIncrAofForAppend: a new incr file takes the appends from here (a
   * temp one while waiting for the first rewrite); the manifest is updated first.
   */
  private openNewIncr(): boolean {
    if (this.state === "off") return true;
    let temp: Manifest | null = null;
    let name: string;
    if (this.state === "wait_rewrite") name = tempIncrName(this.filename);
    else {
      temp = this.manifest.clone();
      name = temp.newIncr(this.filename);
    }
    let fd: number;
    try {
      fd = fs.openSync(this.filePath(name), "w", 0o644);
    } catch (e) {
      this.log.warning(`Can't open the append-only file ${name}: ${strerror(e)}`);
      return false;
    }
    if (temp && !this.persistManifest(temp, false)) {
      fs.closeSync(fd);
      return false;
    }
    this.log.notice(`Creating AOF incr file ${name} on background rewrite`);
    if (this.fd >= 0) {
      this.backgroundFsync(this.fd, true);
      this.lastFsync = unixtime();
    }
    this.fd = fd;
    this.lastIncrSize = 0;
    this.lastIncrFsyncOffset = 0;
    if (temp) this.manifest = temp;
    return true;
  }

  /** rewriteAppendOnlyFileBackground: false when it could not start (logged). */
  rewriteBackground(): boolean {
    if (this.hasActiveChild()) return false;
    try {
      this.mkdir();
    } catch {
      this.lastBgrewriteOk = false;
      return false;
    }
    this.selectedDb = -1;
    this.flush(true);
    if (!this.openNewIncr()) {
      this.lastBgrewriteOk = false;
      return false;
    }
    if (this.state === "wait_rewrite") {
      // The offset the first rewrite will have put on disk (fsynced_reploff once it finishes).
      this.fsyncedReploffPending = aofReplication.offset(this.server);
      this.fsyncedReploff = 0;
    }
    this.rewrites++;
    const res = startRewriteChild(this.server, this.server.config.bool("aof-use-rdb-preamble"), (d) => this.childDone(d));
    if ("error" in res) {
      this.lastBgrewriteOk = false;
      this.log.warning(`Can't rewrite append only file in background: fork: ${res.error}`);
      return false;
    }
    this.child = res;
    this.log.notice(`Background append only file rewriting started by pid ${res.pid}`);
    this.rewriteScheduled = false;
    this.rewriteTimeStart = unixtime();
    return true;
  }

  /** BGREWRITEAOF: the status reply text, or an error (with its code). */
  bgrewriteCommand(inExec: boolean): { status: string } | { error: string } {
    if (this.child !== null) return { error: "ERR Background append only file rewriting already in progress" };
    if (this.hasActiveChild() || inExec) {
      this.rewriteScheduled = true;
      this.consecutiveFailures = 0;
      return { status: "Background append only file rewriting scheduled" };
    }
    if (this.rewriteBackground()) return { status: "Background append only file rewriting started" };
    return { error: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information." };
  }

  /** killAppendOnlyChild. */
  killChild(): void {
    const c = this.child;
    if (!c) return;
    this.log.notice(`Killing running AOF rewrite child: ${c.pid}`);
    // No done handler for a killed rewrite (the child slot calls childDone, which sees no child).
    this.child = null;
    killRewriteChild(this.server);
    removeTempFiles(c);
    this.rewriteTimeStart = -1;
  }

  /** The background child ended (the server cron reaps it): the done handler for our rewrite. */
  private childDone(d: ChildDone): void {
    const c = this.child;
    if (c === null || c.pid !== d.pid) return;
    this.child = null;
    this.lastCowSize = d.cowBytes;
    this.rewriteDone(c, d.ok ? 0 : 1, d.signal);
  }

  /** backgroundRewriteDoneHandler. */
  private rewriteDone(c: RewriteChild, code: number, signal: number): void {
    if (signal === 0 && code === 0) {
      this.log.notice("Background AOF rewrite terminated with success");
      this.installRewrite(c);
    } else if (signal === 0) {
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
      this.log.warning("Background AOF rewrite terminated with error");
    } else {
      if (signal !== 10 /* SIGUSR1 */) {
        this.lastBgrewriteOk = false;
        this.consecutiveFailures++;
      }
      this.log.warning(`Background AOF rewrite terminated by signal ${signal}`);
    }
    removeTempFiles(c);
    if (this.state === "wait_rewrite") {
      this.buf.clear();
      const tmp = tempIncrName(this.filename);
      this.log.notice(`Removing the temp incr aof file ${tmp} in the background`);
      bgUnlink(this.filePath(tmp));
    }
    this.rewriteTimeLast = unixtime() - this.rewriteTimeStart;
    this.rewriteTimeStart = -1;
    if (this.state === "wait_rewrite") this.rewriteScheduled = true;
  }

  private installRewrite(c: RewriteChild): void {
    const temp = this.manifest.clone();
    const baseName = temp.newBase(this.filename, c.preamble);
    const basePath = this.filePath(baseName);
    const fail = () => {
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
    };
    try {
      fs.renameSync(c.tmpFile, basePath);
    } catch (e) {
      this.log.warning(`Error trying to rename the temporary AOF base file ${c.tmpFile} into ${basePath}: ${strerror(e)}`);
      return fail();
    }
    this.log.notice(`Successfully renamed the temporary AOF base file ${c.tmpFile} into ${baseName}`);
    let newIncrPath: string | null = null;
    if (this.state === "wait_rewrite") {
      const tmpName = tempIncrName(this.filename);
      const incrName = temp.newIncr(this.filename);
      newIncrPath = this.filePath(incrName);
      try {
        fs.renameSync(this.filePath(tmpName), newIncrPath);
      } catch (e) {
        this.log.warning(`Error trying to rename the temporary AOF incr file ${this.filePath(tmpName)} into ${newIncrPath}: ${strerror(e)}`);
        bgUnlink(basePath);
        return fail();
      }
      this.log.notice(`Successfully renamed the temporary AOF incr file ${tmpName} into ${incrName}`);
    }
    temp.markRewrittenIncrAsHistory(this.fd >= 0);
    if (!this.persistManifest(temp, false)) {
      bgUnlink(basePath);
      if (newIncrPath) bgUnlink(newIncrPath);
      return fail();
    }
    this.manifest = temp;
    if (this.state !== "off") {
      let baseSize = 0;
      try {
        baseSize = fs.statSync(basePath).size;
      } catch {
        // as Redis: the size is 0 after its log line
      }
      this.currentSize = baseSize + this.lastIncrSize;
      this.rewriteBaseSize = this.currentSize;
    }
    this.deleteHistory();
    this.lastBgrewriteOk = true;
    this.consecutiveFailures = 0;
    this.log.notice("Background AOF rewrite finished successfully");
    if (this.state === "wait_rewrite") {
      this.state = "on";
      this.fsyncedReploff = this.fsyncedReploffPending;
      for (const h of this.fsyncHooks) h();
    }
  }

  // ---- the cron ----------------------------------------------------------------------

  private nextDelayMinutes = 0;
  private nextRewriteTime = 0;

  /** aofRewriteLimited: after repeated failures automatic rewrites wait 1, 2, 4 ... 60 minutes. */
  private rewriteLimited(): boolean {
    if (this.consecutiveFailures < 3) {
      this.nextDelayMinutes = 0;
      this.nextRewriteTime = 0;
      return false;
    }
    const now = unixtime();
    if (this.nextRewriteTime !== 0) {
      if (now < this.nextRewriteTime) return true;
      this.nextRewriteTime = 0;
      return false;
    }
    this.nextDelayMinutes = Math.min(this.nextDelayMinutes === 0 ? 1 : this.nextDelayMinutes * 2, 60);
    this.nextRewriteTime = now + this.nextDelayMinutes * 60;
    this.log.warning(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextDelayMinutes} minutes`);
    return true;
  }

  /** The AOF's part of serverCron. */
  cron(): void {
    if (!this.hasActiveChild() && this.rewriteScheduled && !this.rewriteLimited()) this.rewriteBackground();
    const perc = this.server.config.int("auto-aof-rewrite-percentage");
    if (this.state === "on" && !this.hasActiveChild() && perc && this.currentSize > this.server.config.int("auto-aof-rewrite-min-size")) {
      const base = this.rewriteBaseSize || 1;
      const growth = Math.floor((this.currentSize * 100) / base) - 100;
      if (growth >= perc && !this.rewriteLimited()) {
        this.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
        this.rewriteBackground();
      }
    }
    if (this.state === "on") this.flush(false);
    this.takeFsyncedOffset();
  }

  /**
   * DEBUG LOADAOF: flush, empty the dataset, load the AOF again. An error text
   * (Redis exits then) or null. `yielding`: the load runs between turns of the
   * event loop (others get -LOADING meanwhile, a slow script from the AOF runs
   * to its end before the next command); inside a transaction it runs at once.
   */
  reload(emptyData: () => void, yielding: false): string | null;
  reload(emptyData: () => void, yielding: true): Promise<string | null>;
  reload(emptyData: () => void, yielding: boolean): string | null | Promise<string | null> {
    if (this.state === "on") this.flush(true);
    emptyData();
    // As Redis's debug.c: anything but a complete load (or an empty AOF) ends the process, a missing or cut AOF too.
    const judge = (res: LoadResult) =>
      res !== "ok" && res !== "empty" ? `DEBUG LOADAOF could not load the AOF (${res.replace("_", " ")})` : null;
    return yielding ? this.loadFiles(true).then(judge) : judge(this.loadFiles(false));
  }

  /**
   * SHUTDOWN's AOF part (prepareForShutdown): false when the server must not
   * stop because the first AOF is still being written (unless `force`).
   */
  mayShutdown(force: boolean): boolean {
    if (this.child === null || this.state !== "wait_rewrite") return true;
    this.log.warning(force ? "Writing initial AOF. Exit anyway." : "Writing initial AOF, can't exit.");
    return force;
  }

  /** On the way out: the rewrite child killed, the buffer written and fsynced. */
  shutdown(): void {
    if (this.child) {
      this.log.warning("There is a child rewriting the AOF. Killing it!");
      this.killChild();
    }
    if (this.state === "off" || this.fd < 0) return;
    this.log.notice("Calling fsync() on the AOF file.");
    this.flush(true);
    try {
      fs.fdatasyncSync(this.fd);
    } catch (e) {
      this.log.warning(`Fail to fsync the AOF file: ${strerror(e)}.`);
    }
  }
}

/**
 * aofRemoveTempFile: the child's output and the temp file it writes that to
 * first (temp-rewriteaof-<pid>.aof for commands, temp-<pid>.rdb for an RDB).
 */
function removeTempFiles(c: RewriteChild): void {
  for (const f of [c.tmpFile, `temp-rewriteaof-${c.pid}.aof`, `temp-${c.pid}.rdb`]) bgUnlink(f);
}

/** The temp incr file used while the first rewrite runs (getTempIncrAofName). */
function tempIncrName(aofName: string): string {
  return `temp-${aofName}.incr`;
}

/**
 * Redis's bg_unlink: the name goes now (a new file of the same name may follow
 * at once), the blocks are freed when the last descriptor closes, on the thread pool.
 */
function bgUnlink(file: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    // not there (or unreadable): the unlink below says which
  }
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
  if (fd >= 0) fs.close(fd, () => undefined);
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export { fsyncDir };
