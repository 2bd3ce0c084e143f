//! Hash field expiration (Redis 7.4, and Redis 8's HGETDEL / HGETEX / HSETEX):
//! the per-db index of hashes by their earliest field expire (Redis's
//! `db->hexpires`), the active expiry of fields the expire cycle runs, and the
//! field TTL commands.
use super::access::{expire_fields, get_field, hash_at, refile, settle, Got, KEEP_HASH, NO_SIGNAL, QUIET};
use super::commands::{numfields, reply_value, FIELDS_MISSING};
use super::{Hash, NO_TTL};
use crate::changes::Event;
use crate::keyspace::{Entry, Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::util::{i64_to_vec, parse_i64};
use std::collections::BTreeSet;

/// The hashes of a db that have fields with a TTL, by their earliest one. `Db`
/// files and unfiles hashes as keys come and go (`added` / `removed`); the
/// hash commands refile a hash whose earliest expire changed.
#[derive(Default)]
pub struct FieldExpires {
    set: BTreeSet<(i64, Box<[u8]>)>,
}

impl FieldExpires {
    /// The expire a value is filed under, if it is a hash with field TTLs.
    #[inline]
    pub fn filed_of(v: &Value) -> Option<i64> {
        match v {
            Value::Hash(h) => Some(h.filed()).filter(|t| *t != NO_TTL),
            _ => None,
        }
    }

    /// A key now holds a value filed under `when` (`filed_of`).
    #[inline]
    pub fn added(&mut self, key: &[u8], when: Option<i64>) {
        if let Some(t) = when {
            self.set.insert((t, key.into()));
        }
    }

    /// A key no longer holds a value filed under `when`.
    #[inline]
    pub fn removed(&mut self, key: &[u8], when: Option<i64>) {
        if let Some(t) = when {
            self.set.remove(&(t, key.into()));
        }
    }

    pub fn clear(&mut self) {
        self.set.clear();
    }

    /// Hashes with field TTLs.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub(super) fn refile(&mut self, key: &[u8], from: i64, to: i64) {
        if from != NO_TTL {
            self.set.remove(&(from, key.into()));
        }
        if to != NO_TTL {
            self.set.insert((to, key.into()));
        }
    }

    /// The hash filed earliest, if its time is due at `now`.
    fn first_due(&self, now: i64) -> Option<(i64, Box<[u8]>)> {
        self.set.first().filter(|(t, _)| *t <= now).cloned()
    }
}

/// Fields the active cycle may delete per db and tick (Redis: 10000 a second at hz 10).
pub const FIELDS_PER_CYCLE: usize = 1000;

impl Keyspace {
    /// Active expiry of hash fields in db `db` (activeExpireHashFieldCycle):
    /// the hashes whose earliest field is due, earliest first, until `quota`
    /// fields are deleted. Returns the fields deleted.
    pub fn active_expire_hash_fields(&mut self, db: usize, quota: usize) -> usize {
        let mut done = 0;
        while done < quota {
            let Some((when, key)) = self.dbs[db].hexpires.first_due(self.now_ms) else { break };
            let h = match self.dbs[db].dict.get_mut(&key) {
                Some(Entry { value: Value::Hash(h), .. }) if h.filed() == when => unsafe { &mut *(h as *mut Hash) },
                // Not a hash filed so (cannot happen while Db files keys): drop the entry.
                _ => {
                    self.dbs[db].hexpires.removed(&key, Some(when));
                    continue;
                }
            };
            let (n, _) = expire_fields(self, db, &key, h, quota - done);
            if n == 0 {
                // Filed earlier than its earliest field (expire_fields refiled it): next tick.
                break;
            }
            done += n;
        }
        done
    }
}

/// The largest field expire (unix ms) the commands accept (HFE_MAX_ABS_TIME_MSEC).
const MAX_ABS_MS: i64 = 0x0000_FFFF_FFFF_FFFF >> 2;

/// An expire argument as unix ms (parseExpireTime of t_hash.c): an integer,
/// not negative, within MAX_ABS_MS once scaled to ms and `base` added.
fn parse_expire(arg: &[u8], seconds: bool, base: i64, cmd: &str) -> Result<i64, String> {
    let mut v = parse_i64(arg).ok_or_else(|| err::NOT_INT.to_string())?;
    if v < 0 {
        return Err("ERR invalid expire time, must be >= 0".into());
    }
    let bad = || format!("ERR invalid expire time in '{cmd}' command");
    if seconds {
        if v > MAX_ABS_MS / 1000 {
            return Err(bad());
        }
        v *= 1000;
    }
    if v > MAX_ABS_MS - base {
        return Err(bad());
    }
    Ok(v + base)
}

