/**
 * The read loop watches a duplicate of each client socket's descriptor
 * (native/src/api/reads.rs): past half the process's descriptor limit, a new
 * client is read by Node instead, so duplicates never keep clients from
 * connecting. A server started with a limit of 120 serves 80 clients.
 */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "../persistence/process.js";
import { RawConn } from "./raw-conn.js";
import { waitFor } from "../helpers/wait.js";

const havePrlimit = spawnSync("prlimit", ["--version"]).status === 0;

describe.skipIf(!havePrlimit)("client sockets and the descriptor limit", () => {
  let proc: ChildProcess | null = null;
  const dir = mkdtempSync(path.join(os.tmpdir(), "nodis-fdlimit-"));
  afterAll(() => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves more clients than half the limit (the later ones read by Node)", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    proc = spawn("prlimit", ["--nofile=120:120", "node", CLI, "--port", String(port), "--bind", "127.0.0.1", "--save", ""], { cwd: dir, stdio: "ignore" });
    const up = async () => {
      try {
        const c = await RawConn.open(port);
        const pong = await c.call("PING");
        c.close();
        return pong === "+PONG\r\n";
      } catch {
        return false;
      }
    };
    expect(await waitFor(up, { timeoutMs: 10_000 })).toBe(true);
    const conns: RawConn[] = [];
    for (let i = 0; i < 80; i++) conns.push(await RawConn.open(port));
    for (let i = 0; i < conns.length; i++) expect(await conns[i].call("SET", `fd:${i % 7}`, String(i))).toBe("+OK\r\n");
    for (let i = 0; i < conns.length; i++) expect(await conns[i].call("INCR", "fd:n")).toBe(`:${i + 1}\r\n`);
    for (const c of conns) c.close();
  });
});
