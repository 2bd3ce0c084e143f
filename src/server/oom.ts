/**
 * oom-score-adj / oom-score-adj-values: this process's Linux OOM killer score,
 * as Redis's setOOMScoreAdj (the master's value; "relative" adds it to the
 * score the process had before, which is restored when turned off).
 */
import fs from "node:fs";
import type { Config } from "../config/config.js";
import { strerror } from "../config/special.js";

const FILE = "/proc/self/oom_score_adj";

export class OomScore {
  private base: number | null = null;

  constructor(
    private readonly config: Config,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Writes the configured score; an error text (CONFIG SET's) when the kernel refuses. */
  apply(): string | null {
    const mode = this.config.get("oom-score-adj");
    let val: number;
    try {
      if (mode !== "no") {
        this.base ??= parseInt(fs.readFileSync(FILE, "utf8"), 10) || 0;
        val = Number(this.config.get("oom-score-adj-values").split(" ")[0]);
        if (mode === "yes") val += this.base; // "relative" shows as "yes"
        val = Math.max(-1000, Math.min(1000, val));
      } else if (this.base !== null) {
        val = this.base;
        this.base = null;
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
