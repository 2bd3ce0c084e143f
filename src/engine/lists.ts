/** The list type's engine settings (native/src/t_list.rs). */
import { native } from "./addon.js";

/** DEBUG QUICKLIST-PACKED-THRESHOLD: elements of `bytes` or more get plain nodes (0: the 1 GB default); false when refused. */
export function setPackedThreshold(bytes: number): boolean {
  return native.engineListPackedThreshold(bytes);
}
