/**
 * A crash is reported in the log as Redis reports it (the bug report's
 * "crashed by signal" line), and the process dies by that signal: a SIGABRT
 * sent to it, DEBUG SEGFAULT. Side by side with redis-server.
 */
import { afterAll, describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-crash-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

/** Starts `bin`, does `crash` to it, and gives the signal it died by and what it logged. */
async function crash(bin: string, how: (s: ServerProcess) => Promise<void> | void): Promise<{ signal: string | null; log: string }> {
  const s = await startIn(dirs(), ["--crash-memcheck-enabled", "no"], bin);
  started.push(s);
  const died = new Promise<string | null>((resolve) => s.proc.on("exit", (_code, signal) => resolve(signal)));
  await how(s);
  const signal = await died;
  // The pipes may still hold the last lines when the process is gone.
  await new Promise((r) => setTimeout(r, 50));
  return { signal, log: s.log() };
}

const bins = haveRedisServer() ? ["nodis", "redis-server"] : ["nodis"];

describe("crash report", () => {
  it.each(bins)("%s: a SIGABRT is reported, then the process dies by it", async (bin) => {
    const { signal, log } = await crash(bin, (s) => void s.proc.kill("SIGABRT"));
    expect(signal).toBe("SIGABRT");
    expect(log).toContain("=== REDIS BUG REPORT START: Cut & paste starting from here ===");
    expect(log).toMatch(/# Redis \d+\.\d+\.\d+ crashed by signal: 6, si_code: 0\n/);
  });

  it.each(bins)("%s: DEBUG SEGFAULT is reported, then the process dies by SIGSEGV", async (bin) => {
    const { signal, log } = await crash(bin, async (s) => {
      await s.client().call("debug", "segfault").catch(() => undefined);
    });
    expect(signal).toBe("SIGSEGV");
    expect(log).toMatch(/# Redis \d+\.\d+\.\d+ crashed by signal: 11, si_code: 2\n/);
  });
});
