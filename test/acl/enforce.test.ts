/**
 * ACL enforcement: what a logged-in user may run at the top level, in MULTI
 * (checked when queued and again at EXEC), in scripts, when a blocked
 * command runs again; the ACL LOG and INFO counters; DELUSER and SETUSER
 * disconnecting clients; requirepass as the default user's password; the
 * batch path declining for restricted users. Expected texts are Redis 7.2.6's
 * (7.0 words them differently), checked against the 7.2 binary when written.
 */
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import { RespConnection } from "../diff/resp.js";
import { waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
let admin: RespConnection;
useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => ({ srv, conn: admin } = f));

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const err = (s: string) => `-${s}\r\n`;

async function login(user: string, pass = "pw"): Promise<RespConnection> {
  const c = await RespConnection.connect(srv.port);
  expect(String(await c.call("AUTH", user, pass))).toBe("+OK\r\n");
  return c;
}

async function send(c: RespConnection, cmds: string[][]): Promise<string[]> {
  return (await c.send(cmds)).map(String);
}

/** ACL LOG's entries as field maps (RESP2: flat arrays). */
async function aclLog(count = 10): Promise<Record<string, string>[]> {
  const raw = String(await admin.call("ACL", "LOG", String(count)));
  const lines = raw.split("\r\n");
  const n = Number(lines[0].slice(1));
  const out: Record<string, string>[] = [];
  let i = 1;
  for (let e = 0; e < n; e++) {
    i++; // *20
    const entry: Record<string, string> = {};
    for (let f = 0; f < 10; f++) {
      const key = lines[i + 1];
      i += 2;
      let value: string;
      if (lines[i].startsWith(":")) value = lines[i++].slice(1);
      else {
        value = lines[i + 1];
        i += 2;
      }
      entry[key] = value;
    }
    out.push(entry);
  }
  return out;
}

describe("permissions at dispatch", () => {
  it("refuses commands, keys and channels with 7.2's NOPERM texts, and logs each", async () => {
    await admin.call("ACL", "LOG", "RESET");
    await admin.call("ACL", "SETUSER", "u1", "on", ">pw", "~k*", "&ch", "+@all", "-debug");
    const c = await login("u1");
    expect(
      await send(c, [
        ["SET", "k1", "v"],
        ["SET", "x1", "v"],
        ["DEBUG", "sleep", "0"],
        ["PUBLISH", "ch", "m"],
        ["PUBLISH", "other", "m"],
        ["MSET", "k2", "a", "x2", "b"],
        ["ACL", "WHOAMI"],
        ["CLIENT", "INFO"],
      ]),
    ).toEqual([
      "+OK\r\n",
      err("NOPERM No permissions to access a key"),
      err("NOPERM User u1 has no permissions to run the 'debug' command"),
      ":0\r\n",
      err("NOPERM No permissions to access a channel"),
      err("NOPERM No permissions to access a key"),
      bulk("u1"),
      expect.stringMatching(/ user=u1 /),
    ]);
    const log = await aclLog();
    expect(log.map((e) => [e.reason, e.context, e.object, e.username, e.count])).toEqual([
      ["key", "toplevel", "x2", "u1", "1"],
      ["channel", "toplevel", "other", "u1", "1"],
      ["command", "toplevel", "debug", "u1", "1"],
      ["key", "toplevel", "x1", "u1", "1"],
    ]);
    expect(log[0]["client-info"]).toMatch(/ cmd=mset user=u1 /);
    // The same refusal again bumps its entry.
    await c.call("SET", "x1", "v");
    const again = await aclLog(1);
    expect([again[0].object, again[0].count]).toEqual(["x1", "2"]);
    const info = String(await admin.call("INFO", "stats"));
    expect(info).toMatch(/acl_access_denied_cmd:1\r\n/);
    expect(info).toMatch(/acl_access_denied_key:3\r\n/);
    expect(info).toMatch(/acl_access_denied_channel:1\r\n/);
    expect(String(await admin.call("INFO", "errorstats"))).toMatch(/errorstat_NOPERM:count=5/);
    c.close();
  });

  it("reads and writes keys as the pattern's %R / %W allow", async () => {
    await admin.call("ACL", "SETUSER", "rw", "on", ">pw", "%R~r*", "%W~w*", "~both*", "+@all");
    await admin.call("SET", "r1", "x");
    const c = await login("rw");
    expect(
      await send(c, [
        ["GET", "r1"],
        ["SET", "r1", "v"],
        ["SET", "w1", "v"],
        ["GET", "w1"],
        ["COPY", "r1", "w2"],
        ["COPY", "w1", "r2"],
        ["LPUSH", "both1", "a"],
        ["LMOVE", "both1", "w3", "LEFT", "RIGHT"],
        ["SORT", "both1", "BY", "nosort"],
        ["SORT", "both1", "BY", "w*"],
        ["SORT", "both1", "GET", "#"],
      ]),
    ).toEqual([
      bulk("x"),
      err("NOPERM No permissions to access a key"),
      "+OK\r\n",
      err("NOPERM No permissions to access a key"),
      ":1\r\n",
      err("NOPERM No permissions to access a key"),
      ":1\r\n",
      bulk("a"),
      "*0\r\n",
      err("ERR BY option of SORT denied due to insufficient ACL permissions."),
      err("ERR GET option of SORT denied due to insufficient ACL permissions."),
    ]);
    c.close();
  });

  it("checks subscriptions: channels by pattern, PSUBSCRIBE patterns literally", async () => {
    await admin.call("ACL", "SETUSER", "sub", "on", ">pw", "resetchannels", "&news.*", "+@all", "~*");
    const c = await login("sub");
    expect(await send(c, [["PSUBSCRIBE", "news.x"]])).toEqual([err("NOPERM No permissions to access a channel")]);
    expect(await send(c, [["SUBSCRIBE", "news.a", "other"]])).toEqual([err("NOPERM No permissions to access a channel")]);
    expect(await send(c, [["PSUBSCRIBE", "news.*"]])).toEqual(["*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n"]);
    c.close();
  });

  it("allows first arguments (+select|0) and subcommands (+config|get)", async () => {
    await admin.call("ACL", "SETUSER", "fa", "on", ">pw", "~*", "-@all", "+select|0", "+config|get", "+client|id");
    const c = await login("fa");
    const got = await send(c, [["SELECT", "0"], ["SELECT", "1"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "0"], ["CLIENT", "ID"], ["CLIENT", "LIST"]]);
    expect(got[0]).toBe("+OK\r\n");
    expect(got[1]).toBe(err("NOPERM User fa has no permissions to run the 'select' command"));
    expect(got[2]).toMatch(/^\*2\r\n/);
    expect(got[3]).toBe(err("NOPERM User fa has no permissions to run the 'config|set' command"));
    expect(got[4]).toMatch(/^:\d+\r\n$/);
    expect(got[5]).toBe(err("NOPERM User fa has no permissions to run the 'client|list' command"));
    c.close();
  });
});

