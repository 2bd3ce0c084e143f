/**
 * Handlers for commands the engine runs whole (native/src/command.rs): one
 * native call over argv, then the status code answered the standard way.
 */
import { commands, answer, Code } from "../engine/index.js";
import { blockOrAnswer } from "../server/blocking.js";
import type { Handler } from "./types.js";

/** The handler of engine command `name` (lowercase, as command.rs names it). */
export function engineHandler(name: string): Handler {
  const id = commands.id(name);
  return (c) => {
    const code = commands.run(id, c.db, c.argv, c.r);
    if (code === 0) return;
    if (code === Code.BLOCK) return blockOrAnswer(c);
    answer(c.r, code);
  };
}
