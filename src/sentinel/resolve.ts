/**
 * Host name resolution for resolve-hostnames: Redis resolves names with a
 * blocking getaddrinfo() when it creates or compares an address; here the
 * system resolver is asked the same way, synchronously, through `getent hosts`
 * (the same NSS lookup), with a short cache so INFO parsing does not ask for
 * the same name again and again.
 */
import net from "node:net";
import { nodeChildProcess } from "../server/node-builtins.js";

const TTL_MS = 1000;
const cache = new Map<string, { ip: string | null; at: number }>();

/** The first address `host` resolves to, or null. */
export function resolveHost(host: string): string | null {
  if (net.isIP(host)) return host;
  const now = Date.now();
  const hit = cache.get(host);
  if (hit && now - hit.at < TTL_MS) return hit.ip;
  let ip: string | null = null;
  if (host.toLowerCase() === "localhost") ip = "127.0.0.1";
  else {
    // IPv4 first, then any family (an IPv6-only name).
    for (const db of ["ahostsv4", "ahosts"]) {
      const r = nodeChildProcess().spawnSync("getent", [db, host], { encoding: "latin1", timeout: 2000 });
      const first = r.status === 0 ? r.stdout.split(/\s+/)[0] : "";
      if (first && net.isIP(first)) {
        ip = first;
        break;
      }
    }
  }
  cache.set(host, { ip, at: now });
  return ip;
}
