//! The string type: values, encodings (int / embstr / raw) and the string
//! commands' semantics (Redis's t_string.c). Replies, errors included, are
//! written with `Out` (the function returns 0, `code::WRITTEN`); a null or +OK
//! is returned as a code (`reply::code`).
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Detached, Entry, Keyspace, Value};
use crate::lcs;
use crate::expire::BadExpire;
use crate::reply::{code, err, Out};
use crate::sbytes::SBytes;
use crate::t_string_float as ld;
use crate::util::{cstr, fmt_i64, i64_to_vec, parse_i64};

/// A string value as SET stores it: `int` when it is a canonical integer of at
/// most 20 characters, otherwise the bytes (Redis's tryObjectEncoding).
#[inline]
pub fn encode(bytes: &[u8]) -> Value {
    if bytes.len() <= 20 {
        if let Some(v) = parse_i64(bytes) {
            return Value::Int(v);
        }
    } else if bytes.len() >= DONATED_MIN {
        if let Some(v) = take_donated(bytes) {
            return Value::Str(SBytes::Heap(v.into_boxed_slice()));
        }
    }
    Value::Str(SBytes::new(bytes))
}

/// Arguments shorter than this are never donated (the read loop holds big ones only).
const DONATED_MIN: usize = 1024;

thread_local! {
    /// A command's argument whose allocation the value made from it may take
    /// as it is (the read loop's held big argument, batch::run_held).
    static DONATED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Offers `arg` (its length its capacity) to the next `encode` of exactly these bytes.
pub fn donate(arg: Vec<u8>) {
    debug_assert_eq!(arg.len(), arg.capacity());
    DONATED.with(|d| *d.borrow_mut() = Some(arg));
}

/// Takes back the donated argument if no value took it.
pub fn withdraw() -> Option<Vec<u8>> {
    DONATED.with(|d| d.borrow_mut().take())
}

/// The donated argument when `bytes` are it (the same memory, the same length).
fn take_donated(bytes: &[u8]) -> Option<Vec<u8>> {
    DONATED.with(|d| {
        let mut d = d.borrow_mut();
        let same = d.as_ref().is_some_and(|v| v.as_ptr() == bytes.as_ptr() && v.len() == bytes.len() && v.capacity() == v.len());
        if same {
            d.take()
        } else {
            None
        }
    })
}

/// Calls `f` with the bytes of a string value (callers check `is_string` first).
#[inline]
pub fn with_bytes<R>(v: &Value, f: impl FnOnce(&[u8]) -> R) -> R {
    match v {
        Value::Int(i) => {
            let mut b = [0u8; 20];
            let n = fmt_i64(*i, &mut b);
            f(&b[..n])
        }
        Value::Str(s) => f(s.as_slice()),
        Value::Raw(r) => f(r),
        _ => unreachable!("not a string"),
    }
}

pub fn to_vec(v: &Value) -> Vec<u8> {
    with_bytes(v, |b| b.to_vec())
}

#[inline]
pub fn is_string(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Str(_) | Value::Raw(_))
}

/// Length of a string value in bytes.
pub fn str_len(v: &Value) -> usize {
    match v {
        Value::Int(i) => crate::util::i64_len(*i),
        Value::Str(s) => s.len(),
        Value::Raw(r) => r.len(),
        _ => unreachable!("not a string"),
    }
}

/// Writes a string value as a bulk reply.
#[inline]
pub fn reply_value(out: &mut Out, v: &Value) {
    match v {
        Value::Int(i) => out.bulk_i64(*i),
        Value::Str(s) => out.bulk(s.as_slice()),
        Value::Raw(r) => out.bulk(r),
        _ => unreachable!("not a string"),
    }
}

/// The value as a growable `raw` buffer (Redis's dbUnshareStringValue).
pub fn make_raw(v: &mut Value) -> &mut Vec<u8> {
    if !matches!(v, Value::Raw(_)) {
        *v = Value::Raw(Box::new(to_vec(v)));
    }
    match v {
        Value::Raw(r) => r,
        _ => unreachable!(),
    }
}

/// What a write does to the key's time to live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ttl {
    /// Remove it (plain SET, MSET, GETSET).
    Clear,
    /// Keep it (KEEPTTL, INCR, APPEND, ...).
    Keep,
    /// Set it to this absolute unix time in ms.
    At(i64),
}

impl Keyspace {
    /// Stores a string value (Redis's setKey): one hash probe when the key
    /// exists (it is touched, as Redis's lookupKeyWrite does, and keeps its
    /// LRU/LFU data), two when it is new. An expired key counts as absent.
    #[inline]
    pub fn store_str(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) {
        self.store_str_with(db, key, value, ttl, true)
    }

    /// `store_str`, touching the key only with `touch` (false when the
    /// command's own lookup already did, so LFU counts one access).
    #[inline]
    pub fn store_str_with(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl, touch: bool) {
        if let Some(e) = self.lookup_with(db, key, touch, false) {
            let replaced = std::mem::replace(&mut e.value, value);
            // A second probe only when the key has or gets a TTL (none for a
            // key without one: its entry says so).
            match ttl {
                Ttl::Keep => {}
                Ttl::Clear if !e.has_expire() => {}
                Ttl::Clear => {
                    self.dbs[db].set_expire(key, -1);
                }
                Ttl::At(t) if e.has_expire() => self.dbs[db].retime(key, t),
                Ttl::At(t) => {
                    self.dbs[db].set_expire(key, t);
                }
            }
            crate::lazyfree::discard(replaced, self.lazy.server_del);
            return;
        }
        let expire = match ttl {
            Ttl::At(t) => t,
            _ => -1,
        };
        let lru = self.lru_clock();
        self.dbs[db].add(key, Detached::new(value, expire, lru));
        self.notify(db, key, Event::New);
    }
}

