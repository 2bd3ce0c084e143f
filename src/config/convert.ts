/**
 * The C conversions configuration values go through (util.c's string2ll,
 * strtoll, memtoull; sds's repr; config.c's enum names), shared by the value
 * types (values.ts) and the special parameters (special.ts).
 */
export const I64_MIN = -9223372036854775808n;
export const I64_MAX = 9223372036854775807n;

/** string2ll: optional '-', digits without leading zeros, within int64; else null. */
export function string2ll(s: string): bigint | null {
  if (!/^(0|-?[1-9]\d{0,19})$/.test(s)) return null;
  const v = BigInt(s);
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/** strtoll(s, &end, 10) with *end == '\0' required: leading spaces and a sign allowed, "" is 0, overflow saturates. */
export function strtollFull(s: string): bigint | null {
  if (s === "") return 0n;
  if (!/^\s*[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s.trim());
  return v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v;
}

const UNITS: Record<string, bigint> = { "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000000n, mb: 1048576n, g: 1000000000n, gb: 1073741824n };

/** memtoull: digits then an optional unit (1k = 1000, 1kb = 1024, ...); the result wraps at 2^64 as in C. */
export function memtoull(s: string): bigint | null {
  const m = /^(\d*)(.*)$/s.exec(s)!;
  const mul = UNITS[m[2].toLowerCase()];
  if (mul === undefined || m[1].length >= 128) return null;
  let v = m[1] === "" ? 0n : BigInt(m[1]);
  if (v > 18446744073709551615n) v = 18446744073709551615n; // strtoull's ERANGE value
  return BigInt.asUintN(64, v * mul);
}

/** redis.conf's human form of a byte count: 1gb, 64mb, 4kb or plain bytes. */
export function formatMemory(bytes: bigint): string {
  const GB = 1073741824n;
  const MB = 1048576n;
  const KB = 1024n;
  if (bytes && bytes % GB === 0n) return `${bytes / GB}gb`;
  if (bytes && bytes % MB === 0n) return `${bytes / MB}mb`;
  if (bytes && bytes % KB === 0n) return `${bytes / KB}kb`;
  return String(bytes);
}

/** sdscatrepr: a double-quoted string with C escapes, \xHH for unprintable bytes. */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += "\\x" + (c & 0xff).toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** The enum name(s) CONFIG GET shows for a value (bit flags for multi-arg enums), as configEnumGetName. */
export function enumName(values: [string, number][], v: number, bitflags: boolean): string {
  const names: string[] = [];
  let unmatched = v;
  for (const [n, val] of values) {
    if (v === val) return n;
    if (bitflags && val && val === (unmatched & val)) {
      names.push(n);
      unmatched &= ~val;
    }
  }
  return names.length === 0 || unmatched ? "unknown" : names.join(" ");
}
