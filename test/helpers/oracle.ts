/** Debian's redis-server as the oracle for a describe block, and a byte-for-byte reply comparison. */
import { afterAll, beforeAll, expect } from "vitest";
import { RespConnection, show, type Arg } from "../diff/resp.js";
import { startRedis } from "./nodis.js";

/** Starts redis-server for the enclosing describe block; `conn` talks to it once beforeAll ran. */
export function useOracle(): { readonly conn: RespConnection } {
  let oracle: { port: number; stop(): Promise<void> } | undefined;
  let conn: RespConnection | undefined;
  beforeAll(async () => {
    oracle = await startRedis();
    conn = await RespConnection.connect(oracle.port);
  });
  afterAll(async () => {
    conn?.close();
    await oracle?.stop();
  });
  return {
    get conn() {
      if (!conn) throw new Error("the oracle is not started yet");
      return conn;
    },
  };
}

/** Empties both servers (and selects db 0), sends them the same commands and expects the same reply bytes. */
export async function expectSameReplies(mine: RespConnection, theirs: RespConnection, cmds: Arg[][]): Promise<void> {
  for (const k of [mine, theirs]) {
    await k.call("flushall");
    await k.call("select", "0");
  }
  const [a, b] = await Promise.all([mine.send(cmds), theirs.send(cmds)]);
  cmds.forEach((argv, i) => expect(show(a[i]), argv.map(String).join(" ")).toBe(show(b[i])));
}
