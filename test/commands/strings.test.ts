/**
 * The string family over TCP: exact replies and error texts (raw RESP),
 * behaviour through a real client (ioredis), and a differential run of the
 * same commands against Debian's redis-server when it is installed.
 */
import { describe, expect, it } from "vitest";
import Redis from "ioredis";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import { useOracle } from "../helpers/oracle.js";

const OK = "+OK\r\n";
const NIL = "$-1\r\n";
const bulk = (s: string) => `$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`;
const int = (n: number | bigint) => `:${n}\r\n`;
const err = (s: string) => `-${s}\r\n`;
const arr = (...items: string[]) => `*${items.length}\r\n${items.join("")}`;
const SYNTAX = err("ERR syntax error");
const NOT_INT = err("ERR value is not an integer or out of range");
const NOT_FLOAT = err("ERR value is not a valid float");
const TOO_BIG = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
const invalidExpire = (cmd: string) => err(`ERR invalid expire time in '${cmd}' command`);
const arity = (cmd: string) => err(`ERR wrong number of arguments for '${cmd}' command`);

/** A command and the exact reply Redis 7.2 gives, run in order on one connection. */
type Case = [Arg[], string];
const c = (line: string, reply: string): Case => [line.split(" "), reply];

// The suite's RNA strings (unit/type/string "LCS basic") with Redis's answers.
const RNA1 =
  "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG";
const RNA2 =
  "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
const RNALCS =
  "ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
const range = (a0: number, a1: number, b0: number, b1: number, len?: number) =>
  arr(arr(int(a0), int(a1)), arr(int(b0), int(b1)), ...(len === undefined ? [] : [int(len)]));

