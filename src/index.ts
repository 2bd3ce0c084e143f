/** Nodis as a library: start a server in this process. */
import { Config } from "./config/config.js";
import { applyConfigText } from "./config/load.js";
import { Server } from "./server/server.js";

export { Server } from "./server/server.js";
export { Config } from "./config/config.js";

export interface StartOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Directives as redis.conf would give them, e.g. { "requirepass": "secret" }. */
  config?: Record<string, string>;
  /** A ready Config (the CLI passes the parsed command line); overrides `config`. */
  configObject?: Config;
}

export interface RunningServer {
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

let running: Server | null = null;

/**
 * Starts a Nodis server in the calling process. The keyspace is native and
 * per process, so one server runs per process at a time.
 */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  if (running) throw new Error("a Nodis server is already running in this process");
  const config = opts.configObject ?? new Config();
  if (opts.config) {
    applyConfigText(
      config,
      Object.entries(opts.config)
        .map(([k, v]) => `${k} "${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
        .join("\n"),
    );
  }
  const server = new Server(config);
  running = server;
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 0;
  try {
    await server.listen(host, port);
  } catch (e) {
    running = null;
    throw e;
  }
  return {
    host,
    port: server.port,
    server,
    close: async () => {
      await server.close();
      if (running === server) running = null;
    },
  };
}
