/**
 * Connections that come and go (src/server/lite-socket.ts: an accepted
 * connection has no net.Socket until one is needed). Many short connections
 * ending every way a client ends one: the server counts them as redis-server
 * does, frees every descriptor, and a reply too big for the socket at once
 * still arrives whole and in order, the connection then going on as before.
 */
import fs from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, useNodis } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";
import { RawConn } from "./raw-conn.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));
let redis: { port: number; stop(): Promise<void> };
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const enc = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/** What INFO shows of `port`'s connections. */
async function counts(port: number): Promise<{ connected: number; total: number }> {
  const c = await RawConn.open(port);
  const info = await c.call("INFO", "ALL");
  c.close();
  const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
  return { connected: field("connected_clients"), total: field("total_connections_received") };
}

/** One short connection to `port`, ended the `how` way; resolves when the socket closed. */
function shortConnection(port: number, how: number, big: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let got = "";
    const done = setTimeout(() => reject(new Error(`connection ${how} did not close`)), 10_000);
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(done);
      resolve(got);
    });
    sock.on("data", (d) => {
      got += d.toString("latin1");
      // Ending 0: the client closes once its reply came.
      if (how === 0 && got === "+PONG\r\n") sock.destroy();
    });
    sock.on("connect", () => {
      if (how === 0) sock.write(enc("PING"));
      // QUIT: the server replies, then closes.
      else if (how === 1) sock.write(enc("PING") + enc("QUIT"));
      // A reply bigger than the socket takes, the client gone before reading it.
      else if (how === 2) {
        sock.write(enc("GET", "conn:big"));
        setTimeout(() => sock.destroy(), 5);
      }
      // The client sends and half-closes: what it gets is the server's choice (the socket closes).
      else if (how === 3) sock.end(enc("PING"));
      // Closed at once, nothing sent.
      else sock.destroy();
    });
  });
}

async function churn(port: number, n: number): Promise<string[]> {
  const replies: string[] = [];
  for (let i = 0; i < n; i += 20) {
    replies.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => shortConnection(port, (i + j) % 5, 0)))));
  }
  return replies;
}

const openDescriptors = (): number => fs.readdirSync("/proc/self/fd").length;

describe("short connections", () => {
  it("are counted as redis-server counts them and leave no descriptor behind", async () => {
    const big = "x".repeat(4 << 20);
    for (const port of [srv.port, redis.port]) {
      const c = await RawConn.open(port);
      expect(await c.call("SET", "conn:big", big)).toBe("+OK\r\n");
      c.close();
    }
    const fdsBefore = openDescriptors();
    const result: Record<string, { replies: string[]; connected: number; total: number }> = {};
    for (const [name, port] of [["nodis", srv.port], ["redis", redis.port]] as const) {
      const before = await counts(port);
      const replies = await churn(port, 200);
      // Closed sockets are noticed on the server's next turns.
      await waitFor(async () => (await counts(port)).connected === 1, { timeoutMs: 10_000 });
      const after = await counts(port);
      result[name] = { replies, connected: after.connected, total: after.total - before.total };
    }
    expect(result.nodis.connected).toBe(1);
    expect(result.nodis.total).toBe(result.redis.total);
    // The endings with a reply the client reads whole.
    for (const r of [result.nodis, result.redis]) {
      r.replies.forEach((got, i) => {
        if (i % 5 === 0) expect(got).toBe("+PONG\r\n");
        if (i % 5 === 1) expect(got).toBe("+PONG\r\n+OK\r\n");
      });
    }
    // Nodis runs in this process: its client sockets (and the read loop's duplicates) are all closed.
    expect(await waitFor(() => openDescriptors() <= fdsBefore, { timeoutMs: 5000 })).toBe(true);
  });

  it("get a reply bigger than the socket takes at once whole, in order, and go on after it", async () => {
    const value = Buffer.alloc(24 << 20);
    for (let i = 0; i < value.length; i++) value[i] = 97 + (i % 26);
    const setup = await RawConn.open(srv.port);
    expect(await setup.call("SET", "conn:big2", value.toString("latin1"))).toBe("+OK\r\n");
    setup.close();
    const sock = net.connect(srv.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    const chunks: Buffer[] = [];
    let have = 0;
    const expected = Buffer.concat([
      Buffer.from("+PONG\r\n"),
      Buffer.from(`$${value.length}\r\n`),
      value,
      Buffer.from(`\r\n:${value.length}\r\n+PONG\r\n`),
    ]);
    // Not read for a while: the server's socket backs up.
    sock.pause();
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      have += d.length;
    });
    sock.write(enc("PING") + enc("GET", "conn:big2") + enc("STRLEN", "conn:big2") + enc("PING"));
    await new Promise((r) => setTimeout(r, 300));
    sock.resume();
    expect(await waitFor(() => have >= expected.length, { timeoutMs: 10_000 })).toBe(true);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    // The connection goes on: replies written straight to the socket again.
    const more = new Promise<string>((resolve) => sock.once("data", (d: Buffer) => resolve(d.toString())));
    sock.write(enc("ECHO", "after"));
    expect(await more).toBe("$5\r\nafter\r\n");
    sock.destroy();
  });
});
