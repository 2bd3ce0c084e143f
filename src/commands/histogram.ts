/**
 * A latency histogram in the manner of the HdrHistogram Redis uses for
 * per-command latency, in nanoseconds: values below 256 are exact, larger ones
 * keep their top 8 bits (2 significant digits). Counts live in one typed array,
 * so recording a sample allocates nothing.
 */
const MAX_NS = 1e12; // Redis clamps at 1000 seconds
const SUB = 128;
/** Shifts up to log2(MAX_NS) - 7. */
const MAX_SHIFT = 33;

/** The bucket index of `v` (>= 1). */
function indexOf(v: number): number {
  if (v < 256) return v;
  // Integer bit tricks below 2^31 ns (every command but multi-second ones): this runs per command.
  const small = v < 2147483648;
  const shift = (small ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))) - 7;
  const top = small ? v >>> shift : Math.floor(v / 2 ** shift);
  return 256 + (shift - 1) * SUB + (top - SUB);
}

/** indexOf for 256 <= v < 2^31. */
function smallIndex(v: number): number {
  const shift = 24 - Math.clz32(v); // (31 - clz32) - 7
  return 256 + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** The lowest value and the width of bucket `i`. */
function bucket(i: number): [number, number] {
  if (i < 256) return [i, 1];
  const shift = Math.floor((i - 256) / SUB) + 1;
  const width = 2 ** shift;
  return [((i - 256) % SUB + SUB) * width, width];
}

export class Histogram {
  total = 0;
  private counts = new Float64Array(256 + MAX_SHIFT * SUB);

  record(ns: number): void {
    // Every command records here: below 2^31 ns (2 s) rounding and the bucket are integer operations.
    const v = ns >= 2147483647 ? Math.min(Math.round(ns), MAX_NS) : ns >= 1 ? (ns + 0.5) | 0 : 1;
    this.counts[v < 256 ? v : v < 2147483648 ? smallIndex(v) : indexOf(v)] += 1;
    this.total++;
  }

  /** The (highest equivalent) value at `p` percent, as hdr_value_at_percentile. */
  valueAt(p: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.round((Math.min(p, 100) / 100) * this.total));
    let seen = 0;
    let last = 0;
    for (let i = 0; i < this.counts.length; i++) {
      if (this.counts[i] === 0) continue;
      seen += this.counts[i];
      const [low, width] = bucket(i);
      last = low + width - 1;
      if (seen >= want) break;
    }
    return last;
  }

  /** LATENCY HISTOGRAM's buckets: [upper bound in usec, cumulative count] for powers of two from 1024ns. */
  cumulative(): [number, number][] {
    const out: [number, number][] = [];
    let cum = 0;
    let prev = 0;
    let bound = 1024;
    for (let i = 0; i < this.counts.length && cum < this.total; i++) {
      if (this.counts[i] === 0) continue;
      const [low] = bucket(i);
      while (low >= bound) {
        if (cum > prev) out.push([Math.floor((bound - 1) / 1000), cum]);
        prev = cum;
        bound *= 2;
      }
      cum += this.counts[i];
    }
    if (cum > prev) out.push([Math.floor((bound - 1) / 1000), cum]);
    return out;
  }
}
