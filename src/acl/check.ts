/**
 * Permission checks (Redis 7.2's ACLSelectorCheckCmd and
 * ACLCheckAllUserCommandPerm): the command (or an allowed first argument),
 * its keys by the command table's key specs (read access needs a pattern
 * with R, insert/update/delete one with W), and the channels of the Pub/Sub
 * commands. A user passes when any one of its selectors does.
 */
import { commandKeys } from "../commands/command.js";
import { CMD_NO_AUTH, type CommandSpec } from "../commands/types.js";
import { globMatch } from "../engine/keys.js";
import { READ, WRITE, type Selector } from "./selector.js";
import type { User } from "./user.js";

/** Redis's ACL_DENIED_* codes (a larger one wins when several selectors fail). */
export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

export interface Denial {
  reason: number;
  /** argv index of the key or channel refused (0 for the command). */
  pos: number;
}

type Positions = { pos: number; flags: string[] }[];

/** The channels a Pub/Sub command names that ACLs check (unsubscribing is never refused). */
function channelsOf(spec: CommandSpec, argv: Buffer[]): { pos: number; pattern: boolean }[] | null {
  switch (spec.name) {
    case "subscribe":
    case "ssubscribe":
      return argv.slice(1).map((_, i) => ({ pos: i + 1, pattern: false }));
    case "psubscribe":
      return argv.slice(1).map((_, i) => ({ pos: i + 1, pattern: true }));
    case "publish":
    case "spublish":
      return [{ pos: 1, pattern: false }];
    default:
      return null;
  }
}

function keyAccess(flags: string[]): number {
  let need = 0;
  for (const f of flags) {
    if (f === "access") need |= READ;
    else if (f === "insert" || f === "delete" || f === "update") need |= WRITE;
  }
  return need;
}

/** Redis's ACLSelectorCheckKey. */
export function selectorCanKey(s: Selector, key: Uint8Array, need: number): boolean {
  if (s.allKeys) return true;
  for (const p of s.patterns) {
    if ((p.flags & need) !== need) continue;
    if (globMatch(p.bytes, key, false)) return true;
  }
  return false;
}

/** Redis's ACLCheckChannelAgainstList: a PSUBSCRIBE pattern matches only literally. */
export function channelAllowed(list: string[], channel: Buffer, pattern: boolean): boolean {
  for (const p of list) {
    if (pattern ? p === channel.toString("latin1") : globMatch(Buffer.from(p, "latin1"), channel, false)) return true;
  }
  return false;
}

function keysOf(spec: CommandSpec, argv: Buffer[]): Positions {
  const found = commandKeys(spec, argv);
  if (!found) return [];
  return found.filter((k) => !k.flags.includes("not_key") && k.pos < argv.length);
}

function selectorCheck(s: Selector, spec: CommandSpec, argv: Buffer[], keys: () => Positions): Denial | null {
  if (!s.allCommands && (spec.bits & CMD_NO_AUTH) === 0 && !s.allowed.has(spec.name)) {
    const firstArgs = s.firstArgs?.get(spec.name);
    const idx = spec.name.includes("|") ? 2 : 1;
    if (!firstArgs || argv.length < 2 || idx >= argv.length) return { reason: DENIED_CMD, pos: 0 };
    const arg = argv[idx].toString("latin1").toLowerCase();
    if (!firstArgs.some((a) => a.toLowerCase() === arg)) return { reason: DENIED_CMD, pos: 0 };
  }
  if (!s.allKeys && (spec.keySpecs.length > 0 || spec.getKeys)) {
    for (const k of keys()) {
      if (!selectorCanKey(s, argv[k.pos], keyAccess(k.flags))) return { reason: DENIED_KEY, pos: k.pos };
    }
  }
  if (!s.allChannels) {
    const channels = channelsOf(spec, argv);
    if (channels) {
      for (const c of channels) if (!channelAllowed(s.channels, argv[c.pos], c.pattern)) return { reason: DENIED_CHANNEL, pos: c.pos };
    }
  }
  return null;
}

/** Redis's ACLCheckAllUserCommandPerm: null when allowed, else the most relevant refusal. */
export function checkCommand(user: User, spec: CommandSpec, argv: Buffer[]): Denial | null {
  let keys: Positions | null = null;
  const keysOnce = () => (keys ??= keysOf(spec, argv));
  let worst: Denial = { reason: DENIED_CMD, pos: 0 };
  for (const s of user.selectors) {
    const d = selectorCheck(s, spec, argv, keysOnce);
    if (d === null) return null;
    if (d.reason > worst.reason || (d.reason === worst.reason && d.pos > worst.pos)) worst = d;
  }
  return worst;
}

/** Redis's getAclErrorMessage (verbose: ACL DRYRUN's form naming the key or channel). */
export function denialMessage(d: Denial, user: User, spec: CommandSpec, argv: Buffer[], verbose: boolean): string {
  switch (d.reason) {
    case DENIED_CMD:
      return `User ${user.name} has no permissions to run the '${spec.name}' command`;
    case DENIED_KEY:
      return verbose ? `User ${user.name} has no permissions to access the '${argv[d.pos].toString("latin1")}' key` : "No permissions to access a key";
    default:
      return verbose
        ? `User ${user.name} has no permissions to access the '${argv[d.pos].toString("latin1")}' channel`
        : "No permissions to access a channel";
  }
}

/** Whether the user may touch `channel` (Redis's ACLUserCheckChannelPerm). */
export function userCanChannel(user: User, channel: Buffer, pattern: boolean): boolean {
  for (const s of user.selectors) {
    if (s.allChannels || channelAllowed(s.channels, channel, pattern)) return true;
  }
  return false;
}

/**
 * Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess: whether a selector both
 * allows the command and reaches every key with `need` (READ/WRITE) access
 * (SORT's BY and GET patterns name keys no check can see).
 */
export function userHasUnrestrictedKeyAccess(user: User, spec: CommandSpec, argv: Buffer[], need: number): boolean {
  let keys: Positions | null = null;
  const keysOnce = () => (keys ??= keysOf(spec, argv));
  for (const s of user.selectors) {
    if (selectorCheck(s, spec, argv, keysOnce) !== null) continue;
    if (s.allKeys || s.patterns.some((p) => (p.flags & need) === need && p.pattern === "*")) return true;
  }
  return false;
}
