/**
 * COMMAND DOCS: the docs data (src/commands/docs) answered for the whole
 * table, byte for byte against Redis, in RESP2 and RESP3; and redis-cli's
 * help built from it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REDIS72, haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import { RawConn } from "../server/raw-conn.js";
import type { RunningServer } from "../../src/index.js";
import type { CommandDef, DocArg } from "../../src/commands/types.js";
import { FAMILIES } from "../../src/commands/index.js";
import { commandDocs } from "../../src/commands/docs/index.js";

const COMMAND_DOCS = commandDocs();

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

/** A local Redis 7.2.6 build, the exact oracle (absent in CI, where Debian's 7.0 is). */
const REDIS72_CLI = "/tmp/redis72/src/redis-cli";
const have72 = () => existsSync(REDIS72);

// ---- A RESP reply as a tree, to compare replies after stating a difference ----

/** t: the type byte; v: the line (or a bulk's bytes) of a scalar, the children of an aggregate (a map's are flat k, v, k, v). */
interface Node {
  t: string;
  v: string | Node[];
}

function parse(text: string, pos = 0): [Node, number] {
  const cr = text.indexOf("\r\n", pos);
  const t = text[pos];
  const line = text.slice(pos + 1, cr);
  let p = cr + 2;
  if (t === "$" || t === "=") {
    const n = Number(line);
    if (n < 0) return [{ t, v: line }, p];
    return [{ t, v: text.slice(p, p + n) }, p + n + 2];
  }
  if (t === "*" || t === "%" || t === "~") {
    const n = Number(line);
    const kids: Node[] = [];
    for (let i = 0; i < (t === "%" ? 2 * n : n); i++) {
      const [k, next] = parse(text, p);
      kids.push(k);
      p = next;
    }
    return [{ t, v: kids }, p];
  }
  return [{ t, v: line }, p];
}

const tree = (text: string): Node => parse(text)[0];

function encode(n: Node): string {
  if (typeof n.v === "string") return n.t === "$" || n.t === "=" ? (n.v === "-1" ? "$-1\r\n" : `${n.t}${Buffer.byteLength(n.v, "latin1")}\r\n${n.v}\r\n`) : `${n.t}${n.v}\r\n`;
  const len = n.t === "%" ? n.v.length / 2 : n.v.length;
  return `${n.t}${len}\r\n` + n.v.map(encode).join("");
}

const kids = (n: Node): Node[] => n.v as Node[];

/** The value under `key` in a map (RESP3 %) or a flat RESP2 map. */
function field(map: Node, key: string): Node | undefined {
  const k = kids(map);
  for (let i = 0; i < k.length; i += 2) if (k[i].v === key) return k[i + 1];
  return undefined;
}

function dropField(map: Node, key: string): void {
  const k = kids(map);
  for (let i = 0; i < k.length; i += 2) if (k[i].v === key) k.splice(i, 2);
}

/** Every argument map under `arguments` (nested too). */
function eachArg(docs: Node, f: (arg: Node) => void): void {
  const args = field(docs, "arguments");
  if (!args) return;
  for (const a of kids(args)) {
    f(a);
    eachArg(a, f);
  }
}

/** COMMAND DOCS <name>'s reply: a one-entry map; its docs value. */
const docsOf = (reply: Node): Node => kids(reply)[1];

// ---- What changed between 7.0 (Debian's oracle) and 7.2 (what we answer) ----

/**
 * Changes 7.2 made to every command: it rewrote the summaries (362 of the 366
 * commands 7.0 has) and answers a display_text for every argument (that is not
 * a oneof/block). 7.0 is compared with these left out; the summaries and
 * display texts are checked against a Redis 7.2.6 where one is at hand, and
 * through redis-cli's help below.
 */
const GENERAL_72_CHANGES = "summary rewritten; display_text added to arguments";

/**
 * Commands whose COMMAND DOCS changed between 7.0.15 and 7.2.6 beyond the
 * general changes: `renamed` maps 7.2's argument names to 7.0's (7.2 renamed
 * arguments to give redis-cli's hints and the docs unique, hyphenated
 * names), and `fields` are left out of the comparison, with why. Covers
 * every Redis command, so a family added later is compared as it lands.
 */
