/**
 * maxmemory's refusals, differential against redis-server: with maxmemory 1
 * under noeviction nothing can be evicted, so denyoom commands, anything
 * queued in MULTI and scripts that may write are refused as Redis refuses
 * them, while reads keep working.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useServerPair } from "../helpers/pair.js";
import { expectSameReplies } from "../helpers/oracle.js";
import { RespConnection } from "../diff/resp.js";

describe("OOM refusals (noeviction, maxmemory 1)", () => {
  const p = useServerPair();
  beforeAll(async () => {
    for (const k of [p.mine, p.theirs]) await k.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
  });
  /** Two keys written, then memory "full": every sequence starts from this. */
  const full = [
    ["CONFIG", "SET", "maxmemory", "0"],
    ["SET", "k", "v"],
    ["SET", "n", "1"],
    ["CONFIG", "SET", "maxmemory", "1"],
  ];

  it("refuses denyoom commands and serves reads and deletes", async () => {
    await expectSameReplies(p.mine, p.theirs, [
      ...full,
      ["GET", "k"],
      ["SET", "k", "w"],
      ["LPUSH", "l", "a"],
      ["INCR", "n"],
      ["APPEND", "k", "x"],
      ["EXISTS", "k"],
      ["STRLEN", "k"],
      ["DECR", "n"],
      ["GET", "k"],
      ["EXPIRE", "k", "100"],
      ["PERSIST", "k"],
    ]);
  });

  it("refuses commands queued in MULTI and EXEC of a doomed transaction", async () => {
    await expectSameReplies(p.mine, p.theirs, [
      ...full,
      ["MULTI"],
      ["GET", "k"],
      ["EXEC"],
      ["MULTI"],
      ["SET", "a", "b"],
      ["DISCARD"],
      ["GET", "a"],
    ]);
  });

  it("checks scripts at their start and at their first write", async () => {
    await expectSameReplies(p.mine, p.theirs, [
      ...full,
      ["EVAL", "return redis.call('get','k')", "0"],
      ["EVAL", "return redis.call('set','a','b')", "0"],
      ["EVAL", "redis.call('del','zz'); return redis.call('set','a','b')", "0"],
      ["EVAL", "#!lua\nreturn redis.call('set','a','b')", "0"],
      ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','k')", "0"],
      ["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"],
      ["GET", "a"],
      ["EVAL_RO", "#!lua\nreturn 1", "0"],
    ]);
  });

  it("runs everything again once maxmemory is lifted", async () => {
    await expectSameReplies(p.mine, p.theirs, [
      ...full,
      ["CONFIG", "SET", "maxmemory", "0"],
      ["SET", "k", "again"],
      ["MULTI"],
      ["INCR", "n"],
      ["EXEC"],
      ["EVAL", "#!lua\nreturn redis.call('set','a','c')", "0"],
    ]);
  });

  it("shows Redis's eviction fields in INFO", async () => {
    const fields = async (k: typeof p.mine) => {
      const text = (await k.call("INFO", "everything")).toString();
      return ["evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time", "maxmemory", "maxmemory_policy", "mem_not_counted_for_evict", "mem_clients_normal", "used_memory_dataset", "used_memory_overhead"].filter((f) => text.includes(`\r\n${f}:`));
    };
    expect(await fields(p.mine)).toEqual(await fields(p.theirs));
    expect((await fields(p.mine)).length).toBe(10);
  });

  it("refuses EXEC of queued denyoom commands when memory filled meanwhile", async () => {
    const run = async (k: RespConnection, port: number) => {
      const other = await RespConnection.connect(port);
      const out: string[] = [];
      await k.call("CONFIG", "SET", "maxmemory", "0");
      for (const queued of [["SET", "a", "b"], ["GET", "a"]]) {
        await k.call("MULTI");
        await k.call(...queued);
        await other.call("CONFIG", "SET", "maxmemory", "1");
        out.push((await k.call("EXEC")).toString());
        await other.call("CONFIG", "SET", "maxmemory", "0");
      }
      other.close();
      return out;
    };
    const mine = await run(p.mine, p.nodis.port);
    expect(mine).toEqual(await run(p.theirs, p.oracle.port));
    expect(mine[0]).toContain("EXECABORT");
  });
});
