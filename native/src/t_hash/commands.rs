//! The hash commands of Redis 7.2 (t_hash.c), with Redis 7.4's treatment of
//! fields whose TTL has passed (deleted when a command meets them, skipped by
//! HGETALL and friends).
use super::access::{create, expire_fields, get_field, hash_at, hash_or_create, refile, settle, Got, QUIET};
use super::{FieldValue, Hash, NO_TTL};
use crate::changes::Event;
use crate::glob;
use crate::keyspace::{next_rand, Keyspace};
use crate::reply::{code, err, Out};
use crate::t_string_float as ld;
use crate::util::{i64_len, parse_i64};

pub const FIELDS_MISSING: &str = "ERR Mandatory argument FIELDS is missing or not at the right position";

/// Writes a field's value as a bulk reply.
#[inline]
pub fn reply_value(out: &mut Out, v: FieldValue<'_>) {
    match v {
        FieldValue::Int(i) => out.bulk_i64(i),
        FieldValue::Str(s) => out.bulk(s),
    }
}

/// The `numfields` argument at `at` (a positive integer, `msg` otherwise),
/// which must count the arguments after it.
pub fn numfields(argv: &[&[u8]], at: usize, msg: &str, out: &mut Out) -> Result<usize, i64> {
    let n = match argv.get(at).and_then(|a| parse_i64(a)) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(out.error(msg)),
    };
    if n != argv.len() - at - 1 {
        return Err(out.error("ERR The `numfields` parameter must match the number of arguments"));
    }
    Ok(n)
}

/// The command name as Redis's errors print it (its table name).
fn name_of(argv: &[&[u8]]) -> String {
    String::from_utf8_lossy(argv[0]).to_ascii_lowercase()
}

/// When a write met expired fields, their HDELs were propagated in place of
/// the command: the command follows them.
#[inline]
fn propagate_after_lazy(ks: &mut Keyspace, db: usize, argv: &[&[u8]], lazy: bool) {
    if lazy {
        ks.also_propagate(db, argv);
    }
}

/// HSET key field value [field value ...] / HMSET (+OK).
pub(super) fn hset_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() % 2 == 1 {
        return out.error(&format!("ERR wrong number of arguments for '{}' command", name_of(argv)));
    }
    let key = argv[1];
    let Ok(h) = hash_or_create(ks, db, key) else { return out.error(err::WRONGTYPE) };
    h.try_conversion(&argv[2..]);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if !h.set(pair[0], pair[1], false) {
            created += 1;
        }
    }
    refile(ks, db, key, h);
    ks.changed(db, key, Event::HSet);
    ks.add_dirty(((argv.len() - 2) / 2 - 1) as u64);
    if argv[0].len() > 1 && argv[0][1].eq_ignore_ascii_case(&b'm') {
        return code::OK;
    }
    out.int(created);
    code::WRITTEN
}

/// HSETNX key field value.
pub(super) fn hsetnx_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (key, field) = (argv[1], argv[2]);
    let Ok(mut h) = hash_or_create(ks, db, key) else { return out.error(err::WRONGTYPE) };
    let mut lazy = false;
    match get_field(ks, db, key, h, field, 0) {
        Got::Value(_) => {
            out.int(0);
            return code::WRITTEN;
        }
        Got::Missing => {}
        Got::Expired => lazy = true,
        Got::ExpiredHash => {
            lazy = true;
            h = create(ks, db, key);
        }
    }
    h.try_conversion(&argv[2..4]);
    h.set(field, argv[3], false);
    refile(ks, db, key, h);
    ks.changed(db, key, Event::HSet);
    propagate_after_lazy(ks, db, argv, lazy);
    out.int(1);
    code::WRITTEN
}

/// HGET key field.
pub(super) fn hget_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    match hash_at(ks, db, key, true) {
        Err(_) => out.error(err::WRONGTYPE),
        Ok(None) => code::NIL,
        Ok(Some(h)) => match get_field(ks, db, key, h, argv[2], 0) {
            Got::Value(v) => {
                reply_value(out, v);
                code::WRITTEN
            }
            _ => code::NIL,
        },
    }
}

