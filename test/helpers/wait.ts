/**
 * Waiting for a condition instead of sleeping a fixed time: a busy machine
 * (2 cores shared by many workers) can stall any step by hundreds of
 * milliseconds, so tests poll what they expect with a generous deadline.
 */

/** Generous enough for a loaded CI machine; a passing test returns long before. */
export const DEADLINE_MS = 15_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` until `done(value)` holds or the deadline passes, and returns
 * the last value: the caller asserts on it, so a failure shows what was seen.
 */
export async function until<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = DEADLINE_MS, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

/** Polls a boolean condition; true once it holds, false at the deadline. */
export function waitFor(cond: () => boolean | Promise<boolean>, opts?: { timeoutMs?: number; everyMs?: number }): Promise<boolean> {
  return until(cond, (ok) => ok, opts);
}
