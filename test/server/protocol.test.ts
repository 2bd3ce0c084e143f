/** Protocol edges over raw sockets: errors and closing, splits, pipelines, big bulks, limits. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, rawExchange, useNodis, startRedis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

/** Malformed inputs and what Redis 7.2 answers before closing. */
const MALFORMED: [string, string, string][] = [
  ["out of range multibulk length", "*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
  ["non-numeric multibulk length", "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
  ["wrong payload header", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"],
  ["negative bulk length", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
  ["bulk length over proto-max-bulk-len", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
  ["non-numeric bulk length", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
  ["bulk length with a plus sign", "*1\r\n$+4\r\nPING\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
  ["multibulk not followed by bulks", "*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"],
  ["unbalanced quotes", 'set """test-key""" test-value\r\nping\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
  ["unbalanced single quote", "set 'a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"],
  ["too big inline request", "A".repeat(70000), "-ERR Protocol error: too big inline request\r\n"],
  ["too big mbulk count string", "*" + "1".repeat(70000), "-ERR Protocol error: too big mbulk count string\r\n"],
  ["too big bulk count string", "*1\r\n$" + "1".repeat(70000), "-ERR Protocol error: too big bulk count string\r\n"],
];

describe("protocol errors", () => {
  for (const [what, input, reply] of MALFORMED) {
    it(`${what}: replies and closes`, async () => {
      const { data, closed } = await rawExchange(srv.port, input);
      expect(data).toBe(reply);
      expect(closed).toBe(true);
    });
  }

  it("runs the commands parsed before the bad one in the same packet", async () => {
    const { data, closed } = await rawExchange(srv.port, "SET pe1 a\r\n*1\r\n$4\r\nPING\r\n*1\r\nbad\r\nSET pe2 b\r\n");
    expect(data).toBe("+OK\r\n+PONG\r\n-ERR Protocol error: expected '$', got 'b'\r\n");
    expect(closed).toBe(true);
    const c = await RawConn.open(srv.port);
    expect(await c.call("GET", "pe1")).toBe("$1\r\na\r\n");
    expect(await c.call("EXISTS", "pe2")).toBe(":0\r\n");
    c.close();
  });

  it("waits for the whole header line before judging it", async () => {
    const c = await RawConn.open(srv.port);
    c.write("*1\r\nfoo");
    expect(await c.hasReplyWithin(100)).toBe(false);
    c.write("\r\n");
    expect(await c.reply()).toBe("-ERR Protocol error: expected '$', got 'f'\r\n");
    expect(await c.waitClosed()).toBe(true);
  });

  it("closes on protocol desync without a newline", async () => {
    for (const seq of ["\x00", "*\x00", "$\x00"]) {
      const { data, closed } = await rawExchange(srv.port, seq + "payload".repeat(12000));
      expect(data).toMatch(/^-ERR Protocol error: too big (inline request|mbulk count string)\r\n$/);
      expect(closed).toBe(true);
    }
  });
});

describe("cross protocol scripting", () => {
  it("drops a connection that sends POST or Host: without a reply", async () => {
    for (const req of ["POST / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: example.com\r\n", "PING\r\npost x\r\n"]) {
      const { data, closed } = await rawExchange(srv.port, req);
      expect(data).toBe("");
      expect(closed).toBe(true);
    }
  });
});

describe("protocol parsing", () => {
  it("ignores empty queries and non-positive multibulk lengths", async () => {
    const c = await RawConn.open(srv.port);
    c.write("\r\n\n   \r\n*0\r\n*-10\r\n");
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });

  it("takes inline commands with quotes and escapes", async () => {
    const c = await RawConn.open(srv.port);
    c.write('SET inl "a\\x41\\n b" \r\n');
    expect(await c.reply()).toBe("+OK\r\n");
    c.write("GET 'inl'\n");
    expect(await c.reply()).toBe("$5\r\naA\n b\r\n");
    c.close();
  });

  it("reassembles a pipeline split at every byte", async () => {
    const cmds = "*3\r\n$3\r\nSET\r\n$2\r\nsk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$2\r\nsk\r\nPING\r\n";
    const expected = "+OK\r\n$5\r\nhello\r\n+PONG\r\n";
    const c = await RawConn.open(srv.port);
    for (let cut = 1; cut < cmds.length; cut++) {
      c.write(cmds.slice(0, cut));
      await new Promise((r) => setTimeout(r, 1));
      c.write(cmds.slice(cut));
      let got = "";
      for (let i = 0; i < 3; i++) got += await c.reply();
      expect(got).toBe(expected);
    }
    c.close();
  });

  it("answers a pipeline of thousands of commands in one write, in order", async () => {
    let payload = "";
    for (let i = 0; i < 10000; i++) payload += `*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`;
    let expected = "";
    for (let i = 0; i < 10000; i++) expected += `$${String(i).length}\r\n${i}\r\n`;
    const { data } = await rawExchange(srv.port, payload, (d) => d.length >= expected.length);
    expect(data).toBe(expected);
  });

  it("takes a big bulk sent in small chunks", async () => {
    const c = await RawConn.open(srv.port);
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const cmd = Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n`), big, Buffer.from("\r\n")]);
    for (let i = 0; i < cmd.length; i += 65536) c.write(cmd.subarray(i, i + 65536));
    expect(await c.reply(10000)).toBe("+OK\r\n");
    expect(await c.call("STRLEN", "big")).toBe(`:${big.length}\r\n`);
    c.close();
  });

  it("does not allocate a huge declared bulk up front, and a disconnect mid-command leaves no trace", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const c = await RawConn.open(srv.port);
    c.write("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$500000000\r\nabc");
    await new Promise((r) => setTimeout(r, 50));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
    const clients = srv.server.clients.size;
    c.close();
    expect(await until(() => srv.server.clients.size, (n) => n === clients - 1)).toBe(clients - 1);
    const d = await RawConn.open(srv.port);
    expect(await d.call("EXISTS", "half")).toBe(":0\r\n");
    d.close();
  });

  it("does not run commands pipelined after QUIT", async () => {
    const { data, closed } = await rawExchange(srv.port, "QUIT\r\nSET afterquit 1\r\n" + `SET afterquit2 ${"x".repeat(20000)}\r\n`);
    expect(data).toBe("+OK\r\n");
    expect(closed).toBe(true);
    const c = await RawConn.open(srv.port);
    expect(await c.call("EXISTS", "afterquit", "afterquit2")).toBe(":0\r\n");
    c.close();
  });
});

describe("unauthenticated clients get small protocol limits", () => {
  it("rejects big multibulk counts and bulks before AUTH", async () => {
    expect(srv.server.config.set("requirepass", ["pw"])).toBeNull();
    try {
      let r = await rawExchange(srv.port, "*11\r\n");
      expect(r.data).toBe("-ERR Protocol error: unauthenticated multibulk length\r\n");
      expect(r.closed).toBe(true);
      r = await rawExchange(srv.port, "*1\r\n$16385\r\n");
      expect(r.data).toBe("-ERR Protocol error: unauthenticated bulk length\r\n");
      r = await rawExchange(srv.port, "*10\r\n$16384\r\n", () => false, 200);
      expect(r.closed).toBe(false);
      r = await rawExchange(srv.port, "AUTH pw\r\n*11\r\n", () => false, 200);
      expect(r).toEqual({ data: "+OK\r\n", closed: false });
    } finally {
      srv.server.config.set("requirepass", [""]);
    }
  });
});

describe.runIf(haveRedisServer())("protocol errors match redis-server", () => {
  let redis: { port: number; stop(): Promise<void> };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  const inputs = [
    ...MALFORMED.map(([, input]) => input),
    "SET a 1\r\n*1\r\nbad\r\n",
    "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*x\r\n",
    "*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n",
    "\r\n*0\r\n*-1\r\nPING\r\n",
    'ECHO "a\\"b" \'c\\\'d\'\r\n',
    'ECHO "abc"x\r\n',
    "PING\r\nHost: x\r\n",
    "*1\r\n$0\r\n\r\n",
    "*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
    "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    "PING\n*1\r\n$4\r\nPING\r\nECHO   'a'  \"b\"\r\n",
    "*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n",
  ];
  for (const input of inputs) {
    it(`same reply and close for ${JSON.stringify(input.slice(0, 40))}`, async () => {
      const want = await rawExchange(redis.port, input, () => false, 400);
      const got = await rawExchange(srv.port, input, () => false, 400);
      expect(got).toEqual(want);
    });
  }
});
