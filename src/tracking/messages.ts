/**
 * The bytes of tracking messages (tracking.c's sendTrackingMessage and
 * trackingBuildBroadcastReply). A message is a head (who it is for and how it
 * is framed) and a value: the array of invalidated keys, or a null for "all
 * keys" (FLUSHDB/FLUSHALL).
 */

/** RESP3 push head of an invalidation. */
export const PUSH_HEAD = Buffer.from(">2\r\n$10\r\ninvalidate\r\n");
/** RESP2 head for a redirect client in pub/sub mode: a message on __redis__:invalidate. */
export const PUBSUB_HEAD = Buffer.from("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");

/** The null value of a flush, in the protocol of the tracking client (not its redirect target: as Redis). */
export function nullValue(resp: 2 | 3): Buffer {
  return resp === 3 ? NULL3 : NULL2;
}
const NULL3 = Buffer.from("_\r\n");
const NULL2 = Buffer.from("$-1\r\n");

/** An array of one key. */
export function oneKeyValue(key: string): Buffer {
  return keysValue([key]);
}

/** An array of bulk strings: the keys of one invalidation. */
export function keysValue(keys: string[]): Buffer {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += `$${k.length}\r\n${k}\r\n`;
  return Buffer.from(s, "latin1");
}

/** `>2 tracking-redir-broken <id>`: the redirect client went away (RESP3 tracking clients only). */
export function redirBroken(id: number): Buffer {
  return Buffer.from(`>2\r\n$21\r\ntracking-redir-broken\r\n:${id}\r\n`);
}
