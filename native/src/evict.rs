//! maxmemory eviction (Redis 7.2's evict.c): before each command the server
//! asks `Evictor::perform` to bring used memory back under maxmemory. LRU, LFU
//! and volatile-ttl sample `maxmemory-samples` keys of every database into a
//! pool of the best candidates (Redis's EVPOOL_SIZE 16, kept across calls) and
//! evict the best one still present; the random policies take a random key of
//! the next database in turn. A time budget set by
//! `maxmemory-eviction-tenacity` bounds one call: past it, the call answers
//! Running and the server keeps evicting on the next turns of its loop.
use crate::keyspace::Keyspace;
use crate::sbytes::SBytes;
use std::time::Instant;

/// maxmemory-policy, as Redis names them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl Policy {
    pub fn parse(name: &str) -> Option<Policy> {
        Some(match name {
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            "allkeys-lru" => Policy::AllkeysLru,
            "allkeys-lfu" => Policy::AllkeysLfu,
            "allkeys-random" => Policy::AllkeysRandom,
            "noeviction" => Policy::NoEviction,
            _ => return None,
        })
    }
    fn allkeys(self) -> bool {
        matches!(self, Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom)
    }
    fn random(self) -> bool {
        matches!(self, Policy::AllkeysRandom | Policy::VolatileRandom)
    }
}

/// What one call achieved (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Memory is under the limit (or nothing to do).
    Ok = 0,
    /// Over the limit still, but evicting continues on later turns: commands run.
    Running = 1,
    /// Over the limit and nothing can be evicted: denyoom commands are refused.
    Fail = 2,
}

