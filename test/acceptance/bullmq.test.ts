/**
 * Acceptance: BullMQ (its Lua scripts run with EVALSHA, cmsgpack and cjson)
 * against Nodis: a queue and a worker, delayed jobs, retries with exponential
 * backoff, priorities, a job scheduler (repeatable job), pause/resume and
 * getJobCounts. NODIS_BULLMQ_REDIS_PORT runs the same test against a running
 * redis-server instead (to check the test itself).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import { startNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

describe("acceptance: BullMQ on Nodis", () => {
  let srv: RunningServer | undefined;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };
  const closers: (() => Promise<unknown>)[] = [];
  let n = 0;
  const qname = () => `q${process.pid}_${Date.now()}_${n++}`;

  beforeAll(async () => {
    const port = Number(process.env.NODIS_BULLMQ_REDIS_PORT ?? 0) || (srv = await startNodis({})).port;
    connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await srv?.close();
  });

  function queue(name: string): Queue {
    const q = new Queue(name, { connection });
    closers.push(() => q.close());
    return q;
  }
  function worker(name: string, fn: (job: Job) => Promise<unknown>, opts: Record<string, unknown> = {}): Worker {
    const w = new Worker(name, fn, { connection, ...opts });
    closers.push(() => w.close());
    return w;
  }

  it("runs jobs through a worker and reports their results", async () => {
    const name = qname();
    const q = queue(name);
    const events = new QueueEvents(name, { connection });
    closers.push(() => events.close());
    await events.waitUntilReady();
    worker(name, async (job) => ({ doubled: job.data.x * 2 }));
    const job = await q.add("double", { x: 21 });
    expect(await job.waitUntilFinished(events, 15000)).toEqual({ doubled: 42 });
    const done = await until(() => q.getJobCounts("completed"), (c) => c.completed === 1);
    expect(done.completed).toBe(1);
  });

  it("holds a delayed job until its time", async () => {
    const name = qname();
    const q = queue(name);
    const ran: number[] = [];
    const job = await q.add("later", {}, { delay: 300 });
    const added = job.timestamp;
    expect((await q.getJobCounts("delayed")).delayed).toBe(1);
    worker(name, async () => void ran.push(Date.now()));
    await until(() => ran.length, (len) => len === 1);
    expect(ran.length).toBe(1);
    expect(ran[0] - added).toBeGreaterThanOrEqual(300);
  });

  it("retries a failing job with exponential backoff", async () => {
    const name = qname();
    const q = queue(name);
    const attempts: number[] = [];
    worker(name, async (job) => {
      attempts.push(Date.now());
      if (job.attemptsMade < 2) throw new Error(`fail ${job.attemptsMade}`);
      return "ok";
    });
    const job = await q.add("flaky", {}, { attempts: 3, backoff: { type: "exponential", delay: 100 } });
    const state = await until(() => q.getJobState(job.id!), (s) => s === "completed" || s === "failed");
    expect(state).toBe("completed");
    expect(attempts.length).toBe(3);
    // Exponential: about 100 ms, then about 200 ms between attempts.
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(90);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(190);
    const done = await q.getJob(job.id!);
    expect(done?.attemptsMade).toBe(3);
    expect(done?.returnvalue).toBe("ok");
  });

  it("fails a job for good after its attempts", async () => {
    const name = qname();
    const q = queue(name);
    worker(name, async () => {
      throw new Error("always");
    });
    const job = await q.add("doomed", {}, { attempts: 2, backoff: { type: "fixed", delay: 10 } });
    const state = await until(() => q.getJobState(job.id!), (s) => s === "failed");
    expect(state).toBe("failed");
    expect((await q.getJob(job.id!))?.failedReason).toBe("always");
    expect((await q.getJobCounts("failed")).failed).toBe(1);
  });

  it("takes jobs by priority", async () => {
    const name = qname();
    const q = queue(name);
    await q.add("low", { p: 10 }, { priority: 10 });
    await q.add("high", { p: 1 }, { priority: 1 });
    await q.add("mid", { p: 5 }, { priority: 5 });
    await q.add("none", { p: 0 });
    expect((await q.getJobCounts("prioritized", "wait")).prioritized).toBe(3);
    const order: string[] = [];
    worker(name, async (job) => void order.push(job.name), { concurrency: 1 });
    await until(() => order.length, (len) => len === 4);
    expect(order).toEqual(["none", "high", "mid", "low"]);
  });

  it("runs a job scheduler's repeatable job again and again", async () => {
    const name = qname();
    const q = queue(name);
    const runs: number[] = [];
    await q.upsertJobScheduler("every-150", { every: 150 }, { name: "tick", data: { t: 1 } });
    worker(name, async () => void runs.push(Date.now()));
    await until(() => runs.length, (len) => len >= 3);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const schedulers = await q.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toEqual(["every-150"]);
    await q.removeJobScheduler("every-150");
    expect(await q.getJobSchedulers()).toEqual([]);
  });

  it("pauses and resumes a queue, and counts its jobs", async () => {
    const name = qname();
    const q = queue(name);
    await q.pause();
    expect(await q.isPaused()).toBe(true);
    const ran: string[] = [];
    worker(name, async (job) => void ran.push(job.id!));
    await q.addBulk([{ name: "a", data: {} }, { name: "b", data: {} }, { name: "c", data: {} }]);
    const paused = await q.getJobCounts("paused", "wait", "active", "completed");
    expect(paused.paused + paused.wait).toBe(3);
    expect(ran).toEqual([]);
    await q.resume();
    expect(await q.isPaused()).toBe(false);
    await until(() => ran.length, (len) => len === 3);
    const counts = await until(() => q.getJobCounts("completed", "wait", "active", "failed", "delayed"), (c) => c.completed === 3);
    expect(counts).toEqual({ completed: 3, wait: 0, active: 0, failed: 0, delayed: 0 });
  });
});
