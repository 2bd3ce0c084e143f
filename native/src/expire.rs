//! Expiry: the EXPIRE family's semantics, TTL queries, and the active expire
//! cycle. Expired keys are also removed lazily on access (`Keyspace::lookup_with`).
use crate::changes::Event;
use crate::keyspace::{Db, Keyspace};
use crate::reply::{err, Out};
use crate::sbytes::SBytes;
use crate::util::parse_i64;
use std::time::{Duration, Instant};

/// Why an expire argument (EXPIRE's, SET's EX, ...) is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BadExpire {
    NotInt,
    /// Not positive where it must be, or out of range once converted.
    Invalid,
}

impl BadExpire {
    /// Writes Redis's error for command `cmd` (its lowercase name).
    #[cold]
    #[inline(never)]
    pub fn reply(self, out: &mut Out, cmd: &str) -> i64 {
        match self {
            BadExpire::NotInt => out.error(err::NOT_INT),
            BadExpire::Invalid => out.error(&format!("ERR invalid expire time in '{cmd}' command")),
        }
    }
}

/// The name of the EXPIRE family command with these units, for its errors.
pub fn expire_cmd_name(unit_seconds: bool, relative: bool) -> &'static str {
    match (unit_seconds, relative) {
        (true, true) => "expire",
        (false, true) => "pexpire",
        (true, false) => "expireat",
        (false, false) => "pexpireat",
    }
}

pub const EXPIRE_NX: u32 = 1;
pub const EXPIRE_XX: u32 = 2;
pub const EXPIRE_GT: u32 = 4;
pub const EXPIRE_LT: u32 = 8;

/// Keys sampled per round of the active cycle, and the share of expired keys
/// (percent) below which a db is left alone until the next tick (Redis's
/// ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP and _ACCEPTABLE_STALE).
const KEYS_PER_LOOP: usize = 20;
const ACCEPTABLE_STALE: usize = 10;
/// The cycle may use this share (percent) of the time between two cycles,
/// within these bounds (Redis: 25% of 1/hz).
const CYCLE_CPU_PERCENT: u32 = 25;
const CYCLE_MIN: Duration = Duration::from_millis(1);
const CYCLE_MAX: Duration = Duration::from_millis(25);

/// Converts EXPIRE's argument to an absolute unix time in ms, with Redis's
/// overflow checks: `unit_seconds` multiplies by 1000, `base` is added (the
/// current time for the relative forms, 0 for the *AT forms).
pub fn absolute_when(arg: &[u8], unit_seconds: bool, base: i64) -> Result<i64, BadExpire> {
    let mut when = parse_i64(arg).ok_or(BadExpire::NotInt)?;
    if unit_seconds {
        if when > i64::MAX / 1000 || when < i64::MIN / 1000 {
            return Err(BadExpire::Invalid);
        }
        when *= 1000;
    }
    if when > i64::MAX - base {
        return Err(BadExpire::Invalid);
    }
    Ok(when + base)
}

impl Keyspace {
    /// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT. Returns 1 if the expire was set
    /// (or the key deleted because the time has already passed), 0 if the key
    /// is missing or a condition (NX/XX/GT/LT) failed, or why the argument is refused.
    /// `may_delete` is false on a replica, which keeps past-due keys for its master to delete.
    pub fn expire_cmd(&mut self, db: usize, key: &[u8], arg: &[u8], unit_seconds: bool, relative: bool, flags: u32, may_delete: bool) -> Result<i64, BadExpire> {
        let base = if relative { self.now_ms } else { 0 };
        let when = absolute_when(arg, unit_seconds, base)?;
        let now = self.now_ms;
        let Some(e) = self.lookup(db, key) else { return Ok(0) };
        let has = e.has_expire();
        let current = if has { self.dbs[db].expire(key) } else { -1 };
        if flags & EXPIRE_NX != 0 && current != -1 {
            return Ok(0);
        }
        if flags & EXPIRE_XX != 0 && current == -1 {
            return Ok(0);
        }
        // No expire counts as an infinite TTL for GT and LT.
        if flags & EXPIRE_GT != 0 && (current == -1 || when <= current) {
            return Ok(0);
        }
        if flags & EXPIRE_LT != 0 && current != -1 && when >= current {
            return Ok(0);
        }
        if when <= now && may_delete {
            self.remove_value(db, key, self.lazy.server_del);
            self.changed(db, key, Event::Del);
            self.note_last_expire(crate::state::EXPIRE_DELETED);
            return Ok(1);
        }
        self.set_expire(db, key, when.max(0));
        self.changed(db, key, Event::Expire);
        self.note_last_expire(when.max(0));
        Ok(1)
    }

