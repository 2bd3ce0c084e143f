import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  root: path.resolve(import.meta.dirname, ".."),
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // One Nodis per process: the keyspace is native and per process.
    pool: "forks",
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
