/**
 * Pattern subscriptions against redis-server: which channels each pattern
 * shape matches (src/pubsub/patterns.ts matches stars-only, literal, prefix,
 * suffix and both-sides patterns itself and leaves the rest to the engine's
 * glob). Compared as sets: Redis walks its patterns in hash order.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { messagesDuring } from "../helpers/subscriber.js";
import type { RespConnection } from "../diff/resp.js";

const PATTERNS = ["*", "**", "news.*", "news.**", "*.sport", "**.sport", "*mid*", "**mid**", "exact", "a?c", "h[ae]llo", "esc\\*", "\\**", "x*y", "*\\", "n\u00e9ws*", "[*"];
const CHANNELS = ["news.", "news.x", "news", "x.sport", ".sport", "sport", "amidb", "mid", "mi", "exact", "exactly", "xexact", "abc", "hello", "hallo", "hillo", "esc*", "escX", "esc\\x", "*", "*abc", "xy", "xzy", "x", "a\\", "n\u00e9ws.fr", "[", "[x"];

describe.runIf(haveRedisServer())("pattern subscriptions match as redis-server's", () => {
  const pair = useServerPair({ events: false });

  it("delivers each channel's message to the same patterns", async () => {
    const publish = (c: RespConnection) => c.send(CHANNELS.map((ch) => ["PUBLISH", ch, ch]));
    const [mine, theirs] = await Promise.all([
      messagesDuring(pair.nodis.port, PATTERNS, () => publish(pair.mine)),
      messagesDuring(pair.oracle.port, PATTERNS, () => publish(pair.theirs)),
    ]);
    expect(mine.length).toBeGreaterThan(CHANNELS.length);
    expect([...mine].sort()).toEqual([...theirs].sort());
  });
});
