/**
 * oom-score-adj / oom-score-adj-values: this process's Linux OOM killer score,
 * as Redis's setOOMScoreAdj: the master's value, the replica's while this
 * server replicates, the background child's in forked children; "relative"
 * adds it to the score the process had before, which is restored when turned off.
 */
import fs from "node:fs";
import type { Config } from "../config/config.js";
import { strerror } from "../config/special.js";
import { persistence } from "../engine/index.js";

const FILE = "/proc/self/oom_score_adj";

export class OomScore {
  private base: number | null = null;

  constructor(
    private readonly config: Config,
    private readonly warn: (msg: string) => void,
    private readonly isReplica: () => boolean,
  ) {}

  /** The score of class `i` (0 master, 1 replica, 2 background child) once enabled. */
  private score(i: number): number {
    let val = Number(this.config.get("oom-score-adj-values").split(" ")[i]);
    if (this.config.get("oom-score-adj") === "yes") val += this.base ?? 0; // "relative" shows as "yes"
    return Math.max(-1000, Math.min(1000, val));
  }

  /** Writes the configured score (again when the role changes); an error text (CONFIG SET's) when the kernel refuses. */
  apply(): string | null {
    const mode = this.config.get("oom-score-adj");
    let val: number;
    try {
      if (mode !== "no") {
        this.base ??= parseInt(fs.readFileSync(FILE, "utf8"), 10) || 0;
        val = this.score(this.isReplica() ? 1 : 0);
        persistence.childSetOomScore(this.score(2));
      } else if (this.base !== null) {
        val = this.base;
        this.base = null;
        persistence.childSetOomScore(null);
      } else {
        return null;
      }
      fs.writeFileSync(FILE, `${val}\n`);
      return null;
    } catch (e) {
      this.warn(`Unable to write oom_score_adj: ${strerror(e)}`);
      return "Failed to set current oom_score_adj. Check server logs.";
    }
  }
}
