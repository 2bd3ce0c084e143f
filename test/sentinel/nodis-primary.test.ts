/**
 * Nodis sentinels over a Nodis primary (with redis-server replicas, until Nodis
 * has REPLICAOF): the replicas are found in Nodis's INFO replication, and when
 * the Nodis primary is killed a replica takes over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, fields, haveRedisServer, type Proc } from "./deployment.js";
import { until } from "../helpers/wait.js";

describe.skipIf(!haveRedisServer())("sentinels over a Nodis primary", () => {
  const d = new Deployment(27060);
  let primary: Proc;
  let replicas: Proc[];
  let sentinels: Proc[];

  beforeAll(async () => {
    primary = await d.nodis();
    replicas = [await d.redis(primary), await d.redis(primary)];
    sentinels = await Promise.all([0, 1, 2].map(() => d.sentinel(primary)));
  }, 60000);
  afterAll(() => d.close());

  it("finds the replicas in the Nodis primary's INFO and the other sentinels through it", async () => {
    for (const s of sentinels) {
      const c = s.client();
      const m = await until(
        async () => fields(await c.call("SENTINEL", "MASTER", "mymaster")),
        (m) => m["num-slaves"] === "2" && m["num-other-sentinels"] === "2",
      );
      expect(m).toMatchObject({ "num-slaves": "2", "num-other-sentinels": "2", flags: "master", "role-reported": "master" });
    }
    const names = ((await sentinels[0].client().call("SENTINEL", "REPLICAS", "mymaster")) as unknown[]).map((r) => fields(r).name);
    expect(names.sort()).toEqual(replicas.map((r) => `127.0.0.1:${r.port}`).sort());
  });

  it("a replica takes over when the Nodis primary is killed", async () => {
    const p = primary.client();
    await p.set("k", "v");
    await until(async () => Promise.all(replicas.map((r) => r.client().get("k"))), (v) => v.every((x) => x === "v"));
    primary.kill9();
    const ports = replicas.map((r) => String(r.port));
    for (const s of sentinels) {
      const c = s.client();
      const addr = await until(async () => (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[], (a) => ports.includes(a[1]), {
        timeoutMs: 30000,
        everyMs: 50,
      });
      expect(ports).toContain(addr[1]);
    }
    const now = ((await sentinels[0].client().call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[])[1];
    const promoted = replicas.find((r) => String(r.port) === now)!;
    expect(((await promoted.client().call("ROLE")) as unknown[])[0]).toBe("master");
    expect(await promoted.client().get("k")).toBe("v");
  }, 60000);
});
