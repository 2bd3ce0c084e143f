//! The keyspace: the databases (db.rs), lookups with lazy expiry, the
//! LRU/LFU access data, keyspace statistics, and the change record of the
//! write path (changes.rs). Values of each type live in their own module
//! (`t_string.rs`, ...); the value model is object.rs.
use crate::changes::{Change, Event, EVENTS, MAX_RECORDS, NO_EVENT};
pub use crate::db::{Db, Detached, Entry};
pub use crate::object::{Kind, Value};
use crate::sbytes::SBytes;
use crate::state::{self, Shared};
use std::cell::UnsafeCell;

#[derive(Default, Clone, Copy)]
pub struct Stats {
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_stale_perc: f64,
    /// Active expire cycles that stopped on their time limit.
    pub expired_time_cap_reached_count: u64,
}

/// LFU parameters (maxmemory-policy *-lfu, lfu-log-factor, lfu-decay-time).
#[derive(Clone, Copy)]
pub struct Lfu {
    pub enabled: bool,
    pub log_factor: u32,
    pub decay_time: u32,
}

/// The counter a new object starts with under LFU (Redis's LFU_INIT_VAL).
pub const LFU_INIT_VAL: u32 = 5;

pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The clock for this command batch (ms), set from JavaScript.
    pub now_ms: i64,
    pub stats: Stats,
    pub lfu: Lfu,
    /// CLIENT NO-TOUCH of the client whose command runs: lookups leave the
    /// LRU/LFU data alone (TOUCH itself still touches).
    pub no_touch: bool,
    /// The absolute expire (unix ms) the last command set, or state::EXPIRE_DELETED: its propagated rewrite uses it.
    last_expire: i64,
    /// What commands changed, while someone listens (changes.rs); drained by TypeScript.
    pub changes: Vec<Change>,
    /// The block shared with JavaScript: clock, NO-TOUCH, dirty count, what to record.
    pub shared: Shared,
    /// When the current active expire cycle started (set at db 0).
    pub(crate) cycle_start: Option<std::time::Instant>,
    /// How long the current cycle may run (a share of the time between cycles).
    pub(crate) cycle_limit: std::time::Duration,
    /// Whether the current cycle has hit its time limit (counted once per cycle).
    pub(crate) cycle_capped: bool,
    pub(crate) rng: u64,
    /// Which deletions free big values on the lazyfree thread (lazyfree-lazy-* configs).
    pub lazy: LazyFree,
    /// Per db, the keys clients are blocked on or WATCH, with how many of
    /// those two features want each (TypeScript keeps it): under LISTEN_WAITED
    /// their changes are recorded, no other key's.
    pub waited: Vec<ahash::AHashMap<Vec<u8>, u32>>,
    /// The keys client-side caching tracks (in any db, as Redis's tracking
    /// table): recorded under LISTEN_WAITED as the waited ones.
    tracked: ahash::AHashSet<Vec<u8>>,
    /// The prefixes of client-side caching's BCAST clients (not the empty
    /// one: that needs every change): keys under them are recorded as the waited ones.
    tracked_prefixes: Vec<Vec<u8>>,
    /// Under LISTEN_EVENTS, the events recorded (bit `Event as u32`): those of
    /// the notify-keyspace-events classes on (`set_event_classes`).
    event_mask: u128,
    /// A record waits that TypeScript must act on before the next command
    /// runs (a waited key's change, propagation, a flush): a batch stops after
    /// its command. Notifications' events alone wait for the batch's end.
    urgent: bool,
}

const _: () = assert!(EVENTS.len() <= 128, "Keyspace::event_mask has a bit per event");

/// lazyfree-lazy-server-del (implicit deletes and overwrites), -expire (expired keys), -user-del (DEL).
#[derive(Default, Clone, Copy)]
pub struct LazyFree {
    pub server_del: bool,
    pub expire: bool,
    pub user_del: bool,
}

