/** Test helpers: a real Nodis over TCP, raw sockets, and redis-server as the oracle. */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll } from "vitest";
import Redis from "ioredis";
import { startServer, type RunningServer } from "../../src/index.js";
import { RespConnection } from "../diff/resp.js";
import { waitFor } from "./wait.js";

export async function startNodis(config: Record<string, string> = {}): Promise<RunningServer> {
  return startServer({ port: 0, config });
}

/** Sends raw bytes and collects what comes back until `done(text)` is true or the socket closes. */
export function rawExchange(
  port: number,
  payload: Buffer | string | (Buffer | string)[],
  done: (received: string) => boolean = () => false,
  timeoutMs = 3000,
): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "";
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on("data", (d) => {
      data += d.toString("latin1");
      if (done(data)) finish();
    });
    sock.on("close", () => {
      closed = true;
      finish();
    });
    sock.on("error", () => {});
    sock.on("connect", async () => {
      const parts = Array.isArray(payload) ? payload : [payload];
      for (const p of parts) {
        sock.write(p);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

export function haveRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"]).status === 0;
}

/** Where a Redis 7.2 built from source is looked for (the exact oracle; tests that need one skip without it). */
export const REDIS72 = process.env.REDIS72 ?? "/tmp/redis72/src/redis-server";

/**
 * The oracle a test of 7.2's exact texts should use: the Redis 7.2 at REDIS72
 * when there is one, else Debian's redis-server (7.0; its help texts and a few
 * replies differ), else null.
 */
export function oracleBinary(): { bin: string; is72: boolean } | null {
  if (existsSync(REDIS72)) return { bin: REDIS72, is72: true };
  return haveRedisServer() ? { bin: "redis-server", is72: false } : null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts Debian's redis-server (the oracle; or the binary `bin`) on a free port, no persistence. */
export async function startRedis(extra: string[] = [], bin = "redis-server"): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  // A directory of its own: no dump.rdb or appendonlydir left in the project (or loaded from it) by a test.
  const dir = mkdtempSync(path.join(os.tmpdir(), "nodis-oracle-"));
  const proc: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "yes", "--dir", dir, ...extra],
    { stdio: "ignore" },
  );
  // Until it accepts connections (a loaded machine may take seconds to start it).
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    { everyMs: 50 },
  );
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        proc.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        proc.kill("SIGKILL");
      }),
  };
}

export interface NodisFixture {
  srv: RunningServer;
  /** A raw RESP connection (exact reply bytes), when asked for. */
  conn: RespConnection;
  /** ioredis with its ready check off (each test states what it needs), when asked for. */
  r: Redis;
}

/**
 * Starts a Nodis for the enclosing file or describe block and, as `open` asks,
 * a raw RESP connection and an ioredis client to it; `use` receives them (to
 * assign to the file's variables). Everything is closed after the block.
 */
export function useNodis(
  config: Record<string, string>,
  open: { conn?: boolean; r?: boolean },
  use: (f: NodisFixture) => void,
): void {
  let srv: RunningServer | undefined;
  let conn: RespConnection | undefined;
  let r: Redis | undefined;
  beforeAll(async () => {
    srv = await startNodis(config);
    if (open.conn) conn = await RespConnection.connect(srv.port);
    if (open.r) r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false });
    use({ srv, conn: conn as RespConnection, r: r as Redis });
  });
  afterAll(async () => {
    conn?.close();
    r?.disconnect();
    await srv?.close();
  });
}
