/**
 * Failover by Nodis sentinels: the primary (redis-server) is killed with
 * SIGKILL, the sentinels agree it is down, elect a leader, promote a replica,
 * reconfigure the other, publish +switch-master; Sentinel-aware clients
 * (ioredis, node-redis) find the new primary and write to it.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { createSentinel } from "redis";
import { Deployment, fields, haveRedisServer, type Proc } from "./deployment.js";
import { until, waitFor } from "../helpers/wait.js";

describe.skipIf(!haveRedisServer())("sentinel failover", () => {
  const d = new Deployment(27020);
  let primary: Proc;
  let replicas: Proc[];
  let sentinels: Proc[];
  let app: Redis;
  const events: string[] = [];

  beforeAll(async () => {
    primary = await d.redis();
    replicas = [await d.redis(primary), await d.redis(primary)];
    // Sentinel 0 runs a notification script and a client reconfiguration script, each logging its arguments.
    const script = (name: string) => {
      const f = path.join(d.root, `${name}.sh`);
      fs.writeFileSync(f, `#!/bin/sh\necho "$@" >> ${path.join(d.root, `${name}.log`)}\n`, { mode: 0o755 });
      return f;
    };
    const scripts = [`sentinel notification-script mymaster ${script("notify")}`, `sentinel client-reconfig-script mymaster ${script("reconf")}`];
    sentinels = await Promise.all([0, 1, 2].map((i) => d.sentinel(primary, { downAfter: 1000, failoverTimeout: 10000, extra: i === 0 ? scripts : [] })));
    for (const sp of sentinels) {
      const c = sp.client();
      await until(
        async () => fields(await c.call("SENTINEL", "MASTER", "mymaster")),
        (m) => m["num-slaves"] === "2" && m["num-other-sentinels"] === "2",
      );
    }
    const sub = sentinels[1].client();
    sub.on("pmessage", (_p: string, ch: string, msg: string) => events.push(`${ch} ${msg}`));
    await sub.psubscribe("*");
    app = new Redis({
      sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      name: "mymaster",
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
    });
    app.on("error", () => {});
  }, 60000);
  afterAll(async () => {
    app?.disconnect();
    await d.close();
  });

  it("ioredis writes through the sentinels to the primary", async () => {
    expect(await app.set("before", "1")).toBe("OK");
    expect(await primary.client().get("before")).toBe("1");
    // Both replicas have it before the primary dies.
    expect(await app.call("WAIT", "2", "10000")).toBe(2);
  });

  it("kill -9 of the primary: a replica is promoted, +switch-master published, the other replica follows it", async () => {
    const t0 = Date.now();
    primary.kill9();
    const ok = await waitFor(() => events.some((e) => e.startsWith("+switch-master ")), { timeoutMs: 30000 });
    expect(ok, events.join("\n")).toBe(true);
    const sw = events.find((e) => e.startsWith("+switch-master "))!.split(" ");
    expect(sw.slice(1, 4)).toEqual(["mymaster", "127.0.0.1", String(primary.port)]);
    const newPort = Number(sw[5]);
    const promoted = replicas.find((r) => r.port === newPort)!;
    const other = replicas.find((r) => r.port !== newPort)!;
    expect(promoted).toBeDefined();
    // The events of a failover, in Redis's order (on a sentinel that may or may not have led it).
    for (const e of ["+sdown master mymaster", "+new-epoch 1", "+config-update-from", "+switch-master"]) {
      if (e === "+config-update-from" && events.some((x) => x.startsWith("+elected-leader"))) continue;
      expect(events.some((x) => x.startsWith(e)), `${e} in\n${events.join("\n")}`).toBe(true);
    }
    expect(((await promoted.client().call("ROLE")) as unknown[])[0]).toBe("master");
    const role = await until(async () => (await other.client().call("ROLE")) as unknown[], (r) => r[1] === "127.0.0.1" && r[2] === newPort && r[3] === "connected");
    expect(role.slice(0, 4)).toEqual(["slave", "127.0.0.1", newPort, "connected"]);
    for (const s of sentinels) {
      const addr = await until(async () => await s.client().call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"), (a) => (a as string[])[1] === String(newPort));
      expect(addr).toEqual(["127.0.0.1", String(newPort)]);
    }
    // The old primary is now listed as a replica of the new one.
    // (GET-MASTER-ADDR-BY-NAME names the promoted replica already while the leader reconfigures the others; the switch follows.)
    const want = [`127.0.0.1:${other.port}`, `127.0.0.1:${primary.port}`].sort();
    const listed = await until(
      async () => ((await sentinels[0].client().call("SENTINEL", "REPLICAS", "mymaster")) as unknown[]).map((r) => fields(r).name).sort(),
      (l) => JSON.stringify(l) === JSON.stringify(want),
    );
    expect(listed).toEqual(want);
    // ioredis asks the sentinels again and writes to the new primary.
    const wrote = await until(
      () => app.set("after", "2").then(() => true, () => false),
      (w) => w,
      { timeoutMs: 20000, everyMs: 50 },
    );
    expect(wrote).toBe(true);
    expect(await promoted.client().get("after")).toBe("2");
    expect(await promoted.client().get("before")).toBe("1");
    console.log(`failover: kill -9 to ioredis writing again in ${Date.now() - t0} ms`);
    // Sentinel 0's scripts ran: the warnings about its master, and the reconfiguration (as leader or observer).
    const read = (name: string) => (fs.existsSync(path.join(d.root, name)) ? fs.readFileSync(path.join(d.root, name), "latin1") : "");
    expect(await waitFor(() => read("reconf.log").length > 0)).toBe(true);
    expect(read("reconf.log")).toMatch(new RegExp(`^mymaster (leader|observer) start 127\\.0\\.0\\.1 ${primary.port} 127\\.0\\.0\\.1 ${newPort}\n`));
    expect(await waitFor(() => read("notify.log").includes("+switch-master"))).toBe(true);
    expect(read("notify.log")).toContain(`+sdown master mymaster 127.0.0.1 ${primary.port}\n`);
  }, 60000);

  it("node-redis createSentinel finds the new primary", async () => {
    const client = createSentinel({ name: "mymaster", sentinelRootNodes: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })) });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.set("from-node-redis", "3")).toBe("OK");
      expect(await client.get("from-node-redis")).toBe("3");
    } finally {
      await client.close();
    }
  });
});
