/**
 * The read loop's quiet turns (native/src/api/reads.rs Carry): a turn whose
 * reads all ran whole in the loop, every reply sent, nothing propagating, does
 * not call JavaScript; its batches wait to be counted with later ones. What
 * they count must be there for anything that reads it: another client's
 * command, closing their client, CONFIG RESETSTAT, the cron.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { readsWaiting } from "../../src/server/native-reads.js";
import { infoField, markedConn, RawConn } from "./raw-conn.js";
import { waitFor } from "../helpers/wait.js";

describe("batches of quiet turns waiting in the read loop", () => {
  let srv: RunningServer;
  let admin: RawConn;
  const loop = () => srv.server.batchPath.loopCommands;
  const marked = () => markedConn(srv.port);
  const calls = async () => Number(/cmdstat_incr:calls=(\d+)/.exec(await admin.call("INFO", "commandstats"))?.[1] ?? 0);

  beforeAll(async () => {
    srv = await startNodis({});
    admin = await RawConn.open(srv.port);
    // The cron settles them too: at hz 1 it does not run between a reply and a look at what waits.
    await admin.call("CONFIG", "SET", "hz", "1");
  });
  afterAll(async () => {
    admin.close();
    await srv.close();
  });

  it("are counted before another client's command, a close or CONFIG RESETSTAT reads what they count", async () => {
    const conns = await Promise.all(Array.from({ length: 6 }, () => marked()));
    const before = await calls();
    const total = Number(await infoField(admin, "stats", "total_commands_processed"));
    // One command per read: each turn's batches ran whole and every reply went out.
    for (let i = 0; i < 40; i++) await Promise.all(conns.map((c, n) => c.call("INCR", `rl:quiet:${n}`)));
    loop();
    expect(readsWaiting()).toBe(0);
    expect(await conns[0].call("INCR", "rl:quiet:0")).toBe(":41\r\n");
    expect(readsWaiting(), "the last INCR's batch waits in the loop").toBeGreaterThan(0);
    // Another client's command sees them all counted.
    expect(await calls()).toBe(before + 241);
    expect(readsWaiting()).toBe(0);
    expect(Number(await infoField(admin, "stats", "total_commands_processed"))).toBe(total + 1 + 241 + 1);
    // A client closed while its last batch waits: counted.
    expect(await conns[1].call("INCR", "rl:quiet:1")).toBe(":41\r\n");
    expect(readsWaiting()).toBeGreaterThan(0);
    conns[1].close();
    await waitFor(() => readsWaiting() === 0);
    expect(await calls()).toBe(before + 242);
    // CONFIG RESETSTAT counts what waited first, then zeroes it all.
    expect(await conns[2].call("INCR", "rl:quiet:2")).toBe(":41\r\n");
    expect(readsWaiting()).toBeGreaterThan(0);
    expect(await admin.call("CONFIG", "RESETSTAT")).toBe("+OK\r\n");
    expect(await calls()).toBe(0);
    for (const c of conns) c.close();
  });

  it("keep their client active to the cron's idle timeout", async () => {
    await admin.call("CONFIG", "SET", "timeout", "1");
    await admin.call("CONFIG", "SET", "hz", "10");
    try {
      const c = await marked();
      // Only this client's quiet turns for 2.4 s: what waits is settled by the cron, which sees it active.
      for (let i = 1; i <= 12; i++) {
        expect(await c.call("INCR", "rl:alive")).toBe(`:${i}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await c.call("PING")).toBe("+PONG\r\n");
      c.close();
    } finally {
      // The idle admin connection was timed out meanwhile.
      admin.close();
      admin = await RawConn.open(srv.port);
      await admin.call("CONFIG", "SET", "timeout", "0");
      await admin.call("CONFIG", "SET", "hz", "1");
    }
  });
});
