/** The settings the engine's encodings read (native/src/config.rs), kept equal to the config table's. */
import { native } from "./addon.js";

/** The config names whose values the engine reads. */
export const NAMES: readonly string[] = native.engineConfigNames();

/** Sets the engine's copy of config `name` to `value`. */
export function set(name: string, value: number): void {
  if (!native.engineSetConfig(name, value)) throw new Error(`the engine has no setting '${name}'`);
}