const DIFFERS_IN_72: Record<string, { why: string; renamed?: Record<string, string>; fields?: string[] }> = {
  "acl|cat": { why: "argument renamed", renamed: { category: "categoryname" } },
  "acl|log": { why: "7.2 added history: entry ID and timestamps in 7.2.0", fields: ["history"] },
  bitcount: { why: "arguments renamed", renamed: { range: "index", unit: "index_unit" } },
  bitfield: {
    why: "arguments renamed",
    renamed: { "get-block": "encoding_offset", "overflow-block": "wrap_sat_fail", "write-operation": "write_operation", "set-block": "encoding_offset_value", "incrby-block": "encoding_offset_increment" },
  },
  bitfield_ro: { why: "argument renamed", renamed: { "get-block": "encoding_offset" } },
  bitop: { why: "7.2 describes the operation as a oneof of AND/OR/XOR/NOT tokens (7.0: a string)", fields: ["arguments"] },
  bitpos: { why: "arguments renamed", renamed: { range: "index", "end-unit-block": "end_index", unit: "index_unit" } },
  "client|kill": { why: "arguments renamed; SKIPME became a oneof of yes/no", fields: ["arguments"] },
  "client|list": { why: "ID became a multiple integer (7.0: a block)", fields: ["arguments"] },
  "client|no-touch": { why: "new in 7.2" },
  "client|pause": { why: "7.2 says since 3.0.0 (7.0: 2.9.50)", fields: ["since"] },
  "client|reply": { why: "argument renamed", renamed: { action: "on_off_skip" } },
  "client|setinfo": { why: "new in 7.2" },
  "client|unblock": { why: "argument renamed", renamed: { "unblock-type": "timeout_error" } },
  "cluster|addslotsrange": { why: "argument renamed", renamed: { range: "start-slot_end-slot" } },
  "cluster|delslotsrange": { why: "argument renamed", renamed: { range: "start-slot_end-slot" } },
  "cluster|getkeysinslot": { why: "complexity corrected to O(N)", fields: ["complexity"] },
  "cluster|meet": { why: "argument renamed", renamed: { "cluster-bus-port": "cluster_bus_port" } },
  "cluster|myshardid": { why: "new in 7.2" },
  "cluster|replicas": { why: "complexity corrected to O(N)", fields: ["complexity"] },
  "cluster|reset": { why: "argument renamed", renamed: { "reset-type": "hard_soft" } },
  "cluster|setslot": { why: "arguments renamed", renamed: { importing: "node-id", migrating: "node-id", node: "node-id" } },
  "cluster|slaves": { why: "complexity corrected to O(N)", fields: ["complexity"] },
  "command|getkeys": { why: "7.2 documents the arguments (7.0: none)", fields: ["arguments"] },
  "command|getkeysandflags": { why: "7.2 documents the arguments (7.0: none)", fields: ["arguments"] },
  "config|get": { why: "PARAMETER became a multiple string (7.0: a block)", fields: ["arguments"] },
  "config|set": { why: "argument renamed", renamed: { data: "parameter_value" } },
  flushall: { why: "argument renamed", renamed: { "flush-type": "async" } },
  flushdb: { why: "argument renamed", renamed: { "flush-type": "async" } },
  "function|flush": { why: "argument renamed", renamed: { "flush-type": "async" } },
  geoadd: { why: "argument renamed", renamed: { data: "longitude_latitude_member" } },
  geodist: { why: "complexity corrected to O(1)", fields: ["complexity"] },
  geohash: { why: "MEMBER became optional; complexity corrected", fields: ["arguments", "complexity"] },
  geopos: { why: "MEMBER became optional; complexity corrected", fields: ["arguments", "complexity"] },
  georadius: { why: "STORE/STOREDIST became a oneof; count block renamed", fields: ["arguments"] },
  georadius_ro: { why: "argument renamed", renamed: { "count-block": "count" } },
  georadiusbymember: { why: "STORE/STOREDIST became a oneof; count block renamed", fields: ["arguments"] },
  georadiusbymember_ro: { why: "argument renamed", renamed: { "count-block": "count" } },
  geosearch: { why: "arguments renamed", renamed: { fromlonlat: "longitude_latitude", "count-block": "count" } },
  geosearchstore: { why: "arguments renamed", renamed: { fromlonlat: "longitude_latitude", "count-block": "count" } },
  hello: { why: "argument renamed", renamed: { auth: "username_password" } },
  hmset: { why: "argument renamed", renamed: { data: "field_value" } },
  hscan: { why: "complexity reworded", fields: ["complexity"] },
  hset: { why: "argument renamed", renamed: { data: "field_value" } },
  lcs: { why: "argument renamed", renamed: { "min-match-len": "len" } },
  migrate: { why: "arguments renamed; AUTH/AUTH2 lost their optional flag inside the optional oneof", fields: ["arguments"] },
  "module|loadex": { why: "ARGS became a multiple string (7.0: a block)", fields: ["arguments"] },
  mset: { why: "argument renamed", renamed: { data: "key_value" } },
  msetnx: { why: "argument renamed", renamed: { data: "key_value" } },
  pfmerge: { why: "SOURCEKEY became optional", fields: ["arguments"] },
  psetex: { why: "7.2 marks it deprecated since 2.6.12, replaced by SET PX", fields: ["doc_flags", "deprecated_since", "replaced_by"] },
  psubscribe: { why: "PATTERN became a pattern (7.0: a block); complexity reworded", fields: ["arguments", "complexity"] },
  punsubscribe: { why: "complexity reworded", fields: ["complexity"] },
  quit: { why: "deprecated in 7.2.0", fields: ["doc_flags", "deprecated_since", "replaced_by"] },
  "script|flush": { why: "argument renamed", renamed: { "flush-type": "async" } },
  setex: { why: "7.2 marks it deprecated since 2.6.12, replaced by SET EX", fields: ["doc_flags", "deprecated_since", "replaced_by"] },
  setnx: { why: "7.2 marks it deprecated since 2.6.12, replaced by SET NX", fields: ["doc_flags", "deprecated_since", "replaced_by"] },
  shutdown: { why: "argument renamed", renamed: { "save-selector": "nosave_save" } },
  sort: { why: "arguments renamed", renamed: { "by-pattern": "pattern", limit: "offset_count", "get-pattern": "pattern" } },
  sort_ro: { why: "arguments renamed", renamed: { "by-pattern": "pattern", limit: "offset_count", "get-pattern": "pattern" } },
  sscan: { why: "complexity reworded", fields: ["complexity"] },
  sunsubscribe: { why: "complexity reworded", fields: ["complexity"] },
  unsubscribe: { why: "complexity reworded", fields: ["complexity"] },
  waitaof: { why: "new in 7.2" },
  xadd: { why: "arguments renamed", renamed: { "id-selector": "id_or_auto", "auto-id": "auto_id", data: "field_value" } },
  xclaim: { why: "argument renamed", renamed: { lastid: "id" } },
  "xgroup|create": { why: "arguments renamed", renamed: { group: "groupname", "id-selector": "id", "new-id": "new_id", "entries-read": "entries_read" } },
  "xgroup|createconsumer": { why: "arguments renamed", renamed: { group: "groupname", consumer: "consumername" } },
  "xgroup|delconsumer": { why: "arguments renamed", renamed: { group: "groupname", consumer: "consumername" } },
  "xgroup|destroy": { why: "argument renamed", renamed: { group: "groupname" } },
  "xgroup|setid": { why: "arguments renamed", renamed: { group: "groupname", "id-selector": "id", "new-id": "new_id", entriesread: "entries_read" } },
  "xinfo|consumers": { why: "argument renamed; 7.2.0 history (the inactive field)", renamed: { group: "groupname" }, fields: ["history"] },
  "xinfo|stream": { why: "FULL became a token inside a block; 7.2.0 history (active-time)", fields: ["arguments", "history"] },
  xread: { why: "7.2 has no complexity for XREAD", fields: ["complexity"] },
  xreadgroup: { why: "argument renamed", renamed: { "group-block": "group_consumer" } },
  xsetid: { why: "arguments renamed", renamed: { "entries-added": "entries_added", "max-deleted-id": "max_deleted_entry_id" } },
  zadd: { why: "argument renamed", renamed: { data: "score_member" } },
  zrandmember: { why: "complexity reworded", fields: ["complexity"] },
  zrange: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrangebylex: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrangebyscore: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrangestore: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrank: { why: "WITHSCORE added in 7.2.0 (argument and history)", fields: ["arguments", "history"] },
  zrevrangebylex: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrevrangebyscore: { why: "argument renamed", renamed: { limit: "offset_count" } },
  zrevrank: { why: "WITHSCORE added in 7.2.0 (argument and history)", fields: ["arguments", "history"] },
  zscan: { why: "complexity reworded", fields: ["complexity"] },
};

