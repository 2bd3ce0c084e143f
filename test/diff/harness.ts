/**
 * The differential harness: sends the same command sequence to redis-server
 * (the oracle) and Nodis over raw RESP, in pipelined batches, and compares
 * every reply (compare.ts). A run stops at its first mismatch and reports it
 * with the seed and the commands before it; a run without one ends with a
 * comparison of the whole key space (and DEBUG DIGEST when both servers have it).
 */
import { RespConnection, show, type Arg } from "./resp.js";
import { expected72, sameReply } from "./compare.js";
import { DBS, KEY_POOL, generateRun, type CommandGen } from "./generator.js";

export interface Ports {
  oracle: number;
  nodis: number;
  /** The protocol the connections speak: 3 sends HELLO 3 first. */
  resp?: 2 | 3;
}

export interface RunOptions {
  seed: number;
  commands: readonly CommandGen[];
  count: number;
  /** Commands per pipelined batch. */
  batch?: number;
  /** Generated commands to leave out (known bugs). */
  skip?: (argv: Arg[]) => boolean;
}

export interface Mismatch {
  index: number;
  argv: Arg[];
  expected: Buffer;
  actual: Buffer;
  /** Why the expected reply is not the oracle's, when a known 7.0/7.2 difference applied. */
  why?: string;
  /** True when found by the key space check after the run, not by a generated command. */
  afterRun?: boolean;
}

export interface RunResult {
  seed: number;
  /** Commands sent before the run ended. */
  sent: number;
  /** Generated commands left out (opts.skip). */
  skipped: number;
  /** The commands that lead to the mismatch, it last (to replay or shrink); empty without one. */
  failing: Arg[][];
  mismatch: Mismatch | null;
  /** The commands before the mismatch, with both replies. */
  history: { argv: Arg[]; oracle: Buffer; nodis: Buffer }[];
  /** How the DEBUG DIGEST check went ("equal", or why it was skipped). */
  digest: string;
}

const HISTORY = 12;

interface Conns {
  oracle: RespConnection;
  nodis: RespConnection;
  close(): void;
}

/** Opens a connection to each server. */
export async function connectBoth(ports: Ports): Promise<Conns> {
  const oracle = await RespConnection.connect(ports.oracle);
  const nodis = await RespConnection.connect(ports.nodis);
  if (ports.resp === 3) {
    // The HELLO replies differ (version, client id); only that both switch matters.
    const [o, n] = await Promise.all([oracle.call("HELLO", "3"), nodis.call("HELLO", "3")]);
    if (o[0] !== 37 /* '%' */ || n[0] !== 37) throw new Error(`HELLO 3 failed: redis-server ${show(o)}, nodis ${show(n)}`);
  }
  return {
    oracle,
    nodis,
    close: () => {
      oracle.close();
      nodis.close();
    },
  };
}

/** Sends `cmds` to both and compares reply by reply; returns the first mismatch, if any. */
async function exchange(
  conns: Conns,
  cmds: Arg[][],
  firstIndex: number,
  history: RunResult["history"],
  keep = HISTORY,
): Promise<Mismatch | null> {
  const named = (who: string, p: Promise<Buffer[]>) =>
    p.catch((e: Error) => {
      throw new Error(`${who}, in the batch from command #${firstIndex}: ${e.message}`);
    });
  const [fromOracle, fromNodis] = await Promise.all([named("redis-server", conns.oracle.send(cmds)), named("nodis", conns.nodis.send(cmds))]);
  for (let i = 0; i < cmds.length; i++) {
    const { reply: expected, why } = expected72(cmds[i], fromOracle[i]);
    if (!sameReply(cmds[i], expected, fromNodis[i])) {
      return { index: firstIndex + i, argv: cmds[i], expected, actual: fromNodis[i], why };
    }
    history.push({ argv: cmds[i], oracle: fromOracle[i], nodis: fromNodis[i] });
    if (history.length > keep) history.shift();
  }
  return null;
}

/** The commands that read the whole key space back, using only the command names given. */
function stateQueries(names: ReadonlySet<string>): Arg[][] {
  const out: Arg[][] = [];
  for (let db = 0; db < DBS; db++) {
    out.push(["SELECT", String(db)]);
    for (const k of KEY_POOL) {
      out.push(["EXISTS", k]);
      if (names.has("type")) out.push(["TYPE", k]);
      out.push(["GET", k]);
      if (names.has("pttl")) out.push(["PTTL", k]);
    }
    // After EXISTS has touched (and so reclaimed) any expired key of the pool.
    if (names.has("dbsize")) out.push(["DBSIZE"]);
  }
  out.push(["SELECT", "0"]);
  return out;
}

/** FLUSHALL and SELECT 0 on both; the servers must agree on that much. */
async function reset(conns: Conns): Promise<void> {
  const m = await exchange(conns, [["FLUSHALL"], ["SELECT", "0"]], 0, []);
  if (m) throw new Error(`the servers disagree on FLUSHALL/SELECT 0: ${show(m.expected)} vs ${show(m.actual)}`);
}

