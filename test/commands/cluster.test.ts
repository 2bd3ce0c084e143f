/**
 * The cluster commands on a standalone server, differential against
 * redis-server: each answers that cluster support is disabled, an unknown
 * subcommand or a wrong arity is refused first, and scripts may not run
 * CLUSTER RESET (noscript).
 */
import { describe, it } from "vitest";
import { haveRedisServer, useNodis } from "../helpers/nodis.js";
import { expectSameReplies, useOracle } from "../helpers/oracle.js";
import type { RespConnection } from "../diff/resp.js";

let conn: RespConnection;
useNodis({}, { conn: true }, (f) => {
  conn = f.conn;
});

describe.runIf(haveRedisServer())("cluster commands, as redis-server", () => {
  const oracle = useOracle();

  it("answer cluster support disabled, after the table's own checks", async () => {
    await expectSameReplies(conn, oracle.conn, [
      ["CLUSTER", "INFO"],
      ["CLUSTER", "HELP"],
      ["CLUSTER", "KEYSLOT", "foo"],
      ["CLUSTER", "NOSUCH"],
      ["CLUSTER", "KEYSLOT"],
      ["CLUSTER"],
      ["ASKING"],
      ["READONLY"],
      ["READWRITE"],
      ["READONLY", "extra"],
      ["EVAL", "return redis.call('cluster', 'reset')", "0"],
      ["EVAL", "return redis.pcall('cluster', 'info')", "0"],
    ]);
  });
});
