/**
 * One kind of subscription (channels, patterns or shard channels): each name to
 * its subscribers in subscription order, and each client to its names, so
 * publishing finds the subscribers of a name at once and a client leaving finds
 * its own names without a scan (Redis keeps the pair server.pubsub_channels and
 * c->pubsub_channels).
 */
import type { Client } from "../server/client.js";
import { Buffer } from "node:buffer";
import { frameHead } from "./frames.js";

/** A subscribed name and who listens to it. */
export interface Subscribed {
  /** The name's bytes (a copy: argv Buffers are views into the read chunk). */
  readonly name: Buffer;
  readonly clients: Set<Client>;
  /** The start of the frame of every message for this name (frames.ts). */
  readonly head: Buffer;
}

export class Registry {
  /**
   * `kind`: the first element of the frames of messages for these names
   * (message, pmessage, smessage); `counted`, when given, hears each name's
   * subscriber count as it changes (0: nobody listens to it any more).
   */
  constructor(
    private readonly kind: Buffer,
    private readonly counted?: (name: Buffer, clients: number) => void,
  ) {}

  /** Names (as latin1 strings, one char per byte) with at least one subscriber. */
  readonly names = new Map<string, Subscribed>();
  /**
   * The same entries by a hash of the name's bytes (those sharing a hash in one
   * list), so PUBLISH finds its channel without making a string of it.
   */
  private readonly byHash = new Map<number, Subscribed[]>();
  private readonly ofClient = new Map<Client, Map<string, Subscribed>>();

  /** Subscribes `client` to `name`: false when it already was. */
  add(client: Client, name: Buffer): boolean {
    const key = name.toString("latin1");
    let mine = this.ofClient.get(client);
    if (mine?.has(key)) return false;
    let entry = this.names.get(key);
    if (!entry) {
      entry = { name: Buffer.from(name), clients: new Set(), head: frameHead(this.kind, name) };
      this.names.set(key, entry);
      const h = hashBytes(name, 0, name.length);
      const same = this.byHash.get(h);
      if (same) same.push(entry);
      else this.byHash.set(h, [entry]);
    }
    entry.clients.add(client);
    if (!mine) this.ofClient.set(client, (mine = new Map()));
    mine.set(key, entry);
    this.counted?.(entry.name, entry.clients.size);
    return true;
  }

  /** Unsubscribes `client` from `name`: false when it was not subscribed. A name nobody listens to is forgotten. */
  remove(client: Client, name: Buffer): boolean {
    return this.removeKey(client, name.toString("latin1"));
  }

  private removeKey(client: Client, key: string): boolean {
    const mine = this.ofClient.get(client);
    const entry = mine?.get(key);
    if (!mine || !entry) return false;
    mine.delete(key);
    if (mine.size === 0) this.ofClient.delete(client);
    entry.clients.delete(client);
    if (entry.clients.size === 0) {
      this.names.delete(key);
      const h = hashBytes(entry.name, 0, entry.name.length);
      const same = this.byHash.get(h)!;
      if (same.length === 1) this.byHash.delete(h);
      else same.splice(same.indexOf(entry), 1);
    }
    this.counted?.(entry.name, entry.clients.size);
    return true;
  }

  /** The names `client` is subscribed to, in subscription order (a copy: the caller may unsubscribe while walking it). */
  namesOf(client: Client): Buffer[] {
    const mine = this.ofClient.get(client);
    if (!mine) return [];
    return [...mine.values()].map((e) => e.name);
  }

  countOf(client: Client): number {
    return this.ofClient.get(client)?.size ?? 0;
  }

  /** The subscribers of `name`, or undefined when nobody listens to it. */
  get(name: Buffer): Subscribed | undefined {
    return this.getIn(name, 0, name.length);
  }

  /** get() of the name at src[start, end) (the batch path's input: no Buffer made for it). */
  getIn(src: Buffer, start: number, end: number): Subscribed | undefined {
    const same = this.byHash.get(hashBytes(src, start, end));
    if (same === undefined) return undefined;
    for (let i = 0; i < same.length; i++) if (sameBytes(same[i].name, src, start, end)) return same[i];
    return undefined;
  }

  /** Drops every subscription of `client`, without replies (RESET, a closed connection). */
  dropClient(client: Client): void {
    const mine = this.ofClient.get(client);
    if (!mine) return;
    for (const key of [...mine.keys()]) this.removeKey(client, key);
  }
}

/** FNV-1a of b[start, end), kept to 30 bits (a small integer V8 hashes as it is). */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h & 0x3fffffff;
}

/** Whether `a` holds the bytes of b[start, end). */
function sameBytes(a: Buffer, b: Buffer, start: number, end: number): boolean {
  const n = a.length;
  if (n !== end - start) return false;
  if (n > 32) return a.compare(b, start, end) === 0;
  for (let i = 0; i < n; i++) if (a[i] !== b[start + i]) return false;
  return true;
}