/// The live string entry at `key` for a writing command (Redis's
/// lookupKeyWrite + checkType): Ok(None) when absent, Err(WRONGTYPE's text) when not a string.
fn lookup_string_write<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a mut Entry>, &'static str> {
    match ks.lookup(db, key) {
        Some(e) if !is_string(&e.value) => Err(err::WRONGTYPE),
        other => Ok(other),
    }
}

pub const SET_NX: u32 = 1;
pub const SET_XX: u32 = 2;
pub const SET_GET: u32 = 4;
pub const SET_KEEPTTL: u32 = 8;
/// The expire argument is relative seconds / relative ms / unix seconds / unix ms.
pub const SET_EX: u32 = 16;
pub const SET_PX: u32 = 32;
pub const SET_EXAT: u32 = 64;
pub const SET_PXAT: u32 = 128;
/// GETEX PERSIST.
pub const GETEX_PERSIST: u32 = 256;
/// The command is SETEX / PSETEX, not SET (the expire error names it).
pub const SET_FROM_SETEX: u32 = 512;
pub const SET_FROM_PSETEX: u32 = 1024;
const EXPIRE_UNITS: u32 = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/// The expire unit an option names (EX, PX, EXAT, PXAT), or 0.
fn expire_unit(opt: &[u8]) -> u32 {
    match opt.len() {
        2 if opt.eq_ignore_ascii_case(b"EX") => SET_EX,
        2 if opt.eq_ignore_ascii_case(b"PX") => SET_PX,
        4 if opt.eq_ignore_ascii_case(b"EXAT") => SET_EXAT,
        4 if opt.eq_ignore_ascii_case(b"PXAT") => SET_PXAT,
        _ => 0,
    }
}

/// Redis's parseExtendedStringArgumentsOrReply for SET (`for_set`) or GETEX,
/// over argv from `from`: the SET_* flags and the expire argument (empty when
/// none), or None after a syntax error. Options are matched as Redis's
/// strcasecmp does (an argument ends at a NUL byte); each one refuses those it
/// conflicts with, and the same one may repeat.
pub fn parse_extended<'a>(argv: &[&'a [u8]], from: usize, for_set: bool) -> Option<(u32, &'a [u8])> {
    let (mut flags, mut expire): (u32, &[u8]) = (0, &[]);
    let mut j = from;
    while j < argv.len() {
        let opt = cstr(argv[j]);
        let has_next = j + 1 < argv.len();
        let unit = expire_unit(opt);
        let ttl_set = flags & (EXPIRE_UNITS | SET_KEEPTTL | GETEX_PERSIST);
        if for_set && opt.eq_ignore_ascii_case(b"NX") && flags & SET_XX == 0 {
            flags |= SET_NX;
        } else if for_set && opt.eq_ignore_ascii_case(b"XX") && flags & SET_NX == 0 {
            flags |= SET_XX;
        } else if for_set && opt.eq_ignore_ascii_case(b"GET") {
            flags |= SET_GET;
        } else if for_set && opt.eq_ignore_ascii_case(b"KEEPTTL") && ttl_set & !SET_KEEPTTL == 0 {
            flags |= SET_KEEPTTL;
        } else if !for_set && opt.eq_ignore_ascii_case(b"PERSIST") && ttl_set & !GETEX_PERSIST == 0 {
            flags |= GETEX_PERSIST;
        } else if unit != 0 && has_next && ttl_set & !unit == 0 {
            flags |= unit;
            j += 1;
            expire = argv[j];
        } else {
            return None;
        }
        j += 1;
    }
    Some((flags, expire))
}

/// An expire argument as an absolute time in ms, checked as Redis's
/// getExpireMillisecondsOrReply: not an integer, or invalid when not positive
/// or when the conversion overflows.
pub fn expire_at(now_ms: i64, arg: &[u8], unit: u32) -> Result<i64, BadExpire> {
    let n = parse_i64(arg).ok_or(BadExpire::NotInt)?;
    let seconds = unit & (SET_EX | SET_EXAT) != 0;
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(BadExpire::Invalid);
    }
    let ms = if seconds { n * 1000 } else { n };
    if unit & (SET_EX | SET_PX) != 0 {
        return ms.checked_add(now_ms).ok_or(BadExpire::Invalid);
    }
    Ok(ms)
}

