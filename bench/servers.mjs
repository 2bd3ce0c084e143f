/**
 * Servers for the bench: redis-server and a built Nodis (dist/cli.js) as child
 * processes on free ports, plus what the bench asks of them over the wire
 * (one command, a pipelined bulk load) and of /proc (RSS).
 */
import net from "node:net";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function have(cmd) {
  return spawnSync(cmd, ["--version"]).status === 0;
}

/**
 * The redis-server to compare with: NODIS_BENCH_REDIS, else a Redis 7.2 built in
 * /tmp/redis72 when there is one (the reference), else redis-server on PATH.
 */
export const REDIS_SERVER =
  process.env.NODIS_BENCH_REDIS ?? (fs.existsSync("/tmp/redis72/src/redis-server") ? "/tmp/redis72/src/redis-server" : "redis-server");

/**
 * A second Redis for the memory figures: the same version built with its default
 * jemalloc (what users run; Nodis's addon allocates with jemalloc too), when there is
 * one (NODIS_BENCH_REDIS_JEMALLOC, else /tmp/redis72je). Started as kind "redis-jemalloc".
 */
export const REDIS_JEMALLOC_SERVER =
  process.env.NODIS_BENCH_REDIS_JEMALLOC ?? (fs.existsSync("/tmp/redis72je/src/redis-server") ? "/tmp/redis72je/src/redis-server" : null);

/**
 * CPU time a process's threads have run so far, in microseconds: the scheduler's
 * own nanosecond count per thread (/proc/PID/task/TID/schedstat). The tick-sampled
 * utime + stime of /proc/PID/stat under-counts a process that wakes for short
 * bursts: for Nodis under redis-benchmark it read ~0.55 of what the scheduler
 * (and `perf stat`) counted, for redis-server about all of it.
 */
export function cpuMicros(pid) {
  const t = threadCpu(pid);
  return t.main + t.others;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, proc, name) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

function spawnServer(kind, port, extra = [], nodeFlags = []) {
  // A fresh directory: nothing left by another run (a dump.rdb) is loaded, nothing is left in the project.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nodis-bench-${kind}-`));
  // maxclients above -c 1000 (Redis's default 10000 needs as many file descriptors).
  const common = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--maxclients", "4000", ...extra];
  return kind === "redis" || kind === "redis-jemalloc"
    ? spawn(kind === "redis" ? REDIS_SERVER : REDIS_JEMALLOC_SERVER, [...common, "--daemonize", "no"], { stdio: "ignore" })
    : spawn(process.execPath, [...nodeFlags, path.join(ROOT, "dist/cli.js"), ...common], {
        // NODIS_BENCH_STDOUT=file: a Nodis's output (its log, --trace-gc's lines) appended there.
        stdio: ["ignore", process.env.NODIS_BENCH_STDOUT ? fs.openSync(process.env.NODIS_BENCH_STDOUT, "a") : "ignore", "inherit"],
      });
}

/**
 * NODIS_BENCH_PIN="1,0": every server the bench starts (all its threads) runs on CPU 1 only, and
 * redis-benchmark on CPU 0 (`pinnedClient`), so neither migrates nor shares a core with the other.
 */
const PIN = (process.env.NODIS_BENCH_PIN ?? "").split(",").filter(Boolean);

/** The command line that runs `cmd args` where the client is pinned (as given when not). */
export function pinnedClient(cmd, args) {
  return PIN.length > 1 ? ["taskset", ["-c", PIN[1], cmd, ...args]] : [cmd, args];
}

function pinServer(pid) {
  if (PIN.length && spawnSync("taskset", ["-a", "-p", "-c", PIN[0], String(pid)]).status !== 0) throw new Error(`taskset could not pin ${pid}`);
}

/** NODIS_BENCH_NODE_FLAGS="--trace-gc ...": Node's options for every Nodis the bench starts (with NODIS_BENCH_STDOUT). */
const BENCH_NODE_FLAGS = (process.env.NODIS_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);

/**
 * Starts `kind` ("redis", "redis-jemalloc" or "nodis") without persistence on a free port; `extra` arguments go last.
 * `nodeFlags`: Node/V8 options for a Nodis (experiments with V8's flags); `port`: that port instead of a free one.
 */
export async function startServer(kind, extra = [], nodeFlags = BENCH_NODE_FLAGS, { port: fixedPort } = {}) {
  const port = fixedPort ?? (await freePort());
  const proc = spawnServer(kind, port, extra, nodeFlags);
  await waitForPort(port, proc, kind);
  pinServer(proc.pid);
  const srv = {
    kind,
    port,
    pid: proc.pid,
    /** How it ended, when it did: "code 1" or "signal SIGTERM". */
    exited: null,
    restart: () => startServer(kind, extra, nodeFlags, { port: fixedPort }),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGKILL");
      }),
  };
  proc.once("exit", (code, signal) => (srv.exited = signal ? `signal ${signal}` : `code ${code}`));
  return srv;
}

