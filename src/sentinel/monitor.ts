/**
 * The monitoring half (sentinel.c's links, periodic commands, INFO and hello
 * handling): connects to every instance (a command link, plus a pub/sub link
 * on __sentinel__:hello for masters and replicas), sends PING, INFO and hello
 * PUBLISHes on their periods, learns replicas and roles from INFO, and learns
 * other sentinels and newer master configurations from hello messages.
 * Only the Redis protocol is used toward instances, so redis-server and Nodis
 * nodes (and other sentinels, Redis's or ours) are alike to it.
 */
import { RespError, RespLink, type RespValue } from "./resp-link.js";
import {
  FailoverState,
  HELLO_CHANNEL,
  MAX_PENDING_COMMANDS,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SCRIPT_KILL_SENT,
  SRI_SENTINEL,
  SRI_SLAVE,
  type Addr,
  type Instance,
} from "./instance.js";
import { SIMFAILURE_CRASH_AFTER_PROMOTION, type Sentinel } from "./state.js";

/** Opens the missing connections of an instance (sentinelReconnectInstance). */
export function reconnect(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (!link.disconnected || ri.addr.port === 0) return;
  const now = Date.now();
  if (now - link.lastReconnTime < s.timing.pingPeriod) return;
  link.lastReconnTime = now;
  // The name may resolve to another address now (an instance restarted elsewhere, or was down).
  if (link.cc === null && s.resolveHostnames) {
    const again = s.makeAddr(ri.addr.hostname, ri.addr.port, false);
    if (typeof again !== "string") ri.addr = again;
  }
  const host = ri.addr.ip || ri.addr.hostname;
  // bind-source-addr: the links go out from that address, as the replication link's do.
  const source = s.server?.config.get("bind-source-addr") || undefined;
  if (link.cc === null) {
    const cc = new RespLink(host, ri.addr.port, () => {}, source);
    cc.onClose = () => {
      if (link.cc !== cc) return;
      link.cc = null;
      link.pendingCommands = 0;
      link.disconnected = true;
      s.event("debug", "-cmd-link-reconnection", ri, true, "#Connection closed");
    };
    link.cc = cc;
    link.pendingCommands = 0;
    link.ccConnTime = Date.now();
    sendAuth(s, ri, cc);
    sendClientName(s, ri, cc, "cmd");
    sendPing(s, ri);
  }
  if (ri.flags & (SRI_MASTER | SRI_SLAVE) && link.pc === null) {
    const pc = new RespLink(host, ri.addr.port, () => {}, source);
    pc.onClose = () => {
      if (link.pc !== pc) return;
      link.pc = null;
      link.disconnected = true;
      s.event("debug", "-pubsub-link-reconnection", ri, true, "#Connection closed");
    };
    link.pc = pc;
    link.pcConnTime = Date.now();
    link.pcLastActivity = Date.now();
    sendAuth(s, ri, pc);
    sendClientName(s, ri, pc, "pubsub");
    // The replies to AUTH and CLIENT come first; then every message is a hello (or the SUBSCRIBE confirmation).
    pc.send([ri.cmd("SUBSCRIBE"), HELLO_CHANNEL], (r) => {
      // Refused (NOAUTH...): the link is useless; it is opened again on the next reconnection.
      if (r instanceof RespError) link.closePc();
      else onHelloReply(s, ri, r);
    });
    pc.onPush = (r) => onHelloReply(s, ri, r);
  }
  if (link.cc && (ri.flags & SRI_SENTINEL || link.pc)) link.disconnected = false;
}

/** AUTH with the master's auth-pass/auth-user (replicas use their master's; sentinels the sentinel-pass or requirepass). */
function sendAuth(s: Sentinel, ri: Instance, c: RespLink): void {
  let pass: string | null = null;
  let user: string | null = null;
  if (ri.flags & SRI_MASTER) {
    pass = ri.authPass;
    user = ri.authUser;
  } else if (ri.flags & SRI_SLAVE) {
    pass = ri.master!.authPass;
    user = ri.master!.authUser;
  } else if (s.authPass) {
    pass = s.authPass;
    user = s.authUser;
  } else {
    const rp = s.server?.config.get("requirepass") ?? "";
    pass = rp === "" ? null : rp;
  }
  if (pass === null) return;
  ri.link.pendingCommands++;
  c.send(user ? [ri.cmd("AUTH"), user, pass] : [ri.cmd("AUTH"), pass], () => ri.link.pendingCommands--);
}