/// Conditions of HEXPIRE and friends.
const NX: u32 = 1;
const XX: u32 = 2;
const GT: u32 = 4;
const LT: u32 = 8;

/// What setting one field's expire did (the per-field replies of HEXPIRE: SetExRes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetEx {
    NoField = -2,
    Unmet = 0,
    Set = 1,
    /// The time had passed: the field was deleted (its HDEL propagated).
    Deleted = 2,
}

/// Sets the expire of one field (hashTypeSetEx) under condition `cond`;
/// `when` None persists it (HGETEX PERSIST).
fn set_field_expire(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash, field: &[u8], when: Option<i64>, cond: u32) -> SetEx {
    let Some(prev) = h.expire_of(field) else { return SetEx::NoField };
    let Some(when) = when else {
        if prev == NO_TTL {
            return SetEx::Unmet;
        }
        h.set_expire(field, NO_TTL);
        return SetEx::Set;
    };
    if prev == NO_TTL {
        // A field without a TTL counts as never expiring: LT holds, GT and XX do not.
        if cond & (XX | GT) != 0 {
            return SetEx::Unmet;
        }
    } else if (cond == GT && prev >= when) || (cond == LT && prev <= when) || cond == NX {
        return SetEx::Unmet;
    }
    if when <= ks.now_ms {
        ks.also_propagate(db, &[b"HDEL", key, field]);
        h.delete(field);
        return SetEx::Deleted;
    }
    h.set_expire(field, when);
    SetEx::Set
}

/// Checks `FIELDS numfields field...` starting at `at` (the FIELDS word):
/// the count of fields, or the error written.
fn fields_arg(argv: &[&[u8]], at: usize, count_err: &str, out: &mut Out) -> Result<usize, i64> {
    if at + 1 >= argv.len() || !argv[at].eq_ignore_ascii_case(b"FIELDS") {
        return Err(out.error(FIELDS_MISSING));
    }
    numfields(argv, at + 1, count_err, out)
}

/// The start of the commands of the form `key FIELDS numfields field...`:
/// the hash (None when missing) and the number of fields, or the error written.
fn key_and_fields<'a>(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, read: bool) -> Result<(Option<&'a mut Hash>, usize), i64> {
    let h = hash_at(ks, db, argv[1], read).map_err(|_| out.error(err::WRONGTYPE))?;
    let n = fields_arg(argv, 2, "ERR Number of fields must be a positive integer", out)?;
    Ok((h, n))
}

/// HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT key time [NX|XX|GT|LT] FIELDS numfields field...
fn hexpire_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, cmd: &str, seconds: bool, relative: bool) -> i64 {
    let key = argv[1];
    let h = match hash_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(h) => h,
    };
    let base = if relative { ks.now_ms } else { 0 };
    let when = match parse_expire(argv[2], seconds, base, cmd) {
        Ok(w) => w,
        Err(e) => return out.error(&e),
    };
    let cond = match argv[3].to_ascii_lowercase().as_slice() {
        b"nx" => NX,
        b"xx" => XX,
        b"gt" => GT,
        b"lt" => LT,
        _ => 0,
    };
    let at = if cond != 0 { 4 } else { 3 };
    let n = match fields_arg(argv, at, "ERR Parameter `numFields` should be greater than 0", out) {
        Ok(n) => n,
        Err(c) => return c,
    };
    let fields = &argv[at + 2..];
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.int(SetEx::NoField as i64);
        }
        return code::WRITTEN;
    };
    h.make_ttl_capable();
    let mut set: Vec<&[u8]> = Vec::new();
    let mut deleted = 0;
    for f in fields {
        let r = set_field_expire(ks, db, key, h, f, Some(when), cond);
        match r {
            SetEx::Set => set.push(f),
            SetEx::Deleted => deleted += 1,
            _ => {}
        }
        out.int(r as i64);
    }
    if set.is_empty() && deleted == 0 {
        return code::WRITTEN;
    }
    // hashTypeSetExDone: one change per field, then the events.
    let removed = settle(ks, db, key, h);
    ks.changed(db, key, if deleted > 0 { Event::HDel } else { Event::HExpire });
    ks.add_dirty((set.len() + deleted - 1) as u64);
    if removed {
        ks.notify(db, key, Event::Del);
    }
    // Propagated as HPEXPIREAT with the absolute time and only the fields set.
    if !set.is_empty() && ks.propagating() {
        let when_arg = i64_to_vec(when);
        let is_pxat = cmd == "hpexpireat";
        let n_arg = i64_to_vec(set.len() as i64);
        let mut p: Vec<&[u8]> = vec![if is_pxat { argv[0] } else { b"HPEXPIREAT" }, key, if is_pxat { argv[2] } else { &when_arg }];
        if cond != 0 {
            p.push(argv[3]);
        }
        p.push(argv[at]);
        p.push(&n_arg);
        p.extend_from_slice(&set);
        ks.also_propagate(db, &p);
    }
    // With no field set, only the HDELs (recorded above) go out.
    code::WRITTEN
}

