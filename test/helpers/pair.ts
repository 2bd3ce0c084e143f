/**
 * A Nodis and an oracle redis-server side by side for a describe block, both
 * with keyspace events on (unless asked otherwise), and a raw connection to each. The oracle binary is
 * Debian's redis-server (7.0) unless NODIS_ORACLE_BIN names another (a 7.2
 * one lets tests compare what 7.0 answers differently exactly).
 */
import { afterAll, beforeAll, expect } from "vitest";
import { startNodis, startRedis } from "./nodis.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";

export interface ServerPair {
  mine: RespConnection;
  theirs: RespConnection;
  nodis: RunningServer;
  oracle: { port: number; stop(): Promise<void> };
  /** Whether the oracle is a Redis 7.2. */
  is72: boolean;
  /** Empties both servers and selects db 0. */
  reset(): Promise<void>;
  /** Pipelines `cmds` to both and expects the same reply to each, byte for byte. */
  same(cmds: Arg[][]): Promise<void>;
}

/** `events`: both start with keyspace events on (KEA), the default; false: off (nothing listens on the write path). */
export function useServerPair({ events = true }: { events?: boolean } = {}): ServerPair {
  const pair = { is72: false } as ServerPair;
  const notify = events ? "KEA" : "";
  beforeAll(async () => {
    pair.oracle = await startRedis(["--notify-keyspace-events", notify], process.env.NODIS_ORACLE_BIN ?? "redis-server");
    pair.nodis = await startNodis({ "enable-debug-command": "yes", "notify-keyspace-events": notify });
    pair.mine = await RespConnection.connect(pair.nodis.port);
    pair.theirs = await RespConnection.connect(pair.oracle.port);
    pair.is72 = (await pair.theirs.call("INFO", "server")).toString().includes("redis_version:7.2.");
    pair.same = async (cmds) => {
      const [a, b] = await Promise.all([pair.mine.send(cmds), pair.theirs.send(cmds)]);
      cmds.forEach((argv, i) => expect(show(a[i]), `${i}: ${argv.map(String).join(" ").slice(0, 160)}`).toBe(show(b[i])));
    };
    pair.reset = async () => {
      for (const k of [pair.mine, pair.theirs]) {
        await k.call("FLUSHALL");
        await k.call("SELECT", "0");
      }
    };
  });
  afterAll(async () => {
    pair.mine?.close();
    pair.theirs?.close();
    await pair.nodis?.close();
    await pair.oracle?.stop();
  });
  return pair;
}
