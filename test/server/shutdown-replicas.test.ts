/**
 * SHUTDOWN with lagging replicas (src/server/shutdown.ts, Redis 7's
 * prepareForShutdown / finishShutdown): writes are held, the replicas are asked
 * for an ACK, the shutdown finishes once they have acknowledged the whole stream,
 * or after shutdown-timeout; SHUTDOWN ABORT or a failure answers the waiting
 * callers with an error. The replica here is a raw connection that ACKs only
 * when the test says, so "lagging" is exact, not a matter of timing.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startNodis } from "../helpers/nodis.js";
import { until, waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";

let srv: RunningServer | null = null;
let replica: net.Socket | null = null;
afterEach(async () => {
  replica?.destroy();
  replica = null;
  await srv?.close();
  srv = null;
});

/** A replica that has taken the snapshot and ACKed offset 0; `stream` is what came after it. */
async function fakeReplica(port: number): Promise<{ sock: net.Socket; stream: () => string; ack: (offset: number) => void }> {
  const sock = net.connect(port, "127.0.0.1");
  let data = Buffer.alloc(0);
  sock.on("data", (d) => (data = Buffer.concat([data, d])));
  sock.write("REPLCONF listening-port 7777\r\nREPLCONF capa psync2\r\n");
  // PSYNC once those replies are read: behind replies not yet sent it is refused, as by Redis.
  await until(() => data.length, (n) => n >= "+OK\r\n+OK\r\n".length);
  sock.write("PSYNC ? -1\r\n");
  // +OK +OK +FULLRESYNC <id> <offset>, then the snapshot as one bulk.
  const m = await until(
    () => /^\+OK\r\n\+OK\r\n\+FULLRESYNC \S+ \d+\r\n\$(\d+)\r\n/.exec(data.toString("latin1")),
    (x) => x !== null && data.length >= x[0].length + Number(x[1]),
  );
  const start = m![0].length + Number(m![1]);
  const ack = (offset: number) => sock.write(`*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$${String(offset).length}\r\n${offset}\r\n`);
  ack(0);
  replica = sock;
  return { sock, stream: () => data.subarray(start).toString("latin1"), ack };
}

const infoField = async (c: RawConn, section: string, name: string) =>
  new RegExp(`${name}:(\\S*)`).exec(await c.call("INFO", section))?.[1];

async function primary(config: Record<string, string> = {}) {
  srv = await startNodis({ save: "", "repl-diskless-sync": "no", ...config });
  let stopped = false;
  srv.server.onShutdown = () => {
    stopped = true;
  };
  const c = await RawConn.open(srv.port);
  const rep = await fakeReplica(srv.port);
  await until(() => infoField(c, "replication", "connected_slaves"), (n) => n === "1");
  return { c, rep, stopped: () => stopped };
}

describe("SHUTDOWN with replicas", () => {
  it("waits, holding writes, until the replica has acknowledged the whole stream", async () => {
    const { c, rep, stopped } = await primary();
    expect(await c.call("SET", "k", "1")).toBe("+OK\r\n");
    // In sync: a shutdown would be immediate. Now one write the replica has not acknowledged.
    rep.ack(Number(await infoField(c, "replication", "master_repl_offset")));
    expect(await c.call("INCR", "k")).toBe(":2\r\n");
    const caller = await RawConn.open(srv!.port);
    caller.send("SHUTDOWN");
    expect(await waitFor(async () => Number(await infoField(c, "server", "shutdown_in_milliseconds")) > 0)).toBe(true);
    // The replica is asked for its offset; a write meanwhile waits (blocked with the caller).
    expect(await waitFor(() => rep.stream().includes("$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))).toBe(true);
    const writer = await RawConn.open(srv!.port);
    writer.send("SET", "late", "1");
    expect(await waitFor(async () => (await infoField(c, "clients", "blocked_clients")) === "2")).toBe(true);
    expect(stopped()).toBe(false);
    // An ACK short of the stream changes nothing; the whole stream ends the wait.
    const offset = Number(await infoField(c, "replication", "master_repl_offset"));
    rep.ack(offset - 1);
    expect(await infoField(c, "server", "shutdown_in_milliseconds")).toBeDefined();
    rep.ack(offset);
    expect(await waitFor(stopped)).toBe(true);
    expect(await caller.waitClosed()).toBe(true);
    expect(caller.pendingText).toBe("");
    expect(await writer.waitClosed()).toBe(true);
    expect(writer.pendingText).toBe("");
  });

  it("SHUTDOWN ABORT answers every waiting caller with an error and lets writes through", async () => {
    const { c, stopped } = await primary();
    expect(await c.call("SET", "k", "1")).toBe("+OK\r\n");
    const callers = [await RawConn.open(srv!.port), await RawConn.open(srv!.port)];
    for (const w of callers) w.send("SHUTDOWN", "NOSAVE");
    expect(await waitFor(async () => (await infoField(c, "clients", "blocked_clients")) === "2")).toBe(true);
    const writer = await RawConn.open(srv!.port);
    writer.send("SET", "late", "1");
    expect(await waitFor(async () => (await infoField(c, "clients", "blocked_clients")) === "3")).toBe(true);
    expect(await c.call("SHUTDOWN", "ABORT")).toBe("+OK\r\n");
    for (const w of callers) expect(await w.reply()).toBe("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    expect(await writer.reply()).toBe("+OK\r\n");
    expect(await infoField(c, "server", "shutdown_in_milliseconds")).toBeUndefined();
    expect(await c.call("SHUTDOWN", "ABORT")).toBe("-ERR No shutdown in progress.\r\n");
    expect(stopped()).toBe(false);
  });

  it("stops after shutdown-timeout with the replica still behind, and at once with NOW", async () => {
    const { c, stopped } = await primary({ "shutdown-timeout": "1" });
    expect(await c.call("SET", "k", "1")).toBe("+OK\r\n");
    const caller = await RawConn.open(srv!.port);
    caller.send("SHUTDOWN");
    expect(await waitFor(async () => Number(await infoField(c, "server", "shutdown_in_milliseconds")) > 0)).toBe(true);
    expect(await waitFor(stopped, { timeoutMs: 10_000 })).toBe(true);

    const again = await primary();
    expect(await again.c.call("SET", "k", "1")).toBe("+OK\r\n");
    again.c.send("SHUTDOWN", "NOW");
    expect(await waitFor(again.stopped)).toBe(true);
  });

  it("counts a replica's unsent stream in mem_total_replication_buffers", async () => {
    const { c, rep } = await primary();
    rep.sock.pause();
    const big = "x".repeat(1 << 20);
    let buffers = 0;
    for (let i = 0; i < 64 && buffers <= 2 << 20; i++) {
      expect(await c.call("SET", `big${i}`, big)).toBe("+OK\r\n");
      buffers = Number(await infoField(c, "memory", "mem_total_replication_buffers"));
    }
    // The backlog is 1 MB: past 2 MB only the replica's unsent output counts.
    expect(buffers).toBeGreaterThan(2 << 20);
  });
});
