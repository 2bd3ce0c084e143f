//! A pipeline's commands run in one native call (issue 7's "batch" path).
//!
//! TypeScript keeps every rule: it decides when a client's input may be run
//! here (nothing listens on the write path, no MULTI, no MONITOR, no pause, an
//! authenticated client whose replies are on, ...) and which commands may be:
//! engine-table commands whose TypeScript handler is nothing but the engine
//! call, registered with their arity (`set_table`). This module then parses
//! the complete RESP commands at the start of the input, runs each one that is
//! registered through the same `Cmd` function the TypeScript handler calls,
//! writes its reply, and stops at the first command it must leave to
//! TypeScript (not registered, a wrong arity, a quoted inline command, a
//! malformed or incomplete one) without touching it. Each command it ran is logged
//! (which, how long, where its bytes and its reply are) for TypeScript to
//! account as call() does: statistics, errors, latency, slowlog.
use crate::command::table;
use crate::keyspace::Keyspace;
use crate::reply::{code, Out};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::RwLock;
use std::time::Instant;

/// Log header slots: commands logged, where the input and the output stopped,
/// and whether the last command's reply waits in the overflow area.
pub const LOG_COUNT: usize = 0;
pub const LOG_IN: usize = 1;
pub const LOG_OUT: usize = 2;
pub const LOG_SPILLED: usize = 3;
/// 1 when the batch stopped before a command it could have run (a record to
/// drain, a spilled reply, a full log, the output limit): TypeScript may call again.
pub const LOG_AGAIN: usize = 4;
/// 1 + where a script's command starts in the input when the batch ended
/// with it suspended (it passed busy-reply-threshold; LOG_IN is where it
/// ends): TypeScript takes it over as a busy script. 0 otherwise.
pub const LOG_SUSPENDED: usize = 5;
pub const LOG_HEADER: usize = 6;
/// Per command: its registration index, its run time (µs; for the commands
/// before a panic it stays in time-stamp counter units), the offsets of its
/// bytes in the input [start, end), where its reply starts in the output, and
/// the changes it made (the dirty count's growth: TypeScript propagates it;
/// for a script, which runs only while nothing propagates: where its commands
/// end in the scripts' direct log times 2, plus 1 when its error reply was
/// counted already by the command that failed).
pub const LOG_FIELDS: usize = 6;

/// The longest command name the table can hold (names are matched lowercase).
const NAME_MAX: usize = 32;
/// A command with more arguments than this goes to TypeScript.
const ARGS_MAX: usize = 64;

/// What a registered name is: an engine command, or MULTI / EXEC (a whole
/// transaction of engine commands in the input runs here).
pub const KIND_COMMAND: u32 = 0;
pub const KIND_MULTI: u32 = 1;
pub const KIND_EXEC: u32 = 2;
/// An engine command that serves now or would block (XREAD, XREADGROUP): run
/// here while nothing propagates (XREADGROUP propagates XCLAIMs instead of
/// itself), never inside a transaction here; when it would block, TypeScript
/// runs it again (what it did before saying so, creating XREADGROUP's
/// consumer, is not done twice).
pub const KIND_SERVE_OR_BLOCK: u32 = 3;
/// PUBLISH: answered here with its receivers' count (pubsub.rs); TypeScript
/// delivers the message (and propagates it to replicas) from the log. Never
/// inside a transaction here.
pub const KIND_PUBLISH: u32 = 4;
/// EVALSHA, EVALSHA_RO, FCALL, FCALL_RO (their id: api/scripting.rs BATCH_*):
/// a script TypeScript registered runs here while the state block's SCRIPTS
/// slot says scripts may (and nothing propagates); its redis.call runs engine
/// commands without crossing (lua/direct.rs) and crosses to JavaScript for the
/// others, as the usual way does. Never inside a transaction here; in the
/// read loop's batches only as a read's one command (Scripts::Whole).
pub const KIND_SCRIPT: u32 = 5;

/// Which KIND_SCRIPT commands a batch may run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scripts {
    None,
    /// Any (a batch TypeScript starts).
    All,
    /// A script command that is the whole input (a read of the read loop),
    /// while no change record waits from an earlier batch of the turn: a
    /// crossing runs JavaScript in the middle of the loop's turn, so nothing
    /// of the turn may be waiting for it there but the earlier batches'
    /// statistics (their replies go to clients a crossing never writes to:
    /// subscribers, MONITORs and tracking clients do not run in the loop).
    Whole,
}

struct Entry {
    cmd: u32,
    arity: i32,
    kind: u32,
    /// Its position in the registration (what the log reports).
    index: u32,
}

impl Entry {
    fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity > 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }
}

type Table = ahash::AHashMap<Vec<u8>, Entry>;

/// The entry for a command name in any ASCII case.
#[inline]
fn lookup<'t>(map: &'t Table, name: &[u8]) -> Option<&'t Entry> {
    if name.len() > NAME_MAX {
        return None;
    }
    let mut lower = [0u8; NAME_MAX];
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    map.get(&lower[..name.len()])
}

static TABLE: RwLock<Option<Table>> = RwLock::new(None);
static LOG: AtomicPtr<f64> = AtomicPtr::new(std::ptr::null_mut());
static LOG_CAP: AtomicUsize = AtomicUsize::new(0);

