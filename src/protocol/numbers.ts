/**
 * Redis's string2ll rules for integers given by clients: optional '-', digits,
 * no '+', no spaces, no leading zeros, within the signed 64-bit range.
 * Returns a JS number (exact up to 2^53; beyond that the nearest double, range
 * still checked exactly) or null.
 */
export function parseI64(buf: Uint8Array, start = 0, end = buf.length): number | null {
  const len = end - start;
  if (len <= 0 || len > 20) return null;
  if (len === 1 && buf[start] === 48) return 0;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  if (i >= end || buf[i] < 49 || buf[i] > 57) return null; // first digit 1-9
  let v = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  if (end - i >= 16) {
    // Check the 64-bit range exactly.
    let digits = "";
    for (let j = i; j < end; j++) digits += String.fromCharCode(buf[j]);
    const b = BigInt(neg ? "-" + digits : digits);
    if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  }
  return neg ? -v : v;
}

/** Like parseI64 but exact, as a bigint. */
export function parseI64Big(buf: Uint8Array): bigint | null {
  if (parseI64(buf) === null) return null;
  return BigInt(Buffer.from(buf).toString("latin1"));
}

/** Redis's string2d / strtod rules for doubles given by clients (no spaces, no NaN). */
export function parseDouble(buf: Uint8Array): number | null {
  const s = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString("latin1");
  if (s.length === 0 || /^\s|\s$/.test(s)) return null;
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith("-") ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}
