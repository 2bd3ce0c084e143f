//! ZPOPMIN, ZPOPMAX, ZMPOP and the native halves of BZPOPMIN, BZPOPMAX,
//! BZMPOP (Redis's genericZpopCommand / blockingGenericZpopCommand): a
//! blocking pop that finds a non-empty set is served at once, with Redis's
//! reply and propagation; otherwise it returns `code::BLOCK` having changed nothing.
use super::cmds::{is, parse_long, wrote, zset_write};
use crate::changes::Event;
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::util::{i64_to_vec, strtod};

/// How the popped members are laid out.
#[derive(Clone, Copy)]
struct Shape {
    /// The key name comes first (the blocking pops, ZMPOP).
    emitkey: bool,
    /// Members as [member, score] pairs (RESP3 with COUNT, ZMPOP).
    nested: bool,
    /// A null array, not an empty one, when there is nothing (ZMPOP).
    nil_when_empty: bool,
}

pub(super) fn zpopmin_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zpop_minmax(ks, db, argv, out, false)
}
pub(super) fn zpopmax_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zpop_minmax(ks, db, argv, out, true)
}

fn zpop_minmax(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, max: bool) -> i64 {
    if argv.len() > 3 {
        return out.error(err::SYNTAX);
    }
    let mut count = -1;
    if argv.len() == 3 {
        match parse_long(argv[2]) {
            Ok(c) if c >= 0 => count = c,
            Ok(_) => return out.error("ERR value is out of range, must be positive"),
            Err(e) => return out.error(e),
        }
    }
    let shape = Shape { emitkey: false, nested: out.resp3 && count != -1, nil_when_empty: false };
    match pop(ks, db, &argv[1..2], out, max, count, shape) {
        Err(e) => out.error(e),
        Ok(_) => code::WRITTEN,
    }
}

