/**
 * ACL users and their selectors (Redis 7.2's acl.c user and aclSelector):
 * the rules ACL SETUSER takes, applied one at a time, and their descriptions
 * (ACL LIST, ACL GETUSER). Names, passwords and patterns are byte strings
 * held as latin1 strings (one char per byte). Permission checks are in check.ts.
 */
import { createHash } from "node:crypto";
import type { CommandSpec } from "../commands/types.js";
import { ACL_CATEGORIES } from "../commands/command.js";
import { findCommand } from "../commands/lookup.js";
import type { Server } from "../server/server.js";
import { splitArgs as splitInline } from "../protocol/inline.js";

/** Redis's sdssplitargs over a latin1 string. */
export function splitArgs(line: string): string[] | null {
  return splitInline(line)?.map((w) => w.toString("latin1")) ?? null;
}

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

/** Redis's ACLHashPassword: SHA-256 in lowercase hex. */
export function hashPassword(clear: string | Buffer): string {
  return createHash("sha256").update(typeof clear === "string" ? Buffer.from(clear, "latin1") : clear).digest("hex");
}

/** The default user's rules when nothing configures it (Redis's ACLCreateDefaultUser). */
export const DEFAULT_USER_RULES = ["+@all", "~*", "&*", "on", "nopass"];

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
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

/** User flags in Redis's order (ACLUserFlags: the order ACL LIST and GETUSER show them). */
export const USER_FLAGS = ["on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"] as const;
type UserFlag = (typeof USER_FLAGS)[number];

export class User {
  flags = new Set<UserFlag>(["off", "sanitize-payload"]);
  /** SHA-256 hex of each password. */
  passwords: string[] = [];
  /** The root selector first, then the (...) ones. */
  selectors: Selector[];
  /**
   * Whether the user may run anything on any key and channel: dispatch and the
   * batch path skip every check for it (one property read per command).
   */
  unrestricted = false;

  constructor(
    readonly name: string,
    private readonly allChannelsByDefault: () => boolean,
  ) {
    this.selectors = [new Selector(true, allChannelsByDefault())];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return this.flags.has("on");
  }

  get nopass(): boolean {
    return this.flags.has("nopass");
  }

  /** A copy under another name (ACL SETUSER stages its rules on one). */
  copy(name = this.name): User {
    const u = new User(name, this.allChannelsByDefault);
    u.copyFrom(this);
    return u;
  }

  /** Redis's ACLCopyUser: this user takes `src`'s rules. */
  copyFrom(src: User): void {
    this.flags = new Set(src.flags);
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.refresh();
  }

  refresh(): void {
    this.unrestricted = this.selectors.some((s) => s.allKeys && s.allChannels && s.allCommands);
  }

  private setFlag(on: UserFlag, off: UserFlag): void {
    this.flags.add(on);
    this.flags.delete(off);
  }

  /** Redis's ACLSetUser: one rule; throws RuleFailure. */
  apply(table: CommandTable, op: string): void {
    try {
      this.applyRule(table, op);
    } finally {
      this.refresh();
    }
  }

  private applyRule(table: CommandTable, op: string): void {
    if (op.length === 0) return;
    const lower = op.toLowerCase();
    if (lower === "on") this.setFlag("on", "off");
    else if (lower === "off") this.setFlag("off", "on");
    else if (lower === "skip-sanitize-payload") this.setFlag("skip-sanitize-payload", "sanitize-payload");
    else if (lower === "sanitize-payload") this.setFlag("sanitize-payload", "skip-sanitize-payload");
    else if (lower === "nopass") {
      this.flags.add("nopass");
      this.passwords = [];
    } else if (lower === "resetpass") {
      this.flags.delete("nopass");
      this.passwords = [];
    } else if (op[0] === ">" || op[0] === "#") {
      let hash: string;
      if (op[0] === ">") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) throw new RuleFailure("EBADMSG");
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags.delete("nopass");
    } else if (op[0] === "<" || op[0] === "!") {
      let hash: string;
      if (op[0] === "<") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) throw new RuleFailure("EBADMSG");
      }
      const i = this.passwords.indexOf(hash);
      if (i < 0) throw new RuleFailure("ENODEV");
      this.passwords.splice(i, 1);
    } else if (op[0] === "(" && op[op.length - 1] === ")") {
      const s = new Selector(false, this.allChannelsByDefault());
      for (const rule of splitArgs(op.slice(1, -1)) ?? []) s.apply(table, rule);
      this.selectors.push(s);
    } else if (lower === "clearselectors") {
      this.selectors.length = 1;
    } else if (lower === "reset") {
      for (const r of ["resetpass", "resetkeys", "resetchannels"]) this.applyRule(table, r);
      if (this.allChannelsByDefault()) this.applyRule(table, "allchannels");
      for (const r of ["off", "sanitize-payload", "clearselectors", "-@all"]) this.applyRule(table, r);
    } else {
      this.root.apply(table, op);
    }
  }

  /** Whether `password` logs this user in (its flags aside from on/off). */
  matches(password: Buffer): boolean {
    return this.nopass || this.passwords.includes(hashPassword(password));
  }

  /** Redis's ACLDescribeUser: the rules that recreate the user (ACL LIST, the ACL file). */
  describe(): string {
    let res = "";
    for (const f of USER_FLAGS) if (this.flags.has(f)) res += f + " ";
    for (const p of this.passwords) res += "#" + p + " ";
    for (const s of this.selectors) res += s.root ? s.describe() : ` (${s.describe()})`;
    return res;
  }
}

/**
 * Redis's ACLMergeSelectorArguments: a selector spread over several arguments
 * ("(+get", "~key)") joined into one; a string naming the unmatched one's start when a parenthesis stays open.
 */
export function mergeSelectorArgs(args: string[]): string[] | { unmatched: string } {
  const out: string[] = [];
  let open: string | null = null;
  let start = "";
  for (const op of args) {
    if (open === null && op[0] === "(" && op[op.length - 1] !== ")") {
      open = op;
      start = op;
      continue;
    }
    if (open !== null) {
      open += " " + op;
      if (op[op.length - 1] === ")") {
        out.push(open);
        open = null;
      }
      continue;
    }
    out.push(op);
  }
  if (open !== null) return { unmatched: start };
  return out;
}

/** The user of connections that obey no ACL (the AOF loader, a replica's master): Redis's NULL user. */
export const SUPERUSER: User = (() => {
  const u = new User("(superuser)", () => true);
  u.flags = new Set(["on", "nopass"]);
  u.unrestricted = true;
  return u;
})();
