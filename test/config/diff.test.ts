/** CONFIG replies compared with Debian's redis-server (7.0; these replies are the same in 7.2). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startServer, type RunningServer } from "../../src/index.js";
import { haveRedisServer, startRedis } from "../helpers/nodis.js";

const CASES: string[][] = [
  ["config", "get"],
  ["config", "set", "port", "-1"],
  ["config", "set", "maxmemory-clients", "abc"],
  ["config", "set", "notify-keyspace-events", ""],
  ["config", "set", "list-max-listpack-size", "abc"],
  ["config", "set", "unixsocketperm", "700"],
  ["config", "set", "hz", "abc"],
  ["config", "set", "maxclients", "0"],
  ["config", "set", "lua-time-limit", "100"],
  ["config", "get", "lua-time-limit"],
  ["config", "set", "busy-reply-threshold", "5000"],
  ["config", "set", "client-output-buffer-limit", "normal 1 2"],
  ["config", "set", "client-output-buffer-limit", "normal 1mb 2mb 3"],
  ["config", "get", "client-output-buffer-limit"],
  ["config", "set", "client-output-buffer-limit", "normal 0 0 0"],
  ["config", "set", "save", "10 a"],
  ["config", "set", "save", "100 10 200"],
  ["config", "set", "shutdown-on-sigterm", "nosave now force"],
  ["config", "get", "shutdown-on-sigterm"],
  ["config", "set", "shutdown-on-sigterm", "default"],
  ["config", "set", "oom-score-adj-values", "1 2"],
  ["config", "set", "maxmemory", "1tb"],
  ["config", "set", "maxmemory", "2GB"],
  ["config", "get", "maxmemory"],
  ["config", "set", "maxmemory", "0"],
  ["config", "set", "slowlog-log-slower-than", "-2"],
  ["config", "set", "maxmemory-policy", "LRU"],
  ["config", "set", "activerehashing", "maybe"],
  ["config", "set", "latency-tracking-info-percentiles", "50 abc"],
  ["config", "set", "latency-tracking-info-percentiles", "50.5 99"],
  ["config", "get", "latency-tracking-info-percentiles"],
  ["config", "set", "dbfilename", "a/b"],
  ["config", "set", "proc-title-template", "{title} {nope}"],
  ["config", "set", "sanitize-dump-payload", "maybe"],
  ["config", "set", "notify-keyspace-events", "KEA"],
  ["config", "get", "notify-keyspace-events"],
  ["config", "set", "notify-keyspace-events", ""],
  ["config", "set", "maxmemory", "1", "maxmemory", "2"],
  ["config", "set", "nosuch", "1", "maxmemory", "2"],
  ["config", "set", "daemonize", "yes"],
  ["config", "set", "maxmemory", "1", "port"],
  ["config", "resetstat", "x"],
  ["config", "nosuchsub"],
  ["config", "get", "maxmemory", "MAXMEMORY", "maxmemory-p*"],
];

const have = haveRedisServer();
let nodis: RunningServer;
let redis: { port: number; stop(): Promise<void> };
let a: Redis;
let b: Redis;

beforeAll(async () => {
  if (!have) return;
  nodis = await startServer();
  redis = await startRedis();
  a = new Redis({ port: nodis.port, host: "127.0.0.1", enableReadyCheck: false });
  b = new Redis({ port: redis.port, host: "127.0.0.1", enableReadyCheck: false });
});
afterAll(async () => {
  if (!have) return;
  a.disconnect();
  b.disconnect();
  await nodis.close();
  await redis.stop();
});

/** The reply; CONFIG GET's pairs sorted, as Redis's order is its dict's. */
const reply = (r: Redis, args: string[]) =>
  r.call(args[0], ...args.slice(1)).then(
    (v) => {
      if (args[1] !== "get" || !Array.isArray(v)) return { ok: v };
      const pairs: string[][] = [];
      for (let i = 0; i < v.length; i += 2) pairs.push([v[i], v[i + 1]]);
      return { ok: pairs.sort((x, y) => (x[0] < y[0] ? -1 : 1)) };
    },
    (e: Error) => ({ err: e.message }),
  );

describe.skipIf(!have)("CONFIG against redis-server", () => {
  it.each(CASES.map((c) => [c.join(" "), c]))("%s", async (_, args) => {
    expect(await reply(a, args as string[])).toEqual(await reply(b, args as string[]));
  });
});
