//! Engine-wide bindings: lifecycle, clock, memory, reply overflow.
use crate::keyspace::{self, ks};
use crate::reply;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

/// Creates a fresh keyspace with `databases` databases.
#[napi]
pub fn engine_init(databases: u32) {
    keyspace::init(databases as usize);
}

crate::raw_fn! {
    /// rawSetClock(nowMs): the clock used for expiry by the commands that follow (unix ms).
    fn raw_set_clock(a) {
        ks().now_ms = a.f64(0) as i64;
        std::ptr::null_mut()
    }
}

/// Bytes allocated by the addon right now.
#[napi]
pub fn engine_used_memory() -> f64 {
    crate::alloc::allocated_bytes() as f64
}

#[napi]
pub fn engine_pending_len() -> u32 {
    reply::pending_len() as u32
}

/// Copies a reply that did not fit (NOSPACE) into `buf` at `pos`.
#[napi]
pub fn engine_take_pending(mut buf: BufferSlice, pos: u32) -> i64 {
    reply::take_pending(&mut buf, pos as usize)
}

/// One active expire cycle over every db, looking at up to `budget` entries per db.
#[napi]
pub fn engine_active_expire(budget: u32) -> u32 {
    let k = ks();
    let mut n = 0;
    for db in 0..k.dbs.len() {
        n += k.active_expire_db(db, budget as usize);
    }
    n as u32
}

/// CLIENT NO-TOUCH of the client whose commands follow (set only when it changes).
#[napi]
pub fn engine_set_no_touch(on: bool) {
    ks().no_touch = on;
}

/// The cron's share of incremental rehashing (activerehashing): moves up to
/// `buckets` buckets of each db's tables that are being resized. True while
/// some table is still being rehashed.
#[napi]
pub fn engine_rehash(buckets: u32) -> bool {
    let mut busy = false;
    for d in ks().dbs.iter_mut() {
        busy |= d.dict.rehash_some(buckets as usize);
        busy |= d.expires.rehash_some(buckets as usize);
    }
    busy
}
