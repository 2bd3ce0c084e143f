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
//! TypeScript (not registered, a wrong arity, an inline or malformed or
//! incomplete command) without touching it. Each command it ran is logged
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
pub const LOG_HEADER: usize = 4;
/// Per command: its registration index, its run time (µs), the offsets of its
/// bytes in the input [start, end), and where its reply starts in the output.
pub const LOG_FIELDS: usize = 5;

/// The longest command name the table can hold (names are matched lowercase).
const NAME_MAX: usize = 32;
/// A command with more arguments than this goes to TypeScript.
const ARGS_MAX: usize = 64;

struct Entry {
    cmd: u32,
    arity: i32,
    /// Its position in the registration (what the log reports).
    index: u32,
}

static TABLE: RwLock<Option<ahash::AHashMap<Vec<u8>, Entry>>> = RwLock::new(None);
static LOG: AtomicPtr<f64> = AtomicPtr::new(std::ptr::null_mut());
static LOG_CAP: AtomicUsize = AtomicUsize::new(0);

/// Registers the commands this path may run: lowercase `names` (as the client
/// may send them, renames applied), the engine command ids, Redis's arities.
pub fn set_table(names: &[String], cmds: &[u32], arities: &[i32]) -> Result<(), String> {
    let mut map = ahash::AHashMap::new();
    for (i, name) in names.iter().enumerate() {
        let cmd = *cmds.get(i).ok_or("fewer ids than names")?;
        let arity = *arities.get(i).ok_or("fewer arities than names")?;
        if name.len() > NAME_MAX || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("name '{name}' is not lowercase or too long"));
        }
        if cmd as usize >= table().len() {
            return Err(format!("no engine command {cmd}"));
        }
        map.insert(name.as_bytes().to_vec(), Entry { cmd, arity, index: i as u32 });
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

/// Where one complete RESP multibulk command ends; its arguments go to `args`.
/// None when the command must go to TypeScript: not a multibulk, a header
/// that is not plain digits, too many arguments, a bulk over `max_bulk`, or
/// bytes still to come.
fn parse<'a>(input: &'a [u8], mut pos: usize, max_bulk: u64, args: &mut [&'a [u8]; ARGS_MAX]) -> Option<(usize, usize)> {
    if input.get(pos) != Some(&b'*') {
        return None;
    }
    let (count, next) = header(input, pos + 1)?;
    if count == 0 || count > ARGS_MAX as u64 {
        return None;
    }
    pos = next;
    for slot in args.iter_mut().take(count as usize) {
        if input.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, next) = header(input, pos + 1)?;
        if len > max_bulk {
            return None;
        }
        let end = next.checked_add(len as usize)?;
        // Redis does not check the trailing CRLF's bytes either; they must have arrived.
        if end + 2 > input.len() {
            return None;
        }
        *slot = &input[next..end];
        pos = end + 2;
    }
    Some((count as usize, pos))
}

/// A header's number (plain digits, 1 to 9 of them, no leading zero but "0"
/// itself) and where its line ends; None for anything else or an unfinished line.
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
    if n == 0 || (n > 1 && input[start] == b'0') || pos + 1 >= input.len() {
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
    let guard = TABLE.read().unwrap();
    let map = guard.as_ref().expect("batch table not registered");
    let max_bulk = crate::config::get().proto_max_bulk_len.max(0) as u64;
    let cmds = table();
    let mut args: [&[u8]; ARGS_MAX] = [&[]; ARGS_MAX];
    let (mut inp, mut outp, mut n, mut spilled) = (from, pos, 0usize, false);
    log[LOG_COUNT] = 0.0;
    log[LOG_IN] = from as f64;
    log[LOG_OUT] = pos as f64;
    log[LOG_SPILLED] = 0.0;
    let mut t0 = Instant::now();
    while n < cap && outp < limit {
        let Some((argc, end)) = parse(input, inp, max_bulk, &mut args) else { break };
        let name = args[0];
        if name.len() > NAME_MAX {
            break;
        }
        let mut lower = [0u8; NAME_MAX];
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        let Some(e) = map.get(&lower[..name.len()]) else { break };
        if (e.arity > 0 && argc as i32 != e.arity) || (argc as i32) < -e.arity {
            break;
        }
        let mut out = Out::new(buf, outp);
        let c = (cmds[e.cmd as usize].f)(ks, db, &args[..argc], &mut out);
        match c {
            code::WRITTEN => {}
            code::NIL => out.null(),
            code::OK => out.raw(b"+OK\r\n"),
            code::NIL_ARRAY => out.null_array(),
            // Would block: nothing changed, nothing written; TypeScript runs it (blocking commands are not registered).
            code::BLOCK => break,
            other => panic!("engine command {} returned status {other}, which the batch path cannot answer", cmds[e.cmd as usize].name),
        }
        let reply_at = outp;
        let res = out.finish();
        let t1 = Instant::now();
        let at = LOG_HEADER + n * LOG_FIELDS;
        log[at] = e.index as f64;
        let took = t1 - t0;
        log[at + 1] = took.as_secs() as f64 * 1e6 + took.subsec_nanos() as f64 / 1000.0;
        log[at + 2] = inp as f64;
        log[at + 3] = end as f64;
        log[at + 4] = reply_at as f64;
        t0 = t1;
        n += 1;
        inp = end;
        spilled = res == code::NOSPACE;
        if !spilled {
            outp = res as usize;
        }
        // Kept current after each command: if the next one panics, TypeScript
        // still accounts for those that ran.
        log[LOG_COUNT] = n as f64;
        log[LOG_IN] = inp as f64;
        log[LOG_OUT] = outp as f64;
        if spilled {
            break;
        }
    }
    log[LOG_SPILLED] = if spilled { 1.0 } else { 0.0 };
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            v.extend_from_slice(format!("${}\r\n{}\r\n", p.len(), p).as_bytes());
        }
        v
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
        // Not plain: signs, leading zeros, inline commands, a bulk over the limit.
        for bad in [&b"*+1\r\n$1\r\na\r\n"[..], b"*01\r\n$1\r\na\r\n", b"PING\r\n", b"*1\r\n$01\r\na\r\n", b"*0\r\n"] {
            assert_eq!(parse(bad, 0, 1 << 20, &mut args), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(&cmd(&["GET", "abcdef"]), 0, 5, &mut args), None);
    }

    #[test]
    fn runs_registered_commands_and_stops_at_the_others() {
        let mut logbuf = vec![0f64; LOG_HEADER + 4 * LOG_FIELDS];
        unsafe { register_log(logbuf.as_mut_ptr(), logbuf.len()) };
        let names: Vec<String> = table().iter().map(|c| c.name.to_string()).collect();
        let lpush = names.iter().position(|n| n == "lpush").unwrap() as u32;
        let llen = names.iter().position(|n| n == "llen").unwrap() as u32;
        set_table(&["lpush".into(), "llen".into()], &[lpush, llen], &[-3, 2]).unwrap();
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
}
