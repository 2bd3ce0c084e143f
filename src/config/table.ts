/**
 * The configuration table: every directive Redis 7.2 accepts (src/config.c,
 * `static_configs[]`), with its type, default, bounds, alias and flags. The
 * config file, the command line, CONFIG GET/SET/REWRITE and INFO all derive
 * from it. Values are kept as the strings CONFIG GET shows (see values.ts for
 * how each type is parsed, shown and rewritten).
 */
import { SPECIALS, type SpecialKind } from "./special.js";
import { enumName } from "./convert.js";

export type ParamType = "bool" | "string" | "enum" | "numeric" | "special";

export interface Param {
  name: string;
  alias?: string;
  type: ParamType;
  /** The default as CONFIG GET shows it ("" for Redis's NULL strings). */
  default: string;
  /** CONFIG SET refuses it. */
  immutable?: boolean;
  /** CONFIG SET needs enable-protected-configs (dir, dbfilename). */
  protected?: boolean;
  /** Only an exact CONFIG GET name shows it, never a pattern. */
  hidden?: boolean;
  /** Redacted from MONITOR/SLOWLOG (requirepass, masterauth, masteruser). */
  sensitive?: boolean;
  /** Refused while the server is loading a dataset. */
  denyLoading?: boolean;
  /** Takes several words (save, bind, shutdown-on-sigint...). */
  multiArg?: boolean;
  /** Shown by DEBUG's config dump (Redis's DEBUG_CONFIG). */
  debug?: boolean;
  /** Setting the same value still counts as a change (TLS file names). */
  volatile?: boolean;
  // numeric
  min?: bigint;
  max?: bigint;
  /** Redis checks bounds on the unsigned value (uint, unsigned long long, size_t). */
  unsigned?: boolean;
  memory?: boolean;
  percent?: boolean;
  octal?: boolean;
  /** hz: any value is accepted, the stored one is clamped. */
  clamp?: [number, number];
  // enum: names with their values, in Redis's order (the first name of a value is shown)
  values?: [string, number][];
  // string: "" is Redis's NULL (not written by CONFIG REWRITE)
  emptyIsNull?: boolean;
  /** Redis's is_valid_fn: an error text for a bad value. */
  validate?: (value: string) => string | undefined;
  /** A value asking for behaviour Nodis has not built yet: the reason. */
  unsupported?: (value: string) => string | undefined;
  /** Special parameters: which parser/printer (special.ts). */
  special?: SpecialKind;
  /** A run-time hook name (see Config.onApply); several parameters may share one. */
  apply?: string;
  /** Nodis's own (not a Redis 7.2 directive): backups. */
  nodisOnly?: boolean;
}

const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const LLONG_MAX = LONG_MAX;
const ULLONG_MAX = 18446744073709551615n;
const SSIZE_MAX = LONG_MAX;
const MB = 1024 * 1024;

type Opts = Partial<Param>;
/** Flags as letters: I immutable, P protected, H hidden, S sensitive, L deny-loading, M multi-arg, D debug, V volatile. */
function flags(f: string): Opts {
  const o: Opts = {};
  for (const c of f) {
    if (c === "I") o.immutable = true;
    else if (c === "P") o.protected = true;
    else if (c === "H") o.hidden = true;
    else if (c === "S") o.sensitive = true;
    else if (c === "L") o.denyLoading = true;
    else if (c === "M") o.multiArg = true;
    else if (c === "D") o.debug = true;
    else if (c === "V") o.volatile = true;
  }
  return o;
}

