#!/usr/bin/env node
/**
 * Gets the other languages' Redis clients for test/clients/languages.test.ts,
 * into target/clients (ignored by git): redis-py from PyPI (pip --target, the
 * machine's Python left alone), the go-redis program built from the Go module
 * proxy, Jedis's and Lettuce's jars from Maven Central. Each step is skipped when done
 * before, so the test runs it too; .ci/run runs it ahead of the suite so the
 * builds do not share the machine with timing-sensitive tests.
 *
 *   node test/clients/prepare.mjs
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const OUT = path.join(root, "target", "clients");
export const PROGRAMS = path.join(here, "programs");
/** redis-py's version: the one the outputs were checked with. */
export const REDIS_PY_VERSION = "8.1.0";
const REDIS_PY = `redis==${REDIS_PY_VERSION}`;
/** Go, where the Debian image and go.dev's tarball put it, when it is not on PATH. */
export const GO = fs.existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";

export const paths = {
  pythonPath: path.join(OUT, "py"),
  goBinary: path.join(OUT, "go-smoke"),
  jars: path.join(OUT, "jars"),
};

export const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });

export function prepare() {
  fs.mkdirSync(OUT, { recursive: true });
  const pyMarker = path.join(paths.pythonPath, `.${REDIS_PY}`);
  if (!fs.existsSync(pyMarker)) {
    run("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location", "--upgrade", "--target", paths.pythonPath, REDIS_PY]);
    fs.writeFileSync(pyMarker, "");
  }
  // go build is incremental: quick when nothing changed.
  run(GO, ["build", "-o", paths.goBinary, "."], { cwd: path.join(PROGRAMS, "go") });
  // The pom's two clients (their dependencies come with them).
  if (!["jedis-8.0.2.jar", "lettuce-core-7.7.0.RELEASE.jar"].every((jar) => fs.existsSync(path.join(paths.jars, jar)))) {
    run("mvn", ["-q", "-B", "-f", path.join(PROGRAMS, "java", "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${paths.jars}`]);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) prepare();
