/**
 * The random command generator of the differential harness: string, key and
 * expiry commands over a small key space, so that operations interact.
 *
 * The command list is explicit (GENERATORS); a test picks which names to run.
 * Expiry times are chosen so no key expires by the clock during a run (relative
 * times are days away, or already past): the two servers then agree exactly,
 * and only TTL-like replies need a tolerance (see compare.ts).
 */
import type { Arg } from "./resp.js";
import { Prng } from "./prng.js";

/** Keys the runs use; a few with glob metacharacters and binary bytes for KEYS and the parser. */
export const KEY_POOL: readonly string[] = ["k0", "k1", "k2", "k3", "k4", "k5", "k*x", "k[1]", "", "b\x00\xff\r\ny"];
/** Databases a run spreads over (SELECT, MOVE, COPY ... DB). */
export const DBS = 3;

const NUMERIC_VALUES = [
  "0", "1", "-1", "10", "42", "-42", "007", "-007", "+5", " 5", "5 ", "0x1A", "1e3", "1.5", "-0", "-0.0", "3.0",
  ".5", "5.", "inf", "-inf", "+inf", "nan", "1e400", "0.1", "0.2", "1.7976931348623157e308", "4.9e-324", "1e-5",
  "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
  "9223372036854775808", "-9223372036854775809", "18446744073709551616", "12345678901234567890123",
  "123456789012345678", "99999999999999999999", "00", "1\n", "",
];
const INT_ARGS = [
  "0", "1", "-1", "2", "-2", "5", "100", "-100", "007", "+3", " 1", "1 ", "1.0", "1e2", "abc", "", "0x10",
  "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
  "4611686018427387904", "-4611686018427387905",
];
const FLOAT_ARGS = [
  "0.1", "-0.1", "1.5", "-3.25", "1e3", "-2.5e-3", "0x10", "0x1p3", "1e308", "-1e308", "1.7976931348623157e308",
  "inf", "-inf", "nan", "abc", " 1", "1 ", "", "3", "10.50", "5e-324", "0.30000000000000004", "-0", "1e-20",
  "123456789.123456789", "00.5", "+2",
];
const PATTERNS = [
  "*", "k*", "k?", "k[0-2]", "k[^0-2]", "k[1-]", "*x", "*\\**", "k\\*x", "k[[]1]", "[a-c]*", "", "?", "??",
  "*[", "k[", "\\", "b*", "*y", "K*", "k[!1]*",
];

/** The run-wide state a generator reads: where it is in the run and the clock at its start. */
export class Gen {
  /** Index of the command being generated (keeps relative expire times distinct and ordered). */
  index = 0;

  constructor(
    readonly rng: Prng,
    readonly startSec: number,
  ) {}

  key(): string {
    // Mostly the plain keys, so operations meet each other.
    return this.rng.chance(0.85) ? KEY_POOL[this.rng.int(6)] : this.rng.pick(KEY_POOL);
  }

  keys(min: number, max: number): string[] {
    const n = this.rng.range(min, max);
    return Array.from({ length: n }, () => this.key());
  }

  /** Option words in random case now and then, as clients may send them. */
  word(w: string): string {
    if (!this.rng.chance(0.15)) return w;
    return this.rng.chance(0.5) ? w.toLowerCase() : w[0] + w.slice(1).toLowerCase();
  }

  value(): Arg {
    const r = this.rng;
    // Now and then bigger than Nodis's 64 KB reply arena, for the replies that do not fit.
    if (r.chance(0.005)) return this.alnum(8).repeat(r.range(8200, 17000));
    switch (r.int(6)) {
      case 0:
      case 1:
        return r.pick(NUMERIC_VALUES);
      case 2:
        return String(r.range(-1000000, 1000000));
      case 3:
        return this.alnum(r.range(0, 12));
      case 4:
        // Around the 44-byte embstr/raw boundary.
        return this.alnum(r.range(40, 60));
      default: {
        const b = Buffer.alloc(r.range(1, 8));
        for (let i = 0; i < b.length; i++) b[i] = r.int(256);
        return b;
      }
    }
  }

  alnum(n: number): string {
    const chars = "abcdefghijklmnopqrstuvwxyz0123456789 ";
    let s = "";
    for (let i = 0; i < n; i++) s += chars[this.rng.int(chars.length)];
    return s;
  }

