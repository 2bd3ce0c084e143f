/**
 * Replication's commands (src/replication): SYNC and PSYNC (a primary's side),
 * REPLCONF as replicas send it, REPLICAOF / SLAVEOF, ROLE, WAIT.
 */
import { primaryOf } from "../replication/primary.js";
import { SNAPSHOT_EXCLUDE_DATA, SNAPSHOT_EXCLUDE_FUNCTIONS } from "../replication/full-sync.js";
import { splitArgs } from "../protocol/inline.js";
import { rangedInt } from "./errors.js";
import { replicationOf } from "../replication/role.js";
import { waitCommand, waitaofCommand } from "../replication/wait.js";
import { failingOver, failoverCommand } from "../replication/failover.js";
import { parseI64 } from "../protocol/numbers.js";
import type { CommandDef, Ctx } from "./types.js";

const REPLCONF_OPTIONS = new Set(["listening-port", "ip-address", "capa", "ack", "fack", "getack", "rdb-only", "rdb-filter-only", "rdb-channel"]);

function replconf(c: Ctx): void {
  const { argv, r, client, server } = c;
  if (argv.length % 2 === 0) return r.error("ERR syntax error");
  const primary = primaryOf(server);
  for (let i = 1; i < argv.length; i += 2) {
    const opt = argv[i].toString("latin1").toLowerCase();
    const value = argv[i + 1];
    if (!REPLCONF_OPTIONS.has(opt)) return r.error(`ERR Unrecognized REPLCONF option: ${argv[i].toString("latin1")}`);
    // A replica's ACK (and FACK) gets no reply, as in Redis.
    if (opt === "ack" || opt === "fack") {
      if (!client.flags.has("slave")) return;
      const off = parseI64(value);
      if (opt !== "ack" || off === null) return;
      const fack = argv.length > i + 3 && argv[i + 2].toString("latin1").toLowerCase() === "fack" ? parseI64(argv[i + 3]) : null;
      if (argv.length > i + 3 && fack === null && argv[i + 2].toString("latin1").toLowerCase() === "fack") return;
      primary.ack(client, off, fack);
      return;
    }
    // GETACK from our primary: an ACK right away, no reply (replicationSendAck).
    if (opt === "getack") {
      if (client.flags.has("master")) replicationOf(server).link?.sendAck();
      return;
    }
    if (opt === "listening-port") {
      const port = parseI64(value);
      if (port === null) return r.error("ERR value is not an integer or out of range");
      primary.linkOf(client).listeningPort = port;
    } else if (opt === "ip-address") {
      primary.linkOf(client).ip = value.toString("latin1");
    } else if (opt === "rdb-only") {
      const on = rangedInt(value, 0, 1);
      if (typeof on === "string") return r.error(on);
      primary.linkOf(client).rdbOnly = on === 1;
    } else if (opt === "rdb-filter-only") {
      // Include filters (only "functions" exists): everything else is left out.
      const filters = splitArgs(value.toString("latin1"));
      if (filters === null) return r.error("ERR Missing rdb-filter-only values");
      const link = primary.linkOf(client);
      link.exclude |= SNAPSHOT_EXCLUDE_DATA | SNAPSHOT_EXCLUDE_FUNCTIONS;
      for (const f of filters) {
        if (f.toString("latin1").toLowerCase() !== "functions") return r.error(`ERR Unsupported rdb-filter-only option: ${f.toString("latin1")}`);
        link.exclude &= ~SNAPSHOT_EXCLUDE_FUNCTIONS;
      }
    } else if (opt === "capa") {
      const capa = value.toString("latin1").toLowerCase();
      if (capa === "eof") primary.linkOf(client).capaEof = true;
      else if (capa === "psync2") primary.linkOf(client).capaPsync2 = true;
    }
  }
  r.ok();
}

function replicaof(c: Ctx): void {
  const { argv, r, client, server } = c;
  if (failingOver(server)) return r.error("ERR REPLICAOF not allowed while failing over.");
  const repl = replicationOf(server);
  const host = argv[1].toString("latin1");
  if (host.toLowerCase() === "no" && argv[2].toString("latin1").toLowerCase() === "one") {
    if (repl.link !== null) {
      repl.unsetMaster();
      server.log.notice(`MASTER MODE enabled (user request from '${client.info(Date.now(), true, argv)}')`);
    }
    return r.ok();
  }
  if (client.flags.has("slave")) return r.error("ERR Command is not valid when client is a replica.");
  const port = parseI64(argv[2]);
  if (port === null || port < 0 || port > 65535) return r.error("ERR Invalid master port");
  const link = repl.link;
  if (link !== null && link.host.toLowerCase() === host.toLowerCase() && link.port === port) {
    server.log.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
    return r.simple("OK Already connected to specified master");
  }
  repl.setMaster(host, port);
  server.log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${client.info(Date.now(), true, argv)}')`);
  r.ok();
}

export const replicationCommands: CommandDef[] = [
  { name: "sync", arity: 1, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: (c) => primaryOf(c.server).sync(c, false) },
  { name: "psync", arity: -3, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: (c) => primaryOf(c.server).sync(c, true) },
  { name: "replconf", arity: -1, flags: "admin noscript loading stale allow_busy", acl: "admin slow dangerous", handler: replconf },
  { name: "replicaof", arity: 3, flags: "no_async_loading admin noscript stale", acl: "admin slow dangerous", handler: replicaof },
  { name: "failover", arity: -1, flags: "admin noscript stale", acl: "admin slow dangerous", handler: failoverCommand },
  { name: "slaveof", arity: 3, flags: "no_async_loading admin noscript stale", acl: "admin slow dangerous", handler: replicaof },
  { name: "role", arity: 1, flags: "noscript loading stale fast sentinel", acl: "admin fast dangerous", handler: (c) => replicationOf(c.server).role(c.r) },
  { name: "wait", arity: 3, flags: "", acl: "slow connection", tips: "request_policy:all_shards response_policy:agg_min", handler: waitCommand },
  { name: "waitaof", arity: 4, flags: "noscript", acl: "slow connection", tips: "request_policy:all_shards response_policy:agg_min", handler: waitaofCommand },
];
