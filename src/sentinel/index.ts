/**
 * Sentinel mode (`nodis-server sentinel.conf --sentinel`): the server runs with
 * a sentinel's command table and state instead of serving data. main.ts reads
 * the configuration (collecting the "sentinel ..." lines), calls
 * loadSentinel() before the server starts and runSentinel() once it listens.
 */
import fs from "node:fs";
import type { Config } from "../config/config.js";
import type { Server } from "../server/server.js";
import { loadSentinelConfig, sentinelRewrite } from "./config.js";
import { Sentinel } from "./state.js";
import { bindSentinel, installSentinelCommands } from "./commands.js";
import { startTimer } from "./timer.js";
import { RespLink } from "./resp-link.js";
import { strerror } from "../config/special.js";

export { Sentinel } from "./state.js";

/** Applies the sentinel directives; throws a ConfigFileError for a bad one. */
export function loadSentinel(config: Config): Sentinel {
  const s = new Sentinel();
  loadSentinelConfig(s, config.sentinelLines ?? []);
  return s;
}

/** sentinelCheckConfigFile: a sentinel keeps its state in its config file; the reason it cannot, or null. */
export function configFileProblem(config: Config): string | null {
  if (!config.file) return "Sentinel needs config file on disk to save state. Exiting...";
  try {
    fs.accessSync(config.file, fs.constants.W_OK);
  } catch (e) {
    return `Sentinel config file ${config.file} is not writable: ${strerror(e)}. Exiting...`;
  }
  return null;
}

/** Turns the started server into a sentinel: its commands, its id (saved), the +monitor events, the timer. */
export function runSentinel(server: Server, s: Sentinel): void {
  s.server = server;
  server.sentinelMode = true;
  server.log.role = "X";
  bindSentinel(server, s);
  installSentinelCommands(server);
  server.config.extraRewrite = sentinelRewrite(s);
  if (s.myid === "") {
    s.pickId();
    s.flushConfig();
  }
  server.log.notice(`Sentinel ID is ${s.myid}`);
  for (const m of s.masters.values()) s.event("warning", "+monitor", m, true, `quorum ${m.quorum}`);
  RespLink.reportError = (e) => server.log.warning(`Sentinel reply handling failed: ${e instanceof Error ? e.stack : String(e)}`);
  const timer = startTimer(s);
  server.exitHooks.push(() => {
    timer.stop();
    for (const m of s.masters.values()) s.release(m);
  });
}
