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
    keyspace::init(databases as usize);
    // A new server has no subscribers yet (what PUBLISH on the batch path counts).
    crate::pubsub::reset();
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

/// Gives free memory back to the system: jemalloc's free pages, then the C
/// library's (MEMORY PURGE, and the quiet-server collection after big frees).
#[napi(catch_unwind)]
pub fn engine_malloc_trim() -> bool {
    crate::alloc::purge()
}

/// `unix_secs` in local time as the C library reckons it (localtime_r, as
/// Redis's log): [day of the month, month 0-11, year, hours, minutes, seconds].
/// The server log's stamps: JavaScript's local-time getters made V8 load ICU's
/// time zone data and code, ~0.45 MB resident for one line at start-up (issue 7).
#[napi(catch_unwind)]
pub fn engine_local_time(unix_secs: f64) -> Vec<i32> {
    let t = unix_secs as libc::time_t;
    // SAFETY: a zeroed `tm` is a valid value; localtime_r writes only into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return vec![1, 0, 1970, 0, 0, 0];
    }
    vec![tm.tm_mday, tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec]
}

/// The allocator's name (INFO mem_allocator).
#[napi(catch_unwind)]
pub fn engine_allocator() -> String {
    crate::alloc::NAME.to_string()
}

/// jemalloc's totals: [allocated, active, resident, retained] bytes (INFO's allocator_* fields).
#[napi(catch_unwind)]
pub fn engine_allocator_stats() -> Vec<f64> {
    crate::alloc::stats().iter().map(|&n| n as f64).collect()
}

/// MEMORY MALLOC-STATS: the allocator's own report.
#[napi(catch_unwind)]
pub fn engine_malloc_stats() -> String {
    crate::alloc::malloc_stats()
}

/// DEBUG MALLCTL / MALLCTL-STR: [kind, text] where kind is "int" (text the
/// number), "str", "ok" or "err" (text strerror's words).
#[napi(catch_unwind)]
pub fn engine_mallctl(name: BufferSlice, value: Option<BufferSlice>, string: bool) -> Vec<String> {
    use crate::alloc::Mallctl;
    let res = if string {
        crate::alloc::mallctl_str(&name, value.as_deref())
    } else {
        match value.as_deref().map(|v| std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok())) {
            Some(None) => return vec!["notint".into(), String::new()],
            v => crate::alloc::mallctl_int(&name, v.flatten()),
        }
    };
    match res {
        Mallctl::Int(n) => vec!["int".into(), n.to_string()],
        Mallctl::Str(s) => vec!["str".into(), s],
        Mallctl::Ok => vec!["ok".into(), String::new()],
        Mallctl::Err(e) => vec!["err".into(), e],
    }
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