    /// TTL / PTTL / EXPIRETIME / PEXPIRETIME: writes the integer reply.
    pub fn ttl_cmd(&mut self, db: usize, key: &[u8], ms: bool, absolute: bool, out: &mut Out) {
        let now = self.now_ms;
        let Some(e) = self.lookup_with(db, key, false, true) else {
            out.int(-2);
            return;
        };
        if !e.has_expire() {
            out.int(-1);
            return;
        }
        let when = self.dbs[db].expire(key);
        let t = if absolute { when } else { (when - now).max(0) };
        // Rounded to seconds in 128 bits: Redis 7.2 answers 9223372036854776 for
        // an expire at i64::MAX ms (its (ttl+500)/1000 does not wrap in practice).
        out.int(if ms { t } else { ((t as i128 + 500) / 1000) as i64 });
    }

    /// PERSIST: true if an expire was removed.
    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        match self.lookup(db, key) {
            Some(e) if e.has_expire() => {
                self.set_expire(db, key, -1);
                self.changed(db, key, Event::Persist);
                true
            }
            _ => false,
        }
    }

    /// One step of the active expire cycle for db `db`, looking at no more than
    /// `budget` keys and stopping at the cycle's time limit. The engine calls it
    /// for db 0, 1, ... in turn each tick; db 0 starts a new cycle. Returns keys expired.
    ///
    /// It samples the expires index (20 keys a round, again while more than 10%
    /// of a round had expired); `Db` keeps the index exactly the volatile keys.
    pub fn active_expire_db(&mut self, db: usize, budget: usize) -> usize {
        if db == 0 {
            self.start_expire_cycle();
        }
        // Hash fields first, as Redis interleaves them (they are indexed by time: cheap).
        if !self.dbs[db].hexpires.is_empty() {
            self.active_expire_hash_fields(db, crate::t_hash::field_expire::FIELDS_PER_CYCLE);
        }
        let d = &self.dbs[db];
        if d.expires.is_empty() {
            return 0;
        }
        let deadline = self.cycle_deadline();
        let now = self.now_ms;
        let mut sampled = 0usize;
        let mut deleted = 0usize;
        let mut dropped = 0usize;
        loop {
            let r = sample_round(&mut self.dbs[db], now, self.lazy.expire);
            let gone = r.doomed.len();
            sampled += r.sampled;
            deleted += gone;
            dropped += gone;
            for k in &r.doomed {
                self.log_expired(db, k.as_slice());
            }
            // Stale index entries count as expired here, so cleaning continues.
            if r.sampled == 0 || gone * 100 <= r.sampled * ACCEPTABLE_STALE || sampled >= budget {
                break;
            }
            if Instant::now() >= deadline {
                if !self.cycle_capped {
                    self.cycle_capped = true;
                    self.stats.expired_time_cap_reached_count += 1;
                }
                break;
            }
        }
        self.stats.expired_keys += deleted as u64;
        if sampled > 0 {
            let perc = dropped as f64 / sampled as f64;
            self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        }
        deleted
    }

    fn start_expire_cycle(&mut self) {
        let now = Instant::now();
        let interval = self.cycle_start.map(|s| now.duration_since(s)).unwrap_or(Duration::from_millis(100));
        self.cycle_limit = (interval * CYCLE_CPU_PERCENT / 100).clamp(CYCLE_MIN, CYCLE_MAX);
        self.cycle_start = Some(now);
        self.cycle_capped = false;
    }

    fn cycle_deadline(&self) -> Instant {
        self.cycle_start.unwrap_or_else(Instant::now) + self.cycle_limit
    }
}

