/** The Pub/Sub family (Redis's pubsub.c commands); the state and delivery live in src/pubsub. */
import type { CommandDef, Ctx } from "./types.js";
import { globMatch } from "../engine/keys.js";
import { pubsubOf, type Kind } from "../pubsub/index.js";
import type { Registry } from "../pubsub/registry.js";
import { replyHelp, subcommandSyntaxError } from "./help.js";
import { PROPAGATE_REPL } from "../server/write-path.js";

const META = { group: "pubsub", since: "2.0.0" };
const SUBSCRIBER_FLAGS = "pubsub noscript loading stale sentinel";

const HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
];

/** SUBSCRIBE-like commands: refused to clients that need one reply per command (inside EXEC only SSUBSCRIBE is). */
function subscribe(kind: Kind, name: string) {
  return (c: Ctx) => {
    if (c.client.denyBlocking && (kind === "shard" || c.client.multiCount < 0)) {
      return c.r.error(`ERR ${name} isn't allowed for a DENY BLOCKING client`);
    }
    pubsubOf(c.server).subscribe(c.client, kind, c.argv.slice(1), c.r);
  };
}

function unsubscribe(kind: Kind) {
  return (c: Ctx) => pubsubOf(c.server).unsubscribe(c.client, kind, c.argv.length > 1 ? c.argv.slice(1) : null, c.r);
}

/** PUBLISH / SPUBLISH: the receivers' count; propagated to replicas (not the AOF) though nothing changed (Redis's forceCommandPropagation). */
function publish(shard: boolean) {
  return (c: Ctx) => {
    c.r.int(pubsubOf(c.server).publish(c.argv[1], c.argv[2], shard));
    c.forcePropagate = PROPAGATE_REPL;
  };
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]. */
function listChannels(which: (c: Ctx) => Registry) {
  return (c: Ctx) => {
    if (c.argv.length > 3) return c.r.error(subcommandSyntaxError(c));
    const pattern = c.argv.length === 3 ? c.argv[2] : null;
    const out: Buffer[] = [];
    for (const e of which(c).names.values()) if (!pattern || globMatch(pattern, e.name, false)) out.push(e.name);
    c.r.bulks(out);
  };
}

/** PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: each channel and its number of subscribers. */
function countSubscribers(which: (c: Ctx) => Registry) {
  return (c: Ctx) => {
    const reg = which(c);
    c.r.array((c.argv.length - 2) * 2);
    for (let i = 2; i < c.argv.length; i++) {
      c.r.bulk(c.argv[i]);
      c.r.int(reg.get(c.argv[i])?.clients.size ?? 0);
    }
  };
}

const channels = (c: Ctx) => pubsubOf(c.server).channels;
const shardChannels = (c: Ctx) => pubsubOf(c.server).shard;
/** Shard channels are keys to cluster routing but not to the keyspace (not_key). */
const NOT_KEY = "not_key";

export const pubsubCommands: CommandDef[] = [
  {
    name: "subscribe",
    arity: -2,
    flags: SUBSCRIBER_FLAGS,
    ...META,
    summary: "Listens for messages published to channels.",
    complexity: "O(N) where N is the number of channels to subscribe to.",
    handler: subscribe("channel", "SUBSCRIBE"),
  },
  {
    name: "unsubscribe",
    arity: -1,
    flags: SUBSCRIBER_FLAGS,
    ...META,
    summary: "Stops listening to messages posted to channels.",
    complexity: "O(N) where N is the number of channels to unsubscribe.",
    handler: unsubscribe("channel"),
  },
  {
    name: "psubscribe",
    arity: -2,
    flags: SUBSCRIBER_FLAGS,
    ...META,
    summary: "Listens for messages published to channels that match one or more patterns.",
    complexity: "O(N) where N is the number of patterns to subscribe to.",
    handler: subscribe("pattern", "PSUBSCRIBE"),
  },
  {
    name: "punsubscribe",
    arity: -1,
    flags: SUBSCRIBER_FLAGS,
    ...META,
    summary: "Stops listening to messages published to channels that match one or more patterns.",
    complexity: "O(N) where N is the number of patterns to unsubscribe.",
    handler: unsubscribe("pattern"),
  },
  {
    name: "publish",
    arity: 3,
    flags: "pubsub loading stale fast may_replicate sentinel",
    ...META,
    summary: "Posts a message to a channel.",
    complexity:
      "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
    handler: publish(false),
  },
  {
    name: "ssubscribe",
    arity: -2,
    flags: "pubsub noscript loading stale",
    keys: [1, -1, 1],
    keyFlags: NOT_KEY,
    group: "pubsub",
    since: "7.0.0",
    summary: "Listens for messages published to shard channels.",
    complexity: "O(N) where N is the number of shard channels to subscribe to.",
    handler: subscribe("shard", "SSUBSCRIBE"),
  },
  {
    name: "sunsubscribe",
    arity: -1,
    flags: "pubsub noscript loading stale",
    keys: [1, -1, 1],
    keyFlags: NOT_KEY,
    group: "pubsub",
    since: "7.0.0",
    summary: "Stops listening to messages posted to shard channels.",
    complexity: "O(N) where N is the number of shard channels to unsubscribe.",
    handler: unsubscribe("shard"),
  },
  {
    name: "spublish",
    arity: 3,
    flags: "pubsub loading stale fast may_replicate",
    keys: [1, 1, 1],
    keyFlags: NOT_KEY,
    group: "pubsub",
    since: "7.0.0",
    summary: "Post a message to a shard channel",
    complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
    handler: publish(true),
  },
  {
    name: "pubsub",
    arity: -2,
    group: "pubsub",
    since: "2.8.0",
    summary: "A container for Pub/Sub commands.",
    complexity: "Depends on subcommand.",
    handler: () => {},
    subcommands: [
      {
        name: "channels",
        arity: -2,
        flags: "pubsub loading stale",
        group: "pubsub",
        since: "2.8.0",
        summary: "Returns the active channels.",
        complexity:
          "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        handler: listChannels(channels),
      },
      {
        name: "numsub",
        arity: -2,
        flags: "pubsub loading stale",
        group: "pubsub",
        since: "2.8.0",
        summary: "Returns a count of subscribers to channels.",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        handler: countSubscribers(channels),
      },
      {
        name: "numpat",
        arity: 2,
        flags: "pubsub loading stale",
        group: "pubsub",
        since: "2.8.0",
        summary: "Returns a count of unique pattern subscriptions.",
        handler: (c) => c.r.int(pubsubOf(c.server).patterns.names.size),
      },
      {
        name: "shardchannels",
        arity: -2,
        flags: "pubsub loading stale",
        group: "pubsub",
        since: "7.0.0",
        summary: "Returns the active shard channels.",
        complexity:
          "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        handler: listChannels(shardChannels),
      },
      {
        name: "shardnumsub",
        arity: -2,
        flags: "pubsub loading stale",
        group: "pubsub",
        since: "7.0.0",
        summary: "Returns the count of subscribers of shard channels.",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        handler: countSubscribers(shardChannels),
      },
      {
        name: "help",
        arity: 2,
        flags: "loading stale",
        group: "pubsub",
        since: "6.2.0",
        summary: "Returns helpful text about the different subcommands.",
        handler: (c) => replyHelp(c, HELP),
      },
    ],
  },
];
