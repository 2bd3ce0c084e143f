/** Pub/Sub with real clients: ioredis and node-redis subscribers, raw RESP2/RESP3 connections. */
import Redis from "ioredis";
import { createClient } from "redis";
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";
import { publish } from "../../src/pubsub/index.js";

let srv: RunningServer;
let r: Redis;
useNodis({}, { r: true }, (f) => ({ srv, r } = f));

/** Resolves when `cond()` holds (polled), or fails after a while. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Waits until no subscription is left (connections closed by earlier tests are gone). */
async function clean(): Promise<void> {
  await until(async () => {
    const [pat, ch, sh] = await Promise.all([r.pubsub("NUMPAT"), r.pubsub("CHANNELS"), r.pubsub("SHARDCHANNELS")]);
    return pat === 0 && (ch as string[]).length === 0 && (sh as string[]).length === 0;
  }, "earlier subscribers to be gone");
}

/** Opens a raw connection, in RESP3 when asked; returns it with its server-side Client. */
async function open(resp: 2 | 3 = 2) {
  const c = await RawConn.open(srv.port);
  if (resp === 3) expect(await c.call("HELLO", "3")).toMatch(/^%7\r\n/);
  const id = Number((await c.call("CLIENT", "ID")).slice(1, -2));
  return { c, client: srv.server.clients.get(id)! };
}

const msg2 = (ch: string, m: string) => `*3\r\n$7\r\nmessage\r\n$${ch.length}\r\n${ch}\r\n$${m.length}\r\n${m}\r\n`;

describe("ioredis and node-redis subscribers", () => {
  it("ioredis receives message, pmessage and smessage", async () => {
    const sub = new Redis({ port: srv.port, host: "127.0.0.1" });
    const got: string[] = [];
    sub.on("message", (ch, m) => got.push(`message ${ch} ${m}`));
    sub.on("pmessage", (p, ch, m) => got.push(`pmessage ${p} ${ch} ${m}`));
    sub.on("smessage", (ch, m) => got.push(`smessage ${ch} ${m}`));
    expect(await sub.subscribe("news", "sport")).toBe(2);
    expect(await sub.psubscribe("n*")).toBe(3);
    expect(await sub.ssubscribe("shard1")).toBe(1);
    expect(await r.publish("news", "hello")).toBe(2);
    expect(await r.spublish("shard1", "s-hello")).toBe(1);
    expect(await r.publish("other", "nobody")).toBe(0);
    await until(() => got.length === 3, "three messages");
    expect(got).toEqual(["message news hello", "pmessage n* news hello", "smessage shard1 s-hello"]);
    expect(await sub.unsubscribe("news")).toBe(2);
    expect(await r.publish("news", "again")).toBe(1); // the pattern only
    await sub.quit();
    await until(async () => (await r.pubsub("NUMPAT")) === 0, "the quit subscriber to be gone");
  });

  it("node-redis (RESP2 and RESP3) subscribes, receives and unsubscribes", async () => {
    for (const RESP of [2, 3] as const) {
      const sub = createClient({ socket: { port: srv.port, host: "127.0.0.1" }, RESP });
      await sub.connect();
      const got: string[] = [];
      await sub.subscribe("ch", (m, ch) => got.push(`${ch}:${m}`));
      await sub.pSubscribe("c?", (m, ch) => got.push(`p ${ch}:${m}`));
      await sub.sSubscribe("sch", (m, ch) => got.push(`s ${ch}:${m}`));
      expect(await r.publish("ch", `v${RESP}`)).toBe(2);
      expect(await r.spublish("sch", "x")).toBe(1);
      await until(() => got.length === 3, "three messages");
      expect(got.sort()).toEqual([`ch:v${RESP}`, `p ch:v${RESP}`, "s sch:x"]);
      await sub.unsubscribe("ch");
      await sub.pUnsubscribe();
      await sub.sUnsubscribe();
      expect(await r.publish("ch", "late")).toBe(0);
      await sub.quit();
    }
  });
});

