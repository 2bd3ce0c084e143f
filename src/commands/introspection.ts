/**
 * Per-server state of the introspection features (INFO, SLOWLOG, LATENCY,
 * MONITOR) and the one command observer and cron hook that feed them.
 */
import { randomHex } from "../server/node-builtins.js";
import { performance } from "node:perf_hooks";
import type { Server } from "../server/server.js";
import type { Client } from "../server/client.js";
import { QuietHeapCollector, collectGarbage } from "../server/heap-gc.js";
import { clientBuffers } from "../server/client-buffers.js";
import { CMD_ADMIN, CMD_FAST, CMD_SKIP_MONITOR, CMD_SKIP_SLOWLOG, type CommandSpec } from "./types.js";
import { Histogram } from "./histogram.js";
import { SlowLog } from "./slowlog-store.js";
import { LatencyMonitor } from "./latency-events.js";
import { feedMonitors } from "./monitor-feed.js";
import { scriptCaller } from "../scripting/caller.js";

/** How the slowlog shows Redis's Lua client: no address, no name. */
const LUA_CLIENT = { addr: "", name: "" } as Client;
import * as engine from "../engine/index.js";
import { findParam } from "../config/table.js";

/** Bytes the addon frees (from its peak) before the allocators are asked to return free memory. */
const TRIM_AFTER = 8 * 1024 * 1024;
/**
 * A free this big (a deleted big value) also collects V8's garbage first: the value's
 * input (a Buffer outside the heap, as big) is garbage by then, but the quiet-server
 * rule may have measured its baseline while that Buffer was live, and would keep it.
 */
const COLLECT_AFTER = 64 * 1024 * 1024;
/** Redis samples its instantaneous metrics every 100ms and averages 16 samples. */
const SAMPLES = 16;

export class Introspection {
  readonly runId = randomHex(20);
  /** Replication ids (the replication feature may take these over). */
  replid = randomHex(20);
  replid2 = "0".repeat(40);
  peakMemory = 0;
  /** used_memory once the server had started (used_memory_startup). */
  startupMemory = 0;
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  /** Per command latency (ns) for INFO latencystats and LATENCY HISTOGRAM. */
  readonly histograms = new Map<CommandSpec, Histogram>();
  readonly monitors = new Set<Client>();
  /** Cached settings (config lookups are too slow for every command). */
  latencyTracking = true;
  slowerThan = 10000;
  slowMax = 128;
  latencyThreshold = 0;
  private opsSamples = new Array<number>(SAMPLES).fill(0);
  private inSamples = new Array<number>(SAMPLES).fill(0);
  private outSamples = new Array<number>(SAMPLES).fill(0);
  private loopSamples = new Array<number>(SAMPLES).fill(0);
  private sampleIdx = 0;
  private last = { at: 0, ops: 0, inBytes: 0, outBytes: 0, cycles: 0, busy: 0 };
  cronRuns = 0;
  /** Node's event loop busy time (ms) at the last CONFIG RESETSTAT. */
  private busyBase = performance.eventLoopUtilization().active;

  /** eventloop_cycles: an estimate (Node does not count its loop's turns): cron runs plus commands. */
  loopCycles(server: Server): number {
    return this.cronRuns + server.stats.totalCommands;
  }

  /** eventloop_duration_sum: the time (µs) the event loop was busy, measured by Node. */
  loopBusyUsec(): number {
    return Math.floor((performance.eventLoopUtilization().active - this.busyBase) * 1000);
  }

  sample(server: Server): void {
    const now = Date.now();
    const s = server.stats;
    this.cronRuns++;
    if (this.last.at !== 0 && now > this.last.at) {
      const dt = now - this.last.at;
      const i = this.sampleIdx;
      this.opsSamples[i] = ((s.totalCommands - this.last.ops) * 1000) / dt;
      this.inSamples[i] = ((s.netInputBytes - this.last.inBytes) * 1000) / dt;
      this.outSamples[i] = ((s.netOutputBytes - this.last.outBytes) * 1000) / dt;
      this.sampleIdx = (i + 1) % SAMPLES;
    }
    const cycles = this.loopCycles(server);
    const busy = this.loopBusyUsec();
    // Busy time per loop turn since the last sample (Redis's STATS_METRIC_EL_DURATION).
    if (this.last.at !== 0 && cycles > this.last.cycles) {
      this.loopSamples[(this.sampleIdx + SAMPLES - 1) % SAMPLES] = Math.max(0, busy - this.last.busy) / (cycles - this.last.cycles);
    }
    this.last = { at: now, ops: s.totalCommands, inBytes: s.netInputBytes, outBytes: s.netOutputBytes, cycles, busy };
    const used = usedMemory();
    if (used > this.peakMemory) this.peakMemory = used;
  }

