/**
 * A replica whose link is down with replica-serve-stale-data no: commands
 * without the stale flag get -MASTERDOWN, and so does an EXEC whose queued
 * commands include one (queued while the replica was serving), as Redis's
 * processCommand refuses it by the transaction's flags.
 */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { useNodis, type NodisFixture } from "../helpers/nodis.js";

describe("replication: a stale replica", () => {
  let f: NodisFixture;
  useNodis({}, { r: true }, (x) => (f = x));

  it("refuses reads with -MASTERDOWN, and EXEC of a transaction queued before the link went down", async () => {
    const other = new Redis({ port: f.srv.port, host: "127.0.0.1", enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      await f.r.set("xx", "1");
      await f.r.config("SET", "replica-serve-stale-data", "no");
      expect(await other.call("MULTI")).toBe("OK");
      expect(await other.call("GET", "xx")).toBe("QUEUED");
      // A primary on a port nobody listens on: the link stays down.
      await f.r.call("REPLICAOF", "127.0.0.1", "1");
      await expect(other.call("EXEC")).rejects.toThrow(/^EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down/);
      await expect(f.r.get("xx")).rejects.toThrow(/^MASTERDOWN/);
      // PING is not flagged stale either (Sentinel reads -MASTERDOWN from it); INFO is.
      await expect(f.r.call("PING")).rejects.toThrow(/^MASTERDOWN/);
      expect(String(await f.r.call("INFO", "replication"))).toMatch(/master_link_status:down/);
      // A transaction of stale-flagged commands only runs.
      expect(await other.call("MULTI")).toBe("OK");
      expect(await other.call("INFO", "replication")).toBe("QUEUED");
      const [reply] = (await other.call("EXEC")) as string[];
      expect(String(reply)).toMatch(/^# Replication/);
    } finally {
      await f.r.call("REPLICAOF", "NO", "ONE");
      other.disconnect();
    }
    expect(await f.r.get("xx")).toBe("1");
  });

  it("judges scripts by their declared flags at dispatch, as Redis 7.2 (getCommandFlags)", async () => {
    const run = (body: string, cmd = "EVAL") => f.r.call(cmd, body, "0").then(String, (e: Error) => e.message);
    try {
      await f.r.config("SET", "replica-serve-stale-data", "no");
      await f.r.call("REPLICAOF", "127.0.0.1", "1");
      // No shebang: EVAL's own flags (stale), then scriptPrepareForRun's MASTERDOWN.
      expect(await run("return 1")).toMatch(/^MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'/);
      // A shebang that may write: a write for the read-only replica check, which comes first.
      expect(await run("#!lua\nreturn 1")).toBe("READONLY You can't write against a read only replica.");
      expect(await run("#!lua flags=allow-stale,no-writes\nreturn 1")).toBe("1");
      expect(await run("#!lua flags=allow-stale\nreturn 1")).toBe("READONLY You can't write against a read only replica.");
      await f.r.config("SET", "replica-serve-stale-data", "yes");
      expect(await run("#!lua\nreturn 1", "EVAL_RO")).toBe("READONLY You can't write against a read only replica.");
    } finally {
      await f.r.call("REPLICAOF", "NO", "ONE");
    }
    expect(await run("#!lua\nreturn 1", "EVAL_RO")).toBe("ERR Can not execute a script with write flag using *_ro command.");
  });
});
