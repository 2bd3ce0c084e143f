/**
 * Errors that echo a client's argument carry its bytes as sent (no re-encoding),
 * cut at a NUL as Redis's %s formatting does, with CR/LF turned to spaces, and
 * bounded in size: compared byte for byte with redis-server.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer, rawExchange, startRedis, useNodis } from "../helpers/nodis.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";

const bytes = (...b: number[]) => Buffer.from(b);
const FFFE = bytes(0xff, 0xfe);
const WITH_NUL = Buffer.from("ab\0cd", "latin1");
const WITH_CRLF = Buffer.from("a\r\nb", "latin1");

let srv: RunningServer;
let conn: RespConnection;
useNodis({ "enable-debug-command": "yes" }, { conn: true }, (f) => ({ srv, conn } = f));

describe.runIf(haveRedisServer())("echoed arguments, against redis-server", () => {
  const oracle = useOracle();
  const same = (cmds: Arg[][]) => expectSameReplies(conn, oracle.conn, cmds);

  it("unknown command: name and arguments as bytes, cut at NUL, newlines as spaces", async () => {
    await same([
      [FFFE],
      [FFFE, FFFE, WITH_NUL, WITH_CRLF],
      [WITH_NUL, "x"],
      [Buffer.from("x\r\ny"), Buffer.from("\0")],
      [Buffer.from("é", "utf8"), Buffer.from("ü", "latin1")],
    ]);
  });

  it("unknown command: the name and the argument list stop near 128 bytes", async () => {
    await same([
      ["n".repeat(300)],
      ["nope", "a".repeat(300), "b"],
      ["nope", "a".repeat(100), "b".repeat(100), "c"],
      ["nope", ...Array.from({ length: 60 }, (_, i) => String(i))],
      ["nope", ...Array.from({ length: 60 }, () => "")],
      ["nope", "a".repeat(124), "bbbb", "c"],
      ["nope", "a".repeat(125), "bbbb", "c"],
    ]);
  });

  it("unknown subcommand and subcommand syntax errors", async () => {
    await same([
      ["config", FFFE],
      ["object", WITH_NUL, "k"],
      ["config", "x".repeat(200)],
      ["debug", FFFE],
      ["debug", WITH_CRLF],
      ["client", "PAUSE", "1", "write", "extra"],
    ]);
  });

  it("CONFIG SET names", async () => {
    await same([
      ["config", "set", FFFE, "1"],
      ["config", "set", WITH_NUL, "1"],
      ["config", "set", WITH_CRLF, "1"],
      ["config", "set", "maxmemory", "1", "maxmemory", "2"],
    ]);
  });

  it("EXPIRE options: bytes, NUL, newlines inside and at the end", async () => {
    await same([
      ["set", "k", "v"],
      ["expire", "k", "10", FFFE],
      ["expire", "k", "10", WITH_NUL],
      ["expire", "k", "10", WITH_CRLF],
      ["expire", "k", "10", Buffer.from("opt\r\n\n")],
      ["pexpireat", "k", "10", "nx", Buffer.from("\r\n")],
    ]);
  });

  it("CLIENT, HELLO, FUNCTION LIST, LATENCY GRAPH, DEBUG ERROR", async () => {
    await same([
      ["client", "list", "type", FFFE],
      ["client", "kill", "type", WITH_NUL],
      ["client", "kill", "user", FFFE],
      ["hello", "3", FFFE],
      ["function", "list", FFFE],
      ["function", "list", WITH_NUL],
      ["latency", "graph", FFFE],
      ["debug", "error", Buffer.from("MINE a\0b\r\nc\xff", "latin1")],
    ]);
  });

  it("a protocol error names the byte it got, as sent", async () => {
    const redis = await startRedis();
    try {
      // (A NUL there makes Redis wait for more input: its line search stops at the NUL.)
      for (const input of [Buffer.from("*1\r\n\xff\r\n", "latin1"), Buffer.from("*2\r\n$1\r\na\r\n\xfe\xff\r\n", "latin1")]) {
        const [mine, theirs] = await Promise.all([rawExchange(srv.port, input), rawExchange(redis.port, input)]);
        expect(show(mine.data)).toBe(show(theirs.data));
        expect(mine.closed).toBe(true);
      }
    } finally {
      await redis.stop();
    }
  });
});

describe("7.2-only errors (stated)", () => {
  it("CLIENT SETINFO echoes the attribute as sent", async () => {
    expect(show(await conn.call("client", "setinfo", FFFE, "x"))).toBe(show(Buffer.from("-ERR Unrecognized option '\xff\xfe'\r\n", "latin1")));
    expect(show(await conn.call("client", "setinfo", "LIB-name", "a b"))).toBe(
      show("-ERR LIB-name cannot contain spaces, newlines or special characters.\r\n"),
    );
  });

  it("a million-argument unknown command gets a short error", async () => {
    const argv: Arg[] = ["nosuchcommand", ...Array.from({ length: 1_000_000 }, () => "argument")];
    const [reply] = await conn.send([argv], 60_000);
    const text = reply.toString("latin1");
    expect(text.startsWith("-ERR unknown command 'nosuchcommand', with args beginning with: 'argument' ")).toBe(true);
    // 11 arguments take 121 bytes; the 12th gets the 7 left, and the list stops.
    expect(text).toBe(`-ERR unknown command 'nosuchcommand', with args beginning with: ${"'argument' ".repeat(11)}'argumen' \r\n`);
    expect(reply.length).toBeLessThan(300);
  });
});
