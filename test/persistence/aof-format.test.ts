/** The AOF's formats in isolation: command encoding and the manifest (its text as Redis 7.2 writes and parses it). */
import { describe, expect, it } from "vitest";
import { ByteBuffer, catCommand, catSelect } from "../../src/persistence/aof/encode.js";
import { Manifest, ManifestError } from "../../src/persistence/aof/manifest.js";

describe("AOF command encoding", () => {
  it("writes RESP multibulks as catAppendOnlyGenericCommand", () => {
    const b = new ByteBuffer();
    catSelect(b, 12);
    catCommand(b, [Buffer.from("SET"), Buffer.from("k"), Buffer.alloc(0), Buffer.alloc(1234, "x")]);
    expect(b.view().toString()).toBe(`*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$1234\r\n${"x".repeat(1234)}\r\n`);
    const h = new ByteBuffer();
    for (const n of [0, 9, 10, 99, 100, 4294967296]) h.header(36, n);
    expect(h.view().toString()).toBe("$0\r\n$9\r\n$10\r\n$99\r\n$100\r\n$4294967296\r\n");
  });

  it("grows past its first allocation and gives back what was written", () => {
    const b = new ByteBuffer();
    const big = Buffer.alloc(100_000, "y");
    catCommand(b, [big]);
    expect(b.length).toBe(100_000 + 15);
    b.consume(13); // "*1\r\n$100000\r\n"
    expect(b.view().subarray(0, 5).toString()).toBe("yyyyy");
    b.clear();
    expect(b.length).toBe(0);
  });
});

describe("AOF manifest", () => {
  it("formats base, history, incr in that order and parses its own text", () => {
    const m = new Manifest();
    m.newBase("appendonly.aof", true);
    m.newIncr("appendonly.aof");
    m.newIncr("appendonly.aof");
    m.newBase("appendonly.aof", false);
    m.markRewrittenIncrAsHistory(true);
    const text = m.format();
    expect(text).toBe(
      "file appendonly.aof.2.base.aof seq 2 type b\n" +
        "file appendonly.aof.1.incr.aof seq 1 type h\n" +
        "file appendonly.aof.1.base.rdb seq 1 type h\n" +
        "file appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    const back = Manifest.parse(text);
    expect(back.format()).toBe(text);
    expect([back.baseSeq, back.incrSeq]).toEqual([2, 2]);
  });

  it("quotes names that need it, and reads quoted names back", () => {
    const m = new Manifest();
    m.newBase("my aof", false);
    expect(m.format()).toBe('file "my aof.1.base.aof" seq 1 type b\n');
    expect(Manifest.parse(m.format()).base!.name).toBe("my aof.1.base.aof");
  });

  it("refuses what Redis refuses, with its reasons", () => {
    const reason = (text: string) => {
      try {
        Manifest.parse(text);
        return null;
      } catch (e) {
        return (e as ManifestError).reason;
      }
    };
    expect(reason("")).toBe("Found an empty AOF manifest");
    expect(reason("file a seq 1\n")).toBe("Invalid AOF manifest file format");
    expect(reason("file a/b seq 1 type b\n")).toBe("File can't be a path, just a filename");
    expect(reason("file a seq 1 type b\nfile b seq 2 type b\n")).toBe("Found duplicate base file information");
    expect(reason("file a seq 2 type i\nfile b seq 2 type i\n")).toBe("Found a non-monotonic sequence number");
    expect(reason("file a seq 1 type z\n")).toBe("Unknown AOF file type");
    expect(reason(`file ${"a".repeat(1100)} seq 1 type b\n`)).toBe("The AOF manifest file contains too long line");
    // Comments are skipped; extra key/value pairs are allowed (forward compatibility).
    expect(reason("# hi\nfile a seq 1 type b future x\n")).toBeNull();
  });
});