/// HMGET key field [field ...].
pub(super) fn hmget_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let h = match hash_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(h) => h,
    };
    out.array(argv.len() - 2);
    let Some(h) = h else {
        for _ in 2..argv.len() {
            out.null();
        }
        return code::WRITTEN;
    };
    // As Redis: `expired` counts the fields that expired while the hash stayed;
    // the last one, which takes the hash with it, counts as `deleted`.
    let (mut expired, mut deleted) = (0, false);
    for f in &argv[2..] {
        if deleted {
            out.null();
            continue;
        }
        match get_field(ks, db, key, h, f, QUIET) {
            Got::Value(v) => reply_value(out, v),
            Got::Missing => out.null(),
            Got::Expired => {
                expired += 1;
                out.null();
            }
            Got::ExpiredHash => {
                deleted = true;
                out.null();
            }
        }
    }
    if expired > 0 {
        ks.notify(db, key, Event::HExpired);
        if deleted {
            ks.notify(db, key, Event::Del);
        }
    }
    code::WRITTEN
}

/// HDEL key field [field ...].
pub(super) fn hdel_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let h = match hash_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(h)) => h,
    };
    let mut deleted = 0;
    for f in &argv[2..] {
        if h.delete(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        let removed = settle(ks, db, key, h);
        ks.changed(db, key, Event::HDel);
        if removed {
            ks.notify(db, key, Event::Del);
        }
        ks.add_dirty(deleted - 1);
    }
    out.int(deleted as i64);
    code::WRITTEN
}

/// HLEN key (fields whose time has passed but not yet deleted included, as Redis).
pub(super) fn hlen_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match hash_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(h) => out.int(h.map_or(0, |h| h.len()) as i64),
    }
    code::WRITTEN
}

/// HSTRLEN key field.
pub(super) fn hstrlen_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let len = match hash_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => 0,
        Ok(Some(h)) => match get_field(ks, db, key, h, argv[2], 0) {
            Got::Value(FieldValue::Int(i)) => i64_len(i),
            Got::Value(FieldValue::Str(s)) => s.len(),
            _ => 0,
        },
    };
    out.int(len as i64);
    code::WRITTEN
}

/// HEXISTS key field.
pub(super) fn hexists_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let found = match hash_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => false,
        Ok(Some(h)) => matches!(get_field(ks, db, key, h, argv[2], 0), Got::Value(_)),
    };
    out.int(found as i64);
    code::WRITTEN
}

const KEYS: u32 = 1;
const VALUES: u32 = 2;

/// HKEYS / HVALS / HGETALL (a map in RESP3): live fields only.
fn getall(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, what: u32) -> i64 {
    let h = match hash_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(h) => h,
    };
    let now = ks.now_ms;
    let n = h.as_ref().map_or(0, |h| h.len() - h.count_expired(now));
    if what == KEYS | VALUES {
        out.map(n);
    } else {
        out.array(n);
    }
    if let Some(h) = h {
        h.for_each_entry(|k, v, t| {
            if t != NO_TTL && t < now {
                return;
            }
            if what & KEYS != 0 {
                reply_value(out, k);
            }
            if what & VALUES != 0 {
                reply_value(out, v);
            }
        });
    }
    code::WRITTEN
}

pub(super) fn hkeys_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    getall(ks, db, argv, out, KEYS)
}
pub(super) fn hvals_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    getall(ks, db, argv, out, VALUES)
}
pub(super) fn hgetall_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    getall(ks, db, argv, out, KEYS | VALUES)
}

/// The current value of a field for HINCRBY / HINCRBYFLOAT: the hash (a new
/// one if the field's expiry took the old one), the value, and whether an
/// expired field was deleted on the way.
fn incr_target<'a>(ks: &mut Keyspace, db: usize, key: &[u8], field: &[u8]) -> Result<(&'a mut Hash, Option<FieldValue<'a>>, bool), ()> {
    let h = hash_or_create(ks, db, key).map_err(|_| ())?;
    // SAFETY: the value borrows the hash, which nothing changes until the caller has read it.
    let hp: *mut Hash = h;
    Ok(match get_field(ks, db, key, h, field, 0) {
        Got::Value(v) => (unsafe { &mut *hp }, Some(v), false),
        Got::Missing => (unsafe { &mut *hp }, None, false),
        Got::Expired => (unsafe { &mut *hp }, None, true),
        Got::ExpiredHash => (create(ks, db, key), None, true),
    })
}

