/**
 * Differential: FUNCTION LOAD / LIST / DELETE / FLUSH / STATS and FCALL /
 * FCALL_RO against redis-server: metadata and registration errors, the
 * library API's limits during a load, flags, replacing, and running functions.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { expectSameReplies } from "../helpers/oracle.js";
import { show, type Arg } from "../diff/resp.js";

const load = (code: string, ...opts: string[]): Arg[] => ["FUNCTION", "LOAD", ...opts, code];
const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;

const CMDS: Arg[][] = [
  ["FUNCTION", "FLUSH"],
  load(lib("lib1", "local x = math.abs(1)")),
  load(lib("lib1", "redis.register_function('f1', function(keys, args) return 1 end) redis.register_function('f1', function() end)")),
  load(lib("lib1", "redis.call('ping')")),
  load(lib("lib1", "return 1")),
  load(lib("lib1", "local x =")),
  load(lib("lib1", "redis.register_function{function_name='f1', callback=function(keys, args) return {keys, args} end, flags={'no-writes'}, description='desc'}")),
  ["FCALL", "f1", "2", "a", "b", "c"],
  ["FCALL_RO", "f1", "0"],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "li*"],
  ["FUNCTION", "LIST", "LIBRARYNAME"],
  ["FUNCTION", "LIST", "BAD"],
  ["FUNCTION", "STATS"],
  ["FCALL", "f1", "x"],
  ["FCALL", "f1", "5"],
  ["FCALL", "f1", "-1"],
  ["FCALL", "nof", "0"],
  load(lib("lib2", "redis.register_function('f2', function(keys, args) return redis.call('set', keys[1], 'v') end)")),
  ["FCALL_RO", "f2", "1", "k"],
  ["FCALL", "f2", "1", "k"],
  ["GET", "k"],
  load(lib("lib3", "redis.register_function('f2', function() end)")),
  load(lib("lib3", "redis.register_function('f3', function() end)")),
  load(lib("lib3", "redis.register_function('f3', function() end)")),
  load(lib("lib2", "redis.register_function('f2', function() return 'new' end)"), "REPLACE"),
  ["FCALL", "f2", "0"],
  load("lua name=x"),
  load("#!lua name=x"),
  load("#!lua\n"),
  load("#!lua name=a name=b\n"),
  load("#!lua foo=bar\n"),
  load("#!js name=x\n"),
  load("#!lua name=a-b\n"),
  load("#!lua name=\n"),
  ["FUNCTION", "LOAD", "bad", "#!lua name=x\n"],
  ["FUNCTION", "DELETE", "lib9"],
  ["FUNCTION", "DELETE", "lib3"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "lib3"],
  load(lib("lib4", "redis.register_function('f4', function(k, a) return redis.register_function end)")),
  ["FCALL", "f4", "0"],
  load(lib("lib5", "redis.register_function{function_name='f5', callback=function() end, flags={'bad'}}")),
  load(lib("lib5", "redis.register_function{function_name='f5', callback=1}")),
  load(lib("lib5", "redis.register_function{function_name='f5'}")),
  load(lib("lib5", "redis.register_function{callback=function() end}")),
  load(lib("lib5", "redis.register_function{function_name='f5', callback=function() end, foo=1}")),
  load(lib("lib5", "redis.register_function{function_name='f5', callback=function() end, flags='no-writes'}")),
  load(lib("lib5", "redis.register_function{function_name=1, callback=function() end, description=2}")),
  load(lib("lib5", "redis.register_function()")),
  load(lib("lib5", "redis.register_function('a b', function() end)")),
  load(lib("lib5", "redis.register_function(1, 2)")),
  load(lib("lib5", "redis.register_function('x')")),
  load(lib("lib5", "redis.register_function({})")),
  load(lib("lib5", "redis.log(redis.LOG_NOTICE, 'loading') return redis.REDIS_VERSION_NUM > 0")),
  load(lib("lib6", "redis.register_function('f6', function(keys, args) return a end)")),
  ["FCALL", "f6", "0"],
  load(lib("lib7", "redis.register_function('f7', function(keys, args) return redis.call('set', 'x', 'y') end)")),
  ["FCALL", "f7", "0"],
  load(lib("lib8", "local function helper() return 'h' end\nredis.register_function('f8', function(keys, args) return {helper(), #keys, #args, KEYS} end)")),
  ["FCALL", "f8", "1", "k", "a"],
  load(lib("lib9", "redis.register_function{function_name='f9', callback=function() return redis.call('set','a','b') end, flags={'allow-oom', 'NO-WRITES', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}")),
  ["FCALL", "f9", "0"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "lib9"],
  ["FUNCTION", "FLUSH", "bad"],
  ["FUNCTION", "FLUSH", "async"],
  ["FUNCTION", "LIST"],
  ["FCALL", "f1", "0"],
];

describe.skipIf(!haveRedisServer())("scripting: functions against redis-server", () => {
  const pair = useServerPair();

  it("loads, lists, runs and deletes libraries as Redis does", async () => {
    await expectSameReplies(pair.mine, pair.theirs, CMDS);
  });

  it("stops a library whose load runs too long", async () => {
    const r = await pair.mine.call("FUNCTION", "LOAD", lib("slow", "local a = 1 while true do a = a + 1 end"));
    expect(show(r)).toBe(show("-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n"));
    expect(show(await pair.mine.call("PING"))).toBe(show("+PONG\r\n"));
  });
});
