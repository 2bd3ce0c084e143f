/**
 * The primary's replication commands (src/replication/primary.ts): SYNC and
 * PSYNC (a full resynchronization), REPLCONF as a replica sends it.
 */
import { primaryOf } from "../replication/primary.js";
import type { CommandDef } from "./types.js";

const REPLCONF_OPTIONS = new Set(["listening-port", "ip-address", "capa", "ack", "fack", "getack", "rdb-only", "rdb-filter-only", "rdb-channel"]);

export const replicationCommands: CommandDef[] = [
  { name: "sync", arity: 1, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: (c) => primaryOf(c.server).sync(c, false) },
  { name: "psync", arity: -3, flags: "no_async_loading admin noscript no_multi", acl: "admin slow dangerous", handler: (c) => primaryOf(c.server).sync(c, true) },
  {
    name: "replconf",
    arity: -1,
    flags: "admin noscript loading stale allow_busy",
    acl: "admin slow dangerous",
    handler: (c) => {
      const { argv, r } = c;
      if (argv.length % 2 === 0) return r.error("ERR syntax error");
      for (let i = 1; i < argv.length; i += 2) {
        const opt = argv[i].toString("latin1").toLowerCase();
        if (!REPLCONF_OPTIONS.has(opt)) return r.error(`ERR Unrecognized REPLCONF option: ${argv[i].toString("latin1")}`);
        // A replica's ACK (and FACK) gets no reply, as in Redis.
        if (opt === "ack" || opt === "fack") return;
        if (opt === "listening-port") {
          const port = Number(argv[i + 1].toString("latin1"));
          if (!Number.isInteger(port)) return r.error("ERR value is not an integer or out of range");
          primaryOf(c.server).setListeningPort(c.client, port);
        }
      }
      r.ok();
    },
  },
];
