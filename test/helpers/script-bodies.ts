/**
 * Script bodies, a library and a command list over all of them, for the
 * differential tests of scripts the batch path and the read loop run
 * (test/scripting/batch-scripts.test.ts, loop-scripts.test.ts): engine
 * commands, commands that cross back, errors, RESP3, db changes, and the
 * cases the usual way must answer.
 */
import { createHash } from "node:crypto";
import type { Arg, RespConnection } from "../diff/resp.js";

export const sha = (body: string) => createHash("sha1").update(body).digest("hex");

/** Script bodies: engine commands (no crossing), commands that cross back, errors, RESP3, db changes. */
export const BODIES = {
  setget: "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
  incr: "local v = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) return v",
  list: "redis.call('rpush', KEYS[1], unpack(ARGV)) return redis.call('lrange', KEYS[1], 0, -1)",
  hash: "redis.call('hset', KEYS[1], 'f', ARGV[1], 'g', 'w') return redis.call('hgetall', KEYS[1])",
  zset: "redis.call('zadd', KEYS[1], 1.5, 'a', 2, 'b') return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
  nothing: "return redis.call('get', 'nokey')",
  table: "return {1, 'two', {3, false}, redis.status_reply('OK'), 3.99}",
  pcallErr: "return redis.pcall('incr', KEYS[1])",
  callErr: "return redis.call('lpush', KEYS[1], 'x')",
  unknown: "return redis.pcall('nosuchcommand', 'x')",
  arity: "return redis.pcall('get')",
  raise: "error('boom')",
  errorReply: "return redis.error_reply('MY failure')",
  argType: "return redis.call('get', {})",
  publish: "redis.call('set', KEYS[1], 'p') local n = redis.call('publish', 'chan', ARGV[1]) return {n, redis.call('del', KEYS[1])}",
  crossing: "redis.call('set', KEYS[1], 'abc') return {redis.call('object', 'encoding', KEYS[1]), redis.call('type', KEYS[1]), redis.call('getrange', KEYS[1], 0, 1)}",
  sort: "redis.call('sadd', KEYS[1], 'c', 'a', 'b') return redis.call('sort', KEYS[1], 'by', 'nosort')",
  select: "redis.call('select', 2) redis.call('set', 'in2', 'two') local v = redis.call('get', 'in2') redis.call('select', 0) return {v, redis.call('get', 'in2')}",
  resp3: "redis.setresp(3) return {redis.call('hgetall', KEYS[1]), redis.call('get', 'nokey'), redis.call('zscore', 'zz', 'a')}",
  many: "for i = 1, 300 do redis.call('sadd', KEYS[1], i) end return redis.call('scard', KEYS[1])",
  keys: "return {#KEYS, #ARGV, KEYS[1], ARGV[1]}",
  readonly: "return redis.call('set', KEYS[1], 'x')",
  noWrites: "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
  writeFlag: "#!lua\nreturn redis.call('set', KEYS[1], 'flagged')",
} as const;

export const LIBRARY =
  "#!lua name=blib\n" +
  "redis.register_function('bset', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('get', keys[1]) end)\n" +
  "redis.register_function{function_name='bget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\n" +
  "redis.register_function('bfail', function(keys) return redis.call('incr', keys[1]) end)";

export const evalsha = (name: keyof typeof BODIES, keys: string[] = [], args: string[] = []): Arg[] => ["EVALSHA", sha(BODIES[name]), String(keys.length), ...keys, ...args];

/** Commands over every body (run it twice: the first run registers the scripts), with the keys' state changing. */
export function pipeline(round: number): Arg[][] {
  const cmds: Arg[][] = [];
  {
    cmds.push(
      evalsha("setget", ["k"], [`v${round}`]),
      evalsha("incr", ["n"]),
      evalsha("list", ["l"], ["a", "b"]),
      evalsha("hash", ["h"], ["x"]),
      evalsha("zset", ["zz"]),
      evalsha("nothing"),
      evalsha("table"),
      evalsha("pcallErr", ["h"]),
      evalsha("callErr", ["h"]),
      evalsha("unknown"),
      evalsha("arity"),
      evalsha("raise"),
      evalsha("errorReply"),
      evalsha("argType"),
      evalsha("publish", ["pk"], ["msg"]),
      evalsha("crossing", ["s"]),
      evalsha("sort", ["st"]),
      evalsha("select"),
      evalsha("resp3", ["h"]),
      evalsha("many", ["big"]),
      evalsha("keys", ["a", "b"], ["c"]),
      ["EVALSHA", sha(BODIES.setget).toUpperCase(), "1", "upper", "U"],
      ["EVALSHA_RO", sha(BODIES.readonly), "1", "ro"],
      ["EVALSHA_RO", sha(BODIES.noWrites), "1", "k"],
      ["EVALSHA_RO", sha(BODIES.writeFlag), "1", "wf"],
      evalsha("writeFlag", ["wf"]),
      evalsha("noWrites", ["k"]),
      ["EVALSHA", sha(BODIES.keys), "abc"],
      ["EVALSHA", sha(BODIES.keys), "-1"],
      ["EVALSHA", sha(BODIES.keys), "3", "a"],
      ["EVALSHA", sha(BODIES.keys), "01", "a"],
      ["EVALSHA", "0".repeat(40), "0"],
      ["EVALSHA", "short", "0"],
      ["FCALL", "bset", "1", "fk", "fv"],
      ["FCALL", "BSET", "1", "fk", "fv2"],
      ["FCALL_RO", "bget", "1", "fk"],
      ["FCALL_RO", "bset", "1", "fk", "x"],
      ["FCALL", "bfail", "1", "h"],
      ["FCALL", "nosuchfn", "0"],
      ["FCALL", "bget", "x", "fk"],
      ["GET", "k"],
      ["LLEN", "l"],
    );
  }
  return cmds;
}

/** SCRIPT FLUSH, then every body loaded and the library (re)loaded, on each connection. */
export async function loadScripts(conns: RespConnection[]): Promise<void> {
  for (const c of conns) {
    await c.call("SCRIPT", "FLUSH");
    for (const body of Object.values(BODIES)) await c.call("SCRIPT", "LOAD", body);
    await c.call("FUNCTION", "LOAD", "REPLACE", LIBRARY);
  }
}
