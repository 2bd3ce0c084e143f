/**
 * The binding boundary: a Rust panic becomes an error reply and the server
 * keeps serving; raw callbacks refuse arguments of the wrong type or count
 * loudly; status codes come from the addon.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { useNodis } from "../helpers/nodis.js";
import type { RespConnection } from "../diff/resp.js";
import { native } from "../../src/engine/addon.js";
import { Code } from "../../src/engine/codes.js";

const logfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nodis-boundary-")), "nodis.log");
let conn: RespConnection;
useNodis({ "enable-debug-command": "yes", logfile }, { conn: true }, (f) => ({ conn } = f));

const text = (b: Buffer) => b.toString("latin1");

describe("a panic in the addon", () => {
  for (const kind of ["RAW", "NAPI"]) {
    it(`in a ${kind === "RAW" ? "raw callback" : "#[napi] function"} answers ERR internal error and the server keeps serving`, async () => {
      const msg = `boom-${kind.toLowerCase()}`;
      const [set, panic, get, incr] = await conn.send([
        ["SET", "k", "v"],
        ["DEBUG", "NATIVE-PANIC-TEST", kind, msg],
        ["GET", "k"],
        ["INCR", "n"],
      ]);
      expect(text(set)).toBe("+OK\r\n");
      // Raw callbacks name the panic and where it happened; napi-rs's boundary gives the message.
      const want = kind === "RAW" ? `native panic: ${msg} \\(at native/src/api/debug\\.rs:\\d+\\)` : msg;
      expect(text(panic)).toMatch(new RegExp(`^-ERR internal error: ${want}\\r\\n$`));
      // The rest of the pipeline, and later commands, run as usual.
      expect(text(get)).toBe("$1\r\nv\r\n");
      expect(text(incr)).toMatch(/^:\d+\r\n$/);
      expect(text(await conn.call("PING"))).toBe("+PONG\r\n");
      // Logged once, through the server's log.
      const lines = fs.readFileSync(logfile, "latin1").split("\n").filter((l) => l.includes(msg));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("Command 'DEBUG' failed: Error: ");
    });
  }

  it("cannot be provoked by accident: the hook needs DEBUG and its exact name", async () => {
    expect(text(await conn.call("DEBUG", "NATIVE-PANIC-TEST", "OTHER", "x"))).toBe("-ERR syntax error\r\n");
    expect(text(await conn.call("DEBUG", "NATIVE-PANIC-TEST", "RAW"))).toMatch(/^-ERR unknown subcommand/);
  });

  it("leaves no noise on stderr and does not end the process", () => {
    // A separate process, to see its whole stderr.
    const addon = fileURLToPath(new URL("../../native/nodis.node", import.meta.url));
    const script = `
      const n = require(${JSON.stringify(addon)});
      for (const f of [() => n.rawDebugPanicTest(Buffer.from("p1")), () => n.debugPanicTest(Buffer.from("p2"))]) {
        try { f(); console.log("no throw"); } catch (e) { console.log(e.constructor.name + ": " + e.message); }
      }
      n.engineInit(1);
      console.log("alive");`;
    const env = { ...process.env };
    delete env.RUST_BACKTRACE;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "latin1", env });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout.split("\n");
    expect(out[0]).toMatch(/^Error: native panic: p1 \(at native\/src\/api\/debug\.rs:\d+\)$/);
    expect(out[1]).toBe("Error: p2");
    expect(out[2]).toBe("alive");
  });
});

describe("raw callbacks", () => {
  const buf = Buffer.alloc(64);
  it("refuse an argument of the wrong type instead of reading it as 0", () => {
    expect(() => (native.rawStrMgetOne as Function)(0, "k", buf, 0)).toThrow(
      new TypeError("rawStrMgetOne: argument 1 (key) must be a Uint8Array"),
    );
    expect(() => (native.rawStrSet as Function)(0, Buffer.from("k"), Buffer.from("v"), "0", Buffer.alloc(0), buf, 0)).toThrow(
      new TypeError("rawStrSet: argument 3 (flags) must be a number"),
    );
    expect(() => (native.rawStrMgetOne as Function)(Buffer.from("k"), 0, buf, 0)).toThrow(TypeError);
  });
  it("refuse a wrong number of arguments", () => {
    expect(() => (native.rawStrMgetOne as Function)(0, Buffer.from("k"), buf)).toThrow(
      new TypeError("rawStrMgetOne: expected 4 arguments, got 3"),
    );
    expect(() => (native.rawStrSetPlain as Function)(0, Buffer.from("k"), Buffer.from("v"), 1)).toThrow(
      new TypeError("rawStrSetPlain: expected 3 arguments, got 4"),
    );
  });
});

describe("status codes", () => {
  it("come from the addon, distinct and negative", () => {
    const values = Object.values(Code);
    expect(values.every((v) => Number.isInteger(v) && v < 0)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });
});