pub(super) fn hexpire_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    hexpire_generic(ks, db, argv, out, "hexpire", true, true)
}
pub(super) fn hpexpire_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    hexpire_generic(ks, db, argv, out, "hpexpire", false, true)
}
pub(super) fn hexpireat_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    hexpire_generic(ks, db, argv, out, "hexpireat", true, false)
}
pub(super) fn hpexpireat_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    hexpire_generic(ks, db, argv, out, "hpexpireat", false, false)
}

/// HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME key FIELDS numfields field...
fn httl_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, ms: bool, relative: bool) -> i64 {
    let (h, n) = match key_and_fields(ks, db, argv, out, true) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let now = ks.now_ms;
    let base = if relative { now } else { 0 };
    out.array(n);
    for f in &argv[4..] {
        let r = match h.as_ref().and_then(|h| h.expire_of(f)) {
            None => -2,
            Some(NO_TTL) => -1,
            Some(t) if t < now => -2,
            Some(t) if ms => t - base,
            Some(t) => (t + 999 - base) / 1000,
        };
        out.int(r);
    }
    code::WRITTEN
}

pub(super) fn httl_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    httl_generic(ks, db, argv, out, false, true)
}
pub(super) fn hpttl_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    httl_generic(ks, db, argv, out, true, true)
}
pub(super) fn hexpiretime_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    httl_generic(ks, db, argv, out, false, false)
}
pub(super) fn hpexpiretime_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    httl_generic(ks, db, argv, out, true, false)
}

/// HPERSIST key FIELDS numfields field...
pub(super) fn hpersist_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let (h, n) = match key_and_fields(ks, db, argv, out, false) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let now = ks.now_ms;
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.int(-2);
        }
        return code::WRITTEN;
    };
    let mut changed = false;
    for f in &argv[4..] {
        let r = match h.expire_of(f) {
            None => -2,
            Some(NO_TTL) => -1,
            Some(t) if t < now => -2,
            Some(_) => {
                h.set_expire(f, NO_TTL);
                changed = true;
                1
            }
        };
        out.int(r);
    }
    if changed {
        refile(ks, db, key, h);
        ks.changed(db, key, Event::HPersist);
    }
    code::WRITTEN
}

/// HGETDEL key FIELDS numfields field...: the values, and the fields deleted.
pub(super) fn hgetdel_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let (h, n) = match key_and_fields(ks, db, argv, out, false) {
        Ok(x) => x,
        Err(c) => return c,
    };
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.null();
        }
        return code::WRITTEN;
    };
    let (mut expired, mut deleted) = (0, 0);
    for f in &argv[4..] {
        match get_field(ks, db, key, h, f, QUIET | NO_SIGNAL | KEEP_HASH) {
            Got::Value(v) => {
                reply_value(out, v);
                h.delete(f);
                deleted += 1;
            }
            Got::Expired | Got::ExpiredHash => {
                expired += 1;
                out.null();
            }
            Got::Missing => out.null(),
        }
    }
    if expired == 0 && deleted == 0 {
        return code::WRITTEN;
    }
    ks.signal(db, key);
    if expired > 0 {
        ks.notify(db, key, Event::HExpired);
    }
    if deleted > 0 {
        ks.notify(db, key, Event::HDel);
        ks.add_dirty(deleted);
        // Propagated as HDEL key field... (after the HDELs of expired fields).
        let mut p: Vec<&[u8]> = vec![b"HDEL", key];
        p.extend_from_slice(&argv[4..]);
        ks.also_propagate(db, &p);
    }
    if settle(ks, db, key, h) {
        ks.notify(db, key, Event::Del);
    }
    code::WRITTEN
}

