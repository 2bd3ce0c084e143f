#!/usr/bin/env node
/** nodis-server: redis-server's command line, start-up and shutdown over startServer() (started by cli.ts). */
import fs from "node:fs";
import { nodeChildProcess } from "./server/node-builtins.js";
import { reportAbort } from "./server/crash-report.js";
import { ConfigFileError, loadFromArgv, type CommandLine } from "./config/load.js";
import { NODIS_VERSION, REDIS_VERSION } from "./version.js";
import { server as engineServer } from "./engine/index.js";
import { Logger } from "./server/log.js";
import { loadDataFromDisk, startServer } from "./index.js";
import { prepareSignalShutdown } from "./persistence/index.js";
import { shutdownInitiated } from "./server/shutdown.js";
import { configFileProblem, loadSentinel, runSentinel, type Sentinel } from "./sentinel/index.js";

const USAGE = `Usage: ./nodis-server [/path/to/redis.conf] [options] [-]
       ./nodis-server - (read config from stdin)
       ./nodis-server -v or --version
       ./nodis-server -h or --help

Examples:
       ./nodis-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./nodis-server -
       ./nodis-server /etc/redis/6379.conf
       ./nodis-server --port 7777
       ./nodis-server /etc/myredis.conf --loglevel verbose -
       ./nodis-server /etc/myredis.conf --loglevel verbose

`;

async function main(): Promise<void> {
  // Arguments as bytes (latin1 of their UTF-8), as redis-server sees them.
  let args = process.argv.slice(2).map((a) => Buffer.from(a, "utf8").toString("latin1"));
  // Sentinel mode: --sentinel anywhere, or started under a name with "sentinel" in it (as redis-sentinel).
  const sentinelMode = args.includes("--sentinel") || /sentinel/.test(process.argv[1]?.split("/").pop() ?? "");
  args = args.filter((a) => a !== "--sentinel");
  let cl: CommandLine;
  let stdinText = "";
  let sentinel: Sentinel | null = null;
  try {
    cl = loadFromArgv(args, () => (stdinText = fs.readFileSync(0, "latin1")), sentinelMode);
    if (sentinelMode) sentinel = loadSentinel(cl.config);
  } catch (e) {
    process.stderr.write(e instanceof ConfigFileError ? e.render() : `${(e as Error).message}\n`);
    process.exit(1);
  }
  if (cl.action === "version") {
    // redis-server's shape, naming Nodis; the Redis version it answers as comes last.
    process.stdout.write(
      `Nodis server v=${NODIS_VERSION} sha=00000000:0 malloc=${engineServer.ALLOCATOR} bits=64 build=0 redis_version=${REDIS_VERSION}\n`,
    );
    process.exit(0);
  }
  if (cl.action === "help") {
    process.stderr.write(USAGE);
    process.exit(1);
  }
  const config = cl.config;
  if (config.bool("daemonize") && process.env.NODIS_DAEMONIZED !== "1") daemonize(stdinText);

  // Until the server exists Redis logs as a "child" (C).
  const early = new Logger();
  early.role = sentinel ? "X" : "C";
  early.level = config.get("loglevel") as Logger["level"];
  early.file = config.get("logfile");
  if (cl.fromStdin) early.notice("Reading config from stdin");
  early.notice("oO0OoO0OoO0Oo Nodis is starting oO0OoO0OoO0Oo");
  early.notice(
    `Nodis version=${NODIS_VERSION}, redis_version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`,
  );
  if (!cl.hadArgs) {
    early.warning(
      "Warning: no config file specified, using the default config. In order to specify a config file use nodis-server /path/to/redis.conf",
    );
  } else {
    early.notice("Configuration loaded");
  }

  if (sentinel) {
    const problem = configFileProblem(config);
    if (problem) {
      early.warning(problem);
      process.exit(1);
    }
  }
  let running;
  try {
    running = await startServer({ configObject: config, deferLoad: true });
  } catch (e) {
    const msg = (e as Error).message;
    early.warning(msg.endsWith(".") ? msg : `${msg}, aborting.`);
    process.exit(1);
  }
  const { server } = running;
  const log = server.log;
  if (sentinel) log.role = "X";
  // A daemon always has a pid file, Redis's default one unless set.
  const pidfile = config.get("pidfile") || (config.bool("daemonize") ? "/var/run/redis.pid" : "");
  if (pidfile) {
    try {
      fs.writeFileSync(pidfile, `${process.pid}\n`);
    } catch {
      // Redis carries on without its pid file.
    }
  }
  if (config.bool("set-proc-title")) {
    const setTitle = () => {
      process.title = procTitle(config.get("proc-title-template"), {
        bind: config.get("bind"),
        port: server.port,
        unixsocket: config.get("unixsocket"),
        sentinel: sentinelMode,
        file: config.file,
      });
      return null;
    };
    setTitle();
    config.onApply("proc-title", setTitle);
  }
  // Signals are handled before the ready line goes out: a supervisor may signal as soon as it reads it.
  let shuttingDown = false;
  const onSignal = (sig: "SIGTERM" | "SIGINT") => {
    const waiting = shutdownInitiated(server);
    if ((shuttingDown || server.pendingShutdown !== null || waiting) && sig === "SIGINT") {
      log.warning("You insist... exiting now.");
      process.exit(1);
    }
    log.fromHandler("warning", `Received ${sig} scheduling shutdown...`);
    if (shuttingDown || waiting) return;
    // The cron runs the shutdown (Redis's shutdown_asap): at once, unless DEBUG PAUSE-CRON holds
    // it, when SHUTDOWN ABORT can still cancel it.
    if (server.cronPaused) server.pendingShutdown = () => signalShutdown(sig);
    else signalShutdown(sig);
  };
  const signalShutdown = (sig: "SIGTERM" | "SIGINT") => {
    shuttingDown = true;
    if (sentinel) return server.shutdown();
    // The sequence stops the server itself, at once or once the replicas caught up (src/server/shutdown.ts).
    const outcome = prepareSignalShutdown(server, config.get(sig === "SIGTERM" ? "shutdown-on-sigterm" : "shutdown-on-sigint"));
    if (outcome === "failed") log.warning(`${sig} received but errors trying to shut down the server, check the logs for more information`);
    // While it waits for the replicas, shutdownInitiated() stands for it (a failure there ends it).
    if (outcome !== "exit") shuttingDown = false;
  };
  server.onShutdown = () => {
    if (pidfile) {
      log.notice("Removing the pid file.");
      fs.rmSync(pidfile, { force: true });
    }
    process.exit(0);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  reportAbort(log);
  // The logo when asked for, or when logging to a terminal (Redis's rule).
  if (config.bool("always-show-logo") || (config.get("logfile") === "" && process.stdout.isTTY)) {
    log.raw("notice", logo(running.port));
  } else {
    log.notice(`Running mode=${sentinel ? "sentinel" : "standalone"}, port=${running.port}.`);
  }
  if (sentinel) {
    // A sentinel has no dataset to load.
    runSentinel(server, sentinel);
    if (running.port !== 0) log.notice("Ready to accept connections tcp");
    return;
  }
  log.notice("Server initialized");
  try {
    await loadDataFromDisk(server, { rdb: true });
  } catch (e) {
    // The reasons are logged (Redis exits 1 after them).
    if (!(e as { logged?: boolean }).logged) log.warning((e as Error).message);
    process.exit(1);
  }
  if (running.port !== 0) log.notice("Ready to accept connections tcp");
  if (config.get("unixsocket") !== "") log.notice("Ready to accept connections unix");
  const maxmemory = config.int("maxmemory");
  if (maxmemory > 0 && maxmemory < 1024 * 1024) {
    log.warning(
      `WARNING: You specified a maxmemory value that is less than 1MB (current value is ${maxmemory} bytes). Are you sure this is what you really want?`,
    );
  }
}

/**
 * daemonize yes: the server goes on in a detached child (same arguments, output
 * to /dev/null, so logs need logfile) and this process exits 0, as Redis's fork.
 */
function daemonize(stdinText: string): never {
  const child = nodeChildProcess().spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { ...process.env, NODIS_DAEMONIZED: "1" },
  });
  child.stdin!.end(stdinText);
  child.unref();
  process.exit(0);
}

