/**
 * Pub/Sub: channels, patterns and shard channels (Redis's pubsub.c). The state
 * lives in `state.ts`, one per server, made on first use; the commands are in
 * src/commands/pubsub.ts. Other features publish through `publish()`
 * (keyspace notifications, ...).
 */
import type { Server } from "../server/server.js";
import { infoProviders } from "../commands/info.js";
import { PubSub } from "./state.js";

export { PubSub, type Kind } from "./state.js";
export { refusedWhileSubscribed } from "./subscribed-mode.js";

const states = new WeakMap<Server, PubSub>();

/** The pub/sub state of `server` (made, with its RESET and disconnection hooks, on first use). */
export function pubsubOf(server: Server): PubSub {
  if (server === last?.server) return last.state;
  let st = states.get(server);
  if (!st) {
    st = new PubSub(server);
    states.set(server, st);
    // INFO stats; registered on first use (INFO shows 0 until then), not at load, to stay out of import cycles.
    infoProviders.set("pubsub_channels", (s) => states.get(s)?.channels.names.size ?? 0);
    infoProviders.set("pubsub_patterns", (s) => states.get(s)?.patterns.names.size ?? 0);
    infoProviders.set("pubsubshard_channels", (s) => states.get(s)?.shard.names.size ?? 0);
  }
  last = { server, state: st };
  return st;
}
/** The last server asked about (one per process, save in tests): PUBLISH skips the WeakMap. */
let last: { server: Server; state: PubSub } | null = null;

/** PUBLISH: sends `message` to the subscribers of `channel` and of the patterns it matches; returns the receivers. */
export function publish(server: Server, channel: Buffer, message: Buffer): number {
  const st = server === last?.server ? last.state : states.get(server);
  return st ? st.publish(channel, message, false) : 0;
}

/** publish() of the channel at src[chanStart, chanEnd) and the message at src[msgStart, msgEnd): no Buffer made for either unless a pattern is subscribed. */
export function publishIn(server: Server, src: Buffer, chanStart: number, chanEnd: number, msgStart: number, msgEnd: number): number {
  const st = server === last?.server ? last.state : states.get(server);
  return st ? st.publishIn(src, chanStart, chanEnd, msgStart, msgEnd) : 0;
}

/** Whether anyone is subscribed to a channel or a pattern (else a PUBLISH reaches nobody). */
export function anySubscribers(server: Server): boolean {
  const st = server === last?.server ? last.state : states.get(server);
  return st !== undefined && st.channels.names.size + st.patterns.names.size !== 0;
}

/** SPUBLISH: sends `message` to the subscribers of shard channel `channel`; returns the receivers. */
export function spublish(server: Server, channel: Buffer, message: Buffer): number {
  const st = states.get(server);
  return st ? st.publish(channel, message, true) : 0;
}
