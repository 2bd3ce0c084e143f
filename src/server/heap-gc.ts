/**
 * Collects the V8 heap's garbage when the server is quiet, so the process's memory (RSS)
 * falls after a large command as Redis's does. V8 collects when allocation asks for it;
 * an idle server allocates next to nothing, so the argv of one big command (100,000
 * Buffer views, ~10 MB) or the input of a 512 MB SET (Buffers outside the heap, which
 * only a collection releases) would stay resident until the next busy spell. After a
 * collection `afterCollect` runs (the server gives the C library's free memory back).
 *
 * A full collection of Nodis's small heap takes a few milliseconds; it runs from the cron
 * only when the heap grew by GROWTH bytes since the last collection and fewer than
 * QUIET_COMMANDS commands ran since the previous tick, so a loaded server never pays it.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { releaseArgBuffers } from "../protocol/arg-pool.js";

/** Garbage worth collecting: less stays until V8 collects by itself. */
const GROWTH = 4 * 1024 * 1024;
/** Commands per cron tick under which the server counts as quiet. */
const QUIET_COMMANDS = 100;

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

  constructor(private readonly afterCollect: () => void = () => {}) {}

  tick(commands: number): void {
    const ran = commands - this.lastCommands;
    this.lastCommands = commands;
    // A quiet server keeps no spare argument Buffers (they would count as used memory for nothing).
    if (ran < QUIET_COMMANDS) releaseArgBuffers();
    const used = jsMemory();
    // V8 collected by itself: the heap after it is the new reference.
    if (used < this.baseline) this.baseline = used;
    if (ran >= QUIET_COMMANDS || used - this.baseline < GROWTH) return;
    const gc = gcFunction();
    if (!gc) return;
    gc();
    collections++;
    this.afterCollect();
    this.baseline = jsMemory();
  }
}
