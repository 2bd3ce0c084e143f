/**
 * The AOF as files: what Nodis appends survives a restart (and a kill -9),
 * a torn tail is cut off or refused as aof-load-truncated says, a corrupted
 * middle stops the start with the file and offset named.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataDirs, fill, manifest, startIn, type ServerProcess } from "./process.js";
import { until } from "../helpers/wait.js";

const freshDir = dataDirs("nodis-aof-");
const AOF = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];

async function digest(s: ServerProcess): Promise<string> {
  return (await s.client().call("debug", "digest")) as string;
}

describe("AOF", () => {
  it("writes a multi-part AOF that a restart loads to the same dataset", async () => {
    const dir = freshDir();
    const a = await startIn(dir, AOF);
    await fill(a.client());
    const before = await digest(a);
    expect(before).not.toBe("0".repeat(40));
    await a.shutdown();
    expect(manifest(dir)).toEqual([
      ["appendonly.aof.1.base.aof", "1", "b"],
      ["appendonly.aof.1.incr.aof", "1", "i"],
    ]);
    const b = await startIn(dir, AOF);
    expect(await digest(b)).toBe(before);
    expect(b.log()).toContain("DB loaded from incr file appendonly.aof.1.incr.aof");
    // DEBUG LOADAOF reloads the same.
    const c = b.client();
    await c.set("after", "1");
    expect(await c.call("debug", "loadaof")).toBe("OK");
    expect(await c.get("after")).toBe("1");
    const info = (await c.info("persistence")) as string;
    expect(info).toMatch(/aof_enabled:1\r\n/);
    expect(info).toMatch(/aof_current_size:\d+\r\n/);
    await b.kill9();
  });

  it("loses no acknowledged write to kill -9 under a write load (appendfsync always)", async () => {
    const dir = freshDir();
    const a = await startIn(dir, [...AOF, "--appendfsync", "always"]);
    const acked = new Map<string, number>();
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const c = a.client();
      for (let i = 1; !stop; i++) {
        try {
          await c.set(`w${w}`, String(i));
          acked.set(`w${w}`, i);
        } catch {
          return;
        }
      }
    });
    await until(() => Math.min(...[0, 1, 2, 3].map((w) => acked.get(`w${w}`) ?? 0)), (v) => v >= 200);
    await a.kill9();
    stop = true;
    await Promise.all(writers);
    const b = await startIn(dir, AOF);
    const c = b.client();
    for (const [k, v] of acked) expect(Number(await c.get(k))).toBeGreaterThanOrEqual(v);
    await b.kill9();
  });

  it("cuts a torn tail with aof-load-truncated yes and refuses it with no", async () => {
    const dir = freshDir();
    const a = await startIn(dir, AOF);
    const c = a.client();
    await c.set("k1", "v1");
    await c.set("k2", "v2");
    await a.shutdown();
    const incr = path.join(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
    const good = fs.statSync(incr).size;
    fs.appendFileSync(incr, "*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$2\r\nv");

    const refused = await startIn(dir, [...AOF, "--aof-load-truncated", "no"]);
    expect(await refused.exited).toBe(1);
    expect(refused.log()).toContain("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof");
    expect(refused.log()).toContain(`ends at offset ${good}`);

    const b = await startIn(dir, AOF);
    expect(b.log()).toContain(`!!! Truncating the AOF appendonly.aof.1.incr.aof at offset ${good} !!!`);
    expect(b.log()).toContain("AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled");
    expect(fs.statSync(incr).size).toBe(good);
    const d = b.client();
    expect(await d.mget("k1", "k2", "k3")).toEqual(["v1", "v2", null]);
    // Appending goes on after the cut.
    await d.set("k4", "v4");
    await b.shutdown();
    const e = await startIn(dir, AOF);
    expect(await e.client().mget("k1", "k4")).toEqual(["v1", "v4"]);
    await e.kill9();
  });

  it("reverts a transaction the file ends inside of", async () => {
    const dir = freshDir();
    const a = await startIn(dir, AOF);
    await a.client().set("k", "1");
    await a.shutdown();
    const incr = path.join(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
    const good = fs.statSync(incr).size;
    fs.appendFileSync(incr, "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n2\r\n");
    const b = await startIn(dir, AOF);
    expect(b.log()).toContain("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof");
    expect(await b.client().get("k")).toBe("1");
    expect(fs.statSync(incr).size).toBe(good);
    await b.kill9();
  });

  it("replays commands as they ran: a past PEXPIREAT is set while loading, not applied", async () => {
    const dir = freshDir();
    const d = path.join(dir, "appendonlydir");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
    const cmd = (...a: string[]) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join("")}`;
    // Redis keeps the list with its past expire while loading, so the second RPUSH appends to it,
    // and the key is gone once loaded (had the expire applied at once, a new list "bar" would remain).
    fs.writeFileSync(path.join(d, "appendonly.aof.1.incr.aof"), cmd("rpush", "list", "foo") + cmd("pexpireat", "list", "1000") + cmd("rpush", "list", "bar"));
    const a = await startIn(dir, AOF);
    expect(await a.client().llen("list")).toBe(0);
    await a.kill9();
  });

  it("keeps PUBLISH out of the file (Redis sends it to replicas only), pipelined or not", async () => {
    const dir = freshDir();
    const a = await startIn(dir, AOF);
    const c = a.client();
    await c.set("a", "1");
    await c.publish("ch", "m1");
    await c.multi().set("b", "2").publish("ch", "m2").exec();
    await Promise.all([c.publish("ch", "m3"), c.set("c", "3"), c.publish("ch", "m4")]);
    await a.shutdown();
    const incr = fs.readFileSync(path.join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"), "latin1");
    expect(incr).toContain("$1\r\nc\r\n$1\r\n3\r\n");
    expect(incr.toLowerCase()).not.toContain("publish");
  });

  it("replays an approximate trim with LIMIT as it was rewritten (= and the length reached, LIMIT kept)", async () => {
    const a = await startIn(freshDir(), [...AOF, "--enable-debug-command", "yes", "--stream-node-max-entries", "10"]);
    const c = a.client();
    for (let j = 0; j < 100; j++) await c.call("xadd", "s", "*", "f", "v");
    await c.call("xadd", "s", "MAXLEN", "~", "55", "LIMIT", "30", "*", "f", "v");
    expect(await c.call("xlen", "s")).toBe(71);
    await c.call("config", "set", "stream-node-max-entries", "1");
    expect(await c.call("debug", "loadaof")).toBe("OK");
    expect(await c.call("xlen", "s")).toBe(71);
    await a.kill9();
  });

  it("answers -LOADING while the AOF loads at start, with INFO's loading fields", async () => {
    const dir = freshDir();
    const d = path.join(dir, "appendonlydir");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
    const cmds = Array.from({ length: 3000 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${String(i).length}\r\n${i}\r\n$1\r\nv\r\n`);
    fs.writeFileSync(path.join(d, "appendonly.aof.1.incr.aof"), cmds.join(""));
    // 1 ms per command (key-load-delay): about 3 s of loading, the event loop answering between steps.
    const a = await startIn(dir, [...AOF, "--key-load-delay", "1000"], "nodis", { untilReady: false });
    const c = a.client();
    await expect(c.ping()).rejects.toThrow("LOADING Redis is loading the dataset in memory");
    const info = (await c.info("persistence")) as string;
    expect(info).toContain("loading:1\r\n");
    expect(info).toContain(`loading_total_bytes:${cmds.join("").length}\r\n`);
    expect(await until(() => c.ping().catch((e: Error) => e.message), (r) => r === "PONG")).toBe("PONG");
    expect(await c.dbsize()).toBe(3000);
    expect(a.log()).toContain("DB loaded from append only file");
    await a.kill9();
  });

  it("refuses to start on a corrupted middle, naming the file and offset", async () => {
    const dir = freshDir();
    const a = await startIn(dir, AOF);
    const c = a.client();
    await c.set("k1", "v1");
    const incr = path.join(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
    const at = fs.statSync(incr).size;
    await c.set("k2", "v2");
    await c.set("k3", "v3");
    await a.shutdown();
    const bytes = fs.readFileSync(incr);
    bytes[at] = "!".charCodeAt(0); // the '*' of SET k2 ...
    fs.writeFileSync(incr, bytes);
    const b = await startIn(dir, AOF);
    expect(await b.exited).toBe(1);
    expect(b.log()).toContain("Bad file format reading the append only file appendonly.aof.1.incr.aof");
    expect(b.log()).toContain(`starts at offset ${at} of appendonly.aof.1.incr.aof`);
    // Nothing was cut.
    expect(fs.readFileSync(incr)).toEqual(bytes);
  });

  it("refuses writes with MISCONF while the AOF cannot be written", async () => {
    const dir = freshDir();
    const d = path.join(dir, "appendonlydir");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "appendonly.aof.manifest"), "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    fs.writeFileSync(path.join(d, "appendonly.aof.1.base.aof"), "");
    fs.symlinkSync("/dev/full", path.join(d, "appendonly.aof.1.incr.aof")); // every write: ENOSPC
    const a = await startIn(dir, AOF);
    const c = a.client();
    // The write that fails is answered (the error shows when the AOF is written); the next ones are refused.
    expect(await c.set("a", "1")).toBe("OK");
    const err = "MISCONF Errors writing to the AOF file: No space left on device";
    await expect(c.set("a", "2")).rejects.toThrow(err);
    await expect(c.ping()).rejects.toThrow(err);
    expect(await c.get("a")).toBe("1");
    expect(await c.info("persistence")).toContain("aof_last_write_status:err");
    expect(a.log()).toContain("Error writing to the AOF file: No space left on device");
    await a.kill9();
  });

  it("refuses a manifest it cannot parse, as Redis", async () => {
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, "appendonlydir"));
    fs.writeFileSync(path.join(dir, "appendonlydir", "appendonly.aof.manifest"), "file appendonly.aof.1.base.aof seq 1 type x\n");
    const b = await startIn(dir, AOF);
    expect(await b.exited).toBe(1);
    expect(b.log()).toContain("Unknown AOF file type");
    expect(b.log()).toContain(">>> 'file appendonly.aof.1.base.aof seq 1 type x'");
  });
});
