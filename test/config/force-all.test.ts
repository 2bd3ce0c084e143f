/** DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing every directive, defaults included. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startServer, type RunningServer } from "../../src/index.js";
import { loadFromArgv } from "../../src/config/load.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-force-all-"));
const confFile = path.join(tmp, "redis.conf");

let srv: RunningServer;
let r: Redis;
const startDir = process.cwd();

beforeAll(async () => {
  fs.writeFileSync(confFile, ["# kept comment", "bind 127.0.0.1", "enable-debug-command yes", "maxmemory 5mb", ""].join("\n"));
  const { config } = loadFromArgv([confFile]);
  srv = await startServer({ configObject: config, port: 0 });
  r = new Redis({ port: srv.port, host: "127.0.0.1", lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  await r.connect();
});
afterAll(async () => {
  r.disconnect();
  await srv.close();
  process.chdir(startDir);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("DEBUG CONFIG-REWRITE-FORCE-ALL", () => {
  it("writes defaults too, and the file loads back to the same configuration", async () => {
    await r.call("config", "set", "hz", "15");
    expect(await r.call("debug", "config-rewrite-force-all")).toBe("OK");
    const text = fs.readFileSync(confFile, "utf8");
    expect(text).toContain("# kept comment");
    expect(text).toMatch(/^hz 15$/m);
    expect(text).toMatch(/^maxmemory 5mb$/m);
    // Defaults that a plain CONFIG REWRITE leaves out.
    expect(text).toMatch(/^maxmemory-policy noeviction$/m);
    expect(text).toMatch(/^tcp-keepalive 300$/m);
    const all = (await r.call("config", "get", "*")) as string[];
    const again = loadFromArgv([confFile]).config;
    for (let i = 0; i < all.length; i += 2) {
      if (all[i] === "port") continue; // this test server listens on a port of its own
      expect(again.get(all[i]), all[i]).toBe(srv.server.config.get(all[i]));
    }
  });

  // Redis 7.2.6 hands its NULL config file name to fopen: EFAULT.
  it("fails as Redis without a config file", async () => {
    const saved = srv.server.config.file;
    srv.server.config.file = null;
    try {
      await expect(r.call("debug", "config-rewrite-force-all")).rejects.toThrow(/^ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address$/);
    } finally {
      srv.server.config.file = saved;
    }
  });
});