function sendClientName(s: Sentinel, ri: Instance, c: RespLink, type: string): void {
  ri.link.pendingCommands++;
  c.send([ri.cmd("CLIENT"), "SETNAME", `sentinel-${s.myid.slice(0, 8)}-${type}`], () => ri.link.pendingCommands--);
}

/** Sends a command on the command link, counted as pending until its reply. */
export function command(ri: Instance, args: (string | number)[], onReply?: (r: RespValue) => void): boolean {
  const cc = ri.link.cc;
  if (!cc || cc.closed) return false;
  ri.link.pendingCommands++;
  cc.send(args, (r) => {
    ri.link.pendingCommands--;
    onReply?.(r);
  });
  return true;
}

export function sendPing(s: Sentinel, ri: Instance): boolean {
  const ok = command(ri, [ri.cmd("PING")], (r) => onPingReply(ri, r));
  if (ok) {
    ri.link.lastPingTime = Date.now();
    // The active ping time stays that of the first ping still unanswered.
    if (ri.link.actPingTime === 0) ri.link.actPingTime = ri.link.lastPingTime;
  }
  return ok;
}

function onPingReply(ri: Instance, r: RespValue): void {
  const link = ri.link;
  const text = typeof r === "string" ? r : r instanceof RespError ? r.message : null;
  if (text !== null) {
    if (text.startsWith("PONG") || text.startsWith("LOADING") || text.startsWith("MASTERDOWN")) {
      link.lastAvailTime = Date.now();
      link.actPingTime = 0;
      if (ri.flags & SRI_MASTER_REBOOT && text.startsWith("PONG")) ri.flags &= ~SRI_MASTER_REBOOT;
    } else if (text.startsWith("BUSY") && ri.flags & SRI_S_DOWN && !(ri.flags & SRI_SCRIPT_KILL_SENT)) {
      // Down because of a busy script: try to kill it.
      command(ri, [ri.cmd("SCRIPT"), "KILL"]);
      ri.flags |= SRI_SCRIPT_KILL_SENT;
    }
  }
  link.lastPongTime = Date.now();
}

/** PING, INFO and hello on their periods (sentinelSendPeriodicCommands). */
export function sendPeriodicCommands(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (link.disconnected) return;
  if (link.pendingCommands >= MAX_PENDING_COMMANDS) return;
  const now = Date.now();
  const t = s.timing;
  // Replicas of a master in trouble are asked every second.
  const infoPeriod =
    ri.flags & SRI_SLAVE && (ri.master!.flags & (SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS) || ri.masterLinkDownTime !== 0) ? 1000 : t.infoPeriod;
  const pingPeriod = Math.min(ri.downAfterPeriod, t.pingPeriod);
  if (!(ri.flags & SRI_SENTINEL) && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
    command(ri, [ri.cmd("INFO")], (r) => {
      if (typeof r === "string") refreshInstanceInfo(s, ri, r);
    });
  }
  if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) sendPing(s, ri);
  if (now - ri.lastPubTime > t.publishPeriod) sendHello(s, ri);
}

/** sentinelSendSlaveOf: REPLICAOF (or NO ONE) in a transaction with CONFIG REWRITE and dropping the clients. */
export function sendSlaveOf(s: Sentinel, ri: Instance, addr: Addr | null): boolean {
  const host = addr ? s.announce(addr) : "NO";
  const port = addr ? String(addr.port) : "ONE";
  if (!command(ri, [ri.cmd("MULTI")])) return false;
  command(ri, [ri.cmd("SLAVEOF"), host, port]);
  command(ri, [ri.cmd("CONFIG"), "REWRITE"]);
  command(ri, [ri.cmd("CLIENT"), "KILL", "TYPE", "normal"]);
  command(ri, [ri.cmd("CLIENT"), "KILL", "TYPE", "pubsub"]);
  command(ri, [ri.cmd("EXEC")]);
  return true;
}

