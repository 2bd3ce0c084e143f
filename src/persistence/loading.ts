/**
 * INFO's loading_* fields while a dataset loads at start, from whichever
 * loader runs (the RDB's thread or the AOF's steps): each registers where
 * its progress is.
 */
import { infoProviders } from "../commands/info.js";
import type { Server } from "../server/server.js";

/** What a load has done so far. */
export interface LoadProgress {
  /** Unix seconds it started. */
  startTime: number;
  totalBytes: number;
  /** Bytes of the files already loaded. */
  doneBytes: number;
  /** The offset reached in the file being loaded. */
  fileOffset: number;
}

/** The loaders' progress (null: that loader is not running). */
export const loadingSources: ((s: Server) => LoadProgress | null)[] = [];

function current(s: Server): LoadProgress | null {
  for (const f of loadingSources) {
    const p = f(s);
    if (p) return p;
  }
  return null;
}

const loaded = (p: LoadProgress) => p.doneBytes + p.fileOffset;
const info = (name: string, f: (p: LoadProgress) => number | string) =>
  infoProviders.set(name, (s) => {
    const p = current(s);
    return p ? f(p) : 0;
  });
info("loading_start_time", (p) => p.startTime);
info("loading_total_bytes", (p) => p.totalBytes);
info("loading_loaded_bytes", loaded);
info("loading_loaded_perc", (p) => (p.totalBytes ? (loaded(p) / p.totalBytes) * 100 : 0).toFixed(2));
// Redis's estimate: the time so far, scaled to what is left.
info("loading_eta_seconds", (p) => {
  const elapsed = Math.floor(Date.now() / 1000) - p.startTime;
  const done = loaded(p);
  return done > 0 ? Math.floor(((p.totalBytes - done) * elapsed) / done) : 1;
});
