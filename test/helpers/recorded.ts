/**
 * A Nodis of a test file's own with a raw connection, recording every unit it
 * propagates as text ("SREM s a" per command), for the tests of what commands
 * propagate. Call at describe level: it registers the describe's hooks.
 */
import { afterAll, beforeAll } from "vitest";
import { startNodis } from "./nodis.js";
import { RespConnection } from "../diff/resp.js";
import type { RunningServer } from "../../src/index.js";
import type { PropagatedOp } from "../../src/server/write-path.js";

export interface RecordedNodis {
  srv: RunningServer;
  conn: RespConnection;
  /** The propagated units since the last `clear()`, each a list of commands as text. */
  units: string[][];
  clear(): void;
}

export function useRecordedNodis(): RecordedNodis {
  const rec = { units: [] as string[][], clear: () => void (rec.units.length = 0) } as RecordedNodis;
  let stop: (() => void) | undefined;
  beforeAll(async () => {
    rec.srv = await startNodis({ "enable-debug-command": "yes" });
    rec.conn = await RespConnection.connect(rec.srv.port);
    stop = rec.srv.server.writePath.onPropagate((ops: PropagatedOp[]) => rec.units.push(ops.map((o) => o.argv.map((x) => x.toString()).join(" "))));
    rec.srv.server.writePath.listen("keys", true);
  });
  afterAll(async () => {
    stop?.();
    rec.conn?.close();
    await rec.srv?.close();
  });
  return rec;
}
