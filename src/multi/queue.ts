/**
 * What dispatch does for transactions (the MULTI parts of Redis's
 * processCommand and rejectCommand): inside MULTI a checked command is queued
 * and answered +QUEUED, except the ones that act on the transaction itself;
 * a command refused while queueing dooms the transaction; a refused EXEC
 * aborts it, naming the refusal.
 */
import { CMD_NO_MULTI, type CommandSpec } from "../commands/types.js";
import { countError } from "../server/call.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { Reply } from "../protocol/reply.js";
import { transactions, transactionsIfAny } from "./transactions.js";

const QUEUED = Buffer.from("+QUEUED\r\n");
export const NOT_IN_MULTI = "ERR Command not allowed inside a transaction";

/** The commands that run at once inside MULTI, as in processCommand. */
const RUN_NOW = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** `CommandSpec.inMulti` values. */
const QUEUES = 1;
const RUNS_NOW = 2;

/**
 * For a client in MULTI, after the command passed the checks before it:
 * queues it (true), refuses a `no_multi` command (true), or leaves it to run
 * now (false).
 */
export function queueInMulti(server: Server, client: Client, spec: CommandSpec, argv: Buffer[], r: Reply): boolean {
  if ((spec.bits & CMD_NO_MULTI) !== 0) {
    const start = r.pos;
    r.error(NOT_IN_MULTI);
    (spec.stat ??= server.stats.command(spec.name)).rejected++;
    countError(server, r, start);
    transactions(server).doom(client);
    return true;
  }
  const mode = spec.inMulti !== 0 ? spec.inMulti : (spec.inMulti = RUN_NOW.has(spec.name) ? RUNS_NOW : QUEUES);
  if (mode === RUNS_NOW) return false;
  transactions(server).enqueue(client, spec, argv);
  r.raw(QUEUED);
  return true;
}

/**
 * A command was refused before running, its error written at `start`
 * (Redis's rejectCommand). In MULTI the transaction is doomed. A refused EXEC
 * ends the transaction (in MULTI or not, as Redis does) and its error becomes
 * "-EXECABORT Transaction discarded because of: <the refusal>". Counts the error.
 */
export function refused(server: Server, client: Client, argv: Buffer[], r: Reply, start: number): void {
  if (isExec(argv[0]) && r.pos > start) {
    let reason = r.buf.toString("utf8", start + 1, r.pos - 2);
    // Redis's own refusals carry no "ERR " where EXEC quotes them.
    if (reason.startsWith("ERR ")) reason = reason.slice(4);
    r.pos = start;
    transactionsIfAny(server)?.discard(client);
    r.error(`EXECABORT Transaction discarded because of: ${reason}`);
  } else if (client.multiCount >= 0) {
    transactions(server).doom(client);
  }
  countError(server, r, start);
}

function isExec(name: Buffer): boolean {
  return name.length === 4 && (name[0] | 0x20) === 0x65 && (name[1] | 0x20) === 0x78 && (name[2] | 0x20) === 0x65 && (name[3] | 0x20) === 0x63;
}