// ---- INFO ---------------------------------------------------------------------

function noDownFor(ri: Instance, ms: number): boolean {
  const recent = Math.max(ri.sDownSinceTime, ri.oDownSinceTime);
  return recent === 0 || Date.now() - recent > ms;
}

function masterLooksSane(s: Sentinel, m: Instance): boolean {
  return (
    (m.flags & SRI_MASTER) !== 0 && m.roleReported === SRI_MASTER && (m.flags & (SRI_S_DOWN | SRI_O_DOWN)) === 0 && Date.now() - m.infoRefresh < s.timing.infoPeriod * 2
  );
}

/** sentinelRefreshInstanceInfo: what an INFO reply tells (run id, replicas, role, replication state), then acts on it. */
export function refreshInstanceInfo(s: Sentinel, ri: Instance, info: string): void {
  ri.info = info;
  ri.masterLinkDownTime = 0;
  let role = 0;
  for (const l of info.split("\r\n")) {
    if (l.length >= 47 && l.startsWith("run_id:")) {
      const id = l.slice(7, 47);
      if (ri.runid === null) ri.runid = id;
      else if (ri.runid !== id) {
        s.event("notice", "+reboot", ri, true, "");
        if (ri.flags & SRI_MASTER && ri.masterRebootDownAfterPeriod !== 0) {
          ri.flags |= SRI_MASTER_REBOOT;
          ri.masterRebootSinceTime = Date.now();
        }
        ri.runid = id;
      }
    }
    if (ri.flags & SRI_MASTER && l.length >= 7 && l.startsWith("slave") && l[5] >= "0" && l[5] <= "9") {
      let ip: string | undefined;
      let port: string | undefined;
      if (!l.includes("ip=")) {
        const parts = l.slice(l.indexOf(":") + 1).split(",");
        if (parts.length < 3) continue;
        [ip, port] = parts;
      } else {
        ip = /ip=([^,]*)/.exec(l)?.[1];
        port = /port=([^,]*)/.exec(l)?.[1];
        if (ip === undefined || port === undefined) continue;
      }
      if (s.lookupSlave(ri, ip, parseInt(port, 10) || 0) === null) {
        const slave = s.createInstance(null, SRI_SLAVE, ip, parseInt(port, 10) || 0, ri.quorum, ri);
        if (typeof slave !== "string") {
          s.event("notice", "+slave", slave, true, "");
          s.flushConfig();
        }
      }
    }
    if (l.length >= 32 && l.startsWith("master_link_down_since_seconds")) ri.masterLinkDownTime = (parseInt(l.slice(31), 10) || 0) * 1000;
    if (l.startsWith("role:master")) role = SRI_MASTER;
    else if (l.startsWith("role:slave")) role = SRI_SLAVE;
    if (role === SRI_SLAVE) {
      if (l.startsWith("master_host:")) {
        const h = l.slice(12);
        if (ri.slaveMasterHost === null || h.toLowerCase() !== ri.slaveMasterHost.toLowerCase()) {
          ri.slaveMasterHost = h;
          ri.slaveConfChangeTime = Date.now();
        }
      }
      if (l.startsWith("master_port:")) {
        const p = parseInt(l.slice(12), 10) || 0;
        if (ri.slaveMasterPort !== p) {
          ri.slaveMasterPort = p;
          ri.slaveConfChangeTime = Date.now();
        }
      }
      if (l.startsWith("master_link_status:")) ri.slaveMasterLinkUp = l.slice(19).toLowerCase() === "up";
      if (l.startsWith("slave_priority:")) ri.slavePriority = parseInt(l.slice(15), 10) || 0;
      if (l.startsWith("slave_repl_offset:")) ri.slaveReplOffset = Number(l.slice(18)) || 0;
      if (l.startsWith("replica_announced:")) ri.replicaAnnounced = parseInt(l.slice(18), 10) || 0;
    }
  }
  ri.infoRefresh = Date.now();

  if (role !== ri.roleReported) {
    ri.roleReportedTime = Date.now();
    ri.roleReported = role;
    if (role === SRI_SLAVE) ri.slaveConfChangeTime = Date.now();
    const coherent = (ri.flags & (SRI_MASTER | SRI_SLAVE)) === role;
    s.event("verbose", coherent ? "+role-change" : "-role-change", ri, true, `new reported role is ${role === SRI_MASTER ? "master" : "slave"}`);
  }
  if (s.tilt) return;

  const master = ri.master;
  if (ri.flags & SRI_SLAVE && role === SRI_MASTER && master) {
    if (ri.flags & SRI_PROMOTED && master.flags & SRI_FAILOVER_IN_PROGRESS && master.failoverState === FailoverState.WaitPromotion) {
      // Our promoted replica is a master now: the failover's epoch becomes the master's configuration epoch.
      master.configEpoch = master.failoverEpoch;
      master.failoverState = FailoverState.ReconfSlaves;
      master.failoverStateChangeTime = Date.now();
      s.flushConfig();
      s.event("warning", "+promoted-slave", ri, true, "");
      if (s.simFailureFlags & SIMFAILURE_CRASH_AFTER_PROMOTION) simFailureCrash(s);
      s.event("warning", "+failover-state-reconf-slaves", master, true, "");
      s.clientReconfScript(master, true, master.addr, ri.addr);
      forceHelloUpdate(s, master);
    } else {
      // A replica turned master on its own: after a while, make it a replica again.
      const wait = s.timing.publishPeriod * 4;
      if (!(ri.flags & SRI_PROMOTED) && masterLooksSane(s, master) && noDownFor(ri, wait) && Date.now() - ri.roleReportedTime > wait) {
        if (sendSlaveOf(s, ri, master.addr)) s.event("notice", "+convert-to-slave", ri, true, "");
      }
    }
  }
  if (ri.flags & SRI_SLAVE && role === SRI_SLAVE && master && (ri.slaveMasterPort !== master.addr.port || !s.addrIsHost(master.addr, ri.slaveMasterHost ?? ""))) {
    const wait = master.failoverTimeout;
    if (masterLooksSane(s, master) && noDownFor(ri, wait) && Date.now() - ri.slaveConfChangeTime > wait) {
      if (sendSlaveOf(s, ri, master.addr)) s.event("notice", "+fix-slave-config", ri, true, "");
    }
  }
  if (ri.flags & SRI_SLAVE && role === SRI_SLAVE && ri.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG) && master?.promotedSlave) {
    const p = master.promotedSlave.addr;
    if (ri.flags & SRI_RECONF_SENT && ri.slaveMasterHost !== null && s.addrIsHost(p, ri.slaveMasterHost) && ri.slaveMasterPort === p.port) {
      ri.flags &= ~SRI_RECONF_SENT;
      ri.flags |= SRI_RECONF_INPROG;
      s.event("notice", "+slave-reconf-inprog", ri, true, "");
    }
    if (ri.flags & SRI_RECONF_INPROG && ri.slaveMasterLinkUp) {
      ri.flags &= ~SRI_RECONF_INPROG;
      ri.flags |= SRI_RECONF_DONE;
      s.event("notice", "+slave-reconf-done", ri, true, "");
    }
  }
}