/** Nodis's start-up banner, with the facts Redis's logo gives (tools look for "PID: n"). */
function logo(port: number): string {
  const facts = [
    `Nodis ${NODIS_VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit`,
    "Running in standalone mode",
    `Port: ${port}`,
    `PID: ${process.pid}`,
  ];
  const art = ["   _  _         _ _    ", "  | \\| |___  __| (_)___", "  | .` / _ \\/ _` | (_-<", "  |_|\\_\\___/\\__,_|_/__/", ""];
  return "\n" + art.map((a, i) => `${a.padEnd(28)}${facts[i] ?? ""}`.trimEnd()).join("\n") + "\n\n";
}

/** proc-title-template expanded as Redis does ({{ is a literal brace). */
function procTitle(template: string, at: { bind: string; port: number; unixsocket: string; sentinel: boolean; file: string | null }): string {
  const { bind, port, unixsocket, file } = at;
  const vars: Record<string, string> = {
    title: "nodis-server",
    // Without a TCP port, the unix socket (Redis's "unixsocket:<path>").
    "listen-addr": port ? `${bind.split(" ")[0] || "*"}:${port}` : `unixsocket:${unixsocket}`,
    "server-mode": at.sentinel ? "[sentinel]" : "",
    "config-file": file ?? "-",
    port: String(port),
    "tls-port": "0",
    unixsocket,
  };
  return template
    .replace(/\{\{|\{([^}]*)\}/g, (m, name: string | undefined) => (m === "{{" ? "{" : (vars[name!] ?? "")))
    .trim();
}

void main();
