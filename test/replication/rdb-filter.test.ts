/**
 * Snapshots a replica asks to be cut down (src/replication/full-sync.ts):
 * REPLCONF rdb-filter-only (functions only, or nothing but the header: redis-cli
 * --functions-rdb, --replica) and REPLCONF rdb-only 1 (the snapshot, then the
 * link closes: redis-cli --rdb). Nodis and redis-server side by side.
 */
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { haveRedisServer, rawExchange } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { encodeCommand } from "../diff/resp.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-rdbfilter-");
const LIBRARY = "#!lua name=filterlib\nredis.register_function('filterfn', function() return 1 end)";

interface Sync {
  /** What came before the snapshot (the REPLCONF replies, then the SYNC's). */
  head: string;
  /** The snapshot between its EOF marks, or null when none came. */
  rdb: string | null;
  /** Whether the server closed the link. */
  closed: boolean;
}

/**
 * REPLCONF `conf` (pairs of option, value), then SYNC, on a raw link: what came back until an error, until the
 * server closed the link, or for 1.5 s. SYNC goes in a write of its own, once the REPLCONF replies are read
 * (with them still unread, the server refuses it: "pending output").
 */
async function syncWith(port: number, conf: string[][]): Promise<Sync> {
  const { data, closed } = await rawExchange(port, [...conf.map((c) => encodeCommand(["REPLCONF", ...c])), encodeCommand(["SYNC"])], (d) => d.includes("-ERR"), 1500);
  const m = /\$EOF:(.{40})\r\n/s.exec(data);
  if (!m) return { head: data, rdb: null, closed };
  const body = data.slice(m.index + m[0].length);
  const end = body.indexOf(m[1]);
  return { head: data.slice(0, m.index), rdb: end < 0 ? null : body.slice(0, end), closed };
}

describe.skipIf(!haveRedisServer())("snapshots cut down for what a replica asks", () => {
  const servers: Record<"nodis" | "redis", ServerProcess> = {} as never;
  const clients: Record<"nodis" | "redis", Redis> = {} as never;
  const kinds = ["nodis", "redis"] as const;

  beforeAll(async () => {
    for (const kind of kinds) {
      const s = await startIn(dirs(), ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"], kind === "nodis" ? "nodis" : "redis-server");
      servers[kind] = s;
      const c = s.client();
      clients[kind] = c;
      await c.set("plainkey", "plainvalue");
      await c.call("FUNCTION", "LOAD", LIBRARY);
    }
  });
  afterAll(async () => {
    for (const s of Object.values(servers)) await s.kill9().catch(() => undefined);
  });

  it("REPLCONF rdb-only and rdb-filter-only answer bad values as Redis does", async () => {
    const cases = [
      ["rdb-only", "2"],
      ["rdb-only", "-1"],
      ["rdb-only", "x"],
      ["rdb-only", "1"],
      ["rdb-filter-only", "bogus"],
      ["rdb-filter-only", "functions bogus"],
      ["rdb-filter-only", '"unbalanced'],
      ["rdb-filter-only", "FUNCTIONS"],
      ["rdb-filter-only", ""],
    ];
    const replies: Record<string, unknown[]> = {};
    for (const kind of kinds) {
      replies[kind] = [];
      for (const [opt, value] of cases) replies[kind].push(await clients[kind].call("REPLCONF", opt, value).catch((e: Error) => `ERR: ${e.message}`));
    }
    expect(replies.nodis).toEqual(replies.redis);
    expect(replies.nodis).toContain("ERR: ERR Unsupported rdb-filter-only option: bogus");
  });

  it("a filtered snapshot needs the EOF form; SYNC behind unsent replies is refused", async () => {
    for (const kind of kinds) {
      const s = await syncWith(servers[kind].port, [["rdb-filter-only", "functions"]]);
      expect(s.head, kind).toBe("+OK\r\n-ERR Filtered replica requires EOF capability\r\n");
      expect(s.rdb).toBeNull();
      // In one read with the command before it, whose reply has not gone out yet.
      const { data } = await rawExchange(servers[kind].port, Buffer.concat([encodeCommand(["PING"]), encodeCommand(["SYNC"])]), (d) => d.includes("output"), 3000);
      expect(data, kind).toBe("+PONG\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n");
    }
  });

  it("functions only, nothing but the header, or everything once (rdb-only): the link closes after an rdb-only snapshot", async () => {
    const filters: { conf: string[][]; library: boolean; keys: boolean; closes: boolean }[] = [
      { conf: [["capa", "eof"], ["rdb-only", "1"], ["rdb-filter-only", "functions"]], library: true, keys: false, closes: true },
      { conf: [["capa", "eof"], ["rdb-only", "1"], ["rdb-filter-only", ""]], library: false, keys: false, closes: true },
      { conf: [["capa", "eof"], ["rdb-only", "1"]], library: true, keys: true, closes: true },
      // A replica that is not rdb-only stays on its link for the stream (the exchange ends at 1.5 s).
      { conf: [["capa", "eof"], ["rdb-filter-only", "functions"]], library: true, keys: false, closes: false },
    ];
    for (const f of filters) {
      for (const kind of kinds) {
        const s = await syncWith(servers[kind].port, f.conf);
        const what = `${kind} ${JSON.stringify(f.conf)}`;
        expect(s.rdb, what).not.toBeNull();
        expect(s.rdb!.startsWith("REDIS00"), what).toBe(true);
        expect(s.rdb!.includes("filterlib"), what).toBe(f.library);
        expect(s.rdb!.includes("plainkey"), what).toBe(f.keys);
        expect(s.closed, what).toBe(f.closes);
      }
    }
    expect(servers.nodis.log()).toMatch(/RDB transfer completed, rdb only replica \(127\.0\.0\.1:\d+\) should be disconnected asap/);
    for (const kind of kinds) {
      expect(await until(() => clients[kind].info("replication"), (i) => /connected_slaves:0/.test(i as string))).toMatch(/connected_slaves:0/);
    }
  });

  it("redis-cli --functions-rdb writes an RDB that loads as the functions and no keys", async () => {
    const dir = dirs();
    const file = path.join(dir, "dump.rdb");
    const cli = spawnSync("redis-cli", ["-p", String(servers.nodis.port), "--functions-rdb", file], { encoding: "utf8", timeout: 20000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    const loaded = await startIn(dir, []);
    try {
      const c = loaded.client();
      expect(await c.dbsize()).toBe(0);
      expect(JSON.stringify(await c.call("FUNCTION", "LIST"))).toContain("filterlib");
    } finally {
      await loaded.kill9();
    }
  });
});
