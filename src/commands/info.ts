/** INFO: Redis 7.2's sections and field names (server.c genRedisInfoString). */
import os from "node:os";
import path from "node:path";
import type { Server } from "../server/server.js";
import type { CommandDef } from "./types.js";
import { NODIS_VERSION, REDIS_VERSION } from "../version.js";
import * as engine from "../engine/index.js";
import { introspection, memoryOverhead, usedMemory } from "./introspection.js";

/** The sections INFO (and `default`) gives, in Redis's order. */
const DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list", "errorstats", "cluster", "keyspace"];

/**
 * Values other features own (persistence, replication, pub/sub, eviction, ...)
 * register here by INFO field name; a field nobody registered shows its idle value.
 */
export const infoProviders = new Map<string, (server: Server) => string | number>();

/** `section` to the lines it adds, each "name:value". */
type Section = (s: Server) => string[];

/** Lines a feature of Nodis's own adds at the end of INFO persistence (backups). */
export const persistenceExtras: Section[] = [];

function field(server: Server, name: string, idle: string | number): string {
  const p = infoProviders.get(name);
  return `${name}:${p ? p(server) : idle}`;
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === "P") return `${d.toFixed(2)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}

/** INFO values may not contain these (getSafeInfoString). */
function safe(s: string): string {
  return s.replace(/[#:\r\n]/g, "_");
}

function cpuTime(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(Math.floor(us % 1e6)).padStart(6, "0")}`;
}

const serverSection: Section = (s) => {
  const st = introspection(s);
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const lines = [
    `redis_version:${REDIS_VERSION}`,
    `nodis_version:${NODIS_VERSION}`,
    "redis_git_sha1:00000000",
    "redis_git_dirty:0",
    "redis_build_id:0",
    `redis_mode:${s.sentinelMode ? "sentinel" : s.config.bool("cluster-enabled") ? "cluster" : "standalone"}`,
    `os:${os.type()} ${os.release()} ${os.machine()}`,
    "arch_bits:64",
    "monotonic_clock:POSIX clock_gettime",
    "multiplexing_api:epoll",
    "atomicvar_api:c11-builtin",
    "gcc_version:0.0.0",
    `process_id:${process.pid}`,
    "process_supervised:no",
    `run_id:${st.runId}`,
    `tcp_port:${s.port}`,
    `server_time_usec:${nowUs}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${Math.min(Math.max(s.config.int("hz"), 1), 500)}`,
    `configured_hz:${s.config.int("hz")}`,
    `lru_clock:${Math.floor(Date.now() / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ? path.resolve(process.argv[1]) : process.execPath}`,
    `config_file:${s.config.file ? path.resolve(s.config.file) : ""}`,
    "io_threads_active:0",
  ];
  // While a shutdown waits for its replicas (src/server/shutdown.ts).
  const shutdownIn = infoProviders.get("shutdown_in_milliseconds")?.(s) ?? "";
  if (shutdownIn !== "") lines.push(`shutdown_in_milliseconds:${shutdownIn}`);
  const binds = s.config.get("bind").split(/\s+/).filter(Boolean);
  lines.push(`listener0:name=tcp${binds.map((b) => `,bind=${b}`).join("")},port=${s.port}`);
  return lines;
};

const clientsSection: Section = (s) => {
  let replicas = 0;
  let blocked = 0;
  let tracking = 0;
  let maxIn = 0;
  let maxOut = 0;
  for (const c of s.clients.values()) {
    if (c.flags.has("slave") && !c.flags.has("monitor")) replicas++;
    if (c.blocked || c.flags.has("blocked")) blocked++;
    if (c.flags.has("tracking")) tracking++;
    maxIn = Math.max(maxIn, c.parser.pending);
    maxOut = Math.max(maxOut, c.socket.writableLength);
  }
  return [
    `connected_clients:${s.clients.size - replicas}`,
    "cluster_connections:0",
    `maxclients:${s.config.int("maxclients")}`,
    `client_recent_max_input_buffer:${maxIn}`,
    `client_recent_max_output_buffer:${maxOut}`,
    `blocked_clients:${blocked}`,
    `tracking_clients:${tracking}`,
    field(s, "clients_in_timeout_table", 0),
    field(s, "total_blocking_keys", 0),
    field(s, "total_blocking_keys_on_nokey", 0),
  ];
};

