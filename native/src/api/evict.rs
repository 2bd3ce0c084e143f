//! maxmemory eviction bindings (evict.rs): the per-command check is a raw
//! callback (rawEvict); settings and statistics are ordinary bindings.
use crate::evict::{Evictor, Outcome, Policy};
use crate::keyspace::ks;
use napi_derive::napi;
use std::cell::UnsafeCell;

/// Only the JS thread touches it (commands run one at a time).
struct Slot(UnsafeCell<Option<Evictor>>);
unsafe impl Sync for Slot {}
static EVICTOR: Slot = Slot(UnsafeCell::new(None));

fn evictor() -> &'static mut Evictor {
    unsafe { (*EVICTOR.0.get()).get_or_insert_with(Evictor::default) }
}

/// Redis's performEvictions: `extra` is the memory counted besides the addon's
/// allocations (client buffers, minus what is not counted for eviction).
/// 0 OK, 1 RUNNING, 2 FAIL (evict::Outcome).
pub fn perform(extra: f64) -> i64 {
    let e = evictor();
    crate::evict::set_alloc_budget(e.settings.maxmemory, extra);
    let used = |extra: f64| (crate::alloc::allocated_bytes() as f64 + extra).max(0.0) as u64;
    if e.to_free(used(extra)) == 0 && e.exceeded_since.is_none() {
        return Outcome::Ok as i64;
    }
    e.perform(ks(), &mut |_| used(extra), &|| crate::lazyfree::pending() > 0) as i64
}

/// Sets maxmemory and the eviction settings; false for an unknown policy name.
#[napi(catch_unwind)]
pub fn evict_configure(maxmemory: f64, policy: String, samples: u32, tenacity: u32, lazy: bool) -> bool {
    let Some(p) = Policy::parse(&policy) else { return false };
    let e = evictor();
    if e.settings.policy != p {
        e.reset_pool();
    }
    e.settings.maxmemory = if maxmemory >= u64::MAX as f64 { u64::MAX } else { maxmemory as u64 };
    e.settings.policy = p;
    e.settings.samples = samples as usize;
    e.settings.tenacity = tenacity;
    e.settings.lazy = lazy;
    crate::evict::set_alloc_budget(e.settings.maxmemory, 0.0);
    e.settings_changed();
    true
}

/// [evicted_keys, total_eviction_exceeded_time (µs, the current spell included), current_eviction_exceeded_time (µs)].
#[napi(catch_unwind)]
pub fn evict_stats() -> Vec<f64> {
    let e = evictor();
    let current = e.exceeded_since.map(|t| t.elapsed().as_micros() as f64).unwrap_or(0.0);
    vec![e.evicted_keys as f64, e.exceeded_total_us as f64 + current, current]
}

/// CONFIG RESETSTAT's share.
#[napi(catch_unwind)]
pub fn evict_reset_stats() {
    let e = evictor();
    e.evicted_keys = 0;
    e.exceeded_total_us = 0;
    if e.exceeded_since.is_some() {
        e.exceeded_since = Some(std::time::Instant::now());
    }
}
