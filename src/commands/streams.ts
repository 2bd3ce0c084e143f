/**
 * The stream family (Redis 7.2's "stream" group): the table's definitions;
 * the semantics run in the engine (native/src/t_stream.rs and t_stream/),
 * one native call per command. Metadata as Redis's commands/x*.json.
 *
 * XREAD / XREADGROUP block here: the engine answers Code.BLOCK when nothing
 * is served and BLOCK was given; the client then waits on the stream keys
 * (blockForKeys) with XREAD's `$` rewritten to the last ID, as Redis does.
 * XREADGROUP, XCLAIM and XAUTOCLAIM never propagate their own argv (Redis's
 * preventCommandPropagation): the engine records the XCLAIM / XGROUP SETID /
 * XGROUP CREATECONSUMER they propagate instead.
 */
import { type CommandDef, type Ctx, type KeySpec } from "./types.js";
import { engineHandler, withServeOrBlockForm } from "./engine-command.js";
import { commands, answer, Code } from "../engine/index.js";
import { blockForKeys } from "../server/blocking.js";
import { replyHelp } from "./help.js";

function def(name: string, arity: number, flags: string, keyFlags: string, tips?: string): CommandDef {
  return { name, arity, flags, keys: [1, 1, 1], keyFlags, acl: "stream", tips, handler: engineHandler(name) };
}

/** A handler whose own argv is never propagated (what it propagates, the engine records). */
function unpropagated(name: string): (c: Ctx) => void {
  const h = engineHandler(name);
  return (c) => {
    c.propagate = false;
    h(c);
  };
}

const LASTID = commands.id("xread-lastid");
const LASTID_ARGV0 = Buffer.from("xread-lastid");

/** The last ID of the stream at `key` ("0-0" when missing). */
function lastId(c: Ctx, key: Buffer): Buffer {
  const r = c.r;
  const start = r.pos;
  commands.run(LASTID, c.db, [LASTID_ARGV0, key], r);
  const text = r.buf.toString("latin1", start, r.pos);
  r.pos = start;
  return Buffer.from(text.split("\r\n")[1], "latin1");
}

/** XREAD / XREADGROUP: the engine serves, or says to block (then the keys, deadline and `$` are read here). */
function xreadHandler(name: string): (c: Ctx) => void {
  const id = commands.id(name);
  const group = name === "xreadgroup";
  return withServeOrBlockForm((c) => {
    c.propagate = false;
    const code = commands.run(id, c.db, c.argv, c.r);
    if (code === 0) return;
    if (code !== Code.BLOCK) return answer(c.r, code);
    // The engine validated the arguments: BLOCK's value, then STREAMS keys... ids...
    let ms = 0;
    let streams = 0;
    for (let i = 1; i < c.argv.length; i++) {
      const a = c.argv[i].toString("latin1").toLowerCase();
      if (a === "block") ms = Number(c.argv[++i].toString("latin1"));
      else if (a === "count") i++;
      else if (a === "group") i += 2;
      else if (a === "streams") {
        streams = i + 1;
        break;
      }
    }
    const n = (c.argv.length - streams) / 2;
    const keys = c.argv.slice(streams, streams + n);
    if (!group && !c.client.denyBlocking) {
      const argv = c.argv.slice();
      for (let k = 0; k < n; k++) {
        if (argv[streams + n + k].length === 1 && argv[streams + n + k][0] === 0x24 /* $ */) argv[streams + n + k] = lastId(c, keys[k]);
      }
      c.argv.splice(0, c.argv.length, ...argv);
    }
    blockForKeys(c, { keys, type: "stream", deadline: ms > 0 ? Date.now() + ms : 0, unblockOnNokey: group });
  }, name);
}

/** XREAD's and XREADGROUP's keys: after STREAMS, the first half of what follows. */
function streamsSpec(startfrom: number): KeySpec {
  return { flags: ["RO", "access"], begin: { keyword: "STREAMS", startfrom }, find: { lastkey: -1, keystep: 1, limit: 2 } };
}

const XGROUP_HELP = [
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
];

const XINFO_HELP = [
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
];

function groupSub(name: string, arity: number, flags: string, keyFlags: string): CommandDef {
  return { name, arity, flags, keys: [2, 2, 1], keyFlags, acl: "stream", handler: engineHandler("xgroup") };
}

function infoSub(name: string, arity: number, tips?: string): CommandDef {
  return { name, arity, flags: "readonly", keys: [2, 2, 1], keyFlags: "RO access", acl: "stream", tips, handler: engineHandler("xinfo") };
}

export const streamCommands: CommandDef[] = [
  {
    ...def("xadd", -5, "write denyoom fast", "RW update", "nondeterministic_output"),
    keyNotes: "UPDATE instead of INSERT because of the optional trimming feature",
  },
  def("xrange", -4, "readonly", "RO access"),
  def("xrevrange", -4, "readonly", "RO access"),
  def("xlen", 2, "readonly fast", "RO"),
  def("xdel", -3, "write fast", "RW delete"),
  def("xtrim", -4, "write", "RW delete", "nondeterministic_output"),
  def("xsetid", -3, "write denyoom fast", "RW update"),
  def("xack", -4, "write fast", "RW update"),
  def("xpending", -3, "readonly", "RO access", "nondeterministic_output"),
  { ...def("xclaim", -6, "write fast", "RW update", "nondeterministic_output"), handler: unpropagated("xclaim") },
  { ...def("xautoclaim", -6, "write fast", "RW delete", "nondeterministic_output"), handler: unpropagated("xautoclaim") },
  {
    name: "xread",
    arity: -4,
    flags: "readonly blocking",
    keys: [0, 0, 0],
    keySpecs: [streamsSpec(1)],
    acl: "stream",
    handler: xreadHandler("xread"),
  },
  {
    name: "xreadgroup",
    arity: -7,
    flags: "write blocking",
    keys: [0, 0, 0],
    keySpecs: [streamsSpec(4)],
    acl: "stream",
    handler: xreadHandler("xreadgroup"),
  },
  {
    name: "xgroup",
    arity: -2,
    handler: () => {},
    subcommands: [
      groupSub("create", -5, "write denyoom", "RW insert"),
      groupSub("setid", -5, "write", "RW update"),
      groupSub("destroy", 4, "write", "RW delete"),
      groupSub("createconsumer", 5, "write denyoom", "RW insert"),
      groupSub("delconsumer", 5, "write", "RW delete"),
      { name: "help", arity: 2, flags: "loading stale", acl: "stream", handler: (c) => replyHelp(c, XGROUP_HELP) },
    ],
  },
  {
    name: "xinfo",
    arity: -2,
    handler: () => {},
    subcommands: [
      infoSub("stream", -3),
      infoSub("groups", 3),
      infoSub("consumers", 4, "nondeterministic_output"),
      { name: "help", arity: 2, flags: "loading stale", acl: "stream", handler: (c) => replyHelp(c, XINFO_HELP) },
    ],
  },
];
