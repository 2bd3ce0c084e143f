import type { ClientSocket } from "./lite-socket.js";
import { RequestParser } from "../protocol/parser.js";
import type { MultiState } from "../multi/transactions.js";
import type { PendingRanges } from "./output.js";
import { SUPERUSER, type User } from "../acl/user.js";
import { REPLY_CHUNK_BYTES } from "./reply-buffer.js";

/** CLIENT REPLY state bits (Redis's CLIENT_REPLY_OFF / _SKIP / _SKIP_NEXT). */
export const REPLY_OFF = 1;
export const REPLY_SKIP = 2;
export const REPLY_SKIP_NEXT = 4;

/** The id of the fake client the AOF is replayed by (Redis's CLIENT_ID_AOF, UINT64_MAX). */
export const AOF_CLIENT_ID = Number.MAX_SAFE_INTEGER;

/** Client classes, as CLIENT LIST TYPE, CLIENT KILL TYPE and client-output-buffer-limit name them. */
export type ClientType = "normal" | "slave" | "pubsub" | "master";

/**
 * Names other features put in `Client.flags`, with the letter CLIENT LIST shows
 * for each, in Redis's order. "slave" with "monitor" shows as O.
 */
const FLAG_LETTERS: [string, string][] = [
  ["master", "M"],
  ["pubsub", "P"],
  ["multi", "x"], // shown while multiCount >= 0 (not a member of `flags`)
  ["blocked", "b"], // also shown for `blocked` and postponed clients
  ["tracking", "t"],
  ["tracking-broken-redir", "R"],
  ["tracking-bcast", "B"],
  ["dirty-cas", "d"],
];

/** One connection's state: what CLIENT LIST shows and what dispatch consults. */
/** The fixed cost counted per client in tot-mem (Redis's sizeof(client) and its allocations). */
const CLIENT_STRUCT_SIZE = 2048;
/** Redis's sizeof(multiCmd) per queued command. */
const MULTI_SLOT_SIZE = 32;

