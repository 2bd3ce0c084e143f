/**
 * The acting half: subjective and objective down states, asking the other
 * sentinels (SENTINEL IS-MASTER-DOWN-BY-ADDR, which also collects their votes),
 * the leader election for an epoch, and the failover state machine: pick the
 * replica (priority, offset, run id), REPLICAOF NO ONE, reconfigure the others,
 * switch the master's address.
 */
import {
  FailoverState,
  MAX_DESYNC,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_MASTER_DOWN,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SCRIPT_KILL_SENT,
  SRI_SLAVE,
  type Instance,
} from "./instance.js";
import { command, sendSlaveOf, simFailureCrash } from "./monitor.js";
import { SIMFAILURE_CRASH_AFTER_ELECTION, type Sentinel } from "./state.js";

/** sentinelCheckSubjectivelyDown (and the reconnection of links that look stuck). */
export function checkSubjectivelyDown(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  const now = Date.now();
  let elapsed = 0;
  if (link.actPingTime) elapsed = now - link.actPingTime;
  else if (link.disconnected) elapsed = now - link.lastAvailTime;
  const t = s.timing;
  if (
    link.cc &&
    now - link.ccConnTime > t.minLinkReconnectPeriod &&
    link.actPingTime !== 0 &&
    now - link.actPingTime > ri.downAfterPeriod / 2 &&
    now - link.lastPongTime > ri.downAfterPeriod / 2
  ) {
    link.closeCc();
  }
  if (link.pc && now - link.pcConnTime > t.minLinkReconnectPeriod && now - link.pcLastActivity > t.publishPeriod * 3) link.closePc();
  const down =
    elapsed > ri.downAfterPeriod ||
    (ri.flags & SRI_MASTER && ri.roleReported === SRI_SLAVE && now - ri.roleReportedTime > ri.downAfterPeriod + t.infoPeriod * 2) ||
    (ri.flags & SRI_MASTER_REBOOT && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriod);
  if (down) {
    if (!(ri.flags & SRI_S_DOWN)) {
      s.event("warning", "+sdown", ri, true, "");
      ri.sDownSinceTime = now;
      ri.flags |= SRI_S_DOWN;
    }
  } else if (ri.flags & SRI_S_DOWN) {
    s.event("warning", "-sdown", ri, true, "");
    ri.flags &= ~(SRI_S_DOWN | SRI_SCRIPT_KILL_SENT);
  }
}

/** sentinelCheckObjectivelyDown: down for at least `quorum` sentinels (this one included). */
export function checkObjectivelyDown(s: Sentinel, master: Instance): void {
  let quorum = 0;
  let odown = false;
  if (master.flags & SRI_S_DOWN) {
    quorum = 1;
    for (const ri of master.sentinels.values()) if (ri.flags & SRI_MASTER_DOWN) quorum++;
    if (quorum >= master.quorum) odown = true;
  }
  if (odown) {
    if (!(master.flags & SRI_O_DOWN)) {
      s.event("warning", "+odown", master, true, `#quorum ${quorum}/${master.quorum}`);
      master.flags |= SRI_O_DOWN;
      master.oDownSinceTime = Date.now();
    }
  } else if (master.flags & SRI_O_DOWN) {
    s.event("warning", "-odown", master, true, "");
    master.flags &= ~SRI_O_DOWN;
  }
}

/** Asks the other sentinels whether the master is down (and, during a failover, for their vote). */
export function askMasterStateToOtherSentinels(s: Sentinel, master: Instance, forced: boolean): void {
  const now = Date.now();
  for (const ri of master.sentinels.values()) {
    if (now - ri.lastMasterDownReplyTime > s.timing.askPeriod * 5) {
      ri.flags &= ~SRI_MASTER_DOWN;
      ri.leader = null;
    }
    if (!(master.flags & SRI_S_DOWN)) continue;
    if (ri.link.disconnected) continue;
    if (!forced && now - ri.lastMasterDownReplyTime < s.timing.askPeriod) continue;
    const runid = master.failoverState > FailoverState.None ? s.myid : "*";
    command(ri, [ri.cmd("SENTINEL"), "is-master-down-by-addr", s.announce(master.addr), String(master.addr.port), String(s.currentEpoch), runid], (r) => {
      if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== "number" || typeof r[1] !== "string" || typeof r[2] !== "number") return;
      ri.lastMasterDownReplyTime = Date.now();
      if (r[0] === 1) ri.flags |= SRI_MASTER_DOWN;
      else ri.flags &= ~SRI_MASTER_DOWN;
      if (r[1] !== "*") {
        if (ri.leaderEpoch !== r[2]) s.server?.log.notice(`${ri.name} voted for ${r[1]} ${r[2]}`);
        ri.leader = r[1];
        ri.leaderEpoch = r[2];
      }
    });
  }
}

