/**
 * Keyspace notifications (Redis's notify.c): each event the write path
 * delivers is published on `__keyspace@<db>__:<key>` (message: the event) and
 * `__keyevent@<db>__:<event>` (message: the key), as `notify-keyspace-events`
 * asks. The engine records the events of the classes on alone.
 */
import { keys } from "../engine/index.js";
import type { Server } from "../server/server.js";

/** Pub/sub as notifications use it. */
export interface Publisher {
  /** Publishes a message; returns the number of receivers. */
  publish(channel: Buffer, message: Buffer): number;
  /** publish() of the channel at src[chanStart, chanEnd) and the message at src[msgStart, msgEnd), read at once. */
  publishIn(src: Buffer, chanStart: number, chanEnd: number, msgStart: number, msgEnd: number): number;
  /** Whether anyone is subscribed to a channel or pattern (else nothing need be built). */
  anyone(): boolean;
}

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

/** Starts publishing keyspace events for `server`, following notify-keyspace-events as it changes. */
export function installKeyspaceNotifications(server: Server, pubsub: Publisher): void {
  let s = parseNotifyFlags("");
  let listeningEvents = false;
  let listeningMiss = false;
  const apply = (value: string) => {
    s = parseNotifyFlags(value);
    const on = s.classes.size > 0 && (s.keyspace || s.keyevent);
    keys.setEventClasses(on ? [...s.classes].join("") : "");
    const events = on && [...s.classes].some((c) => c !== "m");
    if (events !== listeningEvents) server.writePath.listen("events", (listeningEvents = events));
    const miss = on && s.classes.has("m");
    if (miss !== listeningMiss) server.writePath.listen("keymiss", (listeningMiss = miss));
  };
  apply(server.config.get("notify-keyspace-events"));
  server.config.onChange((name, value) => {
    if (name === "notify-keyspace-events") apply(value);
  });
  // Per db, `__keyspace@<db>__:` and each event's `__keyevent@<db>__:<event>`; each event's name.
  const spacePrefixes: Buffer[] = [];
  const eventChannels: Map<string, Buffer>[] = [];
  const names = new Map<string, Buffer>();
  // A keyspace event's channel and message are written here, then published at once.
  let scratch = Buffer.allocUnsafe(256);
  server.writePath.keyspaceEvent.push((type, event, db, key) => {
    if (!s.classes.has(type) || !pubsub.anyone()) return;
    if (s.keyspace) {
      const prefix = (spacePrefixes[db] ??= Buffer.from(`__keyspace@${db}__:`));
      let name = names.get(event);
      if (name === undefined) names.set(event, (name = Buffer.from(event)));
      const chanEnd = prefix.length + key.length;
      const end = chanEnd + name.length;
      if (scratch.length < end) scratch = Buffer.allocUnsafe(Math.max(end, 2 * scratch.length));
      scratch.set(prefix, 0);
      scratch.set(key, prefix.length);
      scratch.set(name, chanEnd);
      pubsub.publishIn(scratch, 0, chanEnd, chanEnd, end);
    }
    if (s.keyevent) {
      const channels = (eventChannels[db] ??= new Map());
      let channel = channels.get(event);
      if (channel === undefined) channels.set(event, (channel = Buffer.from(`__keyevent@${db}__:${event}`)));
      pubsub.publish(channel, key);
    }
  });
}
