/**
 * Handlers for commands the engine runs whole (native/src/command.rs): one
 * native call over argv, then the status code answered the standard way.
 */
import { commands, answer, Code } from "../engine/index.js";
import { blockOrAnswer } from "../server/blocking.js";
import type { Handler } from "./types.js";

/** The engine command each engineHandler runs: the batch path runs these the same way (src/server/batch.ts). */
const ENGINE_FORMS = new WeakMap<Handler, number>();

/** The handler of engine command `name` (lowercase, as command.rs names it). */
export function engineHandler(name: string): Handler {
  const id = commands.id(name);
  const handler: Handler = (c) => {
    const code = commands.run(id, c.db, c.argv, c.r);
    if (code === 0) return;
    if (code === Code.BLOCK) return blockOrAnswer(c);
    answer(c.r, code);
  };
  ENGINE_FORMS.set(handler, id);
  return handler;
}

/** The engine command a handler made here runs; undefined for other handlers. */
export function engineFormOf(handler: Handler): number | undefined {
  return ENGINE_FORMS.get(handler);
}

/**
 * Handlers of engine commands that serve at once or block (XREAD,
 * XREADGROUP): the batch path runs their engine command `id` while nothing
 * propagates, and leaves them to the handler when it would block.
 */
const SERVE_OR_BLOCK_FORMS = new WeakMap<Handler, number>();

/** Marks `handler` as serving engine command `name` or blocking (see SERVE_OR_BLOCK_FORMS). */
export function withServeOrBlockForm(handler: Handler, name: string): Handler {
  SERVE_OR_BLOCK_FORMS.set(handler, commands.id(name));
  return handler;
}

/** The engine command a serve-or-block handler runs; undefined for other handlers. */
export function serveOrBlockFormOf(handler: Handler): number | undefined {
  return SERVE_OR_BLOCK_FORMS.get(handler);
}

/**
 * Handlers that do more than the engine call for clients (DEL's counting
 * through the keyspace, TTL's reply...) whose engine command `name` a
 * script's redis.call may run without crossing back (src/scripting/bridge.ts);
 * the batch path runs it too (src/server/batch.ts).
 */
const SCRIPT_FORMS = new WeakMap<Handler, number>();

/** Marks `handler` as having engine command `name` as its script form (see SCRIPT_FORMS). */
export function withScriptForm(handler: Handler, name: string): Handler {
  SCRIPT_FORMS.set(handler, commands.id(name));
  return handler;
}

/** The engine command a script may run for a handler: its engine form, else its script form. */
export function scriptFormOf(handler: Handler): number | undefined {
  return ENGINE_FORMS.get(handler) ?? SCRIPT_FORMS.get(handler);
}
