/**
 * An ACL selector (Redis 7.2's aclSelector): the commands, key patterns and
 * channels one set of rules allows, the rules that change them (ACLSetSelector),
 * and their descriptions. A user (user.ts) has a root selector and any number
 * of (...) ones. Patterns are byte strings held as latin1 strings.
 */
import type { CommandSpec } from "../commands/types.js";
import { ACL_CATEGORIES } from "../commands/command.js";
import { findCommand } from "../commands/lookup.js";
import type { Server } from "../server/server.js";

/** Key pattern permissions (%R~, %W~; ~ is both). */
export const READ = 1;
export const WRITE = 2;
const ALL_PERM = READ | WRITE;

/** Why a rule was refused: Redis's errno values, mapped to ACLSetUserStringError's texts. */
export const RULE_ERRORS = {
  ENOENT: "Unknown command or category name in ACL",
  EINVAL: "Syntax error",
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: "The password you are trying to remove from the user does not exist",
  EBADMSG: "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
  EALREADY: "Duplicate user found. A user can only be defined once in config files",
  ECHILD: "Allowing first-arg of a subcommand is not supported",
} as const;
export type RuleError = keyof typeof RULE_ERRORS;

export class RuleFailure extends Error {
  constructor(readonly code: RuleError) {
    super(RULE_ERRORS[code]);
  }
}

/** What rules need: the command table (Redis's ACLs work from the original, unrenamed one). */
export type CommandTable = Server;

/** ACL categories in Redis's order (ACLCommandCategories). */
export const CATEGORIES = ACL_CATEGORIES;

/** Redis's ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

export interface KeyPattern {
  pattern: string;
  /** READ | WRITE */
  flags: number;
  /** The pattern's bytes, for the glob matcher. */
  bytes: Buffer;
}

function patternString(p: KeyPattern): string {
  return (p.flags === ALL_PERM ? "~" : p.flags === READ ? "%R~" : "%W~") + p.pattern;
}

