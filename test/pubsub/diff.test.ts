/**
 * Pub/Sub against redis-server, byte for byte: the same subscribe / publish /
 * unsubscribe / PUBSUB sequences on a subscriber (a) and a publisher (b) in
 * RESP2 and RESP3, including subscribed-mode errors. Debian's redis-server is
 * 7.0: the two things 7.2 changed (a RESP3 client's own message comes after
 * its PUBLISH reply; pushes pass CLIENT REPLY OFF) are asserted with 7.2's
 * answers in test/commands/pubsub.test.ts, not here.
 */
import { describe, expect, it } from "vitest";
import { haveRedisServer, startRedis, useNodis } from "../helpers/nodis.js";
import type { RunningServer } from "../../src/index.js";
import { RawConn } from "../server/raw-conn.js";

let srv: RunningServer;
useNodis({}, {}, (f) => ({ srv } = f));

/**
 * One step: who sends (a: the subscriber, b: the publisher), how many replies
 * to read from it, then the command (none: only read). `sorted` steps read
 * replies whose order is a hash order in Redis (unsubscribe from all).
 */
type Step = [who: "a" | "b", replies: number, ...argv: (string | Buffer)[]];
const SORTED = Symbol("sorted");
type Script = (Step | [typeof SORTED, Step])[];

/** Runs `script` against the server on `port`; returns what each step read. */
async function transcript(port: number, resp: 2 | 3, script: Script): Promise<string[]> {
  const a = await RawConn.open(port);
  const b = await RawConn.open(port);
  try {
    if (resp === 3) for (const c of [a, b]) await c.call("HELLO", "3");
    const out: string[] = [];
    for (const item of script) {
      const sorted = item[0] === SORTED;
      const [who, n, ...argv] = (sorted ? item[1] : item) as Step;
      const c = who === "a" ? a : b;
      if (argv.length > 0) c.send(...argv);
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push(await c.reply());
      // Hash order in Redis: compare the names as a set, and the counts in order.
      if (sorted) got.splice(0, got.length, ...got.map((g) => g.replace(/:\d+\r\n$/, "")).sort(), ...got.map((g) => g.match(/:\d+\r\n$/)?.[0] ?? ""));
      out.push(`${who} ${argv.map(String).join(" ")} -> ${JSON.stringify(got)}`);
    }
    return out;
  } finally {
    a.close();
    b.close();
  }
}

const BASICS: Script = [
  ["a", 2, "SUBSCRIBE", "c1", "c2"],
  ["a", 1, "PSUBSCRIBE", "c*"],
  ["a", 2, "SUBSCRIBE", "c1", "c3"],
  ["b", 1, "PUBLISH", "c1", "hello"],
  ["a", 2], // message, then pmessage
  ["b", 1, "PUBLISH", "zz", "nobody"],
  ["b", 1, "PUBLISH", "cX", ""],
  ["a", 1],
  ["b", 1, "PUBSUB", "NUMSUB", "c1", "c2", "zz"],
  ["b", 1, "PUBSUB", "NUMPAT"],
  ["b", 1, "PUBSUB", "CHANNELS", "c1"],
  ["b", 1, "PUBSUB", "CHANNELS", "nomatch*"],
  ["a", 1, "UNSUBSCRIBE", "c1"],
  ["a", 2, "UNSUBSCRIBE", "nope", "c3"],
  ["a", 1, "PUNSUBSCRIBE"],
  ["a", 1, "PUNSUBSCRIBE"],
  ["a", 1, "UNSUBSCRIBE"],
  ["a", 1, "UNSUBSCRIBE"],
  ["a", 1, "PING"],
  ["a", 3, "SSUBSCRIBE", "s1", "s1", "s2"],
  ["a", 1, "SUBSCRIBE", "plain"],
  ["b", 1, "SPUBLISH", "s1", "shard-msg"],
  ["b", 1, "SPUBLISH", "plain", "not-a-shard-subscriber"],
  ["a", 1],
  ["b", 1, "PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"],
  ["b", 1, "PUBSUB", "SHARDCHANNELS", "s1"],
  ["b", 1, "PUBSUB", "SHARDCHANNELS", "x*"],
  ["a", 1, "SUNSUBSCRIBE", "s2"],
  ["a", 1, "SUNSUBSCRIBE"],
  ["a", 1, "SUNSUBSCRIBE"],
  ["a", 1, "UNSUBSCRIBE"],
  ["b", 1, "PUBSUB", "NUMSUB"],
  ["b", 1, "PUBSUB", "SHARDNUMSUB"],
];