/// HINCRBY key field increment.
pub(super) fn hincrby_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (key, field) = (argv[1], argv[2]);
    let Some(incr) = parse_i64(argv[3]) else { return out.error(err::NOT_INT) };
    let Ok((h, current, lazy)) = incr_target(ks, db, key, field) else { return out.error(err::WRONGTYPE) };
    let value = match current {
        None => 0,
        Some(v) => match v.as_i64() {
            Some(i) => i,
            None => return out.error("ERR hash value is not an integer"),
        },
    };
    let Some(next) = value.checked_add(incr) else { return out.error(err::OVERFLOW) };
    let mut b = [0u8; 20];
    let n = crate::util::fmt_i64(next, &mut b);
    h.set(field, &b[..n], true);
    refile(ks, db, key, h);
    ks.changed(db, key, Event::HIncrBy);
    propagate_after_lazy(ks, db, argv, lazy);
    out.int(next);
    code::WRITTEN
}

/// HINCRBYFLOAT key field increment: long double arithmetic, as INCRBYFLOAT;
/// propagated as HSET with the result (HSETEX KEEPTTL when the field has a TTL).
pub(super) fn hincrbyfloat_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (key, field) = (argv[1], argv[2]);
    let Some(incr) = ld::parse(argv[3]) else { return out.error(err::NOT_FLOAT) };
    if incr.is_nan_or_inf() {
        return out.error("ERR value is NaN or Infinity");
    }
    let Ok((h, current, _)) = incr_target(ks, db, key, field) else { return out.error(err::WRONGTYPE) };
    let value = match current {
        None => ld::parse(b"0"),
        Some(v) => v.with_bytes(ld::parse),
    };
    let Some(value) = value else { return out.error("ERR hash value is not a float") };
    let sum = ld::add(value, incr);
    if sum.is_nan_or_inf() {
        return out.error("ERR increment would produce NaN or Infinity");
    }
    let mut buf = [0u8; ld::MAX_CHARS];
    let n = ld::format_human(sum, &mut buf);
    let result = &buf[..n];
    h.set(field, result, true);
    let has_ttl = h.expire_of(field).is_some_and(|t| t != NO_TTL);
    refile(ks, db, key, h);
    ks.changed(db, key, Event::HIncrByFloat);
    if has_ttl {
        ks.also_propagate(db, &[b"HSETEX", key, b"KEEPTTL", b"FIELDS", b"1", field, result]);
    } else {
        ks.also_propagate(db, &[b"HSET", key, field, result]);
    }
    out.bulk(result);
    code::WRITTEN
}

/// Deletes the fields whose time has passed before a command that samples the
/// hash (hashTypeExpireIfNeeded, HRANDFIELD's): true if the hash went with them.
fn expire_all_due(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash) -> bool {
    if !h.may_have_ttls() {
        return false;
    }
    let min = h.min_expire();
    if min == NO_TTL || min >= ks.now_ms {
        return false;
    }
    expire_fields(ks, db, key, h, usize::MAX).1
}

/// Replies one field (and its value) of HRANDFIELD: a pair array in RESP3 WITHVALUES.
fn reply_pair(out: &mut Out, k: FieldValue<'_>, v: FieldValue<'_>, withvalues: bool) {
    if withvalues && out.resp3 {
        out.array(2);
    }
    reply_value(out, k);
    if withvalues {
        reply_value(out, v);
    }
}

