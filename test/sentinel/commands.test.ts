/**
 * Three Nodis sentinels over a redis-server primary with two replicas: they
 * discover the replicas (INFO) and each other (hello messages), and answer
 * the SENTINEL commands, INFO, ROLE, HELLO as Redis 7.2's Sentinel does, with
 * its error texts; data commands are unknown to a sentinel.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Redis from "ioredis";
import { Deployment, fields, haveRedisServer, type Proc } from "./deployment.js";
import { until, waitFor } from "../helpers/wait.js";

describe.skipIf(!haveRedisServer())("sentinel commands", () => {
  const d = new Deployment(27000);
  let primary: Proc;
  let replicas: Proc[];
  let sentinels: Proc[];
  let s: Redis;

  beforeAll(async () => {
    primary = await d.redis();
    replicas = [await d.redis(primary), await d.redis(primary)];
    sentinels = await Promise.all([0, 1, 2].map(() => d.sentinel(primary)));
    s = sentinels[0].client();
    // Every sentinel sees both replicas and the two other sentinels.
    for (const sp of sentinels) {
      const c = sp.client();
      const m = await until(
        async () => fields(await c.call("SENTINEL", "MASTER", "mymaster")),
        (m) => m["num-slaves"] === "2" && m["num-other-sentinels"] === "2",
      );
      expect(m["num-other-sentinels"]).toBe("2");
      expect(m["num-slaves"]).toBe("2");
    }
  }, 60000);
  afterAll(() => d.close());

  it("GET-MASTER-ADDR-BY-NAME, MASTER, MASTERS", async () => {
    expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")).toEqual(["127.0.0.1", String(primary.port)]);
    expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")).toBeNull();
    const m = fields(await s.call("SENTINEL", "MASTER", "mymaster"));
    expect(Object.keys(m)).toEqual([
      "name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount", "last-ping-sent", "last-ok-ping-reply",
      "last-ping-reply", "down-after-milliseconds", "info-refresh", "role-reported", "role-reported-time", "config-epoch",
      "num-slaves", "num-other-sentinels", "quorum", "failover-timeout", "parallel-syncs",
    ]);
    expect(m).toMatchObject({ name: "mymaster", ip: "127.0.0.1", port: String(primary.port), flags: "master", quorum: "2", "role-reported": "master" });
    const info = (await primary.client().info("server")) as string;
    expect(m.runid).toBe(/run_id:(\w+)/.exec(info)![1]);
    const all = (await s.call("SENTINEL", "MASTERS")) as unknown[];
    expect(all.length).toBe(1);
    expect(fields(all[0]).name).toBe("mymaster");
    await expect(s.call("SENTINEL", "MASTER", "nosuch")).rejects.toThrow("ERR No such master with that name");
  });

  it("REPLICAS (and SLAVES) list the replicas found in the primary's INFO", async () => {
    for (const sub of ["REPLICAS", "SLAVES"]) {
      const list = ((await s.call("SENTINEL", sub, "mymaster")) as unknown[]).map(fields);
      expect(list.map((r) => r.name).sort()).toEqual(replicas.map((r) => `127.0.0.1:${r.port}`).sort());
      for (const r of list) {
        expect(r.flags).toBe("slave");
        expect(r["master-port"]).toBe(String(primary.port));
        expect(r["slave-priority"]).toBe("100");
      }
    }
  });

  it("SENTINELS lists the others by their MYID", async () => {
    const ids = await Promise.all(sentinels.map((p) => p.client().call("SENTINEL", "MYID")));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{40}$/);
    const others = ((await s.call("SENTINEL", "SENTINELS", "mymaster")) as unknown[]).map(fields);
    expect(others.map((o) => o.runid).sort()).toEqual([ids[1], ids[2]].sort());
    expect(others.map((o) => o.port).sort()).toEqual([String(sentinels[1].port), String(sentinels[2].port)].sort());
    expect(others[0]["voted-leader"]).toBe("?");
  });

  it("CKQUORUM and SET quorum", async () => {
    expect(await s.call("SENTINEL", "CKQUORUM", "mymaster")).toBe("OK 3 usable Sentinels. Quorum and failover authorization can be reached");
    expect(await s.call("SENTINEL", "SET", "mymaster", "quorum", "4")).toBe("OK");
    await expect(s.call("SENTINEL", "CKQUORUM", "mymaster")).rejects.toThrow(
      "NOQUORUM 3 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master",
    );
    expect(await s.call("SENTINEL", "SET", "mymaster", "quorum", "2")).toBe("OK");
    await expect(s.call("SENTINEL", "SET", "mymaster", "quorum", "0")).rejects.toThrow("ERR Invalid argument '0' for SENTINEL SET 'quorum'");
    await expect(s.call("SENTINEL", "SET", "mymaster", "nosuch", "1")).rejects.toThrow("ERR Unknown option or number of arguments for SENTINEL SET 'nosuch'");
    await expect(s.call("SENTINEL", "SET", "mymaster", "notification-script", "/bin/true")).rejects.toThrow(
      "ERR Reconfiguration of scripts path is denied for security reasons.",
    );
    expect(await s.call("SENTINEL", "SET", "mymaster", "parallel-syncs", "3", "failover-timeout", "12000")).toBe("OK");
    expect(fields(await s.call("SENTINEL", "MASTER", "mymaster"))).toMatchObject({ "parallel-syncs": "3", "failover-timeout": "12000" });
  });

  it("MONITOR and REMOVE, with +monitor and -monitor published", async () => {
    const sub = sentinels[0].client();
    const events: string[] = [];
    sub.on("message", (ch: string, msg: string) => events.push(`${ch} ${msg}`));
    await sub.subscribe("+monitor", "-monitor");
    const other = await d.redis();
    expect(await s.call("SENTINEL", "MONITOR", "other", "127.0.0.1", String(other.port), "1")).toBe("OK");
    await expect(s.call("SENTINEL", "MONITOR", "other", "127.0.0.1", String(other.port), "1")).rejects.toThrow("ERR Duplicate master name.");
    await expect(s.call("SENTINEL", "MONITOR", "x", "127.0.0.1", "1", "abc")).rejects.toThrow("ERR Invalid quorum");
    await expect(s.call("SENTINEL", "MONITOR", "x", "127.0.0.1", "abc", "1")).rejects.toThrow("ERR Invalid port");
    await expect(s.call("SENTINEL", "MONITOR", "x", "127.0.0.1", "1", "0")).rejects.toThrow("ERR Quorum must be 1 or greater.");
    await expect(s.call("SENTINEL", "MONITOR", "x", "not-an-ip", "1", "1")).rejects.toThrow("ERR Invalid IP address or hostname specified");
    expect(await s.call("ROLE")).toEqual(["sentinel", ["mymaster", "other"]]);
    const role = await until(async () => fields(await s.call("SENTINEL", "MASTER", "other"))["role-reported"], (r) => r === "master");
    expect(role).toBe("master");
    expect(await s.call("SENTINEL", "REMOVE", "other")).toBe("OK");
    await expect(s.call("SENTINEL", "REMOVE", "other")).rejects.toThrow("ERR No such master with that name");
    await waitFor(() => events.length >= 2);
    expect(events).toEqual([`+monitor master other 127.0.0.1 ${other.port} quorum 1`, `-monitor master other 127.0.0.1 ${other.port}`]);
  });

  it("resolve-hostnames and announce-hostnames", async () => {
    await expect(s.call("SENTINEL", "MONITOR", "h", "localhost", String(primary.port), "1")).rejects.toThrow("ERR Invalid IP address or hostname specified");
    expect(await s.call("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")).toBe("OK");
    try {
      expect(await s.call("SENTINEL", "MONITOR", "h", "localhost", String(primary.port), "1")).toBe("OK");
      await expect(s.call("SENTINEL", "MONITOR", "h2", "no-such-host.invalid", "1", "1")).rejects.toThrow("ERR Invalid IP address or hostname specified");
      expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "h")).toEqual(["127.0.0.1", String(primary.port)]);
      expect(await s.call("SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes")).toBe("OK");
      expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "h")).toEqual(["localhost", String(primary.port)]);
      const m = await until(async () => fields(await s.call("SENTINEL", "MASTER", "h")), (m) => m["num-slaves"] === "2");
      expect(m).toMatchObject({ ip: "localhost", "num-slaves": "2", "role-reported": "master" });
    } finally {
      await s.call("SENTINEL", "CONFIG", "SET", "announce-hostnames", "no");
      await s.call("SENTINEL", "REMOVE", "h").catch(() => {});
      await s.call("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no");
    }
  });

  it("INFO has the sentinel sections only; ROLE, HELLO, PING", async () => {
    const info = (await s.call("INFO")) as string;
    expect(info.match(/^# \w+/gm)).toEqual(["# Server", "# Clients", "# Stats", "# CPU", "# Sentinel"]);
    expect(info).toContain("redis_mode:sentinel");
    expect(info).toContain(`master0:name=mymaster,status=ok,address=127.0.0.1:${primary.port},slaves=2,sentinels=3\r\n`);
    expect(info).toContain("sentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n");
    expect(((await s.call("INFO", "sentinel")) as string).startsWith("# Sentinel\r\n")).toBe(true);
    expect(await s.call("INFO", "keyspace")).toBe("");
    expect(await s.call("PING")).toBe("PONG");
    const hello = (await s.call("HELLO", "2")) as string[];
    expect(hello.slice(0, 2)).toEqual(["server", "redis"]);
    expect(hello).toContain("sentinel");
    expect(hello).not.toContain("role");
  });

  it("data commands are unknown to a sentinel; PUBLISH takes hello messages only", async () => {
    await expect(s.call("SET", "k", "v")).rejects.toThrow("ERR unknown command 'SET', with args beginning with: 'k' 'v' ");
    await expect(s.call("GET", "k")).rejects.toThrow("ERR unknown command 'GET'");
    // Pipelined, past the batch path too.
    const r = await s.pipeline().get("a").get("b").exec();
    expect(r!.map(([e]) => (e as Error).message)).toEqual(["ERR unknown command 'get', with args beginning with: 'a' ", "ERR unknown command 'get', with args beginning with: 'b' "]);
    await expect(s.call("PUBLISH", "chan", "x")).rejects.toThrow("ERR Only HELLO messages are accepted by Sentinel instances.");
    await expect(s.call("SENTINEL", "NOSUCH")).rejects.toThrow("ERR unknown subcommand 'NOSUCH'. Try SENTINEL HELP.");
    await expect(s.call("SENTINEL", "MASTER")).rejects.toThrow("ERR wrong number of arguments for 'sentinel|master' command");
  });

  it("IS-MASTER-DOWN-BY-ADDR, CONFIG GET/SET, DEBUG, INFO-CACHE", async () => {
    expect(await s.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", String(primary.port), "0", "*")).toEqual([0, "*", 0]);
    expect(await s.call("SENTINEL", "CONFIG", "GET", "announce-*")).toEqual(["announce-hostnames", "no", "announce-ip", "", "announce-port", "0"]);
    expect(await s.call("SENTINEL", "CONFIG", "SET", "loglevel", "verbose")).toBe("OK");
    expect(await s.call("SENTINEL", "CONFIG", "GET", "loglevel")).toEqual(["loglevel", "verbose"]);
    await expect(s.call("SENTINEL", "CONFIG", "SET", "nosuch", "1")).rejects.toThrow("ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET");
    await expect(s.call("SENTINEL", "CONFIG", "SET", "announce-port", "70000")).rejects.toThrow("ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'");
    const dbg = fields(await s.call("SENTINEL", "DEBUG"));
    expect(dbg["INFO-PERIOD"]).toBe("10000");
    expect(await s.call("SENTINEL", "DEBUG", "info-period", "5000")).toBe("OK");
    expect(fields(await s.call("SENTINEL", "DEBUG"))["INFO-PERIOD"]).toBe("5000");
    const cache = (await s.call("SENTINEL", "INFO-CACHE", "mymaster")) as [string, [number, string][]];
    expect(cache[0]).toBe("mymaster");
    expect(cache[1].length).toBe(3);
    expect(cache[1][0][1]).toContain("role:master");
  });

  it("RESET forgets the replicas and sentinels, which are found again; PENDING-SCRIPTS, SIMULATE-FAILURE HELP", async () => {
    const c = sentinels[2].client();
    expect(await c.call("SENTINEL", "RESET", "my*")).toBe(1);
    expect(await c.call("SENTINEL", "RESET", "nomatch*")).toBe(0);
    // Forgotten (a hello may already have brought one back).
    expect(Number(fields(await c.call("SENTINEL", "MASTER", "mymaster"))["num-other-sentinels"])).toBeLessThan(2);
    const m = await until(
      async () => fields(await c.call("SENTINEL", "MASTER", "mymaster")),
      (m) => m["num-slaves"] === "2" && m["num-other-sentinels"] === "2",
    );
    expect([m["num-slaves"], m["num-other-sentinels"]]).toEqual(["2", "2"]);
    expect(await c.call("SENTINEL", "PENDING-SCRIPTS")).toEqual([]);
    expect(await c.call("SENTINEL", "SIMULATE-FAILURE", "HELP")).toEqual(["crash-after-election", "crash-after-promotion"]);
    await expect(c.call("SENTINEL", "SIMULATE-FAILURE", "nosuch")).rejects.toThrow("ERR Unknown failure simulation specified");
  });

  it("FLUSHCONFIG writes the state into sentinel.conf, which a restart reads back", async () => {
    expect(await s.call("SENTINEL", "FLUSHCONFIG")).toBe("OK");
    const conf = fs.readFileSync(path.join(sentinels[0].dir, "sentinel.conf"), "latin1");
    const myid = (await s.call("SENTINEL", "MYID")) as string;
    expect(conf).toContain(`sentinel myid ${myid}\n`);
    expect(conf).toContain(`sentinel monitor mymaster 127.0.0.1 ${primary.port} 2\n`);
    for (const r of replicas) expect(conf).toContain(`sentinel known-replica mymaster 127.0.0.1 ${r.port}\n`);
    expect(conf.match(/^sentinel known-sentinel mymaster 127\.0\.0\.1 \d+ [0-9a-f]{40}$/gm)?.length).toBe(2);
    expect(conf).toMatch(/^sentinel current-epoch 0$/m);
    expect(conf).not.toMatch(/^save /m);
    // Restarted, the sentinel knows its id, replicas and peers from the file before any INFO or hello.
    sentinels[0].kill9();
    await waitFor(() => sentinels[0].proc.exitCode !== null || sentinels[0].proc.signalCode !== null);
    const restarted = await d.restartSentinel(sentinels[0]);
    const c = restarted.client();
    expect(await c.call("SENTINEL", "MYID")).toBe(myid);
    const m = fields(await c.call("SENTINEL", "MASTER", "mymaster"));
    expect(m["num-slaves"]).toBe("2");
    expect(m["num-other-sentinels"]).toBe("2");
  });
});
