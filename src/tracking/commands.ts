/**
 * The handlers of CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (their
 * table entries are in commands/client.ts). Argument checks and error texts
 * follow Redis 7.2's clientCommand, in its order.
 */
import type { Ctx } from "../commands/types.js";
import { echo, NOT_INT, SYNTAX } from "../commands/errors.js";
import { parseI64 } from "../protocol/numbers.js";
import { clientTracking, tracking, type TrackingOptions } from "./tracking.js";

const word = (b: Buffer) => b.toString("latin1").toLowerCase();

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP] */
export function clientTrackingCommand(c: Ctx): void {
  const { argv, r, server, client } = c;
  let redirect = 0;
  const opts: TrackingOptions = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = j < argv.length - 1;
    const opt = word(argv[j]);
    if (opt === "redirect" && more) {
      j++;
      if (redirect !== 0) return r.error("ERR A client can only redirect to a single other client");
      const id = parseI64(argv[j]);
      if (id === null) return r.error(NOT_INT);
      if (!server.clients.has(id)) return r.error("ERR The client ID you want redirect to does not exist");
      redirect = id;
    } else if (opt === "bcast") opts.bcast = true;
    else if (opt === "optin") opts.optin = true;
    else if (opt === "optout") opts.optout = true;
    else if (opt === "noloop") opts.noloop = true;
    else if (opt === "prefix" && more) prefixes.push(argv[++j].toString("latin1"));
    else return r.error(SYNTAX);
  }
  const mode = word(argv[2]);
  if (mode === "off") {
    tracking(server).disable(client);
    return r.ok();
  }
  if (mode !== "on") return r.error(SYNTAX);
  if (!opts.bcast && prefixes.length > 0) return r.error("ERR PREFIX option requires BCAST mode to be enabled");
  const st = clientTracking(server, client);
  if (client.flags.has("tracking") && client.flags.has("tracking-bcast") !== opts.bcast) {
    return r.error(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast && (opts.optin || opts.optout)) return r.error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  if (opts.optin && opts.optout) return r.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if ((opts.optin && st?.optout) || (opts.optout && st?.optin)) {
    return r.error(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast && !checkPrefixes(c, st?.prefixes ?? null, prefixes)) return;
  tracking(server).enable(client, redirect, opts, prefixes);
  r.ok();
}

/**
 * Redis's checkPrefixCollisionsOrReply: no new prefix may be a prefix of (or
 * have as prefix) one the client has or another new one. Redis 7.2 answers an
 * overlap between two new prefixes after the first with the error and then goes
 * on to enable tracking and answer +OK as well (two replies); so does this.
 */
function checkPrefixes(c: Ctx, existing: Set<string> | null, prefixes: string[]): boolean {
  const overlaps = (a: string, b: string) => (a.length <= b.length ? b.startsWith(a) : a.startsWith(b));
  const have = existing ? [...existing].sort() : [];
  for (let i = 0; i < prefixes.length; i++) {
    for (const old of have) {
      if (overlaps(old, prefixes[i])) {
        c.r.error(echo`ERR Prefix '${bytes(prefixes[i])}' overlaps with an existing prefix '${bytes(old)}'. Prefixes for a single client must not overlap.`);
        return false;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlaps(prefixes[i], prefixes[j])) {
        c.r.error(echo`ERR Prefix '${bytes(prefixes[i])}' overlaps with another provided prefix '${bytes(prefixes[j])}'. Prefixes for a single client must not overlap.`);
        return i !== 0;
      }
    }
  }
  return true;
}

/** A prefix's bytes (prefixes are kept as latin1 strings: one char per byte). */
const bytes = (s: string) => Buffer.from(s, "latin1");

/** CLIENT CACHING YES|NO */
export function clientCachingCommand(c: Ctx): void {
  const { client, r } = c;
  if (!client.flags.has("tracking")) {
    return r.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
  }
  const st = clientTracking(c.server, client);
  const opt = word(c.argv[2]);
  if (opt === "yes") {
    if (!st?.optin) return r.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
  } else if (opt === "no") {
    if (!st?.optout) return r.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
  } else return r.error(SYNTAX);
  st.caching = true;
  r.ok();
}

/** CLIENT GETREDIR: the redirect id (0: none), -1 when not tracking. */
export function clientGetredirCommand(c: Ctx): void {
  c.r.int(c.client.flags.has("tracking") ? c.client.trackingRedirect : -1);
}

/** CLIENT TRACKINGINFO: flags (a set), redirect, prefixes. */
export function clientTrackinginfoCommand(c: Ctx): void {
  const { client, r } = c;
  const st = clientTracking(c.server, client);
  const on = client.flags.has("tracking");
  const flags = [on ? "on" : "off"];
  if (client.flags.has("tracking-bcast")) flags.push("bcast");
  if (st?.optin) flags.push("optin", ...(st.caching ? ["caching-yes"] : []));
  if (st?.optout) flags.push("optout", ...(st.caching ? ["caching-no"] : []));
  if (st?.noloop) flags.push("noloop");
  if (client.flags.has("tracking-broken-redir")) flags.push("broken_redirect");
  r.map(3);
  r.bulk("flags");
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk("redirect");
  r.int(on ? client.trackingRedirect : -1);
  r.bulk("prefixes");
  const prefixes = st?.prefixes ? [...st.prefixes].sort() : [];
  r.array(prefixes.length);
  for (const p of prefixes) r.bulk(Buffer.from(p, "latin1"));
}