export function simFailureCrash(s: Sentinel): never {
  s.server?.log.warning("Sentinel CRASH because of SENTINEL simulate-failure");
  process.exit(99);
}

// ---- hello --------------------------------------------------------------------

/** "ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch" on the hello channel. */
export function sendHello(s: Sentinel, ri: Instance): boolean {
  const master = ri.flags & SRI_MASTER ? ri : ri.master!;
  const maddr = s.currentMasterAddress(master);
  if (ri.link.disconnected || !ri.link.cc) return false;
  const ip = s.announceIp ?? ri.link.cc.localAddress();
  if (!ip) return false;
  const port = s.announcePort || s.server?.port || 0;
  const payload = `${ip},${port},${s.myid},${s.currentEpoch},${master.name},${s.announce(maddr)},${maddr.port},${master.configEpoch}`;
  return command(ri, [ri.cmd("PUBLISH"), HELLO_CHANNEL, payload], (r) => {
    if (!(r instanceof RespError)) ri.lastPubTime = Date.now();
  });
}

/** Makes the next timer tick send hellos for this master at once (after a configuration change). */
export function forceHelloUpdate(s: Sentinel, master: Instance): void {
  const p = s.timing.publishPeriod + 1;
  for (const ri of [master, ...master.sentinels.values(), ...master.slaves.values()]) if (ri.lastPubTime >= p) ri.lastPubTime -= p;
}

