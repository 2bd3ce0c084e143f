/** PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET: replies and error texts as Redis 7.2. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { createClient } from "redis";
import { haveRedisServer, useNodis, startRedis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** HELLO's reply for `proto` and client `id`, in RESP2 or RESP3 framing. */
function helloReply(proto: 2 | 3, id: number): string {
  const pairs =
    bulk("server") + bulk("redis") + bulk("version") + bulk("7.2.4") + bulk("proto") + `:${proto}\r\n` +
    bulk("id") + `:${id}\r\n` + bulk("mode") + bulk("standalone") + bulk("role") + bulk("master") +
    bulk("modules") + "*0\r\n";
  return (proto === 3 ? "%7\r\n" : "*14\r\n") + pairs;
}

describe("PING and ECHO", () => {
  it("answers PONG, echoes, and checks arity", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("PING")).toBe("+PONG\r\n");
    expect(await c.call("PING", "hello")).toBe("$5\r\nhello\r\n");
    expect(await c.call("PING", "a", "b")).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
    expect(await c.call("ECHO", "x y")).toBe("$3\r\nx y\r\n");
    expect(await c.call("ECHO")).toBe("-ERR wrong number of arguments for 'echo' command\r\n");
    c.close();
  });

  it("answers a RESP2 subscriber's PING with an array", async () => {
    const c = await RawConn.open(srv.port);
    const client = [...srv.server.clients.values()].at(-1)!;
    client.flags.add("pubsub");
    expect(await c.call("PING")).toBe("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    expect(await c.call("PING", "x")).toBe("*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    c.close();
  });
});

describe("SELECT", () => {
  it("switches databases and checks the index", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("SET", "seldb", "0")).toBe("+OK\r\n");
    expect(await c.call("SELECT", "3")).toBe("+OK\r\n");
    expect(await c.call("EXISTS", "seldb")).toBe(":0\r\n");
    expect(await c.call("SELECT", "16")).toBe("-ERR DB index is out of range\r\n");
    expect(await c.call("SELECT", "-1")).toBe("-ERR DB index is out of range\r\n");
    expect(await c.call("SELECT", "x")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await c.call("SELECT", "4294967296")).toBe("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
    c.close();
  });
});

describe("HELLO", () => {
  it("answers the handshake map in RESP2 and RESP3", async () => {
    const c = await RawConn.open(srv.port);
    const id = Number((await c.call("CLIENT", "ID")).slice(1, -2));
    expect(await c.call("HELLO")).toBe(helloReply(2, id));
    expect(await c.call("HELLO", "3")).toBe(helloReply(3, id));
    // RESP3 now: nulls, maps and doubles use their own types.
    expect(await c.call("GET", "no-such-key")).toBe("_\r\n");
    expect(await c.call("HELLO", "2")).toBe(helloReply(2, id));
    expect(await c.call("GET", "no-such-key")).toBe("$-1\r\n");
    c.close();
  });

  it("rejects bad versions and options with Redis's texts", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("HELLO", "1")).toBe("-NOPROTO unsupported protocol version\r\n");
    expect(await c.call("HELLO", "4")).toBe("-NOPROTO unsupported protocol version\r\n");
    expect(await c.call("HELLO", "x")).toBe("-ERR Protocol version is not an integer or out of range\r\n");
    expect(await c.call("HELLO", "3", "FOO")).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    expect(await c.call("HELLO", "3", "AUTH", "default")).toBe("-ERR Syntax error in HELLO option 'AUTH'\r\n");
    expect(await c.call("HELLO", "3", "SETNAME", "a b")).toBe(
      "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    // Nothing changed.
    expect(await c.call("GET", "no-such-key")).toBe("$-1\r\n");
    c.close();
  });

  it("sets the name", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("HELLO", "2", "SETNAME", "myname");
    expect(await c.call("CLIENT", "GETNAME")).toBe(bulk("myname"));
    c.close();
  });

  it("works for node-redis with its defaults (RESP2 HELLO-less) and for RESP3", async () => {
    const c = createClient({ socket: { port: srv.port, host: "127.0.0.1" } });
    await c.connect();
    expect(await c.ping()).toBe("PONG");
    await c.quit();
    const c3 = createClient({ RESP: 3, socket: { port: srv.port, host: "127.0.0.1" }, name: "nr3" });
    await c3.connect();
    expect(await c3.sendCommand(["CLIENT", "GETNAME"])).toBe("nr3");
    expect(await c3.get("no-such-key")).toBeNull();
    await c3.quit();
  });
});

