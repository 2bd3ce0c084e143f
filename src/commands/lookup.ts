/** Finding a command's table entry by name, for the commands that name other commands. */
import type { CommandSpec } from "./types.js";
import type { Server } from "../server/server.js";

/** A command's table entry by full name ("get", "client|id"). */
export function findCommand(server: Server, name: string): CommandSpec | undefined {
  const [parent, sub] = name.toLowerCase().split("|", 2);
  const spec = server.commands.get(parent);
  if (sub === undefined) return spec;
  return spec?.subcommands?.get(sub);
}
