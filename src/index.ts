/** Nodis as a library: start a server in this process. */
import { Config } from "./config/config.js";
import { applyDirectives } from "./config/load.js";
import { findParam } from "./config/table.js";
import { Listeners } from "./server/listeners.js";
import { OomScore } from "./server/oom.js";
import { Server } from "./server/server.js";
import { loadDataFromDisk } from "./persistence/startup.js";
import { installReplication } from "./replication/role.js";
import { installFailover } from "./replication/failover.js";

export { Server } from "./server/server.js";
export { Config } from "./config/config.js";
export { ConfigFileError, loadFromArgv } from "./config/load.js";
export { loadDataFromDisk } from "./persistence/startup.js";

export interface StartOptions {
  /** Port to listen on; 0 (the default) picks a free one. With configObject and no port, its "port" (0: no TCP, as redis-server). */
  port?: number;
  /** Address to listen on (default 127.0.0.1, or the `bind` directive when one is given). */
  host?: string;
  /** Directives as redis.conf would give them, e.g. { requirepass: "secret", "maxmemory": "100mb" }. */
  config?: Record<string, string | number>;
  /** A ready Config (the CLI passes the parsed command line): its bind and port are used as given. */
  configObject?: Config;
  /** The caller loads the dataset itself (the CLI: after its start-up lines, as redis-server orders them). */
  deferLoad?: boolean;
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
 * per process, so one server runs per process at a time. Throws a
 * ConfigFileError for a bad directive and an Error when it cannot listen.
 */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  if (running) throw new Error("a Nodis server is already running in this process");
  const config = opts.configObject ?? new Config();
  if (opts.config) applyDirectives(config, opts.config);
  if (!opts.configObject && config.bool("daemonize")) {
    throw new Error("daemonize yes is for nodis-server: a library server runs in the calling process");
  }
  const bindParam = findParam("bind")!;
  if (opts.host !== undefined) config.setWords(bindParam, [opts.host]);
  else if (!opts.configObject && config.get("bind") === bindParam.default) config.setWords(bindParam, ["127.0.0.1"]);
  const port = opts.port ?? (opts.configObject || opts.config?.port !== undefined ? config.int("port") : 0);

  // A library server saves only when told to (save rules are redis-server's default, not an embedder's).
  if (!opts.configObject && opts.config?.save === undefined) config.setWords(findParam("save")!, [""]);
  const server = new Server(config);
  config.warn = (msg) => server.log.warning(msg);
  applyRenames(server, config);
  // The dataset from disk, as redis-server loads it (the AOF when appendonly is on, else dir/dbfilename;
  // a library server reads an RDB only when dir or dbfilename is given). The CLI does it after its start-up lines.
  if (!opts.deferLoad) {
    try {
      await loadDataFromDisk(server, { rdb: opts.configObject !== undefined || opts.config?.dir !== undefined || opts.config?.dbfilename !== undefined });
    } catch (e) {
      void server.close();
      throw e;
    }
  }
  const listeners = new Listeners(
    (socket) => server.accept(socket),
    () => config.int("tcp-backlog"),
    (msg) => server.log.warning(msg),
    server.readsNatively,
  );
  const addrs = () => config.get("bind").split(" ").filter(Boolean);
  // As redis-server, a given port 0 means no TCP listener (a free port is for library use).
  const noTcp = opts.port === undefined && opts.configObject !== undefined && port === 0;
  if (noTcp && config.get("unixsocket") === "") throw new Error("Configured to not listen anywhere, exiting.");
  const failed = noTcp ? null : listeners.bind(addrs(), port);
  if (failed) {
    await new Promise((r) => setImmediate(r)); // let the socket report why (logged as a warning)
    throw new Error(failed);
  }
  const unixsocket = config.get("unixsocket");
  if (unixsocket !== "") {
    const err = listeners.bindUnix(unixsocket, config.int("unixsocketperm"));
    if (err) {
      await listeners.close();
      throw new Error(err);
    }
  }
  running = server;
  server.port = listeners.port;
  server.host = listeners.host;
  config.setWords(findParam("port")!, [String(listeners.port)]);
  // CONFIG SET port / bind: listen anew, keeping the old sockets if that fails.
  const rebind = (why: string) => () => {
    if (listeners.bind(addrs(), config.int("port"))) return why;
    server.port = listeners.port;
    server.host = listeners.host;
    return null;
  };
  config.onApply("port", rebind("Unable to listen on this port. Check server logs."));
  config.onApply("bind", rebind("Failed to bind to specified addresses."));
  const oom = new OomScore(config, (msg) => server.log.warning(msg), () => server.isReplica);
  config.onApply("oom-score-adj", () => oom.apply());
  server.oom = oom;
  oom.apply();
  server.startTimer();
  installReplication(server); // INFO replication; `replicaof` from the config connects at the first cron tick
  installFailover(server); // PSYNC ... FAILOVER's answer

  // Closing the server (close() or SHUTDOWN) closes the listeners too.
  const closeServer = server.close.bind(server);
  server.close = () => {
    const done = Promise.all([listeners.close(), closeServer()]).then(() => {
      if (running === server) running = null;
    });
    return done;
  };
  return { host: listeners.host, port: listeners.port, server, close: () => server.close() };
}

/** rename-command from the config file: the command moves to its new name ("" removes it). */
function applyRenames(server: Server, config: Config): void {
  for (const [from, to] of config.renames) {
    const spec = server.commands.get(from.toLowerCase());
    if (!spec) throw new Error(`No such command in rename-command: ${from}`);
    server.commands.delete(from.toLowerCase());
    if (to !== "") server.commands.set(to.toLowerCase(), spec);
  }
}
