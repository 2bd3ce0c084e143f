/** Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET, CLIENT. */
import type { CommandDef } from "./types.js";
import { DB_RANGE, NOT_INT } from "./errors.js";
import { parseI64 } from "../protocol/numbers.js";

const CONN = "connection";

export const connectionCommands: CommandDef[] = [
  {
    name: "ping",
    arity: -1,
    flags: "fast",
    acl: "fast connection",
    group: CONN,
    since: "1.0.0",
    summary: "Returns the server's liveliness response.",
    tips: "request_policy:all_shards response_policy:all_succeeded",
    handler: (c) => {
      if (c.argv.length > 2) return c.r.error("ERR wrong number of arguments for 'ping' command");
      if (c.argv.length === 2) c.r.bulk(c.argv[1]);
      else c.r.simple("PONG");
    },
  },
  {
    name: "echo",
    arity: 2,
    flags: "fast",
    acl: "fast connection",
    group: CONN,
    since: "1.0.0",
    summary: "Returns the given string.",
    handler: (c) => c.r.bulk(c.argv[1]),
  },
  {
    name: "select",
    arity: 2,
    flags: "loading stale fast",
    acl: "fast connection",
    group: CONN,
    since: "1.0.0",
    summary: "Changes the selected database.",
    handler: (c) => {
      const n = parseI64(c.argv[1]);
      if (n === null) return c.r.error(NOT_INT);
      if (n < 0 || n >= c.server.config.int("databases")) return c.r.error(DB_RANGE);
      c.client.db = n;
      c.r.ok();
    },
  },
  {
    name: "quit",
    arity: -1,
    flags: "allow_busy noscript loading stale fast no_auth",
    acl: "fast connection",
    group: CONN,
    since: "1.0.0",
    summary: "Closes the connection.",
    handler: (c) => {
      c.r.ok();
      c.client.closeAfterReply = true;
    },
  },
];
