/**
 * The string family (Redis 7.2's "string" group). All but LCS are engine
 * commands (native/src/t_string.rs: SET's and GETEX's options, their
 * propagated rewrites, values, expiry arithmetic and replies); LCS checks its
 * options here and makes one native call.
 */
import { strings, answer, Code } from "../engine/index.js";
import { parseI64 } from "../protocol/numbers.js";
import type { CommandDef, Ctx } from "./types.js";
import { engineHandler } from "./engine-command.js";
import { NOT_INT, SYNTAX } from "./errors.js";

/**
 * Is `arg` the option `word` (uppercase ASCII), ignoring case? Like Redis's
 * C-string comparisons, the argument ends at a NUL byte.
 */
function isOpt(arg: Buffer, word: string): boolean {
  const n = word.length;
  if (arg.length < n || (arg.length > n && arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) if ((arg[i] & 0xdf) !== word.charCodeAt(i)) return false;
  return true;
}

/** Parses LCS's options into a mode and a minimum match length, or an error text. */
function parseLcs(argv: Buffer[]): { mode: number; min: number; error: string | null } {
  let mode = 0;
  let min = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isOpt(opt, "IDX")) mode |= strings.LCS_IDX;
    else if (isOpt(opt, "LEN")) mode |= strings.LCS_LEN;
    else if (isOpt(opt, "WITHMATCHLEN")) mode |= strings.LCS_WITHMATCHLEN;
    else if (isOpt(opt, "MINMATCHLEN") && j + 1 < argv.length) {
      const n = parseI64(argv[++j]);
      if (n === null) return { mode, min, error: NOT_INT };
      min = Math.max(n, 0);
    } else return { mode, min, error: SYNTAX };
  }
  return { mode, min, error: null };
}

function maxBulkLen(c: Ctx): number {
  return c.server.config.int("proto-max-bulk-len");
}

export const stringCommands: CommandDef[] = [
  {
    name: "get",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    acl: "read string fast",
    handler: engineHandler("get"),
  },
  {
    name: "set",
    arity: -3,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keyFlags: "RW access update variable_flags",
    keyNotes: "RW and ACCESS due to the optional `GET` argument",
    // Redis's setGetKeys: the key is read only when GET is among the options.
    keyFlagsOf: (argv) =>
      argv.slice(3).some((a) => a.length === 3 && a.toString("latin1").toLowerCase() === "get") ? ["RW", "access", "update"] : ["OW", "update"],
    acl: "write string slow",
    // Options and their propagated rewrite (SET ... PXAT, without GET) are the engine's (t_string.rs).
    handler: engineHandler("set"),
  },
  {
    name: "setnx",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "OW insert",
    acl: "write string fast",
    handler: engineHandler("setnx"),
  },
  {
    name: "setex",
    arity: 4,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keyFlags: "OW update",
    acl: "write string slow",
    handler: engineHandler("setex"),
  },
  {
    name: "psetex",
    arity: 4,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keyFlags: "OW update",
    acl: "write string slow",
    handler: engineHandler("psetex"),
  },
  {
    name: "getset",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("getset"),
  },
  {
    name: "getdel",
    arity: 2,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW access delete",
    acl: "write string fast",
    handler: engineHandler("getdel"),
  },
  {
    name: "getex",
    arity: -2,
    flags: "write fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    keyNotes: "RW and UPDATE because it changes the TTL",
    acl: "write string fast",
    // Its rewrites (PEXPIREAT, DEL, PERSIST) are the engine's.
    handler: engineHandler("getex"),
  },
  {
    name: "mget",
    arity: -2,
    flags: "readonly fast",
    keys: [1, -1, 1],
    keyFlags: "RO access",
    tips: "request_policy:multi_shard",
    acl: "read string fast",
    handler: engineHandler("mget"),
  },
  {
    name: "mset",
    arity: -3,
    flags: "write denyoom",
    keys: [1, -1, 2],
    keyFlags: "OW update",
    tips: "request_policy:multi_shard response_policy:all_succeeded",
    acl: "write string slow",
    handler: engineHandler("mset"),
  },
  {
    name: "msetnx",
    arity: -3,
    flags: "write denyoom",
    keys: [1, -1, 2],
    keyFlags: "OW insert",
    acl: "write string slow",
    handler: engineHandler("msetnx"),
  },
  {
    name: "append",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW insert",
    acl: "write string fast",
    handler: engineHandler("append"),
  },
  {
    name: "strlen",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    keyFlags: "RO",
    acl: "read string fast",
    handler: engineHandler("strlen"),
  },
  {
    name: "incr",
    arity: 2,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("incr"),
  },
  {
    name: "decr",
    arity: 2,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("decr"),
  },
  {
    name: "incrby",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("incrby"),
  },
  {
    name: "decrby",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("decrby"),
  },
  {
    name: "incrbyfloat",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    keyFlags: "RW access update",
    acl: "write string fast",
    handler: engineHandler("incrbyfloat"),
  },
  {
    name: "getrange",
    arity: 4,
    flags: "readonly",
    keys: [1, 1, 1],
    acl: "read string slow",
    handler: engineHandler("getrange"),
  },
  {
    name: "substr",
    arity: 4,
    flags: "readonly",
    keys: [1, 1, 1],
    acl: "read string slow",
    handler: engineHandler("substr"),
  },
  {
    name: "setrange",
    arity: 4,
    flags: "write denyoom",
    keys: [1, 1, 1],
    acl: "write string slow",
    handler: engineHandler("setrange"),
  },
  {
    name: "lcs",
    arity: -3,
    flags: "readonly",
    keys: [1, 2, 1],
    acl: "read string slow",
    handler: (c) => {
      const o = parseLcs(c.argv);
      const mode = o.error === null ? o.mode : strings.LCS_BAD_OPTIONS;
      const code = strings.lcs(c.db, c.argv[1], c.argv[2], mode, o.min, maxBulkLen(c), c.r);
      if (code === Code.CALLER) c.r.error(o.error!);
      else answer(c.r, code);
    },
  },
];
