/**
 * Scheduled backups (backup-dir, backup-interval, backup-keep) and BACKUP:
 * timestamped snapshots with their CRC-64 on schedule, the oldest pruned,
 * INFO persistence listing them, and each one a dataset that loads again,
 * here and in redis-server.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dataDirs, startIn, type ServerProcess } from "./process.js";
import { fill } from "./fill.js";
import { until } from "../helpers/wait.js";

const ORACLE = process.env.NODIS_ORACLE_BIN ?? "redis-server";
const dirs = dataDirs("nodis-backup-");
const running: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.kill9()));
});

async function start(dir: string, args: string[], bin = "nodis"): Promise<ServerProcess> {
  const s = await startIn(dir, args, bin);
  running.push(s);
  return s;
}

const infoOf = async (s: ServerProcess) => String(await s.client().call("INFO", "persistence"));
const backupNames = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith("backup-")).sort();

describe("backups", () => {
  it("writes one every backup-interval, keeps backup-keep, lists them in INFO, and each loads here and in redis-server", async () => {
    const dir = dirs();
    const src = await start(dir, ["--backup-dir", "bk", "--backup-interval", "1s", "--backup-keep", "2", "--rdbchecksum", "no"]);
    const c = src.client();
    await fill(c);
    const digest = await c.call("DEBUG", "DIGEST");
    const saved = await until(() => infoOf(src), (i) => Number(/backups_saved:(\d+)/.exec(i)?.[1]) >= 3);
    expect(saved).toMatch(/backups_saved:[3-9]/);
    const bk = path.join(dir, "bk");
    // Pruned to backup-keep once the last one is in.
    const names = await until(() => backupNames(bk), (n) => n.length === 2);
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^backup-\d{8}T\d{6}\.\d{3}Z\.rdb$/);
    const info = await infoOf(src);
    expect(info).toContain(`backup_dir:${bk}`);
    expect(info).toContain("backup_last_status:ok");
    expect(info).toMatch(/backup0:name=backup-[^,]+,bytes=\d+,time=\d+/);
    expect(src.log()).toMatch(/Backup removed \(backup-keep 2\): bk\/backup-/);
    // Checksummed although rdbchecksum is off (which writes a zero CRC); redis-server checks it below.
    const file = fs.readFileSync(path.join(bk, names[1]));
    expect(file.readBigUInt64LE(file.length - 8)).not.toBe(0n);
    // Restoring is starting over the backup.
    const mine = await start(bk, ["--dbfilename", names[1]]);
    expect(await mine.client().call("DEBUG", "DIGEST")).toBe(digest);
    const theirs = await start(bk, ["--dbfilename", names[1]], ORACLE);
    expect(await theirs.client().call("DBSIZE")).toBe(await c.call("DBSIZE"));
  });

  it("BACKUP writes one at once; refused while off; the settings change at run time", async () => {
    const dir = dirs();
    const s = await start(dir, []);
    const c = s.client();
    await c.call("SET", "k", "v");
    await expect(c.call("BACKUP")).rejects.toThrow("ERR Backups are off: set backup-dir first");
    expect(await infoOf(s)).not.toContain("backup_dir");
    await expect(c.call("CONFIG", "SET", "backup-interval", "1 hour")).rejects.toThrow(/backup-interval must be/);
    expect(await c.call("CONFIG", "SET", "backup-dir", "b2", "backup-interval", "0")).toBe("OK");
    expect(await c.call("BACKUP")).toBe("Background backup started");
    // Listed once its file is renamed into place; over once the child is reaped (a loaded machine may lag between).
    const info = await until(() => infoOf(s), (i) => i.includes("backups:1") && i.includes("backup_in_progress:0"));
    expect(info).toContain("backup_next_time:-1");
    expect(backupNames(path.join(dir, "b2"))).toHaveLength(1);
    // The child is a background child like BGSAVE's: one at a time. (Keys
    // added while one runs grow the table past the force-resize ratio.)
    await c.call("DEBUG", "POPULATE", "200000");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "20");
    expect(await c.call("BACKUP")).toBe("Background backup started");
    await expect(c.call("BACKUP")).rejects.toThrow("ERR Another child process is active: can't start a backup right now");
    await expect(c.call("BGSAVE")).rejects.toThrow(/Another child process is active/);
    expect(await c.call("BGSAVE", "SCHEDULE")).toBe("Background saving scheduled");
    expect(await infoOf(s)).toContain("backup_in_progress:1");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
  });
});
