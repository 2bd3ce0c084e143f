/** Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST (native/src/expire.rs). */
import { keys } from "../engine/index.js";
import type { CommandDef, Ctx, Handler } from "./types.js";
import { echo } from "./errors.js";
import type { ErrorText } from "../protocol/reply.js";
import { expireRewrite } from "./propagation.js";
import { withScriptForm } from "./engine-command.js";


/** Parses NX/XX/GT/LT after the time argument; returns the flags or Redis's error text. */
function parseExpireFlags(argv: Buffer[]): number | ErrorText {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i].toString("latin1").toLowerCase();
    if (opt === "nx") flags |= keys.EXPIRE_NX;
    else if (opt === "xx") flags |= keys.EXPIRE_XX;
    else if (opt === "gt") flags |= keys.EXPIRE_GT;
    else if (opt === "lt") flags |= keys.EXPIRE_LT;
    else return echo`ERR Unsupported option ${argv[i]}`;
  }
  if (flags & keys.EXPIRE_NX && flags & (keys.EXPIRE_XX | keys.EXPIRE_GT | keys.EXPIRE_LT)) {
    return "ERR NX and XX, GT or LT options at the same time are not compatible";
  }
  if (flags & keys.EXPIRE_GT && flags & keys.EXPIRE_LT) {
    return "ERR GT and LT options at the same time are not compatible";
  }
  return flags;
}

/** EXPIRE and friends: `unitSeconds` for EXPIRE/EXPIREAT, `relative` for EXPIRE/PEXPIRE. */
function expireHandler(unitSeconds: boolean, relative: boolean): Handler {
  return (c: Ctx) => {
    const flags = parseExpireFlags(c.argv);
    if (typeof flags !== "number") return c.r.error(flags);
    // A replica keeps keys whose time has passed: its master sends the DEL.
    keys.expire(c.db, c.argv[1], c.argv[2], unitSeconds, relative, flags, !c.server.isReplica, c.r);
    c.propagate = expireRewrite; // used only after a change (the expire set, or the key deleted as past)
  };
}

function ttlHandler(ms: boolean, absolute: boolean): Handler {
  return (c: Ctx) => void keys.ttl(c.db, c.argv[1], ms, absolute, c.r);
}

const expireDef = (name: string, unitSeconds: boolean, relative: boolean): CommandDef => ({
  name,
  arity: -3,
  flags: "write fast",
  keys: [1, 1, 1],
  acl: "keyspace write fast",
  // Without options, a script runs it in the engine while nothing propagates (the rewrite is this handler's).
  handler: withScriptForm(expireHandler(unitSeconds, relative), name, 3, true),
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
  expireDef("expire", true, true),
  expireDef("pexpire", false, true),
  expireDef("expireat", true, false),
  expireDef("pexpireat", false, false),
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