/// Whether small integers count as shared objects (OBJECT REFCOUNT): not under
/// maxmemory with an LRU or LFU policy, where each key needs its own access data
/// (Redis's MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
static NO_SHARED_INTEGERS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn shares_integers() -> bool {
    !NO_SHARED_INTEGERS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Candidates kept between calls (Redis's EVPOOL_SIZE).
pub const POOL_SIZE: usize = 16;

struct Candidate {
    /// Higher is a better victim: idle time, 255 - LFU counter, or u64::MAX - expire.
    idle: u64,
    db: usize,
    key: Vec<u8>,
}

pub struct Settings {
    pub maxmemory: u64,
    pub policy: Policy,
    pub samples: usize,
    pub tenacity: u32,
    /// lazyfree-lazy-eviction: big values are freed on the lazyfree thread.
    pub lazy: bool,
}

pub struct Evictor {
    pub settings: Settings,
    /// Sorted by `idle`, ascending: the best victim is last.
    pool: Vec<Candidate>,
    /// The random policies' database rotation (Redis's next_db).
    next_db: usize,
    pub evicted_keys: u64,
    /// When memory went over the limit and has not come back (exceeded-time stats).
    pub exceeded_since: Option<Instant>,
    /// Microseconds spent over the limit in finished spells.
    pub exceeded_total_us: u64,
}

impl Default for Evictor {
    fn default() -> Self {
        Evictor {
            settings: Settings { maxmemory: 0, policy: Policy::NoEviction, samples: 5, tenacity: 10, lazy: false },
            pool: Vec::with_capacity(POOL_SIZE),
            next_db: 0,
            evicted_keys: 0,
            exceeded_since: None,
            exceeded_total_us: 0,
        }
    }
}

/// The time one call may spend (Redis's evictionTimeLimitUs): 50 µs per step
/// of tenacity up to 10, then 15% more per step, unlimited at 100.
pub fn time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        50 * tenacity as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// How much the addon may allocate before used memory passes maxmemory (maxmemory
/// less what the server counts besides the addon at the last eviction check);
/// u64::MAX without maxmemory. Keyspace tables consult it before growing.
static ALLOC_BUDGET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// Keeps ALLOC_BUDGET: `maxmemory` (0: none) and the bytes counted besides the addon's allocations.
pub fn set_alloc_budget(maxmemory: u64, extra: f64) {
    let budget = if maxmemory == 0 { u64::MAX } else { (maxmemory as f64 - extra).max(0.0) as u64 };
    ALLOC_BUDGET.store(budget, std::sync::atomic::Ordering::Relaxed);
}

/// Redis's dictExpandAllowed for the keyspace's tables: a table at most 1.618
/// times full does not grow when its new bucket array (`more` bytes) would take
/// used memory past maxmemory (a write would then evict keys only for a rehash);
/// fuller tables grow anyway.
pub fn expand_allowed(more: usize, load: f64) -> bool {
    let budget = ALLOC_BUDGET.load(std::sync::atomic::Ordering::Relaxed);
    budget == u64::MAX || load > 1.618 || (crate::alloc::allocated_bytes() as u64).saturating_add(more as u64) <= budget
}

impl Evictor {
    /// Memory to free to be back under the limit, given `used` bytes; 0 when under.
    #[inline]
    pub fn to_free(&self, used: u64) -> u64 {
        if self.settings.maxmemory == 0 || used <= self.settings.maxmemory {
            0
        } else {
            used - self.settings.maxmemory
        }
    }

    /// Settings changed: what OBJECT REFCOUNT reports for small integers follows them.
    pub fn settings_changed(&self) {
        let lru_lfu = matches!(self.settings.policy, Policy::AllkeysLru | Policy::AllkeysLfu | Policy::VolatileLru | Policy::VolatileLfu);
        NO_SHARED_INTEGERS.store(self.settings.maxmemory != 0 && lru_lfu, std::sync::atomic::Ordering::Relaxed);
    }

    /// Policy changed: the pool's scores no longer compare (Redis empties it lazily by lookups; a clean start is simpler).
    pub fn reset_pool(&mut self) {
        self.pool.clear();
    }

    /// Evicts keys until `used(ks)` is back under maxmemory, the time budget runs out,
    /// or nothing is left to evict (Redis's performEvictions).
    pub fn perform(&mut self, ks: &mut Keyspace, used: &mut dyn FnMut(&Keyspace) -> u64, lazy_pending: &dyn Fn() -> bool) -> Outcome {
        let outcome = self.evict(ks, used, lazy_pending);
        match outcome {
            Outcome::Ok => {
                if let Some(t) = self.exceeded_since.take() {
                    self.exceeded_total_us += t.elapsed().as_micros() as u64;
                }
            }
            _ => {
                if self.exceeded_since.is_none() {
                    self.exceeded_since = Some(Instant::now());
                }
            }
        }
        outcome
    }

    fn evict(&mut self, ks: &mut Keyspace, used: &mut dyn FnMut(&Keyspace) -> u64, lazy_pending: &dyn Fn() -> bool) -> Outcome {
        let mut to_free = self.to_free(used(ks));
        if to_free == 0 {
            return Outcome::Ok;
        }
        if self.settings.policy == Policy::NoEviction {
            return Outcome::Fail;
        }
        let start = Instant::now();
        let limit = time_limit_us(self.settings.tenacity);
        let mut freed: u64 = 0;
        let mut keys_freed: u64 = 0;
        while freed < to_free {
            let Some((db, key)) = self.pick(ks) else {
                // Nothing to evict: memory the lazyfree thread is still freeing may be enough.
                if self.settings.lazy {
                    let deadline = Instant::now() + std::time::Duration::from_millis(50);
                    while lazy_pending() && Instant::now() < deadline {
                        if self.to_free(used(ks)) == 0 {
                            return Outcome::Ok;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(100));
                    }
                    if self.to_free(used(ks)) == 0 {
                        return Outcome::Ok;
                    }
                }
                return Outcome::Fail;
            };
            let before = used(ks);
            if let Some(e) = ks.dbs[db].remove(&key) {
                crate::lazyfree::discard(e.value, self.settings.lazy);
            }
            freed += before.saturating_sub(used(ks));
            self.evicted_keys += 1;
            ks.log_evicted(db, &key);
            keys_freed += 1;
            if keys_freed % 16 == 0 {
                // Lazily freed memory does not show in `freed`: look at the total instead.
                if self.settings.lazy {
                    to_free = self.to_free(used(ks));
                    if to_free == 0 {
                        break;
                    }
                    freed = 0;
                }
                if start.elapsed().as_micros() as u64 > limit {
                    return Outcome::Running;
                }
            }
        }
        Outcome::Ok
    }

    /// The next victim: (db, key), or None when no key qualifies.
    fn pick(&mut self, ks: &mut Keyspace) -> Option<(usize, Vec<u8>)> {
        let policy = self.settings.policy;
        let allkeys = policy.allkeys();
        let n = ks.dbs.len();
        if policy.random() {
            for _ in 0..n {
                self.next_db = (self.next_db + 1) % n;
                let j = self.next_db;
                let rng = &mut ks.rng;
                let d = &ks.dbs[j];
                let key = if allkeys {
                    d.dict.random_key(|| crate::keyspace::next_rand(rng))
                } else {
                    d.expires.random_key(|| crate::keyspace::next_rand(rng))
                };
                if let Some(k) = key {
                    return Some((j, k.as_slice().to_vec()));
                }
            }
            return None;
        }
        loop {
            let mut total = 0;
            for db in 0..n {
                let size = if allkeys { ks.dbs[db].dict.len() } else { ks.dbs[db].expires.len() };
                if size > 0 {
                    self.populate(ks, db);
                    total += size;
                }
            }
            if total == 0 {
                return None;
            }
            // The best candidate still present (entries go stale as keys change or go).
            while let Some(c) = self.pool.pop() {
                let d = &ks.dbs[c.db];
                let present = if allkeys { d.dict.get(&c.key).is_some() } else { d.expires.get(&c.key).is_some() };
                if present {
                    return Some((c.db, c.key));
                }
            }
        }
    }

    /// Samples `samples` keys of `db` into the pool (Redis's evictionPoolPopulate).
    fn populate(&mut self, ks: &mut Keyspace, db: usize) {
        let policy = self.settings.policy;
        let samples = self.settings.samples.max(1);
        let now_secs = ks.lru_seconds();
        let mut sample: Vec<(&SBytes, &crate::db::Entry)> = Vec::with_capacity(samples);
        let rng = &mut ks.rng;
        let d = &ks.dbs[db];
        if policy.allkeys() {
            d.dict.some_entries(samples, &mut || crate::keyspace::next_rand(rng), &mut sample);
        } else {
            let mut volatile: Vec<(&SBytes, &i64)> = Vec::with_capacity(samples);
            d.expires.some_entries(samples, &mut || crate::keyspace::next_rand(rng), &mut volatile);
            for (k, _) in volatile {
                if let Some(e) = d.dict.get(k.as_slice()) {
                    sample.push((k, e));
                }
            }
        }
        for (key, e) in sample {
            let idle = match policy {
                Policy::AllkeysLru | Policy::VolatileLru => now_secs.wrapping_sub(e.lru) as u64,
                Policy::AllkeysLfu | Policy::VolatileLfu => 255 - ks.lfu_counter(e.lru) as u64,
                Policy::VolatileTtl => u64::MAX - ks.dbs[db].expire_of(key.as_slice(), e) as u64,
                _ => 0,
            };
            insert(&mut self.pool, idle, db, key.as_slice());
        }
    }
}

/// Files a candidate in the sorted pool: when full, it replaces the worst
/// entry if it is better than that, else it is dropped.
fn insert(pool: &mut Vec<Candidate>, idle: u64, db: usize, key: &[u8]) {
    let k = pool.partition_point(|c| c.idle < idle);
    if pool.len() == POOL_SIZE {
        if k == 0 {
            return;
        }
        pool.remove(0);
        pool.insert(k - 1, Candidate { idle, db, key: key.to_vec() });
    } else {
        pool.insert(k, Candidate { idle, db, key: key.to_vec() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Keyspace, Lfu, Value};

    fn filled(n: usize) -> Keyspace {
        let mut k = Keyspace::new(2);
        k.now_ms = 1_000_000_000;
        for i in 0..n {
            k.set(0, format!("k{i}").as_bytes(), Value::Int(i as i64), -1);
        }
        k
    }

    fn evictor(policy: Policy) -> Evictor {
        let mut e = Evictor::default();
        e.settings.policy = policy;
        e.settings.maxmemory = 1;
        e.settings.tenacity = 100;
        e
    }

    /// "Memory" is the number of keys: perform evicts down to `maxmemory` keys.
    fn run(e: &mut Evictor, k: &mut Keyspace) -> Outcome {
        e.perform(k, &mut |k: &Keyspace| (k.dbs[0].dict.len() + k.dbs[1].dict.len()) as u64, &|| false)
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut pool = Vec::new();
        for i in 0..40u64 {
            insert(&mut pool, (i * 7919) % 101, 0, format!("{i}").as_bytes());
        }
        assert_eq!(pool.len(), POOL_SIZE);
        assert!(pool.windows(2).all(|w| w[0].idle <= w[1].idle));
        let mut all: Vec<u64> = (0..40u64).map(|i| (i * 7919) % 101).collect();
        all.sort();
        assert_eq!(pool.iter().map(|c| c.idle).collect::<Vec<_>>(), all[24..].to_vec());
    }

    #[test]
    fn lru_evicts_the_idle_keys_first() {
        let mut k = filled(1000);
        // The first 100 keys were read recently: they must survive.
        k.now_ms += 100_000;
        for i in 0..100 {
            k.lookup(0, format!("k{i}").as_bytes());
        }
        let mut e = evictor(Policy::AllkeysLru);
        e.settings.maxmemory = 500;
        e.settings.samples = 10;
        assert_eq!(run(&mut e, &mut k), Outcome::Ok);
        assert_eq!(k.dbs[0].dict.len(), 500);
        assert_eq!(e.evicted_keys, 500);
        let hot_kept = (0..100).filter(|i| k.dbs[0].dict.get(format!("k{i}").as_bytes()).is_some()).count();
        assert_eq!(hot_kept, 100);
    }

    #[test]
    fn lfu_keeps_the_frequent_keys() {
        let mut k = Keyspace::new(2);
        k.now_ms = 1_000_000_000;
        k.lfu = Lfu { enabled: true, log_factor: 10, decay_time: 1 };
        for i in 0..1000 {
            k.set(0, format!("k{i}").as_bytes(), Value::Int(i), -1);
        }
        for _ in 0..50 {
            for i in 0..50 {
                k.lookup(0, format!("k{i}").as_bytes());
            }
        }
        let mut e = evictor(Policy::AllkeysLfu);
        e.settings.maxmemory = 200;
        e.settings.samples = 10;
        assert_eq!(run(&mut e, &mut k), Outcome::Ok);
        let hot_kept = (0..50).filter(|i| k.dbs[0].dict.get(format!("k{i}").as_bytes()).is_some()).count();
        assert!(hot_kept >= 48, "{hot_kept}");
    }

    #[test]
    fn volatile_policies_touch_only_keys_with_an_expire() {
        for policy in [Policy::VolatileLru, Policy::VolatileLfu, Policy::VolatileRandom, Policy::VolatileTtl] {
            let mut k = filled(100);
            for i in 0..10 {
                k.set(1, format!("v{i}").as_bytes(), Value::Int(i), k.now_ms + 1000 * (i + 1));
            }
            let mut e = evictor(policy);
            e.settings.maxmemory = 105;
            // Every sample sees all ten volatile keys: volatile-ttl's order below is then exact, not approximate.
            e.settings.samples = 16;
            assert_eq!(run(&mut e, &mut k), Outcome::Ok, "{policy:?}");
            assert_eq!(k.dbs[0].dict.len(), 100);
            assert_eq!(k.dbs[1].dict.len(), 5);
            if policy == Policy::VolatileTtl {
                // The soonest to expire go first.
                for i in 0..5 {
                    assert!(k.dbs[1].dict.get(format!("v{i}").as_bytes()).is_none());
                }
            }
            // Nothing volatile left to evict: a failure.
            e.settings.maxmemory = 50;
            assert_eq!(run(&mut e, &mut k), Outcome::Fail, "{policy:?}");
            assert_eq!(k.dbs[0].dict.len(), 100);
        }
    }

    #[test]
    fn random_and_noeviction() {
        let mut k = filled(100);
        let mut e = evictor(Policy::AllkeysRandom);
        e.settings.maxmemory = 10;
        assert_eq!(run(&mut e, &mut k), Outcome::Ok);
        assert_eq!(k.dbs[0].dict.len(), 10);
        let mut e = evictor(Policy::NoEviction);
        e.settings.maxmemory = 5;
        assert_eq!(run(&mut e, &mut k), Outcome::Fail);
        assert!(e.exceeded_since.is_some());
        e.settings.maxmemory = 0;
        assert_eq!(run(&mut e, &mut k), Outcome::Ok);
        assert!(e.exceeded_since.is_none());
    }

    #[test]
    fn tenacity_zero_stops_after_sixteen_keys() {
        let mut k = filled(1000);
        let mut e = evictor(Policy::AllkeysRandom);
        e.settings.tenacity = 0;
        e.settings.maxmemory = 10;
        assert_eq!(run(&mut e, &mut k), Outcome::Running);
        assert_eq!(k.dbs[0].dict.len(), 1000 - 16);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
    }
}
