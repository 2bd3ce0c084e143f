import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigFileError, applyConfigText, loadFromArgv } from "../../src/config/load.js";
import { Config } from "../../src/config/config.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nodis-load-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

/** The error redis-server would print for this command line. */
function failure(argv: string[], stdin = ""): ConfigFileError {
  try {
    loadFromArgv(argv, () => stdin);
  } catch (e) {
    if (e instanceof ConfigFileError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("redis.conf text", () => {
  it("reads directives, comments, quotes and aliases", () => {
    const c = new Config();
    applyConfigText(c, "# comment\n  port 7000  \r\nrequirepass \"a b\\x41\"\nslave-read-only no\nmaxmemory 1gb\n\n");
    expect(c.get("port")).toBe("7000");
    expect(c.get("requirepass")).toBe("a bA");
    expect(c.get("replica-read-only")).toBe("no");
    expect(c.get("maxmemory")).toBe("1073741824");
  });

  it("names the bad line as redis-server does", () => {
    const f = write("bad.conf", "port 1\nfoo bar\n");
    const e = failure([f, "--port", "5"]);
    expect(e.render()).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n",
    );
    expect(failure(["--port"]).line).toBe(2);
    expect(failure(["--port"]).text).toBe("port");
    expect(failure(["--port"]).reason).toBe("wrong number of arguments");
    expect(failure(["--port", "6379", "6380"]).text).toBe('port "6379" "6380"');
    expect(failure(["--port", "--bla", "--loglevel", "verbose"]).text).toBe('port "--bla"');
    expect(failure(["--port", "--bla", "--loglevel", "verbose"]).reason).toBe("argument couldn't be parsed into an integer");
    expect(failure(["--logfile", "--my--log--file", "--loglevel", "--bla"]).text).toBe('loglevel "--bla"');
    expect(failure(["--shutdown-on-sigint"]).reason).toMatch(/^argument\(s\) must be one of the following/);
    expect(failure(["--replicaof", "127.0.0.1", "abc"]).text).toBe('replicaof "127.0.0.1" "abc"');
    expect(failure(["--replicaof", "127.0.0.1", "abc"]).reason).toBe("Invalid master port");
    expect(failure(["--invalid"]).reason).toBe("Bad directive or wrong number of arguments");
    expect(failure(["--save", "1"]).reason).toBe("Invalid save parameters");
  });

  it("takes option names and values in one argument, and -- values", () => {
    let c = loadFromArgv(["--maxmemory 700mb", "--maxmemory-policy volatile-lru"]).config;
    expect(c.get("maxmemory")).toBe("734003200");
    expect(c.get("maxmemory-policy")).toBe("volatile-lru");
    c = loadFromArgv(["--proc-title-template", "--my--title--template", "--loglevel", "verbose"]).config;
    expect(c.get("proc-title-template")).toBe("--my--title--template");
    expect(c.get("loglevel")).toBe("verbose");
    c = loadFromArgv(["--shutdown-on-sigint", "nosave", "force", "now", "--shutdown-on-sigterm", "nosave force"]).config;
    expect(c.get("shutdown-on-sigint")).toBe("nosave now force");
    expect(c.get("shutdown-on-sigterm")).toBe("nosave force");
  });

  it("treats save as Redis does: a file's first save replaces the defaults, later ones add", () => {
    expect(loadFromArgv(["--save", "--loglevel", "verbose"]).config.get("save")).toBe("");
    expect(loadFromArgv(["--loglevel", "verbose", "--save"]).config.get("save")).toBe("");
    expect(loadFromArgv(["--save", "", "--loglevel", "verbose"]).config.get("save")).toBe("");
    const conf = write("save.conf", "save 900 1\n");
    expect(loadFromArgv([conf, "--save", "100", "100"]).config.get("save")).toBe("900 1 100 100");
    expect(loadFromArgv([conf, "--save", ""]).config.get("save")).toBe("");
    expect(loadFromArgv([write("min.conf", "port 1\n")]).config.get("save")).toBe("3600 1 300 100 60 10000");
  });

  it("reads stdin with -, includes files and globs, records the file", () => {
    const inc = write("inc-1.conf", "maxclients 77\n");
    write("inc-2.conf", "timeout 9\n");
    const main = write("main.conf", `include ${inc}\ninclude ${path.join(tmp, "inc-*.conf")}\ninclude ${path.join(tmp, "none-*.conf")}\n`);
    const cl = loadFromArgv([main, "--hz", "20", "-"], () => "databases 4\n");
    expect(cl.fromStdin).toBe(true);
    expect(cl.config.file).toBe(main);
    expect(cl.config.int("maxclients")).toBe(77);
    expect(cl.config.int("timeout")).toBe(9);
    expect(cl.config.int("databases")).toBe(4);
    expect(cl.config.int("hz")).toBe(20);
    const missing = failure([path.join(tmp, "nope.conf")]);
    expect(missing.reason).toBe(`Fatal error, can't open config file '${path.join(tmp, "nope.conf")}': No such file or directory`);
  });

  it("checks the log file can be opened", () => {
    const e = failure(["--logfile", path.join(tmp, "no-dir", "x.log")]);
    expect(e.render()).toBe("\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nCan't open the log file: No such file or directory\n");
  });

  it("knows -v and -h", () => {
    expect(loadFromArgv(["-v"]).action).toBe("version");
    expect(loadFromArgv(["--help"]).action).toBe("help");
  });

  it("refuses what is not built, naming the line", () => {
    const e = failure(["--syslog-enabled", "yes"]);
    expect(e.text).toBe('syslog-enabled "yes"');
    expect(e.reason).toBe("syslog logging is not supported by Nodis yet");
    expect(failure(["--cluster-enabled", "yes"]).reason).toBe("cluster mode is not supported by Nodis yet");
  });
});
