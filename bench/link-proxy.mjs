/**
 * A simulated wide-area link for replication tests and the replication bench:
 * a TCP proxy on 127.0.0.1 that forwards to a target, delaying every chunk by a
 * one-way latency (uniform in [minDelayMs, maxDelayMs], order kept) and
 * limiting each direction to `bytesPerSec`. `cut()` drops every connection
 * and refuses new ones (an outage) until `restore()`.
 */
import net from "node:net";

/** One direction of a connection: chunks leave in order, each no sooner than its delay and the bandwidth allow. */
class Pipe {
  constructor(to, opts) {
    this.to = to;
    this.opts = opts;
    this.queue = [];
    this.timer = null;
    /** When the link is free to start the next chunk (ms). */
    this.freeAt = 0;
    this.lastDue = 0;
  }

  push(chunk) {
    const { minDelayMs, maxDelayMs, bytesPerSec } = this.opts;
    const now = Date.now();
    const delay = minDelayMs + Math.random() * (maxDelayMs - minDelayMs);
    // Serialization: the link carries bytesPerSec; a chunk starts when the previous one is through.
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + (bytesPerSec > 0 ? (chunk.length * 1000) / bytesPerSec : 0);
    // In order: never before the chunk ahead of it.
    const due = Math.max(this.freeAt + delay, this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, chunk });
    this.arm();
  }

  arm() {
    if (this.timer !== null || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0].due <= now) {
        const { chunk } = this.queue.shift();
        if (!this.to.destroyed) this.to.write(chunk);
      }
      this.arm();
    }, Math.max(0, this.queue[0].due - Date.now()));
  }

  stop() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}

/**
 * Starts a proxy to targetPort. Options: minDelayMs, maxDelayMs (one way),
 * bytesPerSec (each direction; 0: unlimited). Resolves to { port, cut(),
 * restore(), close(), bytes } once it listens.
 */
export function startLinkProxy(targetPort, { minDelayMs = 50, maxDelayMs = 100, bytesPerSec = 0, targetHost = "127.0.0.1" } = {}) {
  const opts = { minDelayMs, maxDelayMs, bytesPerSec };
  const conns = new Set();
  let down = false;
  const stats = { bytes: 0 };
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    const up = new Pipe(upstream, opts);
    const back = new Pipe(client, opts);
    const conn = { client, upstream, up, back };
    conns.add(conn);
    const close = () => {
      conns.delete(conn);
      up.stop();
      back.stop();
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (d) => {
      stats.bytes += d.length;
      up.push(d);
    });
    upstream.on("data", (d) => {
      stats.bytes += d.length;
      back.push(d);
    });
    for (const s of [client, upstream]) {
      s.on("error", close);
      s.on("close", close);
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: server.address().port,
        stats,
        /** An outage: every connection dropped, new ones refused. */
        cut() {
          down = true;
          for (const c of [...conns]) {
            c.client.destroy();
            c.upstream.destroy();
          }
        },
        restore() {
          down = false;
        },
        close() {
          this.cut();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}
