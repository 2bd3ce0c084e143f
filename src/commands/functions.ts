/**
 * FUNCTION and FCALL over the function library. No scripting engine is built
 * yet (Lua comes with the scripting issue), so the library is always empty:
 * these commands answer exactly what Redis answers for an empty library, and
 * FUNCTION LOAD is not offered until an engine exists.
 */
import { echo } from "./errors.js";
import type { CommandDef, Ctx } from "./types.js";


/** FCALL / FCALL_RO: the keys follow a count, and no function can be found yet. */
function fcallDef(readonly: boolean): CommandDef {
  const [access, words] = readonly ? ["RO access", "RO and ACCESS"] : ["RW access update", "RW and UPDATE"];
  return {
    name: readonly ? "fcall_ro" : "fcall",
    arity: -3,
    flags: readonly ? "noscript stale skip_monitor no_mandatory_keys readonly" : "noscript skip_monitor may_replicate no_mandatory_keys stale",
    keys: [0, 0, 0],
    keySpecs: [
      {
        flags: access.split(" "),
        notes: `We cannot tell how the keys will be used so we assume the worst, ${words}`,
        begin: { index: 2 },
        find: { keynumidx: 0, firstkey: 1, keystep: 1 },
      },
    ],
    acl: "slow scripting",
    handler: (c: Ctx) => c.r.error("ERR Function not found"),
  };
}

export const functionCommands: CommandDef[] = [
  {
    name: "function",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "flush",
        arity: -2,
        flags: "write noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => {
          if (c.argv.length > 3) return c.r.error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
          const mode = c.argv[2]?.toString("latin1").toLowerCase();
          if (mode !== undefined && mode !== "sync" && mode !== "async") {
            return c.r.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
          }
          c.r.ok();
        },
      },
      {
        name: "list",
        arity: -2,
        flags: "noscript",
        acl: "slow scripting",
        tips: "nondeterministic_output_order",
        handler: (c) => {
          let withCode = false;
          let library = false;
          for (let i = 2; i < c.argv.length; i++) {
            const a = c.argv[i].toString("latin1").toLowerCase();
            if (!withCode && a === "withcode") withCode = true;
            else if (!library && a === "libraryname") {
              if (i >= c.argv.length - 1) return c.r.error("ERR library name argument was not given");
              library = true;
              i++;
            } else return c.r.error(echo`ERR Unknown argument ${c.argv[i]}`);
          }
          c.r.array(0);
        },
      },
      {
        name: "delete",
        arity: 3,
        flags: "write noscript",
        acl: "write slow scripting",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: (c) => c.r.error("ERR Library not found"),
      },
      {
        name: "kill",
        arity: 2,
        flags: "noscript allow_busy",
        acl: "slow scripting",
        tips: "request_policy:all_shards response_policy:one_succeeded",
        handler: (c) => c.r.error("NOTBUSY No scripts in execution right now."),
      },
      {
        name: "stats",
        arity: 2,
        flags: "noscript allow_busy",
        acl: "slow scripting",
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        handler: (c) => {
          c.r.map(2);
          c.r.bulk("running_script");
          c.r.nil();
          c.r.bulk("engines");
          c.r.map(0);
        },
      },
    ],
  },
  fcallDef(false),
  fcallDef(true),
];
