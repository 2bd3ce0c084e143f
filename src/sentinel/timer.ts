/**
 * The sentinel's main loop (sentinelTimer): every 50 to 100 ms (Redis's hz of
 * 10 to 19, randomized so sentinels started together do not ask for votes in
 * step), each instance is reconnected, pinged and judged, and each master's
 * failover moves on. TILT: when the loop was late by more than tilt-trigger
 * (a stalled process, a clock jump) the sentinel only watches for tilt-period.
 */
import { FailoverState, SRI_MASTER, type Instance } from "./instance.js";
import { reconnect, sendPeriodicCommands } from "./monitor.js";
import {
  askMasterStateToOtherSentinels,
  checkObjectivelyDown,
  checkSubjectivelyDown,
  failoverStateMachine,
  startFailoverIfNeeded,
  switchToPromotedSlave,
} from "./failover.js";
import type { Sentinel } from "./state.js";

function handleInstance(s: Sentinel, ri: Instance): void {
  reconnect(s, ri);
  sendPeriodicCommands(s, ri);
  if (s.tilt) {
    if (Date.now() - s.tiltStartTime < s.timing.tiltPeriod) return;
    s.tilt = false;
    s.event("warning", "-tilt", null, false, "#tilt mode exited");
  }
  checkSubjectivelyDown(s, ri);
  if (ri.flags & SRI_MASTER) {
    checkObjectivelyDown(s, ri);
    if (startFailoverIfNeeded(s, ri)) askMasterStateToOtherSentinels(s, ri, true);
    failoverStateMachine(s, ri);
    askMasterStateToOtherSentinels(s, ri, false);
  }
}

function handleInstances(s: Sentinel, instances: Map<string, Instance>): void {
  let switchToPromoted: Instance | null = null;
  for (const ri of [...instances.values()]) {
    handleInstance(s, ri);
    if (ri.flags & SRI_MASTER) {
      handleInstances(s, ri.slaves);
      handleInstances(s, ri.sentinels);
      if (ri.failoverState === FailoverState.UpdateConfig) switchToPromoted = ri;
    }
  }
  if (switchToPromoted) switchToPromotedSlave(s, switchToPromoted);
}

function checkTilt(s: Sentinel): void {
  const now = Date.now();
  const delta = now - s.previousTime;
  if (delta < 0 || delta > s.timing.tiltTrigger) {
    s.tilt = true;
    s.tiltStartTime = Date.now();
    s.event("warning", "+tilt", null, false, "#tilt mode entered");
  }
  s.previousTime = Date.now();
}

/** Runs the loop until `stop()`. */
export function startTimer(s: Sentinel): { stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    try {
      checkTilt(s);
      handleInstances(s, s.masters);
      s.scripts.tick();
    } catch (e) {
      s.server?.log.warning(`Sentinel timer failed: ${e instanceof Error ? e.stack : String(e)}`);
    }
    timer = setTimeout(tick, Math.floor(1000 / (10 + Math.floor(Math.random() * 10))));
  };
  timer = setTimeout(tick, 100);
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
    },
  };
}
