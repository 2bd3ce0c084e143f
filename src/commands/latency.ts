/** LATENCY: the latency monitor's event series and per-command histograms (Redis's latency.c). */
import type { CommandDef, CommandSpec, Ctx } from "./types.js";
import type { Server } from "../server/server.js";
import type { Histogram } from "./histogram.js";
import { introspection } from "./introspection.js";
import { TS_LEN, type Series } from "./latency-events.js";
import { findCommand } from "./lookup.js";
import { replyHelp } from "./help.js";
import { echo } from "./errors.js";

function replyCdf(c: Ctx, name: string, h: Histogram): void {
  c.r.bulk(name);
  c.r.map(2);
  c.r.bulk("calls");
  c.r.int(h.total);
  c.r.bulk("histogram_usec");
  const buckets = h.cumulative();
  c.r.map(buckets.length);
  for (const [usec, count] of buckets) {
    c.r.int(usec);
    c.r.int(count);
  }
}

/** The graph LATENCY GRAPH draws: a header and one column per sample, 4 rows high. */
function graph(event: string, ts: Series, samples: { time: number; latency: number }[]): string {
  let min = 0;
  let max = 0;
  samples.forEach((s, i) => {
    if (i === 0) min = max = s.latency;
    max = Math.max(max, s.latency);
    min = Math.min(min, s.latency);
  });
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n${"-".repeat(80)}\n`;
  const cols = samples.slice(-80);
  const rows = 4;
  const levels = cols.map((s) => (max === min ? rows : Math.max(1, Math.round(((s.latency - min) / (max - min)) * rows))));
  for (let row = rows; row >= 1; row--) {
    out += levels.map((l) => (l >= row ? (l === row ? "_" : "|") : " ")).join("") + "\n";
  }
  const now = Math.floor(Date.now() / 1000);
  const labels = cols.map((s) => {
    const e = now - s.time;
    return e < 60 ? `${e}s` : e < 3600 ? `${Math.floor(e / 60)}m` : e < 86400 ? `${Math.floor(e / 3600)}h` : `${Math.floor(e / 86400)}d`;
  });
  const width = Math.max(0, ...labels.map((l) => l.length));
  for (let i = 0; i < width; i++) out += labels.map((l) => l[i] ?? " ").join("") + "\n";
  return out;
}

function doctor(server: Server): string {
  const lm = introspection(server).latency;
  if (lm.events.size === 0) {
    return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better.\n";
  }
  let out = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
  let i = 1;
  for (const [name, ts] of lm.events) {
    const h = lm.history(ts);
    const avg = h.length ? Math.floor(h.reduce((a, s) => a + s.latency, 0) / h.length) : 0;
    out += `${i++}. ${name}: ${h.length} latency spikes (average ${avg}ms, mean deviation 0ms, period 0 sec). Worst all time event ${ts.max}ms.\n`;
  }
  out += "\nI have a few advices for you:\n\n- Check your slow log: SLOWLOG GET.\n";
  return out;
}

const HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

const META = { flags: "admin noscript loading stale", acl: "admin slow dangerous" };

export const latencyCommands: CommandDef[] = [
  {
    name: "latency",
    arity: -2,
    handler: () => {},
    subcommands: [
      {
        name: "history",
        arity: 3,
        ...META,
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        handler: (c) => {
          const lm = introspection(c.server).latency;
          const ts = lm.events.get(c.argv[2].toString("latin1"));
          const h = ts ? lm.history(ts) : [];
          c.r.array(h.length);
          for (const s of h) {
            c.r.array(2);
            c.r.int(s.time);
            c.r.int(s.latency);
          }
        },
      },
      {
        name: "latest",
        arity: 2,
        ...META,
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        handler: (c) => {
          const lm = introspection(c.server).latency;
          c.r.array(lm.events.size);
          for (const [name, ts] of lm.events) {
            const last = ts.samples[(ts.idx + TS_LEN - 1) % TS_LEN];
            c.r.array(4);
            c.r.bulk(name);
            c.r.int(last.time);
            c.r.int(last.latency);
            c.r.int(ts.max);
          }
        },
      },
      {
        name: "reset",
        arity: -2,
        ...META,
        tips: "request_policy:all_nodes response_policy:agg_sum",
        handler: (c) => {
          const lm = introspection(c.server).latency;
          if (c.argv.length === 2) return c.r.int(lm.reset(null));
          let n = 0;
          for (const a of c.argv.slice(2)) n += lm.reset(a.toString("latin1"));
          c.r.int(n);
        },
      },
      {
        name: "graph",
        arity: 3,
        ...META,
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        handler: (c) => {
          const lm = introspection(c.server).latency;
          const name = c.argv[2].toString("latin1");
          const ts = lm.events.get(name);
          if (!ts) return c.r.error(echo`ERR No samples available for event '${c.argv[2]}'`);
          c.r.verbatim(graph(name, ts, lm.history(ts)));
        },
      },
      {
        name: "doctor",
        arity: 2,
        ...META,
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        handler: (c) => c.r.verbatim(doctor(c.server)),
      },
      {
        name: "histogram",
        arity: -2,
        ...META,
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        handler: (c) => {
          const hs = introspection(c.server).histograms;
          const picked: [string, Histogram][] = [];
          const pick = (spec: CommandSpec) => {
            const h = hs.get(spec);
            if (h) picked.push([spec.name, h]);
          };
          if (c.argv.length === 2) {
            for (const spec of c.server.commands.values()) {
              pick(spec);
              spec.subcommands?.forEach(pick);
            }
          } else {
            for (const a of c.argv.slice(2)) {
              const spec = findCommand(c.server, a.toString("latin1"));
              if (!spec) continue;
              pick(spec);
              spec.subcommands?.forEach(pick);
            }
          }
          c.r.map(picked.length);
          for (const [name, h] of picked) replyCdf(c, name, h);
        },
      },
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        acl: "slow",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];

/**
 * For other features to report their latency events ("expire-cycle",
 * "aof-fsync-always", "fork", ...): recorded when at or over latency-monitor-threshold.
 */
export function addLatencySample(server: Server, event: string, ms: number): void {
  const st = introspection(server);
  if (st.latencyThreshold > 0 && ms >= st.latencyThreshold) st.latency.add(event, Math.floor(ms));
}
