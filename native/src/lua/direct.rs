//! redis.call of an engine command without crossing to JavaScript.
//!
//! A script's command whose TypeScript handler is nothing but the engine call
//! (the batch path's commands), or has an engine form for scripts (DEL, EXISTS,
//! EXPIRE, TTL...: keys_cmd.rs), runs here (src/scripting/bridge.ts registers
//! the table, without `noscript` commands, blocking ones and SORT)
//! with the same `Cmd` function, while TypeScript says nothing needs to see
//! each command as it runs (the batch path's rule: no tracking, MONITOR...;
//! src/scripting/bridge.ts `directMode`). TypeScript keeps every
//! rule it applies to a script's command: anything this module is not sure of
//! (an unknown name, a wrong arity, a write in a read-only script, a command
//! that would block) goes the usual way, untouched.
//!
//! What call() does after a command is done by TypeScript from a log (a
//! Float64Array it registered): per command, its registration index, its
//! time, its db, and, while the AOF or replicas listen and the command changed
//! something, where its argv waits in a second registered buffer (TypeScript
//! propagates it with the script's unit); drained when the script ends or
//! crosses to JavaScript. A command TypeScript must see whole (an error reply:
//! errorstats; slower than the slowlog or latency threshold: its argv; a
//! record to act on: an expired key's DEL, a rewrite, a waited key's change) is accounted at once with
//! a crossing that carries its argv and its reply's first line.
use crate::keyspace::{ks, Keyspace};
use crate::reply::{code, Out};
use std::cell::{Cell, RefCell};
use std::time::Instant;

/// Log header slots. COUNT: commands logged (TypeScript zeroes it when it
/// drains); MODE: 0 off, MODE_ON, MODE_READONLY (set by TypeScript for the
/// running script); DB: the script's db; SLOW_US: the time from which a
/// command goes to TypeScript at once (-1: never); LAST_INDEX / LAST_USEC: the
/// command an ACCOUNT crossing carries, and LAST_CHANGED whether it changed
/// something; ARGV_END: where the argv buffer's next argv goes (TypeScript
/// zeroes it with COUNT); SEGMENT: where the running script's commands start
/// (a script run by the batch path follows those of the batch's scripts before
/// it, which TypeScript accounts with their own commands; 0 otherwise), and
/// FLAGS its script flags (set for a script the batch path runs).
pub const H_COUNT: usize = 0;
pub const H_MODE: usize = 1;
pub const H_DB: usize = 2;
pub const H_SLOW_US: usize = 3;
pub const H_LAST_INDEX: usize = 4;
pub const H_LAST_USEC: usize = 5;
pub const H_LAST_CHANGED: usize = 6;
pub const H_ARGV_END: usize = 7;
pub const H_SEGMENT: usize = 8;
pub const H_FLAGS: usize = 9;
pub const HEADER: usize = 10;
/// Per command: its registration index, its time (µs), its db, and where its
/// packed argv (bridge::pack) starts in the argv buffer and its count (-1, 0: none).
pub const FIELDS: usize = 5;

pub const MODE_ON: f64 = 1.0;
pub const MODE_READONLY: f64 = 2.0;

/// Registration flags: a write command (refused in read-only scripts: TypeScript answers).
pub const F_DENY_READONLY: u32 = 1;

const NAME_MAX: usize = 32;
pub const ARGS_MAX: usize = 64;

struct Entry {
    cmd: u32,
    arity: i32,
    flags: u32,
    index: u32,
}

struct Calibration {
    ns_per_stamp: f64,
    anchor: Instant,
    anchor_stamp: u64,
    since_check: u32,
}

thread_local! {
    static TABLE: RefCell<ahash::AHashMap<Vec<u8>, Entry>> = RefCell::new(ahash::AHashMap::new());
    static LOG: Cell<(*mut f64, usize)> = const { Cell::new((std::ptr::null_mut(), 0)) };
    static ARGV: Cell<(*mut u8, usize)> = const { Cell::new((std::ptr::null_mut(), 0)) };
    /// Where a command's reply is written (reused).
    static OUT: RefCell<Vec<u8>> = RefCell::new(vec![0u8; 16 * 1024]);
    static CALIB: RefCell<Option<Calibration>> = const { RefCell::new(None) };
}