function onHelloReply(s: Sentinel, ri: Instance, r: RespValue): void {
  ri.link.pcLastActivity = Date.now();
  if (!Array.isArray(r) || r.length !== 3 || r[0] !== "message" || typeof r[2] !== "string") return;
  if (r[2].includes(s.myid)) return; // our own hello
  processHello(s, r[2]);
}

/** sentinelProcessHelloMessage: learns the sender and, if newer, the master's configuration. */
export function processHello(s: Sentinel, hello: string): void {
  const t = hello.split(",");
  if (t.length !== 8) return;
  const master = s.masters.get(t[4]);
  if (!master) return;
  const port = parseInt(t[1], 10) || 0;
  const masterPort = parseInt(t[6], 10) || 0;
  const currentEpoch = Number(t[3]) || 0;
  const masterConfigEpoch = Number(t[7]) || 0;
  let si = s.findByAddrAndRunId(master.sentinels, t[0], port, t[2]);
  if (!si) {
    // A known run id at a new address: the sentinel moved.
    const removed = s.removeSentinelByRunId(master, t[2]);
    if (removed) {
      s.event("notice", "+sentinel-address-switch", master, true, `ip ${t[0]} port ${port} for ${t[2]}`);
    } else {
      const other = s.findByAddrAndRunId(master.sentinels, t[0], port, null);
      if (other) {
        // Another sentinel claimed this address before: it is gone from every master.
        s.event("notice", "+sentinel-invalid-addr", other, true, "");
        const obsolete = other.runid;
        if (obsolete !== null) for (const m of s.masters.values()) s.removeSentinelByRunId(m, obsolete);
      }
    }
    const created = s.createInstance(t[2], SRI_SENTINEL, t[0], port, master.quorum, master);
    if (typeof created !== "string") {
      si = created;
      if (!removed) s.event("notice", "+sentinel", si, true, "");
      si.runid = t[2];
      if (removed) updateSentinelAddressInAllMasters(s, si);
      s.flushConfig();
    }
  }
  if (currentEpoch > s.currentEpoch) {
    s.currentEpoch = currentEpoch;
    s.flushConfig();
    s.event("warning", "+new-epoch", master, false, String(s.currentEpoch));
  }
  if (si && master.configEpoch < masterConfigEpoch) {
    master.configEpoch = masterConfigEpoch;
    if (masterPort !== master.addr.port || !s.addrIsHost(master.addr, t[5])) {
      s.event("warning", "+config-update-from", si, true, "");
      s.event("warning", "+switch-master", master, false, `${master.name} ${s.announce(master.addr)} ${master.addr.port} ${t[5]} ${masterPort}`);
      const oldAddr = master.addr;
      s.resetMasterAndChangeAddress(master, t[5], masterPort);
      s.clientReconfScript(master, false, oldAddr, master.addr);
    }
  }
  if (si) si.lastHelloTime = Date.now();
}

/** A sentinel that moved: its entries under the other masters take the new address (and reconnect). */
function updateSentinelAddressInAllMasters(s: Sentinel, ri: Instance): void {
  let reconfigured = 0;
  for (const m of s.masters.values()) {
    const match = s.findByAddrAndRunId(m.sentinels, null, 0, ri.runid);
    if (!match) continue;
    match.link.closeAll();
    if (match === ri) continue;
    match.addr = { ...ri.addr };
    reconfigured++;
  }
  if (reconfigured) s.event("notice", "+sentinel-address-update", ri, true, `${reconfigured} additional matching instances`);
}
