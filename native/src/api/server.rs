//! Engine-wide bindings: lifecycle, clock, memory, reply overflow.
use crate::keyspace::{self, ks};
use crate::reply;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

// The status codes (reply::code) TypeScript reads, so they are defined once.
#[napi]
pub const CODE_NIL: i64 = reply::code::NIL;
#[napi]
pub const CODE_NOSPACE: i64 = reply::code::NOSPACE;
#[napi]
pub const CODE_OK: i64 = reply::code::OK;
#[napi]
pub const CODE_CALLER: i64 = reply::code::CALLER;
#[napi]
pub const CODE_BLOCK: i64 = reply::code::BLOCK;
#[napi]
pub const CODE_NIL_ARRAY: i64 = reply::code::NIL_ARRAY;

/// Creates a fresh keyspace with `databases` databases.
#[napi(catch_unwind)]
pub fn engine_init(databases: u32) {
    crate::alloc::tune_malloc();
    keyspace::init(databases as usize);
}

/// The hash tables' own cost in db `db`: [main table, expires table] (INFO used_memory_overhead, MEMORY STATS).
#[napi(catch_unwind)]
pub fn engine_db_overhead(db: u32) -> Vec<f64> {
    let k = ks();
    match k.dbs.get(db as usize) {
        Some(d) => vec![d.dict.overhead_bytes() as f64, d.expires.overhead_bytes() as f64],
        None => vec![0.0, 0.0],
    }
}

/// Bytes allocated by the addon right now.
#[napi(catch_unwind)]
pub fn engine_used_memory() -> f64 {
    crate::alloc::allocated_bytes() as f64
}

/// Gives the C library's free memory back to the system (glibc's malloc_trim:
/// MEMORY PURGE, and the quiet-server collection after big frees). True when some was released.
#[napi(catch_unwind)]
pub fn engine_malloc_trim() -> bool {
    // SAFETY: malloc_trim only walks and trims glibc's own arenas.
    unsafe { libc::malloc_trim(0) != 0 }
}

#[napi(catch_unwind)]
pub fn engine_pending_len() -> u32 {
    reply::pending_len() as u32
}

/// Copies a reply that did not fit (NOSPACE) into `buf` at `pos`.
#[napi(catch_unwind)]
pub fn engine_take_pending(mut buf: BufferSlice, pos: u32) -> i64 {
    reply::take_pending(&mut buf, pos as usize)
}

/// One active expire cycle over every db, looking at up to `budget` entries per db.
#[napi(catch_unwind)]
pub fn engine_active_expire(budget: u32) -> u32 {
    let k = ks();
    let mut n = 0;
    for db in 0..k.dbs.len() {
        n += k.active_expire_db(db, budget as usize);
    }
    n as u32
}

/// The cron's share of incremental rehashing (activerehashing): moves up to
/// `buckets` buckets of each db's tables that are being resized. True while
/// some table is still being rehashed.
#[napi(catch_unwind)]
pub fn engine_rehash(buckets: u32) -> bool {
    let mut busy = false;
    for d in ks().dbs.iter_mut() {
        busy |= d.dict.rehash_some(buckets as usize);
        busy |= d.expires.rehash_some(buckets as usize);
    }
    busy
}

/// The config names whose values the engine reads (config.rs).
#[napi(catch_unwind)]
pub fn engine_config_names() -> Vec<String> {
    crate::config::NAMES.iter().map(|s| s.to_string()).collect()
}

/// Sets an engine setting by its config name (its integer value).
#[napi(catch_unwind)]
pub fn engine_set_config(name: String, value: i64) -> bool {
    crate::config::set(&name, value)
}
