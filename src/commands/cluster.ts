/**
 * The cluster commands: Nodis runs as a standalone server (cluster-enabled is
 * refused at start), where Redis 7.2 answers every one of them with the same
 * error. They are in the table so COMMAND, ACL categories and scripts (CLUSTER
 * RESET is noscript) know them as Redis does.
 */
import type { CommandDef, Handler } from "./types.js";

const DISABLED: Handler = (c) => c.r.error("ERR This instance has cluster support disabled");

/** [name, arity, flags, tips] of CLUSTER's subcommands, as Redis 7.2 declares them. */
const SUBCOMMANDS: [string, number, string, string][] = [
  ["addslots", -3, "no_async_loading admin stale", ""],
  ["addslotsrange", -4, "no_async_loading admin stale", ""],
  ["bumpepoch", 2, "no_async_loading admin stale", "nondeterministic_output"],
  ["count-failure-reports", 3, "admin stale", "nondeterministic_output"],
  ["countkeysinslot", 3, "stale", ""],
  ["delslots", -3, "no_async_loading admin stale", ""],
  ["delslotsrange", -4, "no_async_loading admin stale", ""],
  ["failover", -2, "no_async_loading admin stale", ""],
  ["flushslots", 2, "no_async_loading admin stale", ""],
  ["forget", 3, "no_async_loading admin stale", ""],
  ["getkeysinslot", 4, "stale", "nondeterministic_output"],
  ["help", 2, "loading stale", ""],
  ["info", 2, "stale", "nondeterministic_output"],
  ["keyslot", 3, "stale", ""],
  ["links", 2, "stale", "nondeterministic_output"],
  ["meet", -4, "no_async_loading admin stale", ""],
  ["myid", 2, "stale", ""],
  ["myshardid", 2, "stale", "nondeterministic_output"],
  ["nodes", 2, "stale", "nondeterministic_output"],
  ["replicas", 3, "admin stale", "nondeterministic_output"],
  ["replicate", 3, "no_async_loading admin stale", ""],
  ["reset", -2, "admin stale noscript", ""],
  ["saveconfig", 2, "no_async_loading admin stale", ""],
  ["set-config-epoch", 3, "no_async_loading admin stale", ""],
  ["setslot", -4, "no_async_loading admin stale", ""],
  ["shards", 2, "loading stale", "nondeterministic_output"],
  ["slaves", 3, "admin stale", "nondeterministic_output"],
  ["slots", 2, "loading stale", "nondeterministic_output"],
];

export const clusterCommands: CommandDef[] = [
  {
    name: "cluster",
    arity: -2,
    handler: DISABLED,
    subcommands: SUBCOMMANDS.map(([name, arity, flags, tips]) => ({ name, arity, flags, tips: tips || undefined, handler: DISABLED })),
  },
  { name: "asking", arity: 1, flags: "fast", acl: "connection", handler: DISABLED },
  { name: "readonly", arity: 1, flags: "fast loading stale", acl: "connection", handler: DISABLED },
  { name: "readwrite", arity: 1, flags: "fast loading stale", acl: "connection", handler: DISABLED },
];
