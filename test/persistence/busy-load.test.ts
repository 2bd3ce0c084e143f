/**
 * Loading and shutting down while the server is busy, as Redis 7.2 answers:
 * DEBUG LOADAOF whose AOF runs a slow script (others get -LOADING until the
 * script ends, DEBUG LOADAOF replies after it), an AOF written on a primary
 * loading on a read-only replica, SIGTERM held by DEBUG PAUSE-CRON and cancelled
 * by SHUTDOWN ABORT, a second SIGINT during the save of a shutdown (the temp
 * file removed, exit 1), and each fork recorded as LATENCY's "fork" event.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataDirs, startIn } from "./process.js";
import { until, waitFor } from "../helpers/wait.js";

const freshDir = dataDirs("nodis-busy-load-");
const cmd = (...a: string[]) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("")}`;

/** An AOF directory holding `commands` as its one incr file. */
function writeAof(dir: string, commands: string): void {
  const d = path.join(dir, "appendonlydir");
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
  fs.writeFileSync(path.join(d, "appendonly.aof.1.incr.aof"), commands);
}

describe("loading while busy", () => {
  it("DEBUG LOADAOF with a slow script: others get -LOADING, the reply waits for the script's end", async () => {
    const dir = freshDir();
    const s = await startIn(dir, ["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--lua-time-limit", "1"]);
    // Written after the start (the start-up load found an empty AOF), read again by DEBUG LOADAOF.
    writeAof(dir, cmd("select", "9") + cmd("eval", "redis.call('set',KEYS[1],'y'); for i=1,3000000 do redis.call('ping') end return 'ok'", "1", "x"));
    const loader = s.client();
    const other = s.client();
    const reply = loader.call("debug", "loadaof");
    let replied = false;
    void reply.then(() => (replied = true));
    const seen = await until(
      () => other.ping().then(() => "PONG", (e: Error) => e.message),
      (v) => v !== "PONG",
      { everyMs: 1 },
    );
    expect(seen).toMatch(/^LOADING /);
    expect(replied).toBe(false);
    expect(await reply).toBe("OK");
    expect(s.log()).toContain("Slow script detected");
    await other.select(9);
    expect(await other.get("x")).toBe("y");
    await s.kill9();
  });

  it("a read-only replica loads the writes of its AOF's scripts", async () => {
    const dir = freshDir();
    writeAof(dir, cmd("select", "9") + cmd("eval", "redis.call('set',KEYS[1],'100')", "1", "foo") + cmd("eval", "redis.call('incr',KEYS[1])", "1", "foo"));
    const s = await startIn(dir, ["--appendonly", "yes", "--replica-read-only", "yes", "--replicaof", "127.0.0.1 0"]);
    const c = s.client();
    await c.select(9);
    expect(await c.get("foo")).toBe("101");
    await s.kill9();
  });
});

describe("shutdown by signal", () => {
  it("SHUTDOWN ABORT cancels a SIGTERM the paused cron has not acted on", async () => {
    const s = await startIn(freshDir(), ["--save", "900 1"]);
    const c = s.client();
    expect(await c.call("shutdown", "abort").catch((e: Error) => e.message)).toBe("ERR No shutdown in progress.");
    await c.call("debug", "pause-cron", "1");
    s.proc.kill("SIGTERM");
    expect(await waitFor(() => s.log().includes("Received SIGTERM scheduling shutdown"))).toBe(true);
    expect(await c.call("shutdown", "abort")).toBe("OK");
    expect(s.log()).toContain("Shutdown manually aborted.");
    await c.call("debug", "pause-cron", "0");
    expect(await c.ping()).toBe("PONG");
    await s.kill9();
  });

  it("a second SIGINT during the shutdown's save exits at once and removes the temp file", async () => {
    const dir = freshDir();
    const s = await startIn(dir, ["--save", "900 1"]);
    const c = s.client();
    for (let i = 0; i < 20; i++) await c.set(String(i), String(i));
    await c.config("SET", "rdb-key-save-delay", "100000"); // 100 ms a key: a 2 s save
    const temp = path.join(dir, `temp-${s.proc.pid}.rdb`);
    s.proc.kill("SIGINT");
    expect(await waitFor(() => fs.existsSync(temp), { everyMs: 5 })).toBe(true);
    s.proc.kill("SIGINT");
    expect(await s.exited).toBe(1);
    expect(fs.existsSync(temp)).toBe(false);
    expect(fs.existsSync(path.join(dir, "dump.rdb"))).toBe(false);
  });
});

describe("shutdown by signal while the first AOF is written", () => {
  it("SIGTERM is refused while the initial AOF rewrite runs (unless forced), as SHUTDOWN is", async () => {
    const s = await startIn(freshDir(), []);
    const c = s.client();
    for (let i = 0; i < 10; i++) await c.set(String(i), String(i));
    await c.config("SET", "rdb-key-save-delay", "10000000");
    await c.config("SET", "appendonly", "yes");
    expect(await waitFor(async () => /aof_rewrite_in_progress:1/.test((await c.info("persistence")) as string))).toBe(true);
    s.proc.kill("SIGTERM");
    expect(await waitFor(() => s.log().includes("Writing initial AOF, can't exit."))).toBe(true);
    expect(await c.ping()).toBe("PONG");
    await c.config("SET", "shutdown-on-sigterm", "force");
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.log()).toContain("Writing initial AOF. Exit anyway.");
  });
});

describe("LATENCY", () => {
  it("records each fork as the fork event", async () => {
    const s = await startIn(freshDir(), ["--latency-monitor-threshold", "1"]);
    const c = s.client();
    // A few MB to fork: well over 1 ms on any machine is not guaranteed, so fork until one is.
    await c.call("debug", "populate", "200000");
    const forkEvent = async () => ((await c.call("latency", "latest")) as unknown[][]).find((e) => e[0] === "fork");
    let event: unknown[] | undefined;
    for (let i = 0; i < 20 && event === undefined; i++) {
      await c.call("bgsave");
      await waitFor(async () => /rdb_bgsave_in_progress:0/.test((await c.info("persistence")) as string));
      const fork = Number(/latest_fork_usec:(\d+)/.exec((await c.info("stats")) as string)![1]);
      event = await forkEvent();
      if (fork < 1000) expect(event).toBeUndefined();
      else expect(event?.[2]).toBe(Math.floor(fork / 1000));
    }
    expect(event).toBeDefined();
    await s.kill9();
  });
});
