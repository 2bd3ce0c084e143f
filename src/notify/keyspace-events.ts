/**
 * Keyspace notifications (Redis's notify.c): each event the write path
 * delivers is published on `__keyspace@<db>__:<key>` (message: the event) and
 * `__keyevent@<db>__:<event>` (message: the key), as `notify-keyspace-events`
 * asks. The engine records events only while some class is on; with only
 * the expired and evicted classes on, it records those keys alone.
 */
import type { Server } from "../server/server.js";

/** Publishes a message; returns the number of receivers (pub/sub's publish). */
export type Publish = (channel: Buffer, message: Buffer) => number;

/** The classes `A` stands for (every class but `m` key-miss and `n` new). */
const ALL = "g$lshzxetd";

interface Settings {
  classes: Set<string>;
  keyspace: boolean;
  keyevent: boolean;
}

/** Reads a notify-keyspace-events value (the config table keeps it in Redis's canonical form). */
export function parseNotifyFlags(value: string): Settings {
  const classes = new Set<string>();
  for (const c of value) {
    if (c === "A") for (const a of ALL) classes.add(a);
    else if (c !== "K" && c !== "E") classes.add(c);
  }
  return { classes, keyspace: value.includes("K"), keyevent: value.includes("E") };
}

const KEYSPACE = Buffer.from("__keyspace@");
const KEYEVENT = Buffer.from("__keyevent@");
const SEP = Buffer.from("__:");

/** Starts publishing keyspace events for `server`, following notify-keyspace-events as it changes. */
export function installKeyspaceNotifications(server: Server, publish: Publish): void {
  let s = parseNotifyFlags("");
  let listeningEvents = false;
  let listeningExpiry = false;
  let listeningMiss = false;
  const apply = (value: string) => {
    s = parseNotifyFlags(value);
    const on = s.classes.size > 0 && (s.keyspace || s.keyevent);
    // Expired and evicted events alone (`Ex`, `Ee`): the engine records those keys only, and the batch path stays on.
    const expiryOnly = on && [...s.classes].every((c) => c === "x" || c === "e");
    const events = on && !expiryOnly;
    if (events !== listeningEvents) server.writePath.listen("events", (listeningEvents = events));
    if (expiryOnly !== listeningExpiry) server.writePath.listen("expiry", (listeningExpiry = expiryOnly));
    const miss = on && s.classes.has("m");
    if (miss !== listeningMiss) server.writePath.listen("keymiss", (listeningMiss = miss));
  };
  apply(server.config.get("notify-keyspace-events"));
  server.config.onChange((name, value) => {
    if (name === "notify-keyspace-events") apply(value);
  });
  const dbNames: Buffer[] = [];
  server.writePath.keyspaceEvent.push((type, event, db, key) => {
    if (!s.classes.has(type)) return;
    const dbName = (dbNames[db] ??= Buffer.from(String(db)));
    const ev = Buffer.from(event);
    if (s.keyspace) publish(Buffer.concat([KEYSPACE, dbName, SEP, key]), ev);
    if (s.keyevent) publish(Buffer.concat([KEYEVENT, dbName, SEP, ev]), key);
  });
}