const bool = (name: string, alias: string | null, f: string, def: boolean, extra: Opts = {}): Param => ({
  name,
  ...(alias ? { alias } : {}),
  type: "bool",
  default: def ? "yes" : "no",
  ...flags(f),
  ...extra,
});
const str = (name: string, alias: string | null, f: string, emptyIsNull: boolean, def: string, extra: Opts = {}): Param => ({
  name,
  ...(alias ? { alias } : {}),
  type: "string",
  default: def,
  emptyIsNull,
  ...flags(f),
  ...extra,
});
const enm = (name: string, alias: string | null, f: string, values: [string, number][], def: number, extra: Opts = {}): Param => ({
  name,
  ...(alias ? { alias } : {}),
  type: "enum",
  values,
  default: enumName(values, def, f.includes("M")),
  ...flags(f),
  ...extra,
});
/** kind: "" plain integer, "m" memory, "mp" memory or percent, "o" octal; "u" marks unsigned types. */
const num = (
  name: string,
  alias: string | null,
  f: string,
  min: bigint,
  max: bigint,
  def: number | bigint,
  kind = "",
  extra: Opts = {},
): Param => ({
  name,
  ...(alias ? { alias } : {}),
  type: "numeric",
  min,
  max,
  default: String(def),
  ...(kind.includes("m") ? { memory: true } : {}),
  ...(kind.includes("p") ? { percent: true } : {}),
  ...(kind.includes("o") ? { octal: true, default: BigInt(def).toString(8) } : {}),
  ...(kind.includes("u") ? { unsigned: true } : {}),
  ...flags(f),
  ...extra,
});
const special = (name: string, alias: string | null, f: string, kind: SpecialKind, extra: Opts = {}): Param => ({
  name,
  ...(alias ? { alias } : {}),
  type: "special",
  special: kind,
  default: SPECIALS[kind].default,
  ...flags(f),
  ...extra,
});

const notBuilt = (feature: string) => `${feature} is not supported by Nodis yet`;
const refuseYes = (feature: string) => (v: string) => (v === "yes" ? notBuilt(feature) : undefined);


const pathIsBaseName = (v: string) => !v.includes("/") && !v.includes("\\");
const AUX_BAD = "!#$%&()*+:;<>?@[]^{|}~";

const YESNO_LOCAL: [string, number][] = [["no", 0], ["yes", 1], ["local", 2]];
const SHUTDOWN_SIG: [string, number][] = [["default", 0], ["save", 1], ["nosave", 2], ["now", 4], ["force", 8]];
const validShutdownFlags = (v: string) =>
  v.split(" ").includes("save") && v.split(" ").includes("nosave")
    ? "shutdown options SAVE and NOSAVE can't be used simultaneously"
    : undefined;

