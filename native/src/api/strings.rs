//! String commands' bindings.
use crate::keyspace::ks;
use crate::reply::Out;
use crate::t_string;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

#[napi]
pub fn str_get(db: u32, key: &[u8], mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    match t_string::get(ks(), db as usize, key, &mut out) {
        0 => out.finish(),
        c => c,
    }
}

/// SET key value with `flags` (NX=1 XX=2 GET=4 KEEPTTL=8) and an absolute
/// expire time in ms (-1 for none).
#[napi]
pub fn str_set(db: u32, key: &[u8], val: &[u8], flags: u32, expire_at_ms: i64, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    match t_string::set(ks(), db as usize, key, val, flags, expire_at_ms, &mut out) {
        0 => out.finish(),
        c => c,
    }
}

#[napi]
pub fn str_incr_by(db: u32, key: &[u8], delta: &[u8], negate: bool, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    match t_string::incr_by(ks(), db as usize, key, delta, negate, &mut out) {
        0 => out.finish(),
        c => c,
    }
}

#[napi]
pub fn str_strlen(db: u32, key: &[u8]) -> i64 {
    t_string::strlen(ks(), db as usize, key)
}

/// APPEND: the new length, or a negative code.
#[napi]
pub fn str_append(db: u32, key: &[u8], suffix: &[u8], max_len: f64) -> i64 {
    t_string::append(ks(), db as usize, key, suffix, max_len as usize)
}
