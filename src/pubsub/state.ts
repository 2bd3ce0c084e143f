/**
 * A server's pub/sub state (Redis's server.pubsub_channels, pubsub_patterns,
 * pubsubshard_channels) and the operations on it: subscribing and
 * unsubscribing a client (with the confirmations), publishing, and forgetting
 * a client on RESET or when it disconnects.
 */
import { batch } from "../engine/index.js";
import { Reply } from "../protocol/reply.js";
import { REPLY_OFF, REPLY_SKIP, type Client } from "../server/client.js";
import type { Server } from "../server/server.js";
import { KIND, sendMessage, sendMessageOf, writeConfirmation } from "./frames.js";
import { forEachMatch } from "./patterns.js";
import { Registry } from "./registry.js";

/** The three kinds of subscription. Global channels and patterns share one count (sub + psub), shard channels have theirs. */
export type Kind = "channel" | "pattern" | "shard";

const SUBSCRIBE_KIND = { channel: KIND.subscribe, pattern: KIND.psubscribe, shard: KIND.ssubscribe };
const UNSUBSCRIBE_KIND = { channel: KIND.unsubscribe, pattern: KIND.punsubscribe, shard: KIND.sunsubscribe };

export class PubSub {
  // The batch path answers PUBLISH with these counts (src/server/batch.ts).
  readonly channels = new Registry(KIND.message, (name, clients) => batch.setChannelSubscribers(name, clients));
  readonly patterns = new Registry(KIND.pmessage, (name, clients) => batch.setPatternSubscribers(name, clients));
  readonly shard = new Registry(KIND.smessage);

  constructor(private readonly server: Server) {
    const forget = (c: Client) => this.forget(c);
    server.closeHooks.push(forget);
    server.resetHooks.push(forget);
  }

  private registry(kind: Kind): Registry {
    return kind === "channel" ? this.channels : kind === "pattern" ? this.patterns : this.shard;
  }

  /** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE of each name, one confirmation each; the client enters pub/sub mode. */
  subscribe(client: Client, kind: Kind, names: Buffer[], r: Reply): void {
    const reg = this.registry(kind);
    for (const name of names) {
      reg.add(client, name);
      this.syncCounts(client);
      this.confirm(client, r, SUBSCRIBE_KIND[kind], name, this.countFor(client, kind));
    }
    client.flags.add("pubsub");
  }

  /**
   * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE of each name, or of all the
   * client's names when none is given (one confirmation with a null name when
   * it had none). The client leaves pub/sub mode with its last subscription.
   */
  unsubscribe(client: Client, kind: Kind, names: Buffer[] | null, r: Reply): void {
    const reg = this.registry(kind);
    const list = names ?? reg.namesOf(client);
    for (const name of list) {
      reg.remove(client, name);
      this.syncCounts(client);
      this.confirm(client, r, UNSUBSCRIBE_KIND[kind], name, this.countFor(client, kind));
    }
    if (list.length === 0) this.confirm(client, r, UNSUBSCRIBE_KIND[kind], null, this.countFor(client, kind));
    if (client.sub + client.psub + client.ssub === 0) client.flags.delete("pubsub");
  }

  /**
   * Sends `message` to the subscribers of `channel` (and, unless shard, of
   * the patterns it matches); returns how many received it. Each frame is
   * built once and written to every receiver as the same bytes.
   */
  publish(channel: Buffer, message: Buffer, shard: boolean): number {
    const server = this.server;
    let receivers = 0;
    const reg = shard ? this.shard : this.channels;
    if (reg.names.size !== 0) {
      const subs = reg.get(channel);
      if (subs) receivers += sendMessage(server, subs.head, null, message, subs.clients);
    }
    if (!shard && this.patterns.names.size !== 0) {
      forEachMatch(this.patterns, channel, (p) => {
        receivers += sendMessage(server, p.head, channel, message, p.clients);
      });
    }
    return receivers;
  }

  /**
   * publish() to the channel at src[chanStart, chanEnd) of the message at
   * src[msgStart, msgEnd) (a PUBLISH the batch path ran: no Buffer is made
   * for either unless a pattern is subscribed).
   */
  publishIn(src: Buffer, chanStart: number, chanEnd: number, msgStart: number, msgEnd: number): number {
    if (this.patterns.names.size !== 0) return this.publish(src.subarray(chanStart, chanEnd), src.subarray(msgStart, msgEnd), false);
    const subs = this.channels.names.size !== 0 ? this.channels.getIn(src, chanStart, chanEnd) : undefined;
    return subs ? sendMessageOf(this.server, subs.head, null, src, msgStart, msgEnd, subs.clients) : 0;
  }

  /** Drops every subscription of `client` without confirmations (RESET, disconnection). */
  forget(client: Client): void {
    if (client.sub + client.psub + client.ssub === 0) return;
    this.channels.dropClient(client);
    this.patterns.dropClient(client);
    this.shard.dropClient(client);
    this.syncCounts(client);
    client.flags.delete("pubsub");
  }

  /** The count a confirmation carries: channels + patterns, or shard channels. */
  private countFor(client: Client, kind: Kind): number {
    return kind === "shard" ? client.ssub : client.sub + client.psub;
  }

  private syncCounts(client: Client): void {
    client.sub = this.channels.countOf(client);
    client.psub = this.patterns.countOf(client);
    client.ssub = this.shard.countOf(client);
  }

  /**
   * Writes a confirmation into the command's reply. Confirmations are pushes:
   * with CLIENT REPLY OFF/SKIP they still go out (Redis's CLIENT_PUSHING),
   * through writeTo, which keeps them when the command's own reply is dropped.
   */
  private confirm(client: Client, r: Reply, kind: Buffer, name: Buffer | null, count: number): void {
    if ((client.replyFlags & (REPLY_OFF | REPLY_SKIP)) === 0) {
      writeConfirmation(r, kind, name, count);
      return;
    }
    const own = new Reply(256);
    own.resp = client.resp;
    writeConfirmation(own, kind, name, count);
    this.server.writeTo(client, own.take());
  }
}