/** Sends `cmds` to both in batches; the first mismatch, or null. */
async function play(conns: Conns, cmds: Arg[][], batch: number, history: RunResult["history"], keep = HISTORY): Promise<Mismatch | null> {
  for (let i = 0; i < cmds.length; i += batch) {
    const m = await exchange(conns, cmds.slice(i, i + batch), i, history, keep);
    if (m) return m;
  }
  return null;
}

/** Plays `cmds` on freshly flushed servers: the first mismatch, with (up to `keep` of) the commands before it. */
export async function replay(ports: Ports, cmds: Arg[][], keep = HISTORY): Promise<{ mismatch: Mismatch | null; history: RunResult["history"] }> {
  const conns = await connectBoth(ports);
  try {
    await reset(conns);
    const history: RunResult["history"] = [];
    return { mismatch: await play(conns, cmds, 64, history, keep), history };
  } finally {
    conns.close();
  }
}

/** Runs one seed: FLUSHALL both, the generated commands, then the key space and digest checks. */
export async function runSeed(ports: Ports, opts: RunOptions): Promise<RunResult> {
  const batch = opts.batch ?? 64;
  const conns = await connectBoth(ports);
  const all = generateRun(opts.seed, opts.count, opts.commands, Math.floor(Date.now() / 1000));
  const cmds = opts.skip ? all.filter((argv) => !opts.skip!(argv)) : all;
  const history: RunResult["history"] = [];
  const skipped = all.length - cmds.length;
  const result: RunResult = { seed: opts.seed, sent: 0, skipped, failing: [], mismatch: null, history, digest: "not reached" };
  try {
    await reset(conns);
    result.mismatch = await play(conns, cmds, batch, history);
    result.sent = result.mismatch ? result.mismatch.index + 1 : cmds.length;
    if (result.mismatch) {
      result.failing = cmds.slice(0, result.sent);
      return result;
    }

    const names = new Set(opts.commands.map((c) => c.name));
    const state = stateQueries(names);
    result.mismatch = await exchange(conns, state, cmds.length, history);
    if (result.mismatch) {
      result.mismatch.afterRun = true;
      result.failing = [...cmds, ...state.slice(0, result.mismatch.index - cmds.length + 1)];
      return result;
    }
    result.digest = await compareDigests(conns);
    return result;
  } catch (e) {
    throw new Error(`seed ${opts.seed} (replay with NODIS_DIFF_SEED=${opts.seed}): ${(e as Error).message}`);
  } finally {
    conns.close();
  }
}

/** DEBUG DIGEST on both: "equal", "skipped (...)" when Nodis lacks it, or throws on a difference. */
async function compareDigests(conns: Conns): Promise<string> {
  const [o, n] = await Promise.all([conns.oracle.call("DEBUG", "DIGEST"), conns.nodis.call("DEBUG", "DIGEST")]);
  if (o[0] !== 43 /* '+' */) return `skipped (redis-server: ${show(o)})`;
  if (n[0] === 45 /* '-' */) return `skipped (nodis: ${show(n)})`;
  if (!o.equals(n)) return `DIFFERENT: redis-server ${show(o)}, nodis ${show(n)}`;
  return "equal";
}

function showArgv(argv: Arg[]): string {
  return argv.map((a) => show(a)).join(" ");
}

/** A reply for a log line, cut short when long. */
function brief(b: Buffer): string {
  return b.length > 120 ? `${show(b.subarray(0, 100))}... (${b.length} bytes)` : show(b);
}

/** Replays `cmds` and lists every command with both replies (for a shrunk sequence). */
export async function describeSequence(ports: Ports, cmds: Arg[][]): Promise<string> {
  const { mismatch, history } = await replay(ports, cmds, cmds.length);
  const lines = history.map((h) => `    ${showArgv(h.argv)}  ->  ${brief(h.oracle)} | ${brief(h.nodis)}`);
  if (mismatch) lines.push(`    ${showArgv(mismatch.argv)}  ->  expected ${show(mismatch.expected)} | nodis ${show(mismatch.actual)}   <-- differs`);
  else lines.push("    (no mismatch on this replay)");
  return lines.join("\n");
}

export function describeMismatch(r: RunResult, m: Mismatch): string {
  const lines = [
    m.afterRun
      ? `seed ${r.seed}: the key space differs after the run (replay with NODIS_DIFF_SEED=${r.seed})`
      : `seed ${r.seed}: command #${m.index} differs (replay with NODIS_DIFF_SEED=${r.seed})`,
    `  command:  ${showArgv(m.argv)}`,
    `  expected: ${show(m.expected)}${m.why ? `  (Redis 7.2's answer: ${m.why})` : ""}`,
    `  nodis:    ${show(m.actual)}`,
    `  the commands before it (redis-server reply | nodis reply):`,
    ...r.history.map((h) => `    ${showArgv(h.argv)}  ->  ${brief(h.oracle)} | ${brief(h.nodis)}`),
  ];
  return lines.join("\n");
}

/** One line (or a block, on a mismatch) about a run, for the test log. */
export function describeRun(r: RunResult): string {
  if (r.mismatch) return describeMismatch(r, r.mismatch);
  const skipped = r.skipped ? ` (${r.skipped} left out for known bugs)` : "";
  return `seed ${r.seed}: ${r.sent} commands agree${skipped}; key space agrees; DEBUG DIGEST ${r.digest}`;
}