export const PARAMS: Param[] = [
  /* Bool configs */
  bool("rdbchecksum", null, "I", true),
  bool("daemonize", null, "I", false),
  bool("io-threads-do-reads", null, "DI", false),
  bool("always-show-logo", null, "I", false),
  bool("protected-mode", null, "", true),
  bool("rdbcompression", null, "", true),
  bool("rdb-del-sync-files", null, "", false),
  bool("activerehashing", null, "", true),
  bool("stop-writes-on-bgsave-error", null, "", true),
  bool("set-proc-title", null, "I", true),
  bool("dynamic-hz", null, "", true),
  bool("lazyfree-lazy-eviction", null, "D", false),
  bool("lazyfree-lazy-expire", null, "D", false),
  bool("lazyfree-lazy-server-del", null, "D", false),
  bool("lazyfree-lazy-user-del", null, "D", false),
  bool("lazyfree-lazy-user-flush", null, "D", false),
  bool("repl-disable-tcp-nodelay", null, "", false),
  bool("repl-diskless-sync", null, "D", true),
  bool("aof-rewrite-incremental-fsync", null, "", true),
  bool("no-appendfsync-on-rewrite", null, "", false),
  bool("cluster-require-full-coverage", null, "", true),
  bool("rdb-save-incremental-fsync", null, "", true),
  bool("aof-load-truncated", null, "", true),
  bool("aof-use-rdb-preamble", null, "", true),
  bool("aof-timestamp-enabled", null, "", false),
  bool("cluster-replica-no-failover", "cluster-slave-no-failover", "", false),
  bool("replica-lazy-flush", "slave-lazy-flush", "", false),
  bool("replica-serve-stale-data", "slave-serve-stale-data", "", true),
  bool("replica-read-only", "slave-read-only", "D", true),
  bool("replica-ignore-maxmemory", "slave-ignore-maxmemory", "", true),
  bool("jemalloc-bg-thread", null, "", true),
  bool("activedefrag", null, "D", false, {
    validate: (v) =>
      v === "yes"
        ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
        : undefined,
  }),
  bool("syslog-enabled", null, "I", false, { unsupported: refuseYes("syslog logging") }),
  bool("cluster-enabled", null, "I", false, { unsupported: refuseYes("cluster mode") }),
  bool("appendonly", null, "L", false, { apply: "appendonly" }),
  bool("cluster-allow-reads-when-down", null, "", false),
  bool("cluster-allow-pubsubshard-when-down", null, "", true),
  bool("crash-log-enabled", null, "", true),
  bool("crash-memcheck-enabled", null, "", true),
  bool("use-exit-on-panic", null, "H", false),
  bool("disable-thp", null, "I", true),
  bool("cluster-allow-replica-migration", null, "", true),
  bool("replica-announced", null, "", true),
  bool("latency-tracking", null, "", true),
  bool("aof-disable-auto-gc", null, "H", false),
  bool("replica-ignore-disk-write-errors", null, "", false),

  /* String configs */
  str("aclfile", null, "I", false, ""),
  str("unixsocket", null, "I", true, ""),
  str("pidfile", null, "I", true, ""),
  str("replica-announce-ip", "slave-announce-ip", "", true, ""),
  str("masteruser", null, "S", true, ""),
  str("cluster-announce-ip", null, "", true, ""),
  str("cluster-config-file", null, "I", false, "nodes.conf"),
  str("cluster-announce-hostname", null, "", true, "", {
    validate: (v) =>
      v.length >= 256
        ? "Hostnames must be less than 256 characters"
        : /^[A-Za-z0-9.-]*$/.test(v)
          ? undefined
          : "Hostnames may only contain alphanumeric characters, hyphens or dots",
  }),
  str("cluster-announce-human-nodename", null, "", true, "", {
    validate: (v) => ([...v].some((c) => AUX_BAD.includes(c)) ? "Announced human node name contained invalid character" : undefined),
  }),
  str("syslog-ident", null, "I", false, "redis"),
  str("dbfilename", null, "P", false, "dump.rdb", {
    validate: (v) => (pathIsBaseName(v) ? undefined : "dbfilename can't be a path, just a filename"),
  }),
  // Nodis's scheduled backups (src/persistence/backup.ts).
  str("backup-dir", null, "", true, "", { nodisOnly: true }),
  str("backup-interval", null, "", false, "1h", {
    validate: (v) => (/^\s*(\d+[smhdSMHD]?)?\s*$/.test(v) ? undefined : "backup-interval must be a number of seconds, or a number followed by s, m, h or d"),
    nodisOnly: true,
  }),
  num("backup-keep", null, "", 0n, INT_MAX, 24, "", { nodisOnly: true }),
  str("appendfilename", null, "I", false, "appendonly.aof", {
    validate: (v) =>
      v === "" ? "appendfilename can't be empty" : pathIsBaseName(v) ? undefined : "appendfilename can't be a path, just a filename",
  }),
  str("appenddirname", null, "I", false, "appendonlydir", {
    validate: (v) =>
      v === "" ? "appenddirname can't be empty" : pathIsBaseName(v) ? undefined : "appenddirname can't be a path, just a dirname",
  }),
  str("server_cpulist", null, "I", true, ""),
  str("bio_cpulist", null, "I", true, ""),
  str("aof_rewrite_cpulist", null, "I", true, ""),
  str("bgsave_cpulist", null, "I", true, ""),
  str("ignore-warnings", null, "", false, ""),
  str("proc-title-template", null, "", false, "{title} {listen-addr} {server-mode}", {
    validate: (v) => (validProcTitleTemplate(v) ? undefined : "template format is invalid or contains unknown variables"),
    apply: "proc-title",
  }),
  str("bind-source-addr", null, "", true, ""),
  str("logfile", null, "I", false, ""),
  str("locale-collate", null, "", false, ""),
  /* SDS configs */
  str("masterauth", null, "S", true, ""),
  str("requirepass", null, "S", true, "", { apply: "requirepass" }),

  /* Enum configs */
  enm("supervised", null, "I", [["upstart", 1], ["systemd", 2], ["auto", 3], ["no", 0]], 0, {
    unsupported: (v) => (v === "upstart" || v === "systemd" ? notBuilt(`supervised ${v}`) : undefined),
  }),
  enm(
    "syslog-facility",
    null,
    "I",
    [["user", 8], ["local0", 128], ["local1", 136], ["local2", 144], ["local3", 152], ["local4", 160], ["local5", 168], ["local6", 176], ["local7", 184]],
    128,
  ),
  enm("repl-diskless-load", null, "DL", [["disabled", 0], ["on-empty-db", 1], ["swapdb", 2]], 0),
  enm("loglevel", null, "", [["debug", 0], ["verbose", 1], ["notice", 2], ["warning", 3], ["nothing", 4]], 2, { apply: "loglevel" }),
  enm(
    "maxmemory-policy",
    null,
    "",
    [["volatile-lru", 1], ["volatile-lfu", 2], ["volatile-random", 3], ["volatile-ttl", 4], ["allkeys-lru", 5], ["allkeys-lfu", 6], ["allkeys-random", 7], ["noeviction", 8]],
    8,
  ),
  enm("appendfsync", null, "", [["everysec", 2], ["always", 1], ["no", 0]], 2),
  enm("oom-score-adj", null, "", [["no", 0], ["yes", 1], ["relative", 1], ["absolute", 2]], 0, { apply: "oom-score-adj" }),
  enm("acl-pubsub-default", null, "", [["allchannels", 1], ["resetchannels", 0]], 0),
  enm("sanitize-dump-payload", null, "D", [["no", 0], ["yes", 1], ["clients", 2]], 0),
  enm("enable-protected-configs", null, "I", YESNO_LOCAL, 0),
  enm("enable-debug-command", null, "I", YESNO_LOCAL, 0),
  enm("enable-module-command", null, "I", YESNO_LOCAL, 0),
  enm("cluster-preferred-endpoint-type", null, "", [["ip", 0], ["hostname", 1], ["unknown-endpoint", 2]], 0),
  enm("propagation-error-behavior", null, "", [["ignore", 0], ["panic", 1], ["panic-on-replicas", 2]], 0),
  enm("shutdown-on-sigint", null, "M", SHUTDOWN_SIG, 0, { validate: validShutdownFlags }),
  enm("shutdown-on-sigterm", null, "M", SHUTDOWN_SIG, 0, { validate: validShutdownFlags }),

  /* Integer configs */
  num("databases", null, "I", 1n, INT_MAX, 16),
  num("port", null, "", 0n, 65535n, 6379, "", { apply: "port" }),
  num("io-threads", null, "DI", 1n, 128n, 1),
  num("auto-aof-rewrite-percentage", null, "", 0n, INT_MAX, 100),
  num("cluster-replica-validity-factor", "cluster-slave-validity-factor", "", 0n, INT_MAX, 10),
  num("list-max-listpack-size", "list-max-ziplist-size", "", INT_MIN, INT_MAX, -2),
  num("tcp-keepalive", null, "", 0n, INT_MAX, 300),
  num("cluster-migration-barrier", null, "", 0n, INT_MAX, 1),
  num("active-defrag-cycle-min", null, "", 1n, 99n, 1),
  num("active-defrag-cycle-max", null, "", 1n, 99n, 25),
  num("active-defrag-threshold-lower", null, "", 0n, 1000n, 10),
  num("active-defrag-threshold-upper", null, "", 0n, 1000n, 100),
  num("lfu-log-factor", null, "", 0n, INT_MAX, 10),
  num("lfu-decay-time", null, "", 0n, INT_MAX, 1),
  num("replica-priority", "slave-priority", "", 0n, INT_MAX, 100),
  num("repl-diskless-sync-delay", null, "", 0n, INT_MAX, 5),
  num("maxmemory-samples", null, "", 1n, INT_MAX, 5),
  num("maxmemory-eviction-tenacity", null, "", 0n, 100n, 10),
  num("timeout", null, "", 0n, INT_MAX, 0),
  num("replica-announce-port", "slave-announce-port", "", 0n, 65535n, 0),
  num("tcp-backlog", null, "I", 0n, INT_MAX, 511),
  num("cluster-port", null, "I", 0n, 65535n, 0),
  num("cluster-announce-bus-port", null, "", 0n, 65535n, 0),
  num("cluster-announce-port", null, "", 0n, 65535n, 0),
  num("cluster-announce-tls-port", null, "", 0n, 65535n, 0),
  num("repl-timeout", null, "", 1n, INT_MAX, 60),
  num("repl-ping-replica-period", "repl-ping-slave-period", "", 1n, INT_MAX, 10),
  num("list-compress-depth", null, "D", 0n, INT_MAX, 0),
  num("rdb-key-save-delay", null, "H", INT_MIN, INT_MAX, 0),
  num("key-load-delay", null, "H", INT_MIN, INT_MAX, 0),
  num("active-expire-effort", null, "", 1n, 10n, 1),
  num("hz", null, "", 0n, INT_MAX, 10, "", { clamp: [1, 500], apply: "hz" }),
  num("min-replicas-to-write", "min-slaves-to-write", "", 0n, INT_MAX, 0),
  num("min-replicas-max-lag", "min-slaves-max-lag", "", 0n, INT_MAX, 10),
  num("watchdog-period", null, "H", 0n, INT_MAX, 0),
  num("shutdown-timeout", null, "", 0n, INT_MAX, 10),
  num("repl-diskless-sync-max-replicas", null, "", 0n, INT_MAX, 0),
  /* Unsigned int configs */
  num("maxclients", null, "", 1n, UINT_MAX, 10000, "u", { apply: "maxclients" }),
  num("unixsocketperm", null, "I", 0n, 0o777n, 0, "ou"),
  num("socket-mark-id", null, "I", 0n, UINT_MAX, 0, "u"),
  /* Unsigned long configs (bounds checked as signed, as Redis does) */
  num("active-defrag-max-scan-fields", null, "", 1n, LONG_MAX, 1000),
  num("slowlog-max-len", null, "", 0n, LONG_MAX, 128),
  num("acllog-max-len", null, "", 0n, LONG_MAX, 128),
  /* Long long configs */
  num("busy-reply-threshold", "lua-time-limit", "", 0n, LONG_MAX, 5000),
  num("cluster-node-timeout", null, "", 0n, LLONG_MAX, 15000),
  num("cluster-ping-interval", null, "H", 0n, LLONG_MAX, 0),
  num("slowlog-log-slower-than", null, "", -1n, LLONG_MAX, 10000),
  num("latency-monitor-threshold", null, "", 0n, LLONG_MAX, 0),
  num("proto-max-bulk-len", null, "D", BigInt(MB), LONG_MAX, 512 * MB, "m"),
  num("stream-node-max-entries", null, "", 0n, LLONG_MAX, 100),
  num("repl-backlog-size", null, "", 1n, LLONG_MAX, MB, "m"),
  /* Unsigned long long configs */
  num("maxmemory", null, "", 0n, ULLONG_MAX, 0, "mu"),
  num("cluster-link-sendbuf-limit", null, "", 0n, ULLONG_MAX, 0, "mu"),
  /* size_t configs */
  num("hash-max-listpack-entries", "hash-max-ziplist-entries", "", 0n, LONG_MAX, 512, "u"),
  num("set-max-intset-entries", null, "", 0n, LONG_MAX, 512, "u"),
  num("set-max-listpack-entries", null, "", 0n, LONG_MAX, 128, "u"),
  num("set-max-listpack-value", null, "", 0n, LONG_MAX, 64, "u"),
  num("zset-max-listpack-entries", "zset-max-ziplist-entries", "", 0n, LONG_MAX, 128, "u"),
  num("active-defrag-ignore-bytes", null, "", 1n, LLONG_MAX, 100 * MB, "mu"),
  num("hash-max-listpack-value", "hash-max-ziplist-value", "", 0n, LONG_MAX, 64, "mu"),
  num("stream-node-max-bytes", null, "", 0n, LONG_MAX, 4096, "mu"),
  num("zset-max-listpack-value", "zset-max-ziplist-value", "", 0n, LONG_MAX, 64, "mu"),
  num("hll-sparse-max-bytes", null, "", 0n, LONG_MAX, 3000, "mu"),
  num("tracking-table-max-keys", null, "", 0n, LONG_MAX, 1000000, "u"),
  num("client-query-buffer-limit", null, "D", BigInt(MB), LONG_MAX, 1024 * MB, "mu"),
  num("maxmemory-clients", null, "", -100n, SSIZE_MAX, 0, "mp"),
  /* Other configs */
  num("repl-backlog-ttl", null, "", 0n, LONG_MAX, 3600),
  num("auto-aof-rewrite-min-size", null, "", 0n, LLONG_MAX, 64 * MB, "m"),
  num("loading-process-events-interval-bytes", null, "H", 1024n, INT_MAX, 2 * MB),

  /* TLS configs (accepted, shown; TLS itself is not built) */
  num("tls-port", null, "", 0n, 65535n, 0, "", { unsupported: (v) => (v !== "0" ? notBuilt("TLS (tls-port)") : undefined) }),
  num("tls-session-cache-size", null, "", 0n, INT_MAX, 20 * 1024),
  num("tls-session-cache-timeout", null, "", 0n, INT_MAX, 300),
  bool("tls-cluster", null, "", false, { unsupported: refuseYes("TLS (tls-cluster)") }),
  bool("tls-replication", null, "", false, { unsupported: refuseYes("TLS (tls-replication)") }),
  enm("tls-auth-clients", null, "", [["no", 0], ["yes", 1], ["optional", 2]], 1),
  bool("tls-prefer-server-ciphers", null, "", false),
  bool("tls-session-caching", null, "", true),
  str("tls-cert-file", null, "V", true, ""),
  str("tls-key-file", null, "V", true, ""),
  str("tls-key-file-pass", null, "", true, ""),
  str("tls-client-cert-file", null, "V", true, ""),
  str("tls-client-key-file", null, "V", true, ""),
  str("tls-client-key-file-pass", null, "", true, ""),
  str("tls-dh-params-file", null, "V", true, ""),
  str("tls-ca-cert-file", null, "V", true, ""),
  str("tls-ca-cert-dir", null, "V", true, ""),
  str("tls-protocols", null, "", true, ""),
  str("tls-ciphers", null, "", true, ""),
  str("tls-ciphersuites", null, "", true, ""),

  /* Special configs */
  special("dir", null, "PL", "dir"),
  special("save", null, "M", "save"),
  special("client-output-buffer-limit", null, "M", "client-output-buffer-limit"),
  special("oom-score-adj-values", null, "M", "oom-score-adj-values", { apply: "oom-score-adj" }),
  special("notify-keyspace-events", null, "", "notify-keyspace-events"),
  special("bind", null, "M", "bind", { apply: "bind" }),
  special("replicaof", "slaveof", "IM", "replicaof"),
  special("latency-tracking-info-percentiles", null, "M", "latency-tracking-info-percentiles"),
];

