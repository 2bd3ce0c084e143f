/**
 * Invalidation messages, as exact bytes, against redis-server: RESP3 pushes to
 * the tracking client, REDIRECT to a RESP3 client and to a RESP2 client in
 * pub/sub mode, NOLOOP, OPTIN/OPTOUT, BCAST batches per prefix, the null of
 * FLUSHDB/FLUSHALL, broken redirects; then what only Nodis can be asked
 * (eviction by tracking-table-max-keys, key expiry).
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";
import { sleep, until } from "../helpers/wait.js";
import { record, sameOnBoth, type Scene } from "./scenario.js";

let srv: RunningServer;
useNodis({ "enable-debug-command": "yes" }, {}, (f) => ({ srv } = f));

/** Plays `play` on Nodis and on redis-server and expects the same record. */
const same = (play: (s: Scene) => Promise<void>) => sameOnBoth(srv.port, play);

const differential = haveRedisServer() ? it : it.skip;
const push = (...keys: string[]) => `>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join("")}`;

describe("invalidation messages", () => {
  differential("RESP3: a push to the tracking client, once per read, after the reply of its own write", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      const w = await s.open("w");
      await a.hello("3");
      await w.call("FLUSHALL");
      await a.call("CLIENT", "TRACKING", "on");
      await a.call("GET", "k");
      await a.call("MGET", "k", "other");
      await w.call("SET", "k", "1");
      await a.read(); // the push
      await w.call("SET", "k", "2"); // not read again: no message
      await a.call("GET", "other");
      await w.call("SET", "other", "v");
      await a.read();
      await a.call("GET", "other");
      await w.call("DEL", "other");
      await a.read();
      await a.call("PING");
      // Its own write: the reply first, then the push.
      await a.call("GET", "mine");
      await a.call("SET", "mine", "x");
      await a.read();
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("GET", "gone");
      await w.call("SET", "gone", "1");
      await a.call("PING");
    });
    expect(log).toContain(`a ${JSON.stringify(push("k"))}`);
    expect(log).toContain(`a ${JSON.stringify(push("mine"))}`);
  });

  differential("NOLOOP: no message about the client's own writes", async () => {
    await same(async (s) => {
      const a = await s.open("a");
      const w = await s.open("w");
      await a.hello("3");
      await w.call("FLUSHALL");
      await a.call("CLIENT", "TRACKING", "on", "NOLOOP");
      await a.call("MGET", "k1", "k2");
      await a.call("SET", "k1", "x");
      await w.call("SET", "k2", "y");
      await a.read();
      await a.call("PING");
    });
  });

  differential("OPTIN and OPTOUT with CLIENT CACHING", async () => {
    await same(async (s) => {
      const a = await s.open("a");
      const w = await s.open("w");
      await a.hello("3");
      await w.call("FLUSHALL");
      await a.call("CLIENT", "TRACKING", "on", "OPTIN");
      await a.call("GET", "k1");
      await a.call("CLIENT", "CACHING", "yes");
      await a.call("GET", "k2");
      await a.call("GET", "k3");
      await w.call("MSET", "k1", "1", "k2", "2", "k3", "3");
      await a.read();
      await a.call("PING");
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("CLIENT", "TRACKING", "on", "OPTOUT");
      await a.call("CLIENT", "CACHING", "no");
      await a.call("GET", "k1");
      await a.call("GET", "k2");
      await w.call("MSET", "k1", "1", "k2", "2");
      await a.read();
      await a.call("PING");
    });
  });

  differential("REDIRECT to a RESP3 client, and the null of FLUSHALL/FLUSHDB in the tracking client's protocol", async () => {
    const log = await same(async (s) => {
      const r = await s.open("r");
      const a = await s.open("a");
      const b = await s.open("b");
      const w = await s.open("w");
      await r.hello("3");
      await b.hello("3");
      await w.call("FLUSHALL");
      await a.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id);
      await a.call("GET", "k");
      await w.call("SET", "k", "1");
      await r.read();
      await a.call("GET", "k");
      await w.call("FLUSHALL");
      await r.read(); // $-1: a speaks RESP2
      await b.call("CLIENT", "TRACKING", "on");
      await w.call("FLUSHDB");
      await r.read();
      await b.read(); // _: b speaks RESP3
      await b.call("FLUSHALL"); // its own flush: the reply, then the message
      await b.read();
      await r.read();
      await r.call("PING");
      await a.call("PING"); // a RESP2 tracking client gets nothing itself
    });
    expect(log).toContain(`r ${JSON.stringify(">2\r\n$10\r\ninvalidate\r\n$-1\r\n")}`);
    expect(log).toContain(`b ${JSON.stringify(">2\r\n$10\r\ninvalidate\r\n_\r\n")}`);
  });

  differential("a redirect client that went away: tracking-redir-broken and flag R", async () => {
    await same(async (s) => {
      const r = await s.open("r");
      const a = await s.open("a");
      const w = await s.open("w");
      await w.call("FLUSHALL");
      await a.hello("3");
      await a.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id);
      await a.call("MGET", "k1", "k2");
      await r.call("QUIT");
      await r.raw.waitClosed();
      await w.call("SET", "k1", "1");
      await a.read();
      await a.call("CLIENT", "TRACKINGINFO");
      await w.call("SET", "k2", "1");
      await a.read();
      await a.call("GET", "k1");
      await w.call("FLUSHALL");
      await a.read();
      await a.call("CLIENT", "TRACKING", "on", "REDIRECT", w.id);
      await a.call("CLIENT", "TRACKINGINFO");
    });
  });

  differential("BCAST: one message per prefix and event-loop turn, keys in order; NOLOOP leaves out the client's own", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      const n = await s.open("n");
      const w = await s.open("w");
      await w.call("FLUSHALL");
      await a.hello("3");
      await n.hello("3");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "PREFIX", "a:");
      await n.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP");
      await w.call("MSET", "b:2", "1", "c:1", "1", "a:2", "1", "b:1", "1", "a:1", "1");
      await a.read();
      await a.read();
      await n.read();
      await n.call("MSET", "n:1", "1", "a:9", "1"); // n's own: nothing for n
      await a.read();
      await n.call("PING");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:");
      await w.call("SET", "c:1", "2");
      await a.read();
      await n.read();
      await a.call("PING");
    });
    expect(log).toContain(`a ${JSON.stringify(push("a:1", "a:2"))}`);
    expect(log).toContain(`n ${JSON.stringify(push("a:1", "a:2", "b:1", "b:2", "c:1"))}`);
  });

  differential("MULTI/EXEC: messages to the client follow EXEC's whole reply; CLIENT CACHING covers the transaction", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      const w = await s.open("w");
      await a.hello("3");
      await w.call("FLUSHALL");
      await a.call("CLIENT", "TRACKING", "on");
      await a.call("MSET", "a", "1", "b", "2");
      await a.call("GET", "a");
      await a.call("MULTI");
      await a.call("INCR", "a");
      await a.call("GET", "b");
      await a.call("FLUSHDB");
      await a.call("EXEC");
      await a.read();
      await a.read();
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("CLIENT", "TRACKING", "on", "OPTIN");
      await a.call("CLIENT", "CACHING", "yes");
      await a.call("MULTI");
      await a.call("GET", "x");
      await a.call("GET", "y");
      await a.call("EXEC");
      await a.call("GET", "z"); // CACHING was for the transaction only
      await w.call("MSET", "x", "1", "y", "1", "z", "1");
      await a.read();
      await a.read();
      await a.call("PING");
    });
    expect(log).toContain(`a ${JSON.stringify(">2\r\n$10\r\ninvalidate\r\n_\r\n")}`);
  });

  differential("a key expired by a read: BCAST NOLOOP clients are told, a normal NOLOOP reader is not", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      const b = await s.open("b");
      const c = await s.open("c");
      await a.hello("3");
      await b.hello("3");
      await c.hello("3");
      await a.call("FLUSHALL");
      await a.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      try {
        await a.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "bc:");
        await a.call("SET", "bc:k", "v", "PX", "1");
        await sleep(20); // past the key's 1 ms
        await a.call("GET", "bc:k"); // expired by this read: changed by nobody
        await a.read();
        await b.call("CLIENT", "TRACKING", "on", "NOLOOP");
        await c.call("CLIENT", "TRACKING", "on");
        await b.call("SET", "j", "v", "PX", "1000"); // long enough for the two reads on a busy machine
        await b.call("GET", "j");
        await c.call("GET", "j");
        await sleep(1100); // past the key's 1 s
        await b.call("GET", "j"); // b's read expires it: b is not told, c is
        await c.read();
        await b.call("PING");
      } finally {
        await a.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      }
    });
    expect(log).toContain(`a ${JSON.stringify(push("bc:k"))}`);
  });

  differential("REDIRECT to a RESP2 client in pub/sub mode: a message on __redis__:invalidate", async (ctx) => {
    const probe = await RawConn.open(srv.port);
    const sub = await probe.call("SUBSCRIBE", "__redis__:invalidate");
    probe.close();
    if (sub.startsWith("-")) return ctx.skip(); // SUBSCRIBE not there yet
    const log = await same(async (s) => {
      const r = await s.open("r");
      const a = await s.open("a");
      const b = await s.open("b");
      const w = await s.open("w");
      await w.call("FLUSHALL");
      await r.call("SUBSCRIBE", "__redis__:invalidate");
      await a.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id);
      await b.hello("3");
      await b.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", r.id);
      await a.call("GET", "k");
      await w.call("SET", "k", "1");
      await r.read();
      await r.read();
      await w.call("FLUSHALL");
      await r.read(); // from a: $-1
      await r.read(); // from b: _ (in a RESP2 message)
    });
    expect(log).toContain(`r ${JSON.stringify("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n")}`);
  });
});

