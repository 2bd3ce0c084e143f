/**
 * The geo family (Redis 7.2's "geo" group): the table's definitions; the
 * semantics run in the engine (native/src), one native call per command.
 * Skeleton: filled in by the data types work.
 */
import type { CommandDef } from "./types.js";

export const geoCommands: CommandDef[] = [];
