/**
 * WAIT numreplicas timeout (Redis's waitCommand and processClientsWaitingReplicas):
 * answers at once when enough replicas acknowledged the stream up to where it
 * stands now (the client's writes are in it), else blocks the client, asks the
 * replicas for an ACK (REPLCONF GETACK *) and answers when enough ACKs came or
 * the timeout passed: the number of replicas that acknowledged.
 */
import { parseI64 } from "../protocol/numbers.js";
import type { Ctx } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { primaryOf, type Primary } from "./primary.js";

interface Waiter {
  client: Client;
  offset: number;
  want: number;
  timer: NodeJS.Timeout | null;
}

const WAIT_ON_REPLICA =
  "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

class Waits {
  private readonly waiters = new Map<Client, Waiter>();
  private readonly primary: Primary;

  constructor(private readonly server: Server) {
    this.primary = primaryOf(server);
    this.primary.ackHooks.push(() => this.check());
    server.closeHooks.push((c) => this.forget(c));
  }

  wait(c: Ctx): void {
    const { client, argv, r, server } = c;
    if (server.isReplica) return r.error(WAIT_ON_REPLICA);
    const want = parseI64(argv[1]);
    if (want === null) return r.error("ERR value is not an integer or out of range");
    const ms = parseI64(argv[2]);
    if (ms === null) return r.error("ERR timeout is not an integer or out of range");
    if (ms < 0) return r.error("ERR timeout is negative");
    if (ms > 0 && ms > 2 ** 63 - 1 - Date.now()) return r.error("ERR timeout is out of range");
    const offset = this.primary.offset;
    const acked = this.primary.acked(offset);
    if (acked >= want || client.denyBlocking) return r.int(acked);
    const w: Waiter = { client, offset, want, timer: null };
    if (ms > 0) {
      w.timer = setTimeout(() => this.answer(w), ms);
      w.timer.unref();
    }
    this.waiters.set(client, w);
    client.blocked = true;
    client.unblock = (withError) => this.answer(w, withError);
    this.primary.requestAcks();
  }

  private check(): void {
    for (const w of [...this.waiters.values()]) if (this.primary.acked(w.offset) >= w.want) this.answer(w);
  }

  private forget(client: Client): void {
    const w = this.waiters.get(client);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.waiters.delete(client);
  }

  /** Ends the wait with the count (or CLIENT UNBLOCK's error) and counts the call. */
  private answer(w: Waiter, withError = false): void {
    if (this.waiters.get(w.client) !== w) return;
    this.forget(w.client);
    const { client } = w;
    const server = this.server;
    client.blocked = false;
    client.unblock = null;
    const st = server.stats.command("wait");
    st.calls++;
    st.usec += client.blockedUsec;
    client.blockedUsec = 0;
    server.stats.totalCommands++;
    const text = withError ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" : `:${this.primary.acked(w.offset)}\r\n`;
    if (withError) st.failed++;
    server.writeTo(client, Buffer.from(text));
    server.resume(client);
  }
}

const all = new WeakMap<Server, Waits>();

/** The WAIT command's handler. */
export function waitCommand(c: Ctx): void {
  let w = all.get(c.server);
  if (!w) all.set(c.server, (w = new Waits(c.server)));
  w.wait(c);
}