describe("replies", () => {
  it("confirms each (un)subscription with the count, and unsubscribes from all without arguments", async () => {
    const { c } = await open();
    c.send("SUBSCRIBE", "a", "b", "a");
    expect(await c.reply()).toBe("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    expect(await c.reply()).toBe("*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    expect(await c.reply()).toBe("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n");
    // Patterns share the count with channels; shard channels have their own.
    expect(await c.call("PSUBSCRIBE", "p*")).toBe("*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
    expect(await c.call("SSUBSCRIBE", "s")).toBe("*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
    c.send("UNSUBSCRIBE");
    expect(await c.reply()).toBe("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n");
    expect(await c.reply()).toBe("*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n");
    expect(await c.call("UNSUBSCRIBE")).toBe("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n");
    expect(await c.call("PUNSUBSCRIBE", "nope")).toBe("*3\r\n$12\r\npunsubscribe\r\n$4\r\nnope\r\n:1\r\n");
    expect(await c.call("PUNSUBSCRIBE")).toBe("*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n");
    expect(await c.call("SUNSUBSCRIBE")).toBe("*3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n");
    expect(await c.call("SUNSUBSCRIBE")).toBe("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
    // Out of subscribed mode again: any command runs.
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });

  it("pushes in RESP3 (`>`) and lets a RESP3 subscriber run any command", async () => {
    const { c } = await open(3);
    expect(await c.call("SUBSCRIBE", "r3")).toBe(">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
    expect(await c.call("SET", "k3", "v")).toBe("+OK\r\n");
    expect(await c.call("PING")).toBe("+PONG\r\n");
    expect(await r.publish("r3", "m")).toBe(1);
    expect(await c.reply()).toBe(">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n");
    expect(await c.call("UNSUBSCRIBE", "r3", "zz")).toBe(">3\r\n$11\r\nunsubscribe\r\n$2\r\nr3\r\n:0\r\n");
    expect(await c.reply()).toBe(">3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:0\r\n");
    expect(await c.call("PUNSUBSCRIBE")).toBe(">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n");
    c.close();
  });

  it("sends pmessage with the pattern, and matches with Redis's glob", async () => {
    const { c } = await open();
    await c.call("PSUBSCRIBE", "h?llo");
    c.send("PSUBSCRIBE", "x[a-c]\\*");
    await c.reply();
    expect(await r.publish("hello", "1")).toBe(1);
    expect(await r.publish("heello", "no")).toBe(0);
    expect(await r.publish("xb*", "2")).toBe(1);
    expect(await r.publish("xd*", "no")).toBe(0);
    expect(await c.reply()).toBe("*4\r\n$8\r\npmessage\r\n$5\r\nh?llo\r\n$5\r\nhello\r\n$1\r\n1\r\n");
    expect(await c.reply()).toBe("*4\r\n$8\r\npmessage\r\n$8\r\nx[a-c]\\*\r\n$3\r\nxb*\r\n$1\r\n2\r\n");
    c.close();
  });

  it("carries binary channels and messages as they are", async () => {
    const { c } = await open();
    const ch = Buffer.from([0, 13, 10, 0xff, 0x80]);
    const big = Buffer.alloc(300 * 1024, 0xab);
    c.send("SUBSCRIBE", ch);
    await c.reply();
    expect(await r.publish(ch, big)).toBe(1);
    const want = Buffer.concat([Buffer.from(`*3\r\n$7\r\nmessage\r\n$5\r\n`), ch, Buffer.from(`\r\n$${big.length}\r\n`), big, Buffer.from("\r\n")]);
    expect(await c.reply()).toBe(want.toString("latin1"));
    c.close();
  });

  it("PING answers `pong` arrays in RESP2 subscribed mode", async () => {
    const { c } = await open();
    await c.call("SUBSCRIBE", "x");
    expect(await c.call("PING")).toBe("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    expect(await c.call("PING", "hi")).toBe("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    c.close();
  });

  it("refuses other commands in RESP2 subscribed mode, counted as rejected calls", async () => {
    const { c } = await open();
    await c.call("SSUBSCRIBE", "only-shard");
    const only = "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
    expect(await c.call("GET", "k")).toBe(`-ERR Can't execute 'get': ${only}\r\n`);
    expect(await c.call("CONFIG", "GET", "hz")).toBe(`-ERR Can't execute 'config|get': ${only}\r\n`);
    expect(await c.call("PUBLISH", "a", "b")).toBe(`-ERR Can't execute 'publish': ${only}\r\n`);
    // Name and arity errors come first, as in Redis.
    expect(await c.call("NOSUCH")).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect(await c.call("GET")).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await r.info("commandstats")).toMatch(/cmdstat_get:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=[1-9]/);
    expect(await c.call("RESET")).toBe("+RESET\r\n");
    expect(await c.call("GET", "k")).toBe("$-1\r\n");
    c.close();
  });

  it("QUIT works in subscribed mode", async () => {
    const { c } = await open();
    await c.call("SUBSCRIBE", "q");
    expect(await c.call("QUIT")).toBe("+OK\r\n");
    expect(await c.waitClosed()).toBe(true);
    expect(await r.pubsub("NUMSUB", "q")).toEqual(["q", 0]);
  });

  it("refuses (S)SUBSCRIBE to a client that needs one reply per command", async () => {
    const { c, client } = await open();
    client.denyBlocking = true; // as scripts will be
    expect(await c.call("SUBSCRIBE", "d")).toBe("-ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    expect(await c.call("PSUBSCRIBE", "d")).toBe("-ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    expect(await c.call("SSUBSCRIBE", "d")).toBe("-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    client.denyBlocking = false;
    // EXEC denies blocking; inside a transaction SUBSCRIBE is let through, SSUBSCRIBE is not.
    expect(await c.call("MULTI")).toBe("+OK\r\n");
    expect(await c.call("SSUBSCRIBE", "d")).toBe("+QUEUED\r\n");
    expect(await c.call("SUBSCRIBE", "d")).toBe("+QUEUED\r\n");
    expect(await c.call("EXEC")).toBe("*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nd\r\n:1\r\n");
    c.close();
  });

  it("delivers a message to itself after the PUBLISH reply, and pushes under CLIENT REPLY OFF (7.2)", async () => {
    const { c } = await open(3);
    await c.call("SUBSCRIBE", "self");
    expect(await c.call("PUBLISH", "self", "m1")).toBe(":1\r\n");
    expect(await c.reply()).toBe(">3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$2\r\nm1\r\n");
    c.send("CLIENT", "REPLY", "OFF");
    c.send("SUBSCRIBE", "quiet");
    c.send("PUBLISH", "self", "m2");
    c.send("CLIENT", "REPLY", "ON");
    expect(await c.reply()).toBe(">3\r\n$9\r\nsubscribe\r\n$5\r\nquiet\r\n:2\r\n");
    expect(await c.reply()).toBe(">3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$2\r\nm2\r\n");
    expect(await c.reply()).toBe("+OK\r\n");
    c.close();
  });
});

describe("PUBSUB", () => {
  it("CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB", async () => {
    await clean();
    const a = await open();
    const b = await open();
    a.c.send("SUBSCRIBE", "news.1", "news.2", "misc");
    for (let i = 0; i < 3; i++) await a.c.reply();
    await b.c.call("SUBSCRIBE", "news.1");
    await a.c.call("PSUBSCRIBE", "n*");
    await b.c.call("PSUBSCRIBE", "n*");
    await b.c.call("PSUBSCRIBE", "m*");
    await a.c.call("SSUBSCRIBE", "sh1");
    await b.c.call("SSUBSCRIBE", "sh1");
    expect(((await r.pubsub("CHANNELS")) as string[]).sort()).toEqual(["misc", "news.1", "news.2"]);
    expect(((await r.pubsub("CHANNELS", "news.*")) as string[]).sort()).toEqual(["news.1", "news.2"]);
    expect(await r.pubsub("CHANNELS", "zz*")).toEqual([]);
    expect(await r.pubsub("NUMSUB", "news.1", "misc", "none")).toEqual(["news.1", 2, "misc", 1, "none", 0]);
    expect(await r.pubsub("NUMSUB")).toEqual([]);
    expect(await r.pubsub("NUMPAT")).toBe(2); // unique patterns
    expect(await r.pubsub("SHARDCHANNELS")).toEqual(["sh1"]);
    expect(await r.pubsub("SHARDCHANNELS", "x*")).toEqual([]);
    expect(await r.pubsub("SHARDNUMSUB", "sh1", "news.1")).toEqual(["sh1", 2, "news.1", 0]);
    const info = await r.info("stats");
    expect(info).toContain("pubsub_channels:3\r\n");
    expect(info).toContain("pubsub_patterns:2\r\n");
    expect(info).toContain("pubsubshard_channels:1\r\n");
    a.c.close();
    b.c.close();
    await until(async () => (await r.info("stats")).includes("pubsub_channels:0\r\n"), "closed clients to be unsubscribed");
    const after = await r.info("stats");
    expect(after).toContain("pubsub_patterns:0\r\n");
    expect(after).toContain("pubsubshard_channels:0\r\n");
  });

  it("answers HELP and rejects bad subcommands as Redis", async () => {
    const help = (await r.pubsub("HELP")) as string[];
    expect(help[0]).toBe("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toHaveLength(14);
    expect(help.slice(-2)).toEqual(["HELP", "    Print this help."]); // 7.2 ("Prints" in 7.0)
    await expect(r.pubsub("CHANNELS", "a", "b")).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");
    await expect(r.pubsub("NUMPAT", "x")).rejects.toThrow("ERR wrong number of arguments for 'pubsub|numpat' command");
    await expect(r.pubsub("NOPE")).rejects.toThrow("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.");
  });
});

describe("client state", () => {
  it("shows flags=P and sub/psub/ssub in CLIENT LIST, and type pubsub", async () => {
    const { c, client } = await open();
    c.send("SUBSCRIBE", "c1", "c2");
    await c.reply();
    await c.reply();
    await c.call("PSUBSCRIBE", "p*");
    await c.call("SSUBSCRIBE", "s1");
    const line = (await r.client("LIST", "ID", String(client.id))) as string;
    expect(line).toMatch(/ flags=P db=0 sub=2 psub=1 ssub=1 /);
    expect(client.type()).toBe("pubsub");
    expect(await r.client("LIST", "TYPE", "pubsub")).toContain(`id=${client.id} `);
    c.send("UNSUBSCRIBE");
    await c.reply();
    await c.reply();
    // Still subscribed to a pattern and a shard channel: still in pub/sub mode.
    expect(client.flags.has("pubsub")).toBe(true);
    await c.call("PUNSUBSCRIBE");
    await c.call("SUNSUBSCRIBE");
    expect((await r.client("LIST", "ID", String(client.id))) as string).toMatch(/ flags=N db=0 sub=0 psub=0 ssub=0 /);
    expect(client.type()).toBe("normal");
    c.close();
  });

  it("RESET unsubscribes from everything, silently", async () => {
    await clean();
    const { c, client } = await open(3);
    await c.call("SUBSCRIBE", "rs");
    await c.call("PSUBSCRIBE", "rs*");
    await c.call("SSUBSCRIBE", "rss");
    expect(await c.call("RESET")).toBe("+RESET\r\n");
    expect([client.sub, client.psub, client.ssub, client.flags.has("pubsub")]).toEqual([0, 0, 0, false]);
    expect(await r.pubsub("NUMSUB", "rs")).toEqual(["rs", 0]);
    expect(await r.pubsub("SHARDNUMSUB", "rss")).toEqual(["rss", 0]);
    expect(await r.pubsub("NUMPAT")).toBe(0);
    expect(await r.publish("rs", "x")).toBe(0);
    expect(await c.hasReplyWithin(50)).toBe(false);
    c.close();
  });
});

describe("delivery", () => {
  it("frames a message once per RESP version, whatever the number of subscribers", async () => {
    const subs = await Promise.all([open(2), open(2), open(3), open(3), open(2)]);
    for (const s of subs) {
      await s.c.call("SUBSCRIBE", "fan");
      await s.c.call("PSUBSCRIBE", "f?n");
    }
    // What each client was handed: the memory and offset (the same ones: one frame), and a copy of the bytes.
    const written = new Map<number, { where: string; bytes: string }[]>();
    const memory = new Map<ArrayBufferLike, number>();
    const server = srv.server;
    const orig = server.writeTo;
    server.writeTo = (client, bytes, start = 0, end = bytes.length) => {
      if (!memory.has(bytes.buffer)) memory.set(bytes.buffer, memory.size);
      const where = `${memory.get(bytes.buffer)}@${bytes.byteOffset + start}`;
      written.set(client.id, [...(written.get(client.id) ?? []), { where, bytes: bytes.toString("latin1", start, end) }]);
      orig.call(server, client, bytes, start, end);
    };
    try {
      expect(await r.publish("fan", "out")).toBe(10);
    } finally {
      server.writeTo = orig;
    }
    const pmsg2 = "*4\r\n$8\r\npmessage\r\n$3\r\nf?n\r\n$3\r\nfan\r\n$3\r\nout\r\n";
    for (const [i, want2] of [msg2("fan", "out"), pmsg2].entries()) {
      // The same bytes for every subscriber of one RESP version.
      const byResp = (resp: number) => subs.filter((s) => s.client.resp === resp).map((s) => written.get(s.client.id)![i]);
      const [two, three] = [byResp(2), byResp(3)];
      expect(new Set(two.map((w) => w.where)).size).toBe(1);
      expect(new Set(three.map((w) => w.where)).size).toBe(1);
      for (const w of two) expect(w.bytes).toBe(want2);
      for (const w of three) expect(w.bytes).toBe(">" + want2.slice(1));
    }
    for (const s of subs) {
      const want = written.get(s.client.id)!.map((w) => w.bytes);
      expect([await s.c.reply(), await s.c.reply()]).toEqual(want);
      s.c.close();
    }
  });

  it("publish() is exported for other features: returns the receivers and delivers", async () => {
    await clean();
    const { c } = await open();
    await c.call("PSUBSCRIBE", "__keyspace@0__:*");
    expect(publish(srv.server, Buffer.from("__keyspace@0__:foo"), Buffer.from("set"))).toBe(1);
    expect(await c.reply()).toBe("*4\r\n$8\r\npmessage\r\n$16\r\n__keyspace@0__:*\r\n$18\r\n__keyspace@0__:foo\r\n$3\r\nset\r\n");
    expect(publish(srv.server, Buffer.from("nothing"), Buffer.from("x"))).toBe(0);
    c.close();
  });

  it("delivers keyspace notifications (published through publish())", async () => {
    const { c } = await open(3);
    await r.config("SET", "notify-keyspace-events", "KEg$");
    try {
      await c.call("PSUBSCRIBE", "__key*@0__:*");
      // The command's own reply first, then the events it caused (7.2).
      expect(await c.call("SET", "kn", "v")).toBe("+OK\r\n");
      expect(await c.reply()).toBe(">4\r\n$8\r\npmessage\r\n$12\r\n__key*@0__:*\r\n$17\r\n__keyspace@0__:kn\r\n$3\r\nset\r\n");
      expect(await c.reply()).toBe(">4\r\n$8\r\npmessage\r\n$12\r\n__key*@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$2\r\nkn\r\n");
      await r.del("kn");
      expect(await c.reply()).toContain("__keyspace@0__:kn\r\n$3\r\ndel\r\n");
      expect(await c.reply()).toContain("__keyevent@0__:del\r\n$2\r\nkn\r\n");
    } finally {
      await r.config("SET", "notify-keyspace-events", "");
      c.close();
    }
  });

  it("propagates PUBLISH and SPUBLISH (to replicas) though they change nothing", async () => {
    const seen: string[] = [];
    // To replicas only (targets 2: PROPAGATE_REPL), as Redis's forceCommandPropagation(c, PROPAGATE_REPL): never the AOF.
    const hook = (ops: { argv: Buffer[]; targets?: number }[]) => seen.push(...ops.map((o) => `${o.argv.map(String).join(" ")} @${o.targets}`));
    srv.server.writePath.propagated.push(hook);
    try {
      await r.publish("prop", "m");
      await r.spublish("sprop", "m");
    } finally {
      srv.server.writePath.propagated.splice(srv.server.writePath.propagated.indexOf(hook), 1);
    }
    expect(seen).toEqual(["publish prop m @2", "spublish sprop m @2"]);
  });
});
