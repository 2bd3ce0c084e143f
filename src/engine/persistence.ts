/** Typed bindings for persistence (native/src/api/persistence.rs): SAVE, BGSAVE's forked child, loading. */
import { native } from "./addon.js";

export interface SaveResult {
  keys: number;
  bytes: number;
}
export interface ForkResult {
  pid: number;
  forkUsec: number;
}
export interface ChildDone {
  pid: number;
  ok: boolean;
  /** The signal that ended the child (0: it exited). */
  signal: number;
  cowBytes: number;
  /** What the job counted (keys written). */
  count: number;
}
export interface LoadResult {
  keys: number;
  expiredSkipped: number;
  emptySkipped: number;
  /** The empty keys skipped, by name. */
  emptyKeys: Buffer[];
  /** The keys skipped as expired, and their dbs (index by index). */
  expiredKeys: Buffer[];
  expiredDbs: number[];
  version: number;
  /** AUX fields as name, value, name, value... */
  aux: Buffer[];
  functions: Buffer[];
  /** Bytes the RDB took (an AOF's RDB preamble ends there). */
  consumed: number;
}

/** Writes the dataset to `path` (temp file, fsync, rename). Throws the OS error. */
export function save(path: string, aux: string[], saveLru: boolean, functions: Buffer[] = [], onExit = false): SaveResult {
  return native.rdbSave(path, aux, saveLru, functions, onExit);
}
/** Forks a child writing the dataset to `path` as `save` does (also an AOF base: aux "aof-base" "1"); `checksum` overrides rdbchecksum. */
export function bgsave(path: string, aux: string[], saveLru: boolean, functions: Buffer[] = [], checksum?: boolean): ForkResult {
  return native.rdbBgsave(path, aux, saveLru, functions, checksum);
}
/** Forks a child writing the dataset as an RDB into a pipe (a diskless full sync); `fd` is the pipe's read end. `excludeData`: no keys. */
export function syncFork(aux: string[], saveLru: boolean, functions: Buffer[] = [], excludeData = false): ForkResult & { fd: number } {
  return native.rdbSyncFork(aux, saveLru, functions, excludeData);
}
/** The background child if it has ended (reaped), else null. */
export function childPoll(): ChildDone | null {
  return native.childPoll();
}
/** The OOM killer score forked children give themselves; null: they keep the parent's. */
export function childSetOomScore(score: number | null): void {
  native.childSetOomScore(score ?? undefined);
}
/** The running child's pid, or null. */
export function childPid(): number | null {
  return native.childPid();
}
/** Kills the running child and reaps it. */
export function childKill(): ChildDone | null {
  return native.childKill();
}
/** Blocks until the running child ends. */
export function childWait(): ChildDone | null {
  return native.childWait();
}
/** How loaded keys join the dataset: replace it all, merge (a key in both is an error), merge replacing. */
export const enum Install {
  Replace = 0,
  Merge = 1,
  MergeReplacing = 2,
}
/** Loads an RDB file; the dataset changes only when all of it loads (throws the reason otherwise). */
export function load(path: string, skipExpired: boolean, how: Install = Install.Replace): LoadResult {
  return native.rdbLoad(path, skipExpired, how);
}
/** Starts loading an RDB file on the engine's loading thread; its size in bytes. Throws when it can't be read. */
export function loadStart(path: string, skipExpired: boolean, keyDelayUs: number): number {
  return native.rdbLoadStart(path, skipExpired, keyDelayUs);
}
/** Bytes the loading thread has read. */
export function loadProgress(): number {
  return native.rdbLoadProgress();
}
/** The loading thread's result once it ended (the dataset replaced), else null; throws the reason for a bad file. */
export function loadPoll(): LoadResult | null {
  return native.rdbLoadPoll();
}
/** Loads an RDB held in `data` (an AOF preamble). */
export function loadBuffer(data: Uint8Array, skipExpired: boolean, how: Install = Install.Replace): LoadResult {
  return native.rdbLoadBuffer(data, skipExpired, how);
}
/** Whether RESTORE sanitizes deeply (sanitize-dump-payload for the calling client). */
export function setRestoreDeep(deep: boolean): void {
  native.rdbSetRestoreDeep(deep);
}
/** DEBUG SET-SKIP-CHECKSUM-VALIDATION. */
export function setSkipChecksum(skip: boolean): void {
  native.rdbSetSkipChecksum(skip);
}
/** Why the last RESTORE refused its payload, once (null when it did not). */
export function takeRestoreError(): string | null {
  return native.rdbTakeRestoreError();
}
/** INFO's migrate_cached_sockets. */
export function migrateCachedSockets(): number {
  return native.migrateCachedSockets();
}
/** Closes MIGRATE's connections unused for 10 seconds (serverCron's migrateCloseTimedoutSockets). */
export function migrateCloseTimedOut(): void {
  native.migrateCloseTimedOut();
}
export interface ChildProgress {
  cowBytes: number;
  /** Keys written so far. */
  count: number;
  /** Seconds since the child reported it. */
  ageSec: number;
}
/** The running child's latest progress report (at most one a second), or null. */
export function childProgress(): ChildProgress | null {
  return native.childProgress();
}