const memorySection: Section = (s) => {
  s.eviction.measureClients(); // the clients' buffers as they are now
  const st = introspection(s);
  const used = usedMemory();
  if (used > st.peakMemory) st.peakMemory = used;
  const rss = process.memoryUsage.rss();
  const total = os.totalmem();
  const maxmemory = Number(s.config.get("maxmemory"));
  const frag = used > 0 ? rss / used : 0;
  const alloc = engine.server.allocatorStats();
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0).toFixed(2);
  const pct = (a: number, b: number) => (b > 0 ? ((a * 100) / b).toFixed(2) : "0.00");
  const mo = memoryOverhead(s);
  const overhead = Math.min(mo.total, used);
  const dataset = used - overhead;
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${bytesToHuman(rss)}`,
    `used_memory_peak:${st.peakMemory}`,
    `used_memory_peak_human:${bytesToHuman(st.peakMemory)}`,
    `used_memory_peak_perc:${pct(used, st.peakMemory)}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${mo.startup}`,
    `used_memory_dataset:${dataset}`,
    // Redis's share of the dataset in what the server holds beyond its start-up memory.
    `used_memory_dataset_perc:${pct(dataset, used - mo.startup)}%`,
    `allocator_allocated:${alloc.allocated}`,
    `allocator_active:${alloc.active}`,
    `allocator_resident:${alloc.resident}`,
    `total_system_memory:${total}`,
    `total_system_memory_human:${bytesToHuman(total)}`,
    field(s, "used_memory_lua", 31744),
    field(s, "used_memory_vm_eval", 31744),
    field(s, "used_memory_lua_human", "31.00K"),
    field(s, "used_memory_scripts_eval", 0),
    field(s, "number_of_cached_scripts", 0),
    field(s, "number_of_functions", 0),
    field(s, "number_of_libraries", 0),
    field(s, "used_memory_vm_functions", 32768),
    field(s, "used_memory_vm_total", 64512),
    field(s, "used_memory_vm_total_human", "63.00K"),
    field(s, "used_memory_functions", 184),
    field(s, "used_memory_scripts", 184),
    field(s, "used_memory_scripts_human", "184B"),
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${s.config.get("maxmemory-policy")}`,
    // The allocator's figures cover the addon's memory; rss_overhead is Node's own beyond it.
    `allocator_frag_ratio:${ratio(alloc.active, alloc.allocated)}`,
    `allocator_frag_bytes:${alloc.active - alloc.allocated}`,
    `allocator_rss_ratio:${ratio(alloc.resident, alloc.active)}`,
    `allocator_rss_bytes:${alloc.resident - alloc.active}`,
    `rss_overhead_ratio:${ratio(rss, alloc.resident)}`,
    `rss_overhead_bytes:${rss - alloc.resident}`,
    `mem_fragmentation_ratio:${frag.toFixed(2)}`,
    `mem_fragmentation_bytes:${rss - used}`,
    field(s, "mem_not_counted_for_evict", 0),
    field(s, "mem_replication_backlog", 0),
    field(s, "mem_total_replication_buffers", 0),
    field(s, "mem_clients_slaves", 0),
    field(s, "mem_clients_normal", 0),
    "mem_cluster_links:0",
    field(s, "mem_aof_buffer", 0),
    `mem_allocator:${engine.server.ALLOCATOR}`,
    "active_defrag_running:0",
    field(s, "lazyfree_pending_objects", 0),
    field(s, "lazyfreed_objects", 0),
  ];
};

const persistenceSection: Section = (s) => [
  `loading:${s.loading || s.replLoading === "sync" ? 1 : 0}`,
  field(s, "async_loading", 0),
  field(s, "current_cow_peak", 0),
  field(s, "current_cow_size", 0),
  field(s, "current_cow_size_age", 0),
  field(s, "current_fork_perc", "0.00"),
  field(s, "current_save_keys_processed", 0),
  field(s, "current_save_keys_total", 0),
  field(s, "rdb_changes_since_last_save", s.writePath.dirty() - s.writePath.dirtyAtLastSave),
  field(s, "rdb_bgsave_in_progress", 0),
  field(s, "rdb_last_save_time", Math.floor(s.startedAt / 1000)),
  field(s, "rdb_last_bgsave_status", "ok"),
  field(s, "rdb_last_bgsave_time_sec", -1),
  field(s, "rdb_current_bgsave_time_sec", -1),
  field(s, "rdb_saves", 0),
  field(s, "rdb_last_cow_size", 0),
  field(s, "rdb_last_load_keys_expired", 0),
  field(s, "rdb_last_load_keys_loaded", 0),
  field(s, "aof_enabled", s.config.bool("appendonly") ? 1 : 0),
  field(s, "aof_rewrite_in_progress", 0),
  field(s, "aof_rewrite_scheduled", 0),
  field(s, "aof_last_rewrite_time_sec", -1),
  field(s, "aof_current_rewrite_time_sec", -1),
  field(s, "aof_last_bgrewrite_status", "ok"),
  field(s, "aof_rewrites", 0),
  field(s, "aof_rewrites_consecutive_failures", 0),
  field(s, "aof_last_write_status", "ok"),
  field(s, "aof_last_cow_size", 0),
  "module_fork_in_progress:0",
  "module_fork_last_cow_size:0",
  // With the AOF on, its sizes and buffers (Redis prints these only when aof_enabled).
  ...(s.config.bool("appendonly")
    ? ["aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"].map((n) => field(s, n, 0))
    : []),
  // While loading, its progress (Redis prints these only then).
  ...(s.loading
    ? ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem", "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"].map((n) =>
        field(s, n, 0),
      )
    : []),
  ...persistenceExtras.flatMap((f) => f(s)),
];

