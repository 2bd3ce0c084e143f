/**
 * Acceptance: rate-limiter-flexible's RateLimiterRedis (its counter is a Lua
 * script run with EVAL: SET EX NX, INCRBY, PTTL, EXPIRE) over ioredis, the
 * same sequence against Nodis and redis-server: points consumed, remaining,
 * rejections, GET, penalty and reward, block, delete, and a window that
 * expires. Skipped where the package is not installed (NODIS_RLF_PATH may
 * name its folder).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

interface Res {
  consumedPoints: number;
  remainingPoints: number;
  msBeforeNext: number;
  isFirstInDuration: boolean;
}
type Limiter = {
  consume(key: string, points?: number): Promise<Res>;
  get(key: string): Promise<Res | null>;
  penalty(key: string, points?: number): Promise<Res>;
  reward(key: string, points?: number): Promise<Res>;
  block(key: string, secs: number): Promise<Res>;
  delete(key: string): Promise<boolean>;
};
type LimiterClass = new (opts: Record<string, unknown>) => Limiter;

async function loadLimiter(): Promise<LimiterClass | null> {
  try {
    const spec = process.env.NODIS_RLF_PATH ? `${process.env.NODIS_RLF_PATH}/index.js` : "rate-limiter-flexible";
    const mod = (await import(spec)) as { RateLimiterRedis?: LimiterClass; default?: { RateLimiterRedis: LimiterClass } };
    return mod.RateLimiterRedis ?? mod.default?.RateLimiterRedis ?? null;
  } catch {
    return null;
  }
}

const RateLimiterRedis = await loadLimiter();

/** What a result says, without the time left (it differs by the milliseconds the run took). */
const shape = (r: Res | null) => (r === null ? null : { consumed: r.consumedPoints, remaining: r.remainingPoints, first: r.isFirstInDuration });

/** consume() resolves or rejects with a result: either way, the result and whether it was refused. */
async function attempt(l: Limiter, key: string, points = 1): Promise<{ refused: boolean; res: ReturnType<typeof shape> }> {
  try {
    return { refused: false, res: shape(await l.consume(key, points)) };
  } catch (e) {
    if (e instanceof Error) throw e; // a Redis error, not a refusal
    return { refused: true, res: shape(e as Res) };
  }
}

describe.runIf(haveRedisServer() && RateLimiterRedis !== null)("acceptance: rate-limiter-flexible on Nodis", () => {
  let nodis: RunningServer;
  let oracle: { port: number; stop(): Promise<void> };
  const clients: Redis[] = [];
  let limiters: (opts: Record<string, unknown>) => [Limiter, Limiter];

  beforeAll(async () => {
    nodis = await startNodis({});
    oracle = await startRedis();
    const mine = new Redis({ port: nodis.port, host: "127.0.0.1", enableOfflineQueue: false });
    const theirs = new Redis({ port: oracle.port, host: "127.0.0.1", enableOfflineQueue: false });
    clients.push(mine, theirs);
    await Promise.all(clients.map((c) => until(() => c.status, (s) => s === "ready")));
    limiters = (opts) => [new RateLimiterRedis!({ storeClient: mine, ...opts }), new RateLimiterRedis!({ storeClient: theirs, ...opts })];
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await nodis?.close();
    await oracle?.stop();
  });

  it("consumes up to the limit, then refuses, as against redis-server", async () => {
    const [a, b] = limiters({ keyPrefix: "rl1", points: 5, duration: 100 });
    for (let i = 0; i < 8; i++) {
      const [x, y] = await Promise.all([attempt(a, "user", i === 3 ? 2 : 1), attempt(b, "user", i === 3 ? 2 : 1)]);
      expect(x, `attempt ${i}`).toEqual(y);
    }
    const [ga, gb] = await Promise.all([a.get("user"), b.get("user")]);
    expect(shape(ga)).toEqual(shape(gb));
    expect(ga!.consumedPoints).toBe(9);
    expect(Math.abs(ga!.msBeforeNext - gb!.msBeforeNext)).toBeLessThan(5000);
    expect(await Promise.all([a.get("nobody"), b.get("nobody")])).toEqual([null, null]);
  });

  it("applies penalty, reward, block and delete as against redis-server", async () => {
    const [a, b] = limiters({ keyPrefix: "rl2", points: 3, duration: 100 });
    const both = async <T>(f: (l: Limiter) => Promise<T>) => Promise.all([f(a), f(b)]);
    const steps: ((l: Limiter) => Promise<unknown>)[] = [
      (l) => attempt(l, "k"),
      (l) => l.penalty("k", 2).then(shape),
      (l) => attempt(l, "k"),
      (l) => l.reward("k", 3).then(shape),
      (l) => attempt(l, "k"),
      (l) => l.block("k", 50).then(shape),
      (l) => attempt(l, "k"),
      (l) => l.delete("k"),
      (l) => attempt(l, "k"),
      (l) => l.delete("missing"),
    ];
    for (const [i, step] of steps.entries()) {
      const [x, y] = await both(step);
      expect(x, `step ${i}`).toEqual(y);
    }
  });

  it("starts a new window once the last one expired", async () => {
    const [a, b] = limiters({ keyPrefix: "rl3", points: 2, duration: 1 });
    for (const l of [a, b]) {
      expect((await attempt(l, "w")).refused).toBe(false);
      expect((await attempt(l, "w")).refused).toBe(false);
      expect((await attempt(l, "w")).refused).toBe(true);
    }
    // The key expires after its one-second window: poll until both limiters accept again.
    for (const l of [a, b]) {
      const again = await until(() => attempt(l, "w"), (r) => !r.refused, { timeoutMs: 10000, everyMs: 100 });
      expect(again).toEqual({ refused: false, res: { consumed: 1, remaining: 1, first: true } });
    }
  });
});
