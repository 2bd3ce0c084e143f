//! The generic key commands' bindings (semantics in keyspace.rs, expire.rs, generic.rs).
use crate::keyspace::ks;
use crate::reply::{code, Out};
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

// The flags TypeScript passes (generic::OBJ_*), exported so they are defined once.
#[napi]
pub const KEY_OBJ_ENCODING: u32 = crate::generic::OBJ_ENCODING;
#[napi]
pub const KEY_OBJ_REFCOUNT: u32 = crate::generic::OBJ_REFCOUNT;
#[napi]
pub const KEY_OBJ_IDLETIME: u32 = crate::generic::OBJ_IDLETIME;
#[napi]
pub const KEY_OBJ_FREQ: u32 = crate::generic::OBJ_FREQ;

#[inline]
fn finish(out: Out, res: i64) -> i64 {
    if res == code::WRITTEN {
        out.finish()
    } else {
        res
    }
}

/// DEL/UNLINK of one key: true if it existed.
#[napi(catch_unwind)]
pub fn key_del(db: u32, key: &[u8], lazy: Option<bool>) -> bool {
    let k = ks();
    let lazy = lazy.unwrap_or(k.lazy.user_del);
    k.delete_freeing(db as usize, key, lazy)
}

/// The lazyfree-lazy-server-del, -expire and -user-del configs.
#[napi(catch_unwind)]
pub fn key_set_lazyfree(server_del: bool, expire: bool, user_del: bool) {
    ks().lazy = crate::keyspace::LazyFree { server_del, expire, user_del };
}

/// INFO's lazyfree_pending_objects and lazyfreed_objects.
#[napi(catch_unwind)]
pub fn key_lazyfree_stats() -> Vec<u32> {
    vec![crate::lazyfree::pending() as u32, crate::lazyfree::freed() as u32]
}

/// Whether a live key exists (no stats, no access recorded).
#[napi(catch_unwind)]
pub fn key_exists(db: u32, key: &[u8]) -> bool {
    ks().exists(db as usize, key)
}

/// EXISTS of one key as the command does it: counts keyspace hits/misses, does not touch the key.
#[napi(catch_unwind)]
pub fn key_exists_read(db: u32, key: &[u8]) -> bool {
    ks().exists_cmd(db as usize, key)
}

/// The type of a live key without any effect (no expiry, stats or touch:
/// Redis's LOOKUP_NOEFFECTS): "none" when missing or past its expire time.
/// Blocked clients are served only when their key has the type they wait for.
#[napi(catch_unwind)]
pub fn key_live_type(db: u32, key: &[u8]) -> &'static str {
    let k = ks();
    let now = k.now_ms;
    let d = &k.dbs[db as usize];
    match d.dict.get(key) {
        Some(e) if !d.expired_at(key, e, now) => e.value.type_name(),
        _ => "none",
    }
}

/// TYPE: the type name ("none" when missing).
#[napi(catch_unwind)]
pub fn key_type(db: u32, key: &[u8]) -> &'static str {
    ks().type_cmd(db as usize, key)
}

#[napi(catch_unwind)]
pub fn key_dbsize(db: u32) -> u32 {
    ks().dbs[db as usize].dict.len() as u32
}

/// FLUSHDB; `lazy` frees a large db on a background thread.
#[napi(catch_unwind)]
pub fn key_flushdb(db: u32, lazy: Option<bool>) {
    ks().flush_db(db as usize, lazy.unwrap_or(false));
}

#[napi(catch_unwind)]
pub fn key_flushall(lazy: Option<bool>) {
    ks().flush_all(lazy.unwrap_or(false));
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: writes the integer reply.
#[napi(catch_unwind)]
pub fn key_ttl(db: u32, key: &[u8], ms: bool, absolute: bool, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    ks().ttl_cmd(db as usize, key, ms, absolute, &mut out);
    out.finish()
}

/// A feature (blocked clients, WATCH) starts (`on`) or stops waiting on a key (recorded under LISTEN_WAITED).
#[napi(catch_unwind)]
pub fn key_set_waited(db: u32, key: &[u8], on: bool) {
    ks().set_waited(db as usize, key, on);
}

/// Client-side caching starts (`on`) or stops tracking `key` (in every db): its changes are recorded under LISTEN_WAITED.
#[napi(catch_unwind)]
pub fn key_set_tracked(key: &[u8], on: bool) {
    ks().set_tracked(key, on);
}

/// A BCAST prefix of client-side caching comes (`on`) or goes: keys under it are recorded under LISTEN_WAITED.
#[napi(catch_unwind)]
pub fn key_set_tracked_prefix(prefix: &[u8], on: bool) {
    ks().set_tracked_prefix(prefix, on);
}

/// Client-side caching tracks no key any more.
#[napi(catch_unwind)]
pub fn key_clear_tracked() {
    ks().clear_tracked();
}

/// The notify-keyspace-events classes (their letters) whose events are recorded under LISTEN_EVENTS.
#[napi(catch_unwind)]
pub fn key_set_event_classes(classes: String) {
    ks().set_event_classes(classes.as_bytes());
}

#[napi(catch_unwind)]
pub fn key_persist(db: u32, key: &[u8]) -> bool {
    ks().persist(db as usize, key)
}

/// OBJECT ENCODING (0) / REFCOUNT (1) / IDLETIME (2) / FREQ (3): writes the reply or NIL.
#[napi(catch_unwind)]
pub fn key_object(db: u32, key: &[u8], what: u32, mut buf: BufferSlice, pos: u32) -> i64 {
    let mut out = Out::new(&mut buf, pos as usize);
    let res = ks().object_cmd(db as usize, key, what, &mut out);
    finish(out, res)
}

#[napi(catch_unwind)]
pub fn key_swapdb(a: u32, b: u32) {
    ks().swap_dbs(a as usize, b as usize);
}

/// The eviction policy's LFU settings: under LFU, accesses update a
/// logarithmic counter instead of the LRU clock (OBJECT FREQ).
#[napi(catch_unwind)]
pub fn key_set_lfu(enabled: bool, log_factor: u32, decay_time: u32) {
    let k = ks();
    k.lfu.enabled = enabled;
    k.lfu.log_factor = log_factor;
    k.lfu.decay_time = decay_time;
}

/// Keys with an expire in `db` (INFO keyspace `expires`) and their average TTL (ms).
#[napi(catch_unwind)]
pub fn key_volatile(db: u32) -> u32 {
    ks().dbs[db as usize].volatile() as u32
}

#[napi(catch_unwind)]
pub fn key_avg_ttl(db: u32) -> f64 {
    ks().dbs[db as usize].avg_ttl as f64
}

/// Redis's glob match (KEYS, SCAN MATCH, CONFIG GET, ...).
#[napi(catch_unwind)]
pub fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    crate::glob::matches(pattern, subject, nocase)
}

/// WATCH's look at a key, which must not expire it: 0 absent, 1 live, 2 present
/// but past its expire time (Redis's keyIsExpired on a key still in the dict).
#[napi(catch_unwind)]
pub fn key_watch_state(db: u32, key: &[u8]) -> u32 {
    let k = ks();
    let now = k.now_ms;
    let d = &k.dbs[db as usize];
    match d.dict.get(key) {
        None => 0,
        Some(e) if d.expired_at(key, e, now) => 2,
        Some(_) => 1,
    }
}