/** Reply field names to our data's keys. */
const FIELD_KEYS: Record<string, string> = {
  doc_flags: "docFlags",
  deprecated_since: "deprecatedSince",
  replaced_by: "replacedBy",
  arguments: "args",
  display_text: "displayText",
  key_spec_index: "keySpecIndex",
};

/** A RESP3 COMMAND DOCS value (or argument) as our data's shape; subcommands left out. */
function docFromReply(map: Node, top = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const k = kids(map);
  for (let i = 0; i < k.length; i += 2) {
    const key = k[i].v as string;
    const v = k[i + 1];
    if (key === "subcommands") continue;
    let value: unknown;
    if (key === "arguments") value = kids(v).map((a) => docFromReply(a, false));
    else if (key === "history") value = kids(v).map((h) => kids(h).map((x) => x.v));
    else if (key === "flags" || key === "doc_flags") value = kids(v).map((x) => x.v);
    else if (key === "key_spec_index") value = Number(v.v);
    else value = v.v;
    out[key === "arguments" && !top ? key : (FIELD_KEYS[key] ?? key)] = value;
  }
  return out;
}

/** Turns a 7.2 answer into what 7.0 says, by the differences stated above (and leaves out what 7.0 cannot say). */
function as70(name: string, docs: Node): void {
  dropField(docs, "summary");
  const diff = DIFFERS_IN_72[name];
  eachArg(docs, (a) => {
    dropField(a, "display_text");
    const n = field(a, "name")!;
    if (diff?.renamed?.[n.v as string]) n.v = diff.renamed[n.v as string];
  });
  for (const f of diff?.fields ?? []) dropField(docs, f);
}

