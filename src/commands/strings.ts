/** The string family: GET, SET and friends. Semantics in native/src/t_string.rs. */
import { strings, answer, Code } from "../engine/index.js";
import { parseI64 } from "../protocol/numbers.js";
import type { CommandDef, Ctx } from "./types.js";
import { SYNTAX } from "./errors.js";

const STR = "string";

/** Parses SET's options; returns [flags, absolute expire ms or -1] or an error text. */
function parseSetOptions(ctx: Ctx, from: number): [number, number] | string {
  const { argv } = ctx;
  let flags = 0;
  let expire = -1;
  let hasExpire = false;
  for (let i = from; i < argv.length; i++) {
    const opt = argv[i].toString("latin1").toUpperCase();
    const next = i + 1 < argv.length ? argv[i + 1] : null;
    if (opt === "NX" && !(flags & strings.SET_XX)) flags |= strings.SET_NX;
    else if (opt === "XX" && !(flags & strings.SET_NX)) flags |= strings.SET_XX;
    else if (opt === "GET") flags |= strings.SET_GET;
    else if (opt === "KEEPTTL" && !hasExpire) flags |= strings.SET_KEEPTTL;
    else if ((opt === "EX" || opt === "PX" || opt === "EXAT" || opt === "PXAT") && !hasExpire && !(flags & strings.SET_KEEPTTL) && next) {
      const n = parseI64(next);
      if (n === null) return "ERR value is not an integer or out of range";
      const e = expireAt(opt, n, "set");
      if (typeof e === "string") return e;
      expire = e;
      hasExpire = true;
      i++;
    } else return SYNTAX;
  }
  return [flags, expire];
}

/** Converts a relative/absolute seconds/ms amount to an absolute ms time, as SET/GETEX check it. */
export function expireAt(unit: string, n: number, cmd: string): number | string {
  const invalid = `ERR invalid expire time in '${cmd}' command`;
  if (n <= 0) return invalid;
  const ms = unit === "EX" || unit === "EXAT" ? n * 1000 : n;
  if (!Number.isFinite(ms) || ms > 9223372036854775807) return invalid;
  const abs = unit === "EX" || unit === "PX" ? Date.now() + ms : ms;
  if (abs > 9223372036854775807) return invalid;
  return abs;
}

export const stringCommands: CommandDef[] = [
  {
    name: "get",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    acl: "read string fast",
    group: STR,
    since: "1.0.0",
    summary: "Returns the string value of a key.",
    handler: (c) => answer(c.r, strings.get(c.db, c.argv[1], c.r)),
  },
  {
    name: "set",
    arity: -3,
    flags: "write denyoom",
    keys: [1, 1, 1],
    acl: "write string slow",
    group: STR,
    since: "1.0.0",
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    handler: (c) => {
      const opts = parseSetOptions(c, 3);
      if (typeof opts === "string") return c.r.error(opts);
      answer(c.r, strings.set(c.db, c.argv[1], c.argv[2], opts[0], opts[1], c.r));
    },
  },
  {
    name: "incr",
    arity: 2,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    acl: "write string fast",
    group: STR,
    since: "1.0.0",
    summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    handler: (c) => answer(c.r, strings.incrBy(c.db, c.argv[1], ONE, false, c.r)),
  },
  {
    name: "decr",
    arity: 2,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    acl: "write string fast",
    group: STR,
    since: "1.0.0",
    summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    handler: (c) => answer(c.r, strings.incrBy(c.db, c.argv[1], ONE, true, c.r)),
  },
  {
    name: "incrby",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    acl: "write string fast",
    group: STR,
    since: "1.0.0",
    summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    handler: (c) => answer(c.r, strings.incrBy(c.db, c.argv[1], c.argv[2], false, c.r)),
  },
  {
    name: "decrby",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    acl: "write string fast",
    group: STR,
    since: "1.0.0",
    summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
    handler: (c) => answer(c.r, strings.incrBy(c.db, c.argv[1], c.argv[2], true, c.r)),
  },
  {
    name: "strlen",
    arity: 2,
    flags: "readonly fast",
    keys: [1, 1, 1],
    acl: "read string fast",
    group: STR,
    since: "2.2.0",
    summary: "Returns the length of a string value.",
    handler: (c) => {
      const n = strings.strlen(c.db, c.argv[1]);
      if (n < 0) answer(c.r, n);
      else c.r.int(n);
    },
  },
  {
    name: "append",
    arity: 3,
    flags: "write denyoom fast",
    keys: [1, 1, 1],
    acl: "write string fast",
    group: STR,
    since: "2.0.0",
    summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    handler: (c) => {
      const n = strings.append(c.db, c.argv[1], c.argv[2], c.server.config.int("proto-max-bulk-len"));
      if (n < 0) answer(c.r, n);
      else c.r.int(n);
    },
  },
];

const ONE = Buffer.from("1");
void Code;
