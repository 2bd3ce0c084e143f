/**
 * Redis's bug report around a crash (debug.c: bugReportStart, the signal
 * handler's "crashed by signal" line, bugReportEnd), for what Nodis can report
 * from JavaScript: a SIGABRT sent to the process, and DEBUG SEGFAULT. The
 * process then dies by the same signal, as Redis's does (a core if enabled).
 */
import type { Logger } from "./log.js";
import { REDIS_VERSION } from "../version.js";

/** Writes the report's start, its "crashed by signal" line and its end. */
export function reportCrash(log: Logger, signal: number, siCode: number): void {
  log.raw("warning", "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
  log.warning(`Redis ${REDIS_VERSION} crashed by signal: ${signal}, si_code: ${siCode}`);
  log.raw("warning", "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n");
}

/** SIGABRT: the report, then the default action (the listener removed, the signal sent again). */
export function reportAbort(log: Logger): void {
  process.once("SIGABRT", () => {
    // si_code SI_USER (0): a signal sent by kill.
    reportCrash(log, 6, 0);
    process.kill(process.pid, "SIGABRT");
  });
}