/// GET: writes the bulk or the WRONGTYPE error, or returns NIL.
#[inline]
pub fn get(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> i64 {
    match ks.lookup_read(db, key) {
        None => code::NIL,
        Some(e) if !is_string(&e.value) => out.error(err::WRONGTYPE),
        Some(e) => {
            reply_value(out, &e.value);
            0
        }
    }
}

/// One key of MGET: the bulk, or NIL for a missing key or another type.
#[inline]
pub fn mget_one(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> i64 {
    match ks.lookup_read(db, key) {
        Some(e) if is_string(&e.value) => {
            reply_value(out, &e.value);
            code::WRITTEN
        }
        _ => code::NIL,
    }
}

/// Plain `SET key value` (and each pair of MSET): no options, clears the TTL.
#[inline]
pub fn set_plain(ks: &mut Keyspace, db: usize, key: &[u8], val: &[u8]) {
    ks.store_str(db, key, encode(val), Ttl::Clear);
    ks.changed(db, key, Event::Set);
}

/// SET with its options (also SETNX, SETEX, PSETEX). `flags` are the SET_*
/// bits; `expire` the expire argument when one of SET_EX/PX/EXAT/PXAT is set.
/// Returns OK, NIL (condition not met, or GET of a missing key), or WRITTEN
/// after writing the old value (GET) or an error.
pub fn set(ks: &mut Keyspace, db: usize, key: &[u8], val: &[u8], flags: u32, expire: &[u8], out: &mut Out) -> i64 {
    let ttl = if flags & EXPIRE_UNITS != 0 {
        match expire_at(ks.now_ms, expire, flags & EXPIRE_UNITS) {
            Ok(t) => Ttl::At(t),
            Err(bad) => {
                let cmd = if flags & SET_FROM_SETEX != 0 { "setex" } else if flags & SET_FROM_PSETEX != 0 { "psetex" } else { "set" };
                return bad.reply(out, cmd);
            }
        }
    } else if flags & SET_KEEPTTL != 0 {
        Ttl::Keep
    } else {
        Ttl::Clear
    };
    let get = flags & SET_GET != 0;
    let exists = if get {
        // As GET: counts a keyspace hit or miss, refuses other types.
        match ks.lookup_read(db, key) {
            None => false,
            Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
            Some(e) => {
                reply_value(out, &e.value);
                true
            }
        }
    } else if flags & (SET_NX | SET_XX) != 0 {
        ks.lookup(db, key).is_some()
    } else {
        false
    };
    let done = if get && exists { 0 } else { code::NIL };
    if (flags & SET_NX != 0 && exists) || (flags & SET_XX != 0 && !exists) {
        return done;
    }
    // SET NX/XX looked the key up (and touched it) once already, as Redis does.
    let touched = flags & (SET_NX | SET_XX) != 0 && !get;
    ks.store_str_with(db, key, encode(val), ttl, !touched);
    ks.changed(db, key, Event::Set);
    if let Ttl::At(t) = ttl {
        ks.notify(db, key, Event::Expire);
        ks.note_last_expire(t);
    }
    if get {
        done
    } else {
        code::OK
    }
}

/// SET, SETEX, PSETEX (`val` is `argv[val_at]`): `set`, then what Redis
/// propagates in place of argv when it changed the key. With EX/PX/EXAT:
/// `SET key value PXAT ms`; with GET and no expire: argv without its GETs.
fn set_propagated(ks: &mut Keyspace, db: usize, argv: &[&[u8]], val_at: usize, flags: u32, expire: &[u8], out: &mut Out) -> i64 {
    ks.rewriting(
        |ks| set(ks, db, argv[1], argv[val_at], flags, expire, out),
        |ks| {
            if flags & (SET_EX | SET_PX | SET_EXAT) != 0 {
                let ms = i64_to_vec(ks.last_expire());
                ks.also_propagate(db, &[b"SET", argv[1], argv[val_at], b"PXAT", &ms]);
            } else if flags & SET_GET != 0 && flags & SET_PXAT == 0 {
                let kept: Vec<&[u8]> = argv.iter().enumerate().filter(|(j, a)| *j < 3 || !cstr(a).eq_ignore_ascii_case(b"GET")).map(|(_, a)| *a).collect();
                ks.also_propagate(db, &kept);
            }
        },
    )
}

/// SET with or without options.
fn set_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() == 3 {
        set_plain(ks, db, argv[1], argv[2]);
        return code::OK;
    }
    match parse_extended(argv, 3, true) {
        Some((flags, expire)) => set_propagated(ks, db, argv, 2, flags, expire, out),
        None => out.error(err::SYNTAX),
    }
}

/// GETEX: parsed as Redis does, then `getex`; propagates as Redis 7.2 rewrites
/// it: PEXPIREAT key ms (PXAT too), DEL or UNLINK (lazyfree-lazy-expire) when
/// an absolute time had passed, PERSIST key.
fn getex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some((flags, expire)) = parse_extended(argv, 2, false) else { return out.error(err::SYNTAX) };
    ks.rewriting(
        |ks| getex(ks, db, argv[1], flags, expire, out),
        |ks| {
            let when = ks.last_expire();
            if flags & GETEX_PERSIST != 0 {
                ks.also_propagate(db, &[b"PERSIST", argv[1]]);
            } else if when == crate::state::EXPIRE_DELETED {
                ks.propagate_past_expire(db, argv[1]);
            } else {
                ks.also_propagate(db, &[b"PEXPIREAT", argv[1], &i64_to_vec(when)]);
            }
        },
    )
}

/// GETSET: the old value (or NIL), then SET without options.
pub fn getset(ks: &mut Keyspace, db: usize, key: &[u8], val: &[u8], out: &mut Out) -> i64 {
    set(ks, db, key, val, SET_GET, &[], out)
}

/// GETDEL: the value, then the key is deleted.
pub fn getdel(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> i64 {
    match ks.lookup_read(db, key) {
        None => return code::NIL,
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => reply_value(out, &e.value),
    }
    ks.delete(db, key);
    code::WRITTEN
}

/// GETEX: the value, then the TTL changes as `flags` say (an SET_EX/PX/EXAT/PXAT
/// unit with `expire`, or GETEX_PERSIST). A missing key answers NIL before
/// the expire argument is looked at, as Redis does.
pub fn getex(ks: &mut Keyspace, db: usize, key: &[u8], flags: u32, expire: &[u8], out: &mut Out) -> i64 {
    let now = ks.now_ms;
    let Some(e) = ks.lookup_read(db, key) else { return code::NIL };
    if !is_string(&e.value) {
        return out.error(err::WRONGTYPE);
    }
    let unit = flags & EXPIRE_UNITS;
    let when = if unit != 0 {
        match expire_at(now, expire, unit) {
            Ok(t) => Some(t),
            Err(bad) => return bad.reply(out, "getex"),
        }
    } else {
        None
    };
    reply_value(out, &e.value);
    match when {
        // An absolute time already past deletes the key.
        Some(t) if unit & (SET_EXAT | SET_PXAT) != 0 && t <= now => {
            ks.delete(db, key);
            ks.note_last_expire(crate::state::EXPIRE_DELETED);
        }
        Some(t) => {
            ks.set_expire(db, key, t);
            ks.changed(db, key, Event::Expire);
            ks.note_last_expire(t);
        }
        None if flags & GETEX_PERSIST != 0 => {
            if ks.peek(db, key).is_some_and(|e| e.has_expire()) {
                ks.set_expire(db, key, -1);
                ks.changed(db, key, Event::Persist);
            }
        }
        None => {}
    }
    0
}

/// INCRBY/DECRBY/INCR/DECR: `delta` as given by the client; `negate` for DECR(BY).
pub fn incr_by(ks: &mut Keyspace, db: usize, key: &[u8], delta: &[u8], negate: bool, out: &mut Out) -> i64 {
    let Some(mut d) = parse_i64(delta) else { return out.error(err::NOT_INT) };
    if negate {
        if d == i64::MIN {
            return out.error("ERR decrement would overflow");
        }
        d = -d;
    }
    let next = match lookup_string_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) => {
            ks.store_str(db, key, Value::Int(d), Ttl::Keep);
            d
        }
        Ok(Some(e)) => {
            let current = match &e.value {
                Value::Int(i) => *i,
                v => match with_bytes(v, parse_i64) {
                    Some(i) => i,
                    None => return out.error(err::NOT_INT),
                },
            };
            let Some(next) = current.checked_add(d) else { return out.error(err::OVERFLOW) };
            // In place; the result is always `int` encoded.
            e.value = Value::Int(next);
            next
        }
    };
    ks.changed(db, key, Event::IncrBy);
    out.int(next);
    0
}

