//! String commands' bindings. Each returns the new reply position, a
//! non-negative result for commands that answer an integer without writing,
//! or a negative status code (`reply::code`, `t_string::scode`).
use crate::keyspace::ks;
use crate::reply::Out;
use crate::t_string;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

/// Ends a call that may have written a reply: 0 means "written".
#[inline]
fn finish(out: Out, c: i64) -> i64 {
    if c == 0 {
        out.finish()
    } else {
        c
    }
}

// The hot path (GET, MGET, SET, MSET, INCR and friends) as raw N-API
// callbacks (see api/raw.rs); their TypeScript types are in src/engine/addon.ts.

crate::raw_fn! {
    /// rawStrGet(db, key, buf, pos): GET.
    fn raw_str_get(a) {
        let mut out = Out::new(a.bytes_mut(2), a.u32(3) as usize);
        let c = t_string::get(ks(), a.u32(0) as usize, a.bytes(1), &mut out);
        a.ret_f64(finish(out, c) as f64)
    }
}

crate::raw_fn! {
    /// rawStrMgetOne(db, key, buf, pos): one key of MGET, the bulk or NIL
    /// (missing key or another type).
    fn raw_str_mget_one(a) {
        let mut out = Out::new(a.bytes_mut(2), a.u32(3) as usize);
        let c = t_string::mget_one(ks(), a.u32(0) as usize, a.bytes(1), &mut out);
        a.ret_f64(finish(out, c) as f64)
    }
}

crate::raw_fn! {
    /// rawStrSetPlain(db, key, value): `SET key value` without options, and
    /// each pair of MSET.
    fn raw_str_set_plain(a) {
        t_string::set_plain(ks(), a.u32(0) as usize, a.bytes(1), a.bytes(2));
        std::ptr::null_mut()
    }
}

crate::raw_fn! {
    /// rawStrSet(db, key, value, flags, expire, buf, pos): SET with `flags`
    /// (t_string::SET_*) and, when an expire unit flag is set, the expire
    /// argument as the client gave it.
    fn raw_str_set(a) {
        let mut out = Out::new(a.bytes_mut(5), a.u32(6) as usize);
        let c = t_string::set(ks(), a.u32(0) as usize, a.bytes(1), a.bytes(2), a.u32(3), a.bytes(4), &mut out);
        a.ret_f64(finish(out, c) as f64)
    }
}

crate::raw_fn! {
    /// rawStrIncrBy(db, key, delta, negate, buf, pos): INCRBY, or DECRBY with `negate`.
    fn raw_str_incr_by(a) {
        let mut out = Out::new(a.bytes_mut(4), a.u32(5) as usize);
        let c = t_string::incr_by(ks(), a.u32(0) as usize, a.bytes(1), a.bytes(2), a.bool(3), &mut out);
        a.ret_f64(finish(out, c) as f64)
    }
}

#[napi]
pub fn str_getset(db: u32, key: &[u8], val: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getset(ks(), db as usize, key, val, &mut out);
    finish(out, c)
}

#[napi]
pub fn str_getdel(db: u32, key: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getdel(ks(), db as usize, key, &mut out);
    finish(out, c)
}

#[napi]
pub fn str_getex(db: u32, key: &[u8], flags: u32, expire: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getex(ks(), db as usize, key, flags, expire, &mut out);
    finish(out, c)
}

#[napi]
pub fn str_incr_by_float(db: u32, key: &[u8], incr: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::incr_by_float(ks(), db as usize, key, incr, &mut out);
    finish(out, c)
}

/// STRLEN: the length, or a negative code.
#[napi]
pub fn str_strlen(db: u32, key: &[u8]) -> i64 {
    t_string::strlen(ks(), db as usize, key)
}

/// APPEND: the new length, or a negative code.
#[napi]
pub fn str_append(db: u32, key: &[u8], suffix: &[u8], max_len: f64) -> i64 {
    t_string::append(ks(), db as usize, key, suffix, max_len as u64)
}

#[napi]
pub fn str_getrange(db: u32, key: &[u8], start: &[u8], end: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getrange(ks(), db as usize, key, start, end, &mut out);
    finish(out, c)
}

/// SETRANGE: the new length, or a negative code.
#[napi]
pub fn str_setrange(db: u32, key: &[u8], offset: &[u8], val: &[u8], max_len: f64) -> i64 {
    t_string::setrange(ks(), db as usize, key, offset, val, max_len as u64)
}

/// LCS with `mode` (t_string::LCS_*); `max_table` is proto-max-bulk-len.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn str_lcs(db: u32, k1: &[u8], k2: &[u8], mode: u32, min_match: f64, max_table: f64, resp3: bool, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    out.resp3 = resp3;
    let c = t_string::lcs(ks(), db as usize, k1, k2, mode, min_match as u64, max_table as u64, &mut out);
    finish(out, c)
}
