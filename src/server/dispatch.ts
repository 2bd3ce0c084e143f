import { performance } from "node:perf_hooks";
import type { CommandSpec, Ctx } from "../commands/types.js";
import { unknownCommand, unknownSubcommand, wrongArity } from "../commands/errors.js";
import type { Reply } from "../protocol/reply.js";
import { setNoTouch } from "../engine/server.js";
import type { Client } from "./client.js";
import type { Server } from "./server.js";

/**
 * The entry for a command name as the client spelled it ("SET", "set", "Set"),
 * through the server's `spelled` cache, so the hot path neither lowercases nor
 * builds a string: names of up to 6 bytes are packed into one exact number
 * (length first, so "\0GET" is not "GET").
 */
function lookup(server: Server, name: Buffer): CommandSpec | undefined {
  let key: number | string;
  if (name.length <= 6) {
    key = name.length;
    for (let i = 0; i < name.length; i++) key = key * 256 + name[i];
  } else key = name.toString("latin1");
  const cache = server.spelled;
  let spec = cache.get(key);
  if (spec === undefined) {
    spec = server.commands.get(name.toString("latin1").toLowerCase());
    // Only known names are remembered, so random names cannot grow the cache.
    if (spec !== undefined && cache.size < 4096) cache.set(key, spec);
  }
  return spec;
}

/** Finds the table entry for argv (a subcommand when the command has them), or replies with the error. */
export function resolve(server: Server, argv: Buffer[], r: Reply): CommandSpec | null {
  let spec = lookup(server, argv[0]);
  if (!spec) {
    r.error(unknownCommand(argv));
    return null;
  }
  // A container called alone is checked against its own arity (COMMAND runs; CONFIG is -2 and errors).
  if (spec.subcommands && argv.length > 1) {
    const sub = spec.subcommands.get(argv[1].toString("latin1").toLowerCase());
    if (!sub) {
      r.error(unknownSubcommand(argv[1], spec.name));
      return null;
    }
    spec = sub;
  }
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
    r.error(wrongArity(spec.name));
    return null;
  }
  return spec;
}

/** Runs one command for `client`, writing its reply into `r`. */
export function execute(server: Server, client: Client, argv: Buffer[], r: Reply): void {
  const start = r.pos;
  const spec = resolve(server, argv, r);
  if (!spec) {
    countError(server, r, start);
    return;
  }
  if (!client.authenticated && !spec.flags.includes("no_auth")) {
    r.error("NOAUTH Authentication required.");
    (spec.stat ??= server.stats.command(spec.name)).rejected++;
    countError(server, r, start);
    return;
  }
  client.lastCommand = spec.name;
  setNoTouch(client.noTouch);
  const ctx: Ctx = { client, argv, r, server, db: client.db };
  // One clock read per command: it starts where the previous one of the batch
  // ended (processInput sets the clock at the batch's start), so a command's time
  // includes parsing its arguments, a fraction of a microsecond.
  const t0 = server.commandClock;
  spec.handler(ctx);
  const t1 = performance.now();
  server.commandClock = t1;
  const usec = (t1 - t0) * 1000;
  const st = (spec.stat ??= server.stats.command(spec.name));
  st.calls++;
  st.usec += usec;
  server.stats.totalCommands++;
  if (r.pos > start && r.buf[start] === 45 /* '-' */) {
    st.failed++;
    countError(server, r, start);
  }
  server.afterCommand(client, spec, argv, usec);
}

function countError(server: Server, r: Reply, start: number): void {
  if (r.pos <= start || r.buf[start] !== 45) return;
  server.stats.totalErrorReplies++;
  let end = start + 1;
  while (end < r.pos && r.buf[end] !== 32 && r.buf[end] !== 13) end++;
  const code = r.buf.toString("latin1", start + 1, end);
  server.stats.errors.set(code, (server.stats.errors.get(code) ?? 0) + 1);
}