/// Registers the commands this path may run: lowercase `names` (as the client
/// may send them, renames applied), the engine command ids, Redis's arities,
/// and what each is (KIND_*; the id of MULTI and EXEC is not used).
pub fn set_table(names: &[String], cmds: &[u32], arities: &[i32], kinds: &[u32]) -> Result<(), String> {
    let mut map = Table::default();
    for (i, name) in names.iter().enumerate() {
        let cmd = *cmds.get(i).ok_or("fewer ids than names")?;
        let arity = *arities.get(i).ok_or("fewer arities than names")?;
        let kind = *kinds.get(i).ok_or("fewer kinds than names")?;
        if name.len() > NAME_MAX || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("name '{name}' is not lowercase or too long"));
        }
        if kind > KIND_SCRIPT
            || ((kind == KIND_COMMAND || kind == KIND_SERVE_OR_BLOCK) && cmd as usize >= table().len())
            || (kind == KIND_SCRIPT && cmd > crate::api::scripting::BATCH_FCALL_RO)
        {
            return Err(format!("no engine command {cmd} (kind {kind})"));
        }
        map.insert(name.as_bytes().to_vec(), Entry { cmd, arity, kind, index: i as u32 });
    }
    *TABLE.write().unwrap() = Some(map);
    Ok(())
}

/// Registers the log JavaScript reads after each batch (header + LOG_FIELDS per command).
///
/// # Safety
/// `ptr` must point to `len` f64s that stay allocated and in place for the life of the process.
pub unsafe fn register_log(ptr: *mut f64, len: usize) {
    assert!(len > LOG_HEADER + LOG_FIELDS);
    LOG_CAP.store((len - LOG_HEADER) / LOG_FIELDS, Ordering::Relaxed);
    LOG.store(ptr, Ordering::Relaxed);
}

/// Where one complete command ends, a RESP multibulk or a plain inline line;
/// its arguments go to `args`. None when the command must go to TypeScript: a
/// header that is not plain digits, too many arguments, a bulk over
/// `max_bulk`, an inline line `inline` leaves, or bytes still to come.
fn parse<'a>(input: &'a [u8], pos: usize, max_bulk: u64, args: &mut [&'a [u8]; ARGS_MAX]) -> Option<(usize, usize)> {
    match input.get(pos) {
        Some(&b'*') => {}
        Some(_) => return inline(input, pos, args),
        None => return None,
    }
    let (count, next) = header(input, pos + 1)?;
    if count == 0 || count > ARGS_MAX as u64 {
        return None;
    }
    Some((count as usize, bulks(input, next, &mut args[..count as usize], max_bulk)?))
}

/// An inline command line at `pos` (Redis's processInlineBuffer), ended by
/// "\n" or "\r\n", when it is plain: arguments of bytes other than quotes and
/// control bytes, split by spaces and tabs, where sdssplitargs and
/// src/protocol/inline.ts split the same way. Its argument count and where the
/// line ends; None for a line with quotes, other control bytes, no argument
/// or no newline yet, or too many arguments (TypeScript's parser takes those,
/// with their errors).
fn inline<'a>(input: &'a [u8], pos: usize, args: &mut [&'a [u8]; ARGS_MAX]) -> Option<(usize, usize)> {
    let nl = pos + input[pos..].iter().position(|&c| c == b'\n')?;
    let end = if nl > pos && input[nl - 1] == b'\r' { nl - 1 } else { nl };
    let line = &input[pos..end];
    let (mut argc, mut i) = (0, 0);
    while i < line.len() {
        if line[i] == b' ' || line[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && line[i] != b' ' && line[i] != b'\t' {
            if line[i] < 0x20 || line[i] == b'"' || line[i] == b'\'' {
                return None;
            }
            i += 1;
        }
        *args.get_mut(argc)? = &line[start..i];
        argc += 1;
    }
    (argc > 0).then_some((argc, nl + 1))
}

/// Parses complete bulks from `pos` into each of `args`: where they end.
#[inline]
fn bulks<'a>(input: &'a [u8], mut pos: usize, args: &mut [&'a [u8]], max_bulk: u64) -> Option<usize> {
    for slot in args.iter_mut() {
        if input.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, next) = header(input, pos + 1)?;
        if len > max_bulk {
            return None;
        }
        let end = next.checked_add(len as usize)?;
        // Only exact CRLFs here (Redis skips those two bytes unread; TypeScript's parser too):
        // a command run here is then byte for byte the encoding propagation writes (batch.ts).
        if end + 2 > input.len() || input[end] != b'\r' || input[end + 1] != b'\n' {
            return None;
        }
        *slot = &input[next..end];
        pos = end + 2;
    }
    Some(pos)
}

/// Whether `input` starts with a command TypeScript could run as it is (a
/// whole multibulk, a line, or bytes its parser answers with an error): false
/// only for the start of a multibulk command whose bytes are still to come.
pub fn starts_with_whole_command(input: &[u8]) -> bool {
    match input.first() {
        None => false,
        Some(&b'*') => {
            let Some((count, mut pos)) = header(input, 1) else {
                // A header not plain digits, or an unfinished one: whole only with its line.
                return input.contains(&b'\n');
            };
            for _ in 0..count {
                if pos >= input.len() {
                    return false;
                }
                if input[pos] != b'$' {
                    return true; // a protocol error
                }
                match header(input, pos + 1) {
                    Some((len, next)) => pos = next.saturating_add(len as usize).saturating_add(2),
                    None => return input[pos..].contains(&b'\n'),
                }
            }
            pos <= input.len()
        }
        Some(_) => input.contains(&b'\n'),
    }
}