/// Registers the commands scripts may run here: lowercase names, engine ids, arities, F_* flags.
pub fn set_table(names: &[String], cmds: &[u32], arities: &[i32], flags: &[u32]) -> Result<(), String> {
    let mut map = ahash::AHashMap::new();
    for (i, name) in names.iter().enumerate() {
        let (Some(&cmd), Some(&arity), Some(&flags)) = (cmds.get(i), arities.get(i), flags.get(i)) else {
            return Err("the table's columns differ in length".into());
        };
        if name.len() > NAME_MAX || name.bytes().any(|b| b.is_ascii_uppercase()) || cmd as usize >= crate::command::table().len() {
            return Err(format!("cannot register '{name}' ({cmd})"));
        }
        map.insert(name.as_bytes().to_vec(), Entry { cmd, arity, flags, index: i as u32 });
    }
    TABLE.with(|t| *t.borrow_mut() = map);
    calibrate_now();
    Ok(())
}

/// Registers the log (HEADER + FIELDS per command f64s).
///
/// # Safety
/// `ptr` must point to `len` f64s that stay allocated and in place for the life of the process.
pub unsafe fn register_log(ptr: *mut f64, len: usize, argv: *mut u8, argv_len: usize) {
    assert!(len >= HEADER + FIELDS);
    std::slice::from_raw_parts_mut(ptr, len).fill(0.0);
    LOG.with(|l| l.set((ptr, len)));
    ARGV.with(|a| a.set((argv, argv_len)));
}

/// Copies a packed argv into the argv buffer: where it starts, or None when it does not fit.
fn keep_argv(log: &mut [f64], packed: &[u8]) -> Option<usize> {
    let (p, len) = ARGV.with(|a| a.get());
    let at = log[H_ARGV_END] as usize;
    if p.is_null() || at + packed.len() > len {
        return None;
    }
    unsafe { std::ptr::copy_nonoverlapping(packed.as_ptr(), p.add(at), packed.len()) };
    log[H_ARGV_END] = (at + packed.len()) as f64;
    Some(at)
}

fn log() -> Option<&'static mut [f64]> {
    let (p, len) = LOG.with(|l| l.get());
    if p.is_null() {
        return None;
    }
    Some(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// Starts the log for a script the batch path runs in `db` (`readonly`: write
/// commands go to TypeScript, which refuses them) with script `flags`: its
/// commands are logged after those already there. False when the log is not
/// registered or has too little room left (TypeScript drains it first).
pub fn begin_batch_script(db: usize, readonly: bool, flags: u32) -> bool {
    let Some(log) = log() else { return false };
    let count = log[H_COUNT] as usize;
    if HEADER + (count + 64) * FIELDS > log.len() {
        return false;
    }
    log[H_MODE] = if readonly { MODE_READONLY } else { MODE_ON };
    log[H_DB] = db as f64;
    log[H_SEGMENT] = count as f64;
    log[H_FLAGS] = flags as f64;
    true
}

/// Ends a script the batch path ran: where its logged commands end.
pub fn end_batch_script() -> usize {
    let Some(log) = log() else { return 0 };
    log[H_MODE] = 0.0;
    log[H_SEGMENT] = 0.0;
    log[H_COUNT] as usize
}

/// What a command run here asks of TypeScript after it.
pub enum After {
    /// Nothing now: it is in the log.
    Logged,
    /// Account for it at once (its index and time are in the header): its reply's first line follows.
    Account,
    /// The log is full: drain it.
    Drain,
}

/// Runs `argv` (`packed` as bridge::pack made it) here when it may be; `take`
/// gets its reply (valid only during it) and returns what the caller keeps.
/// None: the command goes the usual way.
pub fn run<R>(argv: &[&[u8]], packed: &[u8], resp: u32, take: impl FnOnce(&[u8]) -> R) -> Option<(R, After)> {
    let log = log()?;
    let mode = log[H_MODE];
    if mode == 0.0 || argv.is_empty() || argv[0].len() > NAME_MAX {
        return None;
    }
    let mut lower = [0u8; NAME_MAX];
    for (d, s) in lower.iter_mut().zip(argv[0]) {
        *d = s.to_ascii_lowercase();
    }
    let (cmd, index) = TABLE.with(|t| {
        let t = t.borrow();
        let e = t.get(&lower[..argv[0].len()])?;
        let argc = argv.len() as i32;
        let arity_ok = if e.arity > 0 { argc == e.arity } else { argc >= -e.arity };
        if !arity_ok || (mode == MODE_READONLY && e.flags & F_DENY_READONLY != 0) {
            return None;
        }
        Some((e.cmd, e.index))
    })?;
    let db = log[H_DB] as usize;
    let ks = ks();
    let propagating = ks.propagating();
    let dirty = ks.dirty();
    ks.shared.set(crate::state::RESP, resp as f64);
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        let t0 = stamp();
        let mut out = Out::new(&mut o[..], 0);
        out.resp3 = resp == 3;
        let status = (crate::command::table()[cmd as usize].f)(ks, db, argv, &mut out);
        if status == code::BLOCK {
            // Nothing changed, nothing written: TypeScript answers it as a script's blocking command.
            return None;
        }
        let end = out.finish();
        let usec = usec(stamp().wrapping_sub(t0));
        let spilled;
        let reply: &[u8] = match status {
            code::WRITTEN if end == code::NOSPACE => {
                spilled = crate::reply::take_pending_vec();
                &spilled
            }
            code::WRITTEN => &o[..end as usize],
            code::NIL if resp == 3 => b"_\r\n",
            code::NIL => b"$-1\r\n",
            code::OK => b"+OK\r\n",
            code::NIL_ARRAY if resp == 3 => b"_\r\n",
            code::NIL_ARRAY => b"*-1\r\n",
            _ => b"-ERR internal error: an engine status a script cannot answer\r\n",
        };
        let changed = ks.dirty() != dirty;
        let argv_at = if propagating && changed { keep_argv(log, packed).map_or(-2.0, |at| at as f64) } else { -1.0 };
        let entry = Logged { index, usec, db, argv_at, argc: argv.len(), changed };
        let after = after(ks, log, &entry, reply.first() == Some(&b'-'));
        Some((take(reply), after))
    })
}

