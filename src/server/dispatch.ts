import { CMD_LOADING, CMD_MAY_REPLICATE, CMD_NO_AUTH, CMD_WRITE, type CommandSpec } from "../commands/types.js";
import { MISCONF, writesDenied } from "../persistence/index.js";
import { call } from "./call.js";
import { CommandNames } from "./command-names.js";
import { unknownCommand, unknownSubcommand, wrongArity } from "../commands/errors.js";
import type { ErrorText, Reply } from "../protocol/reply.js";
import { setNoTouch } from "../engine/server.js";
import { AOF_CLIENT_ID, type Client } from "./client.js";
import type { Server } from "./server.js";
import { queueInMulti, refused } from "../multi/queue.js";
import { refusedWhileSubscribed } from "../pubsub/subscribed-mode.js";
import { busy, diskError, SLOW_EVAL, SLOW_SCRIPT } from "../scripting/bridge.js";
import { CLIENT_EVICTED } from "./eviction.js";
import { effectiveSpec } from "../scripting/command-flags.js";

/** Finds the table entry for argv (a subcommand when the command has them), or replies with the error. */
export function resolve(server: Server, argv: Buffer[], r: Reply): CommandSpec | null {
  // Made on first use: rename-command changes the table before any client connects.
  let spec = (server.commandNames ??= new CommandNames(server.commands)).get(argv[0]);
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
    // A known command refused for its arity is a rejected call of it (Redis's rejectCommand).
    (spec.stat ??= server.stats.command(spec.name)).rejected++;
    return null;
  }
  return spec;
}

/** Runs one command for `client`, writing its reply into `r`: resolves and checks it, then call(). */
export function execute(server: Server, client: Client, argv: Buffer[], r: Reply): void {
  const start = r.pos;
  const spec = resolve(server, argv, r);
  if (!spec) {
    refused(server, client, argv, r, start);
    return;
  }
  if (!client.authenticated && (spec.bits & CMD_NO_AUTH) === 0) return reject(server, client, spec, argv, r, start, "NOAUTH Authentication required.");
  // ACL: users that may run anything anywhere (the default one, unless changed) skip the check.
  if (!client.user.unrestricted) {
    client.lastCommand = spec.name; // as Redis sets it at lookup: ACL LOG's client-info names the command
    const why = server.auth.refusal(client, spec, argv, client.multiCount >= 0 ? "multi" : "toplevel");
    if (why !== null) return reject(server, client, spec, argv, r, start, ["NOPERM ", Buffer.from(why, "latin1")]);
  }
  // RESP2 subscribed mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET run (flags is empty for most clients).
  if (client.flags.size !== 0 && client.resp === 2 && client.flags.has("pubsub")) {
    const why = refusedWhileSubscribed(spec);
    if (why !== null) return reject(server, client, spec, argv, r, start, why);
  }
  // The checks below judge a script command by its script's declared flags (Redis's getCommandFlags),
  // worked out only when one of them applies.
  let judged = server.eviction.active || server.replicationGate !== null ? effectiveSpec(spec, argv) : spec;
  // maxmemory: evict first; when nothing can be evicted, commands that may grow memory are refused (src/server/eviction.ts).
  if (server.eviction.active && busy.script === null) {
    const why = server.eviction.beforeCommand(client, judged, argv);
    if (why === CLIENT_EVICTED) return;
    if (why !== null) return reject(server, client, spec, argv, r, start, why);
  }
  // Writes (and PING) are refused while the disk refuses them (Redis's writeCommandsDeniedByDiskError).
  if ((spec.bits & (CMD_WRITE | CMD_MAY_REPLICATE)) !== 0 || spec.name === "ping" || spec.name === "exec") {
    const why = deniedByDiskError(server);
    if (why !== null) {
      if (judged === spec) judged = effectiveSpec(spec, argv);
      if ((judged.bits & CMD_WRITE) !== 0 || spec.name === "ping" || (spec.name === "exec" && client.multiWrites)) return reject(server, client, spec, argv, r, start, why);
    }
  }
  if (server.replicationGate !== null) {
    const why = server.replicationGate(client, judged);
    if (why !== null) return reject(server, client, spec, argv, r, start, why);
  }
  if (server.loading && (spec.bits & CMD_LOADING) === 0 && client.id !== AOF_CLIENT_ID) return reject(server, client, spec, argv, r, start, LOADING);
  // After the loading check, as Redis's processCommand: a script past busy-reply-threshold: only the commands Redis allows then (allow_busy) run.
  if (busy.script !== null && !spec.flags.includes("allow_busy")) return reject(server, client, spec, argv, r, start, busy.script.isEval ? SLOW_EVAL : SLOW_SCRIPT);
  client.lastCommand = spec.name;
  // Inside MULTI commands are queued (src/multi); outside, this one test is all it costs.
  if (client.multiCount >= 0 && queueInMulti(server, client, spec, argv, r)) return;
  setNoTouch(client.noTouch);
  call(server, client, spec, argv, r);
}

const LOADING = "LOADING Redis is loading the dataset in memory";

/**
 * Whether a server-wide state holds under which execute() refuses some commands
 * (a busy script, loading, a disk error, sentinel mode's own command table, a
 * replica's or min-replicas-to-write's gate): paths that run commands without
 * execute() (the batch path) leave them all to it then.
 */
export function refusingCommands(server: Server): boolean {
  return (
    busy.script !== null ||
    server.loading ||
    server.sentinelMode ||
    server.replicationGate !== null ||
    deniedByDiskError(server) !== null
  );
}

/** The MISCONF error while a BGSAVE failed (stop-writes-on-bgsave-error) or the AOF cannot be written, or null. */
function deniedByDiskError(server: Server): string | null {
  if (writesDenied(server)) return MISCONF;
  return server.aofWriteError;
}
// Scripts' write checks ask the same (scripting/bridge.ts).
diskError.of = deniedByDiskError;

/** Refuses a resolved command before it runs: the error, counted as a rejected call (and, in MULTI, failing the transaction). */
function reject(server: Server, client: Client, spec: CommandSpec, argv: Buffer[], r: Reply, start: number, error: ErrorText): void {
  r.error(error);
  (spec.stat ??= server.stats.command(spec.name)).rejected++;
  refused(server, client, argv, r, start);
}
