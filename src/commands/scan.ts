/** SCAN over the keyspace: an engine command (native/src/keys_cmd.rs; generic.rs `scan_cmd`, dict.rs reverse-binary cursor). */
import type { CommandDef } from "./types.js";
import { engineHandler } from "./engine-command.js";

export const scanCommands: CommandDef[] = [
  {
    name: "scan",
    arity: -2,
    flags: "readonly touches_arbitrary_keys",
    acl: "keyspace read slow",
    tips: "nondeterministic_output request_policy:special response_policy:special",
    handler: engineHandler("scan"),
  },
];