describe("what only Nodis is asked", () => {
  it("invalidates the keys tracked the longest when the table is over tracking-table-max-keys", async () => {
    const a = await RawConn.open(srv.port);
    const w = await RawConn.open(srv.port);
    await a.call("HELLO", "3");
    await a.call("CLIENT", "TRACKING", "on");
    const keys = Array.from({ length: 250 }, (_, i) => `evict:${i}`);
    await a.call("MGET", ...keys);
    expect(await w.call("CONFIG", "SET", "tracking-table-max-keys", "1")).toBe("+OK\r\n");
    // 100 keys a round, then 200: all but one go, each with its message.
    const got: string[] = [];
    while (got.length < 249) got.push(await a.reply());
    expect(got[0]).toBe(push("evict:0"));
    expect(new Set(got).size).toBe(249);
    expect(await a.call("PING")).toBe("+PONG\r\n");
    expect((await w.call("INFO", "stats")).match(/tracking_total_keys:(\d+)/)?.[1]).toBe("1");
    await w.call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
    a.close();
    w.close();
  });

  it("flags a client whose redirect client went away R in CLIENT LIST", async () => {
    const a = await RawConn.open(srv.port);
    const r = await RawConn.open(srv.port);
    const w = await RawConn.open(srv.port);
    const idr = (await r.call("CLIENT", "ID")).slice(1, -2);
    await a.call("CLIENT", "TRACKING", "on", "REDIRECT", idr);
    await a.call("GET", "broken");
    r.close();
    // Until the server has seen the close.
    expect(await until(() => w.call("CLIENT", "LIST", "ID", idr), (l) => l === "$0\r\n\r\n")).toBe("$0\r\n\r\n");
    await w.call("SET", "broken", "1");
    const info = await a.call("CLIENT", "INFO");
    expect(info).toContain(" flags=tR ");
    expect(info).toContain(` redir=${idr} `);
    expect(await a.call("CLIENT", "TRACKING", "on", "REDIRECT", (await w.call("CLIENT", "ID")).slice(1, -2))).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "INFO")).toContain(" flags=t ");
    a.close();
    w.close();
  });

  it("sends the invalidation of a key that expires", async () => {
    const a = await RawConn.open(srv.port);
    const w = await RawConn.open(srv.port);
    await a.call("HELLO", "3");
    await a.call("CLIENT", "TRACKING", "on");
    await w.call("SET", "soon", "1", "PX", "20");
    await a.call("GET", "soon");
    expect(await a.reply()).toBe(push("soon"));
    a.close();
    w.close();
  });
});
