/**
 * Memory of the collection types: what used_memory (INFO) and RSS grow by,
 * once settled, when a warmed-up server loads 100,000 hashes of 10 small
 * fields (and, in another fresh server, 100,000 sorted sets of 10 members).
 */
import { call, pipelineOneLineReplies, rssBytes, startServer } from "./servers.mjs";

const SHAPES = {
  hash: (i) => {
    const argv = ["HSET", `hash:${String(i).padStart(8, "0")}`];
    for (let f = 0; f < 10; f++) argv.push(`field${f}`, `value${f}:${i % 1000}`);
    return argv;
  },
  zset: (i) => {
    const argv = ["ZADD", `zset:${String(i).padStart(8, "0")}`];
    for (let m = 0; m < 10; m++) argv.push(String((i * 7 + m * 13) % 1000), `member${m}`);
    return argv;
  },
};

export async function usedMemory(port) {
  const info = await call(port, "INFO", "memory");
  const m = /used_memory:(\d+)/.exec(info);
  return m ? Number(m[1]) : NaN;
}

/**
 * Waits until used_memory holds still (at most 20 s): Nodis's counts V8's
 * heap, which a GC shrinks some seconds after a load.
 */
export async function settle(port) {
  let last = await usedMemory(port);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await usedMemory(port);
    if (Math.abs(now - last) < last * 0.005) return;
    last = now;
  }
}

/** Loads `count` values of `shape` into a fresh server of `kind`; memory before and after. */
export async function measureTypeMemory(kind, shape, count = 100000) {
  const srv = await startServer(kind);
  try {
    // Warm up with a tenth as many values of the same shape (other keys, kept):
    // the baseline then holds what a first load only pages in once (Node's
    // code, V8's young generation), and the growth after it is the data's.
    const warm = Math.max(1000, Math.round(count / 10));
    await pipelineOneLineReplies(srv.port, warm, (i) => SHAPES[shape](i + count));
    await settle(srv.port);
    const emptyRss = rssBytes(srv.pid);
    const emptyUsed = await usedMemory(srv.port);
    const res = await pipelineOneLineReplies(srv.port, count, SHAPES[shape]);
    if (res.errors > 0) throw new Error(`${kind}: ${res.errors} error replies loading ${shape}s`);
    await settle(srv.port);
    const dbsize = Number((await call(srv.port, "DBSIZE")).slice(1)) - warm;
    const encoding = String(await call(srv.port, "OBJECT", "ENCODING", SHAPES[shape](0)[1])).split("\r\n").pop();
    return {
      kind,
      shape,
      count,
      dbsize,
      encoding,
      usedBytes: (await usedMemory(srv.port)) - emptyUsed,
      rssBytes: rssBytes(srv.pid) - emptyRss,
    };
  } finally {
    await srv.stop();
  }
}