export class Client {
  db = 0;
  resp: 2 | 3 = 2;
  name = "";
  libName = "";
  libVer = "";
  /** The ACL user (src/acl); AOF and master clients run as the superuser (no checks). */
  user: User = SUPERUSER;
  authenticated: boolean;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  /** Last command run, for CLIENT LIST's cmd= field. */
  lastCommand = "NULL";
  /** Reply after this batch, then close (QUIT, protocol errors, CLIENT KILL of itself). */
  closeAfterReply = false;
  /** Being closed: output limits or CLIENT KILL (CLIENT LIST flag A). */
  closeAsap = false;
  closed = false;
  /** CLIENT REPLY bits (REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT); 0 when replies are sent. */
  replyFlags = 0;
  /** CLIENT NO-EVICT / NO-TOUCH. */
  noEvict = false;
  noTouch = false;
  /**
   * Flags other features attach: "pubsub", "monitor", "slave", "master",
   * "blocked", "tracking", "tracking-bcast", "tracking-broken-redir", "dirty-cas",
   * "readonly" (cluster READONLY). CLIENT LIST and the client type read them.
   * Transaction state, set and cleared per transaction, has fields of its own
   * (`multiCount`, `denyBlocking`): a Set entry added and deleted per command costs.
   */
  flags = new Set<string>();
  /** Subscription counts, kept by pub/sub (CLIENT LIST sub= psub= ssub=). */
  sub = 0;
  psub = 0;
  ssub = 0;
  /** Commands queued in MULTI, or -1 outside one (kept by MULTI/EXEC); CLIENT LIST flag x while >= 0. */
  multiCount = -1;
  /** Keys this client WATCHes (kept by multi/watch.ts): its transactions go the usual way, which checks them. */
  watching = 0;
  /**
   * Set while EXEC runs the client's commands (Redis's CLIENT_DENY_BLOCKING): commands
   * that need a reply of their own (MONITOR, blocking ones, SUBSCRIBE outside MULTI) refuse.
   */
  denyBlocking = false;
  /** Whether the queued transaction holds a write (CLIENT PAUSE WRITE holds its EXEC). */
  multiWrites = false;
  /** Whether the queued transaction holds a command a stale replica refuses (EXEC then answers -MASTERDOWN). */
  multiNotStale = false;
  /** The commands queued in MULTI, kept by src/multi (null until the first MULTI). */
  multiState: MultiState | null = null;
  /** CLIENT TRACKING REDIRECT target, -1 when not tracking (kept by tracking). */
  trackingRedirect = -1;
  /**
   * Set by a blocking command (BLPOP, WAIT, ...): the server runs none of this client's
   * further commands until the blocking code clears it and calls `server.resume(client)`.
   * Also set while CLIENT PAUSE holds a command (`postponed`), as Redis counts those blocked.
   */
  blocked = false;
  /** CLIENT UNBLOCK: set by the blocking code while blocked; answers as a timeout or with -UNBLOCKED. */
  unblock: ((withError: boolean) => void) | null = null;
  /** Time (µs) a blocked command ran before it blocked: counted with the call when it completes (Redis's c->duration). */
  blockedUsec = 0;
  /** The replication offset after this client's last write (Redis's woff): what WAIT and WAITAOF wait for. */
  woff = 0;
  /** Set while a blocked command runs again or ends without running (MONITOR saw it already). */
  reprocessing = false;
  /** A command held by CLIENT PAUSE until the pause ends. */
  postponed: Buffer[] | null = null;
  /** Input processing stopped on a big batch of replies; it goes on at the socket's 'drain'. */
  outputWait = false;
  /** When the output went over the soft limit of its class (ms), 0 when under. */
  softLimitSince = 0;
  /** Output written outside the client's own batch, waiting for the end of the event-loop turn (Server.writeTo, server/output.ts). */
  pendingOut: PendingRanges | null = null;
  pendingBytes = 0;
  /** The query buffer's size and recent peak as Redis would keep them (src/server/query-buffer.ts). */
  qbAlloc = 0;
  qbPeak = 0;
  /**
   * A command the read loop holds while its big last argument comes
   * (native/src/api/held.rs): the argument's bytes come so far, its length
   * (-1: none held) and the other arguments' length, for CLIENT LIST.
   */
  heldQbuf = 0;
  heldBulk = -1;
  heldArgv = 0;
  /** The static reply buffer's size and recent peak as Redis would keep them (src/server/reply-buffer.ts). */
  rbSize = REPLY_CHUNK_BYTES;
  rbPeak = 0;
  rbPeakResetAt = Date.now();
  /** Bytes of the last batch's replies (CLIENT LIST rbp=). */
  lastBatchBytes = 0;
  readonly parser: RequestParser;
  readonly addr: string;
  private localAddr: string | null = null;
  readonly fd: number;
  /** The client's slot in the addon's socket reading (src/server/native-reads.ts), -1 while Node reads its socket. */
  readSlot = -1;
  /** Reading stopped while its output backs up (the addon's reading; Node's has socket.isPaused()). */
  readStopped = false;
  /** Connected over the unix socket (CLIENT LIST flag U). */
  readonly unixSocket: boolean;

  constructor(
    readonly id: number,
    readonly socket: ClientSocket,
    opts: { limits: { maxBulkLen: number }; authRequired: boolean; unixSocket?: string | null },
  ) {
    this.authenticated = !opts.authRequired;
    this.parser = new RequestParser(opts.limits, () => this.authenticated);
    // Unix socket clients show the socket's path with port 0, as in Redis.
    this.unixSocket = opts.unixSocket != null;
    this.addr = this.unixSocket ? `${opts.unixSocket}:0` : formatAddr(socket.remoteAddress, socket.remotePort);
    const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
    this.fd = typeof handle?.fd === "number" ? handle.fd : -1;
  }

  /** The local address (CLIENT LIST laddr=), asked of the socket the first time it is wanted. */
  get laddr(): string {
    return (this.localAddr ??= this.unixSocket ? this.addr : formatAddr(this.socket.localAddress, this.socket.localPort));
  }

  /** Whether reading the client's socket is stopped (its output backs up). */
  readingPaused(): boolean {
    return this.readSlot >= 0 ? this.readStopped : this.socket.isPaused();
  }

  /** The class Redis puts the client in (getClientType). MONITOR clients are normal. */
  type(): ClientType {
    const f = this.flags;
    if (f.size === 0) return "normal";
    if (f.has("master")) return "master";
    if (f.has("slave") && !f.has("monitor")) return "slave";
    if (f.has("pubsub")) return "pubsub";
    return "normal";
  }