/** For a container: its own fields, with `subcommands` left to the per-subcommand comparison. */
function withoutSubcommands(docs: Node): Node {
  dropField(docs, "subcommands");
  return docs;
}

/**
 * Every command and subcommand of the table that Redis 7.2 has, containers
 * too (those it lacks, the field TTL commands of 7.4/8, give their own docs).
 */
function tableNames(): { name: string; container: boolean }[] {
  const out: { name: string; container: boolean }[] = [];
  for (const spec of srv.server.commands.values()) {
    if (!COMMAND_DOCS.has(spec.name)) continue;
    out.push({ name: spec.name, container: !!spec.subcommands });
    for (const sub of spec.subcommands?.values() ?? []) out.push({ name: sub.name, container: false });
  }
  return out;
}

async function hello(conn: RawConn, resp: string): Promise<void> {
  expect((await conn.call("HELLO", resp)).length).toBeGreaterThan(0);
}

describe("COMMAND DOCS", () => {
  it("answers Redis 7.2.6's bytes for every command and subcommand of the table, RESP2 and RESP3", async (ctx) => {
    if (!have72()) return ctx.skip();
    const redis = await startRedis([], REDIS72);
    try {
      for (const resp of ["2", "3"]) {
        const a = await RawConn.open(srv.port);
        const b = await RawConn.open(redis.port);
        await hello(a, resp);
        await hello(b, resp);
        for (const { name, container } of tableNames()) {
          const ours = await a.call("COMMAND", "DOCS", name);
          const theirs = await b.call("COMMAND", "DOCS", name);
          // A container's subcommands come in Redis's hash order (random per start) and we may have fewer.
          if (container) expect(encode(withoutSubcommands(docsOf(tree(ours)))), name).toBe(encode(withoutSubcommands(docsOf(tree(theirs)))));
          else expect(ours, `${name} RESP${resp}`).toBe(theirs);
        }
        a.close();
        b.close();
      }
    } finally {
      await redis.stop();
    }
  });

  it("matches redis-server 7.0 for every command of the table, but for the stated 7.2 changes", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    try {
      let compared = 0;
      for (const resp of ["2", "3"]) {
        const a = await RawConn.open(srv.port);
        const b = await RawConn.open(redis.port);
        await hello(a, resp);
        await hello(b, resp);
        for (const { name, container } of tableNames()) {
          const theirs = tree(await b.call("COMMAND", "DOCS", name));
          if (kids(theirs).length === 0) {
            expect(DIFFERS_IN_72[name]?.why, `${name} is not in 7.0: say so`).toBe("new in 7.2");
            continue;
          }
          const ours = docsOf(tree(await a.call("COMMAND", "DOCS", name)));
          as70(name, ours);
          const want = docsOf(theirs);
          dropField(want, "summary");
          for (const f of DIFFERS_IN_72[name]?.fields ?? []) dropField(want, f);
          if (container) {
            withoutSubcommands(ours);
            withoutSubcommands(want);
          }
          expect(encode(ours), `${name} RESP${resp} (7.2 differences: ${GENERAL_72_CHANGES}; ${DIFFERS_IN_72[name]?.why ?? "none"})`).toBe(encode(want));
          compared++;
        }
        a.close();
        b.close();
      }
      expect(compared).toBeGreaterThan(2 * 100);
    } finally {
      await redis.stop();
    }
  });

  it("holds the stated differences from 7.0 for every Redis command, in the table or not yet", async (ctx) => {
    if (!haveRedisServer()) return ctx.skip();
    const redis = await startRedis();
    try {
      const c = await RawConn.open(redis.port);
      await hello(c, "3");
      const names = kids(tree(await c.call("COMMAND", "LIST"))).map((n) => n.v as string);
      expect(names.length).toBeGreaterThan(350);
      for (const name of names) {
        const theirs = docsOf(tree(await c.call("COMMAND", "DOCS", name)));
        const ours = COMMAND_DOCS.get(name);
        expect(ours, name).toBeDefined();
        const diff = DIFFERS_IN_72[name];
        // Our data, as 7.0 would answer it: no display texts, 7.0's argument names, without the fields that changed.
        const rename = (args: DocArg[]): DocArg[] =>
          args.map(({ displayText: _, arguments: nested, ...a }) => ({
            ...a,
            name: diff?.renamed?.[a.name] ?? a.name,
            ...(nested ? { arguments: rename(nested) } : {}),
          }));
        const mine: Record<string, unknown> = { ...ours, ...(ours!.args ? { args: rename(ours!.args) } : {}) };
        const want = docFromReply(theirs);
        for (const f of ["summary", ...(diff?.fields ?? [])]) {
          delete mine[FIELD_KEYS[f] ?? f];
          delete want[FIELD_KEYS[f] ?? f];
        }
        expect(mine, `${name} (${diff?.why ?? "no stated difference"})`).toEqual(want);
      }
      c.close();
    } finally {
      await redis.stop();
    }
  });

  it("states 7.2's answer where 7.0 differs, e.g. SET's display texts and SETNX's deprecation", async () => {
    const c = await RawConn.open(srv.port);
    await hello(c, "3");
    const setnx = docsOf(tree(await c.call("COMMAND", "DOCS", "setnx")));
    expect(field(setnx, "summary")?.v).toBe("Set the string value of a key only when the key doesn't exist.");
    expect(encode(field(setnx, "doc_flags")!)).toBe("~1\r\n+deprecated\r\n");
    expect(field(setnx, "deprecated_since")?.v).toBe("2.6.12");
    expect(field(setnx, "replaced_by")?.v).toBe("`SET` with the `NX` argument");
    const getex = docsOf(tree(await c.call("COMMAND", "DOCS", "getex")));
    const expiration = kids(field(getex, "arguments")!)[1];
    expect(field(expiration, "display_text")).toBeUndefined(); // a oneof has none
    const px = kids(field(expiration, "arguments")!)[1];
    expect(encode(px)).toBe(
      "%4\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$12\r\ndisplay_text\r\n$12\r\nmilliseconds\r\n$5\r\ntoken\r\n$2\r\nPX\r\n",
    );
    c.close();
  });

  it("answers the whole table with no names, skips unknown names, and finds parent|sub", async () => {
    for (const resp of ["2", "3"]) {
      const c = await RawConn.open(srv.port);
      await hello(c, resp);
      const all = kids(tree(await c.call("COMMAND", "DOCS")));
      expect(all.length / 2).toBe(srv.server.commands.size);
      for (let i = 0; i < all.length; i += 2) {
        const one = await c.call("COMMAND", "DOCS", all[i].v as string);
        expect(encode({ t: resp === "3" ? "%" : "*", v: [all[i], all[i + 1]] }), all[i].v as string).toBe(one);
      }
      const some = kids(tree(await c.call("COMMAND", "DOCS", "nosuch", "GET", "client|LIST", "client|nosuch")));
      expect(some.filter((_, i) => i % 2 === 0).map((n) => n.v)).toEqual(["get", "client|list"]);
      expect(await c.call("COMMAND", "DOCS", "nosuch")).toBe(resp === "3" ? "%0\r\n" : "*0\r\n");
      const client = docsOf(tree(await c.call("COMMAND", "DOCS", "client")));
      const subs = kids(field(client, "subcommands")!).filter((_, i) => i % 2 === 0).map((n) => n.v);
      expect(subs.sort()).toEqual([...srv.server.commands.get("client")!.subcommands!.keys()].map((s) => `client|${s}`).sort());
      c.close();
    }
  });

  it("has data for every Redis 7.2 command, and definitions do not contradict it", () => {
    // 7.2.6 has 241 commands and 129 subcommands (COMMAND COUNT, COMMAND LIST); sentinel's are not among them.
    expect(COMMAND_DOCS.size).toBe(370);
    for (const name of Object.keys(DIFFERS_IN_72)) expect(COMMAND_DOCS.has(name), name).toBe(true);
    // The data owns summary, since, group and complexity; a definition that still gives one must agree.
    const check = (def: CommandDef, parent?: string) => {
      const name = parent ? `${parent}|${def.name.toLowerCase()}` : def.name.toLowerCase();
      const doc = COMMAND_DOCS.get(name);
      if (!doc) {
        // A command 7.2 lacks brings its docs, with a group.
        expect(def.docs?.group, `${name} docs.group`).toBeTruthy();
        return;
      }
      for (const f of ["summary", "since", "group", "complexity"] as const) if (def[f] !== undefined) expect(def[f], `${name} ${f}`).toBe(doc[f]);
      for (const [f, v] of Object.entries(def.docs ?? {})) expect(v, `${name} docs.${f}`).toEqual(doc[f as keyof typeof doc]);
      for (const s of def.subcommands ?? []) check(s, name);
    };
    for (const family of FAMILIES) for (const def of family) check(def);
  });

  it("covers the same commands as Redis 7.2.6", async (ctx) => {
    if (!have72()) return ctx.skip();
    const redis = await startRedis([], REDIS72);
    try {
      const c = await RawConn.open(redis.port);
      const names = kids(tree(await c.call("COMMAND", "LIST"))).map((n) => n.v as string);
      expect(names.sort()).toEqual([...COMMAND_DOCS.keys()].sort());
      c.close();
    } finally {
      await redis.stop();
    }
  });
});

