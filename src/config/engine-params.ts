/**
 * The config parameters the engine's commands read themselves (bit offsets
 * bounded by proto-max-bulk-len, the HLL sparse limit, ...): mirrored into the
 * engine at start and on every change.
 */
import * as engine from "../engine/index.js";
import type { Config } from "./config.js";

export const ENGINE_PARAMS = ["proto-max-bulk-len", "hll-sparse-max-bytes"];

export function mirrorEngineParams(config: Config): void {
  for (const name of ENGINE_PARAMS) engine.server.setConfig(name, config.int(name));
  config.onChange((name) => {
    if (ENGINE_PARAMS.includes(name)) engine.server.setConfig(name, config.int(name));
    return undefined;
  });
}
