/** SHUTDOWN options and TIME. */
import { afterEach, describe, expect, it } from "vitest";
import { startNodis } from "../helpers/nodis.js";
import { waitFor } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

describe("SHUTDOWN", () => {
  it("rejects bad option combinations and ABORT without a shutdown in progress", async () => {
    srv = await startNodis();
    const c = await RawConn.open(srv.port);
    expect(await c.call("SHUTDOWN", "BOGUS")).toBe("-ERR syntax error\r\n");
    expect(await c.call("SHUTDOWN", "SAVE", "NOSAVE")).toBe("-ERR syntax error\r\n");
    expect(await c.call("SHUTDOWN", "ABORT", "NOW")).toBe("-ERR syntax error\r\n");
    expect(await c.call("SHUTDOWN", "ABORT")).toBe("-ERR No shutdown in progress.\r\n");
    // SHUTDOWN SAVE (saving, or refusing when the save fails) is in test/persistence/rdb.test.ts.
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });

  it("stops the server and closes connections without a reply", async () => {
    srv = await startNodis({ save: "" });
    let stopped = false;
    srv.server.onShutdown = () => {
      stopped = true;
    };
    const c = await RawConn.open(srv.port);
    const other = await RawConn.open(srv.port);
    c.send("SHUTDOWN", "NOSAVE", "NOW");
    expect(await c.waitClosed()).toBe(true);
    expect(c.pendingText).toBe("");
    expect(await other.waitClosed()).toBe(true);
    expect(await waitFor(() => stopped)).toBe(true);
  });

  it("TIME gives seconds and microseconds", async () => {
    srv = await startNodis();
    const c = await RawConn.open(srv.port);
    const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$/.exec(await c.call("TIME"));
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(2);
    expect(Number(m![2])).toBeLessThan(1e6);
    c.close();
  });
});