  /** Short members for collections, so that additions and removals meet. */
  members(min: number, max: number): string[] {
    return Array.from({ length: this.rng.range(min, max) }, () => this.alnum(1));
  }

  intArg(): string {
    return this.rng.chance(0.6) ? String(this.rng.range(-20, 20)) : this.rng.pick(INT_ARGS);
  }

  floatArg(): string {
    return this.rng.chance(0.3) ? (this.rng.range(-100000, 100000) / 100).toString() : this.rng.pick(FLOAT_ARGS);
  }

  pattern(): string {
    return this.rng.pick(PATTERNS);
  }

  db(): string {
    return this.rng.chance(0.9) ? String(this.rng.int(DBS)) : this.rng.pick(["16", "-1", "abc", "1.0", "100000000000"]);
  }

  /**
   * An expire amount for `unit`: relative ones are at least a day away and grow
   * with the command index, absolute ones sit in their own band, so that
   * GT/LT between any two of them never depends on a millisecond's timing.
   */
  expire(unit: "EX" | "PX" | "EXAT" | "PXAT"): string {
    const r = this.rng;
    const ms = unit === "PX" || unit === "PXAT";
    const k = ms ? 1000 : 1;
    switch (r.weighted([
      [6, "future"],
      [1, "past"],
      [1, "bad"],
    ] as const)) {
      case "future": {
        let s = r.range(1, 9) * 100000 + this.index;
        if (unit === "EXAT" || unit === "PXAT") s += this.startSec + 50000;
        return String(s * k);
      }
      case "past":
        // For relative units these are zero/negative: "invalid expire time" for SET, a delete for EXPIRE.
        return unit === "EXAT" || unit === "PXAT"
          ? r.pick(["1", "1000", String((this.startSec - 1000) * k)])
          : r.pick(["0", "-1", "-100000"]);
      default: {
        const odd = ["abc", "", "1.5", "9223372036854775807", "-9223372036854775808"];
        if (unit === "EXAT" || unit === "PXAT") return r.pick([...odd, "9223372036854775", "9223372036854"]);
        // Relative: too big once in ms (EX) or plus now; or huge but valid, and then distinct like the others.
        if (r.chance(0.5)) return r.pick([...odd, unit === "EX" ? "9223372036854775" : "9223372036854775000"]);
        return String((9223372036000 + this.index) * k);
      }
    }
  }

  /** `EX n` style option list for SET/GETEX. */
  expireOption(): Arg[] {
    const unit = this.rng.pick(["EX", "PX", "EXAT", "PXAT"] as const);
    return [this.word(unit), this.expire(unit)];
  }

  /** A few options drawn from `pool`, in random order; now and then an unknown or truncated one. */
  options(pool: (() => Arg[])[], max: number): Arg[] {
    const out: Arg[] = [];
    const n = this.rng.chance(0.4) ? 0 : this.rng.range(1, max);
    for (let i = 0; i < n; i++) out.push(...this.rng.pick(pool)());
    if (this.rng.chance(0.03)) out.push(this.rng.pick(["FOO", "EX", "PX", "DB", "LEN"]));
    return out;
  }
}

export interface CommandGen {
  /** Lowercase command name (for OBJECT, "object|encoding"). */
  name: string;
  /** Redis's arity (N exact, -N at least N, counting the name), for wrong-arity variants. */
  arity: number;
  weight: number;
  gen(g: Gen): Arg[];
}

const expireOpt = (g: Gen) => () => g.expireOption();

