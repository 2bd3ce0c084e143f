/**
 * The primary side of replication (src/replication/primary.ts): SYNC/PSYNC
 * send a snapshot and then the replication stream; a real redis-server
 * replicates from Nodis and ends with the same dataset (DEBUG DIGEST).
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveRedisServer, startNodis, startRedis } from "../helpers/nodis.js";
import { RespConnection } from "../diff/resp.js";
import { until } from "../helpers/wait.js";
import type { RunningServer } from "../../src/index.js";

/** A raw connection that sends `command` and collects everything that comes back. */
class Stream {
  data = Buffer.alloc(0);
  private constructor(readonly sock: net.Socket) {
    sock.on("data", (d) => (this.data = Buffer.concat([this.data, d])));
  }
  static open(port: number, command: string): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, "127.0.0.1", () => {
        sock.write(command);
        resolve(new Stream(sock));
      });
      sock.on("error", reject);
    });
  }
  text(): string {
    return this.data.toString("latin1");
  }
}

describe("replication, primary side", () => {
  let nodis: RunningServer;
  let conn: RespConnection;

  beforeAll(async () => {
    nodis = await startNodis({ "enable-debug-command": "yes", "repl-diskless-sync-delay": "0" });
    conn = await RespConnection.connect(nodis.port);
  });
  afterAll(async () => {
    conn?.close();
    await nodis?.close();
  });

  it("SYNC sends the dataset as an RDB bulk, then every write as the replication stream", async () => {
    await conn.send([["FLUSHALL"], ["SET", "before", "1"]]);
    const s = await Stream.open(nodis.port, "SYNC\r\n");
    const header = await until(
      () => /^\$(\d+)\r\n/.exec(s.text()),
      (m) => m !== null && s.data.length >= m[0].length + Number(m[1]),
    );
    const rdbLen = Number(header![1]);
    const rdb = s.data.subarray(header![0].length, header![0].length + rdbLen);
    expect(rdb.subarray(0, 5).toString()).toBe("REDIS");
    expect(rdb.includes(Buffer.from("before"))).toBe(true);
    const start = header![0].length + rdbLen;
    await conn.send([["LPUSH", "l", "a", "b"], ["SELECT", "2"], ["SET", "k", "v"], ["SELECT", "0"], ["GET", "before"]]);
    const want =
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*4\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n" +
      "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    await until(() => s.data.length - start, (n) => n >= want.length);
    expect(s.data.subarray(start).toString("latin1")).toBe(want);
    const info = (await conn.call("INFO", "replication")).toString();
    expect(info).toContain("connected_slaves:1");
    expect(info).toContain(`master_repl_offset:${want.length}`);
    s.sock.destroy();
    await until(async () => (await conn.call("INFO", "replication")).toString(), (t) => t.includes("connected_slaves:0"));
  });

  it("PSYNC answers +FULLRESYNC with the replication ID and offset before the snapshot", async () => {
    const replid = /master_replid:([0-9a-f]{40})/.exec((await conn.call("INFO", "replication")).toString())![1];
    const s = await Stream.open(nodis.port, "PSYNC ? -1\r\n");
    await until(() => s.text(), (t) => /\r\n\$\d+\r\n/.test(t));
    expect(s.text()).toMatch(new RegExp(`^\\+FULLRESYNC ${replid} \\d+\\r\\n\\$\\d+\\r\\nREDIS`));
    s.sock.destroy();
  });

  it.skipIf(!haveRedisServer())("a redis-server replica synchronizes and follows the writes", async () => {
    await conn.send([["FLUSHALL"], ["MSET", "a", "1", "b", "2"], ["RPUSH", "list", "x", "y"], ["HSET", "h", "f", "v"], ["ZADD", "z", "1", "m"], ["SADD", "s", "1", "2"]]);
    const replica = await startRedis(["--replicaof", "127.0.0.1", String(nodis.port)]);
    const r = await RespConnection.connect(replica.port);
    try {
      await until(async () => (await r.call("INFO", "replication")).toString(), (t) => t.includes("master_link_status:up"), { timeoutMs: 20000 });
      await conn.send([["INCR", "a"], ["SELECT", "3"], ["SET", "three", "3"], ["SELECT", "0"], ["LPOP", "list"], ["EXPIRE", "b", "1000"], ["MULTI"], ["HSET", "h", "g", "w"], ["SREM", "s", "1"], ["EXEC"]]);
      const digest = (await conn.call("DEBUG", "DIGEST")).toString();
      expect(digest).not.toBe("+0000000000000000000000000000000000000000\r\n");
      const theirs = await until(async () => (await r.call("DEBUG", "DIGEST")).toString(), (d) => d === digest, { timeoutMs: 20000 });
      expect(theirs).toBe(digest);
      expect((await r.call("TTL", "b")).toString()).toMatch(/^:(99\d|1000)\r\n$/);
    } finally {
      r.close();
      await replica.stop();
    }
  }, 60000);
});