// ---- redis-cli reads COMMAND DOCS at start for its help and hints ----

function haveCli(cli: string): boolean {
  return spawnSync(cli, ["--version"]).status === 0 && spawnSync("script", ["--version"]).status === 0;
}

/**
 * Runs an interactive redis-cli (on a pseudo-terminal, through util-linux's
 * `script`, with echo off; TERM=dumb so it asks the terminal nothing) that
 * types `help <cmd>` for each command, and returns what it printed for each,
 * by the command's name as it prints it ("CLIENT LIST").
 */
function cliHelp(cli: string, port: number, names: string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-qec", `stty -echo; ${cli} -p ${port}`, "/dev/null"], { env: { ...process.env, TERM: "dumb" } });
    let out = "";
    proc.stdout.on("data", (d) => (out += d.toString("latin1")));
    proc.on("error", reject);
    proc.on("exit", () => {
      // An answer: "\r\n  <bold>NAME<reset> <grey>params<reset>\r\n  summary... group...", up to the next prompt.
      const byName = new Map<string, string>();
      for (const m of out.replace(/\r/g, "").matchAll(/\x1b\[1m([^\x1b]*)\x1b\[0m([^]*?)(?=127\.0\.0\.1:\d+> |$)/g)) {
        // (redis-cli follows some answers with the time it took, "(1.92ms)")
        byName.set(m[1], `\x1b[1m${m[1]}\x1b[0m${m[2]}`.replace(/\(\d+(\.\d+)?m?s\)\s*$/, "").trim());
      }
      resolve(byName);
    });
    proc.stdin.end(names.map((n) => `help ${n.replace("|", " ")}\n`).join("") + "quit\n");
  });
}

