/**
 * Collects the V8 heap's garbage when the server is quiet, so used_memory (the addon's
 * allocations plus the V8 heap in use: commands/introspection.ts) falls after a large
 * command as Redis's does. V8 collects when allocation asks for it; an idle server
 * allocates next to nothing, so the argv of one big command (100,000 Buffer views, ~10 MB)
 * would stay counted until the next busy spell. Redis frees such memory at once, and
 * clients (and the upstream lazyfree tests) watch used_memory fall after UNLINK/FLUSHDB.
 *
 * A full collection of Nodis's small heap takes a few milliseconds; it runs from the cron
 * only when the heap grew by GROWTH bytes since the last collection and fewer than
 * QUIET_COMMANDS commands ran since the previous tick, so a loaded server never pays it.
 */
import v8 from "node:v8";
import vm from "node:vm";

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

/** One cron tick's check; `commands` is the server's running count of commands. */
export class QuietHeapCollector {
  private baseline = v8.getHeapStatistics().used_heap_size;
  private lastCommands = 0;

  tick(commands: number): void {
    const ran = commands - this.lastCommands;
    this.lastCommands = commands;
    const used = v8.getHeapStatistics().used_heap_size;
    // V8 collected by itself: the heap after it is the new reference.
    if (used < this.baseline) this.baseline = used;
    if (ran >= QUIET_COMMANDS || used - this.baseline < GROWTH) return;
    const gc = gcFunction();
    if (!gc) return;
    gc();
    collections++;
    this.baseline = v8.getHeapStatistics().used_heap_size;
  }
}