const CASES: Record<string, Case[]> = {
  "GET and SET": [
    c("set s hello", OK),
    c("get s", bulk("hello")),
    c("get nokey", NIL),
    [["set", "empty", ""], OK],
    c("get empty", bulk("")),
    [["set", "bin", "a\x00b\r\n"], OK],
    c("get bin", bulk("a\x00b\r\n")),
    c("set s", arity("set")),
    c("get", arity("get")),
    c("get a b", arity("get")),
  ],
  "SET NX XX GET": [
    c("set s v0", OK),
    c("set s v1 nx", NIL),
    c("set n v1 NX", OK),
    c("set n v2 xx", OK),
    c("get n", bulk("v2")),
    c("set absent v xx", NIL),
    c("get absent", NIL),
    c("set n v3 get", bulk("v2")),
    c("set fresh v get", NIL),
    c("get fresh", bulk("v")),
    c("set n v4 nx get", bulk("v3")),
    c("get n", bulk("v3")),
    c("set absent2 v xx get", NIL),
    c("get absent2", NIL),
    c("set n v5 GeT xX", bulk("v3")),
    c("set n v nx nx", NIL),
  ],
  "SET option conflicts and syntax": [
    c("set s v nx xx", SYNTAX),
    c("set s v xx nx", SYNTAX),
    c("set s v ex 10 px 100", SYNTAX),
    c("set s v px 100 exat 10", SYNTAX),
    c("set s v keepttl ex 10", SYNTAX),
    c("set s v ex 10 keepttl", SYNTAX),
    c("set s v pxat 10 keepttl", SYNTAX),
    c("set s v ex", SYNTAX),
    c("set s v persist", SYNTAX),
    c("set s v foo", SYNTAX),
    c("set s v exx 1", SYNTAX),
    c("set s v ex abc foo", SYNTAX),
    c("set s v ex 10 ex 20", OK),
    c("set s v keepttl keepttl get get", bulk("v")),
    [["set", "nulopt", "v", Buffer.from("nx\x00junk")], OK],
    [["set", "nulopt", "w", Buffer.from("nx\x00junk")], NIL],
  ],
  "SET expire arguments": [
    c("set s v ex 0", invalidExpire("set")),
    c("set s v ex -5", invalidExpire("set")),
    c("set s v px 0", invalidExpire("set")),
    c("set s v exat 0", invalidExpire("set")),
    c("set s v pxat -1", invalidExpire("set")),
    c("set s v ex abc", NOT_INT),
    c("set s v ex 1.5", NOT_INT),
    c("set s v ex 9223372036854775808", NOT_INT),
    c("set s v ex 9223372036854775807", invalidExpire("set")),
    c("set s v ex 9223372036854776", invalidExpire("set")),
    c("set s v px 9223372036854775807", invalidExpire("set")),
    c("set s v pxat 9223372036854775807", OK),
    c("set s v exat 9223372036854775", OK),
    c("set s v ex 100 get", bulk("v")),
    c("set s v EX 100 XX", OK),
    c("set exp v exat 1", OK),
    c("get exp", NIL),
    c("set exp v pxat 1 get", NIL),
    c("get exp", NIL),
    c("set s v ex 0 get", invalidExpire("set")),
  ],
  "SETNX SETEX PSETEX GETSET": [
    c("setnx sn a", int(1)),
    c("setnx sn b", int(0)),
    c("get sn", bulk("a")),
    c("setnx sn", arity("setnx")),
    c("setex se 100 v", OK),
    c("get se", bulk("v")),
    c("setex se 0 v", invalidExpire("setex")),
    c("setex se -1 v", invalidExpire("setex")),
    c("setex se abc v", NOT_INT),
    c("setex se 9223372036854775807 v", invalidExpire("setex")),
    c("setex se 10", arity("setex")),
    c("psetex pe 100000 v", OK),
    c("get pe", bulk("v")),
    c("psetex pe 0 v", invalidExpire("psetex")),
    c("psetex pe 9223372036854775807 v", invalidExpire("psetex")),
    c("getset gs a", NIL),
    c("getset gs b", bulk("a")),
    c("get gs", bulk("b")),
    c("getset gs", arity("getset")),
  ],
  "GETDEL and GETEX": [
    c("set gd v", OK),
    c("getdel gd", bulk("v")),
    c("getdel gd", NIL),
    c("exists gd", int(0)),
    c("set ge v", OK),
    c("getex ge", bulk("v")),
    c("getex ge ex 100", bulk("v")),
    c("getex ge px 100000", bulk("v")),
    c("getex ge persist", bulk("v")),
    c("getex ge exat 99999999999", bulk("v")),
    c("getex ge pxat 99999999999000", bulk("v")),
    c("getex ge ex 0", invalidExpire("getex")),
    c("getex ge px -1", invalidExpire("getex")),
    c("getex ge ex 9223372036854775807", invalidExpire("getex")),
    c("getex ge ex abc", NOT_INT),
    c("getex ge ex 10 px 10", SYNTAX),
    c("getex ge persist ex 10", SYNTAX),
    c("getex ge ex 10 persist", SYNTAX),
    c("getex ge foo", SYNTAX),
    c("getex ge keepttl", SYNTAX),
    c("getex ge nx", SYNTAX),
    c("getex ge get", SYNTAX),
    c("getex ge ex", SYNTAX),
    c("getex nokey ex -1", NIL),
    c("getex nokey foo", SYNTAX),
    c("getex ge exat 1", bulk("v")),
    c("get ge", NIL),
    c("getex", arity("getex")),
    c("getdel", arity("getdel")),
  ],
  "MGET MSET MSETNX": [
    c("mset a 1 b 2", OK),
    c("mget a b nokey", arr(bulk("1"), bulk("2"), NIL)),
    c("mset a", arity("mset")),
    c("mset a 1 b", arity("mset")),
    c("mset x xxx x yyy", OK),
    c("get x", bulk("yyy")),
    c("msetnx c 3 a x", int(0)),
    c("exists c", int(0)),
    c("msetnx c 3 d 4", int(1)),
    c("mget c d", arr(bulk("3"), bulk("4"))),
    c("msetnx e 1 e 2", int(1)),
    c("get e", bulk("2")),
    c("msetnx e 1 e 2", int(0)),
    c("msetnx q 1 r", arity("msetnx")),
    c("mget", arity("mget")),
  ],
  "INCR DECR INCRBY DECRBY": [
    c("incr i", int(1)),
    c("incrby i 10", int(11)),
    c("decrby i 5", int(6)),
    c("decr i", int(5)),
    c("decr newkey", int(-1)),
    c("incrby i abc", NOT_INT),
    c("incrby i 1.5", NOT_INT),
    c("incrby i +1", NOT_INT),
    c("incrby i 01", NOT_INT),
    c("incrby i 17179869184", int(17179869189)),
    c("set i 9223372036854775807", OK),
    c("incr i", err("ERR increment or decrement would overflow")),
    c("set i -9223372036854775808", OK),
    c("decr i", err("ERR increment or decrement would overflow")),
    c("decrby i -9223372036854775808", err("ERR decrement would overflow")),
    c("decrby nokey2 -9223372036854775808", err("ERR decrement would overflow")),
    c("incrby i 9223372036854775807", int(-1)),
    c("set i abc", OK),
    c("incr i", NOT_INT),
    c("set i 01", OK),
    c("incr i", NOT_INT),
    [["set", "i", " 1"], OK],
    c("incr i", NOT_INT),
    c("set i 10", OK),
    c("append i 0", int(3)),
    c("incr i", int(101)),
    c("incr", arity("incr")),
    c("incrby i", arity("incrby")),
  ],
  INCRBYFLOAT: [
    c("set f 10.5", OK),
    c("incrbyfloat f 0.1", bulk("10.6")),
    c("incrbyfloat f -5", bulk("5.6")),
    c("get f", bulk("5.6")),
    c("incrbyfloat f2 0.1", bulk("0.1")),
    c("incrbyfloat f2 0.2", bulk("0.3")),
    c("set f3 12345.678", OK),
    c("incrbyfloat f3 0.1", bulk("12345.77799999999999958")),
    c("set f4 1", OK),
    c("incrbyfloat f4 1", bulk("2")),
    c("incrbyfloat f4 -1.1", bulk("0.9")),
    c("incrbyfloat f4 5.0e3", bulk("5000.89999999999999991")),
    c("incrbyfloat f4 0x10", bulk("5016.89999999999999991")),
    c("incrbyfloat f5 1e-400", bulk("0")),
    c("incrbyfloat f5 1e5000", NOT_FLOAT),
    c("incrbyfloat f5 inf", err("ERR increment would produce NaN or Infinity")),
    c("incrbyfloat f5 -infinity", err("ERR increment would produce NaN or Infinity")),
    c("incrbyfloat f5 nan", NOT_FLOAT),
    c("incrbyfloat f5 abc", NOT_FLOAT),
    c("incrbyfloat f5 1,5", NOT_FLOAT),
    [["incrbyfloat", "f5", " 1"], NOT_FLOAT],
    [["incrbyfloat", "f5", "1 "], NOT_FLOAT],
    c("incrbyfloat f6 0.024390243902439025", bulk("0.02439024390243902")),
    c("incrbyfloat f6 -0.024390243902439025", bulk("0")),
    c("set f7 abc", OK),
    c("incrbyfloat f7 1", NOT_FLOAT),
    [["set", "f7", " 11"], OK],
    c("incrbyfloat f7 1", NOT_FLOAT),
    c("set f8 1", OK),
    c("setrange f8 2 2", int(3)),
    c("incrbyfloat f8 1", NOT_FLOAT),
    c("incrbyfloat f9 17179869184", bulk("17179869184")),
    c("incrbyfloat f9 1.5", bulk("17179869185.5")),
    c("incrbyfloat f", arity("incrbyfloat")),
  ],
  "APPEND and STRLEN": [
    c("append ap hello", int(5)),
    c("append ap _world", int(11)),
    c("get ap", bulk("hello_world")),
    c("strlen ap", int(11)),
    c("strlen nokey", int(0)),
    c("set num -555", OK),
    c("strlen num", int(4)),
    c("append num 1", int(5)),
    c("get num", bulk("-5551")),
    [["append", "ap", ""], int(11)],
    c("strlen", arity("strlen")),
    c("append ap", arity("append")),
  ],
  "GETRANGE and SUBSTR": [
    c("set gr Hello_World", OK),
    c("getrange gr 0 3", bulk("Hell")),
    c("getrange gr 0 -1", bulk("Hello_World")),
    c("getrange gr -4 -1", bulk("orld")),
    c("getrange gr 5 3", bulk("")),
    c("getrange gr 5 5000", bulk("_World")),
    c("getrange gr -5000 10000", bulk("Hello_World")),
    c("getrange gr -1 -3", bulk("")),
    c("getrange gr 0 4294967297", bulk("Hello_World")),
    c("getrange gr 9223372036854775807 -9223372036854775808", bulk("")),
    c("getrange gr -9223372036854775808 9223372036854775807", bulk("Hello_World")),
    c("getrange gr a 1", NOT_INT),
    c("getrange gr 1 b", NOT_INT),
    c("getrange nokey 0 -1", bulk("")),
    c("getrange nokey a 1", NOT_INT),
    c("set gi 1234", OK),
    c("getrange gi 0 2", bulk("123")),
    c("getrange gi -3 -1", bulk("234")),
    c("getrange gi 3 5000", bulk("4")),
    [["set", "ge2", ""], OK],
    c("getrange ge2 0 -1", bulk("")),
    c("substr gr 0 3", bulk("Hell")),
    c("substr gr -1 -3", bulk("")),
    c("substr nokey 0 1", bulk("")),
    c("getrange gr 0", arity("getrange")),
    c("substr gr 0", arity("substr")),
  ],
  SETRANGE: [
    c("setrange sr 1 foo", int(4)),
    c("get sr", bulk("\x00foo")),
    [["setrange", "sr2", "0", ""], int(0)],
    c("exists sr2", int(0)),
    c("set sr foo", OK),
    c("setrange sr 0 b", int(3)),
    c("get sr", bulk("boo")),
    [["setrange", "sr", "0", ""], int(3)],
    c("setrange sr 4 bar", int(7)),
    c("get sr", bulk("boo\x00bar")),
    c("set sr 1234", OK),
    c("setrange sr 5 2", int(6)),
    c("get sr", bulk("1234\x002")),
    c("setrange sr -1 x", err("ERR offset is out of range")),
    c("setrange sr abc x", NOT_INT),
    c("setrange sr 536870908 world", TOO_BIG),
    c("setrange sr3 536870908 world", TOO_BIG),
    c("setrange sr 9223372036854775807 A", TOO_BIG),
    c("setrange sr 2147483647 A", TOO_BIG),
    c("setrange sr 1", arity("setrange")),
  ],
  LCS: [
    c("mset l1 ohmytext l2 mynewtext", OK),
    c("lcs l1 l2", bulk("mytext")),
    c("lcs l1 l2 len", int(6)),
    c("lcs l1 l2 LEN LEN", int(6)),
    c("lcs l1 l2 idx", arr(bulk("matches"), arr(range(4, 7, 5, 8), range(2, 3, 0, 1)), bulk("len"), int(6))),
    c("lcs l1 l2 idx withmatchlen", arr(bulk("matches"), arr(range(4, 7, 5, 8, 4), range(2, 3, 0, 1, 2)), bulk("len"), int(6))),
    c("lcs l1 l2 idx minmatchlen 4", arr(bulk("matches"), arr(range(4, 7, 5, 8)), bulk("len"), int(6))),
    c("lcs l1 l2 idx minmatchlen -4 withmatchlen", arr(bulk("matches"), arr(range(4, 7, 5, 8, 4), range(2, 3, 0, 1, 2)), bulk("len"), int(6))),
    c("lcs l1 l2 minmatchlen 4", bulk("mytext")),
    c("lcs l1 l2 len idx", err("ERR If you want both the length and indexes, please just use IDX.")),
    c("lcs l1 l2 foo", SYNTAX),
    c("lcs l1 l2 minmatchlen", SYNTAX),
    c("lcs l1 l2 minmatchlen x", NOT_INT),
    c("lcs l1 l2 minmatchlen x foo", NOT_INT),
    c("lcs l1 l2 foo minmatchlen x", SYNTAX),
    c("lcs l1 nokey", bulk("")),
    c("lcs nokey nokey2 idx", arr(bulk("matches"), arr(), bulk("len"), int(0))),
    c("lcs nokey nokey2 len", int(0)),
    c("set li 12345", OK),
    c("lcs li l1", bulk("")),
    c("set li2 91929", OK),
    c("lcs li li2 len", int(2)),
    [["mset", "virus1", RNA1, "virus2", RNA2], OK],
    c("lcs virus1 virus2", bulk(RNALCS)),
    c("lcs virus1 virus2 len", int(RNALCS.length)),
    c(
      "lcs virus1 virus2 idx withmatchlen",
      arr(
        bulk("matches"),
        arr(range(238, 238, 239, 239, 1), range(236, 236, 238, 238, 1), range(229, 230, 236, 237, 2), range(224, 224, 235, 235, 1), range(1, 222, 13, 234, 222)),
        bulk("len"),
        int(227),
      ),
    ),
    c("lcs l1", arity("lcs")),
  ],
};

