/**
 * The query buffer as CLIENT LIST shows it (qbuf, qbuf-free, tot-mem) and the
 * output limits over a command's own replies, on Nodis and redis-server side by
 * side: the same sequence on both, the same outcome (Redis 7.2's sizes are
 * checked by their bounds, which hold for 7.0 too).
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { useServerPair } from "../helpers/pair.js";
import { RespConnection, encodeCommand } from "../diff/resp.js";
import { until, waitFor } from "../helpers/wait.js";

/** The fields of the CLIENT LIST line of the client named `name`, or null when it is gone. */
async function clientFields(admin: RespConnection, name: string): Promise<Record<string, number> | null> {
  const list = (await admin.call("CLIENT", "LIST")).toString();
  const line = list.split("\n").find((l) => l.includes(` name=${name} `));
  if (!line) return null;
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/([a-z-]+)=(\d+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

/** A raw client socket named `name` (its SETNAME answered). */
async function namedSocket(port: number, name: string): Promise<net.Socket> {
  const sock = net.connect(port, "127.0.0.1");
  sock.on("error", () => {});
  await new Promise((res) => sock.once("connect", res));
  sock.write(encodeCommand(["CLIENT", "SETNAME", name]));
  await new Promise((res) => sock.once("data", res));
  return sock;
}

/** Everything `sock` receives until the server closes it. */
function received(sock: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  sock.on("data", (b) => chunks.push(b));
  return new Promise((res) => sock.once("close", () => res(Buffer.concat(chunks))));
}

describe("query buffer and output limits, as Redis", () => {
  const p = useServerPair({ events: false });
  const both = () => [
    { admin: p.mine, port: p.nodis.port },
    { admin: p.theirs, port: p.oracle.port },
  ];

  it("a big argument's room is taken as soon as its header is read, then shrinks back", async () => {
    for (const { admin, port } of both()) {
      await admin.call("CONFIG", "SET", "hz", "100");
      const sock = await namedSocket(port, "bigarg");
      const n = 300_000;
      sock.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${n}\r\n${"v".repeat(1000)}`);
      const f = await until(
        () => clientFields(admin, "bigarg"),
        (f) => f !== null && f.qbuf > 0,
      );
      // Redis makes room for the whole argument when it parses the header.
      expect(f!.qbuf + f!["qbuf-free"]).toBeGreaterThanOrEqual(n);
      expect(f!["tot-mem"]).toBeGreaterThanOrEqual(n);
      sock.write("v".repeat(n - 1000) + "\r\n");
      await new Promise((res) => sock.once("data", res));
      // Not idle, but the buffer is far over its recent peak: the cron shrinks it.
      const after = await until(
        async () => {
          sock.write(encodeCommand(["PING"]));
          return clientFields(admin, "bigarg");
        },
        (f) => f !== null && f.qbuf + f["qbuf-free"] < 32 * 1024,
      );
      expect(after!.qbuf + after!["qbuf-free"]).toBeLessThan(32 * 1024);
      sock.destroy();
      await admin.call("CONFIG", "SET", "hz", "10");
    }
  });

  it("a fresh client's 16 KB buffer is let go once it is idle for over 2 seconds", async () => {
    for (const { admin, port } of both()) {
      await admin.call("CONFIG", "SET", "hz", "100");
      const sock = await namedSocket(port, "idler");
      const first = (await clientFields(admin, "idler"))!;
      expect(first.qbuf + first["qbuf-free"]).toBeGreaterThanOrEqual(16 * 1024);
      expect(first.qbuf + first["qbuf-free"]).toBeLessThan(32 * 1024);
      const idle = await until(
        () => clientFields(admin, "idler"),
        (f) => f !== null && f.qbuf + f["qbuf-free"] === 0,
        { everyMs: 100 },
      );
      expect(idle!.qbuf + idle!["qbuf-free"]).toBe(0);
      expect(idle!.idle).toBeGreaterThanOrEqual(2);
      sock.destroy();
      await admin.call("CONFIG", "SET", "hz", "10");
    }
  });

  it("the reply buffer shrinks on an idle client and grows back on big replies (rbs, rbp)", async () => {
    await p.reset();
    for (const { admin, port } of both()) {
      await admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100");
      const sock = await namedSocket(port, "rb");
      const idle = await until(
        () => clientFields(admin, "rb"),
        (f) => f !== null && f.rbs < 2046,
        { everyMs: 50 },
      );
      expect(idle!.rbs).toBeGreaterThanOrEqual(1024);
      expect(idle!.rbs).toBeLessThan(2046);
      await admin.call("SET", "bigval", "x".repeat(32768));
      await admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never");
      const busy = await until(
        async () => {
          sock.write(encodeCommand(["GET", "bigval"]));
          return clientFields(admin, "rb");
        },
        (f) => f !== null && f.rbs >= 16384,
        { everyMs: 50 },
      );
      expect(busy!.rbs).toBeGreaterThanOrEqual(16384);
      expect(busy!.rbs).toBeLessThan(32768);
      expect(busy!.rbp).toBeGreaterThan(0);
      await admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset");
      expect((await admin.call("DEBUG", "REPLYBUFFER", "NOSUCH", "1")).toString()).toBe(
        "-ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP.\r\n",
      );
      expect((await admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "abc")).toString()).toBe("-ERR value is not an integer or out of range\r\n");
      sock.destroy();
    }
  });

  it("a reply over the hard limit closes the client before any of it is sent", async () => {
    await p.reset();
    for (const { admin, port } of both()) {
      for (let i = 0; i < 150; i++) await admin.call("RPUSH", "mylist", "x".repeat(1000));
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0");
      const sock = await namedSocket(port, "biglist");
      const got = received(sock);
      sock.write(encodeCommand(["LRANGE", "mylist", "0", "-1"]));
      expect((await got).length).toBe(0);
      expect(await waitFor(async () => (await clientFields(admin, "biglist")) === null)).toBe(true);
      // A pipeline: the commands before the limit ran, none is answered, the rest do not run.
      const sock2 = await namedSocket(port, "pipe");
      const got2 = received(sock2);
      let cmds = "";
      for (let i = 0; i < 3; i++) cmds += `LRANGE mylist 0 -1\r\nSET after${i} 1\r\n`;
      sock2.write(cmds);
      expect((await got2).length).toBe(0);
      expect((await admin.call("EXISTS", "after0")).toString()).toBe(":0\r\n");
      // The same as multibulk commands.
      const sock2m = await namedSocket(port, "pipem");
      const got2m = received(sock2m);
      sock2m.write(Buffer.concat([0, 1, 2].flatMap((i) => [encodeCommand(["LRANGE", "mylist", "0", "-1"]), encodeCommand(["SET", `afterm${i}`, "1"])])));
      expect((await got2m).length).toBe(0);
      expect((await admin.call("EXISTS", "afterm0")).toString()).toBe(":0\r\n");
      // A transaction runs whole even though its replies go over the limit.
      const sock3 = await namedSocket(port, "tx");
      const got3 = received(sock3);
      sock3.write("MULTI\r\nSET k2 v2\r\nLRANGE mylist 0 -1\r\nSET k3 v3\r\nEXEC\r\n");
      expect((await got3).length).toBe(0);
      expect((await admin.call("GET", "k3")).toString()).toBe("$2\r\nv3\r\n");
      // KEYS: Redis writes its length after the keys, so all of its ~106 KB counts (no 16 KB buffer spared).
      await admin.send(Array.from({ length: 1000 }, (_, i) => ["SET", `${"k".repeat(100)}${i}`, "v"]));
      const sock4 = await namedSocket(port, "keys");
      const got4 = received(sock4);
      sock4.write(encodeCommand(["KEYS", "kkk*"]));
      expect((await got4).length).toBe(0);
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
    }
  });

  it("a command replying in a loop stops once the client is over its hard limit", async () => {
    await p.reset();
    for (const { admin, port } of both()) {
      await admin.call("HSET", "h", "a", "b");
      await admin.call("SADD", "s", "a");
      await admin.call("ZADD", "z", "1", "a");
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0");
      // Billions of repeated draws: without the stop this would build gigabytes of reply.
      for (const cmd of [["HRANDFIELD", "h", "-999999999"], ["SRANDMEMBER", "s", "-999999999"], ["ZRANDMEMBER", "z", "-999999999"]]) {
        const sock = await namedSocket(port, "huge");
        const got = received(sock);
        sock.write(encodeCommand(cmd));
        expect((await got).length).toBe(0);
      }
      // A script's own calls are not capped: their replies are not the client's.
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0");
      expect((await admin.call("EVAL", "return #redis.call('hrandfield', KEYS[1], -50000)", "1", "h")).toString()).toBe(":50000\r\n");
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
    }
  });
});
