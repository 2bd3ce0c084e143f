#!/usr/bin/env node
/**
 * Client libraries' own test suites against redis-server and against Nodis:
 * redis-py's (the tests in its sdist from PyPI, run by pytest) and go-redis's
 * (its module from the Go proxy, the Ginkgo suite compiled by go test). Each
 * suite runs against one server, then the other, on port 6379 (go-redis's
 * tests know no other); what differs between the two runs, test by test, is
 * printed, with the counts. A long run (10-20 minutes), not part of npm test:
 *
 *   npm run test:client-suites            # both suites
 *   CLIENT_SUITES=py node test/clients/suites.mjs
 *
 * NODIS_BENCH_REDIS picks the reference, as for the bench (default: a Redis 7.2
 * built in /tmp/redis72 when there is one, else redis-server). Downloads, builds and
 * each run's JUnit report go to target/client-suites. Exits 1 when a test
 * passes against one server and fails against the other.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../bench/servers.mjs";
import { GO, REDIS_PY_VERSION as REDIS_PY, run } from "./prepare.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(root, "target", "client-suites");
const PORT = 6379;
/** go-redis's version: the one the languages test's program uses (programs/go/go.mod). */
const GO_REDIS = "v9.23.0";

/** Whether something answers on `port`. */
function answers(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

/** A JUnit report's test cases: "class::name" -> pass, fail or skip (pytest's and Ginkgo's forms). */
function junitOutcomes(xml) {
  const out = new Map();
  for (const chunk of xml.split("<testcase ").slice(1)) {
    const head = chunk.slice(0, chunk.indexOf(">"));
    const attr = (name) => new RegExp(`\\b${name}="([^"]*)"`).exec(head)?.[1] ?? "";
    const body = head.endsWith("/") ? "" : chunk.slice(0, chunk.indexOf("</testcase>"));
    const status = attr("status");
    const fail = /<(failure|error)\b/.test(body) || status === "failed" || status === "panicked" || status === "timedout";
    const skip = !fail && (/<skipped\b/.test(body) || status === "skipped" || status === "pending");
    out.set(`${attr("classname")}::${attr("name")}`, fail ? "fail" : skip ? "skip" : "pass");
  }
  return out;
}

const SUITES = {
  py: {
    name: `redis-py ${REDIS_PY}`,
    prepare() {
      const dir = path.join(OUT, "py");
      const src = path.join(dir, `redis-${REDIS_PY}`);
      const py = path.join(dir, "venv", "bin", "python");
      if (!fs.existsSync(path.join(dir, ".ready"))) {
        fs.mkdirSync(dir, { recursive: true });
        run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "--dest", dir, `redis==${REDIS_PY}`]);
        run("tar", ["xzf", path.join(dir, `redis-${REDIS_PY}.tar.gz`), "-C", dir]);
        run("python3", ["-m", "venv", path.join(dir, "venv")]);
        run(py, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", src, "pytest", "pytest-asyncio", "pytest-timeout", "packaging"]);
        fs.writeFileSync(path.join(dir, ".ready"), "");
      }
      // The standalone server's tests, sync and asyncio (cluster, sentinel, TLS and modules aside).
      const files = ["commands", "pipeline", "pubsub", "scripting", "function", "lock", "connection", "encoding", "monitor", "keyspace_notifications", "cache", "hash", "client", "connection_pool", "retry"]
        .map((f) => `tests/test_${f}.py`)
        .concat(["commands", "pipeline", "pubsub", "scripting", "lock", "connection", "monitor", "hash", "keyspace_notifications", "encoding"].map((f) => `tests/test_asyncio/test_${f}.py`))
        .filter((f) => fs.existsSync(path.join(src, f)));
      return (report) => run(py, ["-m", "pytest", "-p", "no:cacheprovider", "-q", "--timeout", "30", `--redis-url=redis://localhost:${PORT}/0`, `--junitxml=${report}`, ...files], { cwd: src, stdio: "ignore" });
    },
  },
  go: {
    name: `go-redis ${GO_REDIS}`,
    prepare() {
      const dir = path.join(OUT, "go");
      const src = path.join(dir, "src");
      const bin = path.join(dir, "go-redis.test");
      if (!fs.existsSync(bin)) {
        const mod = JSON.parse(execFileSync(GO, ["mod", "download", "-json", `github.com/redis/go-redis/v9@${GO_REDIS}`], { cwd: os.tmpdir(), encoding: "utf8" }));
        fs.rmSync(src, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        run("cp", ["-r", mod.Dir, src]);
        run("chmod", ["-R", "u+w", src]);
        run(GO, ["test", "-c", "-o", bin, "."], { cwd: src });
      }
      // One endpoint (RE_CLUSTER: no ring, sentinels or cluster started); Redis 7.2's features.
      const env = { ...process.env, RE_CLUSTER: "true", REDIS_VERSION: "7.2" };
      const skip = "cluster|sentinel|ring|tls|json|search|timeseries|probabilistic|vectorset|maint";
      return (report) => run(bin, ["-test.timeout", "15m", `-ginkgo.skip-file=${skip}`, `-ginkgo.junit-report=${report}`], { cwd: src, env, stdio: "ignore" });
    },
  },
};

async function main() {
  if (await answers(PORT)) throw new Error(`something already listens on ${PORT}: the suites need that port`);
  let differ = 0;
  for (const key of (process.env.CLIENT_SUITES ?? "py,go").split(",")) {
    const suite = SUITES[key];
    if (!suite) throw new Error(`CLIENT_SUITES: no suite ${key} (py, go)`);
    const runSuite = suite.prepare();
    const outcomes = {};
    for (const kind of ["redis", "nodis"]) {
      const report = path.join(OUT, `${key}-${kind}.xml`);
      fs.rmSync(report, { force: true });
      const server = await startServer(kind, ["--enable-debug-command", "yes"], [], { port: PORT });
      const t0 = Date.now();
      try {
        runSuite(report);
      } catch {
        // A suite exits non-zero when any test fails: the report says which.
      } finally {
        await server.stop();
      }
      if (!fs.existsSync(report)) throw new Error(`${suite.name} against ${kind} wrote no report`);
      outcomes[kind] = junitOutcomes(fs.readFileSync(report, "utf8"));
      const n = (what) => [...outcomes[kind].values()].filter((v) => v === what).length;
      console.log(`${suite.name} against ${kind}: ${n("pass")} passed, ${n("fail")} failed, ${n("skip")} skipped (${Math.round((Date.now() - t0) / 1000)} s)`);
    }
    for (const test of new Set([...outcomes.redis.keys(), ...outcomes.nodis.keys()])) {
      const [r, n] = [outcomes.redis.get(test), outcomes.nodis.get(test)];
      if (r === n) continue;
      console.log(`  differs: ${test}: redis ${r ?? "absent"}, nodis ${n ?? "absent"}`);
      if (r === "pass" || n === "pass") differ++;
    }
  }
  console.log(differ ? `${differ} tests pass against one server only` : "every test has the same outcome against both servers");
  process.exitCode = differ ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