/// Samples about KEYS_PER_LOOP keys of the expires index from its cursor,
/// deleting the expired ones (the index holds each volatile key's time: no
/// keyspace lookup for the ones that live on).
fn sample_round(d: &mut Db, now: i64, lazy: bool) -> Round {
    let mut doomed: Vec<SBytes> = Vec::new();
    let mut sampled = 0;
    let mut cursor = d.expire_cursor;
    let mut buckets = 0;
    let mut ttl_sum: i64 = 0;
    let mut ttl_n: i64 = 0;
    {
        loop {
            cursor = d.expires.scan_bucket(cursor, |k, &t| {
                sampled += 1;
                if t <= now {
                    doomed.push(k.clone());
                } else {
                    ttl_sum = ttl_sum.saturating_add(t - now);
                    ttl_n += 1;
                }
            });
            buckets += 1;
            if cursor == 0 || sampled >= KEYS_PER_LOOP || buckets >= KEYS_PER_LOOP * 20 {
                break;
            }
        }
    }
    d.expire_cursor = cursor;
    for k in &doomed {
        if let Some(e) = d.remove(k.as_slice()) {
            crate::lazyfree::discard(e.value, lazy);
        }
    }
    if ttl_n > 0 {
        let avg = ttl_sum / ttl_n;
        d.avg_ttl = if d.avg_ttl == 0 { avg } else { (d.avg_ttl / 50) * 49 + avg / 50 };
    }
    Round { sampled, doomed }
}

struct Round {
    sampled: usize,
    /// The keys deleted.
    doomed: Vec<SBytes>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Value;

    fn ks_with(persistent: usize, volatile: usize, expire: i64) -> Keyspace {
        let mut k = Keyspace::new(1);
        k.now_ms = 1_000;
        for i in 0..persistent {
            k.set(0, format!("p:{i}").as_bytes(), Value::Int(1), -1);
        }
        for i in 0..volatile {
            k.set(0, format!("v:{i}").as_bytes(), Value::Int(1), expire);
        }
        k
    }

    #[test]
    fn expire_arguments_like_redis() {
        assert_eq!(absolute_when(b"10", true, 1_000), Ok(11_000));
        assert_eq!(absolute_when(b"-5", false, 1_000), Ok(995));
        assert_eq!(absolute_when(b"x", true, 0), Err(BadExpire::NotInt));
        assert_eq!(absolute_when(b"9223372036854776", true, 0), Err(BadExpire::Invalid));
        assert_eq!(absolute_when(b"9223372036854775807", false, 1), Err(BadExpire::Invalid));
        assert_eq!(absolute_when(b"9223372036854775807", false, 0), Ok(i64::MAX));
    }

