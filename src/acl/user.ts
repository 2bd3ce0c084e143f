/**
 * ACL users (Redis 7.2's acl.c user): flags, passwords (SHA-256) and
 * selectors (selector.ts), the rules ACL SETUSER takes, applied one at a
 * time, and the description ACL LIST shows. Names and passwords are byte
 * strings held as latin1 strings. Permission checks are in check.ts.
 */
import { nodeCrypto } from "../server/node-builtins.js";
import { splitArgs as splitInline } from "../protocol/inline.js";
import { RuleFailure, Selector, type CommandTable } from "./selector.js";

/** Counts changes of any user's rules: the read loop's batches stop for every client when it moves (server.ts markForLoop). */
export const aclRules = { changes: 0 };

/** Redis's sdssplitargs over a latin1 string. */
export function splitArgs(line: string): string[] | null {
  return splitInline(line)?.map((w) => w.toString("latin1")) ?? null;
}

/** Redis's ACLHashPassword: SHA-256 in lowercase hex. */
export function hashPassword(clear: string | Buffer): string {
  return nodeCrypto().createHash("sha256").update(typeof clear === "string" ? Buffer.from(clear, "latin1") : clear).digest("hex");
}

/** The default user's rules when nothing configures it (Redis's ACLCreateDefaultUser). */
export const DEFAULT_USER_RULES = ["+@all", "~*", "&*", "on", "nopass"];

/** The hash a password rule names: of the clear text after `clear` (">", "<"), or given after "#" / "!" (checked). */
function passwordHash(op: string, clear: string): string {
  if (op[0] === clear) return hashPassword(op.slice(1));
  const hash = op.slice(1);
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new RuleFailure("EBADMSG");
  return hash;
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
    aclRules.changes++;
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
      const hash = passwordHash(op, ">");
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags.delete("nopass");
    } else if (op[0] === "<" || op[0] === "!") {
      const hash = passwordHash(op, "<");
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
  u.flags = new Set(["on", "nopass", "skip-sanitize-payload"]); // a master's RESTORE is not sanitized either
  u.unrestricted = true;
  return u;
})();