/** sentinelGetLeader: the sentinel with a majority (and at least quorum) of the votes for `epoch`, voting ourselves meanwhile. */
function getLeader(s: Sentinel, master: Instance, epoch: number): string | null {
  const counters = new Map<string, number>();
  const voters = master.sentinels.size + 1;
  for (const ri of master.sentinels.values()) {
    if (ri.leader !== null && ri.leaderEpoch === s.currentEpoch) counters.set(ri.leader, (counters.get(ri.leader) ?? 0) + 1);
  }
  let winner: string | null = null;
  let maxVotes = 0;
  for (const [id, votes] of counters) {
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = id;
    }
  }
  // Our vote goes to the most voted sentinel, or to ourselves when nobody has votes.
  const mine = s.voteLeader(master, epoch, winner ?? s.myid);
  if (mine.leader !== null && mine.epoch === epoch) {
    const votes = (counters.get(mine.leader) ?? 0) + 1;
    counters.set(mine.leader, votes);
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = mine.leader;
    }
  }
  if (winner !== null && (maxVotes < Math.floor(voters / 2) + 1 || maxVotes < master.quorum)) winner = null;
  return winner;
}

export function startFailover(s: Sentinel, master: Instance): void {
  master.failoverState = FailoverState.WaitStart;
  master.flags |= SRI_FAILOVER_IN_PROGRESS;
  master.failoverEpoch = ++s.currentEpoch;
  s.event("warning", "+new-epoch", master, false, String(s.currentEpoch));
  s.event("warning", "+try-failover", master, true, "");
  master.failoverStartTime = Date.now() + Math.floor(Math.random() * MAX_DESYNC);
  master.failoverStateChangeTime = Date.now();
}

export function startFailoverIfNeeded(s: Sentinel, master: Instance): boolean {
  if (!(master.flags & SRI_O_DOWN)) return false;
  if (master.flags & SRI_FAILOVER_IN_PROGRESS) return false;
  if (Date.now() - master.failoverStartTime < master.failoverTimeout * 2) {
    if (master.failoverDelayLogged !== master.failoverStartTime) {
      const at = new Date(master.failoverStartTime + master.failoverTimeout * 2);
      master.failoverDelayLogged = master.failoverStartTime;
      s.server?.log.notice(`Next failover delay: I will not start a failover before ${ctime(at)}`);
    }
    return false;
  }
  startFailover(s, master);
  return true;
}

