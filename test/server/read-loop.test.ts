/**
 * The batch path run in the addon's read loop (native/src/api/reads.rs,
 * src/server/native-reads.ts): a read of a client TypeScript marked eligible
 * runs there and its replies go out before JavaScript sees the read. What a
 * client sees must not change (replies in order, a read the loop only began,
 * a client whose state changes between reads, another client's change of the
 * server's state), and what call() records must still be recorded.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodis } from "../helpers/nodis.js";
import { encodeCommand } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import { infoField, markedConn, RawConn } from "./raw-conn.js";
import { sleep, waitFor } from "../helpers/wait.js";

const cmds = (...list: (string | Buffer)[][]) => Buffer.concat(list.map(encodeCommand));

/** The next `n` replies of `c`. */
async function replies(c: RawConn, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await c.reply());
  return out;
}

describe("the batch path in the read loop", () => {
  let srv: RunningServer;
  let admin: RawConn;
  const loop = () => srv.server.batchPath.loopCommands;
  const marked = () => markedConn(srv.port);

  beforeAll(async () => {
    srv = await startNodis({});
    admin = await RawConn.open(srv.port);
  });
  afterAll(async () => {
    admin.close();
    await srv.close();
  });

  it("runs a marked client's reads and records what call() records", async () => {
    await admin.call("CONFIG", "RESETSTAT");
    await admin.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await admin.call("SLOWLOG", "RESET");
    const c = await marked();
    const before = loop();
    c.write(cmds(["SET", "rl:a", "1"], ["INCR", "rl:a"], ["GET", "rl:a"], ["LPUSH", "rl:a", "x"]));
    expect(await replies(c, 4)).toEqual(["+OK\r\n", ":2\r\n", "$1\r\n2\r\n", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"]);
    expect(loop() - before).toBe(4);
    const stats = await admin.call("INFO", "commandstats");
    expect(stats).toMatch(/cmdstat_incr:calls=1,/);
    expect(stats).toMatch(/cmdstat_lpush:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1/);
    expect(await infoField(admin, "errorstats", "errorstat_WRONGTYPE")).toBe("count=1");
    // The slowlog's newest entry is the last command, with its arguments (from the read's bytes).
    const slow = await admin.call("SLOWLOG", "GET", "3");
    expect(slow).toContain("$5\r\nLPUSH\r\n$4\r\nrl:a\r\n$1\r\nx\r\n");
    await admin.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    const list = await admin.call("CLIENT", "LIST");
    expect(list).toMatch(/cmd=lpush .*\r?\n?/);
    expect(Number(await infoField(admin, "stats", "total_commands_processed"))).toBeGreaterThanOrEqual(5);
    c.close();
  });

  it("answers a pipeline cut anywhere across reads, in order", async () => {
    const c = await marked();
    await c.call("DEL", "rl:cut");
    const list = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? ["RPUSH", "rl:cut", `v${i}`] : ["LLEN", "rl:cut"]));
    let len = 0;
    const want = list.map((_, i) => `:${i % 3 === 0 ? ++len : len}\r\n`);
    const before = loop();
    // Pieces of 5 commands, cut inside the 5th at a different byte each time, then
    // pieces that end where a command does: the loop begins some reads and
    // leaves their unfinished end to TypeScript, which finishes it with the next read.
    let sent = 0;
    let carry = Buffer.alloc(0);
    for (let i = 0; i < list.length; i += 5) {
      const whole = cmds(...list.slice(i, i + 4));
      const last = encodeCommand(list[i + 4]);
      const cut = (i % last.length) + 1;
      const endsMid = (i / 5) % 2 === 0;
      const piece = endsMid ? Buffer.concat([carry, whole, last.subarray(0, cut)]) : Buffer.concat([carry, whole, last]);
      carry = endsMid ? last.subarray(cut) : Buffer.alloc(0);
      c.write(piece);
      const complete = i + (endsMid ? 4 : 5);
      expect(await replies(c, complete - sent)).toEqual(want.slice(sent, complete));
      sent = complete;
    }
    if (carry.length > 0) c.write(carry);
    expect(await replies(c, list.length - sent)).toEqual(want.slice(sent));
    expect(loop() - before).toBeGreaterThan(10);
    c.close();
  });

  it("stops for a client that entered MULTI in the read it began", async () => {
    const c = await marked();
    await c.call("DEL", "rl:m1", "rl:m2");
    c.write(cmds(["SET", "rl:m1", "1"], ["MULTI"], ["SET", "rl:m2", "2"]));
    expect(await replies(c, 3)).toEqual(["+OK\r\n", "+OK\r\n", "+QUEUED\r\n"]);
    // The next read is the transaction's: queued, not run.
    c.write(cmds(["INCR", "rl:m1"]));
    expect(await c.reply()).toBe("+QUEUED\r\n");
    expect(await admin.call("GET", "rl:m1")).toBe("$1\r\n1\r\n");
    c.write(cmds(["EXEC"]));
    expect(await c.reply()).toBe("*2\r\n+OK\r\n:2\r\n");
    c.close();
  });

  it("publishes keyspace events of the commands it runs, keymiss ones too, and stops at once for BCAST tracking turned on by another client", async () => {
    const sub = await RawConn.open(srv.port);
    await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
    const c = await marked();
    expect(await c.call("SET", "rl:ev", "1")).toBe("+OK\r\n");
    await admin.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
    try {
      // The engine records the classes' events alone: the loop runs the SET, and its event is published.
      await c.call("PING");
      let before = loop();
      expect(await c.call("SET", "rl:ev", "2")).toBe("+OK\r\n");
      expect(loop() - before).toBe(1);
      expect(await sub.reply()).toBe("*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$5\r\nrl:ev\r\n");
      await admin.call("CONFIG", "SET", "notify-keyspace-events", "KEm");
      before = loop();
      expect(await c.call("GET", "rl:none")).toBe("$-1\r\n");
      expect(loop() - before).toBe(1);
      expect(await sub.reply()).toBe("*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$22\r\n__keyevent@0__:keymiss\r\n$7\r\nrl:none\r\n");
      // BCAST tracking needs every change: the loop leaves the client's next read at once.
      await admin.call("CLIENT", "TRACKING", "on", "BCAST");
      before = loop();
      expect(await c.call("GET", "rl:none")).toBe("$-1\r\n");
      expect(loop()).toBe(before);
      expect(await sub.reply()).toBe("*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$22\r\n__keyevent@0__:keymiss\r\n$7\r\nrl:none\r\n");
    } finally {
      await admin.call("CLIENT", "TRACKING", "off");
      await admin.call("CONFIG", "SET", "notify-keyspace-events", "");
    }
    // Off again: the loop takes the client's reads again (once TypeScript has marked it).
    await c.call("PING");
    const before = loop();
    expect(await c.call("GET", "rl:ev")).toBe("$1\r\n2\r\n");
    expect(loop() - before).toBe(1);
    sub.close();
    c.close();
  });

  it("shows a marked client's commands to a MONITOR started by another client", async () => {
    const c = await marked();
    const mon = await RawConn.open(srv.port);
    expect(await mon.call("MONITOR")).toBe("+OK\r\n");
    expect(await c.call("GET", "rl:mon")).toBe("$-1\r\n");
    expect(await mon.reply()).toMatch(/"GET" "rl:mon"/);
    mon.close();
    c.close();
  });

  it("holds a marked client's write while another client has paused writes", async () => {
    const c = await marked();
    expect(await admin.call("CLIENT", "PAUSE", "100000", "WRITE")).toBe("+OK\r\n");
    try {
      c.send("SET", "rl:p", "1");
      expect(await c.hasReplyWithin(150)).toBe(false);
      // Reads still run.
      expect(await admin.call("EXISTS", "rl:p")).toBe(":0\r\n");
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
    }
    expect(await c.reply()).toBe("+OK\r\n");
    c.close();
  });

  it("checks a marked client's commands once another client restricted its user", async () => {
    await admin.call("ACL", "SETUSER", "rl-user", "on", ">pw", "~*", "&*", "+@all");
    const c = await RawConn.open(srv.port);
    expect(await c.call("AUTH", "rl-user", "pw")).toBe("+OK\r\n");
    const before = loop();
    expect(await c.call("SET", "rl:acl", "1")).toBe("+OK\r\n");
    expect(loop() - before).toBe(1);
    await admin.call("ACL", "SETUSER", "rl-user", "-set");
    expect(await c.call("SET", "rl:acl", "2")).toMatch(/^-NOPERM/);
    expect(await c.call("GET", "rl:acl")).toBe("$1\r\n1\r\n");
    c.close();
    await admin.call("ACL", "DELUSER", "rl-user");
  });

  it("keeps pushes and replies in order for a tracking client", async () => {
    const c = await marked();
    expect(await c.call("HELLO", "3")).toMatch(/^%/);
    await c.call("CLIENT", "TRACKING", "ON");
    await c.call("SET", "rl:t", "1");
    expect(await c.call("GET", "rl:t")).toBe("$1\r\n1\r\n");
    await admin.call("SET", "rl:t", "2");
    c.send("GET", "rl:t");
    expect(await c.reply()).toBe(">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nrl:t\r\n");
    expect(await c.reply()).toBe("$1\r\n2\r\n");
    c.close();
  });

  it("answers big arguments that begin in a read the loop runs", async () => {
    const c = await marked();
    const big = Buffer.alloc(100 * 1024, "b");
    c.write(cmds(["SET", "rl:s", "small"], ["SET", "rl:big", big], ["GET", "rl:s"], ["STRLEN", "rl:big"]));
    expect(await replies(c, 4)).toEqual(["+OK\r\n", "+OK\r\n", "$5\r\nsmall\r\n", `:${big.length}\r\n`]);
    expect(await c.call("GET", "rl:big")).toBe(`$${big.length}\r\n${big.toString()}\r\n`);
    c.close();
  });

  it("sends what the kernel does not take, and replies bigger than the loop's arena, in order", async () => {
    const value = Buffer.alloc(300 * 1024, "v");
    await admin.call("SET", "rl:v", value);
    const huge = Buffer.alloc(3 * 1024 * 1024, "h");
    await admin.call("SET", "rl:h", huge);
    const c = await marked();
    c.sock.pause();
    const n = 30;
    c.write(cmds(...Array.from({ length: n }, (_, i) => (i === 7 ? ["GET", "rl:h"] : i % 2 === 0 ? ["GET", "rl:v"] : ["STRLEN", "rl:v"]))));
    await sleep(200);
    c.sock.resume();
    const got = await replies(c, n);
    for (let i = 0; i < n; i++) {
      const want = i === 7 ? `$${huge.length}\r\n${huge.toString()}\r\n` : i % 2 === 0 ? `$${value.length}\r\n${value.toString()}\r\n` : `:${value.length}\r\n`;
      expect(got[i] === want, `reply ${i}`).toBe(true);
    }
    // One GET of the big value alone: its reply spills past the loop's arena.
    expect((await c.call("GET", "rl:h")).length).toBe(huge.length + `$${huge.length}\r\n\r\n`.length);
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });

  it("runs in the client's db and RESP version, and not while its replies are off", async () => {
    const c = await marked();
    expect(await c.call("SELECT", "5")).toBe("+OK\r\n");
    expect(await c.call("HELLO", "3")).toMatch(/^%/);
    let before = loop();
    c.write(cmds(["HSET", "rl:h5", "f", "v"], ["HGETALL", "rl:h5"]));
    expect(await replies(c, 2)).toEqual([":1\r\n", "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"]);
    expect(loop() - before).toBe(2);
    expect(await admin.call("EXISTS", "rl:h5")).toBe(":0\r\n");
    c.send("CLIENT", "REPLY", "OFF");
    before = loop();
    c.write(cmds(["SET", "rl:off", "1"], ["INCR", "rl:off"]));
    c.write(cmds(["CLIENT", "REPLY", "ON"]));
    expect(await c.reply()).toBe("+OK\r\n");
    expect(loop()).toBe(before);
    expect(await c.call("GET", "rl:off")).toBe("$1\r\n2\r\n");
    c.close();
  });

  it("propagates what it ran by the command's bytes, one unit per command", async () => {
    const units: string[] = [];
    const stop = srv.server.writePath.onPropagate((ops) => units.push(ops.map((o) => `${o.db}:${o.argv.map(String).join(" ")}`).join(" | ")));
    try {
      const c = await marked();
      units.length = 0;
      const before = loop();
      c.write(cmds(["SET", "rl:p1", "a"], ["GET", "rl:p1"], ["INCR", "rl:p2"], ["RPOP", "rl:none"], ["HSET", "rl:p3", "f", "v"]));
      expect(await replies(c, 5)).toEqual(["+OK\r\n", "$1\r\na\r\n", ":1\r\n", "$-1\r\n", ":1\r\n"]);
      expect(loop() - before).toBe(5);
      expect(units).toEqual(["0:SET rl:p1 a", "0:INCR rl:p2", "0:HSET rl:p3 f v"]);
      c.close();
    } finally {
      stop();
    }
  });

  it("stays off with the AOF on or maxmemory set", async () => {
    const c = await marked();
    for (const [name, on, off] of [
      ["appendonly", "yes", "no"],
      ["maxmemory", "1gb", "0"],
    ]) {
      expect(await admin.call("CONFIG", "SET", name, on)).toBe("+OK\r\n");
      try {
        await c.call("PING");
        const before = loop();
        expect(await c.call("SET", "rl:cfg", name)).toBe("+OK\r\n");
        expect(loop(), name).toBe(before);
      } finally {
        await admin.call("CONFIG", "SET", name, off);
      }
      await c.call("PING");
      const before = loop();
      expect(await c.call("GET", "rl:cfg")).toBe(`$${name.length}\r\n${name}\r\n`);
      expect(loop() - before, name).toBe(1);
    }
    c.close();
  });

  it("runs with the turn's clock and the client's NO-TOUCH", async () => {
    const c = await marked();
    await admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await admin.call("SET", "rl:exp", "v", "PX", "30");
      await sleep(60);
      // Nothing has entered the engine since the SET: the loop must read the clock itself.
      const before = loop();
      expect(await c.call("GET", "rl:exp")).toBe("$-1\r\n");
      expect(loop() - before).toBe(1);
    } finally {
      await admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
    await admin.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    try {
      await admin.call("SET", "rl:lfu", "v");
      const freq = async () => admin.call("OBJECT", "FREQ", "rl:lfu");
      const f0 = await freq();
      expect(await c.call("CLIENT", "NO-TOUCH", "ON")).toBe("+OK\r\n");
      c.write(cmds(...Array.from({ length: 20 }, () => ["GET", "rl:lfu"])));
      await replies(c, 20);
      expect(await freq()).toBe(f0);
      expect(await c.call("CLIENT", "NO-TOUCH", "OFF")).toBe("+OK\r\n");
      const before = loop();
      c.write(cmds(...Array.from({ length: 20 }, () => ["GET", "rl:lfu"])));
      await replies(c, 20);
      expect(loop() - before).toBe(20);
      expect(await freq()).not.toBe(f0);
    } finally {
      await admin.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }
    c.close();
  });

  it("survives a client that goes away mid-pipeline", async () => {
    for (let k = 0; k < 5; k++) {
      const c = await marked();
      c.write(cmds(...Array.from({ length: 3000 }, (_, i) => ["INCR", `rl:gone${i % 10}`])));
      c.close();
    }
    const c = await marked();
    expect(await c.call("SET", "rl:after", "1")).toBe("+OK\r\n");
    const clients = async () => (await admin.call("CLIENT", "LIST")).split("\n").filter((l) => l.includes("id="));
    await waitFor(async () => (await clients()).length <= 2);
    expect(await clients()).toHaveLength(2);
    c.close();
  });

  it("reads a client that sends big arguments greedily: a big SET that came whole runs in the loop", async () => {
    const c = await marked();
    const values = Array.from({ length: 20 }, (_, i) => Buffer.alloc(100 * 1024, String.fromCharCode(97 + i)));
    // The first spans reads (16 KB, then the rest into its own Buffer); the later ones come in one read of about their size.
    const before = loop();
    for (let i = 0; i < values.length; i++) expect(await c.call("SET", `rl:big${i}`, values[i])).toBe("+OK\r\n");
    // Each write of a SET reaches the socket whole unless the machine splits it: one in twenty is plenty.
    expect(loop() - before).toBeGreaterThan(0);
    for (let i = 0; i < values.length; i++) expect((await c.call("GET", `rl:big${i}`)) === `$${values[i].length}\r\n${values[i].toString()}\r\n`).toBe(true);
    // Small commands again, a big value between them in one pipeline: all answered, in order.
    c.write(cmds(["SET", "rl:s1", "1"], ["SET", "rl:bigmid", values[0]], ["INCR", "rl:s1"], ["STRLEN", "rl:bigmid"]));
    expect(await replies(c, 4)).toEqual(["+OK\r\n", "+OK\r\n", ":2\r\n", `:${values[0].length}\r\n`]);
    for (let i = 0; i < 50; i++) expect(await c.call("INCR", "rl:s1")).toBe(`:${i + 3}\r\n`);
    c.close();
  });

  it("lets go of a socket when its client closes: the peer sees the end, no descriptor is left", async () => {
    // The addon watches a duplicate of each socket's descriptor: it must be closed with the client.
    const fds = () => fs.readdirSync("/proc/self/fd").length;
    const before = fds();
    const conns: RawConn[] = [];
    for (let i = 0; i < 20; i++) conns.push(await marked());
    const ids: string[] = [];
    for (const c of conns) ids.push((await c.call("CLIENT", "ID")).slice(1, -2));
    for (let i = 0; i < 10; i++) expect(await admin.call("CLIENT", "KILL", "ID", ids[i])).toBe(":1\r\n");
    for (let i = 0; i < 10; i++) expect(await conns[i].waitClosed(5000)).toBe(true);
    for (let i = 10; i < 20; i++) conns[i].close();
    await waitFor(() => fds() <= before);
    expect(fds()).toBeLessThanOrEqual(before);
    expect(await admin.call("PING")).toBe("+PONG\r\n");
  });

  it("frees a client reset with a command still unread: it runs, then the reset closes it", async () => {
    // Data and a reset arrive together: libuv reports the error once and stops
    // the socket's poll; the read takes the command (BLPOP blocks), and the reset
    // behind it must still be seen, or a blocked client stays with no socket.
    const count = async (field: string) => Number(await infoField(admin, "clients", field));
    const connected = await count("connected_clients");
    for (let i = 0; i < 20; i++) {
      const c = await RawConn.open(srv.port);
      c.write(cmds(["BLPOP", `rl:reset${i % 3}`, "0"]));
      c.sock.resetAndDestroy();
    }
    await waitFor(async () => (await count("connected_clients")) === connected && (await count("blocked_clients")) === 0);
    expect(await count("blocked_clients")).toBe(0);
    expect(await count("connected_clients")).toBe(connected);
    // Nothing was left waiting on the keys: a push stays in the list.
    expect(await admin.call("RPUSH", "rl:reset0", "x")).toBe(":1\r\n");
    expect(await admin.call("LLEN", "rl:reset0")).toBe(":1\r\n");
  });

  it("sends big GET replies of one turn whole when a later client of the turn changes or deletes the value", async () => {
    // Written in one tick, so the server reads all four sockets in one turn (in this order): the
    // GETs' replies are sent at the turn's end, after the writer's commands ran, and must still be
    // the value the GETs saw (a reply left pointing into the value would not be).
    const big = Buffer.alloc(100 * 1024, "a");
    big.write("head", 0);
    const reply = `$${big.length}\r\n${big.toString("latin1")}\r\n`;
    const readers = [await marked(), await marked(), await marked()];
    const writer = await marked();
    const other = Buffer.alloc(big.length, "z");
    // Each write is followed by a SET of another key with a value of the same size, which takes the
    // memory a freed value left (jemalloc hands it out again): a reply sent from freed memory shows it.
    const reuse = ["SET", "rl:other", other];
    const writes: [(string | Buffer)[][], string[]][] = [
      [[["DEL", "rl:big"], reuse], [":1\r\n", "+OK\r\n"]],
      [[["SET", "rl:big", other], reuse], ["+OK\r\n", "+OK\r\n"]],
      [[["APPEND", "rl:big", "tail"], reuse], [`:${big.length + 4}\r\n`, "+OK\r\n"]],
      [[["GETDEL", "rl:big"], reuse], [reply, "+OK\r\n"]],
      [[["MULTI"], ["DEL", "rl:big"], ["EXEC"], reuse], ["+OK\r\n", "+QUEUED\r\n", "*1\r\n:1\r\n", "+OK\r\n"]],
      // Read-only commands after them.
      [[["STRLEN", "rl:big"], ["GET", "rl:big"]], [`:${big.length}\r\n`, reply]],
    ];
    for (const [write, answers] of writes) {
      expect(await admin.call("SET", "rl:big", big)).toBe("+OK\r\n");
      const before = loop();
      for (const r of readers) r.write(cmds(["GET", "rl:big"]));
      writer.write(cmds(...write));
      for (const r of readers) expect(await r.reply()).toBe(reply);
      expect(await replies(writer, answers.length)).toEqual(answers);
      // Every command ran in the loop (MULTI and EXEC count as commands there; no replica yet, so transactions run there).
      expect([write[0][0], loop() - before]).toEqual([write[0][0], readers.length + write.length]);
    }
    for (const c of [...readers, writer]) c.close();
  });

  it("runs the turn's clients with keyspace events on, publishing their events and PUBLISH messages in the order they ran", async () => {
    const sub = await RawConn.open(srv.port);
    await sub.call("PSUBSCRIBE", "*");
    await admin.call("CONFIG", "SET", "notify-keyspace-events", "KE$");
    try {
      const a = await marked();
      const b = await marked();
      const c = await marked();
      const before = loop();
      // Written in one tick: the server reads the three sockets in one turn, in this order.
      a.write(cmds(["SET", "rl:e1", "1"], ["SET", "rl:e2", "1"]));
      b.write(cmds(["SET", "rl:e3", "1"], ["PUBLISH", "rl:chan", "m"], ["SET", "rl:e4", "1"]));
      c.write(cmds(["GET", "rl:e1"], ["SET", "rl:e5", "1"]));
      expect(await replies(a, 2)).toEqual(["+OK\r\n", "+OK\r\n"]);
      expect(await replies(b, 3)).toEqual(["+OK\r\n", ":1\r\n", "+OK\r\n"]);
      expect(await replies(c, 2)).toEqual(["$1\r\n1\r\n", "+OK\r\n"]);
      // The loop ran a's commands and b's first SET at least (a PUBLISH after an event goes to TypeScript).
      expect(loop() - before).toBeGreaterThanOrEqual(3);
      // Each SET's two events (keyspace, keyevent), and b's message between its SETs' events.
      const got: string[] = [];
      for (let i = 0; i < 11; i++) {
        const m = await sub.reply();
        got.push(m.includes("__keyevent@0__:set") ? `ev:${m.split("\r\n")[8]}` : m.includes("__keyspace@0__:") ? `ks:${m.split("\r\n")[6].slice(15)}` : m.split("\r\n")[6]);
      }
      const at = (x: string) => got.indexOf(x);
      for (const k of ["rl:e1", "rl:e2", "rl:e3", "rl:e4", "rl:e5"]) expect(at(`ks:${k}`), k).toBe(at(`ev:${k}`) - 1);
      expect(at("ev:rl:e1")).toBeLessThan(at("ks:rl:e2"));
      expect(at("ev:rl:e3")).toBeLessThan(at("rl:chan"));
      expect(at("rl:chan")).toBeLessThan(at("ks:rl:e4"));
      a.close();
      b.close();
      c.close();
    } finally {
      await admin.call("CONFIG", "SET", "notify-keyspace-events", "");
      sub.close();
    }
  });

  it("moves the client's replication offset: WAIT waits for what the loop ran", async () => {
    // A replica that acknowledges the stream as it stands now, and nothing later.
    await admin.call("CONFIG", "SET", "repl-diskless-sync-delay", "0");
    const replica = await RawConn.open(srv.port);
    replica.send("PSYNC", "?", "-1");
    expect(await replica.reply()).toMatch(/^\+FULLRESYNC/);
    try {
      expect(await waitFor(async () => /slave0:.*state=online/.test(await admin.call("INFO", "replication")))).toBe(true);
      const offset = /master_repl_offset:(\d+)/.exec(await admin.call("INFO", "replication"))![1];
      replica.send("REPLCONF", "ACK", offset);
      const c = await marked();
      expect(await c.call("WAIT", "1", "5000")).toBe(":1\r\n");
      const before = loop();
      expect(await c.call("SET", "rl:wait", "1")).toBe("+OK\r\n");
      expect(loop() - before).toBe(1);
      expect(await c.call("WAIT", "1", "50")).toBe(":0\r\n");
      c.close();
    } finally {
      replica.close();
    }
  });
});