/** proc-title-template must expand (known {variables}) to something non-empty. */
function validProcTitleTemplate(t: string): boolean {
  const vars: Record<string, string> = { title: "", "listen-addr": "*:0", "server-mode": "", "config-file": "-", port: "0", "tls-port": "0", unixsocket: "" };
  let out = "";
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf("{", i);
    if (open < 0) {
      out += t.slice(i);
      break;
    }
    out += t.slice(i, open);
    if (open + 1 >= t.length) return false;
    if (t[open + 1] === "{") {
      out += "{";
      i = open + 2;
      continue;
    }
    const close = t.indexOf("}", open + 1);
    if (close < 0) return false;
    const v = vars[t.slice(open + 1, close)];
    if (v === undefined) return false;
    out += v;
    i = close + 1;
  }
  return out.trim() !== "";
}

const byName = new Map<string, Param>();
for (const p of PARAMS) {
  byName.set(p.name, p);
  if (p.alias) byName.set(p.alias, p);
}

/** The parameter for a name or alias (case-insensitive, as Redis's config dict). */
export function findParam(name: string): Param | undefined {
  return byName.get(name.toLowerCase());
}

/** Every name CONFIG GET can match: primary names and aliases. */
export function allNames(): [string, Param][] {
  return [...byName];
}