describe("MULTI and scripts", () => {
  it("dooms a transaction at queue time and checks again at EXEC", async () => {
    await admin.call("ACL", "LOG", "RESET");
    await admin.call("ACL", "SETUSER", "tx", "on", ">pw", "~k*", "+get", "+set", "+multi", "+exec", "+eval");
    const c = await login("tx");
    expect(await send(c, [["MULTI"], ["GET", "k1"], ["DEL", "k1"], ["EXEC"]])).toEqual([
      "+OK\r\n",
      "+QUEUED\r\n",
      err("NOPERM User tx has no permissions to run the 'del' command"),
      err("EXECABORT Transaction discarded because of previous errors."),
    ]);
    expect((await aclLog(1))[0].context).toBe("multi");
    expect(await send(c, [["MULTI"], ["SET", "k1", "v"], ["GET", "k1"]])).toEqual(["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n"]);
    await admin.call("ACL", "SETUSER", "tx", "-set");
    expect(await send(c, [["EXEC"]])).toEqual([
      "*2\r\n" +
        err(
          "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand",
        ) +
        bulk("v"),
    ]);
    c.close();
  });

  it("refuses a script's commands as Redis's scriptVerifyACL", async () => {
    await admin.call("ACL", "LOG", "RESET");
    const c = await login("tx");
    const got = await send(c, [
      ["EVAL", "return redis.call('get','x')", "0"],
      ["EVAL", "return redis.call('set','k1','x')", "0"],
      ["EVAL", "return redis.pcall('set','k1','x')", "0"],
      ["EVAL", "return redis.call('get','k1')", "0"],
    ]);
    expect(got[0]).toMatch(/^-ERR ACL failure in script: No permissions to access a key script: /);
    expect(got[1]).toMatch(/^-ERR ACL failure in script: User tx has no permissions to run the 'set' command script: /);
    expect(got[2]).toBe(err("ERR ACL failure in script: User tx has no permissions to run the 'set' command"));
    expect(got[3]).toBe(bulk("v"));
    expect((await aclLog(1))[0].context).toBe("lua");
    c.close();
  });
});