/** Every command the generator knows. Tests choose a subset by name. */
export const GENERATORS: readonly CommandGen[] = [
  // Strings
  {
    name: "set",
    arity: -3,
    weight: 12,
    gen: (g) => [
      "SET",
      g.key(),
      g.value(),
      ...g.options(
        [() => [g.word("NX")], () => [g.word("XX")], () => [g.word("GET")], () => [g.word("KEEPTTL")], expireOpt(g), expireOpt(g)],
        3,
      ),
    ],
  },
  { name: "get", arity: 2, weight: 10, gen: (g) => ["GET", g.key()] },
  { name: "mget", arity: -2, weight: 3, gen: (g) => ["MGET", ...g.keys(1, 4)] },
  {
    name: "mset",
    arity: -3,
    weight: 3,
    gen: (g) => ["MSET", ...g.keys(1, 3).flatMap((k) => [k, g.value()])],
  },
  {
    name: "msetnx",
    arity: -3,
    weight: 2,
    gen: (g) => ["MSETNX", ...g.keys(1, 3).flatMap((k) => [k, g.value()])],
  },
  { name: "append", arity: 3, weight: 4, gen: (g) => ["APPEND", g.key(), g.value()] },
  { name: "strlen", arity: 2, weight: 3, gen: (g) => ["STRLEN", g.key()] },
  { name: "incr", arity: 2, weight: 4, gen: (g) => ["INCR", g.key()] },
  { name: "decr", arity: 2, weight: 3, gen: (g) => ["DECR", g.key()] },
  { name: "incrby", arity: 3, weight: 4, gen: (g) => ["INCRBY", g.key(), g.intArg()] },
  { name: "decrby", arity: 3, weight: 3, gen: (g) => ["DECRBY", g.key(), g.intArg()] },
  { name: "incrbyfloat", arity: 3, weight: 5, gen: (g) => ["INCRBYFLOAT", g.key(), g.floatArg()] },
  { name: "getrange", arity: 4, weight: 3, gen: (g) => ["GETRANGE", g.key(), g.intArg(), g.intArg()] },
  { name: "substr", arity: 4, weight: 1, gen: (g) => ["SUBSTR", g.key(), g.intArg(), g.intArg()] },
  {
    name: "setrange",
    arity: 4,
    weight: 3,
    gen: (g) => [
      "SETRANGE",
      g.key(),
      // Never an offset that would really build a 512 MB string; the too-big ones error out.
      g.rng.chance(0.85)
        ? String(g.rng.chance(0.03) ? g.rng.range(65000, 140000) : g.rng.range(0, 64))
        : g.rng.pick(["-1", "536870912", "4294967296", "abc", ""]),
      g.rng.chance(0.1) ? "" : g.value(),
    ],
  },
  { name: "getdel", arity: 2, weight: 2, gen: (g) => ["GETDEL", g.key()] },
  {
    name: "getex",
    arity: -2,
    weight: 3,
    gen: (g) => ["GETEX", g.key(), ...g.options([expireOpt(g), () => [g.word("PERSIST")]], 2)],
  },
  { name: "getset", arity: 3, weight: 2, gen: (g) => ["GETSET", g.key(), g.value()] },
  { name: "setnx", arity: 3, weight: 2, gen: (g) => ["SETNX", g.key(), g.value()] },
  { name: "setex", arity: 4, weight: 2, gen: (g) => ["SETEX", g.key(), g.expire("EX"), g.value()] },
  { name: "psetex", arity: 4, weight: 1, gen: (g) => ["PSETEX", g.key(), g.expire("PX"), g.value()] },
  {
    name: "lcs",
    arity: -3,
    weight: 1,
    gen: (g) => [
      "LCS",
      g.key(),
      g.key(),
      ...g.options(
        [() => [g.word("LEN")], () => [g.word("IDX")], () => [g.word("MINMATCHLEN"), g.intArg()], () => [g.word("WITHMATCHLEN")]],
        3,
      ),
    ],
  },
  // Keys
  { name: "del", arity: -2, weight: 4, gen: (g) => ["DEL", ...g.keys(1, 3)] },
  { name: "unlink", arity: -2, weight: 1, gen: (g) => ["UNLINK", ...g.keys(1, 3)] },
  { name: "exists", arity: -2, weight: 3, gen: (g) => ["EXISTS", ...g.keys(1, 4)] },
  { name: "touch", arity: -2, weight: 1, gen: (g) => ["TOUCH", ...g.keys(1, 3)] },
  { name: "type", arity: 2, weight: 3, gen: (g) => ["TYPE", g.key()] },
  ...(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] as const).map(
    (cmd): CommandGen => ({
      name: cmd.toLowerCase(),
      arity: -3,
      weight: 3,
      gen: (g) => {
        const unit = ({ EXPIRE: "EX", PEXPIRE: "PX", EXPIREAT: "EXAT", PEXPIREAT: "PXAT" } as const)[cmd];
        const flags = g.rng.chance(0.6) ? [] : [g.word(g.rng.pick(["NX", "XX", "GT", "LT"]))];
        if (g.rng.chance(0.08)) flags.push(g.rng.pick(["NX", "XX", "GT", "LT", "FOO"]));
        return [cmd, g.key(), g.expire(unit), ...flags];
      },
    }),
  ),
  { name: "persist", arity: 2, weight: 2, gen: (g) => ["PERSIST", g.key()] },
  { name: "ttl", arity: 2, weight: 3, gen: (g) => ["TTL", g.key()] },
  { name: "pttl", arity: 2, weight: 3, gen: (g) => ["PTTL", g.key()] },
  { name: "expiretime", arity: 2, weight: 1, gen: (g) => ["EXPIRETIME", g.key()] },
  { name: "pexpiretime", arity: 2, weight: 1, gen: (g) => ["PEXPIRETIME", g.key()] },
  { name: "rename", arity: 3, weight: 2, gen: (g) => ["RENAME", g.key(), g.key()] },
  { name: "renamenx", arity: 3, weight: 2, gen: (g) => ["RENAMENX", g.key(), g.key()] },
  {
    name: "copy",
    arity: -3,
    weight: 2,
    gen: (g) => ["COPY", g.key(), g.key(), ...g.options([() => [g.word("DB"), g.db()], () => [g.word("REPLACE")]], 2)],
  },
  { name: "move", arity: 3, weight: 2, gen: (g) => ["MOVE", g.key(), g.db()] },
  { name: "select", arity: 2, weight: 2, gen: (g) => ["SELECT", g.db()] },
  { name: "dbsize", arity: 1, weight: 2, gen: () => ["DBSIZE"] },
  { name: "keys", arity: 2, weight: 2, gen: (g) => ["KEYS", g.pattern()] },
  {
    // Only whole scans from cursor 0 (a cursor's meaning is the implementation's own), or bad arguments.
    name: "scan",
    arity: -2,
    weight: 1,
    gen: (g) => [
      "SCAN",
      g.rng.chance(0.95) ? "0" : g.rng.pick(["abc", "1.5", ""]),
      g.word("COUNT"),
      g.rng.chance(0.95) ? "1000" : g.rng.pick(["0", "-1", "abc"]),
      ...g.options([() => [g.word("MATCH"), g.pattern()], () => [g.word("TYPE"), g.rng.pick(["string", "list", "set", "none", "foo"])]], 2),
    ],
  },
  { name: "swapdb", arity: 3, weight: 0.5, gen: (g) => ["SWAPDB", g.db(), g.db()] },
  { name: "object|encoding", arity: 3, weight: 1, gen: (g) => ["OBJECT", "ENCODING", g.key()] },
  {
    name: "flushdb",
    arity: -1,
    weight: 0.1,
    gen: (g) => ["FLUSHDB", ...(g.rng.chance(0.3) ? [g.rng.pick(["SYNC", "ASYNC", "FOO"])] : [])],
  },
  // The collection types, on the same keys: their own replies, and the wrong-type
  // cases and key commands (RENAME, COPY, MOVE, EXPIRE, TYPE, ...) across types.
  // Scores are integers and set members too (intsets), where Debian's 7.0 and
  // 7.2 print and encode alike; each family's own tests cover the rest against 7.2.
  { name: "lpush", arity: -3, weight: 1, gen: (g) => ["LPUSH", g.key(), ...g.members(1, 3)] },
  { name: "rpush", arity: -3, weight: 1, gen: (g) => ["RPUSH", g.key(), ...g.members(1, 3)] },
  { name: "lpop", arity: -2, weight: 1, gen: (g) => ["LPOP", g.key(), ...(g.rng.chance(0.3) ? [g.intArg()] : [])] },
  { name: "rpop", arity: -2, weight: 0.5, gen: (g) => ["RPOP", g.key()] },
  { name: "llen", arity: 2, weight: 0.5, gen: (g) => ["LLEN", g.key()] },
  { name: "lrange", arity: 4, weight: 1, gen: (g) => ["LRANGE", g.key(), g.intArg(), g.intArg()] },
  { name: "lindex", arity: 3, weight: 0.5, gen: (g) => ["LINDEX", g.key(), g.intArg()] },
  { name: "sadd", arity: -3, weight: 1, gen: (g) => ["SADD", g.key(), ...Array.from({ length: g.rng.range(1, 3) }, () => String(g.rng.int(30)))] },
  { name: "srem", arity: -3, weight: 0.5, gen: (g) => ["SREM", g.key(), String(g.rng.int(30))] },
  { name: "scard", arity: 2, weight: 0.5, gen: (g) => ["SCARD", g.key()] },
  { name: "sismember", arity: 3, weight: 0.5, gen: (g) => ["SISMEMBER", g.key(), String(g.rng.int(30))] },
  { name: "hset", arity: -4, weight: 1, gen: (g) => ["HSET", g.key(), g.alnum(1), g.value()] },
  { name: "hget", arity: 3, weight: 0.5, gen: (g) => ["HGET", g.key(), g.alnum(1)] },
  { name: "hdel", arity: -3, weight: 0.5, gen: (g) => ["HDEL", g.key(), g.alnum(1)] },
  { name: "hlen", arity: 2, weight: 0.5, gen: (g) => ["HLEN", g.key()] },
  { name: "hincrby", arity: 4, weight: 0.5, gen: (g) => ["HINCRBY", g.key(), g.alnum(1), g.intArg()] },
  { name: "hgetall", arity: 2, weight: 0.5, gen: (g) => ["HGETALL", g.key()] },
  {
    name: "zadd",
    arity: -4,
    weight: 1,
    gen: (g) => ["ZADD", g.key(), ...(g.rng.chance(0.2) ? [g.rng.pick(["NX", "XX", "GT", "LT", "CH"])] : []), String(g.rng.range(-50, 50)), g.alnum(1)],
  },
  { name: "zrem", arity: -3, weight: 0.5, gen: (g) => ["ZREM", g.key(), g.alnum(1)] },
  { name: "zcard", arity: 2, weight: 0.5, gen: (g) => ["ZCARD", g.key()] },
  { name: "zscore", arity: 3, weight: 0.5, gen: (g) => ["ZSCORE", g.key(), g.alnum(1)] },
  { name: "zincrby", arity: 4, weight: 0.5, gen: (g) => ["ZINCRBY", g.key(), String(g.rng.range(-5, 5)), g.alnum(1)] },
  { name: "zrange", arity: -4, weight: 1, gen: (g) => ["ZRANGE", g.key(), g.intArg(), g.intArg(), ...(g.rng.chance(0.5) ? ["WITHSCORES"] : [])] },
];

