/**
 * CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO: replies and errors against
 * redis-server byte for byte, and the state other commands show (CLIENT LIST
 * flags and redir=, INFO's tracking fields, RESET, closing).
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";
import { waitFor } from "../helpers/wait.js";
import { record, sameOnBoth, type Scene } from "./scenario.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

/** Plays `play` on Nodis and on redis-server and expects the same record. */
const same = (play: (s: Scene) => Promise<void>) => sameOnBoth(srv.port, play);

const differential = haveRedisServer() ? it : it.skip;

describe("CLIENT TRACKING options and errors", () => {
  differential("answers every option combination as redis-server", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      const other = await s.open("other");
      for (const resp of ["2", "3"]) {
        await a.hello(resp);
        await a.call("CLIENT", "TRACKING", "on", "optin", "optout");
        await a.call("CLIENT", "TRACKING", "on", "bcast", "optin");
        await a.call("CLIENT", "TRACKING", "on", "bcast", "optout");
        await a.call("CLIENT", "TRACKING", "on", "prefix", "x");
        await a.call("CLIENT", "TRACKING", "on", "redirect", "0");
        await a.call("CLIENT", "TRACKING", "on", "redirect", "999999");
        await a.call("CLIENT", "TRACKING", "on", "redirect", "x");
        await a.call("CLIENT", "TRACKING", "on", "redirect", other.id, "redirect", other.id);
        await a.call("CLIENT", "TRACKING", "off", "redirect", "999999");
        await a.call("CLIENT", "TRACKING", "maybe");
        await a.call("CLIENT", "TRACKING", "on", "bogus");
        await a.call("CLIENT", "TRACKING", "on", "redirect");
        await a.call("CLIENT", "TRACKING", "on", "bcast", "prefix");
        await a.call("CLIENT", "TRACKING");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "GETREDIR");
        await a.call("CLIENT", "CACHING", "yes");
        await a.call("CLIENT", "TRACKING", "on", "OPTIN", "redirect", other.id, "NOLOOP");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "GETREDIR");
        await a.call("CLIENT", "CACHING", "no");
        await a.call("CLIENT", "CACHING", "maybe");
        await a.call("CLIENT", "CACHING", "YES");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "TRACKING", "on", "optout");
        await a.call("CLIENT", "TRACKING", "on", "bcast");
        await a.call("CLIENT", "TRACKING", "on");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "TRACKING", "off");
        await a.call("CLIENT", "TRACKING", "on", "optout");
        await a.call("CLIENT", "CACHING", "no");
        await a.call("CLIENT", "CACHING", "yes");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "TRACKING", "off");
        await a.call("CLIENT", "TRACKINGINFO");
        await a.call("CLIENT", "GETREDIR");
        await a.call("CLIENT", "CACHING", "yes", "no");
        await a.call("CLIENT", "GETREDIR", "x");
        await a.call("CLIENT", "TRACKINGINFO", "x");
      }
    });
    expect(log).toContain(`a "-ERR You can't specify both OPTIN mode and OPTOUT mode\\r\\n"`);
  });

  differential("checks BCAST prefixes for overlaps as redis-server (two replies when a later pair overlaps)", async () => {
    const log = await same(async (s) => {
      const a = await s.open("a");
      await a.hello("3");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "FOOBAR");
      await a.call("CLIENT", "TRACKINGINFO");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FO");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "BARB");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "BAZ", "PREFIX", "QUX");
      await a.call("CLIENT", "TRACKINGINFO");
      // Redis answers the error for the second pair and then enables the prefixes anyway.
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "PREFIX", "bc");
      await a.read();
      await a.call("CLIENT", "TRACKINGINFO");
      await a.call("CLIENT", "TRACKING", "on", "BCAST");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x");
      await a.call("CLIENT", "TRACKINGINFO");
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("CLIENT", "TRACKINGINFO");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "", "PREFIX", "z");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", Buffer.from("p\0q"), "PREFIX", "p");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", Buffer.from([0xff, 0xfe, 0x0d]), "PREFIX", Buffer.from([0xff]));
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", Buffer.from([0xc3, 0xa9, 0xff]));
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", Buffer.from([0xc3]));
      await a.call("CLIENT", "TRACKINGINFO");
      await a.call("CLIENT", "TRACKING", "off");
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", Buffer.from("p\0q"));
      await a.call("CLIENT", "TRACKINGINFO");
      await a.hello("2");
      await a.call("CLIENT", "TRACKINGINFO");
    });
    expect(log.filter((l) => l.includes("overlaps")).length).toBeGreaterThanOrEqual(6);
  });
});