/// INCRBYFLOAT in long double arithmetic; the result is stored as a string
/// (embstr/raw, as Redis stores it), and written as a bulk.
pub fn incr_by_float(ks: &mut Keyspace, db: usize, key: &[u8], incr: &[u8], out: &mut Out) -> i64 {
    let entry = match lookup_string_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(e) => e,
    };
    let current = match &entry {
        None => ld::parse(b"0"),
        Some(e) => with_bytes(&e.value, ld::parse),
    };
    let (Some(current), Some(incr)) = (current, ld::parse(incr)) else { return out.error(err::NOT_FLOAT) };
    let sum = ld::add(current, incr);
    if sum.is_nan_or_inf() {
        return out.error("ERR increment would produce NaN or Infinity");
    }
    let mut buf = [0u8; ld::MAX_CHARS];
    let n = ld::format_human(sum, &mut buf);
    let value = Value::Str(SBytes::new(&buf[..n]));
    match entry {
        Some(e) => e.value = value,
        None => ks.store_str(db, key, value, Ttl::Keep),
    }
    ks.changed(db, key, Event::IncrByFloat);
    out.bulk(&buf[..n]);
    0
}

/// STRLEN: the length, 0 for a missing key, or WRONGTYPE.
pub fn strlen(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> i64 {
    match ks.lookup_read(db, key) {
        None => out.int(0),
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => out.int(str_len(&e.value) as i64),
    }
    code::WRITTEN
}

/// Redis's checkStringLength: would `size + append` bytes exceed the limit?
fn too_long(size: u64, append: u64, max_len: u64) -> bool {
    size.checked_add(append).is_none_or(|t| t > max_len || t > i64::MAX as u64)
}

/// APPEND: the value becomes `raw` and grows in place. Writes the new length,
/// or WRONGTYPE / TOO_BIG.
pub fn append(ks: &mut Keyspace, db: usize, key: &[u8], suffix: &[u8], max_len: u64, out: &mut Out) -> i64 {
    let len = match lookup_string_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) => {
            ks.store_str(db, key, encode(suffix), Ttl::Keep);
            ks.changed(db, key, Event::Append);
            suffix.len() as i64
        }
        Ok(Some(e)) => {
            if too_long(str_len(&e.value) as u64, suffix.len() as u64, max_len) {
                return out.error(err::TOO_BIG);
            }
            let r = make_raw(&mut e.value);
            r.extend_from_slice(suffix);
            let n = r.len() as i64;
            ks.changed(db, key, Event::Append);
            n
        }
    };
    out.int(len);
    code::WRITTEN
}

/// GETRANGE/SUBSTR with Redis's index rules; a missing key is an empty bulk.
pub fn getrange(ks: &mut Keyspace, db: usize, key: &[u8], start: &[u8], end: &[u8], out: &mut Out) -> i64 {
    let (Some(mut start), Some(mut end)) = (parse_i64(start), parse_i64(end)) else { return out.error(err::NOT_INT) };
    let e = match ks.lookup_read(db, key) {
        None => {
            out.bulk(b"");
            return 0;
        }
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => e,
    };
    with_bytes(&e.value, |s| {
        let len = s.len() as i64;
        if start < 0 && end < 0 && start > end {
            out.bulk(b"");
            return;
        }
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        start = start.max(0);
        end = end.max(0).min(len - 1);
        if start > end || len == 0 {
            out.bulk(b"");
        } else {
            out.bulk(&s[start as usize..=end as usize]);
        }
    });
    0
}

/// SETRANGE: overwrites at `offset`, padding with zero bytes. Writes the new
/// length or an error.
pub fn setrange(ks: &mut Keyspace, db: usize, key: &[u8], offset: &[u8], val: &[u8], max_len: u64, out: &mut Out) -> i64 {
    let Some(offset) = parse_i64(offset) else { return out.error(err::NOT_INT) };
    if offset < 0 {
        return out.error("ERR offset is out of range");
    }
    let offset = offset as u64;
    let len = match lookup_string_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) if val.is_empty() => 0,
        Ok(None) => {
            if too_long(offset, val.len() as u64, max_len) {
                return out.error(err::TOO_BIG);
            }
            let mut r = vec![0u8; offset as usize + val.len()];
            r[offset as usize..].copy_from_slice(val);
            let n = r.len() as i64;
            ks.store_str(db, key, Value::Raw(Box::new(r)), Ttl::Keep);
            ks.changed(db, key, Event::SetRange);
            n
        }
        Ok(Some(e)) if val.is_empty() => str_len(&e.value) as i64,
        Ok(Some(e)) => {
            if too_long(offset, val.len() as u64, max_len) {
                return out.error(err::TOO_BIG);
            }
            let r = make_raw(&mut e.value);
            let end = offset as usize + val.len();
            if r.len() < end {
                r.resize(end, 0);
            }
            r[offset as usize..end].copy_from_slice(val);
            let n = r.len() as i64;
            ks.changed(db, key, Event::SetRange);
            n
        }
    };
    out.int(len);
    code::WRITTEN
}

