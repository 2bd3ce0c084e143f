/**
 * What this server is: Nodis at its own version (package.json's), answering
 * clients as Redis REDIS_VERSION (HELLO, INFO's redis_version), which clients
 * read to decide what they may send.
 */
import fs from "node:fs";

export const REDIS_VERSION = "7.2.4";

/** package.json is one level up from src/version.ts and dist/version.js, two from the start-up bundle (dist/bundle/main.js). */
function packageJson(): string {
  const near = new URL("../package.json", import.meta.url);
  return fs.readFileSync(fs.existsSync(near) ? near : new URL("../../package.json", import.meta.url), "utf8");
}

export const NODIS_VERSION: string = JSON.parse(packageJson()).version;
