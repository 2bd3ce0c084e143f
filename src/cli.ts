#!/usr/bin/env node
/**
 * nodis-server's entry (`node dist/cli.js`): runs main.ts from the start-up
 * bundle (dist/bundle/main.js, one file made by scripts/bundle.mjs after tsc)
 * when the bundle is as fresh as the modules it was made from, else from the
 * modules themselves. Loading one file instead of a hundred ES modules (each
 * resolved, read and compiled on its own) is most of Nodis's start-up time.
 */
import fs from "node:fs";
import v8 from "node:v8";

/**
 * V8's young generation stays at its first size (two 1 MB semi-spaces)
 * instead of doubling up to 2 x 8 MB when a burst of commands keeps objects
 * alive across a scavenge: V8 never gives the grown space back while the
 * server idles (about 5 MB of RSS after loading 1M keys, issue 7). Nodis's
 * young objects (a request's arguments and replies) mostly die within an
 * event-loop turn: 900,000 pipelined GETs or HSETs ran 3 to 8 scavenges
 * either way, about 3 ms in all.
 * Set here, before the server's modules load, and only for nodis-server:
 * an application embedding Nodis keeps its own V8 settings.
 */
v8.setFlagsFromString("--semi-space-growth-factor=1");

const bundle = new URL("./bundle/main.js", import.meta.url);

/** The bundle's manifest lists each input module with its mtime; any change makes the bundle stale. */
function bundleIsFresh(): boolean {
  try {
    const manifest = JSON.parse(fs.readFileSync(new URL("./bundle/manifest.json", import.meta.url), "utf8")) as { inputs: [string, number][] };
    for (const [file, mtimeMs] of manifest.inputs) {
      if (fs.statSync(new URL(file, import.meta.url)).mtimeMs !== mtimeMs) return false;
    }
    return manifest.inputs.length > 0;
  } catch {
    return false;
  }
}

if (process.env.NODIS_NO_BUNDLE !== "1" && bundleIsFresh()) await import(bundle.href);
else await import("./main.js");
