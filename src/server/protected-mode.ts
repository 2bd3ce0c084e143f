/**
 * protected-mode: with no password for the default user, only loopback and
 * unix socket clients may connect; others get Redis's explanation and are closed
 * (networking.c clientAcceptHandler).
 */
import type { ClientSocket } from "./lite-socket.js";

export const DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
  "In this mode connections are only accepted from the loopback interface. " +
  "If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  "by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
  "from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected " +
  "mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  "4) Set up an authentication password for the default user. " +
  "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/** Loopback or unix socket (Redis's connIsLocal). */
export function isLocalSocket(socket: ClientSocket): boolean {
  const a = socket.remoteAddress;
  return a === undefined || a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.");
}

/** Refuses the connection when protected mode says so (on the socket `refused()` gives); true when it was refused. */
export function refuseIfProtected(socket: ClientSocket, refused: () => ClientSocket, protectedMode: boolean, noPassword: boolean): boolean {
  if (!protectedMode || !noPassword || isLocalSocket(socket)) return false;
  const s = refused();
  s.end(DENIED, () => s.destroy());
  return true;
}