/// xorshift64*: the keyspace's cheap random source (sampling, RANDOMKEY, LFU).
#[inline]
pub(crate) fn next_rand(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        let mut dbs = Vec::with_capacity(databases);
        dbs.resize_with(databases, Db::default);
        Keyspace {
            dbs,
            now_ms: now_ms(),
            stats: Stats::default(),
            lfu: Lfu { enabled: false, log_factor: 10, decay_time: 1 },
            no_touch: false,
            last_expire: 0,
            changes: Vec::new(),
            shared: Shared::new(),
            cycle_start: None,
            cycle_limit: std::time::Duration::from_millis(25),
            cycle_capped: false,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (now_ms() as u64),
            lazy: LazyFree::default(),
            waited: Vec::new(),
            tracked: Default::default(),
            tracked_prefixes: Vec::new(),
            event_mask: 0,
            urgent: false,
        }
    }

    pub fn rand(&mut self) -> u64 {
        next_rand(&mut self.rng)
    }

    /// Takes the clock and NO-TOUCH from the shared block (each entry into the engine).
    #[inline]
    pub fn sync_from_shared(&mut self) {
        let now = self.shared.get(state::NOW_MS);
        if now > 0.0 {
            self.now_ms = now as i64;
        }
        self.no_touch = self.shared.get(state::NO_TOUCH) != 0.0;
    }

    /// Whether key changes and events are recorded now.
    #[inline]
    pub fn recording(&self) -> bool {
        self.shared.listen() & state::LISTEN_RECORD != 0
    }

    /// Whether a change of `key` is recorded: every key's while someone listens
    /// (LISTEN_RECORD), else a waited one's (LISTEN_WAITED).
    #[inline]
    fn records_key(&self, db: usize, key: &[u8]) -> bool {
        let l = self.shared.listen();
        l & state::LISTEN_RECORD != 0
            || (l & state::LISTEN_WAITED != 0
                && (self.waited.get(db).is_some_and(|w| w.contains_key(key))
                    || (!self.tracked.is_empty() && self.tracked.contains(key))
                    || self.tracked_prefixes.iter().any(|p| key.starts_with(p))))
    }

    /// Whether event `ev` is recorded for its class alone (LISTEN_EVENTS: notifications).
    #[inline]
    fn records_event(&self, ev: Event) -> bool {
        self.shared.listen() & state::LISTEN_EVENTS != 0 && (self.event_mask >> ev as u32) & 1 != 0
    }

    /// The notify-keyspace-events classes (their letters) whose events LISTEN_EVENTS records.
    pub fn set_event_classes(&mut self, classes: &[u8]) {
        self.event_mask = EVENTS.iter().enumerate().filter(|(_, (_, class))| classes.contains(class)).fold(0, |m, (i, _)| m | 1 << i);
    }

    /// Records `ev` on `key` (`modified`: the key changed): as a record to act
    /// on before the next command when `urgent`, else as an event alone when its class is on.
    #[inline]
    fn record_key(&mut self, urgent: bool, db: usize, key: &[u8], ev: Event, modified: bool) {
        if urgent || self.records_event(ev) {
            let c = Change::Key { db: db as u32, key: SBytes::new(key), event: ev as u8, modified };
            if urgent {
                self.record(c);
            } else {
                self.record_event(c);
            }
        }
    }

    /// Records an expired or evicted key (`ev`): as any change of it, and also
    /// when only propagation is recorded (its DEL goes out from the record) or its event's class.
    #[inline]
    fn record_gone(&mut self, db: usize, key: &[u8], ev: Event) {
        let urgent = self.records_key(db, key) || self.shared.listen() & state::LISTEN_PROPAGATE != 0;
        self.record_key(urgent, db, key, ev, true);
    }

    /// Whether flushes and swaps are recorded (someone listens, or waits on keys).
    #[inline]
    fn records_dbs(&self) -> bool {
        self.shared.listen() & (state::LISTEN_RECORD | state::LISTEN_WAITED) != 0
    }

    /// A feature starts (`on`) or stops waiting on a key (blocked clients, WATCH: one call each per key).
    pub fn set_waited(&mut self, db: usize, key: &[u8], on: bool) {
        if self.waited.len() <= db {
            self.waited.resize_with(db + 1, Default::default);
        }
        let w = &mut self.waited[db];
        if on {
            *w.entry(key.to_vec()).or_insert(0) += 1;
        } else if let Some(n) = w.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                w.remove(key);
            }
        }
    }

    /// Client-side caching starts (`on`) or stops tracking `key`, in every db.
    pub fn set_tracked(&mut self, key: &[u8], on: bool) {
        if on {
            self.tracked.insert(key.to_vec());
        } else {
            self.tracked.remove(key);
        }
    }

    /// A BCAST prefix of client-side caching comes (`on`) or goes.
    pub fn set_tracked_prefix(&mut self, prefix: &[u8], on: bool) {
        self.tracked_prefixes.retain(|p| p != prefix);
        if on {
            self.tracked_prefixes.push(prefix.to_vec());
        }
    }

    /// Client-side caching tracks no key any more.
    pub fn clear_tracked(&mut self) {
        self.tracked = Default::default();
    }

    /// Counts `n` changes (Redis's server.dirty += n).
    #[inline]
    pub fn add_dirty(&mut self, n: u64) {
        let d = self.shared.get(state::DIRTY);
        self.shared.set(state::DIRTY, d + n as f64);
    }

    /// Notes the absolute expire (ms) the command set, or state::EXPIRE_DELETED:
    /// its propagated rewrite (PEXPIREAT, SET ... PXAT, DEL) uses it.
    #[inline]
    pub fn note_last_expire(&mut self, when: i64) {
        self.last_expire = when;
    }

    /// What the last `note_last_expire` said.
    #[inline]
    pub fn last_expire(&self) -> i64 {
        self.last_expire
    }

    /// The dirty count (changes since start).
    pub fn dirty(&self) -> u64 {
        self.shared.get(state::DIRTY) as u64
    }

    fn record(&mut self, c: Change) {
        self.urgent = true;
        self.record_event(c);
    }

    /// Records what only notifications want (its event's class is on): a batch goes on after it.
    fn record_event(&mut self, c: Change) {
        if self.changes.len() < MAX_RECORDS {
            self.changes.push(c);
            self.shared.set(state::RECORDS, self.changes.len() as f64);
        }
    }

    /// Whether a record waits that must be acted on before the next command (see `urgent`).
    #[inline]
    pub fn urgent_records(&self) -> bool {
        self.urgent
    }

    /// A command changed `key` and Redis fires `ev` for it: one dirty change, the
    /// key signalled (WATCH, tracking) and the event recorded.
    #[inline]
    pub fn changed(&mut self, db: usize, key: &[u8], ev: Event) {
        self.add_dirty(1);
        self.record_key(self.records_key(db, key), db, key, ev, true);
    }

    /// An event alone (no dirty count, no signal): `new`, a second event of one change.
    #[inline]
    pub fn notify(&mut self, db: usize, key: &[u8], ev: Event) {
        self.record_key(self.recording(), db, key, ev, false);
    }

    /// A modified key without an event of its own (Redis's signalModifiedKey alone).
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.records_key(db, key) {
            self.record(Change::Key { db: db as u32, key: SBytes::new(key), event: NO_EVENT, modified: true });
        }
    }

    /// A db emptied (-1: all), or two swapped: WATCH and tracking hear of it.
    pub fn signal_flushed(&mut self, db: i32) {
        if self.records_dbs() {
            self.record(Change::Flushed { db });
        }
    }
    pub fn signal_swapped(&mut self, a: usize, b: usize) {
        if self.records_dbs() {
            self.record(Change::Swapped { a: a as u32, b: b as u32 });
        }
    }

    /// The command propagates `argv` in `db` in place of its own argv (Redis's
    /// alsoPropagate after preventCommandPropagation): call it once per command
    /// to propagate, in order. Recorded only while something consumes propagation.
    pub fn also_propagate(&mut self, db: usize, argv: &[&[u8]]) {
        if self.shared.listen() & state::LISTEN_PROPAGATE != 0 {
            let argv = argv.iter().map(|a| a.to_vec()).collect();
            self.record(Change::Propagate { db: db as u32, argv });
        }
    }

    /// Runs a command that propagates something else in place of its argv
    /// (Redis's rewriteClientCommandVector): `run`, then, when it changed
    /// something and something consumes propagation, `rewrite` records what
    /// goes out instead (with `also_propagate`).
    #[inline]
    pub fn rewriting<R>(&mut self, run: impl FnOnce(&mut Keyspace) -> R, rewrite: impl FnOnce(&mut Keyspace)) -> R {
        let dirty = self.dirty();
        let res = run(self);
        if self.propagating() && self.dirty() != dirty {
            rewrite(self);
        }
        res
    }

    /// Records the DEL (UNLINK under lazyfree-lazy-expire) that EXPIRE or GETEX
    /// propagates when the time it was given had already passed.
    pub fn propagate_past_expire(&mut self, db: usize, key: &[u8]) {
        let del: &[u8] = if self.lazy.expire { b"UNLINK" } else { b"DEL" };
        self.also_propagate(db, &[del, key]);
    }

    /// Whether `also_propagate` records anything now (to skip building its argv).
    #[inline]
    pub fn propagating(&self) -> bool {
        self.shared.listen() & state::LISTEN_PROPAGATE != 0
    }

    /// Hands the waiting records over (TypeScript drains them after each command).
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.shared.set(state::RECORDS, 0.0);
        self.urgent = false;
        std::mem::take(&mut self.changes)
    }

    /// A key deleted because its time had passed (lazily or by the active
    /// cycle): `expired` is fired, the key signalled, and TypeScript propagates
    /// its DEL. Not a dirty change, as in Redis.
    #[inline]
    pub fn log_expired(&mut self, db: usize, key: &[u8]) {
        self.record_gone(db, key, Event::Expired);
    }

    /// A key evicted under maxmemory (evict.rs): `evicted` is fired, the key
    /// signalled, and TypeScript propagates its DEL (or UNLINK).
    pub fn log_evicted(&mut self, db: usize, key: &[u8]) {
        self.record_gone(db, key, Event::Evicted);
    }

    /// The `lru` field of a fresh object: the LRU clock, or under LFU the
    /// current minutes with the initial counter.
    #[inline]
    pub fn lru_clock(&self) -> u32 {
        if self.lfu.enabled {
            (self.lfu_minutes() << 8) | LFU_INIT_VAL
        } else {
            self.lru_seconds()
        }
    }

    /// The LRU clock: unix seconds, truncated to 32 bits.
    #[inline]
    pub fn lru_seconds(&self) -> u32 {
        (self.now_ms / 1000) as u32
    }

    #[inline]
    fn lfu_minutes(&self) -> u32 {
        ((self.now_ms / 60_000) & 0xFFFF) as u32
    }

    /// The LFU counter of `lru` after decay (Redis's LFUDecrAndReturn).
    pub fn lfu_counter(&self, lru: u32) -> u32 {
        let ldt = lru >> 8;
        let counter = lru & 255;
        let now = self.lfu_minutes();
        let elapsed = if now >= ldt { now - ldt } else { 65535 - ldt + now };
        let periods = if self.lfu.decay_time > 0 { elapsed / self.lfu.decay_time } else { 0 };
        counter.saturating_sub(periods)
    }

    /// Records an access to an entry: LRU clock, or LFU decay and increment.
    #[inline]
    fn touch(lfu: Lfu, now_ms: i64, rng: &mut u64, e: &mut Entry) {
        if !lfu.enabled {
            e.lru = (now_ms / 1000) as u32;
            return;
        }
        let minutes = ((now_ms / 60_000) & 0xFFFF) as u32;
        let ldt = e.lru >> 8;
        let elapsed = if minutes >= ldt { minutes - ldt } else { 65535 - ldt + minutes };
        let periods = if lfu.decay_time > 0 { elapsed / lfu.decay_time } else { 0 };
        let mut counter = (e.lru & 255).saturating_sub(periods);
        if counter < 255 {
            let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
            let p = 1.0 / (base * lfu.log_factor as f64 + 1.0);
            let r = (next_rand(rng) >> 11) as f64 / (1u64 << 53) as f64;
            if r < p {
                counter += 1;
            }
        }
        e.lru = (minutes << 8) | counter;
    }

    /// The one lookup all others use: one hash probe; an expired key is
    /// deleted and reported missing. `touch` records the access (LRU/LFU),
    /// `count` updates keyspace hits/misses.
    #[inline]
    pub fn lookup_with(&mut self, db: usize, key: &[u8], touch: bool, count: bool) -> Option<&mut Entry> {
        let now = self.now_ms;
        let d = &mut self.dbs[db];
        let found: Option<*mut Entry> = d.dict.get_mut(key).map(|e| e as *mut Entry);
        let Some(p) = found else {
            if count {
                self.miss(db, key);
            }
            return None;
        };
        // SAFETY: `p` points into `d.dict`, which is not touched again unless
        // the entry is removed, after which `p` is never used.
        if d.expired_at(key, unsafe { &*p }, now) {
            // A writable replica (3) deletes on a write's lookup, hides on a read's.
            let mode = match crate::state::replica_expiry() {
                3 if count => 1,
                3 => 0,
                m => m,
            };
            match mode {
                // A primary deletes what expired.
                0 => {
                    if let Some(e) = d.remove(key) {
                        crate::lazyfree::discard(e.value, self.lazy.expire);
                    }
                    self.stats.expired_keys += 1;
                    self.log_expired(db, key);
                    if count {
                        self.miss(db, key);
                    }
                    return None;
                }
                // A replica hides it and waits for the primary's DEL.
                1 => {
                    if count {
                        self.miss(db, key);
                    }
                    return None;
                }
                // The primary's own commands see it as it is.
                _ => {}
            }
        }
        let e = unsafe { &mut *p };
        if count {
            self.stats.keyspace_hits += 1;
        }
        if touch && !self.no_touch {
            Keyspace::touch(self.lfu, now, &mut self.rng, e);
        }
        Some(e)
    }

    /// A read lookup missed: counted, and `keymiss` fired when someone wants it.
    #[cold]
    fn miss(&mut self, db: usize, key: &[u8]) {
        self.stats.keyspace_misses += 1;
        if self.shared.listen() & state::LISTEN_KEYMISS != 0 {
            // An event alone: a batch goes on after it.
            self.record_event(Change::Key { db: db as u32, key: SBytes::new(key), event: Event::KeyMiss as u8, modified: false });
        }
    }

    /// The live entry for `key` (expired keys are deleted), without touching LRU.
    #[inline]
    pub fn peek(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_with(db, key, false, false)
    }

    /// A lookup on behalf of a command: deletes expired keys, updates LRU.
    #[inline]
    pub fn lookup(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_with(db, key, true, false)
    }

    /// A lookup by a reading command: also counts keyspace hits and misses.
    #[inline]
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_with(db, key, true, true)
    }

    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.peek(db, key).is_some()
    }

    /// Sets a value, replacing any old one; `expire` -1 for none.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, expire: i64) {
        let lru = self.lru_clock();
        if let Some(old) = self.dbs[db].put(key, Detached::new(value, expire, lru)) {
            crate::lazyfree::discard(old.value, self.lazy.server_del);
        }
    }

    /// Removes a key's entry (no event, no dirty change: the caller records
    /// what it means), freeing its value lazily when `lazy` and costly.
    pub fn remove_value(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        match self.dbs[db].remove(key) {
            Some(e) => {
                crate::lazyfree::discard(e.value, lazy);
                true
            }
            None => false,
        }
    }

    /// Replaces the value of an existing live key, keeping its TTL.
    pub fn set_keep_ttl(&mut self, db: usize, key: &[u8], value: Value) {
        let expire = match self.peek(db, key) {
            Some(e) if e.has_expire() => self.dbs[db].expire(key),
            _ => -1,
        };
        self.set(db, key, value, expire);
    }

    /// DEL of one key: true if a live key was removed (`del` fired, one dirty
    /// change); an expired one is removed too, as expired, and reported absent.
    /// One hash probe.
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.delete_freeing(db, key, self.lazy.server_del)
    }

    /// `delete`, with the value freed on the lazyfree thread when `lazy` and
    /// costly to free (UNLINK, DEL under lazyfree-lazy-user-del).
    pub fn delete_freeing(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        let now = self.now_ms;
        match self.dbs[db].remove(key) {
            None => false,
            Some(e) if e.expire() >= 0 && e.expire() <= now && crate::state::replica_expiry() != 2 => {
                crate::lazyfree::discard(e.value, self.lazy.expire);
                self.stats.expired_keys += 1;
                self.log_expired(db, key);
                false
            }
            Some(e) => {
                crate::lazyfree::discard(e.value, lazy);
                self.changed(db, key, Event::Del);
                true
            }
        }
    }

    /// Sets or clears (-1) the expire of an existing key. True if the key exists.
    pub fn set_expire(&mut self, db: usize, key: &[u8], when: i64) -> bool {
        self.dbs[db].set_expire(key, when).is_some()
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The one keyspace of this process. Only the JavaScript main thread calls
/// into the addon, so access is never concurrent.
struct Global(UnsafeCell<Option<Keyspace>>);
unsafe impl Sync for Global {}
static KEYSPACE: Global = Global(UnsafeCell::new(None));

/// Creates (or re-creates) the keyspace with `databases` databases.
pub fn init(databases: usize) {
    unsafe { *KEYSPACE.0.get() = Some(Keyspace::new(databases)) }
}

#[allow(clippy::mut_from_ref)]
pub fn ks() -> &'static mut Keyspace {
    unsafe {
        let slot = &mut *KEYSPACE.0.get();
        if slot.is_none() {
            *slot = Some(Keyspace::new(16));
        }
        let k = slot.as_mut().unwrap();
        k.sync_from_shared();
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn records_the_waited_keys_alone_under_listen_waited() {
        let mut k = Keyspace::new(2);
        let keys = |k: &mut Keyspace| -> Vec<String> {
            k.take_changes()
                .into_iter()
                .map(|c| match c {
                    Change::Key { db, key, .. } => format!("{db}:{}", String::from_utf8_lossy(key.as_slice())),
                    Change::Flushed { db } => format!("flushed {db}"),
                    _ => "other".into(),
                })
                .collect()
        };
        k.shared.set(state::LISTEN, state::LISTEN_WAITED as f64);
        k.set_waited(1, b"q", true);
        k.changed(0, b"q", Event::Set); // another db
        k.changed(1, b"other", Event::Set);
        k.changed(1, b"q", Event::Set);
        k.signal_flushed(0);
        assert_eq!(keys(&mut k), ["1:q", "flushed 0"]);
        // Two features on one key: recorded until both stop.
        k.set_waited(1, b"q", true);
        k.set_waited(1, b"q", false);
        k.changed(1, b"q", Event::Set);
        assert_eq!(keys(&mut k), ["1:q"]);
        k.set_waited(1, b"q", false);
        k.changed(1, b"q", Event::Set);
        assert!(keys(&mut k).is_empty());
        // Tracked keys (client-side caching) in every db.
        k.set_tracked(b"t", true);
        k.changed(0, b"t", Event::Set);
        k.changed(1, b"t", Event::Set);
        k.changed(1, b"u", Event::Set);
        assert_eq!(keys(&mut k), ["0:t", "1:t"]);
        k.set_tracked(b"t", false);
        k.set_tracked(b"u", true);
        k.changed(1, b"t", Event::Set);
        assert!(keys(&mut k).is_empty());
        k.clear_tracked();
        k.changed(1, b"u", Event::Set);
        assert!(keys(&mut k).is_empty());
        // BCAST prefixes.
        k.set_tracked_prefix(b"user:", true);
        k.changed(0, b"user:1", Event::Set);
        k.changed(0, b"use", Event::Set);
        k.changed(1, b"user:", Event::Set);
        assert_eq!(keys(&mut k), ["0:user:1", "1:user:"]);
        k.set_tracked_prefix(b"user:", false);
        k.changed(0, b"user:1", Event::Set);
        assert!(keys(&mut k).is_empty());
        // LISTEN_RECORD still records every key.
        k.shared.set(state::LISTEN, state::LISTEN_RECORD as f64);
        k.changed(0, b"x", Event::Set);
        assert_eq!(keys(&mut k), ["0:x"]);
    }
    #[test]
    fn records_the_configured_classes_events_alone_under_listen_events() {
        let mut k = Keyspace::new(1);
        let events = |k: &mut Keyspace| -> Vec<String> {
            k.take_changes()
                .into_iter()
                .map(|c| match c {
                    Change::Key { key, event, .. } => format!("{}:{}", crate::changes::EVENTS[event as usize].0, String::from_utf8_lossy(key.as_slice())),
                    _ => "other".into(),
                })
                .collect()
        };
        k.set_event_classes(b"gx");
        k.shared.set(state::LISTEN, state::LISTEN_EVENTS as f64);
        k.changed(0, b"a", Event::Set); // `$`: off
        k.changed(0, b"a", Event::Del);
        k.notify(0, b"a", Event::New); // `n`: off
        k.log_expired(0, b"b");
        k.signal(0, b"c"); // no event, not waited
        assert!(!k.urgent_records(), "events alone let a batch go on");
        assert_eq!(events(&mut k), ["del:a", "expired:b"]);
        // A waited key's change, or propagation, must be acted on at once.
        k.shared.set(state::LISTEN, (state::LISTEN_EVENTS | state::LISTEN_WAITED) as f64);
        k.set_waited(0, b"w", true);
        k.changed(0, b"a", Event::Del);
        assert!(!k.urgent_records());
        k.changed(0, b"w", Event::Set);
        assert!(k.urgent_records());
        assert_eq!(events(&mut k), ["del:a", "set:w"]);
        assert!(!k.urgent_records(), "taken with the records");
        k.shared.set(state::LISTEN, (state::LISTEN_EVENTS | state::LISTEN_PROPAGATE) as f64);
        k.log_expired(0, b"b");
        assert!(k.urgent_records());
        assert_eq!(events(&mut k), ["expired:b"]);
        // Classes change with the config.
        k.set_event_classes(b"$");
        k.shared.set(state::LISTEN, state::LISTEN_EVENTS as f64);
        k.changed(0, b"a", Event::Set);
        k.changed(0, b"a", Event::Del);
        assert_eq!(events(&mut k), ["set:a"]);
    }

    #[test]
    fn lazy_and_active_expiry() {
        let mut k = Keyspace::new(2);
        k.now_ms = 1000;
        k.set(0, b"a", Value::Int(1), 1500);
        k.set(0, b"b", Value::Int(2), -1);
        k.set(0, b"c", Value::Int(3), 1200);
        assert_eq!(k.dbs[0].volatile(), 2);
        assert!(k.lookup(0, b"a").is_some());
        k.now_ms = 1300;
        assert_eq!(k.active_expire_db(0, 100), 1);
        assert!(k.exists(0, b"a"));
        k.now_ms = 1600;
        assert!(!k.exists(0, b"a"));
        assert_eq!(k.dbs[0].volatile(), 0);
        assert_eq!(k.stats.expired_keys, 2);
        assert!(k.exists(0, b"b"));
    }
    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let mut k = Keyspace::new(1);
        k.now_ms = 10 * 60_000;
        k.lfu = Lfu { enabled: true, log_factor: 10, decay_time: 1 };
        k.set(0, b"f", Value::Int(1), -1);
        let lru = k.peek(0, b"f").unwrap().lru;
        assert_eq!(k.lfu_counter(lru), LFU_INIT_VAL);
        for _ in 0..1000 {
            k.lookup(0, b"f");
        }
        let lru = k.peek(0, b"f").unwrap().lru;
        let hot = k.lfu_counter(lru);
        // With log factor 10, 1000 hits give a counter well below 1000 (Redis: ~18).
        assert!(hot > LFU_INIT_VAL + 3 && hot < 40, "counter {hot}");
        // One decay period per minute without access.
        k.now_ms += 3 * 60_000;
        let lru = k.peek(0, b"f").unwrap().lru;
        assert_eq!(k.lfu_counter(lru), hot - 3);
        // Under LRU the field is the access time in seconds.
        k.lfu.enabled = false;
        k.lookup(0, b"f");
        let secs = k.lru_seconds();
        assert_eq!(k.peek(0, b"f").unwrap().lru, secs);
    }

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
