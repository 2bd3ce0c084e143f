//! String commands' bindings. Each returns the new reply position (the reply,
//! or Redis's error, is written) or a negative status code (`reply::code`).
use crate::keyspace::ks;
use crate::reply::{code, Out};
use crate::t_string;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

// The flags TypeScript passes (t_string::SET_*, LCS_*), exported so they are defined once.
#[napi]
pub const STR_SET_NX: u32 = t_string::SET_NX;
#[napi]
pub const STR_SET_XX: u32 = t_string::SET_XX;
#[napi]
pub const STR_SET_GET: u32 = t_string::SET_GET;
#[napi]
pub const STR_SET_KEEPTTL: u32 = t_string::SET_KEEPTTL;
#[napi]
pub const STR_SET_EX: u32 = t_string::SET_EX;
#[napi]
pub const STR_SET_PX: u32 = t_string::SET_PX;
#[napi]
pub const STR_SET_EXAT: u32 = t_string::SET_EXAT;
#[napi]
pub const STR_SET_PXAT: u32 = t_string::SET_PXAT;
#[napi]
pub const STR_LCS_LEN: u32 = t_string::LCS_LEN;
#[napi]
pub const STR_LCS_IDX: u32 = t_string::LCS_IDX;
#[napi]
pub const STR_LCS_WITHMATCHLEN: u32 = t_string::LCS_WITHMATCHLEN;
#[napi]
pub const STR_LCS_BAD_OPTIONS: u32 = t_string::LCS_BAD_OPTIONS;

/// Ends a call that may have written a reply.
#[inline(always)]
fn finish(out: Out, c: i64) -> i64 {
    if c == code::WRITTEN {
        out.finish()
    } else {
        c
    }
}

// The hot path (GET, MGET, SET, MSET, INCR and friends): plain functions the
// raw callbacks generated from raw_table.rs call (see api/raw.rs).

/// rawStrMgetOne: one key of MGET, the bulk or NIL (missing key or another type).
#[inline(always)]
pub fn mget_one(db: u32, key: &[u8], buf: &mut [u8], pos: u32) -> i64 {
    let mut out = Out::new(buf, pos as usize);
    let c = t_string::mget_one(ks(), db as usize, key, &mut out);
    finish(out, c)
}

/// rawStrSetPlain: `SET key value` without options, and each pair of MSET.
#[inline(always)]
pub fn set_plain(db: u32, key: &[u8], val: &[u8]) {
    t_string::set_plain(ks(), db as usize, key, val);
}

/// rawStrSet: SET with `flags` (t_string::SET_*) and, when an expire unit
/// flag is set, the expire argument as the client gave it.
#[inline(always)]
pub fn set(db: u32, key: &[u8], val: &[u8], flags: u32, expire: &[u8], buf: &mut [u8], pos: u32) -> i64 {
    let mut out = Out::new(buf, pos as usize);
    let c = t_string::set(ks(), db as usize, key, val, flags, expire, &mut out);
    finish(out, c)
}

#[napi(catch_unwind)]
pub fn str_getset(db: u32, key: &[u8], val: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getset(ks(), db as usize, key, val, &mut out);
    finish(out, c)
}

#[napi(catch_unwind)]
pub fn str_getdel(db: u32, key: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::getdel(ks(), db as usize, key, &mut out);
    finish(out, c)
}

#[napi(catch_unwind)]
pub fn str_incr_by_float(db: u32, key: &[u8], incr: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::incr_by_float(ks(), db as usize, key, incr, &mut out);
    finish(out, c)
}

/// LCS with `mode` (t_string::LCS_*); `max_table` is proto-max-bulk-len. RESP3 (IDX's map) from the state block.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn str_lcs(db: u32, k1: &[u8], k2: &[u8], mode: u32, min_match: f64, max_table: f64, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let c = t_string::lcs(ks(), db as usize, k1, k2, mode, min_match as u64, max_table as u64, &mut out);
    finish(out, c)
}