export class Selector {
  allKeys = false;
  allChannels: boolean;
  /** Redis's SELECTOR_FLAG_ALLCOMMANDS: set by +@all, cleared when any command is taken away. */
  allCommands = false;
  /** The reserved "future commands" bit: +@all sets it, only -@all clears it. */
  future = false;
  /** The commands allowed, by full name. */
  allowed = new Set<string>();
  /** Allowed first arguments of otherwise denied commands (+select|0), by command name. */
  firstArgs: Map<string, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];
  /** Redis's command_rules: the ordered command and category rules (without the leading +@all/-@all). */
  rules: string[] = [];

  constructor(readonly root: boolean, allChannelsByDefault: boolean) {
    this.allChannels = allChannelsByDefault;
  }

  copy(): Selector {
    const s = new Selector(this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.future = this.future;
    s.allowed = new Set(this.allowed);
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    s.rules = [...this.rules];
    return s;
  }

  private setBit(spec: CommandSpec, allow: boolean): void {
    if (allow) this.allowed.add(spec.name);
    else {
      this.allowed.delete(spec.name);
      this.allCommands = false;
    }
  }

  /** Redis's ACLChangeSelectorPerm: the command and all its subcommands. */
  private changePerm(spec: CommandSpec, allow: boolean): void {
    this.setBit(spec, allow);
    this.firstArgs?.delete(spec.name);
    if (spec.subcommands) for (const sub of spec.subcommands.values()) this.setBit(sub, allow);
  }

  private changeCategory(specs: Iterable<CommandSpec>, cat: string, allow: boolean): void {
    for (const spec of specs) {
      if (spec.acl.includes(cat)) this.changePerm(spec, allow);
      if (spec.subcommands) this.changeCategory(spec.subcommands.values(), cat, allow);
    }
  }

  /** Redis's ACLUpdateCommandRules: drop the rules this one overrides, then append it. */
  private updateRules(rule: string, allow: boolean): void {
    rule = rule.toLowerCase();
    this.rules = this.rules.filter((r) => {
      const name = r.slice(1);
      return !(name === rule || name.startsWith(rule + "|"));
    });
    this.rules.push((allow ? "+" : "-") + rule);
  }

  private setAll(table: CommandTable, allow: boolean): void {
    this.allowed.clear();
    if (allow) {
      for (const spec of table.commands.values()) {
        this.allowed.add(spec.name);
        if (spec.subcommands) for (const sub of spec.subcommands.values()) this.allowed.add(sub.name);
      }
    }
    this.allCommands = allow;
    this.future = allow;
    this.rules = [];
    this.firstArgs = null;
  }

  /** Redis's ACLSetSelector: one rule; throws RuleFailure. */
  apply(table: CommandTable, op: string): void {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || op === "~*") {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === "resetkeys") {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === "allchannels" || op === "&*") {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.setAll(table, true);
    } else if (lower === "nocommands" || lower === "-@all") {
      this.setAll(table, false);
    } else if (op[0] === "~" || op[0] === "%") {
      if (this.allKeys) throw new RuleFailure("EEXIST");
      let flags = 0;
      let offset = 1;
      if (op[0] === "%") {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === "R" && !(flags & READ)) flags |= READ;
          else if (ch === "W" && !(flags & WRITE)) flags |= WRITE;
          else if (op[offset] === "~" && flags) {
            offset++;
            break;
          } else throw new RuleFailure("EINVAL");
        }
      } else flags = ALL_PERM;
      const pattern = op.slice(offset);
      if (hasSpaces(pattern)) throw new RuleFailure("EINVAL");
      const have = this.patterns.find((p) => p.pattern === pattern);
      if (have) have.flags |= flags;
      else this.patterns.push({ pattern, flags, bytes: Buffer.from(pattern, "latin1") });
      this.allKeys = false;
    } else if (op[0] === "&") {
      if (this.allChannels) throw new RuleFailure("EISDIR");
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new RuleFailure("EINVAL");
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === "+" && op[1] !== "@") {
      const name = op.slice(1);
      const bar = name.lastIndexOf("|");
      if (bar < 0) {
        const spec = findCommand(table, name);
        if (!spec) throw new RuleFailure("ENOENT");
        this.changePerm(spec, true);
        this.updateRules(spec.name, true);
      } else {
        const spec = findCommand(table, name.slice(0, bar));
        if (!spec) throw new RuleFailure("ENOENT");
        if (spec.name.includes("|")) throw new RuleFailure("ECHILD");
        const sub = name.slice(bar + 1);
        if (sub.length === 0 || sub.includes("\0")) throw new RuleFailure("EINVAL");
        if (spec.subcommands) {
          const subSpec = findCommand(table, name);
          if (!subSpec) throw new RuleFailure("ENOENT");
          this.changePerm(subSpec, true);
        } else {
          // A first argument of a command without subcommands (+select|0): deprecated in Redis, still honoured.
          const list: string[] = (this.firstArgs ??= new Map<string, string[]>()).get(spec.name) ?? [];
          if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
          this.firstArgs.set(spec.name, list);
        }
        this.updateRules(name, true);
      }
    } else if (op[0] === "-" && op[1] !== "@") {
      const spec = findCommand(table, op.slice(1));
      if (!spec) throw new RuleFailure("ENOENT");
      this.changePerm(spec, false);
      this.updateRules(spec.name, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const cat = lower.slice(2);
      if (!CATEGORIES.includes(cat)) throw new RuleFailure("ENOENT");
      const allow = op[0] === "+";
      this.updateRules("@" + cat, allow);
      this.changeCategory(table.commands.values(), cat, allow);
    } else {
      throw new RuleFailure("EINVAL");
    }
  }

  /** Redis's ACLDescribeSelectorCommandRules. */
  commandRules(): string {
    const base = this.future ? "+@all" : "-@all";
    return this.rules.length ? `${base} ${this.rules.join(" ")}` : base;
  }

  /** GETUSER's "keys" field. */
  keysField(): string {
    return this.allKeys ? "~*" : this.patterns.map(patternString).join(" ");
  }

  /** GETUSER's "channels" field. */
  channelsField(): string {
    return this.allChannels ? "&*" : this.channels.map((c) => "&" + c).join(" ");
  }

  /** Redis's ACLDescribeSelector. */
  describe(): string {
    let res = "";
    if (this.allKeys) res += "~* ";
    else for (const p of this.patterns) res += patternString(p) + " ";
    if (this.allChannels) res += "&* ";
    else {
      res += "resetchannels ";
      for (const c of this.channels) res += "&" + c + " ";
    }
    return res + this.commandRules();
  }
}
