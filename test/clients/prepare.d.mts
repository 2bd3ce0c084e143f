/** Types of prepare.mjs (a plain script, also run by .ci/run). */
export const PROGRAMS: string;
export const paths: { pythonPath: string; goBinary: string; jars: string };
export const REDIS_PY_VERSION: string;
export const GO: string;
export function run(cmd: string, args: string[], opts?: object): unknown;
export function prepare(): void;
