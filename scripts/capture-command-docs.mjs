#!/usr/bin/env node
/**
 * How src/commands/docs/*.ts was produced: asks a running Redis 7.2 for
 * COMMAND DOCS (every command and subcommand) and writes what it answers as
 * our data modules, one per command group, keyed by command name
 * ("parent|sub" for subcommands).
 *
 *   /tmp/redis72/src/redis-server --port 7700 --save '' &
 *   node scripts/capture-command-docs.mjs --port 7700            # rewrites src/commands/docs/<group>.ts
 *   node scripts/capture-command-docs.mjs --port 7700 --json     # prints the captured docs as JSON
 *   (--any-version accepts another Redis, e.g. to compare 7.0's answers with --json)
 *
 * The generated files are data, to be regenerated rather than hand-edited
 * when Redis's answers change; the loader is src/commands/docs/index.ts.
 */
import net from "node:net";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(opt("--port", "7700"));
const host = opt("--host", "127.0.0.1");
const outDir = opt("--out", path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "commands", "docs"));
const asJson = args.includes("--json");

/** A minimal RESP3 reader: maps become arrays of [key, value] pairs (order kept), sets and arrays arrays. */
function parse(buf, pos) {
  const cr = buf.indexOf("\r\n", pos);
  if (cr < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString("utf8", pos + 1, cr);
  let p = cr + 2;
  switch (type) {
    case "+":
      return { value: line, end: p };
    case "-":
      return { value: new Error(line), end: p };
    case ":":
      return { value: Number(line), end: p };
    case "_":
      return { value: null, end: p };
    case "$":
    case "=": {
      const n = Number(line);
      if (n < 0) return { value: null, end: p };
      if (buf.length < p + n + 2) return null;
      // A verbatim string (INFO) starts with its format, "txt:".
      return { value: buf.toString("utf8", type === "=" ? p + 4 : p, p + n), end: p + n + 2 };
    }
    case "*":
    case "~":
    case "%": {
      const n = Number(line);
      const items = [];
      for (let i = 0; i < (type === "%" ? 2 * n : n); i++) {
        const r = parse(buf, p);
        if (!r) return null;
        items.push(r.value);
        p = r.end;
      }
      if (type !== "%") return { value: items, end: p };
      const pairs = [];
      for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
      return { value: { map: pairs }, end: p };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

function request(commands) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let buf = Buffer.alloc(0);
    const replies = [];
    sock.on("error", reject);
    sock.on("connect", () => {
      for (const argv of commands) {
        sock.write(`*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(""));
      }
    });
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const r = parse(buf, 0);
        if (!r) break;
        replies.push(r.value);
        buf = buf.subarray(r.end);
        if (replies.length === commands.length) {
          sock.end();
          return resolve(replies);
        }
      }
    });
  });
}

const mapGet = (m, k) => m.map.find(([key]) => key === k)?.[1];

/** One argument as our DocArg (display_text kept only where it is not the name: Redis answers the name then). */
function toArg(m) {
  const a = {};
  for (const [k, v] of m.map) {
    if (k === "name") a.name = v;
    else if (k === "type") a.type = v;
    else if (k === "display_text") {
      if (v !== mapGet(m, "name")) a.displayText = v;
    } else if (k === "key_spec_index") a.keySpecIndex = v;
    else if (k === "token") a.token = v;
    else if (k === "summary") a.summary = v;
    else if (k === "since") a.since = v;
    else if (k === "deprecated_since") a.deprecatedSince = v;
    else if (k === "flags") a.flags = v;
    else if (k === "arguments") a.arguments = v.map(toArg);
    else throw new Error(`unknown argument field ${k}`);
  }
  return a;
}

/** One command's docs as our CommandDoc; subcommands go to `out` under "parent|sub". */
function collect(name, m, out) {
  const d = {};
  for (const [k, v] of m.map) {
    if (k === "summary") d.summary = v;
    else if (k === "since") d.since = v;
    else if (k === "group") d.group = v;
    else if (k === "complexity") d.complexity = v;
    else if (k === "doc_flags") d.docFlags = v;
    else if (k === "deprecated_since") d.deprecatedSince = v;
    else if (k === "replaced_by") d.replacedBy = v;
    else if (k === "history") d.history = v;
    else if (k === "arguments") d.args = v.map(toArg);
    else if (k === "subcommands") for (const [sub, sm] of v.map) collect(sub, sm, out);
    else throw new Error(`unknown docs field ${k} in ${name}`);
  }
  out.set(name, d);
}

const q = (s) => JSON.stringify(s);
const key = (k) => (/^[a-z_][a-z0-9_]*$/i.test(k) ? k : q(k));

/** An argument as TypeScript: on one line when it has no nested arguments. */
function argTs(a, indent) {
  const fields = [];
  for (const [k, v] of Object.entries(a)) {
    if (k === "arguments") continue;
    fields.push(`${k}: ${typeof v === "string" ? q(v) : Array.isArray(v) ? `[${v.map(q).join(", ")}]` : v}`);
  }
  if (!a.arguments) return `{ ${fields.join(", ")} }`;
  const pad = " ".repeat(indent + 2);
  return `{\n${pad}${fields.join(", ")},\n${pad}arguments: ${argsTs(a.arguments, indent + 2)},\n${" ".repeat(indent)}}`;
}

function argsTs(list, indent) {
  const pad = " ".repeat(indent + 2);
  return `[\n${list.map((a) => pad + argTs(a, indent + 2) + ",").join("\n")}\n${" ".repeat(indent)}]`;
}

function entryTs(name, d) {
  const lines = [`  ${key(name)}: {`];
  for (const [k, v] of Object.entries(d)) {
    if (k === "group") continue; // the file's group
    if (k === "args") lines.push(`    args: ${argsTs(v, 4)},`);
    else if (k === "history") lines.push(`    history: [\n${v.map((h) => `      [${q(h[0])}, ${q(h[1])}],`).join("\n")}\n    ],`);
    else if (Array.isArray(v)) lines.push(`    ${k}: [${v.map(q).join(", ")}],`);
    else lines.push(`    ${k}: ${q(v)},`);
  }
  lines.push("  },");
  return lines.join("\n");
}

const camel = (g) => g.replace(/[-_](.)/g, (_, c) => c.toUpperCase());

const [hello, info, docs] = await request([["HELLO", "3"], ["INFO", "server"], ["COMMAND", "DOCS"]]);
if (hello instanceof Error) throw hello;
const version = /redis_version:(\S+)/.exec(info)?.[1];
if (!version?.startsWith("7.2.") && !args.includes("--any-version")) throw new Error(`expected a Redis 7.2 server, got ${version}`);
const all = new Map();
for (const [name, m] of docs.map) collect(name, m, all);
const names = [...all.keys()].sort();

if (asJson) {
  process.stdout.write(JSON.stringify(Object.fromEntries(names.map((n) => [n, all.get(n)])), null, 1) + "\n");
} else {
  const groups = new Map();
  for (const n of names) {
    const g = all.get(n).group;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(n);
  }
  for (const [g, list] of groups) {
    const file = path.join(outDir, `${g.replace(/_/g, "-")}.ts`);
    const body = [
      `/** COMMAND DOCS of the "${g}" group, as Redis ${version} answers them. Generated by scripts/capture-command-docs.mjs: regenerate, do not edit. */`,
      `import type { CommandDocGroup } from "./types.js";`,
      "",
      // A function: the objects are made when COMMAND DOCS first asks, not at start-up (src/commands/docs/index.ts).
      `export const ${camel(g)}Docs = (): CommandDocGroup => ({`,
      `  group: ${q(g)},`,
      `  commands: {`,
      ...list.map((n) => entryTs(n, all.get(n)).replace(/^/gm, "  ")),
      "  },",
      "});",
      "",
    ].join("\n");
    fs.writeFileSync(file, body);
    console.log(`${file}: ${list.length} entries`);
  }
  console.log(`${names.length} commands and subcommands from Redis ${version}`);
}
