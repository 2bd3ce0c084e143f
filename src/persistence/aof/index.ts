/**
 * The AOF's place in the server: start-up (manifest, loading, opening),
 * appendonly at run time, BGREWRITEAOF, DEBUG LOADAOF, the cron, the write
 * before replies leave, INFO persistence's aof_* fields, the flush on exit.
 */
import type { Server } from "../../server/server.js";
import { debugHooks } from "../../commands/debug.js";
import { aofHooks } from "../../commands/aof.js";
import { infoProviders } from "../../commands/info.js";
import { shutdownHooks } from "../../server/shutdown.js";
import { keys } from "../../engine/index.js";
import { Reply } from "../../protocol/reply.js";
import { Aof, AofFatal } from "./aof.js";
import { loadingSources } from "../loading.js";

export { Aof, AofFatal } from "./aof.js";

const instances = new WeakMap<Server, Aof>();
// While the AOF loads at start (INFO's loading block).
loadingSources.push((s) => instances.get(s)?.progress ?? null);

/** The server's AOF (created by installAof). */
export function aofOf(server: Server): Aof | undefined {
  return instances.get(server);
}

/**
 * Sets up the AOF for `server` and, with appendonly yes, loads it and opens it
 * for appending (Redis's aofLoadManifestFromDisk, loadDataFromDisk's AOF part,
 * aofOpenIfNeededOnServerStart, aofDelHistoryFiles). Resolves to whether the
 * dataset came from the AOF (then no RDB is loaded); rejects with AofFatal
 * when the server must not start.
 */
export async function startAof(server: Server): Promise<boolean> {
  const aof = installAof(server);
  aof.loadManifest();
  if (!server.config.bool("appendonly")) return false;
  await aof.loadOnStart();
  aof.openOnStart();
  aof.deleteHistory();
  return true;
}

function installAof(server: Server): Aof {
  const aof = new Aof(server);
  instances.set(server, aof);
  const inExec = () => server.writePath.depth > 1;

  server.config.onApply("appendonly", () => {
    const on = server.config.bool("appendonly");
    if (!on && aof.state !== "off") aof.stop();
    else if (on && aof.state === "off") return aof.start(inExec());
    return null;
  });
  // aof-disable-auto-gc back to no: the history goes at once (updateAofAutoGCEnabled).
  server.config.onChange((name) => {
    if (name === "aof-disable-auto-gc" && !server.config.bool(name)) aof.deleteHistory();
  });
  server.cronHooks.push(() => aof.cron());
  server.beforeOutputHooks.push(() => {
    if (aof.state !== "off") aof.flush(false);
    aof.takeFsyncedOffset();
  });
  server.holdReplies = () => aof.buf.length !== 0;
  server.exitHooks.push(() => aof.shutdown());
  shutdownHooks.mayStop = (force) => aof.mayShutdown(force);

  aofHooks.bgrewriteaof = (c) => {
    const res = aof.bgrewriteCommand(inExec());
    if ("error" in res) c.r.error(res.error);
    else c.r.simple(res.status);
  };

  debugHooks.loadaof = (c) => {
    c.propagate = false;
    const emptyData = () => {
      aof.loadManifest();
      aof.deleteHistory();
      keys.flushall(false);
    };
    const loaded = (err: string | null) => {
      if (err !== null) {
        server.log.warning(err);
        process.exit(1);
      }
      // Redis sets server.dirty to 0 here: no changes since the last save.
      server.writePath.dirtyAtLastSave = server.writePath.dirty();
      server.log.notice("Append Only File loaded by DEBUG LOADAOF");
    };
    if (inExec()) {
      loaded(aof.reload(emptyData, false));
      return c.r.ok();
    }
    // Loading as Redis's loadAppendOnlyFiles does: other clients get -LOADING while
    // it runs (a slow script from the AOF included); the caller's +OK comes at the end.
    const client = c.client;
    client.blocked = true;
    server.loading = true;
    void aof.reload(emptyData, true).then((err) => {
      server.loading = false;
      loaded(err);
      client.blocked = false;
      // Counted once, now that it completes (as call() does for a blocked client).
      const st = server.stats.command("debug");
      st.calls++;
      st.usec += client.blockedUsec;
      server.stats.totalCommands++;
      client.blockedUsec = 0;
      if (!client.closed) {
        const r = new Reply(16);
        r.ok();
        server.writeTo(client, r.take());
      }
      server.resume(client);
    });
  };

  const info = (name: string, f: (a: Aof) => string | number) => infoProviders.set(name, (s) => {
    const a = instances.get(s);
    return a ? f(a) : 0;
  });
  const now = () => Math.floor(Date.now() / 1000);
  info("aof_enabled", (a) => (a.state !== "off" ? 1 : 0));
  info("aof_rewrite_in_progress", (a) => (a.child ? 1 : 0));
  info("aof_rewrite_scheduled", (a) => (a.rewriteScheduled ? 1 : 0));
  info("aof_last_rewrite_time_sec", (a) => a.rewriteTimeLast);
  info("aof_current_rewrite_time_sec", (a) => (a.child ? now() - a.rewriteTimeStart : -1));
  info("aof_last_bgrewrite_status", (a) => (a.lastBgrewriteOk ? "ok" : "err"));
  info("aof_rewrites", (a) => a.rewrites);
  info("aof_rewrites_consecutive_failures", (a) => a.consecutiveFailures);
  info("aof_last_write_status", (a) => (a.lastWriteStatusOk() ? "ok" : "err"));
  info("aof_last_cow_size", (a) => a.lastCowSize);
  info("aof_current_size", (a) => a.currentSize);
  info("aof_base_size", (a) => a.rewriteBaseSize);
  info("aof_pending_rewrite", (a) => (a.rewriteScheduled ? 1 : 0));
  info("aof_buffer_length", (a) => a.buf.length);
  info("aof_pending_bio_fsync", (a) => a.pendingFsync);
  info("aof_delayed_fsync", (a) => a.delayedFsync);
  info("mem_aof_buffer", (a) => a.buf.length);
  return aof;
}