/// HRANDFIELD key [count [WITHVALUES]].
pub(super) fn hrandfield_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    if argv.len() == 2 {
        let h = match hash_at(ks, db, key, true) {
            Err(_) => return out.error(err::WRONGTYPE),
            Ok(None) => return code::NIL,
            Ok(Some(h)) => h,
        };
        if expire_all_due(ks, db, key, h) {
            return code::NIL;
        }
        let mut rng = ks.rand();
        let i = (rng % h.len() as u64) as usize;
        match h.table_mut() {
            Some(t) => reply_value(out, FieldValue::Str(t.random(|| next_rand(&mut rng)).unwrap().0)),
            None => reply_value(out, h.lp_pair(i).unwrap().0),
        }
        return code::WRITTEN;
    }
    let Some(l) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
    if l == i64::MIN {
        return out.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    }
    let withvalues = argv.len() == 4 && argv[3].eq_ignore_ascii_case(b"withvalues");
    if argv.len() > 4 || (argv.len() == 4 && !withvalues) {
        return out.error(err::SYNTAX);
    }
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return out.error("ERR value is out of range");
    }
    let h = match hash_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(h)) => h,
    };
    if expire_all_due(ks, db, key, h) {
        out.array(0);
        return code::WRITTEN;
    }
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    let size = h.len();
    if count == 0 {
        out.array(0);
        return code::WRITTEN;
    }
    let mut seed = ks.rand();
    let mut rand = move || next_rand(&mut seed);
    let header = |out: &mut Out, n: usize| out.array(if withvalues && !out.resp3 { n * 2 } else { n });
    if let Some(t) = h.table_mut() {
        if !uniq || count == 1 {
            // CASE 1 of a table: fair draws, repetitions allowed.
            header(out, count);
            for i in 0..count {
                if i & 1023 == 0 && out.past_cap() {
                    break; // the client is being closed for its output limit
                }
                let (k, v) = t.random(&mut rand).unwrap();
                reply_pair(out, FieldValue::Str(k), FieldValue::Str(v), withvalues);
            }
            return code::WRITTEN;
        }
        if count < size && count * 3 <= size {
            // CASE 4: distinct fair draws from a hash much larger than the count.
            header(out, count);
            let mut seen = std::collections::HashSet::with_capacity(count);
            while seen.len() < count {
                let (k, v) = t.random(&mut rand).unwrap();
                if seen.insert(k.as_ptr()) {
                    reply_pair(out, FieldValue::Str(k), FieldValue::Str(v), withvalues);
                }
            }
            return code::WRITTEN;
        }
    }
    let mut pairs: Vec<(FieldValue<'_>, FieldValue<'_>)> = Vec::with_capacity(size);
    h.for_each_entry(|k, v, _| pairs.push((k, v)));
    if h.table().is_some() && count < size {
        // CASE 3 of a table: `count` distinct fields in random order.
        header(out, count);
        for i in 0..count {
            let j = i + (rand() % (size - i) as u64) as usize;
            pairs.swap(i, j);
            let (k, v) = pairs[i];
            reply_pair(out, k, v, withvalues);
        }
        return code::WRITTEN;
    }
    if !uniq || count == 1 {
        header(out, count);
        for i in 0..count {
            if i & 1023 == 0 && out.past_cap() {
                break; // the client is being closed for its output limit
            }
            let (k, v) = pairs[(rand() % size as u64) as usize];
            reply_pair(out, k, v, withvalues);
        }
    } else if count >= size {
        header(out, size);
        for (k, v) in pairs {
            reply_pair(out, k, v, withvalues);
        }
    } else {
        // Unique fields of a listpack, in their order (lpRandomPairsUnique's selection sampling).
        header(out, count);
        let mut need = count;
        for (i, (k, v)) in pairs.into_iter().enumerate() {
            let left = size - i;
            if (rand() % left as u64) < need as u64 {
                reply_pair(out, k, v, withvalues);
                need -= 1;
                if need == 0 {
                    break;
                }
            }
        }
    }
    code::WRITTEN
}

/// HSCAN key cursor [MATCH pattern] [COUNT count].
pub(super) fn hscan_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(cursor) = crate::generic::parse_cursor(argv[2]) else { return out.error("ERR invalid cursor") };
    let h = match hash_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(h)) => h,
    };
    let (count, pattern) = match crate::generic::scan_options(argv, 3, false, out) {
        Ok(o) => (o.count, o.pattern),
        Err(c) => return c,
    };
    let now = ks.now_ms;
    let live = |t: i64| t == NO_TTL || t >= now;
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut next = 0;
    match h.table() {
        None => h.for_each_entry(|k, v, t| {
            if live(t) {
                found.push((k.to_vec(), v.to_vec()));
            }
        }),
        Some(t) => {
            // COUNT bounds the fields looked at (and ten times as many buckets).
            let mut left = count.saturating_mul(10);
            let mut sampled = 0u64;
            next = cursor;
            loop {
                next = t.scan_bucket(next, |k, v, ttl| {
                    sampled += 1;
                    if live(ttl) {
                        found.push((k.to_vec(), v.to_vec()));
                    }
                });
                if next == 0 || left == 0 || sampled >= count {
                    break;
                }
                left -= 1;
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|(k, _)| glob::matches(p, k, false));
    }
    out.array(2);
    out.bulk_i64(next as i64);
    out.array(found.len() * 2);
    for (k, v) in &found {
        out.bulk(k);
        out.bulk(v);
    }
    code::WRITTEN
}

