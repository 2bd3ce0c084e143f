/** The sorted set type's engine settings (native/src/t_zset.rs). */
import { native } from "./addon.js";

/** zset-max-listpack-entries and zset-max-listpack-value. */
export function setConfig(maxEntries: number, maxValue: number): void {
  native.engineZsetConfig(maxEntries, maxValue);
}
