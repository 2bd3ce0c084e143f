/**
 * DEBUG and MODULE's protected subcommands run only as enable-debug-command and
 * enable-module-command allow: yes, or local for loopback and unix socket
 * clients (Redis's allowProtectedAction).
 */
import type { Ctx } from "./types.js";

function isLocal(c: Ctx): boolean {
  const a = c.client.addr;
  return a.startsWith("127.") || a.startsWith("[::1]") || a.startsWith("/") || a.startsWith("unix");
}

/** Redis's rejection of a protected command the config does not allow, or null when it may run. */
export function protectedRefusal(c: Ctx, command: "DEBUG" | "MODULE"): string | null {
  const option = command === "DEBUG" ? "enable-debug-command" : "enable-module-command";
  const v = c.server.config.get(option);
  if (v === "yes" || (v === "local" && isLocal(c))) return null;
  return `ERR ${command} command not allowed. If the ${option} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`;
}
