/**
 * Users from files: the ACL file (`aclfile`: ACL LOAD, ACL SAVE, loaded at
 * start) and `user` lines in the configuration file (Redis 7.2's
 * ACLLoadFromFile, ACLSaveToFile, ACLAppendUserForLoading, ACLLoadConfiguredUsers).
 */
import fs from "node:fs";
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import type { Acl } from "./acl.js";
import { DEFAULT_USER_RULES, mergeSelectorArgs, User } from "./user.js";
import { hasSpaces, RuleFailure, RULE_ERRORS } from "./selector.js";

export function aclFile(server: Server): string {
  return server.config.get("aclfile");
}

/**
 * Reads `file` and, when every line is valid, replaces all users with its
 * ones (the default user keeps its identity; clients of the others are
 * disconnected). Returns null, or the errors found (nothing changed then).
 */
export function loadAclFile(server: Server, acl: Acl, file: string, caller: Client | null): string | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "latin1");
  } catch (e) {
    return `Error loading ACLs, opening file '${file}': ${describeError(e)}`;
  }
  const users = new Map<string, User>();
  let errors = "";
  text.split("\n").forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "") return;
    const argv = line.split(" ").filter((w) => w !== "");
    if (argv.length === 0) return;
    if (argv[0] !== "user" || argv.length < 2) {
      errors += `${file}:${lineNo} should start with user keyword followed by the username. `;
      return;
    }
    const name = argv[1];
    if (hasSpaces(name)) {
      errors += `'${file}:${lineNo}: username '${name}' contains invalid characters. `;
      return;
    }
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${lineNo}. `;
      return;
    }
    const u = acl.newUser(name);
    users.set(name, u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (!Array.isArray(merged)) {
      errors += `${file}:${lineNo}: Unmatched parenthesis in selector definition.`;
      return;
    }
    let syntaxError = false;
    for (const op of merged) {
      const rule = op.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
      try {
        u.apply(server, rule);
      } catch (e) {
        if (!(e instanceof RuleFailure)) throw e;
        if (e.code === "ENOENT") errors += `${file}:${lineNo}: Error in applying operation '${rule}': ${e.message}. `;
        else if (!syntaxError) {
          errors += `${file}:${lineNo}: ${e.message}. `;
          syntaxError = true;
        }
      }
    }
  });
  if (errors !== "") return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
  replaceUsers(server, acl, users, caller);
  return null;
}

/** The loaded users take the place of all others; the default user keeps its identity (clients point at it). */
function replaceUsers(server: Server, acl: Acl, users: Map<string, User>, caller: Client | null): void {
  const old = [...acl.users.values()].filter((u) => u !== acl.defaultUser);
  const newDefault = users.get("default");
  if (newDefault) acl.defaultUser.copyFrom(newDefault);
  else acl.defaultUser.copyFrom(defaultRules(server, acl));
  acl.defaultChanged();
  acl.users.clear();
  acl.users.set("default", acl.defaultUser);
  for (const [name, u] of users) if (name !== "default") acl.users.set(name, u);
  for (const u of old) acl.disconnectClientsOf(u, caller);
}

function defaultRules(server: Server, acl: Acl): User {
  const u = acl.newUser("default");
  for (const r of DEFAULT_USER_RULES) u.apply(server, r);
  return u;
}

/** ACL SAVE: every user as a `user` line, written to a temporary file renamed over `file`. */
export function saveAclFile(server: Server, file: string): boolean {
  let text = "";
  for (const u of server.auth.sortedUsers()) text += `user ${u.name} ${u.describe()}\n`;
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = fs.openSync(tmp, "w", 0o644);
    try {
      fs.writeSync(fd, Buffer.from(text, "latin1"));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return true;
  } catch (e) {
    server.log.warning(`Writing ACL file for ACL SAVE: ${describeError(e)}`);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already renamed or never made
    }
    return false;
  }
}

function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "No such file or directory";
  if (code === "EACCES") return "Permission denied";
  return e instanceof Error ? e.message : String(e);
}

/** At start: the configuration file's users (Redis's ACLLoadConfiguredUsers), or the ACL file's. Returns an error to exit with, or null. */
export function loadUsersAtStartup(server: Server, acl: Acl, lines: string[][]): string | null {
  const file = aclFile(server);
  if (file !== "" && lines.length > 0) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.";
  }
  if (file !== "") {
    const err = loadAclFile(server, acl, file, null);
    return err === null ? null : `Aborting Redis startup because of ACL errors: ${err}`;
  }
  const seen = new Set<string>();
  for (const argv of lines) {
    if (seen.has(argv[0])) return `Error in user declaration '${argv[0]}': ${RULE_ERRORS.EALREADY}`;
    seen.add(argv[0]);
  }
  for (const argv of lines) {
    const name = argv[0];
    if (hasSpaces(name)) return "Spaces not allowed in ACL usernames";
    let u = acl.users.get(name);
    if (u) u.apply(server, "reset");
    else {
      u = acl.newUser(name);
      acl.users.set(name, u);
    }
    const merged = mergeSelectorArgs(argv.slice(1));
    for (const op of Array.isArray(merged) ? merged : []) {
      try {
        u.apply(server, op);
      } catch (e) {
        if (!(e instanceof RuleFailure)) throw e;
        return `Error loading ACL rule '${op}' for the user named '${name}': ${e.message}`;
      }
    }
    if (!u.enabled) {
      server.log.notice(`The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
    }
  }
  return null;
}