const statsSection: Section = (s) => {
  const st = introspection(s);
  const x = s.stats;
  const n = engine.server.stats();
  const cycles = st.loopCycles(s);
  return [
    `total_connections_received:${x.totalConnections}`,
    `total_commands_processed:${x.totalCommands}`,
    `instantaneous_ops_per_sec:${st.opsPerSec()}`,
    `total_net_input_bytes:${x.netInputBytes}`,
    `total_net_output_bytes:${x.netOutputBytes}`,
    field(s, "total_net_repl_input_bytes", 0),
    field(s, "total_net_repl_output_bytes", 0),
    `instantaneous_input_kbps:${st.inputKbps().toFixed(2)}`,
    `instantaneous_output_kbps:${st.outputKbps().toFixed(2)}`,
    "instantaneous_input_repl_kbps:0.00",
    "instantaneous_output_repl_kbps:0.00",
    `rejected_connections:${x.rejectedConnections}`,
    field(s, "sync_full", 0),
    field(s, "sync_partial_ok", 0),
    field(s, "sync_partial_err", 0),
    `expired_keys:${n.expiredKeys}`,
    `expired_stale_perc:${(n.expiredStalePerc * 100).toFixed(2)}`,
    `expired_time_cap_reached_count:${n.expiredTimeCapReachedCount}`,
    "expire_cycle_cpu_milliseconds:0",
    field(s, "evicted_keys", 0),
    field(s, "evicted_clients", 0),
    field(s, "total_eviction_exceeded_time", 0),
    field(s, "current_eviction_exceeded_time", 0),
    `keyspace_hits:${n.keyspaceHits}`,
    `keyspace_misses:${n.keyspaceMisses}`,
    field(s, "pubsub_channels", 0),
    field(s, "pubsub_patterns", 0),
    field(s, "pubsubshard_channels", 0),
    field(s, "latest_fork_usec", 0),
    field(s, "total_forks", 0),
    `migrate_cached_sockets:${engine.persistence.migrateCachedSockets()}`,
    "slave_expires_tracked_keys:0",
    "active_defrag_hits:0",
    "active_defrag_misses:0",
    "active_defrag_key_hits:0",
    "active_defrag_key_misses:0",
    "total_active_defrag_time:0",
    "current_active_defrag_time:0",
    field(s, "tracking_total_keys", 0),
    field(s, "tracking_total_items", 0),
    field(s, "tracking_total_prefixes", 0),
    field(s, "unexpected_error_replies", 0),
    `total_error_replies:${x.totalErrorReplies}`,
    field(s, "dump_payload_sanitizations", 0),
    `total_reads_processed:${x.totalCommands}`,
    `total_writes_processed:${x.totalCommands}`,
    "io_threaded_reads_processed:0",
    "io_threaded_writes_processed:0",
    "reply_buffer_shrinks:0",
    "reply_buffer_expands:0",
    `eventloop_cycles:${cycles}`,
    `eventloop_duration_sum:${st.loopBusyUsec()}`,
    `eventloop_duration_cmd_sum:${Math.floor(commandUsec(s))}`,
    `instantaneous_eventloop_cycles_per_sec:${st.opsPerSec() + Math.min(Math.max(s.config.int("hz"), 1), 500)}`,
    `instantaneous_eventloop_duration_usec:${st.loopUsecPerCycle()}`,
    field(s, "acl_access_denied_auth", 0),
    field(s, "acl_access_denied_cmd", 0),
    field(s, "acl_access_denied_key", 0),
    field(s, "acl_access_denied_channel", 0),
  ];
};

function commandUsec(s: Server): number {
  let t = 0;
  for (const c of s.stats.commands.values()) t += c.usec;
  return t;
}

const replicationSection: Section = (s) => {
  const st = introspection(s);
  const p = infoProviders.get("replication");
  if (p) return String(p(s)).split("\r\n");
  return [
    "role:master",
    "connected_slaves:0",
    "master_failover_state:no-failover",
    `master_replid:${st.replid}`,
    `master_replid2:${st.replid2}`,
    "master_repl_offset:0",
    "second_repl_offset:-1",
    "repl_backlog_active:0",
    `repl_backlog_size:${s.config.get("repl-backlog-size")}`,
    "repl_backlog_first_byte_offset:0",
    "repl_backlog_histlen:0",
  ];
};

