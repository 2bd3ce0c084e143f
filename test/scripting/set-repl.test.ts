/**
 * redis.set_repl's targets through the real consumers: what a script runs under
 * REPL_AOF reaches the AOF and not the replicas, under REPL_REPLICA the replicas
 * and not the AOF, under REPL_NONE neither (Redis's scriptCall: PROPAGATE_AOF,
 * PROPAGATE_REPL). A master with appendonly and a replica, as processes.
 */
import { afterAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-set-repl-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

async function start(args: string[]): Promise<ServerProcess> {
  const s = await startIn(dirs(), ["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes", ...args]);
  started.push(s);
  return s;
}

const linkUp = async (c: Redis) => /master_link_status:up/.test((await c.info("replication")) as string);

describe("redis.set_repl", () => {
  it("sends REPL_AOF commands to the AOF only, REPL_REPLICA ones to the replicas only, REPL_NONE ones nowhere", async () => {
    const m = await start(["--appendonly", "yes"]);
    const r = await start(["--replicaof", "127.0.0.1", String(m.port)]);
    const master = m.client();
    const replica = r.client();
    expect(await until(() => linkUp(replica), (up) => up)).toBe(true);
    const script = `
      redis.call('set', 'a', '1')
      redis.set_repl(redis.REPL_NONE)
      redis.call('set', 'b', '2')
      redis.set_repl(redis.REPL_AOF)
      redis.call('set', 'c', '3')
      redis.set_repl(redis.REPL_REPLICA)
      redis.call('set', 'e', '5')
      redis.set_repl(redis.REPL_ALL)
      redis.call('set', 'd', '4')`;
    await master.eval(script, 0);
    // The replica has what went to it: a, e and d (d came last: once it is there, the rest is).
    expect(await until(() => replica.get("d"), (v) => v === "4")).toBe("4");
    expect(await replica.mget("a", "b", "c", "d", "e")).toEqual(["1", null, null, "4", "5"]);
    expect(await master.mget("a", "b", "c", "d", "e")).toEqual(["1", "2", "3", "4", "5"]);
    // The AOF has a, c and d.
    await master.call("DEBUG", "LOADAOF");
    expect(await master.mget("a", "b", "c", "d", "e")).toEqual(["1", null, "3", "4", null]);
    master.disconnect();
    replica.disconnect();
  });
});
