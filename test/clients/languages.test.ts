/**
 * Other languages' clients against Nodis, with redis-server as the oracle:
 * redis-py, go-redis and Jedis each run a session (test/clients/programs:
 * strings, errors, hashes, lists, sets, sorted sets, streams and a consumer
 * group, pipelines, MULTI/EXEC, WATCH, scripts, SCAN, pub/sub, a BLPOP served
 * by another connection) over RESP2 and RESP3, printing what their API gave
 * back a line per step; over RESP3 the Go program also runs rueidis with
 * client-side caching (a cached read, a hit, the invalidation after a write),
 * and the Java program runs Lettuce after Jedis. The two servers' outputs must be the same, line for line.
 * prepare.mjs fetches the clients (PyPI, the Go module proxy, Maven Central).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { PROGRAMS, paths, prepare } from "./prepare.mjs";

const execFileP = promisify(execFile);

/** Each client's command line for a server's port and a protocol version. */
const CLIENTS: Record<string, (port: number, protocol: number) => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }> = {
  "redis-py": (port, protocol) => ({
    cmd: "python3",
    args: [path.join(PROGRAMS, "smoke.py"), String(port), String(protocol)],
    env: { ...process.env, PYTHONPATH: paths.pythonPath },
  }),
  "go-redis": (port, protocol) => ({ cmd: paths.goBinary, args: [String(port), String(protocol)] }),
  "jedis, then lettuce": (port, protocol) => ({
    cmd: "java",
    args: ["-cp", path.join(paths.jars, "*"), path.join(PROGRAMS, "java", "Smoke.java"), String(port), String(protocol)],
  }),
};

async function session(client: string, port: number, protocol: number): Promise<string[]> {
  const { cmd, args, env } = CLIENTS[client](port, protocol);
  const { stdout } = await execFileP(cmd, args, { env, timeout: 60_000, maxBuffer: 1 << 20 });
  return stdout.trimEnd().split("\n");
}

describe("other languages' clients", () => {
  let srv: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };

  beforeAll(async () => {
    prepare();
    srv = await startNodis();
    oracle = await startRedis();
  }, 600_000);

  afterAll(async () => {
    await srv?.close();
    await oracle?.stop();
  });

  for (const client of Object.keys(CLIENTS)) {
    for (const protocol of [2, 3]) {
      it(`${client} over RESP${protocol} sees what it sees with redis-server`, async () => {
        const want = await session(client, oracle.port, protocol);
        const got = await session(client, srv.port, protocol);
        // The session ran to its end (a client that stopped early prints no "done").
        expect(want.length).toBeGreaterThan(40);
        expect(want.at(-1)).toBe("done");
        expect(got).toEqual(want);
      }, 120_000);
    }
  }
});
