/** nodis-server as a process: `node dist/cli.js` (built by `npm install` / `npm run build:ts`). */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, rawExchange } from "./helpers/nodis.js";
import { until, waitFor } from "./helpers/wait.js";

const CLI = path.resolve(__dirname, "../dist/cli.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LINE = /^\d+:[CM] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] /;

function run(args: string[], input?: string) {
  return spawnSync("node", [CLI, ...args], { input, encoding: "utf8", timeout: 10000 });
}

interface Started {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function spawnServer(args: string[]) {
  const proc = spawn("node", [CLI, ...args], { stdio: "ignore" });
  return { proc, exited: new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code))) };
}

/** Starts the CLI and waits for its "Ready to accept connections" line (stdout or logfile). */
async function start(args: string[], logfile?: string): Promise<Started> {
  const proc = spawn("node", [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const text = () => (logfile ? (fs.existsSync(logfile) ? fs.readFileSync(logfile, "utf8") : "") : out);
  await waitFor(() => proc.exitCode !== null || text().includes("Ready to accept connections tcp"), { everyMs: 25 });
  return { proc, out: text, exited };
}

describe("nodis-server", () => {
  it("prints its version and usage", () => {
    const v = run(["--version"]);
    expect(v.status).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8"));
    // redis-server's shape, naming Nodis, its version and the allocator under the addon's accounting.
    expect(v.stdout).toBe(`Nodis server v=${pkg.version} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=0 redis_version=7.2.4\n`);
    const h = run(["-h"]);
    expect(h.status).toBe(1);
    expect(h.stderr).toContain("Usage: ./nodis-server [/path/to/redis.conf] [options] [-]");
  });

  it("exits 1 naming a bad config line", () => {
    const conf = path.join(tmp, "bad.conf");
    fs.writeFileSync(conf, "# ok\nport 7000\nmaxmemory lots\n");
    const r = run([conf]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 3\n>>> 'maxmemory lots'\nargument must be a memory value\n",
    );
    const u = run(["--port", "1", "--no-such-directive", "x"]);
    expect(u.status).toBe(1);
    expect(u.stderr).toContain(">>> 'no-such-directive \"x\"'\nBad directive or wrong number of arguments\n");
    const z = run(["--port", "0"]);
    expect(z.status).toBe(1);
    expect(z.stdout).toMatch(/# Configured to not listen anywhere, exiting\.\n$/);
    const n = run(["--cluster-enabled", "yes"]);
    expect(n.status).toBe(1);
    expect(n.stderr).toContain("cluster mode is not supported by Nodis yet");
  });

  it("serves on --port, logs as redis-server and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const s = await start(["--port", String(port), "--bind", "127.0.0.1", "--save", ""]);
    expect((await rawExchange(port, "CONFIG GET port\r\n", (d) => d.endsWith(`${port}\r\n`))).data).toBe(
      `*2\r\n$4\r\nport\r\n$${String(port).length}\r\n${port}\r\n`,
    );
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const lines = s.out().trimEnd().split("\n");
    for (const l of lines.filter((x) => !x.includes("signal-handler"))) expect(l).toMatch(LINE);
    expect(lines.some((l) => /:C .* \* oO0OoO0OoO0Oo Nodis is starting oO0OoO0OoO0Oo$/.test(l))).toBe(true);
    const version = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8")).version;
    const started = lines.find((l) => l.includes("just started"));
    expect(started).toMatch(
      new RegExp(`:C .* \\* Nodis version=${version.replace(/\./g, "\\.")}, redis_version=7\\.2\\.4, bits=64, commit=00000000, modified=0, pid=${s.proc.pid}, just started$`),
    );
    expect(lines.some((l) => /:M .* \* Ready to accept connections tcp$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.$/.test(l))).toBe(true);
    // Redis 7.2's levels: the request a notice, the last line a warning.
    expect(lines.some((l) => /\* User requested shutdown\.\.\.$/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/# Redis is now ready to exit, bye bye\.\.\.$/);
  });

  it("stops on SIGINT and on SHUTDOWN with status 0", async () => {
    let port = await freePort();
    let s = await start(["--port", String(port), "--bind", "127.0.0.1"]);
    s.proc.kill("SIGINT");
    expect(await s.exited).toBe(0);
    expect(s.out()).toContain("Received SIGINT scheduling shutdown...");
    port = await freePort();
    s = await start(["--port", String(port), "--bind", "127.0.0.1"]);
    await rawExchange(port, "SHUTDOWN\r\n", () => false, 1000);
    expect(await s.exited).toBe(0);
  });

  it("appends its log to logfile and honours loglevel", async () => {
    const port = await freePort();
    const logfile = path.join(tmp, "nodis.log");
    fs.writeFileSync(logfile, "earlier line\n");
    const s = await start(["--port", String(port), "--bind", "127.0.0.1", "--logfile", logfile], logfile);
    expect(s.out()).toContain("Ready to accept connections tcp");
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const text = fs.readFileSync(logfile, "utf8");
    expect(text.startsWith("earlier line\n")).toBe(true);
    expect(text).toContain("Redis is now ready to exit, bye bye...");

    const quiet = path.join(tmp, "quiet.log");
    const qport = await freePort();
    const q = spawnServer(["--port", String(qport), "--bind", "127.0.0.1", "--logfile", quiet, "--loglevel", "warning"]);
    const ping = () => rawExchange(qport, "PING\r\n", (d) => d.includes("\r\n"), 200).then((x) => x.data);
    expect(await until(ping, (d) => d === "+PONG\r\n", { everyMs: 25 })).toBe("+PONG\r\n");
    q.proc.kill("SIGTERM");
    expect(await q.exited).toBe(0);
    const qtext = fs.readFileSync(quiet, "utf8");
    expect(qtext).not.toContain("Ready to accept connections");
    expect(qtext).not.toContain("User requested shutdown...");
    expect(qtext).toContain("Redis is now ready to exit, bye bye...");
  });

  it("reads a config file and stdin, writes and removes its pid file", async () => {
    const port = await freePort();
    const conf = path.join(tmp, "good.conf");
    const pidfile = path.join(tmp, "nodis.pid");
    fs.writeFileSync(conf, `bind 127.0.0.1\nport ${port}\npidfile ${pidfile}\n`);
    const proc = spawn("node", [CLI, conf, "-"], { stdio: ["pipe", "pipe", "pipe"] });
    proc.stdin!.end("maxclients 123\n");
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    await waitFor(() => out.includes("Ready to accept"), { everyMs: 25 });
    expect(out).toContain("Reading config from stdin");
    expect(fs.readFileSync(pidfile, "utf8").trim()).toBe(String(proc.pid));
    const { data } = await rawExchange(port, "CONFIG GET maxclients\r\n", (d) => d.endsWith("123\r\n"));
    expect(data).toContain("123");
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(fs.existsSync(pidfile)).toBe(false);
  });

  it("daemonizes: the command exits 0 and the server goes on in the background", async () => {
    const port = await freePort();
    const pidfile = path.join(tmp, "daemon.pid");
    const logfile = path.join(tmp, "daemon.log");
    const r = run(["--port", String(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile]);
    expect(r.status).toBe(0);
    const ping = () => rawExchange(port, "PING\r\n", (d) => d.includes("\r\n"), 200).then((x) => x.data);
    expect(await until(ping, (d) => d === "+PONG\r\n", { everyMs: 25 })).toBe("+PONG\r\n");
    const pid = Number(fs.readFileSync(pidfile, "utf8"));
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGTERM");
    await waitFor(() => !fs.existsSync(pidfile), { everyMs: 25 });
    expect(fs.existsSync(pidfile)).toBe(false);
    expect(fs.readFileSync(logfile, "utf8")).toContain("Ready to accept connections tcp");
  });

  it("exits 1 when the port is taken", async () => {
    const taken = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => taken.once("listening", r));
    const port = (taken.address() as net.AddressInfo).port;
    const r = run(["--port", String(port), "--bind", "127.0.0.1"]);
    taken.close();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`Could not create server TCP listening socket 127.0.0.1:${port}: bind: Address already in use`);
    expect(r.stdout).toContain(`Failed listening on port ${port} (tcp), aborting.`);
  });
});
