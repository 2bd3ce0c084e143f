/**
 * Shrinks a failing command sequence to a short one that still shows the
 * mismatch on its last command (delta debugging over the commands before it),
 * replaying each candidate on freshly flushed servers, within a time budget.
 */
import type { Arg } from "./resp.js";
import { replay, type Ports } from "./harness.js";

/** Returns a subsequence of `prefix` that, followed by `target`, still mismatches on `target`; null if the full one does not. */
export async function shrink(ports: Ports, prefix: Arg[][], target: Arg[], budgetMs = 10000): Promise<Arg[][] | null> {
  const deadline = Date.now() + budgetMs;
  const fails = async (p: Arg[][]) => (await replay(ports, [...p, target])).mismatch?.index === p.length;
  if (!(await fails(prefix))) return null;
  let cur = prefix;
  let parts = 2;
  while (cur.length > 0 && Date.now() < deadline) {
    const size = Math.ceil(cur.length / parts);
    let removed = false;
    for (let start = 0; start < cur.length && Date.now() < deadline; start += size) {
      const candidate = [...cur.slice(0, start), ...cur.slice(start + size)];
      if (await fails(candidate)) {
        cur = candidate;
        parts = Math.max(parts - 1, 2);
        removed = true;
        break;
      }
    }
    if (!removed) {
      if (size === 1) break;
      parts = Math.min(cur.length, parts * 2);
    }
  }
  return [...cur, target];
}