    #[test]
    fn conditions_and_past_times() {
        let mut k = ks_with(0, 0, -1);
        k.set(0, b"a", Value::Int(1), -1);
        assert_eq!(k.expire_cmd(0, b"a", b"5000", false, false, EXPIRE_XX, true), Ok(0));
        assert_eq!(k.expire_cmd(0, b"a", b"5000", false, false, EXPIRE_GT, true), Ok(0));
        assert_eq!(k.expire_cmd(0, b"a", b"5000", false, false, EXPIRE_NX, true), Ok(1));
        assert_eq!(k.dbs[0].expires.len(), 1);
        assert_eq!(k.expire_cmd(0, b"a", b"4000", false, false, EXPIRE_GT, true), Ok(0));
        assert_eq!(k.expire_cmd(0, b"a", b"4000", false, false, EXPIRE_LT, true), Ok(1));
        assert!(k.persist(0, b"a"));
        assert_eq!((k.dbs[0].volatile(), k.dbs[0].expires.len()), (0, 0));
        // In the past: deleted (or kept with the time set, on a replica).
        assert_eq!(k.expire_cmd(0, b"a", b"500", false, false, 0, false), Ok(1));
        assert_eq!(k.dbs[0].dict.len(), 1);
        assert_eq!(k.expire_cmd(0, b"a", b"-1", true, true, 0, true), Ok(0), "already expired on the replica, so missing");
        k.set(0, b"b", Value::Int(1), -1);
        assert_eq!(k.expire_cmd(0, b"b", b"-1", true, true, 0, true), Ok(1));
        assert!(k.peek(0, b"b").is_none());
        assert_eq!((k.dbs[0].volatile(), k.dbs[0].expires.len()), (0, 0));
    }

    #[test]
    fn active_cycle_uses_the_index_in_a_large_keyspace() {
        let mut k = ks_with(100_000, 200, 1_500);
        k.now_ms = 2_000;
        // A budget far smaller than the keyspace still finds every expired key.
        let n = k.active_expire_db(0, 1_000);
        assert_eq!(n, 200);
        assert_eq!(k.dbs[0].dict.len(), 100_000);
        assert_eq!((k.dbs[0].volatile(), k.dbs[0].expires.len()), (0, 0));
        assert_eq!(k.stats.expired_keys, 200);
    }

    #[test]
    fn active_cycle_work_is_bounded() {
        let mut k = ks_with(0, 10_000, 1_500);
        k.now_ms = 2_000;
        let n = k.active_expire_db(0, 100);
        assert!(n >= 20 && n <= 100 + 20, "expired {n}");
        let mut rounds = 1;
        while k.dbs[0].dict.len() > 0 {
            k.active_expire_db(0, 100);
            rounds += 1;
            assert!(rounds < 1_000);
        }
        assert_eq!(k.dbs[0].expires.len(), 0);
    }

    #[test]
    fn stops_when_few_keys_are_expired() {
        // 1 expired key among 1000 volatile ones: one round of 20 samples at most
        // sees it; the cycle does not walk all 1000 keys.
        let mut k = ks_with(0, 1_000, 5_000);
        k.set(0, b"old", Value::Int(1), 1_500);
        k.now_ms = 2_000;
        k.active_expire_db(0, 100_000);
        assert_ne!(k.dbs[0].expire_cursor, 0, "one quiet round ends the cycle before the index wraps");
        assert!(k.dbs[0].avg_ttl > 0);
    }

    #[test]
    fn expired_keys_are_recorded_on_every_path_only_when_listening() {
        use crate::changes::Change;
        let mut k = ks_with(0, 3, 1_500);
        k.now_ms = 2_000;
        assert!(k.peek(0, b"v:0").is_none());
        assert!(k.changes.is_empty());
        k.shared.set(crate::state::LISTEN, crate::state::LISTEN_RECORD as f64);
        assert!(!k.delete(0, b"v:1"));
        k.set(0, b"indexed", Value::Int(1), 1_000);
        k.active_expire_db(0, 100);
        let mut got: Vec<String> = k
            .take_changes()
            .iter()
            .map(|c| match c {
                Change::Key { db, key, event, modified } => {
                    assert_eq!((*event, *modified), (Event::Expired as u8, true));
                    format!("{db}:{key:?}")
                }
                _ => panic!("not a key record"),
            })
            .collect();
        got.sort();
        assert_eq!(got, ["0:\"indexed\"", "0:\"v:1\"", "0:\"v:2\""]);
        assert_eq!(k.stats.expired_keys, 4);
        assert_eq!(k.dirty(), 0, "expiry is not a dirty change");
    }
}
