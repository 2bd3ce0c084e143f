/** One command's INFO commandstats counters. */
export interface CommandStat {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

/** Counters INFO stats/commandstats/errorstats report. */
export class Stats {
  totalConnections = 0;
  totalCommands = 0;
  rejectedConnections = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  totalErrorReplies = 0;
  /** Replication: full and partial resynchronizations served (sync_full, sync_partial_ok, sync_partial_err). */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** Per command (full name): calls, microseconds, rejected, failed. */
  commands = new Map<string, CommandStat>();
  /** Per error prefix (ERR, WRONGTYPE, ...). */
  errors = new Map<string, number>();

  reset(): void {
    this.totalConnections = 0;
    this.totalCommands = 0;
    this.rejectedConnections = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.totalErrorReplies = 0;
    this.syncFull = this.syncPartialOk = this.syncPartialErr = 0;
    // Zeroed in place: command specs keep a reference to their record.
    for (const c of this.commands.values()) c.calls = c.usec = c.rejected = c.failed = 0;
    this.errors.clear();
  }

  command(name: string): CommandStat {
    let c = this.commands.get(name);
    if (!c) {
      c = { calls: 0, usec: 0, rejected: 0, failed: 0 };
      this.commands.set(name, c);
    }
    return c;
  }
}