describe("users changing under connected clients", () => {
  it("DELUSER disconnects the user's clients; SETUSER drops subscribers that lost their channel", async () => {
    await admin.call("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*", "allchannels");
    const c = await login("gone");
    const sub = await login("gone");
    await sub.call("SUBSCRIBE", "a");
    // Widening keeps subscribers; taking the channel away drops them.
    await admin.call("ACL", "SETUSER", "gone", "resetchannels", "&a", "&b");
    expect(String(await c.call("PING"))).toBe("+PONG\r\n");
    await admin.call("ACL", "SETUSER", "gone", "resetchannels", "&b");
    await expect(sub.call("PING")).rejects.toThrow();
    expect(String(await c.call("PING"))).toBe("+PONG\r\n");
    expect(String(await admin.call("ACL", "DELUSER", "gone"))).toBe(":1\r\n");
    await expect(c.call("PING")).rejects.toThrow();
  });

  it("requirepass is the default user's password; a disabled user cannot log in", async () => {
    await admin.call("CONFIG", "SET", "requirepass", "secret");
    try {
      const c = await RespConnection.connect(srv.port);
      expect(String(await c.call("GET", "x"))).toBe(err("NOAUTH Authentication required."));
      expect(String(await c.call("AUTH", "wrong"))).toBe(err("WRONGPASS invalid username-password pair or user is disabled."));
      expect(String(await c.call("AUTH", "secret"))).toBe("+OK\r\n");
      expect(String(await admin.call("ACL", "GETUSER", "default"))).toContain(
        "$64\r\n2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\r\n",
      );
      await admin.call("ACL", "SETUSER", "off1", "off", ">pw", "+@all");
      expect(String(await c.call("AUTH", "off1", "pw"))).toBe(err("WRONGPASS invalid username-password pair or user is disabled."));
      expect(String(await c.call("HELLO", "3", "AUTH", "off1", "pw"))).toBe(err("WRONGPASS invalid username-password pair or user is disabled."));
      c.close();
    } finally {
      await admin.call("CONFIG", "SET", "requirepass", "");
    }
    expect(String(await admin.call("ACL", "LIST"))).toContain("user default on nopass sanitize-payload ~* &* +@all\r\n");
  });

  it("a blocked command refused when it runs again after its user changed", async () => {
    await admin.call("ACL", "SETUSER", "bl", "on", ">pw", "+@all", "allkeys");
    const c = await login("bl");
    const reply = c.call("BLPOP", "list1", "0");
    await waitFor(async () => String(await admin.call("INFO", "clients")).includes("blocked_clients:1"));
    await admin.call("ACL", "SETUSER", "bl", "resetkeys");
    await admin.call("LPUSH", "list1", "foo");
    expect(String(await reply)).toBe(err("NOPERM No permissions to access a key"));
    c.close();
  });
});

describe("skip-sanitize-payload", () => {
  it("spares the user's RESTOREs deep sanitization under sanitize-dump-payload clients", async () => {
    await admin.call("HSET", "h", "a", "1", "b", "2", "c", "3");
    const raw = await admin.call("DUMP", "h");
    const body = raw.subarray(raw.indexOf(10) + 1, raw.length - 2);
    const at = body.indexOf(Buffer.from([0x81, 0x62])); // the field "b"
    body[at + 1] = 0x61; // now a second "a": only a deep check sees it
    await admin.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await admin.call("CONFIG", "SET", "sanitize-dump-payload", "clients");
    try {
      await admin.call("ACL", "SETUSER", "checked", "on", ">pw", "+@all", "~*");
      await admin.call("ACL", "SETUSER", "trusted", "on", ">pw", "+@all", "~*", "skip-sanitize-payload");
      const checked = await login("checked");
      const trusted = await login("trusted");
      expect(String(await checked.call("RESTORE", "dup1", "0", body))).toBe(err("ERR Bad data format"));
      expect(String(await trusted.call("RESTORE", "dup2", "0", body))).toBe("+OK\r\n");
      checked.close();
      trusted.close();
    } finally {
      await admin.call("CONFIG", "SET", "sanitize-dump-payload", "no");
      await admin.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
    }
  });
});

describe("the batch path", () => {
  it("runs the default user's pipelines and declines a restricted user's", async () => {
    const cmds = Array.from({ length: 50 }, (_, i) => ["SET", `k${i}`, "v"]);
    let before = srv.server.batchPath.commands;
    await admin.send(cmds);
    expect(srv.server.batchPath.commands - before).toBeGreaterThan(0);
    await admin.call("ACL", "SETUSER", "batch", "on", ">pw", "+@all", "~k1*");
    const c = await login("batch");
    before = srv.server.batchPath.commands;
    const got = await send(c, cmds);
    expect(srv.server.batchPath.commands - before).toBe(0);
    expect(got.filter((g) => g === "+OK\r\n").length).toBe(11); // k1, k10..k19
    expect(got[2]).toBe(err("NOPERM No permissions to access a key"));
    c.close();
  });
});
