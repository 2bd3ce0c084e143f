/**
 * Memory: RSS of a fresh server before and after loading `keys` keys with
 * 16-byte values (pipelined SETs of redis-benchmark-style 16-byte keys),
 * checked with DBSIZE.
 */
import { call, pipelineOneLineReplies, rssBytes, startServer } from "./servers.mjs";

export async function measureMemory(kind, keys = 1000000) {
  const srv = await startServer(kind);
  try {
    const emptyRss = rssBytes(srv.pid);
    const value = "x".repeat(16);
    const t0 = Date.now();
    const res = await pipelineOneLineReplies(srv.port, keys, (i) => ["SET", `key:${String(i).padStart(12, "0")}`, value]);
    const loadSeconds = (Date.now() - t0) / 1000;
    // Let the server settle (Nodis's GC, lazy frees) before reading RSS.
    await new Promise((r) => setTimeout(r, 1000));
    const dbsize = Number((await call(srv.port, "DBSIZE")).slice(1));
    const rss = rssBytes(srv.pid);
    if (res.errors > 0) throw new Error(`${kind}: ${res.errors} error replies while loading`);
    return { kind, keys, dbsize, emptyRssBytes: emptyRss, rssBytes: rss, bytesPerKey: (rss - emptyRss) / dbsize, loadSeconds };
  } finally {
    await srv.stop();
  }
}
