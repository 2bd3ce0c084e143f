/** Redis's addReplyHelp: the header, the command's lines, then HELP's own two lines, as status replies. */
import type { Ctx } from "./types.js";
import type { ErrorText } from "../protocol/reply.js";
import { cstr } from "../protocol/reply.js";

export function replyHelp(c: Ctx, lines: string[]): void {
  const name = c.argv[0].toString("latin1").toUpperCase();
  c.r.array(lines.length + 3);
  c.r.simple(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) c.r.simple(l);
  c.r.simple("HELP");
  c.r.simple("    Print this help.");
}

/** Redis's addReplySubcommandSyntaxError. */
export function subcommandSyntaxError(c: Ctx): ErrorText {
  const name = c.argv[0].toString("latin1").toUpperCase();
  return ["ERR unknown subcommand or wrong number of arguments for '", cstr(c.argv[1], 128), `'. Try ${name} HELP.`];
}
