/**
 * Differential: EVAL, EVALSHA, EVAL_RO, SCRIPT and the Lua environment against
 * redis-server, byte for byte: the Lua <-> RESP conversions in both protocols,
 * redis.call / redis.pcall errors, the sandbox's errors, shebang flags, and
 * what a script's writes do (replies, keyspace). The oracle is Debian's 7.0
 * unless NODIS_ORACLE_BIN names another; where 7.0 and 7.2 differ a test says
 * 7.2's answer itself.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { expectSameReplies } from "../helpers/oracle.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";

const ev = (script: string, ...rest: (string | number)[]): Arg[] => ["EVAL", script, ...(rest.length ? rest : [0]).map(String)];

/** Lua values to RESP and back: every reply shape a script can make. */
const CONVERSIONS: Arg[][] = [
  ev("return 'hello'"),
  ev("return 3.99"),
  ev("return -3.99"),
  ev("return 1e20"),
  ev("return true"),
  ev("return false"),
  ev("return nil"),
  ev("return {1, 2, {3, 'x'}, nil, 4}"),
  ev("return {1, false, 3}"),
  ev("return {ok='fine'}"),
  ev("return {ok='line\\r\\nbreak'}"),
  ev("return {err='MYERR custom'}"),
  ev("return {err='no code'}"),
  ev("return redis.error_reply('MY err')"),
  ev("return redis.error_reply('-MY2 err')"),
  ev("return redis.status_reply('FINE')"),
  ev("return {double=3.5}"),
  ev("return {map={a=1}}"),
  ev("return {set={a=true}}"),
  ev("return {big_number='123456789012345678901234567890'}"),
  ev("return {verbatim_string={format='txt', string='hello'}}"),
  ev("return {}"),
  ev("return {{}, {{}}}"),
  ev("return function() end"),
  ev("return KEYS", 2, "a", "b", "c", "d"),
  ev("return ARGV", 2, "a", "b", "c", "d"),
  ev("return {#KEYS, #ARGV}", 1, "k"),
  ev("return redis.sha1hex('')"),
  ev("return redis.sha1hex('Pizza & Mandolino')"),
  ev("return tostring(1/0)"),
  ev("return 1/0"),
  ev("return 0/0"),
  ev("return string.format('%5.2f', 3.14159)"),
  ev("return table.concat({'a','b','c'}, '-')"),
  ev("return {unpack({1,2,3})}"),
  ev("return tonumber('0x10')"),
  ev("return type(redis.call('get', 'nokey'))"),
  ev("return redis.call('get', 'nokey')"),
  ev("return {math.floor(2.7), math.max(1, 9, 3)}"),
  ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
  ev("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
  ev("return redis.replicate_commands()"),
  ev("return redis.breakpoint()"),
  ev("return redis.debug('x')"),
  ev("return _VERSION"),
  ev("return string.rep('x', 3)"),
  // Replies that fill the reply buffer part way, then outgrow what is left of it (copied in by a second call).
  ev("return string.rep('ab', 15000)"),
  ev("return string.rep('cd', 15000)"),
  ev("return {string.rep('e', 40000), 'f'}"),
  ev("return string.rep('g', 70000)"),
  ev("return select('#', 1, 2, 3)"),
  ev("local t = {} t[1] = 'a' t[3] = 'c' return t"),
];

/** redis.call / redis.pcall over the data types, and their errors. */
const CALLS: Arg[][] = [
  ev("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", 1, "k", "v"),
  ev("return redis.call('incr', 'n')"),
  ev("return redis.call('incrbyfloat', 'f', '1.5')"),
  ev("redis.call('rpush', 'l', 'a', 'b', 'c') return redis.call('lrange', 'l', 0, -1)"),
  ev("redis.call('hset', 'h', 'f', 'v', 'g', 'w') return redis.call('hgetall', 'h')"),
  ev("redis.call('zadd', 'z', 1.5, 'a', 2, 'b') return redis.call('zrange', 'z', 0, -1, 'withscores')"),
  ev("return redis.call('zscore', 'z', 'a')"),
  ev("redis.call('sadd', 's', 'x') return redis.call('smembers', 's')"),
  ev("return redis.call('set', 'k', 'v')"),
  ev("return redis.call('set', 'k', 'v', 'nx')"),
  ev("return redis.call('ping')"),
  ev("return redis.call('type', 'l')"),
  ev("return redis.call('exists', 'l', 'h', 'nokey')"),
  ev("return redis.call('set', 'n', 10, 'ex', 100)"),
  ev("return redis.call('incrby', 'n', 2.0)"),
  ev("return redis.call('incrbyfloat', 'n', 0.5)"),
  ev("return redis.call('lpush', 'n', 'x')"),
  ev("return redis.pcall('lpush', 'n', 'x')"),
  ev("local r = redis.pcall('lpush', 'n', 'x') return r['err']"),
  ev("return redis.call('nosuchcommand')"),
  ev("return redis.pcall('nosuchcommand')"),
  ev("return redis.call('get')"),
  ev("return redis.call('get', 'a', 'b')"),
  ev("return redis.call()"),
  ev("return redis.pcall()"),
  ev("return redis.call('get', {})"),
  ev("return redis.call('eval', 'return 1', 0)"),
  ev("return redis.call('multi')"),
  ev("return redis.call('subscribe', 'c')"),
  ev("return redis.call('config', 'nosuchsub')"),
  ev("return redis.call('object')"),
  ev("return {pcall(redis.call, 'nosuchcommand')}"),
  ev("local ok, e = pcall(function() error({err='MY x'}) end) return e"),
  ev("local ok, e = pcall(function() error('plain') end) return e"),
  ev("return redis.call('select', 1)"),
  ev("redis.call('select', 2) redis.call('set', 'in2', 'x') return redis.call('dbsize')"),
  ["DBSIZE"],
  ["SELECT", "2"],
  ["GET", "in2"],
  ["SELECT", "0"],
  ev("return redis.call('del', 'l', 'h', 's', 'z')"),
];

/** Errors of the commands themselves and of the sandbox. */
const ERRORS: Arg[][] = [
  ["EVAL", "return 1"],
  ["EVAL", "return 1", "x"],
  ["EVAL", "return 1", "2", "a"],
  ["EVAL", "return 1", "-1"],
  ["EVALSHA", "abc", "0"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
  ev("local x ="),
  ev("return a"),
  ev("a = 5"),
  ev("error('x')"),
  ev("error({err='FOO bar'})"),
  ev("error(12)"),
  ev("error()"),
  ev("return setmetatable(_G, {})"),
  ev("local g = getmetatable(_G) g.__index = {}"),
  ev("redis = function() return 1 end"),
  ev("_G = {}"),
  ev("redis.call = function() return 1 end"),
  ev("string.x = 1"),
  ev("math.foo = 1"),
  ev("return loadstring(string.dump(function() return 1 end))()"),
  ev("return {loadstring('return 1')()}"),
  ev("loadfile('/etc/passwd')"),
  ev("dofile('/etc/passwd')"),
  ev("print('x')"),
  ev("return io.open('/etc/passwd')"),
  ev("return require('os')"),
  ev("return package"),
  ev("return debug"),
  ev("return redis.setresp(4)"),
  ev("return redis.setresp()"),
  ev("return redis.set_repl(8)"),
  ev("return redis.log()"),
  ev("return redis.log('x', 'y')"),
  ev("return redis.log(99, 'y')"),
  ev("return redis.sha1hex()"),
  ev("return redis.error_reply(1)"),
  ev("return redis.status_reply()"),
  ev("return math.random(0)"),
  ev("local function f() return f() + 1 end return f()"),
  ev("return string.rep('x', -1)"),
];

const SCRIPT_CMDS: Arg[][] = [
  ["SCRIPT", "LOAD", "return 'loaded'"],
  ["SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8", "ffffffffffffffffffffffffffffffffffffffff"],
  ["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
  ["EVALSHA", "B534286061D4B9E4026607613B95C06C06015AE8", "0"],
  ["EVALSHA_RO", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
  ["SCRIPT", "LOAD", "return +"],
  ["SCRIPT", "FLUSH", "bad"],
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8"],
  ["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
  ["SCRIPT", "FLUSH", "async"],
  ["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn redis.call('get', 'x')"],
  ["SCRIPT", "NOSUCH"],
  ["SCRIPT", "KILL"],
  ["EVAL_RO", "return redis.call('set', 'k', 'v')", "0"],
  ["EVAL_RO", "return redis.call('get', 'k')", "0"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", "0"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"],
  ["EVAL", "#!lua\nreturn redis.call('set', 'k', 'v')", "0"],
  ["EVAL_RO", "#!lua\nreturn 1", "0"],
  ["EVAL", "#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2", "0"],
  ["EVAL", "#!lua flags=bad\nreturn 1", "0"],
  ["EVAL", "#!python\nreturn 1", "0"],
  ["EVAL", "#!lua name=x\nreturn 1", "0"],
  ["EVAL", "#!lua", "0"],
  ["EVAL", "#!lua\n\nerror('line three')", "0"],
  ["EVAL", "\n\nreturn a", "0"],
];

describe.skipIf(!haveRedisServer())("scripting: EVAL against redis-server", () => {
  const pair = useServerPair();

  it("converts Lua values to RESP2 as Redis does", async () => {
    await expectSameReplies(pair.mine, pair.theirs, CONVERSIONS);
  });

  it("runs commands with redis.call and redis.pcall", async () => {
    await expectSameReplies(pair.mine, pair.theirs, CALLS);
  });

  it("answers the command and sandbox errors with Redis's texts", async () => {
    await expectSameReplies(pair.mine, pair.theirs, ERRORS);
  });

  it("keeps scripts with SCRIPT LOAD / EXISTS / FLUSH and applies shebang flags", async () => {
    await expectSameReplies(pair.mine, pair.theirs, SCRIPT_CMDS);
  });

  it("converts in RESP3, for RESP3 and RESP2 callers (redis.setresp)", async () => {
    const resp3 = [
      ...CONVERSIONS,
      ev("redis.setresp(3) return true"),
      ev("redis.setresp(3) return false"),
      ev("redis.setresp(3) redis.call('hset', 'h', 'a', '1') return redis.call('hgetall', 'h')"),
      ev("redis.setresp(3) return type(redis.call('hgetall', 'h'))"),
      ev("redis.setresp(3) local m = redis.call('hgetall', 'h') return m['map']['a']"),
      ev("redis.setresp(3) redis.call('zadd', 'z', 1.5, 'a') return redis.call('zscore', 'z', 'a')"),
      ev("redis.setresp(3) return redis.call('zscore', 'z', 'a')['double']"),
      ev("redis.setresp(3) redis.call('sadd', 's', 'm') return redis.call('smembers', 's')"),
      ev("redis.setresp(3) return redis.call('get', 'nokey')"),
      ev("redis.setresp(3) return type(redis.call('get', 'nokey'))"),
      ev("redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')"),
      ev("redis.setresp(2) return redis.call('hgetall', 'h')"),
    ];
    await expectSameReplies(pair.mine, pair.theirs, resp3);
    const [m3, t3] = await Promise.all([RespConnection.connect(pair.nodis.port), RespConnection.connect(pair.oracle.port)]);
    try {
      await m3.call("HELLO", "3");
      await t3.call("HELLO", "3");
      await expectSameReplies(m3, t3, resp3);
    } finally {
      m3.close();
      t3.close();
    }
  });

  it("leaves the caller's db alone when the script selects another", async () => {
    await pair.reset();
    await pair.mine.call("SELECT", "3");
    await pair.mine.call("EVAL", "redis.call('select', 5) redis.call('set', 'x', 'y')", "0");
    expect(show(await pair.mine.call("EXISTS", "x"))).toBe(show(":0\r\n"));
    await pair.mine.call("SELECT", "5");
    expect(show(await pair.mine.call("GET", "x"))).toBe(show("$1\r\ny\r\n"));
    await pair.mine.call("SELECT", "0");
  });

  it("runs blocking commands without blocking (Redis 7.2 allows them in scripts)", async () => {
    // 7.0 refused BLPOP in scripts; 7.2 runs it as a non-blocking pop.
    expect(show(await pair.mine.call("EVAL", "return redis.call('blpop', 'nolist', 0)", "0"))).toBe(show("$-1\r\n"));
    await pair.mine.call("RPUSH", "bl", "a");
    expect(show(await pair.mine.call("EVAL", "return redis.call('blpop', 'bl', 0)", "0"))).toBe(show("*2\r\n$2\r\nbl\r\n$1\r\na\r\n"));
  });

  it("answers a table that contains itself with an error, not a crash", async () => {
    const r = (await pair.mine.call("EVAL", "local t = {} t[1] = t return t", "0")).toString();
    expect(r).toContain("-ERR reached lua stack limit");
    expect(show(await pair.mine.call("PING"))).toBe(show("+PONG\r\n"));
  });

  it("answers with Redis 7.2's texts where 7.0 differs", async () => {
    expect((await pair.mine.call("EVAL", "return redis.set_repl()", "0")).toString()).toMatch(/^-ERR redis.set_repl\(\) requires one argument. script: /);
    const help = (await pair.mine.call("SCRIPT", "HELP")).toString();
    expect(help.startsWith("*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DEBUG (YES|SYNC|NO)\r\n")).toBe(true);
    if (pair.is72) await expectSameReplies(pair.mine, pair.theirs, [["SCRIPT", "HELP"], ev("return redis.set_repl()")]);
  });

  it("gives math.random Redis's sequence after math.randomseed", async () => {
    await expectSameReplies(pair.mine, pair.theirs, [ev("math.randomseed(42) return {math.random(1000), math.random(5, 10), tostring(math.random())}")]);
  });

  it("counts a failed command inside a script once in the error stats", async () => {
    const cmds: Arg[][] = [
      ["CONFIG", "RESETSTAT"],
      ["SET", "str", "x"],
      ev("return redis.call('lpush', 'str', 'x')"),
      ev("return redis.pcall('lpush', 'str', 'x')"),
      ev("return redis.call('nosuchcommand')"),
      ev("error('mine')"),
    ];
    await expectSameReplies(pair.mine, pair.theirs, cmds);
    const field = (info: Buffer, name: string) => info.toString().split("\r\n").find((l) => l.startsWith(name));
    const [a, b] = await Promise.all([pair.mine.call("INFO", "errorstats"), pair.theirs.call("INFO", "errorstats")]);
    for (const f of ["errorstat_ERR", "errorstat_WRONGTYPE"]) expect(field(a, f), f).toBe(field(b, f));
    const [ca, cb] = await Promise.all([pair.mine.call("INFO", "commandstats"), pair.theirs.call("INFO", "commandstats")]);
    for (const f of ["cmdstat_eval", "cmdstat_lpush"]) {
      expect(field(ca, f)?.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""), f).toBe(field(cb, f)?.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""));
    }
  });
});
