import type { Arg, RespConnection } from "../diff/resp.js";

/** Sends each command alone and waits for its reply before the next (one command a read, as a client with no pipeline). */
export async function oneByOne(conn: RespConnection, cmds: Arg[][]): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  for (const c of cmds) replies.push(await conn.call(...c));
  return replies;
}
