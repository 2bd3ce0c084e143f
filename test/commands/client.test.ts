/** CLIENT subcommands: ID, names, LIST/INFO, KILL, PAUSE, REPLY, SETINFO, flags. */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { useNodis } from "../helpers/nodis.js";
import { until, waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

const FIELDS =
  "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver";

/** The text of a bulk/verbatim reply. */
function text(reply: string): string {
  const body = reply.slice(reply.indexOf("\r\n") + 2, -2);
  return reply.startsWith("=") ? body.slice(4) : body;
}

function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.trim().split(" ")) {
    const i = kv.indexOf("=");
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

describe("CLIENT ID, SETNAME, GETNAME, SETINFO", () => {
  it("gives ids in connection order and names connections", async () => {
    const a = await RawConn.open(srv.port);
    const b = await RawConn.open(srv.port);
    const ida = Number((await a.call("CLIENT", "ID")).slice(1, -2));
    const idb = Number((await b.call("CLIENT", "ID")).slice(1, -2));
    expect(idb).toBe(ida + 1);
    expect(await a.call("CLIENT", "GETNAME")).toBe("$-1\r\n");
    expect(await a.call("CLIENT", "SETNAME", "conn-a")).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "GETNAME")).toBe("$6\r\nconn-a\r\n");
    expect(await a.call("CLIENT", "SETNAME", "bad name")).toBe(
      "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    expect(await a.call("CLIENT", "SETNAME", "")).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "GETNAME")).toBe("$-1\r\n");
    expect(await a.call("CLIENT", "SETINFO", "LIB-NAME", "mylib")).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "SETINFO", "lib-ver", "1.2")).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "SETINFO", "lib-ver", "1 2")).toBe(
      "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n",
    );
    expect(await a.call("CLIENT", "SETINFO", "bad", "x")).toBe("-ERR Unrecognized option 'bad'\r\n");
    expect(text(await a.call("CLIENT", "INFO"))).toMatch(/ lib-name=mylib lib-ver=1\.2\n$/);
    a.close();
    b.close();
  });
});