/// genericZpopCommand over `keys` (the first existing one is popped from).
/// Ok(Some((key index, how many popped))) when something was popped.
fn pop(
    ks: &mut Keyspace,
    db: usize,
    keys: &[&[u8]],
    out: &mut Out,
    max: bool,
    count: i64,
    shape: Shape,
) -> Result<Option<(usize, usize)>, &'static str> {
    let mut found = None;
    for (i, k) in keys.iter().enumerate() {
        if zset_write(ks, db, k)?.is_some() {
            found = Some(i);
            break;
        }
    }
    let Some(i) = found else {
        if shape.nil_when_empty {
            out.null_array();
        } else {
            out.array(0);
        }
        return Ok(None);
    };
    if count == 0 {
        out.array(0);
        return Ok(None);
    }
    let key = keys[i];
    let count = if count == -1 { 1 } else { count as usize };
    let Some(Value::ZSet(z)) = ks.peek(db, key).map(|e| &mut e.value) else { unreachable!() };
    let n = count.min(z.len());
    match (shape.nested, shape.emitkey) {
        (false, false) => out.array(2 * n),
        (true, false) => out.array(n),
        (false, true) => {
            out.array(2 * n + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    for _ in 0..n {
        let p = if max { z.last_pos() } else { z.first_pos() }.expect("non-empty zset");
        let score = z.score_at(p);
        if shape.nested {
            out.array(2);
        }
        z.with_member(p, |m| out.bulk(m));
        out.double(score);
        z.remove_at(p);
    }
    wrote(ks, db, key, if max { Event::ZPopMax } else { Event::ZPopMin }, n);
    Ok(Some((i, n)))
}

/// Propagates a served pop as ZPOPMIN/ZPOPMAX key [count].
fn propagate_pop(ks: &mut Keyspace, db: usize, max: bool, key: &[u8], count: Option<usize>) {
    if !ks.propagating() {
        return;
    }
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    match count {
        None => ks.also_propagate(db, &[name, key]),
        Some(n) => ks.also_propagate(db, &[name, key, &i64_to_vec(n as i64)]),
    }
}

/// `numkeys key [key ...] MIN|MAX [COUNT count]` from argv[idx]: the keys, MAX?, the count.
fn parse_mpop<'a>(argv: &[&'a [u8]], idx: usize) -> Result<(Vec<&'a [u8]>, bool, i64), &'static str> {
    const NUMKEYS: &str = "ERR numkeys should be greater than 0";
    let numkeys = match parse_long(argv[idx]) {
        Ok(n) if n >= 1 => n as usize,
        _ => return Err(NUMKEYS),
    };
    let where_idx = idx.saturating_add(numkeys).saturating_add(1);
    if where_idx >= argv.len() {
        return Err(err::SYNTAX);
    }
    let max = if is(argv[where_idx], "min") {
        false
    } else if is(argv[where_idx], "max") {
        true
    } else {
        return Err(err::SYNTAX);
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is(argv[j], "count") && more > 0 {
            j += 1;
            match parse_long(argv[j]) {
                Ok(c) if c >= 1 => count = c,
                Ok(_) => return Err("ERR count should be greater than 0"),
                Err(_) => return Err("ERR count should be greater than 0"),
            }
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    Ok((argv[idx + 1..idx + 1 + numkeys].to_vec(), max, if count == -1 { 1 } else { count }))
}

pub(super) fn zmpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (keys, max, count) = match parse_mpop(argv, 1) {
        Ok(p) => p,
        Err(e) => return out.error(e),
    };
    let shape = Shape { emitkey: true, nested: true, nil_when_empty: true };
    match pop(ks, db, &keys, out, max, count, shape) {
        Err(e) => out.error(e),
        Ok(None) => code::WRITTEN,
        Ok(Some((i, n))) => {
            propagate_pop(ks, db, max, keys[i], Some(n));
            code::WRITTEN
        }
    }
}

/// getTimeoutFromObjectOrReply in seconds: a float, not negative, and
/// not so large that now + timeout overflows.
pub fn check_timeout(arg: &[u8], now_ms: i64) -> Result<(), &'static str> {
    const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    const RANGE: &str = "ERR timeout is out of range";
    if arg.is_empty() || arg.len() >= 5 * 1024 {
        return Err(NOT_FLOAT);
    }
    let v = strtod::string2d(arg).ok_or(NOT_FLOAT)?;
    let ms = v * 1000.0;
    if ms > i64::MAX as f64 {
        return Err(RANGE);
    }
    let t = ms.ceil();
    if t < 0.0 {
        return Err("ERR timeout is negative");
    }
    if t > 0.0 && t as i64 > i64::MAX - now_ms {
        return Err(RANGE);
    }
    Ok(())
}

pub(super) fn bzpopmin_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bzpop(ks, db, argv, out, false)
}
pub(super) fn bzpopmax_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bzpop(ks, db, argv, out, true)
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout.
fn bzpop(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, max: bool) -> i64 {
    let keys = &argv[1..argv.len() - 1];
    let shape = Shape { emitkey: true, nested: false, nil_when_empty: false };
    blocking_pop(ks, db, argv[argv.len() - 1], keys, out, max, -1, shape)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub(super) fn bzmpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (keys, max, count) = match parse_mpop(argv, 2) {
        Ok(p) => p,
        Err(e) => return out.error(e),
    };
    let shape = Shape { emitkey: true, nested: true, nil_when_empty: true };
    blocking_pop(ks, db, argv[1], &keys, out, max, count, shape)
}

/// blockingGenericZpopCommand: the timeout checked, then the first key
/// holding a non-empty zset served; none: BLOCK (nothing written, nothing changed).
#[allow(clippy::too_many_arguments)]
fn blocking_pop(
    ks: &mut Keyspace,
    db: usize,
    timeout: &[u8],
    keys: &[&[u8]],
    out: &mut Out,
    max: bool,
    count: i64,
    shape: Shape,
) -> i64 {
    if let Err(e) = check_timeout(timeout, ks.now_ms) {
        return out.error(e);
    }
    for k in keys {
        let len = match zset_write(ks, db, k) {
            Err(e) => return out.error(e),
            Ok(None) => continue,
            Ok(Some(z)) => z.len(),
        };
        if len == 0 {
            continue;
        }
        return match pop(ks, db, &[k], out, max, count, shape) {
            Err(e) => out.error(e),
            Ok(None) => code::WRITTEN,
            Ok(Some((_, n))) => {
                propagate_pop(ks, db, max, k, if count == -1 { None } else { Some(n) });
                code::WRITTEN
            }
        };
    }
    code::BLOCK
}