const cliName = (name: string) => name.replace("|", " ").toUpperCase();

describe("redis-cli help from our COMMAND DOCS", () => {
  const leaves = () => tableNames().filter((n) => !n.container).map((n) => n.name);

  it("shows every command's hint and summary, as 7.2 writes them", async (ctx) => {
    if (!haveCli("redis-cli")) return ctx.skip();
    const help = await cliHelp("redis-cli", srv.port, leaves());
    expect(help.get("SET")).toBe(
      "\x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m\n" +
        "  \x1b[33msummary:\x1b[0m Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.\n" +
        "  \x1b[33msince:\x1b[0m 1.0.0\n" +
        "  \x1b[33mgroup:\x1b[0m string",
    );
    expect(help.get("CLIENT LIST")).toContain("\x1b[1mCLIENT LIST\x1b[0m \x1b[90m[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]\x1b[0m");
    for (const name of leaves()) {
      const doc = COMMAND_DOCS.get(name)!;
      expect(help.get(cliName(name)), name).toContain(`summary:\x1b[0m ${doc.summary}\n`);
    }
  });

  it("passes redis-cli 7.2's own hint suite for the commands of the table", async (ctx) => {
    const suite = "/tmp/redis-suite/tests/assets/test_cli_hint_suite.txt";
    if (!existsSync(REDIS72_CLI) || !existsSync(suite)) return ctx.skip();
    // Cases are lines `"<typed input>" "<expected hint>"`; keep those of commands we have.
    const ours = readFileSync(suite, "latin1")
      .split("\n")
      // (redis-cli skips a malformed case: the suite's GEORADIUS "-2.345" line has a stray `""`.)
      .filter((l) => /^"[^"]*" "[^"]*"$/.test(l) && srv.server.commands.has(l.slice(1).split(" ")[0].toLowerCase()));
    expect(ours.length).toBeGreaterThan(20);
    const file = join(mkdtempSync(join(tmpdir(), "nodis-hints-")), "hints.txt");
    writeFileSync(file, ours.join("\n") + "\n");
    // Asynchronously: this Nodis runs in this process and must answer the cli.
    const out = await new Promise<string>((resolve, reject) => {
      const cli = spawn(REDIS72_CLI, ["-p", String(srv.port), "--test_hint_file", file]);
      let text = "";
      cli.stdout.on("data", (d) => (text += d.toString("latin1")));
      cli.on("error", reject);
      cli.on("close", () => resolve(text));
    });
    expect(out).toContain(`SUCCESS: ${ours.length}/${ours.length} passed`);
  });

  it("prints the same help for the table as against Redis 7.2.6", async (ctx) => {
    if (!have72() || !haveCli(REDIS72_CLI)) return ctx.skip();
    const redis = await startRedis([], REDIS72);
    try {
      const names = leaves();
      const ours = await cliHelp(REDIS72_CLI, srv.port, names);
      const theirs = await cliHelp(REDIS72_CLI, redis.port, names);
      for (const n of names) expect(ours.get(cliName(n)), n).toBe(theirs.get(cliName(n)));
    } finally {
      await redis.stop();
    }
  });
});