describe("CLIENT LIST and INFO", () => {
  it("prints Redis 7.2's fields in order", async () => {
    const c = await RawConn.open(srv.port);
    const line = text(await c.call("CLIENT", "INFO"));
    expect(line.endsWith("\n")).toBe(true);
    expect(Object.keys(fields(line)).join(" ")).toBe(FIELDS);
    const f = fields(line);
    expect(f.flags).toBe("N");
    expect(f.qbuf).toBe("26"); // the CLIENT INFO command itself is still in the query buffer
    expect(f["argv-mem"]).toBe("10");
    expect(f.cmd).toBe("client|info");
    expect(f.multi).toBe("-1");
    expect(f.events).toBe("r");
    expect(f.user).toBe("default");
    expect(f.redir).toBe("-1");
    expect(f.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(f.laddr).toBe(`127.0.0.1:${srv.port}`);
    expect(Number(f.fd)).toBeGreaterThan(0);
    c.close();
  });

  it("lists all clients, by TYPE and by ID", async () => {
    const a = await RawConn.open(srv.port);
    const b = await RawConn.open(srv.port);
    const ida = (await a.call("CLIENT", "ID")).slice(1, -2);
    const idb = (await b.call("CLIENT", "ID")).slice(1, -2);
    await b.call("SELECT", "2");
    const all = text(await a.call("CLIENT", "LIST")).split("\n").filter(Boolean);
    expect(all.length).toBe(srv.server.clients.size);
    const lb = all.map(fields).find((f) => f.id === idb)!;
    expect(lb.db).toBe("2");
    expect(lb.cmd).toBe("select");
    expect(lb.qbuf).toBe("0");
    const byId = text(await a.call("CLIENT", "LIST", "ID", idb, "99999", ida)).split("\n").filter(Boolean);
    expect(byId.map((l) => fields(l).id)).toEqual([idb, ida]);
    expect(text(await a.call("CLIENT", "LIST", "TYPE", "normal")).split("\n").filter(Boolean).length).toBe(all.length);
    expect(text(await a.call("CLIENT", "LIST", "TYPE", "pubsub"))).toBe("");
    expect(await a.call("CLIENT", "LIST", "TYPE", "bad")).toBe("-ERR Unknown client type 'bad'\r\n");
    expect(await a.call("CLIENT", "LIST", "ID", "x")).toBe("-ERR Invalid client ID\r\n");
    expect(await a.call("CLIENT", "LIST", "x")).toBe("-ERR syntax error\r\n");
    a.close();
    b.close();
  });

  it("uses a verbatim string in RESP3", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("HELLO", "3");
    const r = await c.call("CLIENT", "INFO");
    expect(r.startsWith("=")).toBe(true);
    expect(r.slice(r.indexOf("\r\n") + 2, r.indexOf("\r\n") + 6)).toBe("txt:");
    c.close();
  });

  it("shows flags and modes", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("CLIENT", "NO-EVICT", "ON");
    await c.call("CLIENT", "NO-TOUCH", "ON");
    expect(fields(text(await c.call("CLIENT", "INFO"))).flags).toBe("eT");
    await c.call("CLIENT", "NO-EVICT", "off");
    expect(fields(text(await c.call("CLIENT", "INFO"))).flags).toBe("T");
    expect(await c.call("CLIENT", "NO-TOUCH", "maybe")).toBe("-ERR syntax error\r\n");
    c.close();
  });

  it("NO-TOUCH leaves a key's access data alone, except for TOUCH", async () => {
    // Under LFU a new key's counter is 5 and its first access always raises it.
    const c = await RawConn.open(srv.port);
    expect(await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")).toBe("+OK\r\n");
    try {
      await c.call("SET", "nt", "v");
      expect(await c.call("OBJECT", "FREQ", "nt")).toBe(":5\r\n");
      await c.call("CLIENT", "NO-TOUCH", "ON");
      await c.call("GET", "nt");
      await c.call("SET", "nt", "w", "XX", "KEEPTTL", "GET");
      expect(await c.call("OBJECT", "FREQ", "nt")).toBe(":5\r\n");
      expect(await c.call("TOUCH", "nt")).toBe(":1\r\n");
      expect(await c.call("OBJECT", "FREQ", "nt")).toBe(":6\r\n");
      // Another client without NO-TOUCH is not affected by this one's mode.
      const d = await RawConn.open(srv.port);
      await d.call("SET", "nt2", "v");
      await d.call("GET", "nt2");
      expect(await d.call("OBJECT", "FREQ", "nt2")).toBe(":6\r\n");
      d.close();
    } finally {
      await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      c.close();
    }
  });
});

describe("CLIENT KILL", () => {
  it("checks its arguments like Redis", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("CLIENT", "KILL")).toBe("-ERR wrong number of arguments for 'client|kill' command\r\n");
    expect(await c.call("CLIENT", "KILL", "id", "10", "wrong_arg")).toBe("-ERR syntax error\r\n");
    for (const bad of ["str", "-1", "0"]) {
      expect(await c.call("CLIENT", "KILL", "id", bad)).toBe("-ERR client-id should be greater than 0\r\n");
    }
    expect(await c.call("CLIENT", "KILL", "type", "wrong_type")).toBe("-ERR Unknown client type 'wrong_type'\r\n");
    expect(await c.call("CLIENT", "KILL", "user", "wrong_user")).toBe("-ERR No such user 'wrong_user'\r\n");
    expect(await c.call("CLIENT", "KILL", "skipme", "yes_or_no")).toBe("-ERR syntax error\r\n");
    expect(await c.call("CLIENT", "KILL", "1.1.1.1:1")).toBe("-ERR No such client\r\n");
    c.close();
  });

  it("kills by address (old form), by id, and everyone but the caller", async () => {
    const me = await RawConn.open(srv.port);
    const v1 = await RawConn.open(srv.port);
    const v2 = await RawConn.open(srv.port);
    const v3 = await RawConn.open(srv.port);
    const addr1 = fields(text(await v1.call("CLIENT", "INFO"))).addr;
    expect(await me.call("CLIENT", "KILL", addr1)).toBe("+OK\r\n");
    expect(await v1.waitClosed()).toBe(true);
    const id2 = (await v2.call("CLIENT", "ID")).slice(1, -2);
    expect(await me.call("CLIENT", "KILL", "ID", id2)).toBe(":1\r\n");
    expect(await v2.waitClosed()).toBe(true);
    const laddr = `127.0.0.1:${srv.port}`;
    const others = srv.server.clients.size - 1;
    expect(await me.call("CLIENT", "KILL", "LADDR", laddr, "TYPE", "normal", "USER", "default")).toBe(`:${others}\r\n`);
    expect(await v3.waitClosed()).toBe(true);
    expect(me.closed).toBe(false);
    expect(await me.call("CLIENT", "KILL", "MAXAGE", "1000")).toBe(":0\r\n");
    // SKIPME no kills the caller too, after its reply.
    expect(await me.call("CLIENT", "KILL", "SKIPME", "no")).toBe(":1\r\n");
    expect(await me.waitClosed()).toBe(true);
  });
});

