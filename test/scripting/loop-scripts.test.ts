/**
 * What a script's crossing to JavaScript may do in the middle of the read
 * loop's turn (native/src/api/reads.rs WORD_SCRIPTS, batch.rs Scripts::Whole:
 * a read that is one EVALSHA or FCALL runs its script in the loop): close a
 * subscriber its PUBLISH puts over the output limit, and make the server stop
 * reading subscribers whose output backs up (the reader's PENDING_OPS). The
 * replies, statistics, slow log, events and blocked clients of scripts run
 * there are compared with Redis's in batch-scripts.test.ts.
 */
import { describe, expect, it } from "vitest";
import { oneByOne } from "../helpers/one-by-one.js";
import { Subscriber } from "../helpers/subscriber.js";
import { haveRedisServer } from "../helpers/nodis.js";
import { useServerPair } from "../helpers/pair.js";
import { RespConnection, show } from "../diff/resp.js";

describe.runIf(haveRedisServer())("scripting: EVALSHA and FCALL in the read loop", () => {
  const pair = useServerPair({ events: false });
  const inLoop = () => pair.nodis.server.batchPath.loopCommands;

  it("closes a subscriber a script's PUBLISH puts over its output limit", async () => {
    const body = "return redis.call('publish', 'big', string.rep('x', 1048576))";
    const run = async (conn: RespConnection, port: number) => {
      await conn.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0");
      const s = (await conn.call("SCRIPT", "LOAD", body)).toString().split("\r\n")[1];
      // Its first run registers it (no subscriber yet); the next ones run in the loop.
      await conn.call("EVALSHA", s, "0");
      const sub = await Subscriber.open(port, "SUBSCRIBE", "big");
      // The subscriber reads nothing: what the kernel does not take stays in its output, past the hard limit.
      sub.reading(false);
      try {
        const replies = (await oneByOne(conn, Array.from({ length: 40 }, () => ["EVALSHA", s, "0"]))).map(String);
        return [replies, String(await conn.call("PUBSUB", "NUMSUB", "big"))];
      } finally {
        sub.close();
        await conn.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
      }
    };
    const before = inLoop();
    for (const [conn, port] of [[pair.mine, pair.nodis.port], [pair.theirs, pair.oracle.port]] as const) {
      const [replies, numsub] = await run(conn, port);
      // One receiver until it is closed, none after.
      const closedAt = replies.indexOf(":0\r\n");
      expect(closedAt).toBeGreaterThan(0);
      expect(replies.slice(0, closedAt).every((r) => r === ":1\r\n")).toBe(true);
      expect(replies.slice(closedAt).every((r) => r === ":0\r\n")).toBe(true);
      expect(numsub).toBe("*2\r\n$3\r\nbig\r\n:0\r\n");
    }
    expect(inLoop() - before).toBeGreaterThanOrEqual(40);
    expect(show(await pair.mine.call("PING"))).toBe(show("+PONG\r\n"));
  });

  it("delivers every message to subscribers whose output backs up while scripts publish from the loop", async () => {
    const body = "return redis.call('publish', 'flood', ARGV[1] .. string.rep('y', 262144))";
    const s = (await pair.mine.call("SCRIPT", "LOAD", body)).toString().split("\r\n")[1];
    // No output limit: the one that reads nothing gets past the 16 MB at which the server stops reading a client.
    await pair.mine.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 0 0");
    const subs = await Promise.all([0, 1, 2].map(() => Subscriber.open(pair.nodis.port, "SUBSCRIBE", "flood")));
    // One reads nothing until the scripts are done: its output backs up and the server stops reading it.
    subs[2].reading(false);
    try {
      await pair.mine.call("EVALSHA", s, "0", "warm");
      const before = inLoop();
      const senders = await Promise.all([0, 1, 2, 3].map(() => RespConnection.connect(pair.nodis.port)));
      try {
        await Promise.all(senders.map((c, i) => oneByOne(c, Array.from({ length: 50 }, (_, j) => ["EVALSHA", s, "0", `${i}:${j}:`]))));
      } finally {
        for (const c of senders) c.close();
      }
      subs[2].reading(true);
      for (const sub of subs) await sub.until((m) => m.length >= 202);
      for (const sub of subs) {
        const got = sub.messages.slice(2).map((m) => m.toString("latin1").split("\r\n")[6].split(":").slice(0, 2).join(":"));
        for (let i = 0; i < 4; i++) {
          const mine = got.filter((g) => g.startsWith(`${i}:`));
          expect(mine).toEqual(Array.from({ length: 50 }, (_, j) => `${i}:${j}`));
        }
      }
      expect(inLoop() - before).toBeGreaterThan(50);
    } finally {
      for (const sub of subs) sub.close();
      await pair.mine.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
    }
  });
});
