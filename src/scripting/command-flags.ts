/**
 * A script command's flags as dispatch must judge them (Redis's getCommandFlags
 * with evalGetCommandFlags / fcallGetCommandFlags): a script that declares
 * shebang flags is a write (unless no-writes), denyoom (unless allow-oom or
 * no-writes) and stale only with allow-stale, whatever EVAL's own flags say.
 * One derived spec per (command, declared flags), made once.
 */
import { flagBits, type CommandSpec } from "../commands/types.js";
import { cached, sha1hex } from "./cache.js";
import { findFunction } from "./library.js";
import { parseShebang, SCRIPT_FLAG_ALLOW_OOM, SCRIPT_FLAG_ALLOW_STALE, SCRIPT_FLAG_EVAL_COMPAT_MODE, SCRIPT_FLAG_NO_WRITES } from "./shebang.js";

const SCRIPT_COMMANDS = new Set(["eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro"]);
const derived = new Map<string, CommandSpec>();

/** The shebang flags of the script a command runs, or null (not a script command, not found, or no shebang). */
function declaredFlags(name: string, argv: Buffer[]): number | null {
  if (argv.length < 2) return null;
  let flags: number | null = null;
  if (name === "eval" || name === "eval_ro") {
    const sb = cached(sha1hex(argv[1])) ?? parseShebang(argv[1]);
    flags = typeof sb === "string" ? null : sb.flags;
  } else if (name === "evalsha" || name === "evalsha_ro") {
    flags = cached(argv[1].toString("latin1").toLowerCase())?.flags ?? null;
  } else {
    flags = findFunction(argv[1].toString())?.flags ?? null;
  }
  return flags === null || (flags & SCRIPT_FLAG_EVAL_COMPAT_MODE) !== 0 ? null : flags;
}

/** `spec` itself, or for a script command whose script declares flags, the spec with the flags they give. */
export function effectiveSpec(spec: CommandSpec, argv: Buffer[]): CommandSpec {
  if (!SCRIPT_COMMANDS.has(spec.name)) return spec;
  const declared = declaredFlags(spec.name, argv);
  if (declared === null) return spec;
  const key = `${spec.name} ${declared}`;
  let eff = derived.get(key);
  if (eff === undefined) {
    // scriptFlagsToCmdFlags: the command's stale, denyoom, write and may_replicate give way to the script's.
    const flags = spec.flags.filter((f) => f !== "stale" && f !== "denyoom" && f !== "write" && f !== "may_replicate");
    if ((declared & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES)) === 0) flags.push("denyoom");
    if ((declared & SCRIPT_FLAG_NO_WRITES) === 0) flags.push("write");
    if ((declared & SCRIPT_FLAG_ALLOW_STALE) !== 0) flags.push("stale");
    eff = { ...spec, flags, bits: flagBits(flags) };
    derived.set(key, eff);
  }
  return eff;
}
