/**
 * WAIT numreplicas timeout and WAITAOF numlocal numreplicas timeout (Redis's
 * waitCommand, waitaofCommand and processClientsWaitingReplicas): each answers
 * at once when enough replicas acknowledged the stream up to the client's last
 * write (its woff) -- WAITAOF: fsynced it to their AOF (REPLCONF ACK ... FACK),
 * and locally our own AOF's fsync covers it when numlocal is 1 -- else blocks
 * the client, asks the replicas for an ACK (REPLCONF GETACK *) and answers when
 * enough ACKs came or the timeout passed: WAIT the number of replicas, WAITAOF
 * [local, replicas].
 */
import { parseI64 } from "../protocol/numbers.js";
import type { Ctx } from "../commands/types.js";
import { NOT_INT, rangedInt } from "../commands/errors.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { aofOf } from "../persistence/aof/index.js";
import { primaryOf, type Primary } from "./primary.js";

interface Waiter {
  client: Client;
  /** WAITAOF (an array reply, FACKs and the local fsync) or WAIT. */
  aof: boolean;
  offset: number;
  numlocal: number;
  want: number;
  timer: NodeJS.Timeout | null;
}

const WAIT_ON_REPLICA =
  "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";
const WAITAOF_ON_REPLICA =
  "ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.";
const WAITAOF_NO_AOF = "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";
const UNBLOCKED_ROLE = "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";

class Waits {
  private readonly waiters = new Map<Client, Waiter>();
  private readonly primary: Primary;

  constructor(private readonly server: Server) {
    this.primary = primaryOf(server);
    this.primary.ackHooks.push(() => this.check());
    server.closeHooks.push((c) => this.forget(c));
  }

  /** Our AOF's fsynced offset (fsynced_reploff): -1 while it is off. */
  private fsynced(): number {
    return aofOf(this.server)?.fsyncedReploff ?? -1;
  }

  private aofEnabled(): boolean {
    return this.server.config.bool("appendonly");
  }

  /** The timeout argument in ms (getTimeoutFromObjectOrReply), or null after replying its error. */
  private timeout(c: Ctx, arg: Buffer): number | null {
    const ms = parseI64(arg);
    if (ms === null) return c.r.error("ERR timeout is not an integer or out of range"), null;
    if (ms < 0) return c.r.error("ERR timeout is negative"), null;
    if (ms > 0 && ms > 2 ** 63 - 1 - Date.now()) return c.r.error("ERR timeout is out of range"), null;
    return ms;
  }

  wait(c: Ctx): void {
    const { client, argv, r, server } = c;
    if (server.isReplica) return r.error(WAIT_ON_REPLICA);
    const want = parseI64(argv[1]);
    if (want === null) return r.error(NOT_INT);
    const ms = this.timeout(c, argv[2]);
    if (ms === null) return;
    const acked = this.primary.acked(client.woff);
    if (acked >= want || client.denyBlocking) return r.int(acked);
    this.block({ client, aof: false, offset: client.woff, numlocal: 0, want, timer: null }, ms);
  }

  waitaof(c: Ctx): void {
    const { client, argv, r, server } = c;
    const numlocal = rangedInt(argv[1], 0, 1);
    if (typeof numlocal === "string") return r.error(numlocal);
    const want = parseI64(argv[2]);
    if (want === null || want < 0) return r.error(want === null ? NOT_INT : "ERR value is out of range, must be positive");
    const ms = this.timeout(c, argv[3]);
    if (ms === null) return;
    if (server.isReplica) return r.error(WAITAOF_ON_REPLICA);
    if (numlocal && !this.aofEnabled()) return r.error(WAITAOF_NO_AOF);
    const acked = this.primary.aofAcked(client.woff);
    const local = this.fsynced() >= client.woff ? 1 : 0;
    if ((acked >= want && local >= numlocal) || client.denyBlocking) {
      r.array(2);
      r.int(local);
      r.int(acked);
      return;
    }
    this.block({ client, aof: true, offset: client.woff, numlocal, want, timer: null }, ms);
  }

  private block(w: Waiter, ms: number): void {
    if (ms > 0) {
      w.timer = setTimeout(() => this.answer(w), ms);
      w.timer.unref();
    }
    this.waiters.set(w.client, w);
    w.client.blocked = true;
    w.client.unblock = (withError) => this.answer(w, withError ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" : null);
    this.primary.requestAcks();
  }

  /** processClientsWaitingReplicas: after ACKs, a replica leaving, our AOF's fsync or turning it off. */
  check(): void {
    for (const w of [...this.waiters.values()]) {
      if (w.aof && w.numlocal && !this.aofEnabled()) {
        this.answer(w, `-${WAITAOF_NO_AOF}\r\n`);
        continue;
      }
      const n = w.aof ? this.primary.aofAcked(w.offset) : this.primary.acked(w.offset);
      if (n < w.want) continue;
      if (w.aof && (this.fsynced() >= w.offset ? 1 : 0) < w.numlocal) continue;
      this.answer(w);
    }
  }

  /** disconnectAllBlockedClients's part: we became a replica. */
  disconnectAll(): void {
    for (const w of [...this.waiters.values()]) {
      this.answer(w, UNBLOCKED_ROLE);
      w.client.closeAfterReply = true;
    }
  }

  private forget(client: Client): void {
    const w = this.waiters.get(client);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.waiters.delete(client);
  }

  /** Ends the wait with its counts (or `error`, a whole RESP error) and counts the call. */
  private answer(w: Waiter, error: string | null = null): void {
    if (this.waiters.get(w.client) !== w) return;
    this.forget(w.client);
    const { client } = w;
    const server = this.server;
    client.blocked = false;
    client.unblock = null;
    const st = server.stats.command(w.aof ? "waitaof" : "wait");
    st.calls++;
    st.usec += client.blockedUsec;
    client.blockedUsec = 0;
    server.stats.totalCommands++;
    let text: string;
    if (error !== null) {
      text = error;
      st.failed++;
    } else if (w.aof) {
      const local = this.fsynced() >= w.offset ? 1 : 0;
      text = `*2\r\n:${local}\r\n:${this.primary.aofAcked(w.offset)}\r\n`;
    } else text = `:${this.primary.acked(w.offset)}\r\n`;
    server.writeTo(client, Buffer.from(text));
    server.resume(client);
  }
}

const all = new WeakMap<Server, Waits>();

function waitsOf(server: Server): Waits {
  let w = all.get(server);
  if (!w) {
    all.set(server, (w = new Waits(server)));
    const aof = aofOf(server);
    if (aof) aof.fsyncHooks.push(() => w!.check());
  }
  return w;
}

/** The WAIT command's handler. */
export function waitCommand(c: Ctx): void {
  waitsOf(c.server).wait(c);
}

/** The WAITAOF command's handler. */
export function waitaofCommand(c: Ctx): void {
  waitsOf(c.server).waitaof(c);
}

/** Clients blocked in WAIT / WAITAOF get -UNBLOCKED and are closed (the server became a replica). */
export function disconnectWaiters(server: Server): void {
  all.get(server)?.disconnectAll();
}
