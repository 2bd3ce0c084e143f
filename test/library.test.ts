/** `import { startServer } from "nodis"`: one server per process, on a given or free port. */
import fs from "node:fs";
import netModule, { type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import Redis from "ioredis";
import { startServer, ConfigFileError } from "../src/index.js";
import { freePort, rawExchange } from "./helpers/nodis.js";
import { refuseIfProtected } from "../src/server/protected-mode.js";

const ROOT = path.resolve(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-lib-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("startServer", () => {
  it("starts on a free port with directives, once per process, and closes", async () => {
    const srv = await startServer({ config: { requirepass: "secret", maxmemory: "10mb", save: "" } });
    expect(srv.host).toBe("127.0.0.1");
    expect(srv.port).toBeGreaterThan(0);
    await expect(startServer()).rejects.toThrow("a Nodis server is already running in this process");
    const r = new Redis({ port: srv.port, host: "127.0.0.1", password: "secret", enableReadyCheck: false });
    expect(await r.call("config", "get", "maxmemory")).toEqual(["maxmemory", "10485760"]);
    expect(await r.call("config", "get", "bind")).toEqual(["bind", "127.0.0.1"]);
    expect(await r.call("config", "get", "port")).toEqual(["port", String(srv.port)]);
    r.disconnect();
    await srv.close();
    const after = await rawExchange(srv.port, "PING\r\n", () => false, 300);
    expect(after.data).toBe("");
  });

  it("listens on a given port and host, and on several bind addresses", async () => {
    const port = await freePort();
    const srv = await startServer({ port, host: "127.0.0.1", config: { "tcp-keepalive": 60 } });
    expect(srv.port).toBe(port);
    expect((await rawExchange(port, "PING\r\n", (d) => d.includes("\r\n"))).data).toBe("+PONG\r\n");
    await srv.close();

    const multi = await startServer({ config: { bind: "127.0.0.1 ::1 -10.255.255.254" } });
    expect((await rawExchange(multi.port, "PING\r\n", (d) => d.includes("\r\n"))).data).toBe("+PONG\r\n");
    await multi.close();
  });

  it("listens on a unix socket with its permissions, removed on close", async () => {
    const file = path.join(tmp, "nodis.sock");
    const srv = await startServer({ config: { unixsocket: file, unixsocketperm: "700" } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o700);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = netModule.connect(file, () => s.write("PING\r\n"));
      s.on("data", (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.on("error", reject);
    });
    expect(reply).toBe("+PONG\r\n");
    await srv.close();
    expect(fs.existsSync(file)).toBe(false);
  });

  it("rejects bad directives with the config file error", async () => {
    await expect(startServer({ config: { maxmemory: "lots" } })).rejects.toBeInstanceOf(ConfigFileError);
    await expect(startServer({ config: { "no-such-thing": "1" } })).rejects.toThrow("Bad directive or wrong number of arguments");
    // Nothing is left running after a failed start.
    const srv = await startServer();
    await srv.close();
  });
});

describe("protected mode", () => {
  const fake = (remoteAddress: string | undefined) => {
    const sent: string[] = [];
    const socket = { remoteAddress, end: (s: string) => sent.push(s) } as unknown as Socket;
    return { socket, sent };
  };
  it("refuses remote clients only when on and without a password", () => {
    const remote = fake("10.1.2.3");
    expect(refuseIfProtected(remote.socket, () => remote.socket, true, true)).toBe(true);
    expect(remote.sent[0].startsWith("-DENIED Redis is running in protected mode")).toBe(true);
    expect(remote.sent[0].endsWith("in order for the server to start accepting connections from the outside.\r\n")).toBe(true);
    for (const [on, noPass] of [[false, true], [true, false]]) {
      const s = fake("10.1.2.3").socket;
      expect(refuseIfProtected(s, () => s, on, noPass)).toBe(false);
    }
    for (const local of ["127.0.0.1", "127.5.5.5", "::1", "::ffff:127.0.0.1", undefined]) {
      const s = fake(local).socket;
      expect(refuseIfProtected(s, () => s, true, true), String(local)).toBe(false);
    }
  });
});

describe("the package", () => {
  it("resolves `nodis` to dist/index.js with its types", () => {
    const js = spawnSync(
      "node",
      [
        "--input-type=module",
        "-e",
        'import { startServer } from "nodis"; const s = await startServer(); console.log(typeof s.port); await s.close();',
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 10000 },
    );
    expect(js.stderr).toBe("");
    expect(js.stdout.trim()).toBe("number");

    // A TypeScript consumer with node_modules/nodis pointing at this package.
    fs.mkdirSync(path.join(tmp, "node_modules"), { recursive: true });
    fs.symlinkSync(ROOT, path.join(tmp, "node_modules", "nodis"));
    fs.writeFileSync(path.join(tmp, "package.json"), '{ "type": "module" }');
    fs.writeFileSync(
      path.join(tmp, "consumer.ts"),
      'import { startServer, type RunningServer } from "nodis";\nconst s: RunningServer = await startServer({ port: 0, config: { save: "" } });\nconst p: number = s.port;\nawait s.close();\nexport { p };\n',
    );
    const tsc = spawnSync(
      "node",
      [path.join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node", "--typeRoots", path.join(ROOT, "node_modules/@types"), "consumer.ts"],
      { cwd: tmp, encoding: "utf8", timeout: 60000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});
