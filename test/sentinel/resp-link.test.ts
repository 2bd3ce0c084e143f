/**
 * The sentinel's client connection (src/sentinel/resp-link.ts): replies in
 * order to their callbacks, split anywhere across reads, RESP2 and RESP3
 * types, and messages after the subscription to onPush.
 */
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { RespError, RespLink, type RespValue } from "../../src/sentinel/resp-link.js";

/** A server that answers every command with the next canned reply, one byte per write. */
async function server(replies: string[]): Promise<net.Server> {
  const srv = net.createServer((sock) => {
    sock.on("data", async () => {
      const r = replies.shift();
      if (r === undefined) return;
      for (const ch of r) {
        sock.write(ch);
        await new Promise((x) => setImmediate(x));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return srv;
}

describe("RespLink", () => {
  const servers: net.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it("parses each reply type, split across reads, in order", async () => {
    const replies = [
      "+PONG\r\n",
      "-ERR no\r\n",
      ":42\r\n",
      "$5\r\nhello\r\n",
      "$-1\r\n",
      "*3\r\n:1\r\n$1\r\n*\r\n:7\r\n",
      "%1\r\n+k\r\n+v\r\n",
      "=8\r\ntxt:info\r\n",
      "_\r\n",
      "#t\r\n",
      ",1.5\r\n",
      "!3\r\nbad\r\n",
      "|1\r\n+a\r\n+b\r\n+after\r\n",
    ];
    const srv = await server([...replies]);
    servers.push(srv);
    const port = (srv.address() as net.AddressInfo).port;
    const link = await new Promise<RespLink>((resolve) => {
      const l = new RespLink("127.0.0.1", port, () => resolve(l));
    });
    const got: RespValue[] = [];
    for (let i = 0; i < replies.length; i++) {
      got.push(await new Promise<RespValue>((resolve) => link.send(["X"], resolve)));
    }
    link.close();
    expect(got).toEqual([
      "PONG",
      new RespError("ERR no"),
      42,
      "hello",
      null,
      [1, "*", 7],
      ["k", "v"],
      "info",
      null,
      1,
      "1.5",
      new RespError("bad"),
      "after",
    ]);
  });

  it("hands messages after the expected replies to onPush", async () => {
    const srv = await server(["*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"]);
    servers.push(srv);
    const port = (srv.address() as net.AddressInfo).port;
    const pushed: RespValue[] = [];
    const link = new RespLink("127.0.0.1", port, () => {});
    link.onPush = (v) => pushed.push(v);
    const first = await new Promise<RespValue>((resolve) => link.send(["SUBSCRIBE", "c"], resolve));
    expect(first).toEqual(["subscribe", "c", 1]);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (pushed.length) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    expect(pushed).toEqual([["message", "c", "hi"]]);
    link.close();
  });
});
