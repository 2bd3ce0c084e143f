/**
 * Running one command (Redis's call()): the handler, its statistics, then the
 * write path: what the engine recorded while the command ran is drained once
 * (WATCH and tracking see the modified keys, keyspace notifications go out) and,
 * when the command changed something, its argv (or its deterministic rewrite)
 * is propagated. Commands run by other commands (EXEC, scripts) go through here
 * too: what they propagate is collected until the outermost call ends and then
 * goes out as one unit, wrapped in MULTI/EXEC when it is more than one command.
 */
import { performance } from "node:perf_hooks";
import type { CommandSpec, Ctx } from "../commands/types.js";
import type { Reply } from "../protocol/reply.js";
import type { Client } from "./client.js";
import type { Server } from "./server.js";
import { PROPAGATE_ALL, WritePath } from "./write-path.js";

export { WritePath };

/**
 * Set by a handler whose last act was a nested call() (EXEC): its time then
 * ends where that call's did, without another clock read (~30 ns a read).
 */
let endedByNestedCall = false;

/** Tells call() that the running handler's work ended with the nested call() it just made. */
export function endedWithNestedCall(): void {
  endedByNestedCall = true;
}

/** Runs `spec` (already resolved, checked and allowed) for `client`, writing its reply into `r`. */
export function call(server: Server, client: Client, spec: CommandSpec, argv: Buffer[], r: Reply): void {
  const wp = server.writePath;
  const start = r.pos;
  const ctx: Ctx = { client, argv, r, server, db: client.db, propagate: true, forcePropagate: 0, noErrorStats: false };
  const dirty = wp.dirty();
  // One clock read per command: it starts where the previous one of the batch
  // ended (processInput sets the clock at the batch's start), so a command's time
  // includes parsing its arguments, a fraction of a microsecond.
  const t0 = server.commandClock;
  wp.depth++;
  wp.rewritten = false;
  endedByNestedCall = false;
  try {
    spec.handler(ctx);
  } finally {
    // The record is drained first: a lazily expired key's DEL goes out before the command.
    if (wp.hasRecords()) wp.drain(client);
    wp.depth--;
  }
  let t1: number;
  if (endedByNestedCall) {
    endedByNestedCall = false;
    t1 = server.commandClock;
  } else server.commandClock = t1 = performance.now();
  let usec = (t1 - t0) * 1000;
  if (client.blocked) {
    // The command blocked its client (server/blocking.ts): it is counted once, when it completes.
    client.blockedUsec += usec;
  } else {
    if (client.blockedUsec !== 0) {
      usec += client.blockedUsec;
      client.blockedUsec = 0;
    }
    const st = (spec.stat ??= server.stats.command(spec.name));
    st.calls++;
    st.usec += usec;
    server.stats.totalCommands++;
    if (r.pos > start && r.buf[start] === 45 /* '-' */) {
      st.failed++;
      if (!ctx.noErrorStats) countError(server, r, start);
    }
  }
  // A change propagates argv, unless the engine recorded what goes in its place (drained already).
  if (wp.rewritten) wp.rewritten = false;
  else if (ctx.propagate && wp.propagating()) {
    const to = (wp.dirty() !== dirty ? PROPAGATE_ALL : 0) | ctx.forcePropagate;
    if (to !== 0) wp.propagate(ctx.db, argv, to);
  }
  server.afterCommand(client, spec, argv, usec);
  if (wp.depth === 0) {
    wp.flushPropagation(spec.name);
    // Clients blocked on keys this command (or transaction) made ready run now (Redis's handleClientsBlockedOnKeys).
    if (server.blocking.hasReady) server.blocking.serveReady();
  }
}

/** Counts an error reply (INFO errorstats) by its code, the word after '-'. */
export function countError(server: Server, r: Reply, start: number): void {
  if (r.pos <= start || r.buf[start] !== 45) return;
  server.stats.totalErrorReplies++;
  let end = start + 1;
  while (end < r.pos && r.buf[end] !== 32 && r.buf[end] !== 13) end++;
  const code = r.buf.toString("latin1", start + 1, end);
  server.stats.errors.set(code, (server.stats.errors.get(code) ?? 0) + 1);
}
