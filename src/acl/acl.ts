/**
 * The server's ACL state (Redis 7.2's acl.c globals): the users, the default
 * user (whose password `requirepass` sets), logging in, the ACL log and its
 * INFO counters, and what a change to a user does to its connected clients.
 */
import type { CommandSpec } from "../commands/types.js";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { infoProviders } from "../commands/info.js";
import { pubsubOf } from "../pubsub/index.js";
import { checkCommand, denialMessage, channelAllowed, DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, type Denial } from "./check.js";
import { loadUsersAtStartup } from "./file.js";
import { DEFAULT_USER_RULES, mergeSelectorArgs, User } from "./user.js";
import { RuleFailure, hasSpaces } from "./selector.js";

/** Where a refusal happened (Redis's ACL_LOG_CTX_*). */
export type LogContext = "toplevel" | "multi" | "lua" | "module";

export interface LogEntry {
  count: number;
  reason: number;
  context: LogContext;
  object: string;
  username: string;
  ctime: number;
  cinfo: string;
  entryId: number;
  created: number;
}

const REASONS: Record<number, string> = { [DENIED_CMD]: "command", [DENIED_KEY]: "key", [DENIED_CHANNEL]: "channel", [DENIED_AUTH]: "auth" };
const GROUPING_MS = 60000;

export class Acl {
  /** Users by name (latin1); listed in byte order as Redis's rax. */
  readonly users = new Map<string, User>();
  readonly defaultUser: User;
  /** Newest first. */
  log: LogEntry[] = [];
  private logEntries = 0;
  readonly denied = { auth: 0, cmd: 0, key: 0, channel: 0 };

  constructor(private readonly server: Server) {
    const u = this.newUser("default");
    for (const r of DEFAULT_USER_RULES) u.apply(server, r);
    this.defaultUser = u;
    this.users.set("default", u);
    infoProviders.set("acl_access_denied_auth", (s) => s.auth.denied.auth);
    infoProviders.set("acl_access_denied_cmd", (s) => s.auth.denied.cmd);
    infoProviders.set("acl_access_denied_key", (s) => s.auth.denied.key);
    infoProviders.set("acl_access_denied_channel", (s) => s.auth.denied.channel);
    this.setDefaultPassword(server.config.get("requirepass"));
    server.config.onChange((name, value) => {
      if (name === "requirepass") this.setDefaultPassword(value);
    });
    server.config.aclUserLines = () =>
      server.config.get("aclfile") !== "" ? [] : this.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
    const err = loadUsersAtStartup(server, this, server.config.aclUsers);
    if (err !== null) throw new Error(err);
  }

  newUser(name: string): User {
    return new User(name, () => this.server.config.get("acl-pubsub-default") === "allchannels");
  }

  /** Redis's ACLUpdateDefaultUserPassword (requirepass). */
  setDefaultPassword(password: string): void {
    const u = this.defaultUser;
    u.apply(this.server, "resetpass");
    u.apply(this.server, password === "" ? "nopass" : ">" + password);
    this.defaultChanged();
  }

  /** Clients that never logged in run as the default user without AUTH once it needs no password. */
  defaultChanged(): void {
    if (!this.defaultNoPass()) return;
    for (const c of this.server.clients.values()) if (!c.authenticated && c.user === this.defaultUser) c.authenticated = true;
  }

  userExists(name: string): boolean {
    return this.users.has(name);
  }

