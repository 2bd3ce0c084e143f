//! The string type: values, encodings (int / embstr / raw) and the string
//! commands' semantics. Replies are written with `Out`; errors and nulls are
//! returned as codes (see `reply::code`).
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, Out};
use crate::sbytes::SBytes;
use crate::util::{fmt_i64, parse_i64};

/// A string value as SET stores it: `int` when it is a canonical integer of at
/// most 20 characters, otherwise the bytes (Redis's tryObjectEncoding).
pub fn encode(bytes: &[u8]) -> Value {
    if bytes.len() <= 20 {
        if let Some(v) = parse_i64(bytes) {
            return Value::Int(v);
        }
    }
    Value::Str(SBytes::new(bytes))
}

/// Calls `f` with the bytes of a string value.
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
    }
}

pub fn to_vec(v: &Value) -> Vec<u8> {
    with_bytes(v, |b| b.to_vec())
}

pub fn is_string(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Str(_) | Value::Raw(_))
}

/// Writes a string value as a bulk reply.
#[inline]
pub fn reply_value(out: &mut Out, v: &Value) {
    match v {
        Value::Int(i) => out.bulk_i64(*i),
        Value::Str(s) => out.bulk(s.as_slice()),
        Value::Raw(r) => out.bulk(r),
    }
}

pub fn get(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> i64 {
    match ks.lookup_read(db, key) {
        None => code::NIL,
        Some(e) if !is_string(&e.value) => code::WRONGTYPE,
        Some(e) => {
            reply_value(out, &e.value);
            0
        }
    }
}

pub const SET_NX: u32 = 1;
pub const SET_XX: u32 = 2;
pub const SET_GET: u32 = 4;
pub const SET_KEEPTTL: u32 = 8;

/// SET with its options. `expire` is an absolute ms time or -1. Returns OK,
/// NIL (condition not met, or GET of a missing key), WRONGTYPE (GET of a
/// non-string), or 0 after writing the old value (GET).
pub fn set(ks: &mut Keyspace, db: usize, key: &[u8], val: &[u8], flags: u32, expire: i64, out: &mut Out) -> i64 {
    let (exists, old_expire) = match ks.lookup(db, key) {
        None => (false, -1),
        Some(e) => {
            if flags & SET_GET != 0 {
                if !is_string(&e.value) {
                    return code::WRONGTYPE;
                }
                reply_value(out, &e.value);
            }
            (true, e.expire)
        }
    };
    let replied = exists && flags & SET_GET != 0;
    if (flags & SET_NX != 0 && exists) || (flags & SET_XX != 0 && !exists) {
        return if replied { 0 } else { code::NIL };
    }
    let expire = if flags & SET_KEEPTTL != 0 { old_expire } else { expire };
    ks.set(db, key, encode(val), expire);
    if flags & SET_GET != 0 {
        if replied { 0 } else { code::NIL }
    } else {
        code::OK
    }
}

/// INCRBY/DECRBY/INCR/DECR: `delta` as given by the client.
pub fn incr_by(ks: &mut Keyspace, db: usize, key: &[u8], delta: &[u8], negate: bool, out: &mut Out) -> i64 {
    let Some(mut d) = parse_i64(delta) else { return code::NOT_INT };
    if negate {
        if d == i64::MIN {
            return code::OVERFLOW;
        }
        d = -d;
    }
    let current = match ks.lookup(db, key) {
        None => 0,
        Some(e) => match &e.value {
            Value::Int(i) => *i,
            v if is_string(v) => match with_bytes(v, parse_i64) {
                Some(i) => i,
                None => return code::NOT_INT,
            },
            _ => return code::WRONGTYPE,
        },
    };
    let Some(next) = current.checked_add(d) else { return code::OVERFLOW };
    match ks.lookup(db, key) {
        Some(e) => e.value = Value::Int(next),
        None => ks.set(db, key, Value::Int(next), -1),
    }
    out.int(next);
    0
}

pub fn strlen(ks: &mut Keyspace, db: usize, key: &[u8]) -> i64 {
    match ks.lookup_read(db, key) {
        None => 0,
        Some(e) => match &e.value {
            Value::Int(i) => crate::util::i64_len(*i) as i64,
            Value::Str(s) => s.len() as i64,
            Value::Raw(r) => r.len() as i64,
        },
    }
}

/// APPEND: the value becomes `raw` and grows in place. Returns the new length,
/// or WRONGTYPE / TOO_BIG.
pub fn append(ks: &mut Keyspace, db: usize, key: &[u8], suffix: &[u8], max_len: usize) -> i64 {
    match ks.lookup(db, key) {
        None => {
            ks.set(db, key, Value::Raw(Box::new(suffix.to_vec())), -1);
            suffix.len() as i64
        }
        Some(e) => {
            if !is_string(&e.value) {
                return code::WRONGTYPE;
            }
            let cur_len = with_bytes(&e.value, |b| b.len());
            if cur_len + suffix.len() > max_len {
                return code::TOO_BIG;
            }
            if !matches!(e.value, Value::Raw(_)) {
                e.value = Value::Raw(Box::new(to_vec(&e.value)));
            }
            let Value::Raw(r) = &mut e.value else { unreachable!() };
            r.extend_from_slice(suffix);
            r.len() as i64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn set_get_incr_append() {
        let mut k = Keyspace::new(1);
        let mut buf = [0u8; 128];
        let mut o = Out::new(&mut buf, 0);
        assert_eq!(set(&mut k, 0, b"a", b"12", 0, -1, &mut o), code::OK);
        assert_eq!(k.peek(0, b"a").unwrap().value.encoding(), "int");
        assert_eq!(incr_by(&mut k, 0, b"a", b"5", true, &mut o), 0);
        assert_eq!(get(&mut k, 0, b"a", &mut o), 0);
        let end = o.finish() as usize;
        assert_eq!(&buf[..end], b":7\r\n$1\r\n7\r\n");
        assert_eq!(append(&mut k, 0, b"a", b"xy", 100), 3);
        assert_eq!(k.peek(0, b"a").unwrap().value.encoding(), "raw");
        let mut o = Out::new(&mut buf, 0);
        assert_eq!(incr_by(&mut k, 0, b"a", b"1", false, &mut o), code::NOT_INT);
        assert_eq!(set(&mut k, 0, b"a", b"v", SET_NX | SET_GET, -1, &mut o), 0);
        assert_eq!(o.finish(), 9);
        assert_eq!(&buf[..9], b"$3\r\n7xy\r\n");
    }
}
