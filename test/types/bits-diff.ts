/**
 * Differential helpers of the bitmap, hyperloglog and geo tests: Nodis and
 * Debian's redis-server side by side, replies compared byte for byte, the
 * keyspace events of a run compared, and DEBUG DIGEST at the end.
 */
import net from "node:net";
import { afterAll, beforeAll, expect } from "vitest";
import { ReplyReader, RespConnection, encodeCommand, show, type Arg } from "../diff/resp.js";
import { startRedis, useNodis } from "../helpers/nodis.js";
import type { Server } from "../../src/server/server.js";

export interface Pair {
  readonly nodis: RespConnection;
  readonly redis: RespConnection;
  readonly nodisPort: number;
  readonly redisPort: number;
  /** The in-process Nodis (its write path, for what commands propagate). */
  readonly server: Server;
}

/** Nodis and the oracle for the enclosing describe block. */
export function usePair(): Pair {
  let conn: RespConnection;
  let port = 0;
  let server: Server;
  useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => {
    conn = f.conn;
    port = f.srv.port;
    server = f.srv.server;
  });
  let oracle: { port: number; stop(): Promise<void> } | undefined;
  let oconn: RespConnection | undefined;
  beforeAll(async () => {
    oracle = await startRedis();
    oconn = await RespConnection.connect(oracle.port);
  });
  afterAll(async () => {
    oconn?.close();
    await oracle?.stop();
  });
  return {
    get nodis() {
      return conn;
    },
    get redis() {
      return oconn as RespConnection;
    },
    get nodisPort() {
      return port;
    },
    get redisPort() {
      return oracle?.port ?? 0;
    },
    get server() {
      return server;
    },
  };
}

/** Sends the same commands to both (already flushed or not) and expects the same bytes back. */
export async function sameReplies(p: Pair, cmds: Arg[][]): Promise<Buffer[]> {
  const [a, b] = await Promise.all([p.nodis.send(cmds), p.redis.send(cmds)]);
  cmds.forEach((argv, i) => expect(show(a[i]), argv.map(String).join(" ")).toBe(show(b[i])));
  return a;
}

export async function flushBoth(p: Pair): Promise<void> {
  await Promise.all([p.nodis.send([["FLUSHALL"], ["SELECT", "0"]]), p.redis.send([["FLUSHALL"], ["SELECT", "0"]])]);
}

/** DEBUG DIGEST of both, expected equal (and returned). */
export async function sameDigest(p: Pair): Promise<string> {
  const [a, b] = await Promise.all([p.nodis.call("DEBUG", "DIGEST"), p.redis.call("DEBUG", "DIGEST")]);
  expect(a.toString()).toBe(b.toString());
  return a.toString();
}

/** Every message a PSUBSCRIBE * connection receives while `run` runs, up to an end marker. */
async function messagesDuring(port: number, conn: RespConnection, run: () => Promise<void>): Promise<string[]> {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  const reader = new ReplyReader();
  const got: string[] = [];
  sock.on("data", (d) => {
    reader.push(d);
    for (let m = reader.next(); m; m = reader.next()) got.push(m.toString("latin1"));
  });
  sock.write(encodeCommand(["PSUBSCRIBE", "*"]));
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error("no end marker from the subscriber");
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await until(() => got.length > 0);
  await run();
  await conn.call("PUBLISH", "end-of-run", "x");
  await until(() => got.some((m) => m.includes("end-of-run")));
  sock.destroy();
  return got.slice(1, -1);
}

/**
 * Runs `cmds` on both with all keyspace events on (one connection each,
 * replies compared), and expects the same event messages in the same order.
 */
export async function sameEvents(p: Pair, cmds: Arg[][]): Promise<string[]> {
  await Promise.all([p.nodis.call("CONFIG", "SET", "notify-keyspace-events", "KEAn"), p.redis.call("CONFIG", "SET", "notify-keyspace-events", "KEAn")]);
  let replies: [Buffer[], Buffer[]] = [[], []];
  const [mine, theirs] = await Promise.all([
    messagesDuring(p.nodisPort, p.nodis, async () => {
      replies[0] = await p.nodis.send(cmds);
    }),
    messagesDuring(p.redisPort, p.redis, async () => {
      replies[1] = await p.redis.send(cmds);
    }),
  ]);
  await Promise.all([p.nodis.call("CONFIG", "SET", "notify-keyspace-events", ""), p.redis.call("CONFIG", "SET", "notify-keyspace-events", "")]);
  cmds.forEach((argv, i) => expect(show(replies[0][i]), argv.map(String).join(" ")).toBe(show(replies[1][i])));
  expect(mine).toEqual(theirs);
  return mine;
}

/** What the commands propagate (each unit as "ARG ARG ..."), from Nodis's write path. */
export async function propagatedBy(p: Pair, cmds: Arg[][]): Promise<string[]> {
  const units: string[] = [];
  const stop = p.server.writePath.onPropagate((ops) => units.push(...ops.map((o) => o.argv.map((a) => a.toString("latin1")).join(" "))));
  try {
    for (const c of cmds) await p.nodis.call(...c);
  } finally {
    stop();
  }
  return units;
}
