/**
 * Starting in sentinel mode as redis-sentinel does: a config file is required
 * (the state is kept there), bad sentinel directives stop the start with
 * Redis's FATAL CONFIG FILE ERROR, and a fresh sentinel gets an id it saves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "./deployment.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-sentinel-start-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync("node", [CLI, ...args], { encoding: "latin1", timeout: 20000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function conf(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

describe("sentinel start-up", () => {
  it("needs a config file", () => {
    const r = run(["--sentinel", "--port", "27090"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("Sentinel needs config file on disk to save state. Exiting...");
  });

  it("refuses sentinel directives outside sentinel mode, and bad ones in it", () => {
    const f = conf("a.conf", "port 27091\nsentinel monitor m 127.0.0.1 6379 2\n");
    const plain = run([f]);
    expect(plain.code).toBe(1);
    expect(plain.out).toContain("sentinel directive while not in sentinel mode");
    const bad = [
      ["sentinel monitor m 127.0.0.1 6379 0", "Quorum must be 1 or greater."],
      ["sentinel down-after-milliseconds nosuch 1000", "No such master with specified name."],
      ["sentinel monitor m not-an-ip 6379 2", "Can't resolve instance hostname."],
      ["sentinel myid abc", "Malformed Sentinel id in myid option."],
      ["sentinel whatever x", "Unrecognized sentinel configuration statement."],
      ["sentinel resolve-hostnames maybe", "Please specify yes or no for the resolve-hostnames option."],
    ];
    for (const [line, reason] of bad) {
      const r = run([conf("b.conf", `port 27091\n${line}\n`), "--sentinel"]);
      expect(r.code, line).toBe(1);
      expect(r.out).toContain(`Reading the configuration file, at line 2\n>>> '${line}'\n${reason}\n`);
    }
  });
});