/// A header's number (plain digits, 1 to 9 of them, no leading zero but "0"
/// itself, then CRLF) and where its line ends; None for anything else or an unfinished line.
#[inline]
fn header(input: &[u8], mut pos: usize) -> Option<(u64, usize)> {
    let start = pos;
    let mut v: u64 = 0;
    while let Some(&c) = input.get(pos) {
        if c == b'\r' {
            break;
        }
        if !c.is_ascii_digit() || pos - start >= 9 {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
        pos += 1;
    }
    let n = pos - start;
    if n == 0 || (n > 1 && input[start] == b'0') || pos + 1 >= input.len() || input[pos + 1] != b'\n' {
        return None;
    }
    Some((v, pos + 2))
}

/// Runs the registered commands at the start of `input[from..]` in `db`,
/// replying into `buf` from `pos`, until one must go to TypeScript, the
/// output reaches `limit` bytes, the log is full or a reply spills. Returns
/// the number of commands run; the log's header says where input and output
/// stopped.
pub fn run(ks: &mut Keyspace, db: usize, input: &[u8], from: usize, buf: &mut [u8], pos: usize, limit: usize) -> usize {
    let log_ptr = LOG.load(Ordering::Relaxed);
    let cap = LOG_CAP.load(Ordering::Relaxed);
    assert!(!log_ptr.is_null(), "batch log not registered");
    let log = unsafe { std::slice::from_raw_parts_mut(log_ptr, LOG_HEADER + cap * LOG_FIELDS) };
    run_logged(ks, db, input, from, buf, pos, limit, log, None, Scripts::All)
}

/// `run` with its own log: a header and as many entries as `log` holds (the
/// read loop's batches log into one turn log, one such segment each), and
/// the time-stamp counter's µs per stamp when the caller knows it (else the
/// clock is read at the batch's start and end to measure it); `scripts`:
/// which KIND_SCRIPT commands may run.
#[allow(clippy::too_many_arguments)]
pub fn run_logged(ks: &mut Keyspace, db: usize, input: &[u8], from: usize, buf: &mut [u8], pos: usize, limit: usize, log: &mut [f64], usec_per_stamp: Option<f64>, scripts: Scripts) -> usize {
    let cap = (log.len() - LOG_HEADER) / LOG_FIELDS;
    let guard = TABLE.read().unwrap();
    let map = guard.as_ref().expect("batch table not registered");
    let max_bulk = crate::config::get().proto_max_bulk_len.max(0) as u64;
    let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
    let (mut inp, mut outp, mut n, mut spilled, mut stop_after) = (from, pos, 0usize, false, false);
    log_begin(log, from, pos);
    crate::pubsub::set_published(false);
    // Per command one time-stamp counter read (a few ns; the clock costs ~25 ns
    // a read), turned into time with the ratio the clock gives over the whole batch.
    let (clock0, stamp0) = (if usec_per_stamp.is_none() { Some(Instant::now()) } else { None }, stamp());
    let mut t0 = stamp0;
    while n < cap && outp < limit {
        let Some((argc, end)) = parse(input, inp, max_bulk, &mut args) else { break };
        let Some(e) = lookup(map, args[0]) else { break };
        if !e.arity_ok(argc) {
            break;
        }
        let res = match e.kind {
            KIND_SERVE_OR_BLOCK if ks.propagating() => break,
            // Keyspace events recorded before it are published first (TypeScript drains them, then runs it).
            KIND_PUBLISH if !ks.changes.is_empty() => break,
            KIND_COMMAND | KIND_SERVE_OR_BLOCK | KIND_PUBLISH => {
                let mut out = Out::new(buf, outp);
                let dirty = ks.dirty();
                // Would block (only KIND_SERVE_OR_BLOCK commands may), or PUBLISH past the
                // patterns counted here: nothing written; TypeScript runs it.
                let ran = if e.kind == KIND_PUBLISH { publish(args[1], &mut out) } else { run_one(ks, db, e, &args[..argc], &mut out) };
                if !ran {
                    break;
                }
                let res = out.finish();
                let t1 = stamp();
                log_entry(log, n, e, t1.wrapping_sub(t0), inp, end, outp);
                log[LOG_HEADER + n * LOG_FIELDS + 5] = (ks.dirty() - dirty) as f64;
                t0 = t1;
                n += 1;
                inp = end;
                // What it recorded (an expired key's DEL, a rewrite of what it propagates,
                // a waited key's change) is drained with its own propagation: TypeScript
                // takes over after it. Keyspace events alone are published after the batch.
                if ks.urgent_records() {
                    stop_after = true;
                }
                res
            }
            // While propagation is recorded, transactions go the usual way (their
            // commands' records could not be told apart).
            KIND_MULTI if ks.propagating() => break,
            KIND_MULTI => {
                let Some(tx) = Transaction::scan(map, input, end, max_bulk, cap - n) else { break };
                let res = tx.run(ks, db, e, input, inp, buf, outp, log, n, &mut t0);
                n += tx.commands.len() + 2;
                inp = tx.end;
                // A waited key it changed: its blocked clients are served after EXEC, before what follows.
                if ks.urgent_records() {
                    stop_after = true;
                }
                res
            }
            KIND_SCRIPT => {
                let busy = ks.shared.get(crate::state::SCRIPTS);
                let whole = || n == 0 && end == input.len() && ks.changes.is_empty();
                if scripts == Scripts::None || (scripts == Scripts::Whole && !whole()) || busy <= 0.0 || ks.propagating() {
                    break;
                }
                let Some(numkeys) = script_numkeys(args[2], argc) else { break };
                let resp = if ks.shared.get(crate::state::RESP) == 3.0 { 3 } else { 2 };
                let (keys, rest) = args[3..argc].split_at(numkeys);
                let mut out = Out::new(buf, outp);
                let ran = crate::api::scripting::run_for_batch(ks, e.cmd, args[1], keys, rest, db, resp, busy - 1.0, &mut out);
                match ran {
                    None => break,
                    Some(crate::api::scripting::BatchRun::Suspended) => {
                        log[LOG_SUSPENDED] = (inp + 1) as f64;
                        inp = end;
                        log[LOG_COUNT] = n as f64;
                        log[LOG_IN] = inp as f64;
                        log[LOG_OUT] = outp as f64;
                        break;
                    }
                    Some(crate::api::scripting::BatchRun::Done(counted, direct_end, crossed)) => {
                        let res = out.finish();
                        let t1 = stamp();
                        log_entry(log, n, e, t1.wrapping_sub(t0), inp, end, outp);
                        log[LOG_HEADER + n * LOG_FIELDS + 5] = (direct_end * 2 + counted as usize) as f64;
                        t0 = t1;
                        n += 1;
                        inp = end;
                        // A waited key it changed (recorded, or drained by a crossing): the
                        // clients blocked on it are served before what follows.
                        if crossed || ks.urgent_records() {
                            stop_after = true;
                        }
                        res
                    }
                }
            }
            // EXEC without MULTI: TypeScript answers.
            _ => break,
        };
        spilled = res == code::NOSPACE;
        if !spilled {
            outp = res as usize;
        }
        // Kept current after each command: if the next one panics, TypeScript
        // still accounts for those that ran.
        log[LOG_COUNT] = n as f64;
        log[LOG_IN] = inp as f64;
        log[LOG_OUT] = outp as f64;
        if spilled || stop_after {
            break;
        }
    }
    log[LOG_SPILLED] = if spilled { 1.0 } else { 0.0 };
    log[LOG_AGAIN] = if spilled || stop_after || n == cap || outp >= limit { 1.0 } else { 0.0 };
    if n > 0 {
        let usec_per_stamp = usec_per_stamp.unwrap_or_else(|| measured_rate(clock0, stamp().wrapping_sub(stamp0)));
        for i in 0..n {
            log[LOG_HEADER + i * LOG_FIELDS + 1] *= usec_per_stamp;
        }
    }
    n
}

/// A command's last argument this long or more that has not all arrived may be
/// held by the read loop (native/src/api/held.rs) in a buffer of its size,
/// which the value the command makes then takes (Redis's PROTO_MBULK_BIG_ARG).
pub const HELD_MIN: usize = 32 * 1024;
/// Longer ones go the usual way, where CLIENT LIST and the query buffer limits
/// see them grow (a command of a few hundred KB is held for a turn or two).
pub const HELD_MAX: usize = 512 * 1024;

/// The arguments of a multibulk command but its last, all complete, then the
/// last one's header: the command's argument count, where that header ends
/// and the last argument's length (the first `argc - 1` arguments go to `args`).
fn split_head<'a>(input: &'a [u8], max_bulk: u64, args: &mut [&'a [u8]; ARGS_MAX]) -> Option<(usize, usize, usize)> {
    if input.first() != Some(&b'*') {
        return None;
    }
    let (count, pos) = header(input, 1)?;
    if count < 2 || count > ARGS_MAX as u64 {
        return None;
    }
    let pos = bulks(input, pos, &mut args[..count as usize - 1], max_bulk)?;
    if input.get(pos) != Some(&b'$') {
        return None;
    }
    let (len, head) = header(input, pos + 1)?;
    if len > max_bulk {
        return None;
    }
    Some((count as usize, head, len as usize))
}

/// When `input` starts with a command this path runs whose last argument is
/// big (HELD_MIN to HELD_MAX bytes) and has not all arrived: the length of its
/// head (its bytes up to that argument's data), the argument's length and the
/// other arguments' (CLIENT LIST's argv-mem).
pub fn held_head(input: &[u8]) -> Option<(usize, usize, usize)> {
    let guard = TABLE.read().unwrap();
    let map = guard.as_ref()?;
    let max_bulk = crate::config::get().proto_max_bulk_len.max(0) as u64;
    let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
    let (argc, head, len) = split_head(input, max_bulk, &mut args)?;
    if !(HELD_MIN..=HELD_MAX).contains(&len) || input.len() - head >= len + 2 {
        return None;
    }
    let e = lookup(map, args[0])?;
    (e.kind == KIND_COMMAND && e.arity_ok(argc)).then(|| (head, len, args[..argc - 1].iter().map(|a| a.len()).sum()))
}

/// Runs a command the read loop held: `head` (as held_head found it) and its
/// last argument `big`, whole, its CRLF off and its allocation exactly its size,
/// which a string value the command makes takes as it is (t_string::encode: no
/// copy, as Redis makes its query buffer the argument). Replies into `buf` at
/// `pos`, logs it as one entry whose bytes are at [at, at + its length) (where
/// the caller copies them when JavaScript needs them). Returns whether it ran
/// (the registration may have changed since held_head: then nothing ran) and
/// the argument when the command did not keep it.
#[allow(clippy::too_many_arguments)]
pub fn run_held(ks: &mut Keyspace, db: usize, head: &[u8], big: Vec<u8>, buf: &mut [u8], pos: usize, log: &mut [f64], usec_per_stamp: Option<f64>, at: usize) -> (bool, Option<Vec<u8>>) {
    let guard = TABLE.read().unwrap();
    let map = guard.as_ref().expect("batch table not registered");
    log_begin(log, at, pos);
    let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
    let Some((argc, end, len)) = split_head(head, u64::MAX, &mut args) else { return (false, Some(big)) };
    let Some(e) = lookup(map, args[0]).filter(|e| e.kind == KIND_COMMAND && e.arity_ok(argc) && end == head.len() && len == big.len()) else {
        return (false, Some(big));
    };
    // The argument's bytes stay where they are: offered to the value, or handed back after.
    args[argc - 1] = unsafe { std::slice::from_raw_parts(big.as_ptr(), big.len()) };
    crate::t_string::donate(big);
    let (clock0, t0) = (if usec_per_stamp.is_none() { Some(Instant::now()) } else { None }, stamp());
    let mut out = Out::new(buf, pos);
    let dirty = ks.dirty();
    let ran = run_one(ks, db, e, &args[..argc], &mut out);
    let res = if ran { out.finish() } else { pos as i64 };
    let left = crate::t_string::withdraw();
    if !ran {
        return (false, left);
    }
    let stamps = stamp().wrapping_sub(t0);
    let rate = usec_per_stamp.unwrap_or_else(|| measured_rate(clock0, stamps));
    log_entry(log, 0, e, stamps, at, at + head.len() + len + 2, pos);
    log[LOG_HEADER + 1] = stamps as f64 * rate;
    log[LOG_HEADER + 5] = (ks.dirty() - dirty) as f64;
    let spilled = res == code::NOSPACE;
    log[LOG_COUNT] = 1.0;
    log[LOG_IN] = (at + head.len() + len + 2) as f64;
    log[LOG_OUT] = if spilled { pos as f64 } else { res as f64 };
    log[LOG_SPILLED] = if spilled { 1.0 } else { 0.0 };
    (true, left)
}

/// Runs engine command `e` and writes its status code's answer; false when it would block.
#[inline]
fn run_one(ks: &mut Keyspace, db: usize, e: &Entry, argv: &[&[u8]], out: &mut Out) -> bool {
    let cmd = &table()[e.cmd as usize];
    match (cmd.f)(ks, db, argv, out) {
        code::WRITTEN => {}
        code::NIL => out.null(),
        code::OK => out.raw(b"+OK\r\n"),
        code::NIL_ARRAY => out.null_array(),
        code::BLOCK => return false,
        other => panic!("engine command {} returned status {other}, which the batch path cannot answer", cmd.name),
    }
    true
}

/// PUBLISH to `channel`: its receivers' count, the message left to TypeScript
/// (which delivers it, and propagates it to replicas, from the log); false
/// when the count is not known here (pubsub.rs `receivers`).
fn publish(channel: &[u8], out: &mut Out) -> bool {
    let Some(receivers) = crate::pubsub::receivers(channel) else { return false };
    crate::pubsub::set_published(true);
    out.int(receivers as i64);
    true
}

/// A batch's log header before anything ran: its input starts at `from`, its replies at `pos`.
fn log_begin(log: &mut [f64], from: usize, pos: usize) {
    log[LOG_COUNT] = 0.0;
    log[LOG_SUSPENDED] = 0.0;
    log[LOG_IN] = from as f64;
    log[LOG_OUT] = pos as f64;
    log[LOG_SPILLED] = 0.0;
    log[LOG_AGAIN] = 0.0;
}

/// µs per time-stamp tick over `stamps` ticks since the clock read `clock0`
/// (taken when the caller did not know the rate).
fn measured_rate(clock0: Option<Instant>, stamps: u64) -> f64 {
    clock0.map_or(0.0, |c| c.elapsed().as_nanos() as f64 / 1000.0 / stamps.max(1) as f64)
}

/// Logs the `n`-th command of the batch: what ran, its time in stamps, its bytes, its reply's offset.
#[inline]
fn log_entry(log: &mut [f64], n: usize, e: &Entry, stamps: u64, start: usize, end: usize, reply_at: usize) {
    let at = LOG_HEADER + n * LOG_FIELDS;
    log[at] = e.index as f64;
    log[at + 1] = stamps as f64; // turned into µs at the end of the batch
    log[at + 2] = start as f64;
    log[at + 3] = end as f64;
    log[at + 4] = reply_at as f64;
    log[at + 5] = 0.0;
}

thread_local! {
    /// Where a transaction's replies are gathered (kept between transactions; it only grows).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// MULTI, engine commands, EXEC, all complete in the input: run here as one
/// unit (replies +OK, +QUEUED each, then the array of their replies), as the
/// usual path would with nothing watched. Anything else in between (another
/// command, a wrong arity, DISCARD, WATCH, an unfinished EXEC) leaves the
/// whole transaction to TypeScript.
struct Transaction<'t> {
    /// Each queued command's bytes [start, end) and entry.
    commands: Vec<(usize, usize, &'t Entry)>,
    exec: &'t Entry,
    exec_start: usize,
    /// Where EXEC ends in the input.
    end: usize,
}

impl<'t> Transaction<'t> {
    /// The transaction whose MULTI ends at `from`, if this path can run it with `room` log entries.
    fn scan(map: &'t Table, input: &[u8], from: usize, max_bulk: u64, room: usize) -> Option<Transaction<'t>> {
        let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
        let mut commands = Vec::new();
        let mut p = from;
        loop {
            let (argc, end) = parse(input, p, max_bulk, &mut args)?;
            let e = lookup(map, args[0])?;
            if !e.arity_ok(argc) {
                return None;
            }
            match e.kind {
                KIND_COMMAND => commands.push((p, end, e)),
                KIND_EXEC => return Some(Transaction { commands, exec: e, exec_start: p, end }),
                _ => return None,
            }
            if commands.len() + 2 > room {
                return None;
            }
            p = end;
        }
    }

    /// Runs it, replying into `buf` at `outp` (or the overflow area: NOSPACE),
    /// logging MULTI, each command and EXEC from the `n`-th log entry on; the
    /// new output position or NOSPACE.
    #[allow(clippy::too_many_arguments)]
    fn run(&self, ks: &mut Keyspace, db: usize, multi: &Entry, input: &[u8], multi_start: usize, buf: &mut [u8], outp: usize, log: &mut [f64], n: usize, t0: &mut u64) -> i64 {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let mut len = 0;
            let put = |scratch: &mut Vec<u8>, len: &mut usize, bytes: &[u8]| {
                if scratch.len() < *len + bytes.len() {
                    scratch.resize(*len + bytes.len() + 16 * 1024, 0);
                }
                scratch[*len..*len + bytes.len()].copy_from_slice(bytes);
                *len += bytes.len();
            };
            put(&mut scratch, &mut len, b"+OK\r\n");
            let t1 = stamp();
            log_entry(log, n, multi, t1.wrapping_sub(*t0), multi_start, self.commands.first().map_or(self.exec_start, |c| c.0), outp);
            *t0 = t1;
            for _ in &self.commands {
                put(&mut scratch, &mut len, b"+QUEUED\r\n");
            }
            let exec_at = len;
            let exec_t0 = *t0;
            put(&mut scratch, &mut len, format!("*{}\r\n", self.commands.len()).as_bytes());
            let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
            for (i, &(start, end, e)) in self.commands.iter().enumerate() {
                let (argc, _) = parse(input, start, u64::MAX, &mut args).expect("scanned before");
                if scratch.len() < len + 16 * 1024 {
                    scratch.resize(len + 32 * 1024, 0);
                }
                let reply_at = len;
                let mut out = Out::new(&mut scratch[..], len);
                // Blocking commands are not registered: inside MULTI they would answer a null array.
                assert!(run_one(ks, db, e, &args[..argc], &mut out), "a blocking command in a batched transaction");
                let res = out.finish();
                if res == code::NOSPACE {
                    let v = crate::reply::take_pending_vec();
                    put(&mut scratch, &mut len, &v);
                } else {
                    len = res as usize;
                }
                let t1 = stamp();
                log_entry(log, n + 1 + i, e, t1.wrapping_sub(*t0), start, end, outp + reply_at);
                *t0 = t1;
            }
            let t1 = stamp();
            // EXEC's time holds its commands' (as call() measures a command that runs others).
            log_entry(log, n + 1 + self.commands.len(), self.exec, t1.wrapping_sub(exec_t0), self.exec_start, self.end, outp + exec_at);
            *t0 = t1;
            if outp + len <= buf.len() {
                buf[outp..outp + len].copy_from_slice(&scratch[..len]);
                (outp + len) as i64
            } else {
                crate::reply::set_pending(scratch[..len].to_vec());
                code::NOSPACE
            }
        })
    }
}

/// A script command's key count (its third argument) when it is one the
/// usual way accepts: plain digits, at most the arguments after it. None:
/// TypeScript answers (its errors).
fn script_numkeys(arg: &[u8], argc: usize) -> Option<usize> {
    if arg.is_empty() || arg.len() > 9 || !arg.iter().all(u8::is_ascii_digit) || (arg.len() > 1 && arg[0] == b'0') {
        return None;
    }
    let n = arg.iter().fold(0usize, |v, &c| v * 10 + (c - b'0') as usize);
    (n <= argc - 3).then_some(n)
}

/// A cheap monotonic stamp: the CPU's time-stamp counter where there is one, else nanoseconds.
#[inline(always)]
pub(crate) fn stamp() -> u64 {
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::OnceLock;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_whole_command_from_the_start_of_one() {
        let whole = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert!(starts_with_whole_command(whole));
        assert!(starts_with_whole_command(&[&whole[..], b"*1\r\n"].concat()));
        for cut in 0..whole.len() {
            assert!(!starts_with_whole_command(&whole[..cut]), "cut at {cut}");
        }
        // A line, a protocol error, a bad header (TypeScript answers them).
        assert!(starts_with_whole_command(b"PING\r\n"));
        assert!(!starts_with_whole_command(b"PIN"));
        assert!(starts_with_whole_command(b"*1\r\nPING\r\n"));
        assert!(starts_with_whole_command(b"*x\r\n"));
        assert!(!starts_with_whole_command(b"*12"));
        // A big bulk still coming.
        assert!(!starts_with_whole_command(b"*2\r\n$3\r\nSET\r\n$100000\r\nabc"));
    }

    fn cmd_bytes(parts: &[&[u8]]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            v.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
            v.extend_from_slice(p);
            v.extend_from_slice(b"\r\n");
        }
        v
    }

    fn cmd(parts: &[&str]) -> Vec<u8> {
        cmd_bytes(&parts.iter().map(|p| p.as_bytes()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_complete_commands_only() {
        let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
        let c = cmd(&["LPUSH", "k", "v"]);
        assert_eq!(parse(&c, 0, 1 << 20, &mut args), Some((3, c.len())));
        assert_eq!(args[0], b"LPUSH");
        assert_eq!(args[2], b"v");
        for cut in 0..c.len() {
            assert_eq!(parse(&c[..cut], 0, 1 << 20, &mut args), None, "cut at {cut}");
        }
        // Not plain: signs, leading zeros, a bulk over the limit.
        for bad in [&b"*+1\r\n$1\r\na\r\n"[..], b"*01\r\n$1\r\na\r\n", b"*1\r\n$01\r\na\r\n", b"*0\r\n"] {
            assert_eq!(parse(bad, 0, 1 << 20, &mut args), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(&cmd(&["GET", "abcdef"]), 0, 5, &mut args), None);
    }

    #[test]
    fn parses_plain_inline_lines_and_leaves_the_others() {
        let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
        let input = b"x\r\n  SET\tk  v\xff \r\nPING\nget k";
        assert_eq!(parse(input, 3, 0, &mut args), Some((3, 17)));
        assert_eq!(&args[..3], &[&b"SET"[..], b"k", b"v\xff"]);
        assert_eq!(parse(input, 17, 0, &mut args), Some((1, 22)), "a bare LF ends a line too");
        assert_eq!(args[0], b"PING");
        assert_eq!(parse(input, 22, 0, &mut args), None, "no newline yet");
        // Quotes (sdssplitargs unquotes them), other control bytes, no argument: TypeScript's.
        for bad in [&b"set k \"a b\"\r\n"[..], b"set k 'v'\r\n", b"set k a\"b\n", b"ping a\rb\r\n", b"ping \x0b\n", b"ping\0\n", b"\r\n", b"  \n"] {
            assert_eq!(parse(bad, 0, 1 << 20, &mut args), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let many = format!("{}\n", "a ".repeat(ARGS_MAX));
        assert_eq!(parse(many.as_bytes(), 0, 0, &mut args), Some((ARGS_MAX, many.len())));
        let too_many = format!("{}\n", "a ".repeat(ARGS_MAX + 1));
        assert_eq!(parse(too_many.as_bytes(), 0, 0, &mut args), None);
    }

    /// The table and the log are the process's: tests that set them run one at a time.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Registers a log of `entries` and a table of (name, arity, kind); the log.
    fn setup(entries: usize, names: &[(&str, i32, u32)]) -> Vec<f64> {
        let mut logbuf = vec![0f64; LOG_HEADER + entries * LOG_FIELDS];
        unsafe { register_log(logbuf.as_mut_ptr(), logbuf.len()) };
        let id = |n: &str| table().iter().position(|c| c.name == n).map_or(0, |i| i as u32);
        let list: Vec<String> = names.iter().map(|n| n.0.to_string()).collect();
        let ids: Vec<u32> = names.iter().map(|n| id(n.0)).collect();
        let arities: Vec<i32> = names.iter().map(|n| n.1).collect();
        let kinds: Vec<u32> = names.iter().map(|n| n.2).collect();
        set_table(&list, &ids, &arities, &kinds).unwrap();
        logbuf
    }

    #[test]
    fn runs_registered_commands_and_stops_at_the_others() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let logbuf = setup(4, &[("lpush", -3, KIND_COMMAND), ("llen", 2, KIND_COMMAND)]);
        let mut ks = Keyspace::new(1);
        let mut input = Vec::new();
        input.extend(cmd(&["lpush", "l", "a", "b"]));
        input.extend(cmd(&["LLEN", "l"]));
        input.extend(cmd(&["LLEN"])); // wrong arity: TypeScript's
        input.extend(cmd(&["LLEN", "l"]));
        let mut out = vec![0u8; 64];
        let n = run(&mut ks, 0, &input, 0, &mut out, 0, 64);
        assert_eq!(n, 2);
        let end = logbuf[LOG_OUT] as usize;
        assert_eq!(&out[..end], b":2\r\n:2\r\n");
        let stop = logbuf[LOG_IN] as usize;
        assert_eq!(&input[stop..stop + 4], b"*1\r\n");
        assert_eq!(logbuf[LOG_HEADER + LOG_FIELDS], 1.0); // the second entry is llen
        assert_eq!(logbuf[LOG_HEADER + LOG_FIELDS + 4], 4.0); // its reply starts after ":2\r\n"
    }

    #[test]
    fn publish_answers_its_receivers_and_leaves_transactions() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let logbuf = setup(4, &[("publish", 3, KIND_PUBLISH), ("multi", 1, KIND_MULTI), ("exec", 1, KIND_EXEC)]);
        let mut ks = Keyspace::new(1);
        crate::pubsub::reset();
        crate::pubsub::set_channel(b"ch", 2);
        let mut input = Vec::new();
        input.extend(cmd(&["PUBLISH", "ch", "hello"]));
        input.extend(cmd(&["publish", "other", "x"]));
        input.extend(cmd(&["MULTI"]));
        input.extend(cmd(&["PUBLISH", "ch", "x"]));
        input.extend(cmd(&["EXEC"]));
        let mut out = vec![0u8; 64];
        let n = run(&mut ks, 0, &input, 0, &mut out, 0, 64);
        assert_eq!(n, 2, "a transaction with PUBLISH is TypeScript's");
        assert_eq!(&out[..logbuf[LOG_OUT] as usize], b":2\r\n:0\r\n");
        let first = cmd(&["PUBLISH", "ch", "hello"]).len();
        assert_eq!(logbuf[LOG_HEADER + 2], 0.0);
        assert_eq!(logbuf[LOG_HEADER + 3], first as f64, "its bytes are logged for the delivery");
        crate::pubsub::set_pattern(b"c*", 1);
        assert_eq!(run(&mut ks, 0, &input, 0, &mut out, 0, 64), 2);
        assert_eq!(&out[..logbuf[LOG_OUT] as usize], b":3\r\n:0\r\n", "the pattern's client counted where it matches");
        crate::pubsub::reset();
    }

    #[test]
    fn holds_only_a_registered_command_whose_big_last_argument_is_coming() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        setup(4, &[("set", 3, KIND_COMMAND), ("rpush", -3, KIND_COMMAND)]);
        let v = vec![b'x'; HELD_MIN];
        let full = cmd_bytes(&[b"SET", b"key", &v]);
        let head = full.len() - v.len() - 2;
        assert_eq!(held_head(&full[..head + 100]), Some((head, v.len(), 6)));
        assert_eq!(held_head(&full[..head]), Some((head, v.len(), 6)), "its header alone");
        assert_eq!(held_head(&full[..head - 1]), None, "its header not all there");
        assert_eq!(held_head(&full), None, "all there: the batch runs it");
        assert_eq!(held_head(&full[..full.len() - 1]), Some((head, v.len(), 6)), "all but the CRLF's last byte");
        let small = cmd_bytes(&[b"SET", b"key", &v[..HELD_MIN - 1]]);
        assert_eq!(held_head(&small[..small.len() - 100]), None, "too small to hold");
        let other = cmd_bytes(&[b"GETSET", b"key", &v]);
        assert_eq!(held_head(&other[..100]), None, "not registered");
        let arity = cmd_bytes(&[b"SET", b"key", b"x", &v]);
        assert_eq!(held_head(&arity[..100]), None, "a wrong arity");
        let push = cmd_bytes(&[b"rpush", b"l", b"a", &v]);
        assert!(held_head(&push[..100]).is_some(), "any registered command, any case");
    }

    #[test]
    fn a_held_argument_becomes_the_value_without_a_copy() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let logbuf = vec![0f64; LOG_HEADER + LOG_FIELDS];
        setup(4, &[("set", 3, KIND_COMMAND), ("rpush", -3, KIND_COMMAND)]);
        let mut ks = Keyspace::new(1);
        let v = vec![b'y'; 40_000];
        let full = cmd_bytes(&[b"SET", b"key", &v]);
        let head = &full[..full.len() - v.len() - 2];
        let mut arg = v.clone();
        arg.shrink_to_fit();
        let at = arg.as_ptr();
        let mut log = logbuf.clone();
        let mut out = vec![0u8; 64];
        let (ran, left) = run_held(&mut ks, 0, head, arg, &mut out, 0, &mut log, None, 1000);
        assert!(ran && left.is_none(), "SET kept it");
        assert_eq!(&out[..log[LOG_OUT] as usize], b"+OK\r\n");
        assert_eq!((log[LOG_COUNT], log[LOG_HEADER + 2], log[LOG_HEADER + 3]), (1.0, 1000.0, 1000.0 + full.len() as f64));
        let e = ks.lookup_read(0, b"key").unwrap();
        let crate::object::Value::Str(s) = &e.value else { panic!("not a string") };
        assert_eq!(s.as_slice().as_ptr(), at, "the value is the argument's own buffer");
        assert_eq!(s.as_slice(), &v[..]);
        // A command that copies what it keeps hands the argument back.
        let push = cmd_bytes(&[b"RPUSH", b"l", &v]);
        let mut arg = v.clone();
        arg.shrink_to_fit();
        let (ran, left) = run_held(&mut ks, 0, &push[..push.len() - v.len() - 2], arg, &mut out, 0, &mut log, None, 0);
        assert!(ran);
        assert_eq!(left.as_deref(), Some(&v[..]));
        assert_eq!(&out[..log[LOG_OUT] as usize], b":1\r\n");
        assert!(crate::t_string::withdraw().is_none(), "nothing left donated");
    }

    #[test]
    fn runs_whole_transactions_of_registered_commands() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let logbuf = setup(16, &[("lpush", -3, KIND_COMMAND), ("llen", 2, KIND_COMMAND), ("multi", 1, KIND_MULTI), ("exec", 1, KIND_EXEC)]);
        let mut ks = Keyspace::new(1);
        let mut input = Vec::new();
        for c in [&["MULTI"][..], &["LPUSH", "l", "a"], &["LLEN", "l"], &["EXEC"], &["MULTI"], &["LLEN", "l"], &["DISCARD"]] {
            input.extend(cmd(c));
        }
        // A buffer too small for the transaction's replies: they wait in the overflow area.
        let mut out = vec![0u8; 8];
        let n = run(&mut ks, 0, &input, 0, &mut out, 0, 1 << 20);
        assert_eq!(n, 4, "MULTI, LPUSH, LLEN, EXEC");
        assert_eq!(logbuf[LOG_SPILLED], 1.0);
        assert_eq!(crate::reply::take_pending_vec(), b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n");
        let kinds: Vec<f64> = (0..4).map(|i| logbuf[LOG_HEADER + i * LOG_FIELDS]).collect();
        assert_eq!(kinds, [2.0, 0.0, 1.0, 3.0]);
        // The next transaction holds DISCARD: all of it is left to TypeScript.
        let stop = logbuf[LOG_IN] as usize;
        assert_eq!(run(&mut ks, 0, &input, stop, &mut vec![0u8; 64], 0, 1 << 20), 0);
    }

    #[test]
    fn serves_or_leaves_commands_that_may_block() {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let logbuf = setup(
            16,
            &[("xadd", -5, KIND_COMMAND), ("xgroup", -2, KIND_COMMAND), ("xreadgroup", -7, KIND_SERVE_OR_BLOCK), ("multi", 1, KIND_MULTI), ("exec", 1, KIND_EXEC)],
        );
        let mut ks = Keyspace::new(1);
        let mut input = Vec::new();
        for c in [
            &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"][..],
            &["XADD", "s", "1-1", "f", "v"],
            &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
        ] {
            input.extend(cmd(c));
        }
        let mut out = vec![0u8; 256];
        // The second XREADGROUP would block: left to TypeScript, nothing written for it.
        assert_eq!(run(&mut ks, 0, &input, 0, &mut out, 0, 256), 3);
        let end = logbuf[LOG_OUT] as usize;
        assert!(out[..end].ends_with(b"*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"));
        let stop = logbuf[LOG_IN] as usize;
        assert_eq!(stop, input.len() - cmd(&["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]).len());
        // In a transaction (where it would answer a null array) the whole transaction is TypeScript's.
        let mut tx = Vec::new();
        for c in [&["MULTI"][..], &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], &["EXEC"]] {
            tx.extend(cmd(c));
        }
        assert_eq!(run(&mut ks, 0, &tx, 0, &mut out, 0, 256), 0);
    }
}
