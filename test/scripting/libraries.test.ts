/**
 * Differential: the libraries Redis gives scripts (cjson, cmsgpack, bit, struct)
 * against redis-server, byte for byte: normal use, number formats, errors,
 * and the inputs behind the known Lua CVEs (deep nesting, lying lengths),
 * which must give errors, never a crash.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { expectSameReplies } from "../helpers/oracle.js";
import { show, type Arg } from "../diff/resp.js";

const ev = (script: string): Arg[] => ["EVAL", script, "0"];

const CJSON = [
  "return cjson.encode({1,2,3,{a='x/y'},'\"q\"'})",
  "return cjson.encode({a=1.5})",
  "return cjson.encode({b=true, c=cjson.null})",
  "return cjson.encode(3.14159265358979)",
  "return cjson.encode({1e300, -0.0, 1/3, 100000000000000, 1e15, -7, 2^53})",
  "return cjson.encode('\\0\\1\\31\\127 tab\\t nl\\n')",
  "return cjson.encode({[1]=1,[20]=2})",
  "return cjson.encode({[1]=1,[3]=2})",
  "return cjson.encode({})",
  "return cjson.encode({[1.5]=1})",
  "return cjson.encode(function() end)",
  "return cjson.encode({[true]=1})",
  "return cjson.encode(0/0)",
  "return cjson.encode(1/0)",
  "return cjson.encode()",
  "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null",
  "return cjson.decode('{\"a\":[1,2.5,\"x\"]}').a",
  "return cjson.decode('  \"x\\\\ny\\\\/z\\\\\"\"  ')",
  "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')",
  "return cjson.decode('\"\\\\ud83d\"')",
  "return cjson.decode('\"\\\\q\"')",
  "return cjson.decode('[1,2')",
  "return cjson.decode('[1,2]x')",
  "return cjson.decode('{1:2}')",
  "return cjson.decode('{\"a\" 2}')",
  "return cjson.decode('x')",
  "return cjson.decode('')",
  "return cjson.decode('\"abc')",
  "return cjson.decode('-')",
  "return cjson.decode('[0x10, 1e2, -0.5]')",
  "return {cjson.decode('true'), cjson.decode('false')}",
  "return cjson.decode({})",
  "return cjson.decode(string.rep('[', 1100))",
  "return cjson.decode(string.rep('{\"a\":', 1100))",
  "local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return cjson.encode(t)",
  "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()}",
  "return cjson.encode_keep_buffer(false)",
  "return {cjson.encode_sparse_array()}",
  "return cjson.encode_number_precision(0)",
  "return cjson.encode_invalid_numbers('maybe')",
  "return {cjson._NAME, cjson._VERSION}",
];

const CMSGPACK = [
  "return cmsgpack.pack({1,2,3}, 'abc', 1.5, -1, 300, {a=1})",
  "return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)",
  "return cmsgpack.pack(0.1, 1/0, 2^63, -2^63, 0.5)",
  "return cmsgpack.pack(string.rep('x', 31), string.rep('y', 32), string.rep('z', 256), string.rep('w', 65536))",
  "local t = {} for i=1,16 do t[i] = i end return cmsgpack.pack(t)",
  "local t = {} for i=1,70000 do t[i] = 1 end return #cmsgpack.pack(t)",
  "return cmsgpack.pack({1, nil, 3})",
  "return cmsgpack.pack({[2]=1})",
  "return cmsgpack.pack(true, false, nil, function() end)",
  "local t = {} local c = t for i=1,20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
  "return {cmsgpack.unpack(cmsgpack.pack({1,2,3}, 'abc', 1.5, -1, 300, -70000, 2^40))}",
  "return cmsgpack.unpack(cmsgpack.pack({a={b={c='d'}}})).a.b.c",
  "return {cmsgpack.unpack(cmsgpack.pack(0.1, -0.25, 2^63))}",
  "return cmsgpack.unpack('\\xdd\\xff\\xff\\xff\\xff')",
  "return cmsgpack.unpack('\\xdf\\xff\\xff\\xff\\xff')",
  "return cmsgpack.unpack('\\xdb\\xff\\xff\\xff\\xff')",
  "return cmsgpack.unpack('\\xa5ab')",
  "return cmsgpack.unpack('\\xc1')",
  "return cmsgpack.unpack('\\xc4\\x01a')",
  "return cmsgpack.unpack('')",
  "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}",
  "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 1)}",
  "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 100)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), -1)}",
  "return cmsgpack.pack()",
  "return {cmsgpack._NAME, cmsgpack._VERSION}",
];

const BIT = [
  "return {bit.band(0xff, 0x0f), bit.bor(1,2,4), bit.bxor(5,1), bit.lshift(1, 31), bit.tohex(65535, -2147483648)}",
  "return {bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(1, 20)}",
  "return {bit.rol(1, 33), bit.ror(1, 1), bit.bswap(1), bit.arshift(-8, 2), bit.rshift(-8, 2), bit.bnot(0)}",
  "return {bit.tobit(2^32+5), bit.tobit(-1), bit.tobit(2.5), bit.tobit(3.5), bit.tobit(2^31)}",
  "return bit.band('x')",
  "return bit.band()",
  "return bit.lshift(1)",
  "return bit.tohex('12')",
];

const STRUCT = [
  "return struct.pack('>I2<i4bBhHlLTfd', 258, -2, -1, 255, -300, 65535, -5, 7, 9, 1.5, 2.25)",
  "return {struct.unpack('>I2<i4bBhHlLTfd', struct.pack('>I2<i4bBhHlLTfd', 258, -2, -1, 255, -300, 65535, -5, 7, 9, 1.5, 2.25))}",
  "return struct.pack('!4bi', 1, 2)",
  "return {struct.unpack('!4bi', struct.pack('!4bi', 1, 2))}",
  "return struct.pack('c3s', 'abcdef', 'xy')",
  "return {struct.unpack('c3s', 'abcxy\\0')}",
  "return {struct.unpack('bc0', '\\3abc')}",
  "return struct.size('>i4!8dc5')",
  "return struct.size('s')",
  "return struct.size('c0')",
  "return struct.pack('q', 1)",
  "return struct.pack('!3i', 1)",
  "return struct.pack('i40', 1)",
  "return struct.pack('i')",
  "return struct.pack('c5', 'ab')",
  "return struct.unpack('i4', 'ab')",
  "return struct.unpack('c0', 'ab')",
  "return struct.unpack('s', 'ab')",
  "return struct.unpack('i', 'abcd', 0)",
  "return {struct.unpack('i', 'abcdefgh', 5)}",
  "return struct.unpack('>c99999999999', 'ab')",
  "return {struct.unpack('bc0', '\\255ab')}",
  "return {struct.unpack('i9', string.rep('\\255', 9))}",
];

describe.skipIf(!haveRedisServer())("scripting: libraries against redis-server", () => {
  const pair = useServerPair();

  it("cjson encodes and decodes as Redis's", async () => {
    await expectSameReplies(pair.mine, pair.theirs, CJSON.map(ev));
  });

  it("cmsgpack packs and unpacks as Redis's", async () => {
    await expectSameReplies(pair.mine, pair.theirs, CMSGPACK.map(ev));
  });

  it("bit computes as Redis's", async () => {
    await expectSameReplies(pair.mine, pair.theirs, BIT.map(ev));
  });

  it("struct packs and unpacks as Redis's, with its bounds checks", async () => {
    await expectSameReplies(pair.mine, pair.theirs, STRUCT.map(ev));
  });

  it("refuses hostile inputs with errors and keeps serving", async () => {
    const hostile = [
      "return cmsgpack.unpack(string.rep('\\x91', 100000))",
      "return cmsgpack.unpack(string.rep('\\x81\\x01', 100000))",
      "return cjson.decode(string.rep('[', 100000))",
      "local t = {} for i=1,100 do t = {t} end return cmsgpack.pack(t)",
    ];
    for (const s of hostile) {
      const r = (await pair.mine.call("EVAL", s, "0")).toString("latin1");
      expect(r.length, s).toBeGreaterThan(0);
    }
    expect(show(await pair.mine.call("PING"))).toBe(show("+PONG\r\n"));
  });
});
