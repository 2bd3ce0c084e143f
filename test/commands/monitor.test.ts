/** MONITOR: Redis's line format, redaction, admin commands hidden, leaving on close. */
import { describe, expect, it } from "vitest";
import { useNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

describe("MONITOR", () => {
  it("streams every other client's commands in Redis's format", async () => {
    const mon = await RawConn.open(srv.port);
    expect(await mon.call("MONITOR")).toBe("+OK\r\n");
    const c = await RawConn.open(srv.port);
    await c.call("SELECT", "2");
    const port = Number(c.sock.localPort);
    await c.call("SET", "k", 'a "q"\n\x01');
    await c.call("AUTH", "user", "pass");
    await c.call("CONFIG", "RESETSTAT"); // admin: not shown
    await c.call("PING");
    const lines: string[] = [];
    while (lines.length < 4) lines.push(await mon.reply());
    expect(lines[0]).toMatch(new RegExp(`^\\+\\d{10}\\.\\d{6} \\[2 127\\.0\\.0\\.1:${port}\\] "SELECT" "2"\r\n$`));
    expect(lines[1]).toMatch(new RegExp(`^\\+\\d+\\.\\d{6} \\[2 127\\.0\\.0\\.1:${port}\\] "SET" "k" "a \\\\"q\\\\"\\\\n\\\\x01"\r\n$`));
    expect(lines[2]).toMatch(/\] "AUTH" "\(redacted\)" "\(redacted\)"\r\n$/);
    expect(lines[3]).toMatch(/\] "PING"\r\n$/);
    const stamp = Number(lines[0].slice(1, lines[0].indexOf(" ")));
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(5);
    expect(await mon.hasReplyWithin(50)).toBe(false);
    c.close();
    mon.close();
  });

  it("shows the client as a monitor and stops feeding it once closed", async () => {
    const mon = await RawConn.open(srv.port);
    await mon.call("MONITOR");
    const c = await RawConn.open(srv.port);
    expect(await c.call("CLIENT", "LIST")).toMatch(/flags=O /); // admin: not fed to the monitor
    await c.call("ECHO", "x");
    expect(await mon.reply()).toMatch(/\] "ECHO" "x"\r\n$/);
    mon.close();
    // Until the server has seen the close.
    expect(await until(() => c.call("CLIENT", "LIST"), (list) => !/flags=O /.test(list))).not.toMatch(/flags=O /);
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });
});
