/**
 * bind-source-addr in sentinel mode: the sentinel's links to the instances it
 * watches go out from that address (redis-sentinel connects with
 * redisAsyncConnectBind), as the primary's CLIENT LIST shows.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Deployment, haveRedisServer } from "./deployment.js";
import { until } from "../helpers/wait.js";

describe.skipIf(!haveRedisServer())("sentinel links and bind-source-addr", () => {
  const d = new Deployment(27080);
  afterAll(() => d.close());

  it("go out from the address it names", async () => {
    const primary = await d.nodis();
    await d.sentinel(primary, { quorum: 1, extra: ["bind-source-addr 127.0.0.2"] });
    const list = await until(
      async () => String(await primary.client().call("CLIENT", "LIST")),
      (l) => /name=sentinel-\w+-cmd/.test(l) && /name=sentinel-\w+-pubsub/.test(l),
    );
    const links = list.split("\n").filter((l) => / name=sentinel-/.test(l));
    expect(links.length).toBe(2);
    for (const l of links) expect(l).toMatch(/ addr=127\.0\.0\.2:\d+ /);
  });
});
