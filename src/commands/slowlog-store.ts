/** The slow log's entries (Redis's slowlog.c): what SLOWLOG GET shows, fed by the command observer. */
import type { Client } from "../server/client.js";

/** Redis keeps at most 32 arguments and 128 bytes of each. */
const MAX_ARGC = 32;
const MAX_STRING = 128;
const REDACTED = Buffer.from("(redacted)");

interface Entry {
  id: number;
  time: number;
  usec: number;
  argv: Buffer[];
  addr: string;
  name: string;
}

export class SlowLog {
  /** Newest first. */
  entries: Entry[] = [];
  private nextId = 0;

  add(client: Client, argv: Buffer[], usec: number, max: number, redact: Set<number> | null): void {
    const argc = Math.min(argv.length, MAX_ARGC);
    const args: Buffer[] = [];
    for (let j = 0; j < argc; j++) {
      if (argc !== argv.length && j === argc - 1) {
        args.push(Buffer.from(`... (${argv.length - argc + 1} more arguments)`));
      } else if (redact?.has(j)) {
        args.push(REDACTED);
      } else if (argv[j].length > MAX_STRING) {
        const more = Buffer.from(`... (${argv[j].length - MAX_STRING} more bytes)`);
        args.push(Buffer.concat([argv[j].subarray(0, MAX_STRING), more]));
      } else {
        args.push(Buffer.from(argv[j])); // a copy: argv views the input buffer
      }
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      usec: Math.floor(usec),
      argv: args,
      addr: client.addr,
      name: client.name,
    });
    this.trim(max);
  }

  trim(max: number): void {
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}