/// LCS reply modes.
pub const LCS_STRING: u32 = 0;
pub const LCS_LEN: u32 = 1;
pub const LCS_IDX: u32 = 2;
pub const LCS_WITHMATCHLEN: u32 = 4;
/// The caller's option parsing failed: only the type check is left to do.
pub const LCS_BAD_OPTIONS: u32 = 8;

/// LCS key1 key2: `mode` from the LCS_* bits; `max_table` is proto-max-bulk-len.
#[allow(clippy::too_many_arguments)]
pub fn lcs(ks: &mut Keyspace, db: usize, k1: &[u8], k2: &[u8], mode: u32, min_match: u64, max_table: u64, out: &mut Out) -> i64 {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (key, dst) in [(k1, &mut a), (k2, &mut b)] {
        if let Some(e) = ks.lookup_read(db, key) {
            if !is_string(&e.value) {
                return out.error("ERR The specified keys must contain string values");
            }
            *dst = to_vec(&e.value);
        }
    }
    if mode & LCS_BAD_OPTIONS != 0 {
        return code::CALLER;
    }
    let (len_only, idx) = (mode & LCS_LEN != 0, mode & LCS_IDX != 0);
    if len_only && idx {
        return out.error("ERR If you want both the length and indexes, please just use IDX.");
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return out.error("ERR String too long for LCS");
    }
    let r = match lcs::lcs(&a, &b, !len_only, min_match, max_table) {
        Ok(r) => r,
        Err(lcs::LcsError::TooBig) => return out.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"),
        Err(lcs::LcsError::NoMemory) => return out.error("ERR Insufficient memory, failed allocating transient memory for LCS"),
    };
    if idx {
        let with_len = mode & LCS_WITHMATCHLEN != 0;
        if out.resp3 {
            out.raw(b"%2\r\n");
        } else {
            out.array(4);
        }
        out.bulk(b"matches");
        out.array(r.ranges.len());
        for m in &r.ranges {
            out.array(if with_len { 3 } else { 2 });
            out.array(2);
            out.int(m.a.0 as i64);
            out.int(m.a.1 as i64);
            out.array(2);
            out.int(m.b.0 as i64);
            out.int(m.b.1 as i64);
            if with_len {
                out.int(m.len() as i64);
            }
        }
        out.bulk(b"len");
        out.int(r.len as i64);
    } else if len_only {
        out.int(r.len as i64);
    } else {
        out.bulk(&r.string);
    }
    0
}

/// The string commands the engine runs whole from argv (the command table:
/// command.rs), their propagated rewrites included. The others parse their
/// options in TypeScript and call the functions above.
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "get", f: get_cmd },
    Cmd { name: "set", f: set_cmd },
    Cmd { name: "setex", f: |ks, db, argv, out| set_propagated(ks, db, argv, 3, SET_EX | SET_FROM_SETEX, argv[2], out) },
    Cmd { name: "psetex", f: |ks, db, argv, out| set_propagated(ks, db, argv, 3, SET_PX | SET_FROM_PSETEX, argv[2], out) },
    Cmd { name: "getex", f: getex_cmd },
    Cmd { name: "mset", f: mset_cmd },
    Cmd { name: "mget", f: mget_cmd },
    Cmd { name: "setnx", f: setnx_cmd },
    Cmd { name: "append", f: |ks, db, argv, out| append(ks, db, argv[1], argv[2], crate::config::get().proto_max_bulk_len.max(0) as u64, out) },
    Cmd { name: "strlen", f: |ks, db, argv, out| strlen(ks, db, argv[1], out) },
    Cmd { name: "getset", f: getset_cmd },
    Cmd { name: "getdel", f: getdel_cmd },
    Cmd { name: "incrbyfloat", f: incrbyfloat_cmd },
    Cmd { name: "getrange", f: |ks, db, argv, out| getrange(ks, db, argv[1], argv[2], argv[3], out) },
    Cmd { name: "substr", f: |ks, db, argv, out| getrange(ks, db, argv[1], argv[2], argv[3], out) },
    Cmd {
        name: "setrange",
        f: |ks, db, argv, out| setrange(ks, db, argv[1], argv[2], argv[3], crate::config::get().proto_max_bulk_len.max(0) as u64, out),
    },
    Cmd { name: "msetnx", f: msetnx_cmd },
    Cmd { name: "incr", f: |ks, db, argv, out| incr_by(ks, db, argv[1], b"1", false, out) },
    Cmd { name: "decr", f: |ks, db, argv, out| incr_by(ks, db, argv[1], b"1", true, out) },
    Cmd { name: "incrby", f: |ks, db, argv, out| incr_by(ks, db, argv[1], argv[2], false, out) },
    Cmd { name: "decrby", f: |ks, db, argv, out| incr_by(ks, db, argv[1], argv[2], true, out) },
];

fn get_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    get(ks, db, argv[1], out)
}

/// SETNX: SET NX answered 1 (set) or 0 (the key exists, whatever its type).
fn setnx_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match set(ks, db, argv[1], argv[2], SET_NX, b"", out) {
        code::OK => out.int(1),
        code::NIL => out.int(0),
        other => return other,
    }
    code::WRITTEN
}

/// GETSET, propagated as `SET key value`.
fn getset_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    ks.rewriting(|ks| getset(ks, db, argv[1], argv[2], out), |ks| ks.also_propagate(db, &[b"SET", argv[1], argv[2]]))
}

