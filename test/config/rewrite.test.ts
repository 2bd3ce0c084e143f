import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyConfigText, loadFromArgv } from "../../src/config/load.js";
import { Config } from "../../src/config/config.js";
import { SIGNATURE, rewriteConfig, rewriteContent } from "../../src/config/rewrite.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-rewrite-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("CONFIG REWRITE's algorithm", () => {
  it("writes every directive with forceAll, and the file reads back to the same values", () => {
    const c = new Config();
    applyConfigText(
      c,
      [
        "maxmemory 3gb",
        "maxmemory-clients 7%",
        "save 10 2",
        "save 20 3",
        'requirepass "p\\x01ss word"',
        "client-output-buffer-limit pubsub 1mb 1kb 5",
        "bind 127.0.0.1 ::1",
        "notify-keyspace-events KExg",
        "shutdown-on-sigterm nosave now",
        "latency-tracking-info-percentiles 1.5 99",
        "oom-score-adj-values 0 100 900",
        "list-max-listpack-size -3",
        "unixsocketperm 700",
      ].join("\n"),
    );
    const file = path.join(tmp, "all.conf");
    fs.writeFileSync(file, rewriteContent(c, file, true));
    const back = loadFromArgv([file]).config;
    for (const [p, v] of c.entries()) expect(back.valueOf(p), p.name).toBe(v);
    const text = fs.readFileSync(file, "utf8");
    expect(text.startsWith(`${SIGNATURE}\n`)).toBe(true);
    expect(text).toContain("maxmemory 3gb\n");
    expect(text).toContain("maxmemory-clients 7%\n");
    expect(text).toContain("save 10 2\nsave 20 3\n");
    expect(text).toContain('requirepass "p\\x01ss word"\n');
    expect(text).toContain("client-output-buffer-limit replica 256mb 64mb 60\n");
    expect(text).toContain("unixsocketperm 700\n");
    expect(text).toContain("shutdown-on-sigterm nosave now\n");
  });

  it("keeps unknown lines as comments and other directives untouched", () => {
    const file = path.join(tmp, "keep.conf");
    fs.writeFileSync(file, "# top\nport 7000\nno-such-directive 1\nrename-command FLUSHALL \"\"\ninclude /dev/null\n\n\n\n# end\n");
    const c = new Config();
    c.file = file;
    rewriteConfig(c);
    expect(fs.readFileSync(file, "utf8")).toBe(
      // A directive's line is rewritten in place even at its default; save is always written.
      `# top\nport 6379\n# ??? no-such-directive 1\nrename-command FLUSHALL ""\ninclude /dev/null\n\n# end\n\n${SIGNATURE}\n` +
        `dir "${process.cwd()}"\nsave 3600 1\nsave 300 100\nsave 60 10000\nlatency-tracking-info-percentiles 50 99 99.9\n`,
    );
  });

  it("creates the file when it does not exist and fails on unwritable places", () => {
    const c = new Config();
    applyConfigText(c, "hz 50");
    c.file = path.join(tmp, "new.conf");
    rewriteConfig(c);
    expect(fs.readFileSync(c.file, "utf8")).toContain(`${SIGNATURE}\nhz 50\n`);
    c.file = path.join(tmp, "missing-dir", "x.conf");
    expect(() => rewriteConfig(c)).toThrow(/ENOENT/);
  });
});
