/** Finding a command's table entry by name, for the commands that name other commands. */
import type { CommandSpec } from "./types.js";
import type { Server } from "../server/server.js";

/** A command's table entry by full name ("get", "client|id"); one level of subcommands
 *  only, as Redis: "config|get|key" names nothing. */
export function findCommand(server: Server, name: string): CommandSpec | undefined {
  const parts = name.toLowerCase().split("|");
  if (parts.length > 2) return undefined;
  const [parent, sub] = parts;
  const spec = server.commands.get(parent);
  if (sub === undefined) return spec;
  return spec?.subcommands?.get(sub);
}