/** CPU milliseconds of a whole process, the threads that already ended included (/proc/PID/stat, 10 ms ticks). */
export function processCpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/**
 * Start-up: milliseconds from spawning `kind` to its first +PONG (polled every
 * millisecond), and the CPU milliseconds the server used until then (`cpuMs`:
 * its threads still running; `processCpuMs`: all, a loading thread's included).
 * `extra` arguments go last (`--dir` of a dataset to load).
 */
export async function startupTime(kind, extra = []) {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawnServer(kind, port, extra);
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${kind} exited with code ${proc.exitCode}`);
      const pong = await new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => s.write("PING\r\n"));
        s.on("data", (d) => {
          s.destroy();
          resolve(d.toString("latin1").startsWith("+PONG"));
        });
        s.on("error", () => resolve(false));
      });
      if (pong) return { ms: performance.now() - t0, cpuMs: cpuMicros(proc.pid) / 1000, processCpuMs: processCpuMs(proc.pid) };
      if (performance.now() - t0 > 20000) throw new Error(`${kind} did not answer PING within 20 s`);
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    proc.kill("SIGKILL");
  }
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

function encode(argv) {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/**
 * Sends `total` commands made by `makeCommand(i)` (arrays of strings),
 * pipelined in chunks of `perChunk`, where every reply is one line (+OK, :n,
 * -ERR), or `linesPerReply` lines (a bulk string: 2). Resolves with the reply
 * and error counts when all are answered.
 */
export function pipelineOneLineReplies(port, total, makeCommand, perChunk = 10000, linesPerReply = 1) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let lines = 0;
    let errors = 0;
    let atLineStart = true;
    let sent = 0;
    const sendChunk = () => {
      const n = Math.min(perChunk, total - sent);
      let s = "";
      for (let i = 0; i < n; i++) s += encode(makeCommand(sent + i));
      sent += n;
      sock.write(s);
    };
    sock.on("connect", sendChunk);
    sock.on("data", (d) => {
      for (let i = 0; i < d.length; i++) {
        if (atLineStart && d[i] === 45 /* '-' */) errors++;
        atLineStart = d[i] === 10;
        if (atLineStart) lines++;
      }
      if (lines === sent * linesPerReply) {
        if (sent < total) sendChunk();
        else {
          sock.end();
          resolve({ replies: lines, errors });
        }
      }
    });
    sock.on("error", reject);
  });
}

/** One command, one reply line (e.g. DBSIZE -> ":1000000"). */
export async function call(port, ...argv) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(encode(argv)));
    let data = "";
    sock.on("data", (d) => {
      data += d.toString("latin1");
      if (data.endsWith("\r\n")) {
        sock.end();
        resolve(data.slice(0, -2));
      }
    });
    sock.on("error", reject);
  });
}

/**
 * The machine's CPU counters (/proc/stat's first line, ticks): what `machineDelta` compares
 * around a run.
 */
export function machineTicks() {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/**
 * What the machine did between two `machineTicks()`: the share of its CPU time stolen by the
 * hypervisor (`stealPct`: the vCPUs waited for a physical one), and the CPU time the processes
 * other than the run's own used, in percent of one CPU over `seconds` (`othersPct`: the machine's
 * busy time less `ownMicros`, the server's and the client's).
 */
export function machineDelta(before, after, seconds, ownMicros) {
  const tick = 1e6 / 100;
  const busy = after.busy - before.busy;
  const all = busy + after.idle - before.idle + after.steal - before.steal;
  return {
    stealPct: all > 0 ? Math.round((1000 * (after.steal - before.steal)) / all) / 10 : 0,
    othersPct: Math.round((busy * tick - ownMicros) / (seconds * 1e4)),
  };
}

/**
 * The threads of a process apart (`/proc/PID/task`): CPU microseconds of the main thread
 * and of the rest (V8's GC and compiler helpers, libuv's pool), and the main thread's
 * involuntary context switches (taken off the CPU while it could run).
 */
export function threadCpu(pid) {
  let main = 0;
  let others = 0;
  let preempted = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      if (Number(tid) === pid) {
        main = ns / 1000;
        preempted = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))?.[1] ?? 0);
      } else others += ns / 1000;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { main, others, preempted };
}

/**
 * What else the machine was doing: load average, CPU use over half a second
 * (from top's second sample) and the processes, other than `ownPids`, using
 * more than 5% of a CPU.
 */
export function machineLoad(ownPids = []) {
  const loadavg = fs.readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).map(Number);
  const top = spawnSync("top", ["-b", "-n", "2", "-d", "0.5", "-o", "%CPU", "-w", "200"], { encoding: "utf8" });
  const lines = (top.stdout || "").split("\n");
  const second = lines.slice(lines.findLastIndex((l) => l.startsWith("top -")));
  const idle = /([\d.]+) id/.exec(second.find((l) => l.startsWith("%Cpu")) ?? "");
  const head = second.findIndex((l) => /^\s*PID\s/.test(l));
  const busy = [];
  for (const l of head < 0 ? [] : second.slice(head + 1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 12 || Number(f[8]) < 5 || ownPids.includes(Number(f[0]))) continue;
    busy.push(`${f.slice(11).join(" ")} ${f[8]}%`);
  }
  return { loadavg, cpuBusyPct: idle ? Math.round((100 - Number(idle[1])) * 10) / 10 : null, busy };
}