/// Flags of HGETEX and HSETEX.
const EX: u32 = 1;
const PX: u32 = 2;
const EXAT: u32 = 4;
const PXAT: u32 = 8;
const PERSIST: u32 = 16;
const KEEPTTL: u32 = 32;
const FXX: u32 = 64;
const FNX: u32 = 128;
const EXPIRES: u32 = EX | PX | EXAT | PXAT;

/// The expire a flag's argument gives, in unix ms.
fn expire_for(flag: u32, arg: &[u8], now: i64, cmd: &str) -> Result<i64, String> {
    let seconds = flag & (EX | EXAT) != 0;
    let base = if flag & (EX | PX) != 0 { now } else { 0 };
    parse_expire(arg, seconds, base, cmd)
}

fn expire_flag(arg: &[u8]) -> u32 {
    match arg.to_ascii_lowercase().as_slice() {
        b"ex" => EX,
        b"px" => PX,
        b"exat" => EXAT,
        b"pxat" => PXAT,
        _ => 0,
    }
}

/// HGETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST] FIELDS numfields field...
pub(super) fn hgetex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let h = match hash_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(h) => h,
    };
    let mut flag = expire_flag(argv[2]);
    if flag == 0 && argv[2].eq_ignore_ascii_case(b"persist") {
        flag = PERSIST;
    }
    let mut at = 2;
    let mut when = NO_TTL;
    if flag & EXPIRES != 0 {
        when = match expire_for(flag, argv[3], ks.now_ms, "hgetex") {
            Ok(w) => w,
            Err(e) => return out.error(&e),
        };
        at = 4;
    } else if flag == PERSIST {
        at = 3;
    }
    let n = match fields_arg(argv, at, "ERR Number of fields must be a positive integer", out) {
        Ok(n) => n,
        Err(c) => return c,
    };
    let fields = &argv[at + 2..];
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.null();
        }
        return code::WRITTEN;
    };
    if flag != 0 {
        h.make_ttl_capable();
    }
    let (mut expired, mut deleted) = (0, 0);
    let mut updated: Vec<&[u8]> = Vec::new();
    for f in fields {
        match get_field(ks, db, key, h, f, QUIET | NO_SIGNAL | KEEP_HASH) {
            Got::Value(v) => {
                reply_value(out, v);
                if flag != 0 {
                    match set_field_expire(ks, db, key, h, f, (flag != PERSIST).then_some(when), 0) {
                        SetEx::Set => updated.push(f),
                        SetEx::Deleted => deleted += 1,
                        _ => {}
                    }
                }
            }
            Got::Expired | Got::ExpiredHash => {
                expired += 1;
                out.null();
            }
            Got::Missing => out.null(),
        }
    }
    if expired == 0 && deleted == 0 && updated.is_empty() {
        return code::WRITTEN;
    }
    ks.add_dirty((deleted + updated.len()) as u64);
    ks.signal(db, key);
    if expired > 0 {
        ks.notify(db, key, Event::HExpired);
    }
    if !updated.is_empty() {
        let when_arg = i64_to_vec(when);
        let mut p: Vec<&[u8]> = Vec::new();
        if flag == PERSIST {
            ks.notify(db, key, Event::HPersist);
            p.extend_from_slice(&[b"HPERSIST", key]);
        } else {
            ks.notify(db, key, Event::HExpire);
            p.extend_from_slice(&[b"HPEXPIREAT", key, &when_arg]);
        }
        // Redis rewrites its argv: all the fields asked for go out.
        p.extend_from_slice(&argv[at..]);
        ks.also_propagate(db, &p);
    } else if deleted > 0 {
        // Only the HDELs of the fields deleted (recorded above) go out.
        ks.notify(db, key, Event::HDel);
    }
    if settle(ks, db, key, h) {
        ks.notify(db, key, Event::Del);
    }
    code::WRITTEN
}

