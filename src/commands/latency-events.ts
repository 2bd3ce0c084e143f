/** The latency monitor's event series (Redis's latency.c): one sample per second per event. */

/** Samples kept per event (LATENCY_TS_LEN). */
export const TS_LEN = 160;

export interface Series {
  /** Ring of [unix seconds, ms]; time 0 marks an empty slot. */
  samples: { time: number; latency: number }[];
  idx: number;
  max: number;
}

export class LatencyMonitor {
  /** Event name to its series, in creation order. */
  events = new Map<string, Series>();

  /** latencyAddSample: one sample per second per event, keeping the highest. */
  add(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (!ts) {
      ts = { samples: Array.from({ length: TS_LEN }, () => ({ time: 0, latency: 0 })), idx: 0, max: 0 };
      this.events.set(event, ts);
    }
    const now = Math.floor(Date.now() / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = ts.samples[(ts.idx + TS_LEN - 1) % TS_LEN];
    if (prev.time === now) {
      if (ms > prev.latency) prev.latency = ms;
      return;
    }
    ts.samples[ts.idx] = { time: now, latency: ms };
    ts.idx = (ts.idx + 1) % TS_LEN;
  }

  /** The samples of a series, oldest first. */
  history(ts: Series): { time: number; latency: number }[] {
    const out = [];
    for (let j = 0; j < TS_LEN; j++) {
      const s = ts.samples[(ts.idx + j) % TS_LEN];
      if (s.time !== 0) out.push(s);
    }
    return out;
  }

  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }
}
