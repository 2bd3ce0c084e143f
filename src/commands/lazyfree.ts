/**
 * Lazy freeing (Redis's lazyfree.c): which deletions free big values on the
 * engine's lazyfree thread follows the lazyfree-lazy-* configs; INFO shows the
 * thread's counters.
 */
import type { Server } from "../server/server.js";
import { keys } from "../engine/index.js";
import { infoProviders } from "./info.js";

/** Keeps the engine's lazyfree settings in step with the config. */
export function trackLazyfree(server: Server): void {
  const cfg = server.config;
  const apply = () => keys.setLazyfree(cfg.bool("lazyfree-lazy-server-del"), cfg.bool("lazyfree-lazy-expire"), cfg.bool("lazyfree-lazy-user-del"));
  apply();
  cfg.onChange((name) => {
    if (name.startsWith("lazyfree-lazy-")) apply();
  });
}

infoProviders.set("lazyfree_pending_objects", () => keys.lazyfreeStats()[0]);
infoProviders.set("lazyfreed_objects", () => keys.lazyfreeStats()[1]);
