/**
 * Scripts on a stale replica (its link down, replica-serve-stale-data no): a
 * function flagged allow-stale runs, but only the commands allowed stale (INFO,
 * not GET), as redis-server answers them, byte for byte, statistics included.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import type { Arg } from "../diff/resp.js";

const LIBRARY = `#!lua name=stale
redis.register_function{function_name='hello', callback=function() return 'hello' end, flags={'allow-stale', 'no-writes'}}
redis.register_function{function_name='get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'allow-stale', 'no-writes'}}
redis.register_function{function_name='pget', callback=function(keys) return redis.pcall('get', keys[1]) end, flags={'allow-stale', 'no-writes'}}
redis.register_function{function_name='info', callback=function() return redis.call('info', 'keyspace') end, flags={'allow-stale', 'no-writes'}}
redis.register_function{function_name='plain', callback=function() return 'no' end, flags={'no-writes'}}`;

describe.skipIf(!haveRedisServer())("scripts on a stale replica", () => {
  const pair = useServerPair({ events: false });

  it("runs only the commands allowed stale, refusing the others as redis-server does", async () => {
    // Port 1: nothing listens there, so the link stays down.
    const setup: Arg[][] = [["FUNCTION", "LOAD", LIBRARY], ["CONFIG", "SET", "replica-serve-stale-data", "no"], ["CONFIG", "RESETSTAT"], ["REPLICAOF", "127.0.0.1", "1"]];
    const calls: Arg[][] = [
      ["FCALL", "hello", "0"],
      ["FCALL", "get", "1", "x"],
      ["FCALL", "pget", "1", "x"],
      ["FCALL", "info", "0"],
      ["FCALL", "plain", "0"],
      ["INFO", "errorstats"],
    ];
    try {
      const { mine, theirs } = pair;
      const [a, b] = [await mine.send([...setup, ...calls]), await theirs.send([...setup, ...calls])];
      expect(a.map(String)).toEqual(b.map(String));
      expect(String(a[setup.length + 1])).toMatch(/^-ERR Can not execute the command on a stale replica script: get/);
      const getStats = async (c: RespConnection) => /^cmdstat_get:.*$/m.exec(String(await c.call("INFO", "commandstats")))?.[0];
      expect(await getStats(mine)).toBe(await getStats(theirs));
    } finally {
      for (const c of [pair.mine, pair.theirs]) await c.send([["REPLICAOF", "NO", "ONE"], ["CONFIG", "SET", "replica-serve-stale-data", "yes"]]);
    }
  });
});
