/**
 * The bitmap family (Redis 7.2's "bitmap" group): the table's definitions; the
 * semantics run in the engine (native/src/bitops.rs), one native call per command.
 */
import { rangeKeySpec, type CommandDef } from "./types.js";
import { engineHandler } from "./engine-command.js";

/** Redis's bitfieldGetKeys: BITFIELD only reads its key when every operation is a GET. */
function bitfieldKeyFlags(argv: Buffer[]): string[] {
  const write = ["RW", "access", "update"];
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const op = argv[i].toString("latin1").toLowerCase();
    if (op === "get" && rem >= 2) i += 2;
    else if ((op === "set" || op === "incrby") && rem >= 3) return write;
    else if (op === "overflow" && rem >= 1) i += 1;
    else return write; // a syntax error: assume it writes, as Redis does
  }
  return ["RO", "access"];
}

export const bitmapCommands: CommandDef[] = [
  { name: "setbit", arity: 4, flags: "write denyoom", keys: [1, 1, 1], keyFlags: "RW access update", acl: "write bitmap slow", handler: engineHandler("setbit") },
  { name: "getbit", arity: 3, flags: "readonly fast", keys: [1, 1, 1], acl: "read bitmap fast", handler: engineHandler("getbit") },
  { name: "bitcount", arity: -2, flags: "readonly", keys: [1, 1, 1], acl: "read bitmap slow", handler: engineHandler("bitcount") },
  { name: "bitpos", arity: -3, flags: "readonly", keys: [1, 1, 1], acl: "read bitmap slow", handler: engineHandler("bitpos") },
  {
    name: "bitop",
    arity: -4,
    flags: "write denyoom",
    keys: [2, -1, 1],
    keySpecs: [rangeKeySpec("OW update", [2, 2, 1]), rangeKeySpec("RO access", [3, -1, 1])],
    acl: "write bitmap slow",
    handler: engineHandler("bitop"),
  },
  {
    name: "bitfield",
    arity: -2,
    flags: "write denyoom",
    keys: [1, 1, 1],
    keyFlags: "RW update access variable_flags",
    keyNotes: "This command allows both access and modification of the key",
    keyFlagsOf: bitfieldKeyFlags,
    acl: "write bitmap slow",
    handler: engineHandler("bitfield"),
  },
  { name: "bitfield_ro", arity: -2, flags: "readonly fast", keys: [1, 1, 1], acl: "read bitmap fast", handler: engineHandler("bitfield_ro") },
];
