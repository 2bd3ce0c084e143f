/** SLOWLOG: the log of commands slower than slowlog-log-slower-than (Redis's slowlog.c). */
import type { CommandDef } from "./types.js";
import { parseI64 } from "../protocol/numbers.js";
import { NOT_INT } from "./errors.js";
import { introspection } from "./introspection.js";
import { replyHelp } from "./help.js";

const HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

export const slowlogCommands: CommandDef[] = [
  {
    name: "slowlog",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "get",
        arity: -2,
        flags: "admin loading stale",
        acl: "admin slow dangerous",
        tips: "request_policy:all_nodes nondeterministic_output",
        handler: (c) => {
          if (c.argv.length > 3) return c.r.error("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
          const log = introspection(c.server).slowlog.entries;
          let count = 10;
          if (c.argv.length === 3) {
            const n = parseI64(c.argv[2]);
            if (n === null) return c.r.error(NOT_INT);
            if (n < -1) return c.r.error("ERR count should be greater than or equal to -1");
            count = n === -1 ? log.length : n;
          }
          count = Math.min(count, log.length);
          c.r.array(count);
          for (let i = 0; i < count; i++) {
            const e = log[i];
            c.r.array(6);
            c.r.int(e.id);
            c.r.int(e.time);
            c.r.int(e.usec);
            c.r.bulks(e.argv);
            c.r.bulk(e.addr);
            c.r.bulk(e.name);
          }
        },
      },
      {
        name: "len",
        arity: 2,
        flags: "admin loading stale",
        acl: "admin slow dangerous",
        tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        handler: (c) => c.r.int(introspection(c.server).slowlog.entries.length),
      },
      {
        name: "reset",
        arity: 2,
        flags: "admin loading stale",
        acl: "admin slow dangerous",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        handler: (c) => {
          introspection(c.server).slowlog.reset();
          c.r.ok();
        },
      },
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        acl: "slow",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];
