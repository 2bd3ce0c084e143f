import type { CommandDef, CommandSpec } from "./types.js";
import { command } from "./types.js";
import { configCommands } from "./config.js";
import { aclCommands } from "./acl.js";
import { connectionCommands } from "./connection.js";
import { keyCommands } from "./keys.js";
import { serverCommands } from "./server.js";
import { infoCommands } from "./info.js";
import { commandCommands } from "./command.js";
import { debugCommands } from "./debug.js";
import { moduleCommands } from "./module.js";
import { slowlogCommands } from "./slowlog.js";
import { latencyCommands } from "./latency.js";
import { monitorCommands } from "./monitor.js";
import { stringCommands } from "./strings.js";
import { functionCommands } from "./functions.js";
import { multiCommands } from "./multi.js";
import { pubsubCommands } from "./pubsub.js";
import { listCommands } from "./lists.js";
import { hashCommands } from "./hashes.js";
import { setCommands } from "./sets.js";
import { zsetCommands } from "./zsets.js";
import { bitmapCommands } from "./bitmaps.js";
import { hyperloglogCommands } from "./hyperloglog.js";
import { geoCommands } from "./geo.js";
import { sortCommands } from "./sort.js";
import { memoryCommands } from "./memory.js";
import { streamCommands } from "./streams.js";
import { aofCommands } from "./aof.js";
import { persistenceCommands } from "./persistence.js";
import { replicationCommands } from "./replication.js";
import { clusterCommands } from "./cluster.js";
import { lolwutCommands } from "./lolwut.js";
import { evalCommands } from "../scripting/eval.js";

/** Every command family's definitions; the command table is built from these. */
export const FAMILIES: CommandDef[][] = [connectionCommands, keyCommands, stringCommands, serverCommands, configCommands, aclCommands,
  infoCommands, commandCommands, debugCommands, moduleCommands, slowlogCommands, latencyCommands, monitorCommands, functionCommands,
  multiCommands, pubsubCommands, listCommands, hashCommands, setCommands, zsetCommands, bitmapCommands,
  hyperloglogCommands, geoCommands, sortCommands, memoryCommands, streamCommands, persistenceCommands, aofCommands,
  replicationCommands, evalCommands, clusterCommands, lolwutCommands];

export function buildCommandTable(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const family of FAMILIES) {
    for (const def of family) table.set(def.name.toLowerCase(), command(def));
  }
  return table;
}
