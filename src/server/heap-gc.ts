/**
 * Collects the V8 heap's garbage when the server is quiet, so the process's memory (RSS)
 * falls after a large command as Redis's does. V8 collects when allocation asks for it;
 * an idle server allocates next to nothing, so the argv of one big command (100,000
 * Buffer views, ~10 MB) or the input of a 512 MB SET (Buffers outside the heap, which
 * only a collection releases) would stay resident until the next busy spell. After a
 * collection `afterCollect` runs (the server gives the C library's free memory back).
 *
 * A full collection of Nodis's small heap takes a few milliseconds; it runs from the cron
 * only when fewer than QUIET_COMMANDS commands ran since the previous tick (so a loaded
 * server never pays it) and either the heap grew by GROWTH bytes since the last collection
 * or BURST_COMMANDS commands ran since the last collection made for that rule, and the
 * ticks have been quiet for LOAD_ENDED_MS. That second rule is for a load that ended: V8's
 * scavenges collected its garbage, but the last of it (its clients' buffers), the pages V8
 * emptied and the C library's freed chunks stayed resident until some later collection
 * (after 100,000 ZADDs pipelined, about 2.5 MB of the 31 MB the RSS grew by). A busy tick
 * reads nothing: process.memoryUsage() costs a /proc read.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { releaseArgBuffers } from "../protocol/arg-pool.js";

/** Garbage worth collecting: less stays until V8 collects by itself. */
const GROWTH = 4 * 1024 * 1024;
/** Commands per cron tick under which the server counts as quiet. */
const QUIET_COMMANDS = 100;
/** Commands after which a quiet tick collects even without heap growth (at most one collection per this many). */
const BURST_COMMANDS = 10_000;
/** How long the ticks must have been quiet for a load to count as ended (its clients gone). */
const LOAD_ENDED_MS = 250;

let collect: (() => void) | null | undefined;
let collections = 0;

/** How many collections the quiet-server rule ran in this process (tests, diagnostics). */
export function quietCollections(): number {
  return collections;
}

/** V8's gc(), exposed at run time (a context made after --expose-gc has it). */
function gcFunction(): (() => void) | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** A full collection now, where the runtime allows it (MEMORY PURGE). */
export function collectGarbage(): void {
  gcFunction()?.();
}

/** One cron tick's check; `commands` is the server's running count of commands. */
/** The heap in use and the memory of the Buffers it holds. */
function jsMemory(): number {
  return v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

export class QuietHeapCollector {
  private baseline = jsMemory();
  private lastCommands = 0;
  /** The command count at the last collection for the end of a load (or at the first tick). */
  private loadCollectedAt = -1;
  /** When the ticks turned quiet (performance.now()), -1 while busy. */
  private quietSince = -1;

  constructor(private readonly afterCollect: () => void = () => {}) {}

  tick(commands: number, now = performance.now()): void {
    const ran = commands - this.lastCommands;
    this.lastCommands = commands;
    if (this.loadCollectedAt < 0) this.loadCollectedAt = commands;
    // Busy: nothing to decide (and process.memoryUsage() is not free).
    if (ran >= QUIET_COMMANDS) {
      this.quietSince = -1;
      return;
    }
    if (this.quietSince < 0) this.quietSince = now;
    // A quiet server keeps no spare argument Buffers (they would count as used memory for nothing).
    releaseArgBuffers();
    const used = jsMemory();
    // V8 collected by itself: the heap after it is the new reference.
    if (used < this.baseline) this.baseline = used;
    const loadEnded = commands - this.loadCollectedAt >= BURST_COMMANDS && now - this.quietSince >= LOAD_ENDED_MS;
    if (used - this.baseline < GROWTH && !loadEnded) return;
    const gc = gcFunction();
    if (!gc) return;
    gc();
    collections++;
    this.afterCollect();
    this.baseline = jsMemory();
    if (loadEnded) this.loadCollectedAt = commands;
  }
}