/// GETDEL, propagated as `DEL key`.
fn getdel_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    ks.rewriting(|ks| getdel(ks, db, argv[1], out), |ks| ks.also_propagate(db, &[b"DEL", argv[1]]))
}

/// INCRBYFLOAT, propagated as `SET key <the new value> KEEPTTL`: a replay
/// never formats the float differently.
fn incrbyfloat_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    ks.rewriting(
        |ks| incr_by_float(ks, db, argv[1], argv[2], out),
        |ks| {
            let value = ks.peek(db, argv[1]).map(|e| to_vec(&e.value)).unwrap_or_default();
            ks.also_propagate(db, &[b"SET", argv[1], &value, b"KEEPTTL"]);
        },
    )
}

/// MGET: each key's bulk, or a null for a missing key or another type.
fn mget_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    out.array(argv.len() - 1);
    for key in &argv[1..] {
        if mget_one(ks, db, key, out) != code::WRITTEN {
            out.null();
        }
    }
    code::WRITTEN
}

fn mset_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() % 2 == 0 {
        return out.error("ERR wrong number of arguments for 'mset' command");
    }
    for pair in argv[1..].chunks_exact(2) {
        set_plain(ks, db, pair[0], pair[1]);
    }
    code::OK
}

/// MSETNX: every pair set and 1, or 0 and nothing set when any of the keys exists.
fn msetnx_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() % 2 == 0 {
        return out.error("ERR wrong number of arguments for 'msetnx' command");
    }
    if argv[1..].chunks_exact(2).any(|pair| ks.exists(db, pair[0])) {
        out.int(0);
        return code::WRITTEN;
    }
    for pair in argv[1..].chunks_exact(2) {
        set_plain(ks, db, pair[0], pair[1]);
    }
    out.int(1);
    code::WRITTEN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl FnOnce(&mut Out) -> i64) -> (i64, Vec<u8>) {
        let mut buf = vec![0u8; 4096];
        let mut o = Out::new(&mut buf, 0);
        let c = f(&mut o);
        let end = o.finish() as usize;
        (c, buf[..end].to_vec())
    }
    fn ks() -> Keyspace {
        let mut k = Keyspace::new(1);
        k.now_ms = 1_000_000;
        k
    }
    fn enc(k: &mut Keyspace, key: &[u8]) -> &'static str {
        k.peek(0, key).unwrap().value.encoding()
    }

    #[test]
    fn set_get_incr_append() {
        let mut k = ks();
        assert_eq!(run(|o| set(&mut k, 0, b"a", b"12", 0, b"", o)).0, code::OK);
        assert_eq!(enc(&mut k, b"a"), "int");
        assert_eq!(run(|o| incr_by(&mut k, 0, b"a", b"5", true, o)), (0, b":7\r\n".to_vec()));
        assert_eq!(run(|o| get(&mut k, 0, b"a", o)), (0, b"$1\r\n7\r\n".to_vec()));
        assert_eq!(run(|o| append(&mut k, 0, b"a", b"xy", 100, o)).1, b":3\r\n");
        assert_eq!(enc(&mut k, b"a"), "raw");
        assert_eq!(run(|o| incr_by(&mut k, 0, b"a", b"1", false, o)).1, b"-ERR value is not an integer or out of range\r\n");
        assert_eq!(run(|o| set(&mut k, 0, b"a", b"v", SET_NX | SET_GET, b"", o)), (0, b"$3\r\n7xy\r\n".to_vec()));
        assert_eq!(run(|o| incr_by(&mut k, 0, b"a", b"-9223372036854775808", true, o)).1, b"-ERR decrement would overflow\r\n");
    }

    #[test]
    fn setnx_and_mget_as_redis() {
        let mut k = ks();
        set_plain(&mut k, 0, b"a", b"1");
        let rpush = crate::t_list::COMMANDS.iter().find(|c| c.name == "rpush").unwrap();
        run(|o| (rpush.f)(&mut k, 0, &[b"rpush", b"l", b"x"], o));
        let setnx: [&[u8]; 3] = [b"setnx", b"l", b"v"];
        assert_eq!(run(|o| setnx_cmd(&mut k, 0, &setnx, o)), (code::WRITTEN, b":0\r\n".to_vec()));
        let setnx: [&[u8]; 3] = [b"setnx", b"b", b"two"];
        assert_eq!(run(|o| setnx_cmd(&mut k, 0, &setnx, o)), (code::WRITTEN, b":1\r\n".to_vec()));
        let argv: [&[u8]; 5] = [b"mget", b"a", b"nokey", b"l", b"b"];
        assert_eq!(run(|o| mget_cmd(&mut k, 0, &argv, o)), (code::WRITTEN, b"*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$3\r\ntwo\r\n".to_vec()));
    }

    #[test]
    fn encodings_follow_redis() {
        let mut k = ks();
        set_plain(&mut k, 0, b"i", b"-123");
        set_plain(&mut k, 0, b"z", b"0123");
        set_plain(&mut k, 0, b"e", &[b'x'; 44]);
        set_plain(&mut k, 0, b"r", &[b'x'; 45]);
        assert_eq!(enc(&mut k, b"i"), "int");
        assert_eq!(enc(&mut k, b"z"), "embstr");
        assert_eq!(enc(&mut k, b"e"), "embstr");
        assert_eq!(enc(&mut k, b"r"), "raw");
        // APPEND to a missing key encodes like SET; to an existing one makes it raw.
        assert_eq!(run(|o| append(&mut k, 0, b"n", b"42", 100, o)).1, b":2\r\n");
        assert_eq!(enc(&mut k, b"n"), "int");
        // INCR turns a raw numeric string back into an int.
        run(|o| append(&mut k, 0, b"n", b"1", 100, o));
        assert_eq!(enc(&mut k, b"n"), "raw");
        run(|o| incr_by(&mut k, 0, b"n", b"1", false, o));
        assert_eq!(enc(&mut k, b"n"), "int");
        // INCRBYFLOAT stores a string, never an int.
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"f", b"2", o)), (0, b"$1\r\n2\r\n".to_vec()));
        assert_eq!(enc(&mut k, b"f"), "embstr");
        // SETRANGE makes raw, but not when it writes nothing.
        set_plain(&mut k, 0, b"s", b"1234");
        assert_eq!(run(|o| setrange(&mut k, 0, b"s", b"0", b"", 100, o)).1, b":4\r\n");
        assert_eq!(enc(&mut k, b"s"), "int");
        assert_eq!(run(|o| setrange(&mut k, 0, b"s", b"5", b"2", 100, o)).1, b":6\r\n");
        assert_eq!(enc(&mut k, b"s"), "raw");
        assert_eq!(run(|o| get(&mut k, 0, b"s", o)).1, b"$6\r\n1234\x002\r\n");
    }

    #[test]
    fn extended_options_as_redis_parses_them() {
        fn p<'a>(args: &[&'a [u8]], for_set: bool) -> Option<(u32, &'a [u8])> {
            parse_extended(args, 0, for_set)
        }
        assert_eq!(p(&[b"nx", b"GET", b"Ex", b"10"], true), Some((SET_NX | SET_GET | SET_EX, &b"10"[..])));
        // Repeats are fine; conflicts, a missing expire and the other command's options are not.
        assert_eq!(p(&[b"EX", b"1", b"ex", b"2"], true), Some((SET_EX, &b"2"[..])));
        assert_eq!(p(&[b"NX", b"XX"], true), None);
        assert_eq!(p(&[b"EX", b"1", b"PX", b"2"], true), None);
        assert_eq!(p(&[b"KEEPTTL", b"PXAT", b"2"], true), None);
        assert_eq!(p(&[b"EX"], true), None);
        assert_eq!(p(&[b"PERSIST"], true), None);
        assert_eq!(p(&[b"GET"], false), None);
        assert_eq!(p(&[b"persist", b"PERSIST"], false), Some((GETEX_PERSIST, &b""[..])));
        assert_eq!(p(&[b"PERSIST", b"EX", b"1"], false), None);
        // An option ends at a NUL byte, as Redis's strcasecmp sees it.
        assert_eq!(p(&[b"xx\0junk", b"keepttl"], true), Some((SET_XX | SET_KEEPTTL, &b""[..])));
    }

    #[test]
    fn expire_arguments() {
        let now = 1_000_000;
        assert_eq!(expire_at(now, b"10", SET_EX), Ok(now + 10_000));
        assert_eq!(expire_at(now, b"10", SET_PX), Ok(now + 10));
        assert_eq!(expire_at(now, b"10", SET_EXAT), Ok(10_000));
        assert_eq!(expire_at(now, b"10", SET_PXAT), Ok(10));
        assert_eq!(expire_at(now, b"0", SET_EX), Err(BadExpire::Invalid));
        assert_eq!(expire_at(now, b"-1", SET_PXAT), Err(BadExpire::Invalid));
        assert_eq!(expire_at(now, b"x", SET_PX), Err(BadExpire::NotInt));
        assert_eq!(expire_at(now, b"9223372036854775807", SET_EX), Err(BadExpire::Invalid));
        assert_eq!(expire_at(now, b"9223372036854775", SET_EXAT), Ok(9_223_372_036_854_775_000));
        assert_eq!(expire_at(now, b"9223372036854775807", SET_PX), Err(BadExpire::Invalid));
        assert_eq!(expire_at(now, b"9223372036854775807", SET_PXAT), Ok(i64::MAX));
    }

    #[test]
    fn ttl_handling() {
        let mut k = ks();
        run(|o| set(&mut k, 0, b"a", b"v", SET_PX, b"100", o));
        assert_eq!(k.dbs[0].expire(b"a"), 1_000_100);
        assert_eq!(k.dbs[0].volatile(), 1);
        run(|o| set(&mut k, 0, b"a", b"w", SET_KEEPTTL, b"", o));
        assert_eq!(k.dbs[0].expire(b"a"), 1_000_100);
        run(|o| incr_by_float(&mut k, 0, b"a", b"1", o)); // not a float: unchanged
        set_plain(&mut k, 0, b"a", b"x");
        assert_eq!(k.dbs[0].expire(b"a"), -1);
        assert_eq!(k.dbs[0].volatile(), 0);
        assert_eq!(k.dbs[0].expires.len(), 0);
        // GETEX: EX sets, PERSIST clears, a past EXAT deletes.
        assert_eq!(run(|o| getex(&mut k, 0, b"a", SET_EX, b"5", o)).1, b"$1\r\nx\r\n");
        assert_eq!(k.dbs[0].expire(b"a"), 1_005_000);
        run(|o| getex(&mut k, 0, b"a", GETEX_PERSIST, b"", o));
        assert_eq!(k.dbs[0].expire(b"a"), -1);
        assert_eq!(run(|o| getex(&mut k, 0, b"a", SET_EX, b"0", o)).1, b"-ERR invalid expire time in 'getex' command\r\n");
        assert_eq!(run(|o| getex(&mut k, 0, b"nokey", SET_EX, b"0", o)).0, code::NIL);
        run(|o| getex(&mut k, 0, b"a", SET_EXAT, b"1", o));
        assert!(!k.exists(0, b"a"));
        // An expired key counts as absent for NX and is replaced.
        run(|o| set(&mut k, 0, b"b", b"v", SET_PX, b"10", o));
        k.now_ms += 20;
        assert_eq!(run(|o| set(&mut k, 0, b"b", b"w", SET_NX, b"", o)).0, code::OK);
        assert_eq!(k.dbs[0].volatile(), 0);
        assert_eq!(k.stats.expired_keys, 1);
        // INCR and APPEND keep the TTL.
        run(|o| set(&mut k, 0, b"c", b"1", SET_EX, b"100", o));
        run(|o| incr_by(&mut k, 0, b"c", b"1", false, o));
        run(|o| append(&mut k, 0, b"c", b"0", 100, o));
        assert_eq!((k.dbs[0].volatile(), k.dbs[0].expires.len()), (1, 1));
        let now = k.now_ms;
        assert_eq!(k.dbs[0].expire(b"c"), now + 100_000);
    }

    #[test]
    fn each_command_touches_the_key_as_often_as_redis() {
        // With lfu-log-factor 0 every access increments the LFU counter.
        let mut k = ks();
        k.lfu = crate::keyspace::Lfu { enabled: true, log_factor: 0, decay_time: 1 };
        let counter = |k: &mut Keyspace| k.peek(0, b"a").unwrap().lru & 255;
        set_plain(&mut k, 0, b"a", b"1");
        assert_eq!(counter(&mut k), crate::keyspace::LFU_INIT_VAL);
        let steps: [(&str, u32); 6] = [("set", 1), ("set nx", 1), ("set xx", 1), ("set get", 2), ("incr", 1), ("get", 1)];
        for (what, touches) in steps {
            let before = counter(&mut k);
            run(|o| match what {
                "set" => set(&mut k, 0, b"a", b"2", 0, b"", o),
                "set nx" => set(&mut k, 0, b"a", b"2", SET_NX, b"", o),
                "set xx" => set(&mut k, 0, b"a", b"2", SET_XX, b"", o),
                "set get" => set(&mut k, 0, b"a", b"2", SET_GET, b"", o),
                "incr" => incr_by(&mut k, 0, b"a", b"1", false, o),
                _ => get(&mut k, 0, b"a", o),
            });
            assert_eq!(counter(&mut k), before + touches, "{what}");
        }
    }

    #[test]
    fn getrange_setrange() {
        let mut k = ks();
        set_plain(&mut k, 0, b"s", b"Hello World");
        let gr = |k: &mut Keyspace, a: &[u8], b: &[u8]| run(|o| getrange(k, 0, b"s", a, b, o)).1;
        assert_eq!(gr(&mut k, b"0", b"3"), b"$4\r\nHell\r\n");
        assert_eq!(gr(&mut k, b"-4", b"-1"), b"$4\r\norld\r\n");
        assert_eq!(gr(&mut k, b"5", b"3"), b"$0\r\n\r\n");
        assert_eq!(gr(&mut k, b"-1", b"-3"), b"$0\r\n\r\n");
        assert_eq!(gr(&mut k, b"-5000", b"10000"), b"$11\r\nHello World\r\n");
        assert_eq!(gr(&mut k, b"0", b"4294967297"), b"$11\r\nHello World\r\n");
        assert_eq!(run(|o| getrange(&mut k, 0, b"s", b"a", b"1", o)).1, b"-ERR value is not an integer or out of range\r\n");
        assert_eq!(run(|o| getrange(&mut k, 0, b"none", b"0", b"1", o)).1, b"$0\r\n\r\n");
        assert_eq!(run(|o| setrange(&mut k, 0, b"n", b"1", b"foo", 100, o)).1, b":4\r\n");
        assert_eq!(run(|o| get(&mut k, 0, b"n", o)).1, b"$4\r\n\x00foo\r\n");
        assert_eq!(run(|o| setrange(&mut k, 0, b"m", b"0", b"", 100, o)).1, b":0\r\n");
        assert!(!k.exists(0, b"m"));
        assert_eq!(run(|o| setrange(&mut k, 0, b"n", b"-1", b"x", 100, o)).1, b"-ERR offset is out of range\r\n");
        assert_eq!(run(|o| setrange(&mut k, 0, b"n", b"98", b"xyz", 100, o)).1, b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
        assert_eq!(run(|o| setrange(&mut k, 0, b"n", b"9223372036854775807", b"xyz", 100, o)).1, b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
        assert_eq!(run(|o| append(&mut k, 0, b"n", &[b'x'; 97], 100, o)).1, b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
    }

    #[test]
    fn incrbyfloat_like_redis() {
        let mut k = ks();
        set_plain(&mut k, 0, b"f", b"10.5");
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"f", b"0.1", o)).1, b"$4\r\n10.6\r\n");
        set_plain(&mut k, 0, b"g", b" 11");
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"g", b"1", o)).1, b"-ERR value is not a valid float\r\n");
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"f", b"+inf", o)).1, b"-ERR increment would produce NaN or Infinity\r\n");
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"f", b"abc", o)).1, b"-ERR value is not a valid float\r\n");
        assert_eq!(run(|o| incr_by_float(&mut k, 0, b"f", b"-10.6", o)).1, b"$1\r\n0\r\n");
    }

    #[test]
    fn lcs_replies() {
        let mut k = ks();
        set_plain(&mut k, 0, b"a", b"ohmytext");
        set_plain(&mut k, 0, b"b", b"mynewtext");
        let l = |k: &mut Keyspace, mode: u32, min: u64| run(|o| lcs(k, 0, b"a", b"b", mode, min, 1 << 20, o));
        assert_eq!(l(&mut k, LCS_STRING, 0).1, b"$6\r\nmytext\r\n");
        assert_eq!(l(&mut k, LCS_LEN, 0).1, b":6\r\n");
        assert_eq!(
            l(&mut k, LCS_IDX | LCS_WITHMATCHLEN, 4).1,
            b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n".to_vec()
        );
        assert_eq!(l(&mut k, LCS_LEN | LCS_IDX, 0).1, b"-ERR If you want both the length and indexes, please just use IDX.\r\n");
        assert_eq!(l(&mut k, LCS_BAD_OPTIONS, 0), (code::CALLER, vec![]));
        assert_eq!(run(|o| lcs(&mut k, 0, b"a", b"b", 0, 0, 10, o)).1, b"-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n");
    }
}
