/** MODULE: none can be loaded; every reply, error and refusal as redis-server's. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { oracleBinary, startRedis, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";

let srv: RunningServer;
let r: Redis;
useNodis({ "enable-module-command": "yes" }, { r: true }, (f) => ({ srv, r } = f));

/** The reply or the error text, so both kinds compare. */
async function answer(c: Redis, args: string[]): Promise<unknown> {
  try {
    return await c.call(args[0], ...args.slice(1));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

const CASES: string[][] = [
  ["module", "help"],
  ["module", "list"],
  ["module", "load", "/nonexistent/module.so"],
  ["module", "load", "/nonexistent/module.so", "arg1", "arg2"],
  ["module", "loadex", "/nonexistent/module.so", "CONFIG", "a", "b", "ARGS", "x"],
  ["module", "unload", "nosuchmodule"],
  ["module"],
  ["module", "nosuch"],
  ["module", "list", "extra"],
  ["module", "load"],
  ["module", "unload"],
  ["module", "unload", "a", "b"],
];

/** Redis 7.0's help texts end "Prints this help." (7.2: "Print"): HELP is compared with a 7.2 only. */
function comparable(c: string[], is72: boolean): boolean {
  return is72 || c[1] !== "help";
}

describe("MODULE", () => {
  const oracles: { on: Redis; off: Redis; is72: boolean; stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    const oracle = oracleBinary();
    if (!oracle) return;
    const on = await startRedis(["--enable-module-command", "yes"], oracle.bin);
    const off = await startRedis(["--enable-module-command", "no"], oracle.bin);
    const o = {
      on: new Redis({ port: on.port, host: "127.0.0.1", enableReadyCheck: false }),
      off: new Redis({ port: off.port, host: "127.0.0.1", enableReadyCheck: false }),
      is72: oracle.is72,
      async stop() {
        o.on.disconnect();
        o.off.disconnect();
        await on.stop();
        await off.stop();
      },
    };
    oracles.push(o);
  });
  afterAll(async () => {
    for (const o of oracles) await o.stop();
  });

  it("loads nothing and lists nothing", async () => {
    expect(await answer(r, ["module", "load", "/nonexistent/module.so"])).toBe(
      "error: ERR Error loading the extension. Please check the server logs.",
    );
    expect(await r.call("module", "list")).toEqual([]);
    expect(((await r.call("module", "help")) as string[])[0]).toBe("MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  });

  it("answers as redis-server does when the command is enabled", async (ctx) => {
    if (!oracles.length) return ctx.skip();
    for (const c of CASES.filter((c) => comparable(c, oracles[0].is72))) {
      expect([c, await answer(r, c)]).toEqual([c, await answer(oracles[0].on, c)]);
    }
  });

  it("refuses loading and unloading when disabled, as redis-server does; HELP and LIST still answer", async (ctx) => {
    srv.server.config.set("enable-module-command", ["no"]);
    try {
      expect(await answer(r, ["module", "unload", "x"])).toBe(
        'error: ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
      );
      expect(await r.call("module", "list")).toEqual([]);
      if (!oracles.length) return ctx.skip();
      for (const c of CASES.filter((c) => comparable(c, oracles[0].is72))) {
        expect([c, await answer(r, c)]).toEqual([c, await answer(oracles[0].off, c)]);
      }
    } finally {
      srv.server.config.set("enable-module-command", ["yes"]);
    }
  });
});
