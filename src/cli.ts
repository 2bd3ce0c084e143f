#!/usr/bin/env node
/** nodis-server: redis-server's command line over startServer(). */
import { ConfigFileError, loadFromArgv } from "./config/load.js";
import { startServer } from "./index.js";
import type { Config } from "./config/config.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "-v" || args[0] === "--version") {
    console.log("Redis server v=7.2.4 sha=00000000:0 malloc=libc bits=64 build=nodis");
    return;
  }
  let config: Config;
  try {
    config = loadFromArgv(args);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(e.render());
      process.exit(1);
    }
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  const bind = config.get("bind").split(/\s+/)[0].replace(/^-/, "");
  const host = bind === "*" ? "127.0.0.1" : bind;
  const port = config.int("port");
  let running;
  try {
    running = await startServer({ host, port, configObject: config });
  } catch (e) {
    process.stderr.write(`Could not create server TCP listening socket ${host}:${port}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { server } = running;
  server.log.notice("oO0OoO0OoO0Oo Nodis is starting oO0OoO0OoO0Oo");
  server.log.notice(`Redis version=7.2.4, bits=64, pid=${process.pid}, just started`);
  server.log.notice(`Server initialized`);
  server.log.notice(`Ready to accept connections tcp`);
  const stop = (sig: string) => {
    server.log.warning(`Received ${sig} scheduling shutdown...`);
    server.shutdown();
  };
  server.onShutdown = () => process.exit(0);
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
