/** Server commands: INFO, CONFIG, COMMAND, DEBUG, SHUTDOWN, TIME, ... */
import type { CommandDef } from "./types.js";

const SERVER = "server";

export const serverCommands: CommandDef[] = [
  {
    name: "shutdown",
    arity: -1,
    flags: "admin noscript loading stale no_multi allow_busy",
    acl: "admin slow dangerous",
    group: SERVER,
    since: "1.0.0",
    summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
    handler: (c) => {
      c.server.shutdown();
    },
  },
  {
    name: "time",
    arity: 1,
    flags: "loading stale fast",
    acl: "fast",
    group: SERVER,
    since: "2.6.0",
    summary: "Returns the server time.",
    tips: "nondeterministic_output",
    handler: (c) => {
      const us = BigInt(Date.now()) * 1000n + (process.hrtime.bigint() / 1000n) % 1000n;
      c.r.bulks([String(us / 1000000n), String(us % 1000000n)]);
    },
  },
];