  opsPerSec(): number {
    return Math.floor(avg(this.opsSamples));
  }
  /** instantaneous_eventloop_duration_usec. */
  loopUsecPerCycle(): number {
    return Math.floor(avg(this.loopSamples));
  }
  inputKbps(): number {
    return avg(this.inSamples) / 1024;
  }
  outputKbps(): number {
    return avg(this.outSamples) / 1024;
  }

  resetStats(server: Server): void {
    for (const spec of this.histograms.keys()) spec.latency = null;
    this.histograms.clear();
    this.opsSamples.fill(0);
    this.inSamples.fill(0);
    this.outSamples.fill(0);
    this.loopSamples.fill(0);
    this.busyBase = performance.eventLoopUtilization().active;
    // The next sample counts from the zeroed totals (Redis zeroes last_sample_base), not
    // from the totals before the reset, which would make a negative rate.
    const s = server.stats;
    this.last = { at: Date.now(), ops: s.totalCommands, inBytes: s.netInputBytes, outBytes: s.netOutputBytes, cycles: this.loopCycles(server), busy: this.loopBusyUsec() };
    this.peakMemory = usedMemory();
  }
}

function avg(a: number[]): number {
  let t = 0;
  for (const v of a) t += v;
  return t / a.length;
}

/**
 * used_memory, as Redis counts it: the data (the addon's allocations) and the
 * clients' buffers (query and output, measured each cron tick); not V8's heap,
 * whose garbage would count until a collection and evict keys for nothing.
 */
export function usedMemory(): number {
  return engine.server.usedMemory() + clientBuffers.normal + clientBuffers.replicas + clientBuffers.tracking;
}

/** What used_memory spends besides the dataset (Redis's getMemoryOverheadData, for what Nodis has). */
export interface MemoryOverhead {
  startup: number;
  clientsNormal: number;
  clientsReplicas: number;
  /** Per non-empty db: [db, main table bytes, expires table bytes]. */
  dbs: [number, number, number][];
  total: number;
}

export function memoryOverhead(server: Server): MemoryOverhead {
  const startup = introspection(server).startupMemory;
  let total = startup + clientBuffers.normal + clientBuffers.replicas;
  const dbs: [number, number, number][] = [];
  const n = server.config.int("databases");
  for (let db = 0; db < n; db++) {
    if (engine.keys.dbsize(db) === 0) continue;
    const [main, expires] = engine.server.dbOverhead(db);
    dbs.push([db, main, expires]);
    total += main + expires;
  }
  return { startup, clientsNormal: clientBuffers.normal, clientsReplicas: clientBuffers.replicas, dbs, total };
}

const states = new WeakMap<Server, Introspection>();

export function introspection(server: Server): Introspection {
  let st = states.get(server);
  if (!st) {
    st = new Introspection();
    states.set(server, st);
  }
  return st;
}

/**
 * The arguments MONITOR and the slow log show as "(redacted)", as each Redis
 * command marks them (redactClientCommandArgument): passwords and ACL rules.
 */
