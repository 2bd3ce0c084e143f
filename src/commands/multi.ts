/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c). The
 * state lives in src/multi; queueing happens in dispatch (src/multi/queue.ts).
 */
import { call, countError, endedWithNestedCall } from "../server/call.js";
import { clearSlots, transactions, transactionsIfAny } from "../multi/transactions.js";
import { DIRTY_CAS } from "../multi/watch.js";
import type { CommandDef, Ctx } from "./types.js";

const GROUP = "transactions";
const FLAGS = "noscript loading stale fast allow_busy";
const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";

function exec(c: Ctx): void {
  const { client, server, r } = c;
  if (client.multiCount < 0) return r.error("ERR EXEC without MULTI");
  const tx = transactions(server);
  // A watched key that expired since WATCH counts as changed.
  if (tx.watch.size() > 0 && tx.watch.anyExpired(client)) client.flags.add(DIRTY_CAS);
  if (tx.isDoomed(client)) {
    r.error(EXECABORT);
    return tx.discard(client);
  }
  if (client.flags.size !== 0 && client.flags.has(DIRTY_CAS)) {
    r.nilArray();
    return tx.discard(client);
  }
  // The commands propagate themselves; call() wraps them in MULTI/EXEC.
  c.propagate = false;
  const st = client.multiState!;
  const n = client.multiCount;
  if (tx.watch.size() > 0) tx.watch.unwatchAll(client);
  // Commands that need a reply of their own (MONITOR, blocking ones) refuse while EXEC runs.
  const denied = client.denyBlocking;
  client.denyBlocking = true;
  st.running = true;
  r.array(n);
  let lastRan = false;
  try {
    for (let i = 0; i < n; i++) {
      const argv = st.argvs[i]!;
      const mark = r.pos;
      lastRan = false;
      // ACLs are checked again: they may have changed since the command was queued.
      if (!client.user.unrestricted) {
        const why = server.auth.execRefusal(client, st.specs[i]!, argv);
        if (why !== null) {
          r.error(why);
          countError(server, r, mark);
          continue;
        }
      }
      try {
        call(server, client, st.specs[i]!, argv, r);
        lastRan = true;
      } catch (e) {
        // One reply per queued command, whatever happens to one of them.
        r.pos = mark;
        const what = e instanceof Error ? e.message : String(e);
        server.log.warning(`Command '${argv[0].toString("latin1")}' failed in EXEC: ${e instanceof Error ? e.stack : what}`);
        r.error(`ERR internal error: ${what}`);
      }
    }
  } finally {
    client.denyBlocking = denied;
    tx.discard(client);
    st.running = false;
    clearSlots(st, n);
  }
  // What is left after the last command is a few field writes: EXEC's time ends with that command's.
  if (lastRan) endedWithNestedCall();
}

export const multiCommands: CommandDef[] = [
  {
    name: "multi",
    arity: 1,
    flags: FLAGS,
    acl: "transaction",
    group: GROUP,
    since: "1.2.0",
    summary: "Starts a transaction.",
    handler: (c) => {
      if (c.client.multiCount >= 0) return c.r.error("ERR MULTI calls can not be nested");
      transactions(c.server).begin(c.client);
      c.r.ok();
    },
  },
  {
    name: "exec",
    arity: 1,
    flags: "noscript loading stale skip_slowlog",
    acl: "transaction",
    group: GROUP,
    since: "1.2.0",
    summary: "Executes all commands in a transaction.",
    complexity: "Depends on commands in the transaction",
    handler: exec,
  },
  {
    name: "discard",
    arity: 1,
    flags: FLAGS,
    acl: "transaction",
    group: GROUP,
    since: "2.0.0",
    summary: "Discards a transaction.",
    complexity: "O(N), when N is the number of queued commands",
    handler: (c) => {
      if (c.client.multiCount < 0) return c.r.error("ERR DISCARD without MULTI");
      transactions(c.server).discard(c.client);
      c.r.ok();
    },
  },
  {
    name: "watch",
    arity: -2,
    flags: FLAGS,
    keys: [1, -1, 1],
    keyFlags: "RO",
    acl: "transaction",
    group: GROUP,
    since: "2.2.0",
    summary: "Monitors changes to keys to determine the execution of a transaction.",
    complexity: "O(1) for every key.",
    handler: (c) => {
      const { client, argv, r } = c;
      if (client.multiCount >= 0) return r.error("ERR WATCH inside MULTI is not allowed");
      // A dirty client's EXEC fails anyway: nothing more to watch.
      if (!client.flags.has(DIRTY_CAS)) {
        const table = transactions(c.server).watch;
        for (let i = 1; i < argv.length; i++) table.watch(client, c.db, argv[i]);
      }
      r.ok();
    },
  },
  {
    name: "unwatch",
    arity: 1,
    flags: FLAGS,
    acl: "transaction",
    group: GROUP,
    since: "2.2.0",
    summary: "Forgets about watched keys of a transaction.",
    handler: (c) => {
      transactionsIfAny(c.server)?.watch.unwatchAll(c.client);
      c.client.flags.delete(DIRTY_CAS);
      c.r.ok();
    },
  },
];
