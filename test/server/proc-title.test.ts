/**
 * The process title (set-proc-title, proc-title-template): each variable as
 * Redis 7.2 expands it, read from /proc/PID/cmdline of Nodis and of
 * redis-server started alike ({title} aside: the executable's name).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { until } from "../helpers/wait.js";
import { dataDirs, startIn, type ServerProcess } from "../persistence/process.js";

const dirs = dataDirs("nodis-title-");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill9().catch(() => undefined);
});

const TEMPLATE = "TEST {listen-addr} {port} {tls-port} {unixsocket} {config-file} {server-mode}";
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0+$/, "").replace(/\0/g, " ").trim();

describe.skipIf(!haveRedisServer())("the process title", () => {
  for (const bin of ["nodis", "redis-server"]) {
    it(`${bin}: listen address, ports, unix socket, config file and mode as Redis expands them; the unix socket alone without a TCP port`, async () => {
      const dir = dirs();
      const sock = path.join(dir, "title.sock");
      const s = await startIn(dir, ["--unixsocket", sock], bin);
      started.push(s);
      const c = s.client();
      await c.config("SET", "proc-title-template", TEMPLATE);
      const pid = s.proc.pid!;
      const want = `TEST 127.0.0.1:${s.port} ${s.port} 0 ${sock} -`;
      expect(await until(() => cmdline(pid), (t) => t === want)).toBe(want);
      // No TCP listener: the listen address is the unix socket.
      await c.config("SET", "port", "0");
      await c.config("SET", "proc-title-template", `${TEMPLATE} `);
      const unix = `TEST unixsocket:${sock} 0 0 ${sock} -`;
      expect(await until(() => cmdline(pid), (t) => t === unix)).toBe(unix);
    });
  }
});
