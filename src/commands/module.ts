/**
 * MODULE HELP / LIST / LOAD / LOADEX / UNLOAD. Nodis cannot load Redis
 * modules (shared libraries written against Redis's C module API): none is
 * ever loaded, and LOAD and LOADEX fail as Redis's do when a library does not
 * load, with the reason in the log.
 */
import type { CommandDef, Ctx } from "./types.js";
import { replyHelp } from "./help.js";
import { protectedRefusal } from "./protected-commands.js";

const HELP = [
  "LIST",
  "    Return a list of loaded modules.",
  "LOAD <path> [<arg> ...]",
  "    Load a module library from <path>, passing to it any optional arguments.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Load a module library from <path>, while passing it module configurations and optional arguments.",
  "UNLOAD <name>",
  "    Unload a module.",
];

const LOAD_FAILED = "ERR Error loading the extension. Please check the server logs.";

function load(c: Ctx): void {
  const refusal = protectedRefusal(c, "MODULE");
  if (refusal) return c.r.error(refusal);
  c.server.log.warning(`Module ${c.argv[2].toString()} failed to load: Nodis does not load Redis modules`);
  c.r.error(LOAD_FAILED);
}

function unload(c: Ctx): void {
  const refusal = protectedRefusal(c, "MODULE");
  if (refusal) return c.r.error(refusal);
  const why = "no such module with that name";
  c.server.log.warning(`Error unloading module ${c.argv[2].toString()}: ${why}`);
  c.r.error(`ERR Error unloading module: ${why}`);
}

/** LOAD, LOADEX and UNLOAD: protected admin subcommands (enable-module-command). */
const changing = (name: string, arity: number, handler: (c: Ctx) => void): CommandDef => ({
  name,
  arity,
  flags: "no_async_loading admin noscript protected",
  acl: "admin slow dangerous",
  handler,
});

export const moduleCommands: CommandDef[] = [
  {
    name: "module",
    arity: -2,
    handler: () => {},
    subcommands: [
      { name: "help", arity: 2, flags: "loading stale", acl: "slow", handler: (c) => replyHelp(c, HELP) },
      {
        name: "list",
        arity: 2,
        flags: "admin noscript",
        acl: "admin slow dangerous",
        tips: "nondeterministic_output_order",
        handler: (c) => c.r.array(0),
      },
      changing("load", -3, load),
      changing("loadex", -3, load),
      changing("unload", 3, unload),
    ],
  },
];