const cpuSection: Section = () => {
  const u = process.resourceUsage();
  return [
    `used_cpu_sys:${cpuTime(u.systemCPUTime)}`,
    `used_cpu_user:${cpuTime(u.userCPUTime)}`,
    "used_cpu_sys_children:0.000000",
    "used_cpu_user_children:0.000000",
    `used_cpu_sys_main_thread:${cpuTime(u.systemCPUTime)}`,
    `used_cpu_user_main_thread:${cpuTime(u.userCPUTime)}`,
  ];
};

const commandstatsSection: Section = (s) => {
  const lines: string[] = [];
  for (const [name, c] of s.stats.commands) {
    if (!c.calls && !c.failed && !c.rejected) continue;
    const usec = Math.floor(c.usec);
    const per = c.calls === 0 ? 0 : usec / c.calls;
    lines.push(`cmdstat_${safe(name)}:calls=${c.calls},usec=${usec},usec_per_call=${per.toFixed(2)},rejected_calls=${c.rejected},failed_calls=${c.failed}`);
  }
  return lines;
};

const errorstatsSection: Section = (s) =>
  [...s.stats.errors.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `errorstat_${safe(code)}:count=${n}`);

/** Percentile as Redis prints it in the key: "%f" with trailing zeros (and dot) trimmed. */
function percentileName(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, "");
}

const latencystatsSection: Section = (s) => {
  const st = introspection(s);
  if (!st.latencyTracking) return [];
  const percentiles = s.config
    .get("latency-tracking-info-percentiles")
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const lines: string[] = [];
  const add = (spec: { name: string }) => {
    const h = st.histograms.get(spec as never);
    if (!h) return;
    const parts = percentiles.map((p) => `p${percentileName(p)}=${(h.valueAt(p) / 1000).toFixed(3)}`);
    lines.push(`latency_percentiles_usec_${safe(spec.name)}:${parts.join(",")}`);
  };
  for (const spec of s.commands.values()) {
    add(spec);
    spec.subcommands?.forEach(add);
  }
  return lines;
};

const keyspaceSection: Section = (s) => {
  const lines: string[] = [];
  const dbs = s.config.int("databases");
  for (let db = 0; db < dbs; db++) {
    const d = engine.server.dbInfo(db);
    if (d.keys || d.expires) lines.push(`db${db}:keys=${d.keys},expires=${d.expires},avg_ttl=${d.avgTtl}`);
  }
  return lines;
};

/** Section name to its title and generator, in Redis's output order. */
const SECTIONS: [string, string, Section][] = [
  ["server", "Server", serverSection],
  ["clients", "Clients", clientsSection],
  ["memory", "Memory", memorySection],
  ["persistence", "Persistence", persistenceSection],
  ["stats", "Stats", statsSection],
  ["replication", "Replication", replicationSection],
  ["cpu", "CPU", cpuSection],
  ["module_list", "Modules", () => []],
  ["commandstats", "Commandstats", commandstatsSection],
  ["errorstats", "Errorstats", errorstatsSection],
  ["latencystats", "Latencystats", latencystatsSection],
  ["cluster", "Cluster", (s) => [`cluster_enabled:${s.config.bool("cluster-enabled") ? 1 : 0}`]],
  ["keyspace", "Keyspace", keyspaceSection],
];

/** The INFO text for the requested section names (as INFO's arguments: `all`, `default`, `everything`, names). */
export function infoText(server: Server, args: string[]): string {
  const wanted = new Set<string>();
  let all = false;
  if (args.length === 0) DEFAULT_SECTIONS.forEach((x) => wanted.add(x));
  for (const a of args.map((x) => x.toLowerCase())) {
    if (a === "default") DEFAULT_SECTIONS.forEach((x) => wanted.add(x));
    else if (a === "all" || a === "everything") all = true;
    else wanted.add(a);
  }
  const parts: string[] = [];
  for (const [name, title, gen] of SECTIONS) {
    const on = all || wanted.has(name) || (name === "module_list" && wanted.has("modules"));
    if (!on) continue;
    const lines = gen(server);
    parts.push(`# ${title}\r\n` + lines.map((l) => l + "\r\n").join(""));
  }
  if (wanted.has("debug")) {
    parts.push(
      "# Debug\r\neventloop_duration_aof_sum:0\r\n" +
        `eventloop_duration_cron_sum:${introspection(server).cronRuns}\r\n` +
        "eventloop_duration_max:1\r\neventloop_cmd_per_cycle_max:1\r\n",
    );
  }
  return parts.join("\r\n");
}

export const infoCommands: CommandDef[] = [
  {
    name: "info",
    arity: -1,
    flags: "loading stale",
    acl: "slow dangerous",
    tips: "nondeterministic_output request_policy:all_shards response_policy:special",
    handler: (c) => c.r.verbatim(infoText(c.server, c.argv.slice(1).map((a) => a.toString("latin1")))),
  },
];