  /** Whether new connections are logged in as the default user without AUTH. */
  defaultNoPass(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  /** Redis's ACLCheckUserCredentials. */
  check(name: string, password: Buffer): boolean {
    const u = this.users.get(name);
    return u !== undefined && u.enabled && u.matches(password);
  }

  /** AUTH / HELLO AUTH: logs the client in, or logs the failure (Redis's checkPasswordBasedAuth). */
  authenticate(client: Client, name: Buffer, password: Buffer, command: Buffer): boolean {
    const n = name.toString("latin1");
    if (this.check(n, password)) {
      client.authenticated = true;
      client.user = this.users.get(n)!;
      return true;
    }
    this.addLog(client, DENIED_AUTH, client.multiCount >= 0 ? "multi" : "toplevel", n, command.toString("latin1"));
    return false;
  }

  /**
   * The permission check for `client`'s command (callers test
   * `client.user.unrestricted` first): null, or the refusal logged and its
   * NOPERM text (Redis's processCommand, and the script form for "lua").
   */
  refusal(client: Client, spec: CommandSpec, argv: Buffer[], context: LogContext): string | null {
    const user = client.user;
    const d = checkCommand(user, spec, argv);
    if (d === null) return null;
    this.logDenial(client, d, spec, argv, context);
    return denialMessage(d, user, spec, argv, false);
  }

  /** EXEC's second check of a queued command (Redis's execCommand): the refusal logged and its text, or null. */
  execRefusal(client: Client, spec: CommandSpec, argv: Buffer[]): string | null {
    const d = checkCommand(client.user, spec, argv);
    if (d === null) return null;
    this.logDenial(client, d, spec, argv, "multi");
    const reason =
      d.reason === DENIED_CMD
        ? "no permission to execute the command or subcommand"
        : d.reason === DENIED_KEY
          ? "no permission to touch the specified keys"
          : "no permission to access one of the channels used as arguments";
    return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
  }

  logDenial(client: Client, d: Denial, spec: CommandSpec, argv: Buffer[], context: LogContext): void {
    const object = d.reason === DENIED_CMD ? spec.name : argv[d.pos].toString("latin1");
    this.addLog(client, d.reason, context, client.user.name, object);
  }

  /** Redis's addACLLogEntry: a similar recent entry is bumped instead of adding one. */
  addLog(client: Client, reason: number, context: LogContext, username: string, object: string): void {
    if (reason === DENIED_AUTH) this.denied.auth++;
    else if (reason === DENIED_CMD) this.denied.cmd++;
    else if (reason === DENIED_KEY) this.denied.key++;
    else this.denied.channel++;
    const now = Date.now();
    const real = this.server.current ?? client;
    const cinfo = real.info(now, true);
    const scan = this.log.slice(0, 10);
    const match = scan.find(
      (e) => e.reason === reason && e.context === context && Math.abs(e.ctime - now) <= GROUPING_MS && e.object === object && e.username === username,
    );
    if (match) {
      this.log.splice(this.log.indexOf(match), 1);
      this.log.unshift(match);
      match.cinfo = cinfo;
      match.ctime = now;
      match.count++;
      return;
    }
    this.log.unshift({ count: 1, reason, context, object, username, ctime: now, cinfo, entryId: this.logEntries++, created: now });
    const max = this.server.config.int("acllog-max-len");
    if (this.log.length > max) this.log.length = max;
  }

  reasonName(reason: number): string {
    return REASONS[reason] ?? "unknown";
  }

  /**
   * ACL SETUSER: the rules staged on a copy, applied together when all are
   * valid; returns the error text or null. Subscribers of the user that lost a
   * channel are disconnected (Redis's ACLKillPubsubClientsIfNeeded).
   */
  setUser(name: string, rules: string[]): string | null {
    const merged = mergeSelectorArgs(rules);
    if (!Array.isArray(merged)) return `Unmatched parenthesis in acl selector starting at '${merged.unmatched}'.`;
    const existing = this.users.get(name);
    const staged = existing ? existing.copy() : this.newUser(name);
    for (const op of merged) {
      try {
        staged.apply(this.server, op);
      } catch (e) {
        if (e instanceof RuleFailure) return `Error in ACL SETUSER modifier '${op.split("\0")[0]}': ${e.message}`;
        throw e;
      }
    }
    if (existing) {
      this.killSubscribersIfNeeded(staged, existing);
      existing.copyFrom(staged);
      if (existing === this.defaultUser) this.defaultChanged();
    } else this.users.set(name, staged);
    return null;
  }

  /** Whether a user name is acceptable (ACL SETUSER and `user` lines). */
  validName(name: string): boolean {
    return !hasSpaces(name);
  }

  /** ACL DELUSER of one user: its clients are logged out and disconnected. */
  deleteUser(name: string, caller: Client | null): boolean {
    const u = this.users.get(name);
    if (!u) return false;
    this.users.delete(name);
    this.disconnectClientsOf(u, caller);
    return true;
  }

  /** Redis's ACLFreeUserAndKillClients. */
  disconnectClientsOf(u: User, caller: Client | null): void {
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== u) continue;
      c.user = this.defaultUser;
      c.authenticated = false;
      if (caller) this.server.killClient(c, caller);
      else if (c === this.server.current) c.closeAfterReply = true;
      else this.server.closeClient(c);
    }
  }

  /** Redis's ACLKillPubsubClientsIfNeeded: `original`'s subscribers to channels `updated` no longer allows are dropped. */
  private killSubscribersIfNeeded(updated: User, original: User): void {
    if (updated.selectors.some((s) => s.allChannels)) return;
    const upcoming = updated.selectors.flatMap((s) => s.channels);
    const superset = original.selectors.every((s) => !s.allChannels && s.channels.every((c) => upcoming.includes(c)));
    if (superset) return;
    const ps = pubsubOf(this.server);
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== original) continue;
      const kill =
        ps.patterns.namesOf(c).some((p) => !channelAllowed(upcoming, p, true)) ||
        ps.channels.namesOf(c).some((ch) => !channelAllowed(upcoming, ch, false)) ||
        ps.shard.namesOf(c).some((ch) => !channelAllowed(upcoming, ch, false));
      if (kill) this.server.closeClient(c);
    }
  }

  /** Users in Redis's order (the rax: byte order of the names). */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
