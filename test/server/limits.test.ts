/** Client limits: query buffer, output buffer classes, slow readers, idle timeout. */
import net from "node:net";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { rawExchange, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";
import { socketWriteCount } from "../../src/server/socket-write.js";
import { sleep, until, waitFor } from "../helpers/wait.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

const set = (name: string, ...words: string[]) => expect(srv.server.config.set(name, words)).toBeNull();

describe("client-query-buffer-limit", () => {
  it("closes a client whose unparsed input passes the limit, without a reply", async () => {
    set("client-query-buffer-limit", "1048576");
    try {
      const c = await RawConn.open(srv.port);
      // A declared 2MB bulk (allowed by proto-max-bulk-len) that fills the query buffer.
      c.write("*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$2000000\r\n");
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      for (let i = 0; i < 20 && !c.closed; i++) {
        c.write(chunk);
        await sleep(5);
      }
      expect(await c.waitClosed()).toBe(true);
      expect(c.pendingText).toBe("");
      const d = await RawConn.open(srv.port);
      expect(await d.call("EXISTS", "q")).toBe(":0\r\n");
      d.close();
    } finally {
      set("client-query-buffer-limit", "1gb");
    }
  });

  it("also counts the parsed arguments of an unfinished command", async () => {
    set("client-query-buffer-limit", "1048576");
    try {
      const c = await RawConn.open(srv.port);
      c.write("*100000000\r\n");
      const args = Buffer.from("$1\r\na\r\n".repeat(4096));
      for (let i = 0; i < 40 && !c.closed; i++) {
        c.write(args);
        await sleep(5);
      }
      expect(await c.waitClosed()).toBe(true);
    } finally {
      set("client-query-buffer-limit", "1gb");
    }
  });

  it("lets a big argument under the limit through", async () => {
    const c = await RawConn.open(srv.port);
    const v = Buffer.alloc(2 * 1024 * 1024, 0x79);
    c.send("SET", "q2", v);
    expect(await c.reply(10000)).toBe("+OK\r\n");
    c.close();
  });
});

describe("client-output-buffer-limit", () => {
  it("with normal 0 0 0, stops reading from a client that does not read its replies", async () => {
    const c = await RawConn.open(srv.port);
    const big = Buffer.alloc(1024 * 1024, 0x7a);
    expect(await c.call("SET", "obig", big)).toMatch(/^\+OK/);
    c.sock.pause(); // a slow reader
    const get = Buffer.from("*2\r\n$3\r\nGET\r\n$4\r\nobig\r\n");
    for (let i = 0; i < 200; i++) c.write(get);
    const client = [...srv.server.clients.values()].at(-1)!;
    // Until the server stops reading from it (however long the GETs take here).
    expect(await waitFor(() => client.readingPaused())).toBe(true);
    // Output stopped growing near the pause threshold instead of reaching 200MB.
    expect(client.socket.writableLength).toBeLessThan(64 * 1024 * 1024);
    // Reading again drains everything, in order.
    let got = 0;
    c.sock.resume();
    for (; got < 200; got++) expect((await c.reply(10000)).length).toBe(1024 * 1024 + 12); // "$1048576\r\n" + value + CRLF
    c.close();
  });

  it("closes a normal client over the hard limit", async () => {
    set("client-output-buffer-limit", "normal", "2mb", "0", "0");
    try {
      const before = srv.server.outputLimitDisconnections;
      const c = await RawConn.open(srv.port);
      c.sock.pause();
      const get = Buffer.from("*2\r\n$3\r\nGET\r\n$4\r\nobig\r\n");
      for (let i = 0; i < 50; i++) c.write(get);
      // The server closes it while it still does not read; then it sees the close.
      expect(await until(() => srv.server.outputLimitDisconnections, (n) => n > before)).toBe(before + 1);
      c.sock.resume();
      expect(await c.waitClosed(5000)).toBe(true);
    } finally {
      set("client-output-buffer-limit", "normal", "0", "0", "0");
    }
  });

  it("closes a client over the soft limit for longer than its seconds", async () => {
    set("client-output-buffer-limit", "normal", "0", "1mb", "1");
    try {
      const before = srv.server.outputLimitDisconnections;
      const c = await RawConn.open(srv.port);
      c.sock.pause();
      const get = Buffer.from("*2\r\n$3\r\nGET\r\n$4\r\nobig\r\n");
      for (let i = 0; i < 10; i++) c.write(get);
      const client = [...srv.server.clients.values()].at(-1)!;
      // Over the soft limit, not yet closed: it gets its seconds.
      expect(await waitFor(() => client.softLimitSince !== 0)).toBe(true);
      const since = client.softLimitSince;
      expect(client.closed).toBe(false);
      // Closed by the cron once over the soft limit for more than a second (Redis's test: > soft seconds).
      expect(await until(() => srv.server.outputLimitDisconnections, (n) => n > before)).toBe(before + 1);
      expect(Date.now() - since).toBeGreaterThanOrEqual(2000);
      c.sock.resume();
      expect(await c.waitClosed(5000)).toBe(true);
    } finally {
      set("client-output-buffer-limit", "normal", "0", "0", "0");
    }
  });
});

describe("client-output-buffer-limit pubsub class", () => {
  it("closes a subscriber that does not read pushed messages, not a normal client", async () => {
    set("client-output-buffer-limit", "pubsub", "256kb", "0", "0");
    try {
      const sub = await RawConn.open(srv.port);
      const normal = await RawConn.open(srv.port);
      const ids = await Promise.all([sub, normal].map(async (c) => Number((await c.call("CLIENT", "ID")).slice(1, -2))));
      const [cs, cn] = ids.map((id) => srv.server.clients.get(id)!);
      cs.flags.add("pubsub");
      expect(cs.type()).toBe("pubsub");
      sub.sock.pause();
      normal.sock.pause();
      const msg = Buffer.alloc(64 * 1024, 0x6d);
      for (let i = 0; i < 100 && !cs.closed; i++) {
        srv.server.writeTo(cs, msg);
        srv.server.writeTo(cn, msg);
      }
      expect(cs.closed).toBe(true);
      expect(cn.closed).toBe(false);
      normal.close();
      sub.close();
    } finally {
      set("client-output-buffer-limit", "pubsub", "32mb", "8mb", "60");
    }
  });
});

describe("timeout", () => {
  it("closes idle clients, not active ones", async () => {
    set("timeout", "1");
    try {
      const idle = await RawConn.open(srv.port);
      const busy = await RawConn.open(srv.port);
      // The busy one speaks every 100ms until the idle one is closed.
      const closed = await waitFor(
        async () => {
          expect(await busy.call("PING")).toBe("+PONG\r\n");
          return idle.closed;
        },
        { everyMs: 100 },
      );
      expect(closed).toBe(true);
      expect(busy.closed).toBe(false);
      busy.close();
    } finally {
      set("timeout", "0");
    }
  });
});

describe("replies for one read go out in one write", () => {
  it("writes a pipeline's replies with one socket write", async () => {
    const c = await RawConn.open(srv.port);
    await c.call("PING");
    const before = socketWriteCount();
    // OBJECT first (a container, which the batch path leaves): the read loop leaves the whole read to JavaScript, whose writes are counted here.
    c.write("OBJECT ENCODING nokey\r\nPING\r\n*1\r\n$4\r\nPING\r\nECHO x\r\n");
    let got = "";
    for (let i = 0; i < 4; i++) got += await c.reply();
    expect(got).toBe("$-1\r\n+PONG\r\n+PONG\r\n$1\r\nx\r\n");
    expect(socketWriteCount() - before).toBe(1);
    c.close();
  });
});

/** A non-loopback IPv4 address of this machine, if any. */
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

describe.runIf(external)("protected mode", () => {
  it("denies non-loopback clients while the default user has no password", async () => {
    set("bind", "127.0.0.1", external!);
    try {
      const denied = await new Promise<{ data: string; closed: boolean }>((resolve) => {
        const sock = net.connect(srv.port, external!);
        let data = "";
        sock.on("data", (d) => (data += d.toString("latin1")));
        sock.on("close", () => resolve({ data, closed: true }));
        sock.on("error", () => {});
      });
      expect(denied.data).toMatch(/^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. .* the outside\.\r\n$/);
      expect(denied.closed).toBe(true);
      set("protected-mode", "no");
      const ok = await new Promise<string>((resolve) => {
        const sock = net.connect(srv.port, external!, () => sock.write("PING\r\n"));
        sock.on("data", (d) => {
          resolve(d.toString("latin1"));
          sock.destroy();
        });
        sock.on("error", () => {});
      });
      expect(ok).toBe("+PONG\r\n");
      // Loopback clients are always served.
      set("protected-mode", "yes");
      expect((await rawExchange(srv.port, "PING\r\n", (d) => d.length >= 7)).data).toBe("+PONG\r\n");
    } finally {
      set("protected-mode", "yes");
      set("bind", "127.0.0.1");
    }
  });
});
