/** Every family's write-path samples, merged (each family keeps its own file). */
import { samples as lists } from "./lists.js";
import { samples as hashes } from "./hashes.js";
import { samples as sets } from "./sets.js";
import { samples as zsets } from "./zsets.js";
import { samples as bitmaps } from "./bitmaps.js";
import { samples as hyperloglog } from "./hyperloglog.js";
import { samples as geo } from "./geo.js";
import { samples as sort } from "./sort.js";
import { samples as blocking } from "./blocking.js";
import { samples as streams } from "./streams.js";
import { samples as persistence } from "./persistence.js";

export const FAMILY_SAMPLES: Record<string, string[][]> = { ...lists, ...hashes, ...sets, ...zsets, ...bitmaps, ...hyperloglog, ...geo, ...sort, ...blocking, ...streams, ...persistence };