export function redactedArgs(name: string, argv: Buffer[]): Set<number> | null {
  const lower = (i: number) => argv[i].toString("latin1").toLowerCase();
  const out = new Set<number>();
  switch (name) {
    case "auth":
      for (let i = 1; i < argv.length; i++) out.add(i);
      break;
    case "acl|setuser":
      for (let i = 2; i < argv.length; i++) out.add(i);
      break;
    case "hello":
      for (let i = 2; i < argv.length; i++) {
        const opt = lower(i);
        if (opt === "auth" && i + 2 < argv.length) {
          out.add(i + 1).add(i + 2);
          i += 2;
        } else if (opt === "setname") i++;
      }
      break;
    case "migrate":
      for (let i = 6; i < argv.length; i++) {
        const opt = lower(i);
        if (opt === "auth" && i + 1 < argv.length) out.add(++i);
        else if (opt === "auth2" && i + 2 < argv.length) {
          out.add(i + 1).add(i + 2);
          i += 2;
        } else if (opt === "keys") break;
      }
      break;
    case "config|set":
      for (let i = 2; i + 1 < argv.length; i += 2) {
        if (findParam(argv[i].toString("latin1").toLowerCase())?.sensitive) out.add(i + 1);
      }
      break;
    default:
      return null;
  }
  return out.size > 0 ? out : null;
}

/** Sets up the observer and cron hook for `server`; called once from its constructor. */
export function installIntrospection(server: Server): void {
  introspection(server).startupMemory = usedMemory();
  const st = introspection(server);
  const cfg = server.config;
  const read = () => {
    st.latencyTracking = cfg.bool("latency-tracking");
    st.slowerThan = cfg.int("slowlog-log-slower-than");
    st.slowMax = cfg.int("slowlog-max-len");
    st.latencyThreshold = cfg.int("latency-monitor-threshold");
    st.slowlog.trim(st.slowMax);
  };
  read();
  cfg.onChange((name) => {
    if (name.startsWith("slowlog-") || name.startsWith("latency-")) read();
  });
  server.cronHooks.push(() => st.sample(server));
  const heap = new QuietHeapCollector(() => engine.server.mallocTrim());
  // The addon's frees go back to the system too: once its allocations fell by TRIM_AFTER since their peak.
  let peak = 0;
  server.cronHooks.push(() => {
    // While a forked child (BGSAVE, an AOF rewrite) shares this process's pages, a forced
    // collection or a trim would only copy them (every page the parent writes or gives back
    // then stays the child's alone) and stall the loop meanwhile: both wait for its end.
    if (engine.persistence.childPid() !== null) return;
    heap.tick(server.stats.totalCommands);
    const allocated = engine.server.usedMemory();
    if (allocated > peak) peak = allocated;
    else if (peak - allocated > TRIM_AFTER) {
      if (peak - allocated > COLLECT_AFTER) collectGarbage();
      engine.server.mallocTrim();
      peak = allocated;
    }
  });
  const leaveMonitor = (c: Client) => {
    if (st.monitors.delete(c)) {
      c.flags.delete("monitor");
      c.flags.delete("slave");
    }
  };
  server.closeHooks.push(leaveMonitor);
  server.resetHooks.push(leaveMonitor);
  server.observers.push((client, spec, argv, usec) => {
    if (st.latencyTracking && !client.blocked) {
      let h = spec.latency;
      if (h === null) st.histograms.set(spec, (h = spec.latency = new Histogram()));
      h.record(usec * 1000);
    }
    const bits = spec.bits;
    // A script's command runs for Redis's Lua client: "lua" to MONITOR, no address or name in the slowlog.
    const lua = scriptCaller.client === client;
    // A blocked command is shown to MONITOR when it first runs, and measured when it completes.
    if (st.monitors.size > 0 && (bits & (CMD_ADMIN | CMD_SKIP_MONITOR)) === 0 && !client.reprocessing) {
      feedMonitors(server, st.monitors, client, argv, redactedArgs(spec.name, argv), lua);
    }
    if (client.blocked) return;
    if (st.slowerThan >= 0 && usec >= st.slowerThan && (bits & CMD_SKIP_SLOWLOG) === 0) {
      st.slowlog.add(lua ? LUA_CLIENT : client, argv, usec, st.slowMax, redactedArgs(spec.name, argv));
    }
    if (st.latencyThreshold > 0 && usec / 1000 >= st.latencyThreshold) {
      st.latency.add((bits & CMD_FAST) !== 0 ? "fast-command" : "command", Math.floor(usec / 1000));
    }
  });
}

/** CONFIG RESETSTAT: every statistic INFO shows goes back to zero. */
export function resetStats(server: Server): void {
  server.stats.reset();
  engine.server.resetStats();
  engine.evict.resetStats();
  introspection(server).resetStats(server);
}