  /** CLIENT LIST's flags= letters. */
  flagLetters(): string {
    let s = "";
    const f = this.flags;
    if (f.has("slave")) s += f.has("monitor") ? "O" : "S";
    else if (f.has("monitor")) s += "O";
    for (const [name, letter] of FLAG_LETTERS) {
      if (f.has(name) || (letter === "x" && this.multiCount >= 0) || (letter === "b" && (this.blocked || this.postponed !== null))) s += letter;
    }
    if (this.closeAfterReply) s += "c";
    if (f.has("unblocked")) s += "u";
    if (this.closeAsap) s += "A";
    if (this.unixSocket) s += "U";
    if (f.has("readonly")) s += "r";
    if (this.noEvict) s += "e";
    if (this.noTouch) s += "T";
    return s === "" ? "N" : s;
  }

  /**
   * One CLIENT LIST / CLIENT INFO line (without the newline), fields in Redis 7.2's order.
   * `current` is true for the client running the command (its query buffer still holds it),
   * `argv` that command's arguments (argv-mem).
   */
  /** What the client's buffers hold now: unparsed input and output not yet written (used_memory counts it). */
  bufferMemory(): number {
    return this.parser.pending + this.socket.writableLength + this.pendingBytes;
  }

  /**
   * CLIENT LIST's tot-mem of a client not running a command, besides what the
   * server's features keep for it (client-eviction.ts adds those): the query
   * buffer's allocation, the arguments parsed of an unfinished command, the
   * output not yet written, MULTI's queue, the reply buffer and the client itself.
   */
  totalMemory(): number {
    const qbuf = this.parser.queryLen + this.heldQbuf;
    const out = this.socket.writableLength + this.pendingBytes;
    return (this.qbAlloc > qbuf ? this.qbAlloc : qbuf) + this.parser.argvBytes + this.heldArgv + out + this.multiMemory() + this.rbSize + CLIENT_STRUCT_SIZE;
  }

  /** CLIENT LIST's multi-mem: the commands queued in MULTI (their arguments and a slot each, as Redis's multiStateMemOverhead). */
  multiMemory(): number {
    const st = this.multiState;
    if (st === null || this.multiCount <= 0) return 0;
    let bytes = 0;
    for (let i = 0; i < this.multiCount; i++) {
      const argv = st.argvs[i];
      if (argv) for (const a of argv) bytes += a.length;
    }
    return bytes + this.multiCount * MULTI_SLOT_SIZE;
  }

  info(now: number, current: boolean, argv: Buffer[] | null = null, featuresMem = 0): string {
    const qbuf = current ? this.parser.received : this.parser.queryLen + this.heldQbuf;
    const qbufFree = this.qbAlloc > qbuf ? this.qbAlloc - qbuf : 0;
    let argvMem = current ? 0 : this.parser.argvBytes + this.heldArgv;
    if (current && argv) for (const a of argv) argvMem += a.length;
    const omem = this.socket.writableLength + this.pendingBytes;
    const rbs = this.rbSize;
    const rbp = this.rbPeak;
    const events = (this.readingPaused() ? "" : "r") + (omem > 0 ? "w" : "");
    const multiMem = this.multiMemory();
    const totMem = qbuf + qbufFree + argvMem + multiMem + omem + rbs + CLIENT_STRUCT_SIZE + featuresMem;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd} name=${this.name}` +
      ` age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)}` +
      ` flags=${this.flagLetters()} db=${this.db} sub=${this.sub} psub=${this.psub} ssub=${this.ssub}` +
      ` multi=${this.multiCount} qbuf=${qbuf} qbuf-free=${qbufFree} argv-mem=${argvMem} multi-mem=${multiMem}` +
      ` rbs=${rbs} rbp=${rbp} obl=0 oll=${omem > 0 ? 1 : 0} omem=${omem} tot-mem=${totMem}` +
      ` events=${events} cmd=${this.lastCommand} user=${this.user.name} redir=${this.trackingRedirect}` +
      ` resp=${this.resp} lib-name=${this.libName} lib-ver=${this.libVer}`
    );
  }
}

/** ip:port as Redis prints it: IPv6 in brackets, IPv4-mapped IPv6 as plain IPv4. */
function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (!ip) return "?:0";
  if (ip.startsWith("::ffff:") && ip.includes(".")) ip = ip.slice(7);
  return ip.includes(":") ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** Client names and lib attributes: printable ASCII without spaces ('!'..'~'). */
export function validClientAttr(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] < 33 || b[i] > 126) return false;
  return true;
}
