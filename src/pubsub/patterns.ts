/** Which subscribed patterns a channel matches: Redis's glob (stringmatchlen, case-sensitive) from the engine. */
import { globMatch } from "../engine/keys.js";
import type { Registry, Subscribed } from "./registry.js";

/** Calls `each` for every subscribed pattern `channel` matches, in subscription order of the patterns. */
export function forEachMatch(patterns: Registry, channel: Buffer, each: (p: Subscribed) => void): void {
  for (const p of patterns.names.values()) {
    if (globMatch(p.name, channel, false)) each(p);
  }
}
