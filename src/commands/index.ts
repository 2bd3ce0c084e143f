import type { CommandDef, CommandSpec } from "./types.js";
import { command } from "./types.js";
import { connectionCommands } from "./connection.js";
import { keyCommands } from "./keys.js";
import { serverCommands } from "./server.js";
import { stringCommands } from "./strings.js";

/** Every command family's definitions; the command table is built from these. */
export const FAMILIES: CommandDef[][] = [connectionCommands, keyCommands, stringCommands, serverCommands];

export function buildCommandTable(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const family of FAMILIES) {
    for (const def of family) table.set(def.name.toLowerCase(), command(def));
  }
  return table;
}