/// HSETEX key [FNX|FXX] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL] FIELDS numfields field value...
pub(super) fn hsetex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let arity = || "ERR wrong number of arguments for 'hsetex' command".to_string();
    let mut flags = 0;
    let mut when = NO_TTL;
    let mut when_at = 0;
    let mut first = 0;
    let mut count = 0;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"fields") {
            if i + 3 >= argv.len() {
                return out.error(&arity());
            }
            let v = match parse_i64(argv[i + 1]) {
                Some(v) if (1..=i32::MAX as i64).contains(&v) => v as usize,
                _ => return out.error("ERR invalid number of fields"),
            };
            let remaining = argv.len() - i - 2;
            if !remaining.is_multiple_of(2) || v != remaining / 2 {
                return out.error(&arity());
            }
            first = i + 2;
            count = v;
            break;
        }
        let f = expire_flag(a);
        if f != 0 || a.eq_ignore_ascii_case(b"keepttl") {
            if flags & (EXPIRES | KEEPTTL) != 0 {
                return out.error("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified");
            }
            if f == 0 {
                flags |= KEEPTTL;
            } else {
                if i + 1 >= argv.len() {
                    return out.error("ERR missing expire time");
                }
                flags |= f;
                i += 1;
                when = match expire_for(f, argv[i], ks.now_ms, "hsetex") {
                    Ok(w) => w,
                    Err(e) => return out.error(&e),
                };
                when_at = i;
            }
        } else if a.eq_ignore_ascii_case(b"fxx") || a.eq_ignore_ascii_case(b"fnx") {
            if flags & (FXX | FNX) != 0 {
                return out.error("ERR Only one of FXX or FNX arguments can be specified");
            }
            flags |= if a.eq_ignore_ascii_case(b"fxx") { FXX } else { FNX };
        } else {
            return out.error_bytes(&[b"ERR unknown argument: ", crate::util::cstr(a)].concat());
        }
        i += 1;
    }
    if first == 0 {
        // Redis asserts FIELDS was found (the arity lets nothing else through).
        return out.error(&arity());
    }
    let key = argv[1];
    let h = match hash_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(Some(h)) => h,
        Ok(None) if flags & FXX != 0 => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(None) => super::access::create(ks, db, key),
    };
    let pairs = &argv[first..];
    let mut expired = 0;
    let mut fields_set = false;
    let (mut updated, mut deleted) = (0, 0);
    let mut condition_met = true;
    if flags & (FXX | FNX) != 0 {
        let mut found = 0;
        for p in pairs.chunks(2) {
            let exists = match get_field(ks, db, key, h, p[0], QUIET | NO_SIGNAL | KEEP_HASH) {
                Got::Value(_) => true,
                Got::Expired | Got::ExpiredHash => {
                    expired += 1;
                    false
                }
                Got::Missing => false,
            };
            if exists {
                found += 1;
            }
            if (flags & FXX != 0 && !exists) || (flags & FNX != 0 && exists) {
                break;
            }
        }
        condition_met = if flags & FNX != 0 { found == 0 } else { found == count };
    }
    if condition_met {
        h.try_conversion(pairs);
        if flags & EXPIRES != 0 {
            h.make_ttl_capable();
        }
        let keep = flags & (EXPIRES | KEEPTTL) != 0;
        for p in pairs.chunks(2) {
            h.set(p[0], p[1], keep);
            fields_set = true;
            if flags & EXPIRES != 0 {
                match set_field_expire(ks, db, key, h, p[0], Some(when), 0) {
                    SetEx::Set => updated += 1,
                    SetEx::Deleted => deleted += 1,
                    _ => {}
                }
            }
        }
        ks.add_dirty(count as u64);
        out.int(1);
    } else {
        out.int(0);
    }
    if fields_set || expired > 0 {
        ks.signal(db, key);
        if expired > 0 {
            ks.notify(db, key, Event::HExpired);
        }
        if fields_set {
            ks.notify(db, key, Event::HSet);
            if deleted > 0 || updated > 0 {
                ks.notify(db, key, if deleted > 0 { Event::HDel } else { Event::HExpire });
            }
        }
    }
    if settle(ks, db, key, h) {
        ks.notify(db, key, Event::Del);
    }
    // What goes out: with fields deleted (a time already past) only their HDELs,
    // recorded above; EX/PX/EXAT as PXAT; after lazily expired fields' HDELs the
    // command follows them.
    if fields_set && deleted == 0 {
        if flags & EXPIRES != 0 && flags & PXAT == 0 {
            let when_arg = i64_to_vec(when);
            let mut p: Vec<&[u8]> = argv.to_vec();
            p[when_at - 1] = b"PXAT";
            p[when_at] = &when_arg;
            ks.also_propagate(db, &p);
        } else if expired > 0 {
            ks.also_propagate(db, argv);
        }
    }
    code::WRITTEN
}