describe("CLIENT REPLY", () => {
  it("OFF silences until ON; SKIP drops the next reply only", async () => {
    const c = await RawConn.open(srv.port);
    c.send("CLIENT", "REPLY", "OFF");
    c.send("PING", "silenced1");
    c.send("PING", "silenced2");
    expect(await c.call("CLIENT", "REPLY", "ON")).toBe("+OK\r\n");
    expect(await c.call("PING", "p3")).toBe("$2\r\np3\r\n");
    c.send("CLIENT", "REPLY", "SKIP");
    c.send("PING", "skipped");
    expect(await c.call("PING", "p4")).toBe("$2\r\np4\r\n");
    c.send("CLIENT", "REPLY", "SKIP");
    expect(await c.call("CLIENT", "REPLY", "ON")).toBe("+OK\r\n");
    expect(await c.call("PING")).toBe("+PONG\r\n");
    expect(await c.call("CLIENT", "REPLY", "maybe")).toBe("-ERR syntax error\r\n");
    c.close();
  });
});

describe("CLIENT PAUSE", () => {
  it("holds write commands until UNPAUSE, answering reads and errors at once", async () => {
    const admin = await RawConn.open(srv.port);
    const w1 = await RawConn.open(srv.port);
    const w2 = await RawConn.open(srv.port);
    expect(await admin.call("CLIENT", "PAUSE", "100000", "WRITE")).toBe("+OK\r\n");
    expect(await w1.call("GET", "pz")).toBe("$-1\r\n");
    expect(await w1.call("SET", "pz")).toBe("-ERR wrong number of arguments for 'set' command\r\n");
    w1.send("SET", "pz", "1");
    w1.send("PING", "after-set");
    w2.send("INCR", "pz");
    expect(await w1.hasReplyWithin(150)).toBe(false);
    expect(await w2.hasReplyWithin(10)).toBe(false);
    expect(srv.server.postponedClients.length).toBe(2);
    expect(fields(text(await admin.call("CLIENT", "LIST", "ID", String(srv.server.postponedClients[0].id)))).flags).toBe("b");
    expect(await admin.call("CLIENT", "UNPAUSE")).toBe("+OK\r\n");
    expect(await w1.reply()).toBe("+OK\r\n");
    expect(await w1.reply()).toBe("$9\r\nafter-set\r\n");
    expect(await w2.reply()).toBe(":2\r\n");
    admin.close();
    w1.close();
    w2.close();
  });

  it("ALL holds every command until the timeout, keeping the longer and stricter pause", async () => {
    const admin = await RawConn.open(srv.port);
    const r = await RawConn.open(srv.port);
    const t0 = Date.now();
    expect(await admin.call("CLIENT", "PAUSE", "300", "ALL")).toBe("+OK\r\n");
    admin.send("CLIENT", "PAUSE", "20", "WRITE");
    r.send("GET", "pz");
    expect(await r.reply()).toBe("$1\r\n2\r\n");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(await admin.reply()).toBe("+OK\r\n");
    admin.close();
    r.close();
  });

  it("validates its arguments", async () => {
    const c = await RawConn.open(srv.port);
    expect(await c.call("CLIENT", "PAUSE", "10", "READ")).toBe("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
    expect(await c.call("CLIENT", "PAUSE", "abc")).toBe("-ERR timeout is not an integer or out of range\r\n");
    expect(await c.call("CLIENT", "PAUSE", "-5")).toBe("-ERR timeout is negative\r\n");
    c.close();
  });

  it("forgets a paused client that disconnects", async () => {
    const admin = await RawConn.open(srv.port);
    const w = await RawConn.open(srv.port);
    await admin.call("CLIENT", "PAUSE", "100000", "WRITE");
    w.send("SET", "gone", "1");
    expect(await until(() => srv.server.postponedClients.length, (n) => n === 1)).toBe(1);
    w.close();
    expect(await until(() => srv.server.postponedClients.length, (n) => n === 0)).toBe(0);
    await admin.call("CLIENT", "UNPAUSE");
    expect(await admin.call("EXISTS", "gone")).toBe(":0\r\n");
    admin.close();
  });
});

describe("CLIENT PAUSE WRITE and scripts, and expiry", () => {
  it("runs scripts that declare no-writes (EVAL, EVALSHA, FCALL, inside MULTI) and holds the others", async () => {
    const admin = await RawConn.open(srv.port);
    const c = await RawConn.open(srv.port);
    const w = await RawConn.open(srv.port);
    const lib = "#!lua name=pauselib\nredis.register_function{function_name='pf', callback=function() return 'ro' end, flags={'no-writes'}}";
    expect(await admin.call("FUNCTION", "LOAD", "REPLACE", lib)).toBe("$8\r\npauselib\r\n");
    const ro = "#!lua flags=no-writes\nreturn 'unique-pause-script'";
    const sha = (await admin.call("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 2")).split("\r\n")[1];
    try {
      expect(await admin.call("CLIENT", "PAUSE", "100000", "WRITE")).toBe("+OK\r\n");
      expect(await c.call("EVAL", ro, "0")).toBe("$19\r\nunique-pause-script\r\n");
      expect(await c.call("EVALSHA", sha, "0")).toBe(":2\r\n");
      expect(await c.call("FCALL", "pf", "0")).toBe("$2\r\nro\r\n");
      expect(await c.call("MULTI")).toBe("+OK\r\n");
      expect(await c.call("EVAL", ro, "0")).toBe("+QUEUED\r\n");
      expect(await c.call("EXEC")).toBe("*1\r\n$19\r\nunique-pause-script\r\n");
      // A script without flags may write: held.
      w.send("EVAL", "return 1", "0");
      expect(await w.hasReplyWithin(100)).toBe(false);
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
    }
    expect(await w.reply()).toBe(":1\r\n");
    admin.close();
    c.close();
    w.close();
  });

  it("keeps past-due keys undeleted while writes are paused (read as missing), deletes them after", async () => {
    const c = await RawConn.open(srv.port);
    const expiredKeys = async () => Number(/expired_keys:(\d+)/.exec(await c.call("INFO", "stats"))![1]);
    expect(await c.call("SELECT", "7")).toBe("+OK\r\n");
    expect(await c.call("FLUSHDB")).toBe("+OK\r\n");
    const before = await expiredKeys();
    expect(await c.call("MULTI")).toBe("+OK\r\n");
    await c.call("SET", "pe1", "v", "PX", "10");
    await c.call("SET", "pe2", "v", "PX", "10");
    await c.call("CLIENT", "PAUSE", "100000", "WRITE");
    expect(await c.call("EXEC")).toBe("*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    try {
      await waitFor(async () => (await c.call("GET", "pe1")) === "$-1\r\n" && (await c.call("GET", "pe2")) === "$-1\r\n");
      expect(await c.call("DBSIZE")).toBe(":2\r\n");
      expect(await expiredKeys()).toBe(before);
    } finally {
      await c.call("CLIENT", "UNPAUSE");
    }
    expect(await c.call("GET", "pe1")).toBe("$-1\r\n");
    expect(await c.call("GET", "pe2")).toBe("$-1\r\n");
    expect(await expiredKeys()).toBe(before + 2);
    c.close();
  });
});

describe("blocked clients (the hooks blocking commands use)", () => {
  it("holds a blocked client's later commands, CLIENT UNBLOCK calls its hook, resume() runs the rest in order", async () => {
    const admin = await RawConn.open(srv.port);
    const b = await RawConn.open(srv.port);
    const id = Number((await b.call("CLIENT", "ID")).slice(1, -2));
    const target = srv.server.clients.get(id)!;
    expect(await admin.call("CLIENT", "UNBLOCK", String(id))).toBe(":0\r\n");
    // Simulate a blocking command: block, then answer when unblocked.
    let how: boolean | null = null;
    target.blocked = true;
    target.unblock = (withError) => {
      how = withError;
      target.blocked = false;
      target.unblock = null;
      srv.server.writeTo(target, Buffer.from(withError ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" : "*-1\r\n"));
      srv.server.resume(target);
    };
    // What the server does after a command that blocks: the addon's read loop leaves the client alone.
    (srv.server as unknown as { markForLoop(c: typeof target): void }).markForLoop(target);
    b.send("PING", "held1");
    b.send("PING", "held2");
    expect(await b.hasReplyWithin(100)).toBe(false);
    expect(fields(text(await admin.call("CLIENT", "LIST", "ID", String(id)))).flags).toBe("b");
    expect(await admin.call("CLIENT", "UNBLOCK", String(id), "ERROR")).toBe(":1\r\n");
    expect(how).toBe(true);
    expect(await b.reply()).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    expect(await b.reply()).toBe("$5\r\nheld1\r\n");
    expect(await b.reply()).toBe("$5\r\nheld2\r\n");
    admin.close();
    b.close();
  });

  it("does not time out blocked or subscribed clients", async () => {
    srv.server.config.set("timeout", ["1"]);
    try {
      const blocked = await RawConn.open(srv.port);
      const sub = await RawConn.open(srv.port);
      const idle = await RawConn.open(srv.port);
      const ids = await Promise.all([blocked, sub].map(async (c) => Number((await c.call("CLIENT", "ID")).slice(1, -2))));
      srv.server.clients.get(ids[0])!.blocked = true;
      srv.server.clients.get(ids[1])!.flags.add("pubsub");
      // The idle client spoke last, so the cron pass that closes it has seen
      // the other two idle for longer: they would be gone by then.
      await idle.call("PING");
      expect(await waitFor(() => idle.closed)).toBe(true);
      expect(await waitFor(() => blocked.closed || sub.closed, { timeoutMs: 300 })).toBe(false);
      blocked.close();
      sub.close();
    } finally {
      srv.server.config.set("timeout", ["0"]);
    }
  });
});

describe("CLIENT HELP and unknown subcommands", () => {
  it("answers like Redis", async () => {
    const c = await RawConn.open(srv.port);
    const help = await c.call("CLIENT", "HELP");
    expect(help.startsWith("*54\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")).toBe(true);
    expect(help.endsWith("+HELP\r\n+    Print this help.\r\n")).toBe(true);
    expect(await c.call("CLIENT", "foo")).toBe("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
    expect(await c.call("CLIENT")).toBe("-ERR wrong number of arguments for 'client' command\r\n");
    c.close();
  });

  it("works through ioredis", async () => {
    const r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false, connectionName: "io1" });
    expect(await r.client("GETNAME")).toBe("io1");
    expect(typeof (await r.client("ID"))).toBe("number");
    r.disconnect();
  });
});
