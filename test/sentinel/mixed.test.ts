/**
 * A mixed deployment: Redis's own sentinel (redis-server in sentinel mode, what
 * Debian's redis-sentinel runs) and two Nodis sentinels watch the same
 * primary. They discover each other over the hello channel, vote in the same
 * elections, and agree on the new primary after the old one is killed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, fields, haveRedisServer, type Proc } from "./deployment.js";
import { until } from "../helpers/wait.js";

describe.skipIf(!haveRedisServer())("mixed sentinels: redis-server --sentinel with Nodis sentinels", () => {
  const d = new Deployment(27040);
  let primary: Proc;
  let replicas: Proc[];
  let redisSentinel: Proc;
  let nodis: Proc[];

  beforeAll(async () => {
    primary = await d.redis();
    replicas = [await d.redis(primary), await d.redis(primary)];
    redisSentinel = await d.sentinel(primary, { kind: "redis-server" });
    nodis = [await d.sentinel(primary), await d.sentinel(primary)];
  }, 60000);
  afterAll(() => d.close());

  it("each sentinel lists the two others, whichever implementation they are", async () => {
    const ids = new Map<number, string>();
    for (const s of [redisSentinel, ...nodis]) ids.set(s.port, (await s.client().call("SENTINEL", "MYID")) as string);
    for (const s of [redisSentinel, ...nodis]) {
      const c = s.client();
      const others = await until(
        async () => ((await c.call("SENTINEL", "SENTINELS", "mymaster")) as unknown[]).map(fields),
        (o) => o.length === 2,
      );
      const want = [...ids].filter(([port]) => port !== s.port);
      expect(others.map((o) => `${o.port} ${o.runid}`).sort()).toEqual(want.map(([p, id]) => `${p} ${id}`).sort());
      const m = await until(async () => fields(await c.call("SENTINEL", "MASTER", "mymaster")), (m) => m["num-slaves"] === "2");
      expect(m["num-slaves"]).toBe("2");
    }
  });

  /** Polls every sentinel until all name the same primary other than `not`; that primary's port. */
  async function agreedPrimary(not: number): Promise<number> {
    const seen: string[] = [];
    for (const s of [redisSentinel, ...nodis]) {
      const c = s.client();
      const addr = (await until(
        async () => (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[],
        (a) => a[1] !== String(not) && (seen.length === 0 || a[1] === seen[0]),
        { timeoutMs: 30000, everyMs: 50 },
      )) as string[];
      seen.push(addr[1]);
    }
    expect(new Set(seen).size).toBe(1);
    return Number(seen[0]);
  }

  it("SENTINEL FAILOVER on a Nodis sentinel: Redis's sentinel takes the new configuration, and the reverse", async () => {
    expect(await nodis[0].client().call("SENTINEL", "FAILOVER", "mymaster")).toBe("OK");
    const first = await agreedPrimary(primary.port);
    expect(replicas.map((r) => r.port)).toContain(first);
    const epoch1 = fields(await redisSentinel.client().call("SENTINEL", "MASTER", "mymaster"))["config-epoch"];
    expect(Number(epoch1)).toBeGreaterThan(0);
    // Now Redis's sentinel leads a failover; the Nodis sentinels follow it.
    const ok = await until(
      () => redisSentinel.client().call("SENTINEL", "FAILOVER", "mymaster").then(() => true, () => false),
      (x) => x,
      { timeoutMs: 20000, everyMs: 200 },
    );
    expect(ok).toBe(true);
    const second = await agreedPrimary(first);
    expect(second).not.toBe(first);
    const m = fields(await nodis[1].client().call("SENTINEL", "MASTER", "mymaster"));
    expect(Number(m["config-epoch"])).toBeGreaterThan(Number(epoch1));
  }, 60000);

  it("after kill -9 of the primary all three agree on the promoted replica", async () => {
    const addr = (await nodis[0].client().call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[];
    const current = [primary, ...replicas].find((p) => String(p.port) === addr[1])!;
    await current.client().set("k", "v");
    // Every instance still alive replicates it before the primary dies.
    const alive = [primary, ...replicas].filter((p) => p !== current);
    await until(async () => Promise.all(alive.map((p) => p.client().get("k").catch(() => null))), (v) => v.filter((x) => x === "v").length >= 1);
    current.kill9();
    const next = await agreedPrimary(current.port);
    const promoted = alive.find((p) => p.port === next)!;
    expect(((await promoted.client().call("ROLE")) as unknown[])[0]).toBe("master");
    // The configuration epoch is the same everywhere.
    const epochs = await Promise.all([redisSentinel, ...nodis].map(async (s) => fields(await s.client().call("SENTINEL", "MASTER", "mymaster"))["config-epoch"]));
    expect(new Set(epochs).size).toBe(1);
  }, 60000);
});
