/** BGREWRITEAOF (the AOF itself is src/persistence/aof, which plugs in here). */
import type { CommandDef, Ctx } from "./types.js";

/** Set by the AOF module when it is installed. */
export const aofHooks: {
  bgrewriteaof?: (c: Ctx) => void;
} = {};

export const aofCommands: CommandDef[] = [
  {
    name: "bgrewriteaof",
    arity: 1,
    flags: "no_async_loading admin noscript",
    acl: "admin slow dangerous",
    handler: (c) => {
      if (!aofHooks.bgrewriteaof) return c.r.error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
      aofHooks.bgrewriteaof(c);
    },
  },
];
