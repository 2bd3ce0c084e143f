/**
 * The configuration table: every directive Nodis knows, with Redis 7.2's
 * name, type, default, bounds and mutability. The CLI, the config file,
 * CONFIG GET/SET/REWRITE and INFO all derive from it.
 */
export type ParamType = "bool" | "int" | "memory" | "enum" | "string" | "special";

export interface Param {
  name: string;
  aliases?: string[];
  type: ParamType;
  /** The default, as it would be written in redis.conf. */
  default: string;
  min?: number;
  max?: number;
  /** Allowed values for enums (several may be combined with "multi"). */
  values?: string[];
  multi?: boolean;
  /** Can CONFIG SET change it at run time? */
  mutable: boolean;
  /** Percent values allowed ("10%" stored as negative), as maxmemory-clients. */
  percent?: boolean;
  /** For special types: checks and normalises the words; returns an error text or the canonical value. */
  parse?: (words: string[]) => { value: string } | { error: string };
  /** A value asking for what is not built yet: the reason, else undefined. */
  unsupported?: (value: string) => string | undefined;
  /** Secret values (requirepass) are still shown by CONFIG GET, as Redis does. */
  sensitive?: boolean;
}

const LLMAX = Number.MAX_SAFE_INTEGER;
const INTMAX = 2147483647;

const b = (name: string, def: "yes" | "no", mutable = true, extra: Partial<Param> = {}): Param => ({ name, type: "bool", default: def, mutable, ...extra });
const i = (name: string, def: number, min: number, max: number, mutable = true, extra: Partial<Param> = {}): Param => ({ name, type: "int", default: String(def), min, max, mutable, ...extra });
const m = (name: string, def: string, min: number, max: number, mutable = true, extra: Partial<Param> = {}): Param => ({ name, type: "memory", default: def, min, max, mutable, ...extra });
const e = (name: string, def: string, values: string[], mutable = true, extra: Partial<Param> = {}): Param => ({ name, type: "enum", default: def, values, mutable, ...extra });
const s = (name: string, def: string, mutable = true, extra: Partial<Param> = {}): Param => ({ name, type: "string", default: def, mutable, ...extra });

const notYet = (what: string) => (v: string) => (v === "yes" ? `${what} is not supported by this Nodis build yet` : undefined);

/** `save`: pairs of seconds and changes, or "" for none. */
function parseSave(words: string[]): { value: string } | { error: string } {
  const flat = words.join(" ").trim();
  if (flat === "") return { value: "" };
  const parts = flat.split(/\s+/);
  if (parts.length % 2 !== 0) return { error: "Invalid save parameters" };
  for (const p of parts) if (!/^\d+$/.test(p)) return { error: "Invalid save parameters" };
  return { value: parts.join(" ") };
}

/** `client-output-buffer-limit`: class hard soft seconds, any number of classes. */
function parseObufLimit(words: string[]): { value: string } | { error: string } {
  const parts = words.join(" ").trim().split(/\s+/);
  if (parts.length % 4 !== 0) return { error: "Wrong number of arguments in buffer limit configuration." };
  const current = new Map<string, string[]>([
    ["normal", ["0", "0", "0"]],
    ["slave", ["268435456", "67108864", "60"]],
    ["pubsub", ["33554432", "8388608", "60"]],
  ]);
  for (let k = 0; k < parts.length; k += 4) {
    let cls = parts[k].toLowerCase();
    if (cls === "replica") cls = "slave";
    if (!current.has(cls)) return { error: "Invalid client class specified in buffer limit configuration." };
    const hard = memToBytes(parts[k + 1]);
    const soft = memToBytes(parts[k + 2]);
    const secs = Number(parts[k + 3]);
    if (hard === null || soft === null || !/^\d+$/.test(parts[k + 3]) || hard < 0 || soft < 0 || secs < 0) {
      return { error: "Error in hard, soft or soft_seconds setting in buffer limit configuration." };
    }
    current.set(cls, [String(hard), String(soft), String(secs)]);
  }
  return { value: [...current].map(([c, v]) => `${c} ${v.join(" ")}`).join(" ") };
}

/** Parses a memory amount as redis.conf writes it: 1k 1kb 1m 1mb 1g 1gb (k=1000, kb=1024). */
export function memToBytes(v: string): number | null {
  const mm = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(v.trim());
  if (!mm) return null;
  const n = Number(mm[1]);
  const unit = (mm[2] ?? "").toLowerCase();
  const mul: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };
  return n * mul[unit];
}

