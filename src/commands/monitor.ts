/** MONITOR: clients that see every command as it runs (Redis's replicationFeedMonitors). */
import type { CommandDef } from "./types.js";
import { introspection } from "./introspection.js";

export const monitorCommands: CommandDef[] = [
  {
    name: "monitor",
    arity: 1,
    flags: "admin noscript loading stale",
    acl: "admin slow dangerous",
    handler: (c) => {
      // Inside EXEC (or a script) a client must get one reply per command.
      if (c.client.denyBlocking || c.client.multiCount >= 0) {
        return c.r.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
      }
      if (c.client.flags.has("slave")) return; // already a replica or a monitor: no reply
      c.client.flags.add("slave");
      c.client.flags.add("monitor");
      introspection(c.server).monitors.add(c.client);
      c.r.ok();
    },
  },
];