/** C's ctime() without the newline: "Sun Nov 29 23:59:00 2026". */
function ctime(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/** sentinelSelectSlave: the best replica to promote, or null. */
export function selectSlave(s: Sentinel, master: Instance): Instance | null {
  const now = Date.now();
  const t = s.timing;
  let maxMasterDownTime = master.downAfterPeriod * 10;
  if (master.flags & SRI_S_DOWN) maxMasterDownTime += now - master.sDownSinceTime;
  const candidates: Instance[] = [];
  for (const r of master.slaves.values()) {
    if (r.flags & (SRI_S_DOWN | SRI_O_DOWN)) continue;
    if (r.link.disconnected) continue;
    if (now - r.link.lastAvailTime > t.pingPeriod * 5) continue;
    if (r.slavePriority === 0) continue;
    const validity = master.flags & SRI_S_DOWN ? t.pingPeriod * 5 : t.infoPeriod * 3;
    if (now - r.infoRefresh > validity) continue;
    if (r.masterLinkDownTime > maxMasterDownTime) continue;
    candidates.push(r);
  }
  candidates.sort((a, b) => {
    if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
    if (a.slaveReplOffset !== b.slaveReplOffset) return a.slaveReplOffset > b.slaveReplOffset ? -1 : 1;
    if (a.runid === null && b.runid === null) return 0;
    if (a.runid === null) return 1;
    if (b.runid === null) return -1;
    const x = a.runid.toLowerCase();
    const y = b.runid.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return candidates[0] ?? null;
}

export function abortFailover(master: Instance): void {
  master.flags &= ~(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER);
  master.failoverState = FailoverState.None;
  master.failoverStateChangeTime = Date.now();
  if (master.promotedSlave) {
    master.promotedSlave.flags &= ~SRI_PROMOTED;
    master.promotedSlave = null;
  }
}

function waitStart(s: Sentinel, ri: Instance): void {
  const leader = getLeader(s, ri, ri.failoverEpoch);
  const isLeader = leader !== null && leader.toLowerCase() === s.myid.toLowerCase();
  if (!isLeader && !(ri.flags & SRI_FORCE_FAILOVER)) {
    const electionTimeout = Math.min(s.timing.electionTimeout, ri.failoverTimeout);
    if (Date.now() - ri.failoverStartTime > electionTimeout) {
      s.event("warning", "-failover-abort-not-elected", ri, true, "");
      abortFailover(ri);
    }
    return;
  }
  s.event("warning", "+elected-leader", ri, true, "");
  if (s.simFailureFlags & SIMFAILURE_CRASH_AFTER_ELECTION) simFailureCrash(s);
  ri.failoverState = FailoverState.SelectSlave;
  ri.failoverStateChangeTime = Date.now();
  s.event("warning", "+failover-state-select-slave", ri, true, "");
}

function selectSlaveState(s: Sentinel, ri: Instance): void {
  const slave = selectSlave(s, ri);
  if (slave === null) {
    s.event("warning", "-failover-abort-no-good-slave", ri, true, "");
    abortFailover(ri);
    return;
  }
  s.event("warning", "+selected-slave", slave, true, "");
  slave.flags |= SRI_PROMOTED;
  ri.promotedSlave = slave;
  ri.failoverState = FailoverState.SendSlaveofNoOne;
  ri.failoverStateChangeTime = Date.now();
  s.event("notice", "+failover-state-send-slaveof-noone", slave, true, "");
}

function sendSlaveOfNoOne(s: Sentinel, ri: Instance): void {
  const p = ri.promotedSlave!;
  if (p.link.disconnected) {
    if (Date.now() - ri.failoverStateChangeTime > ri.failoverTimeout) {
      s.event("warning", "-failover-abort-slave-timeout", ri, true, "");
      abortFailover(ri);
    }
    return;
  }
  if (!sendSlaveOf(s, p, null)) return;
  s.event("notice", "+failover-state-wait-promotion", p, true, "");
  ri.failoverState = FailoverState.WaitPromotion;
  ri.failoverStateChangeTime = Date.now();
}

function waitPromotion(s: Sentinel, ri: Instance): void {
  // The promotion itself is seen in the replica's INFO (monitor.ts).
  if (Date.now() - ri.failoverStateChangeTime > ri.failoverTimeout) {
    s.event("warning", "-failover-abort-slave-timeout", ri, true, "");
    abortFailover(ri);
  }
}

function detectEnd(s: Sentinel, master: Instance): void {
  const elapsed = Date.now() - master.failoverStateChangeTime;
  if (master.promotedSlave === null || master.promotedSlave.flags & SRI_S_DOWN) return;
  let notReconfigured = 0;
  for (const r of master.slaves.values()) {
    if (r.flags & (SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    if (r.flags & SRI_S_DOWN) continue;
    notReconfigured++;
  }
  let timeout = false;
  if (elapsed > master.failoverTimeout) {
    notReconfigured = 0;
    timeout = true;
    s.event("warning", "+failover-end-for-timeout", master, true, "");
  }
  if (notReconfigured === 0) {
    s.event("warning", "+failover-end", master, true, "");
    master.failoverState = FailoverState.UpdateConfig;
    master.failoverStateChangeTime = Date.now();
  }
  if (timeout) {
    // Best effort for the replicas still not reconfigured.
    for (const r of master.slaves.values()) {
      if (r.flags & (SRI_PROMOTED | SRI_RECONF_DONE | SRI_RECONF_SENT)) continue;
      if (r.link.disconnected) continue;
      if (sendSlaveOf(s, r, master.promotedSlave.addr)) {
        s.event("notice", "+slave-reconf-sent-be", r, true, "");
        r.flags |= SRI_RECONF_SENT;
      }
    }
  }
}

function reconfNextSlave(s: Sentinel, master: Instance): void {
  let inProgress = 0;
  for (const r of master.slaves.values()) if (r.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) inProgress++;
  for (const r of master.slaves.values()) {
    if (inProgress >= master.parallelSyncs) break;
    if (r.flags & (SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    if (r.flags & SRI_RECONF_SENT && Date.now() - r.slaveReconfSentTime > s.timing.slaveReconfTimeout) {
      s.event("notice", "-slave-reconf-sent-timeout", r, true, "");
      r.flags &= ~SRI_RECONF_SENT;
      r.flags |= SRI_RECONF_DONE;
    }
    if (r.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) continue;
    if (r.link.disconnected) continue;
    if (sendSlaveOf(s, r, master.promotedSlave!.addr)) {
      r.flags |= SRI_RECONF_SENT;
      r.slaveReconfSentTime = Date.now();
      s.event("notice", "+slave-reconf-sent", r, true, "");
      inProgress++;
    }
  }
  detectEnd(s, master);
}

/** The end of a failover: the promoted replica becomes the master (+switch-master). */
export function switchToPromotedSlave(s: Sentinel, master: Instance): void {
  const ref = master.promotedSlave ?? master;
  s.event("warning", "+switch-master", master, false, `${master.name} ${s.announce(master.addr)} ${master.addr.port} ${s.announce(ref.addr)} ${ref.addr.port}`);
  s.resetMasterAndChangeAddress(master, ref.addr.hostname, ref.addr.port);
}

export function failoverStateMachine(s: Sentinel, ri: Instance): void {
  if (!(ri.flags & SRI_FAILOVER_IN_PROGRESS)) return;
  switch (ri.failoverState) {
    case FailoverState.WaitStart:
      return waitStart(s, ri);
    case FailoverState.SelectSlave:
      return selectSlaveState(s, ri);
    case FailoverState.SendSlaveofNoOne:
      return sendSlaveOfNoOne(s, ri);
    case FailoverState.WaitPromotion:
      return waitPromotion(s, ri);
    case FailoverState.ReconfSlaves:
      return reconfNextSlave(s, ri);
  }
}