describe("AUTH", () => {
  it("without requirepass: AUTH <password> is an error, AUTH default <any> works", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("AUTH", "pw")).toBe(
      "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    );
    expect(await c.call("AUTH", "default", "anything")).toBe("+OK\r\n");
    expect(await c.call("AUTH", "nobody", "x")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    expect(await c.call("AUTH", "a", "b", "c")).toBe("-ERR syntax error\r\n");
    c.close();
  });

  it("with requirepass: NOAUTH until AUTH; HELLO AUTH; RESET logs out", async () => {
    srv.server.config.set("requirepass", ["s3cret"]);
    try {
      const c = await RawConn.open(srv.port);
      expect(await c.call("GET", "x")).toBe("-NOAUTH Authentication required.\r\n");
      expect(await c.call("HELLO", "3")).toBe(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
      );
      expect(await c.call("AUTH", "wrong")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      expect(await c.call("HELLO", "3", "AUTH", "default", "wrong")).toBe(
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
      );
      expect(await c.call("AUTH", "s3cret")).toBe("+OK\r\n");
      expect(await c.call("GET", "x")).toBe("$-1\r\n");
      expect(await c.call("RESET")).toBe("+RESET\r\n");
      expect(await c.call("GET", "x")).toBe("-NOAUTH Authentication required.\r\n");
      const id = Number((await c.call("HELLO", "3", "AUTH", "default", "s3cret")).match(/id\r\n:(\d+)/)![1]);
      expect(id).toBeGreaterThan(0);
      expect(await c.call("GET", "x")).toBe("_\r\n");
      c.close();

      const io = new Redis({ port: srv.port, host: "127.0.0.1", password: "s3cret", lazyConnect: true, enableReadyCheck: false });
      await io.connect();
      expect(await io.ping()).toBe("PONG");
      io.disconnect();
    } finally {
      srv.server.config.set("requirepass", [""]);
    }
  });
});

describe("RESET and QUIT", () => {
  it("RESET restores a fresh connection's state", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("HELLO", "3", "SETNAME", "n1");
    await c.call("SELECT", "5");
    await c.call("CLIENT", "NO-EVICT", "on");
    await c.call("CLIENT", "NO-TOUCH", "on");
    c.send("CLIENT", "REPLY", "OFF");
    expect(await c.call("RESET")).toBe("+RESET\r\n");
    const info = await c.call("CLIENT", "INFO");
    expect(info).toMatch(/ name= age=/);
    expect(info).toMatch(/ db=0 /);
    expect(info).toMatch(/ flags=N /);
    expect(info).toMatch(/ resp=2 /);
    expect(info.startsWith("$")).toBe(true);
    c.close();
  });

  it("QUIT replies OK and closes", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("QUIT")).toBe("+OK\r\n");
    expect(await c.waitClosed()).toBe(true);
  });
});

describe.runIf(haveRedisServer())("connection commands match redis-server", () => {
  let redis: { port: number; stop(): Promise<void> };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const cases: string[][] = [
    ["PING"],
    ["PING", "x"],
    ["PING", "a", "b"],
    ["ECHO", "hi"],
    ["SELECT", "99"],
    ["SELECT", "abc"],
    ["HELLO", "1"],
    ["HELLO", "abc"],
    ["HELLO", "2", "BAD"],
    ["HELLO", "2", "SETNAME", "bad name"],
    ["AUTH", "x"],
    ["AUTH", "x", "y", "z"],
    ["AUTH", "nouser", "x"],
    ["CLIENT", "SETNAME", "a\nb"],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "NOPE"],
    ["CLIENT", "KILL"],
    ["CLIENT", "KILL", "1.2.3.4:5"],
    ["CLIENT", "KILL", "ID", "0"],
    ["CLIENT", "KILL", "ID", "x"],
    ["CLIENT", "KILL", "TYPE", "bad"],
    ["CLIENT", "KILL", "USER", "nobody"],
    ["CLIENT", "KILL", "SKIPME", "maybe"],
    ["CLIENT", "KILL", "ID", "123456"],
    ["CLIENT", "KILL", "ID", "1", "junk"],
    ["CLIENT", "LIST", "TYPE", "bad"],
    ["CLIENT", "LIST", "ID", "abc"],
    ["CLIENT", "LIST", "BAD"],
    ["CLIENT", "REPLY", "maybe"],
    ["CLIENT", "NO-EVICT", "maybe"],
    ["CLIENT", "PAUSE", "abc"],
    ["CLIENT", "PAUSE", "-1"],
    ["CLIENT", "PAUSE", "10", "READ"],
    ["CLIENT", "PAUSE", "10", "ALL", "x"],
    ["CLIENT", "UNBLOCK", "1", "bad"],
    ["CLIENT", "UNBLOCK", "abc"],
    ["CLIENT", "UNBLOCK", "999999"],
    ["CLIENT", "SETINFO", "lib-name", "a b"],
    ["CLIENT", "SETINFO", "LIB-VER", "a b"],
    ["CLIENT", "SETINFO", "other", "x"],
    ["CLIENT", "GETREDIR"],
    ["CLIENT", "HELP", "x"],
    ["RESET", "x"],
  ];
  for (const cmd of cases) {
    it(cmd.join(" "), async () => {
      const a = await RawConn.open(redis.port);
      const b = await RawConn.open(srv.port);
      const want = await a.call(...cmd);
      const got = await b.call(...cmd);
      a.close();
      b.close();
      // Redis 7.0 lacks CLIENT SETINFO / NO-TOUCH (7.2): those answers are stated in the unit tests.
      if (want.includes("unknown subcommand 'SETINFO'")) return;
      expect(got).toBe(want);
    });
  }
  it("CLIENT HELP matches (7.2 adds SETINFO and NO-TOUCH lines)", async () => {
    const a = await RawConn.open(redis.port);
    const b = await RawConn.open(srv.port);
    // 7.0 says "Prints this help.", 7.2 "Print this help.".
    const want = (await a.call("CLIENT", "HELP")).replace("Prints this help.", "Print this help.").split("\r\n").slice(1);
    const got = (await b.call("CLIENT", "HELP")).split("\r\n").slice(1);
    a.close();
    b.close();
    const extra = got.filter((l) => !want.includes(l));
    expect(extra).toEqual([
      "+SETINFO <option> <value>",
      "+    Set client meta attr. Options are:",
      "+    * LIB-NAME: the client lib name.",
      "+    * LIB-VER: the client lib version.",
      "+NO-TOUCH (ON|OFF)",
      "+    Will not touch LRU/LFU stats when this mode is on.",
    ]);
    expect(got.filter((l) => extra.includes(l) === false)).toEqual(want);
  });
});