export const PARAMS: Param[] = [
  // Network
  s("bind", "* -::*", true, { type: "special", parse: (w) => ({ value: w.join(" ") }) }),
  i("port", 6379, 0, 65535),
  i("tcp-backlog", 511, 0, INTMAX, false),
  i("timeout", 0, 0, INTMAX),
  i("tcp-keepalive", 300, 0, INTMAX),
  b("protected-mode", "yes"),
  s("unixsocket", "", false),
  i("unixsocketperm", 0, 0, 0o777, false),
  s("bind-source-addr", ""),
  i("tls-port", 0, 0, 65535, true, { unsupported: (v) => (v !== "0" ? "TLS is not supported by Nodis" : undefined) }),
  // General
  b("daemonize", "no", false, { unsupported: notYet("daemonize") }),
  e("supervised", "no", ["upstart", "systemd", "auto", "no"], false),
  s("pidfile", "", false),
  e("loglevel", "notice", ["debug", "verbose", "notice", "warning", "nothing"]),
  s("logfile", "", false),
  b("syslog-enabled", "no", false),
  s("syslog-ident", "redis", false),
  e("syslog-facility", "local0", ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], false),
  b("crash-log-enabled", "yes"),
  b("crash-memcheck-enabled", "yes"),
  i("databases", 16, 1, INTMAX, false),
  b("always-show-logo", "no", false),
  b("set-proc-title", "yes", false),
  s("proc-title-template", "{title} {listen-addr} {server-mode}"),
  s("locale-collate", ""),
  e("enable-protected-configs", "no", ["no", "yes", "local"], false),
  e("enable-debug-command", "no", ["no", "yes", "local"], false),
  e("enable-module-command", "no", ["no", "yes", "local"], false),
  // Snapshotting (built by the persistence issue; accepted with Redis's defaults)
  { name: "save", type: "special", default: "3600 1 300 100 60 10000", mutable: true, parse: parseSave },
  b("stop-writes-on-bgsave-error", "yes"),
  b("rdbcompression", "yes"),
  b("rdbchecksum", "yes"),
  e("sanitize-dump-payload", "no", ["no", "yes", "clients"]),
  s("dbfilename", "dump.rdb"),
  b("rdb-del-sync-files", "no"),
  s("dir", "", true, { type: "special", parse: (w) => ({ value: w.join(" ") }) }),
  // Replication (built by the replication issue)
  s("replicaof", "", false, { aliases: ["slaveof"], type: "special", parse: (w) => ({ value: w.join(" ") }), unsupported: (v) => (v !== "" ? "replication is not supported by this Nodis build yet" : undefined) }),
  s("masterauth", "", true, { sensitive: true }),
  s("masteruser", ""),
  b("replica-serve-stale-data", "yes", true, { aliases: ["slave-serve-stale-data"] }),
  b("replica-read-only", "yes", true, { aliases: ["slave-read-only"] }),
  b("repl-diskless-sync", "yes"),
  i("repl-diskless-sync-delay", 5, 0, INTMAX),
  i("repl-diskless-sync-max-replicas", 0, 0, INTMAX),
  e("repl-diskless-load", "disabled", ["disabled", "on-empty-db", "swapdb"]),
  i("repl-ping-replica-period", 10, 1, INTMAX, true, { aliases: ["repl-ping-slave-period"] }),
  i("repl-timeout", 60, 1, INTMAX),
  b("repl-disable-tcp-nodelay", "no"),
  m("repl-backlog-size", "1mb", 1, LLMAX),
  i("repl-backlog-ttl", 3600, 0, INTMAX),
  i("replica-priority", 100, 0, INTMAX, true, { aliases: ["slave-priority"] }),
  b("replica-announced", "yes"),
  i("min-replicas-to-write", 0, 0, INTMAX, true, { aliases: ["min-slaves-to-write"] }),
  i("min-replicas-max-lag", 10, 0, INTMAX, true, { aliases: ["min-slaves-max-lag"] }),
  s("replica-announce-ip", "", true, { aliases: ["slave-announce-ip"] }),
  i("replica-announce-port", 0, 0, 65535, true, { aliases: ["slave-announce-port"] }),
  b("replica-ignore-maxmemory", "yes", true, { aliases: ["slave-ignore-maxmemory"] }),
  b("replica-lazy-flush", "no", true, { aliases: ["slave-lazy-flush"] }),
  // Security
  s("requirepass", "", true, { sensitive: true }),
  i("acllog-max-len", 128, 0, LLMAX),
  s("aclfile", "", false),
  e("acl-pubsub-default", "resetchannels", ["allchannels", "resetchannels"]),
  // Clients
  i("maxclients", 10000, 1, INTMAX),
  // Memory management (eviction is built by the cache issue)
  m("maxmemory", "0", 0, LLMAX),
  e("maxmemory-policy", "noeviction", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"]),
  i("maxmemory-samples", 5, 1, 64),
  i("maxmemory-eviction-tenacity", 10, 0, 100),
  m("maxmemory-clients", "0", 0, LLMAX, true, { percent: true }),
  // Lazy freeing
  b("lazyfree-lazy-eviction", "no"),
  b("lazyfree-lazy-expire", "no"),
  b("lazyfree-lazy-server-del", "no"),
  b("lazyfree-lazy-user-del", "no"),
  b("lazyfree-lazy-user-flush", "no"),
  // Threads
  i("io-threads", 1, 1, 128, false),
  b("io-threads-do-reads", "no", false),
  // Kernel / OOM
  e("oom-score-adj", "no", ["no", "yes", "relative", "absolute"]),
  s("oom-score-adj-values", "0 200 800", true, { type: "special", parse: (w) => ({ value: w.join(" ") }) }),
  e("disable-thp", "yes", ["yes", "no"], false),
  // Append only mode (built by the persistence issue)
  b("appendonly", "no", true, { unsupported: notYet("appendonly") }),
  s("appendfilename", "appendonly.aof", false),
  s("appenddirname", "appendonlydir", false),
  e("appendfsync", "everysec", ["always", "everysec", "no"]),
  b("no-appendfsync-on-rewrite", "no"),
  i("auto-aof-rewrite-percentage", 100, 0, INTMAX),
  m("auto-aof-rewrite-min-size", "64mb", 0, LLMAX),
  b("aof-load-truncated", "yes"),
  b("aof-use-rdb-preamble", "yes"),
  b("aof-timestamp-enabled", "no"),
  b("aof-rewrite-incremental-fsync", "yes"),
  b("rdb-save-incremental-fsync", "yes"),
  // Shutdown
  i("shutdown-timeout", 10, 0, INTMAX),
  e("shutdown-on-sigint", "default", ["default", "save", "nosave", "now", "force"], true, { multi: true }),
  e("shutdown-on-sigterm", "default", ["default", "save", "nosave", "now", "force"], true, { multi: true }),
  // Scripting
  i("lua-time-limit", 5000, 0, LLMAX, true, { aliases: ["busy-reply-threshold"] }),
  // Cluster (built by the cluster issue)
  b("cluster-enabled", "no", false, { unsupported: notYet("cluster-enabled") }),
  s("cluster-config-file", "nodes.conf", false),
  i("cluster-node-timeout", 15000, 0, LLMAX),
  // Slow log, latency
  i("slowlog-log-slower-than", 10000, -1, LLMAX),
  i("slowlog-max-len", 128, 0, LLMAX),
  i("latency-monitor-threshold", 0, 0, LLMAX),
  b("latency-tracking", "yes"),
  s("latency-tracking-info-percentiles", "50 99 99.9", true, { type: "special", parse: (w) => ({ value: w.join(" ") }) }),
  // Event notification
  s("notify-keyspace-events", ""),
  // Advanced
  i("hash-max-listpack-entries", 128, 0, LLMAX, true, { aliases: ["hash-max-ziplist-entries"] }),
  i("hash-max-listpack-value", 64, 0, LLMAX, true, { aliases: ["hash-max-ziplist-value"] }),
  i("list-max-listpack-size", -2, -5, INTMAX, true, { aliases: ["list-max-ziplist-size"] }),
  i("list-compress-depth", 0, 0, INTMAX),
  i("set-max-intset-entries", 512, 0, LLMAX),
  i("set-max-listpack-entries", 128, 0, LLMAX),
  i("set-max-listpack-value", 64, 0, LLMAX),
  i("zset-max-listpack-entries", 128, 0, LLMAX, true, { aliases: ["zset-max-ziplist-entries"] }),
  i("zset-max-listpack-value", 64, 0, LLMAX, true, { aliases: ["zset-max-ziplist-value"] }),
  m("hll-sparse-max-bytes", "3000", 0, LLMAX),
  m("stream-node-max-bytes", "4096", 0, LLMAX),
  i("stream-node-max-entries", 100, 0, LLMAX),
  b("activerehashing", "yes"),
  { name: "client-output-buffer-limit", type: "special", default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", mutable: true, parse: parseObufLimit },
  m("client-query-buffer-limit", "1gb", 1024 * 1024, LLMAX),
  m("proto-max-bulk-len", "512mb", 1024 * 1024, LLMAX),
  i("hz", 10, 0, INTMAX),
  b("dynamic-hz", "yes"),
  b("activedefrag", "no"),
  i("lfu-log-factor", 10, 0, INTMAX),
  i("lfu-decay-time", 1, 0, INTMAX),
  i("active-expire-effort", 1, 1, 10),
  b("jemalloc-bg-thread", "yes"),
  i("tracking-table-max-keys", 1000000, 0, LLMAX),
];

const byName = new Map<string, Param>();
for (const p of PARAMS) {
  byName.set(p.name, p);
  for (const a of p.aliases ?? []) byName.set(a, p);
}

/** The parameter for a name or alias (case-insensitive). */
export function findParam(name: string): Param | undefined {
  return byName.get(name.toLowerCase());
}
