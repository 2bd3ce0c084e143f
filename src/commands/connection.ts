/** Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET (CLIENT is in client.ts). */
import { parseDbIndex } from "./keys.js";
import type { CommandDef, Ctx } from "./types.js";
import { SYNTAX, echo } from "./errors.js";
import { parseI64 } from "../protocol/numbers.js";
import { REDIS_VERSION } from "../config/load.js";
import { validClientAttr } from "../server/client.js";
import { clientCommand, INVALID_NAME } from "./client.js";
import { engineHandler, withScriptForm } from "./engine-command.js";

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const PONG = Buffer.from("pong");
const NO_CLUSTER = "ERR This instance has cluster support disabled";
const EMPTY = Buffer.alloc(0);
const enginePing = engineHandler("ping");

/** Logs `user` in with `password`; replies with the error and returns false when refused. */
function authenticate(c: Ctx, user: Buffer, password: Buffer): boolean {
  if (!c.server.auth.authenticate(c.client, user, password, c.argv[0])) {
    c.r.error(WRONGPASS);
    return false;
  }
  return true;
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
function hello(c: Ctx): void {
  const { argv, r, client, server } = c;
  let ver = 0;
  let i = 1;
  if (argv.length >= 2) {
    const v = parseI64(argv[i++]);
    if (v === null) return r.error("ERR Protocol version is not an integer or out of range");
    if (v < 2 || v > 3) return r.error("NOPROTO unsupported protocol version");
    ver = v;
  }
  let user: Buffer | null = null;
  let pass: Buffer | null = null;
  let name: Buffer | null = null;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i].toString("latin1").toLowerCase();
    if (opt === "auth" && more >= 2) {
      user = argv[i + 1];
      pass = argv[i + 2];
      i += 2;
    } else if (opt === "setname" && more >= 1) {
      name = argv[++i];
      if (!validClientAttr(name)) return r.error(INVALID_NAME);
    } else {
      return r.error(echo`ERR Syntax error in HELLO option '${argv[i]}'`);
    }
  }
  if (user && pass && !authenticate(c, user, pass)) return;
  if (!client.authenticated) {
    return r.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (name) client.name = name.toString("latin1");
  if (ver) client.resp = ver as 2 | 3;
  r.resp = client.resp; // the reply already uses the new protocol
  // A sentinel says so and has no role (Redis's helloCommand).
  r.map(server.sentinelMode ? 6 : 7);
  r.bulk("server");
  r.bulk("redis");
  r.bulk("version");
  r.bulk(REDIS_VERSION);
  r.bulk("proto");
  r.int(client.resp);
  r.bulk("id");
  r.int(client.id);
  r.bulk("mode");
  r.bulk(server.sentinelMode ? "sentinel" : "standalone");
  if (!server.sentinelMode) {
    r.bulk("role");
    r.bulk(server.isReplica ? "replica" : "master");
  }
  r.bulk("modules");
  r.array(0);
}

export const connectionCommands: CommandDef[] = [
  {
    name: "ping",
    arity: -1,
    flags: "fast",
    acl: "fast connection",
    tips: "request_policy:all_shards response_policy:all_succeeded",
    // The engine's PING (native/src/connection.rs), which the batch path runs in pipelines too.
    handler: withScriptForm((c) => {
      if (c.argv.length <= 2 && c.client.resp === 2 && c.client.flags.size !== 0 && c.client.flags.has("pubsub")) {
        // RESP2 subscribers get an array, as a pushed message would be.
        c.r.array(2);
        c.r.bulk(PONG);
        c.r.bulk(c.argv.length === 2 ? c.argv[1] : EMPTY);
      } else enginePing(c);
    }, "ping"),
  },
  {
    name: "echo",
    arity: 2,
    flags: "loading stale fast",
    acl: "fast connection",
    // The engine's ECHO (native/src/connection.rs), which the batch path runs in pipelines too.
    handler: engineHandler("echo"),
  },
  {
    name: "select",
    arity: 2,
    flags: "loading stale fast",
    acl: "fast connection",
    handler: (c) => {
      const n = parseDbIndex(c, c.argv[1]);
      if (typeof n === "string") return c.r.error(n);
      c.client.db = n;
      c.r.ok();
    },
  },
  {
    name: "quit",
    arity: -1,
    flags: "allow_busy noscript loading stale fast no_auth",
    acl: "fast connection",
    handler: (c) => {
      c.r.ok();
      c.client.closeAfterReply = true;
    },
  },
  // Cluster mode's connection commands: this server has none (Redis without cluster-enabled).
  { name: "readonly", arity: 1, flags: "fast loading stale", acl: "fast connection", handler: (c) => c.r.error(NO_CLUSTER) },
  { name: "readwrite", arity: 1, flags: "fast loading stale", acl: "fast connection", handler: (c) => c.r.error(NO_CLUSTER) },
  {
    name: "auth",
    arity: -2,
    flags: "noscript loading stale fast no_auth allow_busy",
    acl: "fast connection",
    handler: (c) => {
      const { argv, r } = c;
      if (argv.length > 3) return r.error(SYNTAX);
      if (argv.length === 2) {
        if (c.server.auth.defaultUser.nopass) {
          return r.error(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
          );
        }
        if (authenticate(c, DEFAULT_USER, argv[1])) r.ok();
        return;
      }
      if (authenticate(c, argv[1], argv[2])) r.ok();
    },
  },
  {
    name: "hello",
    arity: -1,
    flags: "noscript loading stale fast no_auth allow_busy",
    acl: "fast connection",
    handler: hello,
  },
  {
    name: "reset",
    arity: 1,
    flags: "noscript loading stale fast no_auth allow_busy",
    acl: "fast connection",
    handler: (c) => {
      const f = c.client.flags;
      if ((f.has("slave") && !f.has("monitor")) || f.has("master")) {
        return c.r.error("ERR can only reset normal client connections");
      }
      c.server.resetClient(c.client);
      c.r.resp = c.client.resp;
      c.r.simple("RESET");
    },
  },
  clientCommand,
];

const DEFAULT_USER = Buffer.from("default");
