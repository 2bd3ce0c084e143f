/** SCAN over the keyspace (native/src/generic.rs `scan_cmd`, dict.rs reverse-binary cursor). */
import { keys, answer } from "../engine/index.js";
import { parseI64 } from "../protocol/numbers.js";
import type { CommandDef } from "./types.js";
import { NOT_INT, SYNTAX } from "./errors.js";

/** True if `arg` is `word` in any case (ASCII). */
function isWord(arg: Buffer, word: string): boolean {
  return arg.length === word.length && arg.toString("latin1").toLowerCase() === word;
}

export const scanCommands: CommandDef[] = [
  {
    name: "scan",
    arity: -2,
    flags: "readonly touches_arbitrary_keys",
    acl: "keyspace read slow",
    tips: "nondeterministic_output request_policy:special response_policy:special",
    handler: (c) => {
      const { argv } = c;
      if (!keys.scanCursorValid(argv[1])) return c.r.error("ERR invalid cursor");
      let count = 10;
      let pattern: Buffer | null = null;
      let typeName: Buffer | null = null;
      for (let i = 2; i < argv.length; ) {
        const more = argv.length - i >= 2;
        if (more && isWord(argv[i], "count")) {
          const n = parseI64(argv[i + 1]);
          if (n === null) return c.r.error(NOT_INT);
          if (n < 1) return c.r.error(SYNTAX);
          count = n;
        } else if (more && isWord(argv[i], "match")) {
          pattern = argv[i + 1];
        } else if (more && isWord(argv[i], "type")) {
          typeName = argv[i + 1];
        } else {
          return c.r.error(SYNTAX);
        }
        i += 2;
      }
      answer(c.r, keys.scan(c.db, argv[1], count, pattern, typeName, c.r));
    },
  },
];
