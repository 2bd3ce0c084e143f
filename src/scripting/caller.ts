/**
 * The client whose script is running (null: none), for what must know that a
 * command comes from a script without depending on the scripting modules
 * (the slowlog and MONITOR show a script's commands as Redis's Lua client).
 * Set by src/scripting/bridge.ts.
 */
import type { Client } from "../server/client.js";

export const scriptCaller: { client: Client | null } = { client: null };