const MANY_AT_ONCE: Script = [
  ["a", 3, "SUBSCRIBE", "m1", "m2", "m3"],
  ["a", 2, "PSUBSCRIBE", "m*", "?2"],
  ["b", 1, "PUBLISH", "m2", "x"],
  [SORTED, ["a", 3]], // patterns are walked in hash order (the message frames end with no count: compared as a set)
  [SORTED, ["a", 3, "UNSUBSCRIBE"]],
  [SORTED, ["a", 2, "PUNSUBSCRIBE"]],
  ["a", 2, "SSUBSCRIBE", "z1", "z2"],
  [SORTED, ["a", 2, "SUNSUBSCRIBE"]],
];

const SUBSCRIBED_MODE: Script = [
  ["a", 1, "SUBSCRIBE", "sm"],
  ["a", 1, "PING"],
  ["a", 1, "PING", "arg"],
  ["a", 1, "GET", "k"],
  ["a", 1, "SET", "k", "v"],
  ["a", 1, "PUBLISH", "elsewhere", "x"],
  ["a", 1, "PUBSUB", "NUMSUB", "sm"],
  ["a", 1, "CONFIG", "GET", "hz"],
  ["a", 1, "CLIENT", "ID2"],
  ["a", 1, "NOSUCH", "x"],
  ["a", 1, "GET"],
  ["a", 1, "SUBSCRIBE"],
  ["a", 1, "PSUBSCRIBE", "p*"],
  ["a", 1, "SSUBSCRIBE", "sh"],
  ["a", 1, "PUNSUBSCRIBE", "p*"],
  ["a", 1, "SUNSUBSCRIBE", "sh"],
  ["a", 1, "RESET"],
  ["b", 1, "PUBSUB", "NUMSUB", "sm"],
  ["a", 1, "GET", "k"],
  ["a", 1, "PING"],
  ["a", 1, "SUBSCRIBE", "sm2"],
  ["a", 1, "QUIT"],
];

const BINARY: Script = [
  ["a", 1, "SUBSCRIBE", Buffer.from([0, 0xff, 13, 10])],
  ["a", 1, "PSUBSCRIBE", Buffer.from([0x2a, 0])],
  ["b", 1, "PUBLISH", Buffer.from([0, 0xff, 13, 10]), Buffer.alloc(70000, 0x61)],
  ["a", 1],
  ["b", 1, "PUBLISH", Buffer.from([0x61, 0]), Buffer.from("\r\n")],
  ["a", 1],
];

const ERRORS: Script = [
  ["b", 1, "PUBLISH", "only-channel"],
  ["b", 1, "SPUBLISH", "x"],
  ["b", 1, "PUBSUB"],
  ["b", 1, "PUBSUB", "NUMPAT", "x"],
  ["b", 1, "PUBSUB", "CHANNELS", "a", "b"],
  ["b", 1, "PUBSUB", "SHARDCHANNELS", "a", "b"],
  ["b", 1, "PUBSUB", "HELP", "x"],
  ["b", 1, "PUBSUB", "bogus"],
  ["b", 1, "COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b"],
  ["b", 1, "COMMAND", "GETKEYS", "SPUBLISH", "a", "m"],
];

const SCRIPTS: [string, Script][] = [
  ["basics", BASICS],
  ["several names at once", MANY_AT_ONCE],
  ["subscribed mode", SUBSCRIBED_MODE],
  ["binary names and payloads", BINARY],
  ["errors and help", ERRORS],
];

describe.runIf(haveRedisServer())("pub/sub replies match redis-server", () => {
  for (const resp of [2, 3] as const) {
    for (const [name, script] of SCRIPTS) {
      it(`${name} (RESP${resp})`, async () => {
        const redis = await startRedis();
        try {
          const theirs = await transcript(redis.port, resp, script);
          const mine = await transcript(srv.port, resp, script);
          expect(mine).toEqual(theirs);
        } finally {
          await redis.stop();
        }
      });
    }
  }
});