export function generatorsNamed(names: readonly string[]): CommandGen[] {
  const out: CommandGen[] = [];
  for (const n of names) {
    const c = GENERATORS.find((x) => x.name === n);
    if (!c) throw new Error(`no generator for command '${n}'`);
    out.push(c);
  }
  return out;
}

/**
 * The key a SET leaves behind already expired (EXAT/PXAT in the past), or null.
 * Redis keeps such a key until something touches it or active expiry finds
 * it, so DBSIZE and DEBUG DIGEST would depend on timing. The run touches it
 * right away (EXISTS) to make that deterministic.
 */
function lingeringExpired(argv: Arg[], startSec: number): Arg | null {
  if (argv[0] !== "SET" || argv.length < 3) return null;
  for (let i = 3; i < argv.length - 1; i++) {
    const opt = argv[i].toString().toUpperCase();
    const at = Number(argv[i + 1].toString());
    if ((opt === "EXAT" && at > 0 && at <= startSec) || (opt === "PXAT" && at > 0 && at <= startSec * 1000)) return argv[1];
  }
  return null;
}

/**
 * Builds the `n` commands of one run (a few more with the EXISTS that follow
 * SETs of expired keys). Now and then a command is given the wrong number of arguments.
 */
export function generateRun(seed: number, n: number, cmds: readonly CommandGen[], startSec: number): Arg[][] {
  const g = new Gen(new Prng(seed), startSec);
  const table = cmds.map((c) => [c.weight, c] as const);
  const out: Arg[][] = [];
  for (let i = 0; i < n; i++) {
    g.index = i;
    const c = g.rng.weighted(table);
    let argv = c.gen(g);
    if (g.rng.chance(0.02)) argv = wrongArity(g, c, argv);
    out.push(argv);
    const expired = lingeringExpired(argv, startSec);
    if (expired !== null) out.push(["EXISTS", expired]);
  }
  return out;
}

function wrongArity(g: Gen, c: CommandGen, argv: Arg[]): Arg[] {
  // Subcommands ("object|encoding") count their own name in the arity.
  const head = c.name.includes("|") ? 2 : 1;
  if (c.arity > 0) {
    const drop = c.arity > head && g.rng.chance(0.5);
    return drop ? argv.slice(0, c.arity - 1) : [...argv.slice(0, c.arity), "extra"];
  }
  const min = -c.arity;
  if (min <= head) return argv; // any count is fine
  return argv.slice(0, g.rng.range(head, min - 1));
}
