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

  it("after kill -9 of the primary all three agree on the promoted replica", async () => {
    await primary.client().set("k", "v");
    expect(await primary.client().call("WAIT", "2", "10000")).toBe(2);
    primary.kill9();
    const ports = replicas.map((r) => String(r.port));
    const seen: string[] = [];
    for (const s of [redisSentinel, ...nodis]) {
      const c = s.client();
      const addr = (await until(
        async () => (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[],
        (a) => ports.includes(a[1]),
        { timeoutMs: 40000, everyMs: 50 },
      )) as string[];
      expect(ports).toContain(addr[1]);
      seen.push(addr[1]);
    }
    expect(new Set(seen).size).toBe(1);
    const promoted = replicas.find((r) => String(r.port) === seen[0])!;
    expect(((await promoted.client().call("ROLE")) as unknown[])[0]).toBe("master");
    expect(await promoted.client().get("k")).toBe("v");
    // The configuration epoch is the same everywhere.
    const epochs = await Promise.all([redisSentinel, ...nodis].map(async (s) => fields(await s.client().call("SENTINEL", "MASTER", "mymaster"))["config-epoch"]));
    expect(new Set(epochs).size).toBe(1);
  }, 60000);
});