/// A command that ran, as the log keeps it (argv_at -1: nothing to propagate, -2: its argv did not fit).
struct Logged {
    index: u32,
    usec: f64,
    db: usize,
    argv_at: f64,
    argc: usize,
    changed: bool,
}

/// Logs a command that ran (or hands it to TypeScript at once).
fn after(ks: &Keyspace, log: &mut [f64], e: &Logged, error: bool) -> After {
    let slow = log[H_SLOW_US];
    // Keyspace events alone wait: they are published at the next crossing or the script's end.
    if error || (slow >= 0.0 && e.usec >= slow) || ks.urgent_records() || e.argv_at == -2.0 {
        log[H_LAST_INDEX] = e.index as f64;
        log[H_LAST_USEC] = e.usec;
        log[H_LAST_CHANGED] = if e.changed && ks.propagating() { 1.0 } else { 0.0 };
        if e.argv_at >= 0.0 {
            // Its argv goes with the crossing instead.
            log[H_ARGV_END] = e.argv_at;
        }
        return After::Account;
    }
    let n = log[H_COUNT] as usize;
    let at = HEADER + n * FIELDS;
    log[at] = e.index as f64;
    log[at + 1] = e.usec;
    log[at + 2] = e.db as f64;
    log[at + 3] = e.argv_at;
    log[at + 4] = e.argc as f64;
    log[H_COUNT] = (n + 1) as f64;
    if HEADER + (n + 2) * FIELDS > log.len() {
        After::Drain
    } else {
        After::Logged
    }
}

/// The first line of a reply (an error's text, for its code), without CRLF.
pub fn first_line(reply: &[u8]) -> &[u8] {
    let end = reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len());
    &reply[..end]
}

/// Microseconds for `stamps` time-stamp counter ticks, with a ratio the clock
/// checks every so often (one clock read per 1024 commands).
fn usec(stamps: u64) -> f64 {
    CALIB.with(|c| {
        let mut c = c.borrow_mut();
        let Some(cal) = c.as_mut() else { return 0.0 };
        cal.since_check += 1;
        if cal.since_check >= 1024 {
            cal.since_check = 0;
            let ns = cal.anchor.elapsed().as_nanos() as f64;
            if ns >= 1e6 {
                let now = stamp();
                cal.ns_per_stamp = ns / (now.wrapping_sub(cal.anchor_stamp).max(1) as f64);
                cal.anchor = Instant::now();
                cal.anchor_stamp = stamp();
            }
        }
        stamps as f64 * cal.ns_per_stamp / 1000.0
    })
}

/// A first ratio of nanoseconds to stamps, from a short wait (at registration).
fn calibrate_now() {
    let (i0, s0) = (Instant::now(), stamp());
    while i0.elapsed().as_micros() < 200 {
        std::hint::spin_loop();
    }
    let ns = i0.elapsed().as_nanos() as f64;
    let ratio = ns / (stamp().wrapping_sub(s0).max(1) as f64);
    CALIB.with(|c| *c.borrow_mut() = Some(Calibration { ns_per_stamp: ratio, anchor: Instant::now(), anchor_stamp: stamp(), since_check: 0 }));
}

#[inline(always)]
fn stamp() -> u64 {
    crate::batch::stamp()
}