/** CLIENT INFO's fields of a connection. */
async function clientInfo(c: RawConn): Promise<Record<string, string>> {
  const reply = await c.call("CLIENT", "INFO");
  const line = reply.slice(reply.indexOf("\r\n") + 2, -3);
  return Object.fromEntries(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

async function info(c: RawConn): Promise<Record<string, string>> {
  const reply = await c.call("INFO", "everything");
  return Object.fromEntries(reply.split("\r\n").filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
}

describe("tracking state shown elsewhere", () => {
  it("shows flags t, B, R and redir= in CLIENT LIST", async () => {
    const a = await RawConn.open(srv.port);
    const b = await RawConn.open(srv.port);
    const idb = Number((await b.call("CLIENT", "ID")).slice(1, -2));
    expect(await clientInfo(a)).toMatchObject({ flags: "N", redir: "-1" });
    expect(await a.call("CLIENT", "TRACKING", "on")).toBe("+OK\r\n");
    expect(await clientInfo(a)).toMatchObject({ flags: "t", redir: "0" });
    expect(await a.call("CLIENT", "TRACKING", "on", "REDIRECT", String(idb))).toBe("+OK\r\n");
    expect(await clientInfo(a)).toMatchObject({ flags: "t", redir: String(idb) });
    expect(await a.call("CLIENT", "TRACKING", "off")).toBe("+OK\r\n");
    expect(await a.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", String(idb))).toBe("+OK\r\n");
    expect(await clientInfo(a)).toMatchObject({ flags: "tB", redir: String(idb) });
    expect(await a.call("CLIENT", "TRACKING", "off")).toBe("+OK\r\n");
    expect(await clientInfo(a)).toMatchObject({ flags: "N", redir: "-1" });
    a.close();
    b.close();
  });

  it("counts tracking clients, remembered keys, items and prefixes in INFO", async () => {
    const a = await RawConn.open(srv.port);
    const b = await RawConn.open(srv.port);
    const c = await RawConn.open(srv.port);
    expect(await info(a)).toMatchObject({ tracking_clients: "0", tracking_total_keys: "0", tracking_total_items: "0", tracking_total_prefixes: "0" });
    await a.call("CLIENT", "TRACKING", "on");
    await b.call("CLIENT", "TRACKING", "on");
    await a.call("GET", "k1");
    await a.call("MGET", "k1", "k2", "k3");
    await b.call("GET", "k2");
    await b.call("SET", "k9", "v"); // not read-only: nothing remembered
    await c.call("GET", "k4"); // not tracking
    expect(await info(c)).toMatchObject({ tracking_clients: "2", tracking_total_keys: "3", tracking_total_items: "4", tracking_total_prefixes: "0" });
    await c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x:", "PREFIX", "y:");
    await c.call("GET", "k5"); // BCAST clients remember nothing
    expect(await info(c)).toMatchObject({ tracking_clients: "3", tracking_total_keys: "3", tracking_total_prefixes: "2" });
    c.close();
    expect(await waitFor(async () => (await info(a)).tracking_total_prefixes === "0")).toBe(true);
    expect(await info(a)).toMatchObject({ tracking_clients: "2", tracking_total_keys: "3" });
    // RESET turns tracking off; with nobody tracking, the remembered keys are forgotten.
    expect(await b.call("RESET")).toBe("+RESET\r\n");
    expect(await a.call("CLIENT", "TRACKING", "off")).toBe("+OK\r\n");
    expect(await b.call("CLIENT", "TRACKINGINFO")).toBe(
      "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    expect(await info(a)).toMatchObject({ tracking_clients: "0", tracking_total_keys: "0", tracking_total_items: "0" });
    a.close();
    b.close();
  });

  it("remembers keys in OPTIN mode only after CLIENT CACHING YES, for the next command only", async () => {
    const a = await RawConn.open(srv.port);
    await a.call("CLIENT", "TRACKING", "on", "OPTIN");
    await a.call("GET", "optin:1");
    expect((await info(a)).tracking_total_keys).toBe("0");
    await a.call("CLIENT", "CACHING", "yes");
    await a.call("GET", "optin:2");
    await a.call("GET", "optin:3");
    expect((await info(a)).tracking_total_keys).toBe("1");
    await a.call("CLIENT", "TRACKING", "off");
    await a.call("CLIENT", "TRACKING", "on", "OPTOUT");
    await a.call("CLIENT", "CACHING", "no");
    await a.call("GET", "optout:1");
    await a.call("GET", "optout:2");
    expect((await info(a)).tracking_total_keys).toBe("1");
    a.close();
  });
});

