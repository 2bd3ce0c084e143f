/** Types of prepare.mjs (a plain script, also run by .ci/run). */
export const PROGRAMS: string;
export const paths: { pythonPath: string; goBinary: string; jars: string };
export function prepare(): void;
