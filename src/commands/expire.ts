/** Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST (native/src/expire.rs). */
import { keys } from "../engine/index.js";
import type { CommandDef, Ctx, Handler } from "./types.js";
import { engineHandler, withScriptForm } from "./engine-command.js";


function ttlHandler(ms: boolean, absolute: boolean): Handler {
  return (c: Ctx) => void keys.ttl(c.db, c.argv[1], ms, absolute, c.r);
}

const expireDef = (name: string): CommandDef => ({
  name,
  arity: -3,
  flags: "write fast",
  keys: [1, 1, 1],
  acl: "keyspace write fast",
  // Options and the propagated rewrite (PEXPIREAT, or DEL when past) are the engine's (native/src/keys_cmd.rs).
  handler: engineHandler(name),
});

const ttlDef = (name: string, ms: boolean, absolute: boolean): CommandDef => ({
  name,
  arity: 2,
  flags: "readonly fast",
  keys: [1, 1, 1],
  acl: "keyspace read fast",
  tips: absolute ? undefined : "nondeterministic_output",
  handler: withScriptForm(ttlHandler(ms, absolute), name),
});

export const expireCommands: CommandDef[] = [
  expireDef("expire"),
  expireDef("pexpire"),
  expireDef("expireat"),
  expireDef("pexpireat"),
  ttlDef("ttl", false, false),
  ttlDef("pttl", true, false),
  ttlDef("expiretime", false, true),
  ttlDef("pexpiretime", true, true),
  {
    name: "persist",
    arity: 2,
    flags: "write fast",
    keys: [1, 1, 1],
    acl: "keyspace write fast",
    handler: withScriptForm((c) => c.r.int(keys.persist(c.db, c.argv[1]) ? 1 : 0), "persist"),
  },
];
