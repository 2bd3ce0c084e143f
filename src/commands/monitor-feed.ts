/** Feeding MONITOR clients: each command as a line, arguments quoted as Redis's sdscatrepr does. */
import type { Client } from "../server/client.js";
import type { Server } from "../server/server.js";

/** An argument as Redis's sdscatrepr quotes it. */
export function repr(b: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const ch = b[i];
    switch (ch) {
      case 0x5c:
        s += "\\\\";
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += "\\n";
        break;
      case 0x0d:
        s += "\\r";
        break;
      case 0x09:
        s += "\\t";
        break;
      case 0x07:
        s += "\\a";
        break;
      case 0x08:
        s += "\\b";
        break;
      default:
        s += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : "\\x" + ch.toString(16).padStart(2, "0");
    }
  }
  return s + '"';
}

/** `+1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"` to every monitor. */
/** `lua`: a script's command (Redis shows its Lua client as "lua"). */
export function feedMonitors(server: Server, monitors: Set<Client>, client: Client, argv: Buffer[], redact: Set<number> | null, lua = false): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const stamp = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
  const who = lua || client.flags.has("lua") ? "lua" : client.addr;
  let line = `+${stamp} [${client.db} ${who}]`;
  for (let j = 0; j < argv.length; j++) line += " " + (redact?.has(j) ? '"(redacted)"' : repr(argv[j]));
  const bytes = Buffer.from(line + "\r\n", "latin1");
  for (const m of monitors) server.writeTo(m, bytes);
}
