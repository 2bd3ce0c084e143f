/**
 * Users from files: `user` lines of the configuration file (and CONFIG
 * REWRITE writing every user back), the ACL file (loaded at start, ACL LOAD
 * refusing a broken file whole, ACL SAVE), as Redis 7.2.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/index.js";
import { loadFromArgv } from "../../src/config/load.js";
import { RespConnection } from "../diff/resp.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-acl-"));
const startDir = process.cwd();
afterAll(() => {
  process.chdir(startDir);
  fs.rmSync(dir, { recursive: true, force: true });
});

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

async function withServer(args: string[], run: (c: RespConnection, srv: RunningServer) => Promise<void>): Promise<void> {
  const { config } = loadFromArgv(args);
  const srv = await startServer({ configObject: config, port: 0 });
  const c = await RespConnection.connect(srv.port);
  try {
    await run(c, srv);
  } finally {
    c.close();
    await srv.close();
    process.chdir(startDir);
  }
}

describe("user lines in the configuration file", () => {
  it("loads them at start and CONFIG REWRITE writes every user back", async () => {
    const conf = path.join(dir, "users.conf");
    fs.writeFileSync(conf, [`dir ${dir}`, "save ''", 'user default on nopass ~* +@all -flushdb', "user bob on >pw ~b* +get", ""].join("\n"));
    await withServer([conf], async (c) => {
      expect(String(await c.call("FLUSHDB"))).toBe("-NOPERM User default has no permissions to run the 'flushdb' command\r\n");
      expect(String(await c.call("ACL", "LIST"))).toBe(
        "*2\r\n" +
          bulk("user bob on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~b* resetchannels -@all +get") +
          bulk("user default on nopass sanitize-payload ~* resetchannels +@all -flushdb"),
      );
      await c.call("ACL", "SETUSER", "carol", "on", "nopass", "+ping");
      expect(String(await c.call("CONFIG", "REWRITE"))).toBe("+OK\r\n");
    });
    const text = fs.readFileSync(conf, "latin1");
    expect(text).toContain("user default on nopass sanitize-payload ~* resetchannels +@all -flushdb\n");
    expect(text).toContain("user carol on nopass sanitize-payload resetchannels -@all +ping\n");
    await withServer([conf], async (c) => {
      expect(String(await c.call("ACL", "USERS"))).toBe("*3\r\n" + bulk("bob") + bulk("carol") + bulk("default"));
    });
  });

  it("refuses to start with a user defined twice or a bad rule", async () => {
    const { config } = loadFromArgv(["--user", "foo", "--user", "foo"]);
    await expect(startServer({ configObject: config, port: 0 })).rejects.toThrow(/Duplicate user found/);
    const bad = loadFromArgv(["--user", "foo", "on", "+nosuch"]).config;
    await expect(startServer({ configObject: bad, port: 0 })).rejects.toThrow(/Unknown command or category name in ACL/);
  });
});

describe("the ACL file", () => {
  it("is loaded at start, saved by ACL SAVE, reloaded whole or not at all by ACL LOAD", async () => {
    const file = path.join(dir, "users.acl");
    fs.writeFileSync(file, "user alice on >pw ~* &* +@all\nuser default on nopass ~* &* +@all -debug\n");
    await withServer(["--aclfile", file, "--dir", dir], async (c, srv) => {
      expect(String(await c.call("ACL", "USERS"))).toBe("*2\r\n" + bulk("alice") + bulk("default"));
      const alice = await RespConnection.connect(srv.port);
      expect(String(await alice.call("AUTH", "alice", "pw"))).toBe("+OK\r\n");
      await c.call("ACL", "SETUSER", "bob", "on", "nopass");
      expect(String(await c.call("ACL", "SAVE"))).toBe("+OK\r\n");
      expect(fs.readFileSync(file, "latin1")).toBe(
        "user alice on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all\n" +
          "user bob on nopass sanitize-payload resetchannels -@all\n" +
          "user default on nopass sanitize-payload ~* &* +@all -debug\n",
      );
      // A broken file changes nothing.
      fs.writeFileSync(file, "user alice on +nosuch\nuser x ~* ~y\nnotauser\nuser alice on\n");
      expect(String(await c.call("ACL", "LOAD"))).toBe(
        `-ERR ${file}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. ${file}:2: Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns. ${file}:3 should start with user keyword followed by the username. WARNING: Duplicate user 'alice' found on line 4. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n`,
      );
      expect(String(await c.call("ACL", "USERS"))).toBe("*3\r\n" + bulk("alice") + bulk("bob") + bulk("default"));
      // A good one replaces every user; clients of the old ones are disconnected.
      fs.writeFileSync(file, "user carol on nopass +@all\n");
      expect(String(await c.call("ACL", "LOAD"))).toBe("+OK\r\n");
      expect(String(await c.call("ACL", "LIST"))).toBe(
        "*2\r\n" + bulk("user carol on nopass sanitize-payload resetchannels +@all") + bulk("user default on nopass sanitize-payload ~* &* +@all"),
      );
      await expect(alice.call("PING")).rejects.toThrow();
    });
  });

  it("without an aclfile, ACL LOAD and SAVE say so", async () => {
    await withServer([], async (c) => {
      expect(String(await c.call("ACL", "LOAD"))).toMatch(/^-ERR This Redis instance is not configured to use an ACL file\./);
    });
  });
});
