/**
 * The request path's optimized code outlives its clients. V8 drops optimized
 * code that embeds a hidden class no live object has any more; once every
 * client had disconnected and a full collection ran (the server runs one when
 * a load ends: heap-gc.ts), the whole path went back to the interpreter and
 * was compiled again by the next connections. The server keeps its last closed
 * client (server.ts closeClient) so those classes stay alive.
 */
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodis } from "../helpers/nodis.js";
import { collectGarbage } from "../../src/server/heap-gc.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";
import { waitFor } from "../helpers/wait.js";

v8.setFlagsFromString("--allow-natives-syntax");
type Fn = (...args: never[]) => unknown;
const status = new Function("f", "return %GetOptimizationStatus(f)") as (f: Fn) => number;
const prepare = new Function("f", "%PrepareFunctionForOptimization(f)") as (f: Fn) => void;
const optimizeOnNextCall = new Function("f", "%OptimizeFunctionOnNextCall(f)") as (f: Fn) => void;
/** V8's OptimizationStatus bit for code optimized by TurboFan. */
const TURBOFANNED = 1 << 6;

describe("optimized code after every client has gone", () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startNodis({});
  });
  afterAll(async () => {
    await srv.close();
  });

  it("keeps the read loop's accounting optimized across a full collection with no client left", async () => {
    const onLoopBatch = (Object.getPrototypeOf(srv.server) as Record<string, Fn>).onLoopBatch;
    expect(typeof onLoopBatch).toBe("function");
    const loop = () => srv.server.batchPath.loopCommands;
    /** Four clients run SETs (through the loop), then all go; a full collection follows. */
    const wave = async (optimize: boolean) => {
      const conns: RawConn[] = [];
      for (let i = 0; i < 4; i++) {
        const c = await RawConn.open(srv.port);
        expect(await c.call("PING")).toBe("+PONG\r\n"); // through TypeScript: marks it for the loop
        conns.push(c);
      }
      const before = loop();
      for (let round = 0; round < 100; round++) for (const c of conns) expect(await c.call("SET", `oc:${round}`, "v")).toBe("+OK\r\n");
      expect(loop() - before).toBeGreaterThan(0);
      if (optimize) {
        prepare(onLoopBatch);
        expect(await conns[0].call("GET", "oc:1")).toBe("$1\r\nv\r\n");
        optimizeOnNextCall(onLoopBatch);
        // Compiled on its next call, or by a concurrent job V8 began on its own (installed on a later call):
        // calls go on for up to 5 s, as that job's thread may wait for a core (CI ran 100 calls without it).
        const until = Date.now() + 5000;
        while (Date.now() < until && (status(onLoopBatch) & TURBOFANNED) === 0) {
          const ran = loop();
          expect(await conns[0].call("GET", "oc:2")).toBe("$1\r\nv\r\n");
          // The loop's accounting of it (it may wait in the loop: native/src/api/reads.rs Carry).
          expect(loop()).toBe(ran + 1);
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(status(onLoopBatch) & TURBOFANNED).toBe(TURBOFANNED);
      }
      for (const c of conns) c.close();
      await waitFor(() => srv.server.clients.size === 0);
      collectGarbage();
      collectGarbage();
    };
    // The first waves settle what changes once (a field's type the first close sets...).
    await wave(false);
    await wave(false);
    await wave(true);
    expect(status(onLoopBatch) & TURBOFANNED).toBe(TURBOFANNED);
  });
});