/** Cases that need other families (lists, TTL, OBJECT): run only when this Nodis has those commands. */
const NEEDS_OTHERS: Record<string, Case[]> = {
  "WRONGTYPE replies": [
    c("lpush lst a", int(1)),
    c("get lst", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("set lst v get", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("mget lst nokey", arr(NIL, NIL)),
    c("getrange lst 0 -1", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("setrange lst 0 x", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("incr lst", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("incrbyfloat lst 1", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("append lst x", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("strlen lst", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("getdel lst", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("getex lst ex 0", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("getset lst v", err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    c("lcs lst nokey foo", err("ERR The specified keys must contain string values")),
    c("set lst v nx", NIL),
    c("setnx lst v", int(0)),
    c("set lst v", OK),
    c("get lst", bulk("v")),
  ],
  "TTL effects": [
    c("set t v ex 100", OK),
    c("ttl t", int(100)),
    c("set t w keepttl", OK),
    c("ttl t", int(100)),
    c("set t w", OK),
    c("ttl t", int(-1)),
    c("setex t 50 v", OK),
    c("incr t", NOT_INT),
    c("append t x", int(2)),
    c("setrange t 0 y", int(2)),
    c("ttl t", int(50)),
    c("getset t v", bulk("yx")),
    c("ttl t", int(-1)),
    c("set t v pxat 99999999999000", OK),
    c("getex t persist", bulk("v")),
    c("ttl t", int(-1)),
    c("getex t ex 70", bulk("v")),
    c("ttl t", int(70)),
    c("mset t 1", OK),
    c("ttl t", int(-1)),
    c("setex t 10 1", OK),
    c("incrbyfloat t 1", bulk("2")),
    c("ttl t", int(10)),
  ],
  "OBJECT ENCODING": [
    c("set enc 12345", OK),
    c("object encoding enc", bulk("int")),
    c("set enc -9223372036854775808", OK),
    c("object encoding enc", bulk("int")),
    c("set enc 012", OK),
    c("object encoding enc", bulk("embstr")),
    [["set", "enc", "x".repeat(44)], OK],
    c("object encoding enc", bulk("embstr")),
    [["set", "enc", "x".repeat(45)], OK],
    c("object encoding enc", bulk("raw")),
    c("set enc 1", OK),
    c("append enc 2", int(2)),
    c("object encoding enc", bulk("raw")),
    c("incr enc", int(13)),
    c("object encoding enc", bulk("int")),
    c("append newenc 42", int(2)),
    c("object encoding newenc", bulk("int")),
    c("incrbyfloat enc 1", bulk("14")),
    c("object encoding enc", bulk("embstr")),
    c("set enc 1234", OK),
    [["setrange", "enc", "0", ""], int(4)],
    c("object encoding enc", bulk("int")),
    c("setrange enc 0 2", int(4)),
    c("object encoding enc", bulk("raw")),
    c("mset enc 99", OK),
    c("object encoding enc", bulk("int")),
  ],
};

// proto-max-bulk-len bounds SETRANGE/APPEND results and LCS's table (its minimum is 1mb).
NEEDS_OTHERS["limits from proto-max-bulk-len"] = [
  c("config set proto-max-bulk-len 1mb", OK),
  c("setrange big 1048570 abcdefg", TOO_BIG),
  c("setrange big 1048570 abcdef", int(1048576)),
  c("append big x", TOO_BIG),
  c("strlen big", int(1048576)),
  [["mset", "la", "a".repeat(700), "lb", "b".repeat(700)], OK],
  c("lcs la lb len", err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")),
  [["mset", "la", "a".repeat(400), "lb", "a".repeat(400)], OK],
  c("lcs la lb len", int(400)),
  c("config set proto-max-bulk-len 512mb", OK),
];

/** Runs cases in order on one connection; returns each reply's bytes. */
async function runCases(conn: RespConnection, cases: Case[]): Promise<string[]> {
  const replies = await conn.send(cases.map(([argv]) => argv));
  return replies.map((b) => b.toString("latin1"));
}

/** Does this server know every command the cases use? */
async function supports(conn: RespConnection, cases: Case[]): Promise<boolean> {
  const names = [...new Set(cases.map(([argv]) => argv[0].toString()))];
  for (const n of names) {
    const r = (await conn.call(n)).toString("latin1");
    if (r.startsWith("-ERR unknown command")) return false;
  }
  return true;
}

function expectCases(cases: Case[], got: string[]): void {
  cases.forEach(([argv, want], i) => {
    expect(show(got[i]), `${argv.map(String).join(" ")}`).toBe(show(want));
  });
}

let srv: RunningServer;
let conn: RespConnection;
useNodis({}, { conn: true }, (f) => ({ srv, conn } = f));

describe("string commands: exact replies", () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => {
      await conn.call("flushall");
      expectCases(cases, await runCases(conn, cases));
    });
  }
  for (const [name, cases] of Object.entries(NEEDS_OTHERS)) {
    it(`${name} (when the other families are there)`, async (ctx) => {
      if (!(await supports(conn, cases))) ctx.skip();
      await conn.call("flushall");
      expectCases(cases, await runCases(conn, cases));
    });
  }

  it("expires keys set with EX/PX/SETEX/PSETEX/GETEX when their time comes", async () => {
    await conn.call("flushall");
    const got = await runCases(conn, [
      c("set a v px 60", OK),
      c("psetex b 60 v", OK),
      c("set c v", OK),
      c("getex c px 60", bulk("v")),
      c("set d v px 60", OK),
      c("set d w keepttl", OK),
      c("set e v px 60", OK),
      c("getex e persist", bulk("v")),
      c("set f v px 60", OK),
      c("set f w", OK),
    ]);
    expect(got).toEqual([OK, OK, OK, bulk("v"), OK, OK, OK, bulk("v"), OK, OK]);
    const expired = arr(NIL, NIL, NIL, NIL, bulk("v"), bulk("w"));
    expect(await until(() => runCases(conn, [c("mget a b c d e f", "")]), ([m]) => m === expired)).toEqual([expired]);
    expect((await conn.call("setnx", "a", "again")).toString()).toBe(int(1));
  });

  it("answers LCS IDX as a map and nils as _ in RESP3", async (ctx) => {
    const c3 = await RespConnection.connect(srv.port);
    try {
      // HELLO belongs to the connection family; without RESP3 there is nothing to check here.
      if (!(await c3.call("hello", "3")).toString("latin1").startsWith("%")) ctx.skip();
      await c3.call("mset", "l1", "ohmytext", "l2", "mynewtext");
      expect((await c3.call("lcs", "l1", "l2", "idx", "minmatchlen", "4")).toString("latin1")).toBe(
        `%2\r\n${bulk("matches")}${arr(range(4, 7, 5, 8))}${bulk("len")}${int(6)}`,
      );
      expect((await c3.call("mget", "l1", "nokey")).toString("latin1")).toBe(arr(bulk("ohmytext"), "_\r\n"));
      expect((await c3.call("get", "nokey")).toString("latin1")).toBe("_\r\n");
      expect((await c3.call("set", "nokey", "v", "xx")).toString("latin1")).toBe("_\r\n");
    } finally {
      c3.close();
    }
  });

  it("GETs and SETs big values and pipelines", async () => {
    const big = "abcd".repeat(1_000_000);
    const r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false });
    try {
      expect(await r.set("big", big)).toBe("OK");
      expect(await r.get("big")).toBe(big);
      expect(await r.append("big", "!")).toBe(big.length + 1);
      expect(await r.getrange("big", -2, -1)).toBe("d!");
      const p = r.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`k${i}`, i);
      for (let i = 0; i < 1000; i++) p.get(`k${i}`);
      const res = await p.exec();
      expect(res!.slice(1000).map(([, v]) => v)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
      expect(await r.mget("k1", "k999", "nope")).toEqual(["1", "999", null]);
    } finally {
      r.disconnect();
    }
  });

  it("works through ioredis for every command", async () => {
    const r = new Redis({ port: srv.port, host: "127.0.0.1", enableReadyCheck: false });
    try {
      await r.flushall();
      expect(await r.set("a", "1", "EX", 100, "GET")).toBe(null);
      expect(await r.set("a", "2", "NX")).toBe(null);
      expect(await r.setnx("b", "x")).toBe(1);
      expect(await r.setex("c", 100, "y")).toBe("OK");
      expect(await r.psetex("d", 100000, "z")).toBe("OK");
      expect(await r.getset("a", "3")).toBe("1");
      expect(await r.getdel("a")).toBe("3");
      expect(await r.getex("b", "PX", 5000)).toBe("x");
      expect(await r.mset({ m1: "a", m2: "b" })).toBe("OK");
      expect(await r.msetnx("m1", "x", "m3", "y")).toBe(0);
      expect(await r.mget("m1", "m2", "m3")).toEqual(["a", "b", null]);
      expect(await r.incr("n")).toBe(1);
      expect(await r.decr("n")).toBe(0);
      expect(await r.incrby("n", 5)).toBe(5);
      expect(await r.decrby("n", 7)).toBe(-2);
      expect(await r.incrbyfloat("n", "2.5")).toBe("0.5");
      expect(await r.append("m1", "bc")).toBe(3);
      expect(await r.strlen("m1")).toBe(3);
      expect(await r.setrange("m1", 1, "XY")).toBe(3);
      expect(await r.getrange("m1", 0, -1)).toBe("aXY");
      expect(await r.substr("m1", 1, 1)).toBe("X");
      expect(await r.lcs("m1", "m2")).toBe("");
      expect(await r.call("lcs", "m1", "m1", "IDX", "WITHMATCHLEN")).toEqual(["matches", [[[0, 2], [0, 2], 3]], "len", 3]);
      await expect(r.set("a", "v", "EX", 0)).rejects.toThrow("ERR invalid expire time in 'set' command");
      await expect(r.incr("m1")).rejects.toThrow("ERR value is not an integer or out of range");
      await expect(r.incrbyfloat("m1", 1)).rejects.toThrow("ERR value is not a valid float");
      await expect(r.setrange("m1", -1, "x")).rejects.toThrow("ERR offset is out of range");
    } finally {
      r.disconnect();
    }
  });
});

/** Random binary-ish strings for the differential fuzz (a small alphabet, so LCS finds matches). */
function fuzzCases(seed: number, n: number): Arg[][] {
  let s = seed >>> 0;
  const rnd = (m: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % m;
  };
  const str = () => {
    const len = rnd(12) === 0 ? rnd(300) : rnd(20);
    let out = "";
    for (let i = 0; i < len; i++) out += "ab\x00c1-.9"[rnd(8)];
    return out;
  };
  const key = () => `f${rnd(4)}`;
  const idx = () => String(rnd(60) - 30);
  const num = () => ["1", "-7", "0", "2.5", "1e3", "-0.125", "10", "9223372036854775807", "x"][rnd(9)];
  const out: Arg[][] = [];
  for (let i = 0; i < n; i++) {
    switch (rnd(12)) {
      case 0: out.push(["set", key(), str()]); break;
      case 1: out.push(["append", key(), str()]); break;
      case 2: out.push(["getrange", key(), idx(), idx()]); break;
      case 3: out.push(["setrange", key(), String(rnd(40)), str()]); break;
      case 4: out.push(["lcs", key(), key(), ...[[], ["len"], ["idx"], ["idx", "withmatchlen", "minmatchlen", String(rnd(4))]][rnd(4)]]); break;
      case 5: out.push(["incrby", key(), num()]); break;
      case 6: out.push(["incrbyfloat", key(), num()]); break;
      case 7: out.push(["strlen", key()]); break;
      case 8: out.push(["mget", key(), key(), key()]); break;
      case 9: out.push(["set", key(), num()]); break;
      case 10: out.push(["getset", key(), str()]); break;
      default: out.push(["get", key()]);
    }
  }
  return out;
}

describe.skipIf(!haveRedisServer())("string commands against redis-server", () => {
  const oracle = useOracle();

  /** Runs the commands on both servers from an empty keyspace and compares each reply's bytes. */
  async function compare(cmds: Arg[][]): Promise<void> {
    for (const k of [conn, oracle.conn]) await k.call("flushall");
    const [mine, theirs] = await Promise.all([conn.send(cmds), oracle.conn.send(cmds)]);
    cmds.forEach((argv, i) => {
      const name = argv[0].toString().toLowerCase();
      const a = mine[i].toString("latin1");
      const b = theirs[i].toString("latin1");
      const label = argv.map((x) => show(x.toString())).join(" ");
      if (name === "ttl" && a.startsWith(":") && b.startsWith(":")) {
        expect(Math.abs(Number(a.slice(1, -2)) - Number(b.slice(1, -2))), label).toBeLessThanOrEqual(1);
      } else {
        expect(show(a), label).toBe(show(b));
      }
    });
  }

  for (const [name, cases] of Object.entries(CASES)) {
    it(name, () => compare(cases.map(([argv]) => argv)));
  }
  for (const [name, cases] of Object.entries(NEEDS_OTHERS)) {
    it(`${name} (when the other families are there)`, async (ctx) => {
      if (!(await supports(conn, cases))) ctx.skip();
      await compare(cases.map(([argv]) => argv));
    });
  }
  it("gives the expected replies of every case table, including those needing other families", async () => {
    for (const cases of [...Object.values(CASES), ...Object.values(NEEDS_OTHERS)]) {
      await oracle.conn.call("flushall");
      expectCases(cases, await runCases(oracle.conn, cases));
    }
  });
  it("random string commands (seeded)", async () => {
    for (const seed of [1, 2, 3, 4, 5]) await compare(fuzzCases(seed, 400));
  });
});
