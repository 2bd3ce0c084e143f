/**
 * The start-up bundle: dist/main.js and every module it imports as one ES
 * module, dist/bundle/main.js, with a manifest of the input files' mtimes
 * (dist/cli.js loads the bundle only while they all match). Run after tsc
 * (npm run build:ts does). Without rolldown installed it removes any old
 * bundle and says so: dist/cli.js then loads the modules one by one.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const out = path.join(dist, "bundle");
fs.rmSync(out, { recursive: true, force: true });

let rolldown;
try {
  rolldown = await import("rolldown");
} catch {
  console.warn("bundle: rolldown is not installed; dist/cli.js loads the modules one by one (slower start-up)");
  process.exit(0);
}
const bundle = await rolldown.rolldown({
  input: path.join(dist, "main.js"),
  platform: "node",
  // The addon is loaded at run time by path (src/engine/addon.ts); node: builtins stay imports.
  external: [/\.node$/, /^node:/],
  logLevel: "warn",
});
// No comments: V8 keeps the whole source resident (see latin1Source), and the
// modules' doc comments were a sixth of it.
const { output } = await bundle.write({ file: path.join(out, "main.js"), format: "esm", sourcemap: false, comments: false });
await bundle.close();
latin1Source(path.join(out, "main.js"));
const inputs = [];
for (const chunk of output) {
  for (const id of chunk.moduleIds ?? Object.keys(chunk.modules ?? {})) {
    if (!id.startsWith(dist + path.sep)) continue;
    inputs.push([path.relative(dist, id).split(path.sep).join("/"), fs.statSync(id).mtimeMs]);
  }
}
if (!inputs.length) throw new Error("bundle: no input modules reported");
fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify({ inputs }));
console.log(`bundle: dist/bundle/main.js from ${inputs.length} modules`);

/**
 * V8 holds a script's whole source for as long as the script lives (lazy
 * functions are compiled from it), one byte per character while every
 * character is Latin-1, two bytes per character as soon as one is not: a
 * single arrow in a comment doubled the bundle's ~1 MB in the heap. Such
 * characters are written as \u escapes, which mean the same in comments,
 * strings, regular expressions and template literals' cooked text.
 */
function latin1Source(file) {
  const text = fs.readFileSync(file, "utf8");
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (escaped !== text) fs.writeFileSync(file, escaped);
}
