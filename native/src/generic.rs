//! The generic key commands' semantics (Redis's db.c): KEYS, SCAN, RANDOMKEY,
//! RENAME, MOVE, COPY, TYPE, TOUCH, OBJECT, SWAPDB, FLUSHDB.
use crate::glob;
use crate::changes::Event;
use crate::keyspace::{next_rand, Db, Detached, Keyspace};
use crate::reply::{code, err, Out};
use crate::sbytes::SBytes;

/// COPY's (and MOVE's) error when source and destination are the same.
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// What OBJECT reports.
pub const OBJ_ENCODING: u32 = 0;
pub const OBJ_REFCOUNT: u32 = 1;
pub const OBJ_IDLETIME: u32 = 2;
pub const OBJ_FREQ: u32 = 3;

/// Redis's refcount of shared objects (OBJ_SHARED_REFCOUNT = INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Integers below this are shared objects in Redis (OBJ_SHARED_INTEGERS).
const SHARED_INTEGERS: i64 = 10_000;

/// SCAN's options after the cursor, as Redis's scanGenericCommand reads them:
/// COUNT (at least 1), MATCH (None when absent or "*"), and TYPE for the
/// keyspace's SCAN alone (`with_type`); each with its value, names compared
/// as C strings. Err after writing the error.
pub struct ScanOptions<'a> {
    pub count: u64,
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

pub fn scan_options<'a>(argv: &[&'a [u8]], from: usize, with_type: bool, out: &mut Out) -> Result<ScanOptions<'a>, i64> {
    let mut o = ScanOptions { count: 10, pattern: None, type_name: None };
    let mut i = from;
    while i < argv.len() {
        let more = argv.len() - i >= 2;
        let opt = crate::util::cstr(argv[i]);
        if more && opt.eq_ignore_ascii_case(b"count") {
            match crate::util::parse_i64(argv[i + 1]) {
                None => return Err(out.error(err::NOT_INT)),
                Some(n) if n < 1 => return Err(out.error(err::SYNTAX)),
                Some(n) => o.count = n as u64,
            }
        } else if more && opt.eq_ignore_ascii_case(b"match") {
            o.pattern = Some(argv[i + 1]).filter(|p| *p != b"*");
        } else if more && with_type && opt.eq_ignore_ascii_case(b"type") {
            o.type_name = Some(argv[i + 1]);
        } else {
            return Err(out.error(err::SYNTAX));
        }
        i += 2;
    }
    Ok(o)
}

/// Redis's SCAN cursor parsing (strtoul base 10): an optional sign, digits,
/// nothing else; "-1" wraps around; "" is 0; leading space or overflow fails.
pub fn parse_cursor(s: &[u8]) -> Option<u64> {
    if s.first().is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b) {
        return None;
    }
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        // strtoul parses nothing: the end pointer stays at the start, so only "" passes.
        return if s.is_empty() { Some(0) } else { None };
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

impl Keyspace {
    /// KEYS: every live key matching `pattern`, as an array.
    pub fn keys_cmd(&self, db: usize, pattern: &[u8], out: &mut Out) {
        let now = self.now_ms;
        let all = pattern == b"*";
        let d = &self.dbs[db];
        let found: Vec<&SBytes> = d
            .dict
            .iter()
            .filter(|(k, e)| (all || glob::matches(pattern, k.as_slice(), false)) && !d.expired_at(k.as_slice(), e, now))
            .map(|(k, _)| k)
            .collect();
        out.array(found.len());
        for (i, k) in found.into_iter().enumerate() {
            if i & 1023 == 0 && out.past_cap() {
                break; // the client is being closed for its output limit
            }
            out.bulk(k.as_slice());
        }
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: one step of the
    /// reverse-binary cursor over the buckets, at most `count` keys looked at
    /// (and at most 10*count buckets), then filtered; expired keys are deleted.
    pub fn scan_cmd(&mut self, db: usize, cursor: u64, count: u64, pattern: Option<&[u8]>, type_name: Option<&[u8]>, out: &mut Out) {
        let pattern = pattern.filter(|p| *p != b"*");
        let mut keys: Vec<SBytes> = Vec::new();
        let mut sampled: u64 = 0;
        let mut cursor = cursor;
        let mut iterations = count.saturating_mul(10);
        {
            let dict = &self.dbs[db].dict;
            loop {
                cursor = dict.scan_bucket(cursor, |k, _| {
                    sampled += 1;
                    if pattern.map_or(true, |p| glob::matches(p, k.as_slice(), false)) {
                        keys.push(k.clone());
                    }
                });
                if cursor == 0 || iterations == 0 || sampled >= count {
                    break;
                }
                iterations -= 1;
            }
        }
        // Filter: expired keys are deleted on the way, others checked for their type.
        keys.retain(|k| match self.lookup_with(db, k.as_slice(), false, type_name.is_some()) {
            None => false,
            Some(e) => type_name.map_or(true, |t| e.value.type_name().as_bytes().eq_ignore_ascii_case(t)),
        });
        out.array(2);
        // Cursors returned are below the table size, so they fit an i64 (Redis prints them signed too).
        out.bulk_i64(cursor as i64);
        out.array(keys.len());
        for k in &keys {
            out.bulk(k.as_slice());
        }
    }

    /// RANDOMKEY: a random live key (expired ones met on the way are deleted), or NIL.
    pub fn randomkey_cmd(&mut self, db: usize, out: &mut Out) -> i64 {
        loop {
            let key = {
                let Keyspace { dbs, rng, .. } = self;
                match dbs[db].dict.random_key(|| next_rand(rng)) {
                    None => return code::NIL,
                    Some(k) => k.clone(),
                }
            };
            if self.peek(db, key.as_slice()).is_some() {
                out.bulk(key.as_slice());
                return 0;
            }
        }
    }

    /// RENAME / RENAMENX. Returns OK (RENAME), 1/0 (RENAMENX), or Redis's error.
    pub fn rename_cmd(&mut self, db: usize, src: &[u8], dst: &[u8], nx: bool) -> Result<i64, &'static str> {
        if self.lookup(db, src).is_none() {
            return Err(err::NO_KEY);
        }
        let done = if nx { 1 } else { code::OK };
        if src == dst {
            return Ok(if nx { 0 } else { code::OK });
        }
        if self.lookup(db, dst).is_some() {
            if nx {
                return Ok(0);
            }
            self.remove_value(db, dst, self.lazy.server_del);
        }
        let d = &mut self.dbs[db];
        let e = d.remove(src).expect("looked up above");
        d.put(dst, e);
        self.relocated((db, src, Event::RenameFrom), (db, dst, Event::RenameTo));
        Ok(done)
    }

    /// MOVE key db: true if moved (the key exists here and not there).
    pub fn move_cmd(&mut self, db: usize, key: &[u8], dst: usize) -> bool {
        if self.lookup(db, key).is_none() || self.lookup(dst, key).is_some() {
            return false;
        }
        let e = self.dbs[db].remove(key).expect("looked up above");
        self.dbs[dst].put(key, e);
        self.relocated((db, key, Event::MoveFrom), (dst, key, Event::MoveTo));
        true
    }

    /// What RENAME and MOVE record, in Redis's order: dbAdd's `new` for the
    /// destination, both keys signalled, the pair of events, one dirty change.
    fn relocated(&mut self, (from_db, from, from_ev): (usize, &[u8], Event), (to_db, to, to_ev): (usize, &[u8], Event)) {
        self.notify(to_db, to, Event::New);
        self.signal(from_db, from);
        self.signal(to_db, to);
        self.notify(from_db, from, from_ev);
        self.notify(to_db, to, to_ev);
        self.add_dirty(1);
    }

    /// COPY source destination [DB n] [REPLACE]: 1 if copied, 0 if the source is
    /// missing or the destination exists (without REPLACE), or Redis's error.
    pub fn copy_cmd(&mut self, db: usize, src: &[u8], dst_db: usize, dst: &[u8], replace: bool) -> Result<i64, &'static str> {
        if db == dst_db && src == dst {
            return Err(SAME_OBJECT);
        }
        let (value, expire) = match self.lookup_read(db, src) {
            None => return Ok(0),
            Some(e) => (e.value.clone(), e.has_expire()),
        };
        let expire = if expire { self.dbs[db].expire(src) } else { -1 };
        if self.lookup(dst_db, dst).is_some() {
            if !replace {
                return Ok(0);
            }
            self.remove_value(dst_db, dst, self.lazy.server_del);
        }
        let lru = self.lru_clock();
        self.dbs[dst_db].put(dst, Detached::new(value, expire, lru));
        self.notify(dst_db, dst, Event::New);
        self.changed(dst_db, dst, Event::CopyTo);
        Ok(1)
    }

    /// TYPE: the type name, or "none".
    pub fn type_cmd(&mut self, db: usize, key: &[u8]) -> &'static str {
        match self.lookup_with(db, key, false, true) {
            None => "none",
            Some(e) => e.value.type_name(),
        }
    }

    /// TOUCH of one key: true if it exists (its access time is updated).
    pub fn touch_cmd(&mut self, db: usize, key: &[u8]) -> bool {
        // TOUCH records the access even for a NO-TOUCH client, as in Redis.
        let no_touch = std::mem::replace(&mut self.no_touch, false);
        let found = self.lookup_read(db, key).is_some();
        self.no_touch = no_touch;
        found
    }

    /// EXISTS of one key: counts hits and misses, does not touch the key.
    pub fn exists_cmd(&mut self, db: usize, key: &[u8]) -> bool {
        self.lookup_with(db, key, false, true).is_some()
    }

    /// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ: writes the reply, or NIL.
    pub fn object_cmd(&mut self, db: usize, key: &[u8], what: u32, out: &mut Out) -> i64 {
        let now_secs = self.lru_seconds();
        let Some(e) = self.lookup_with(db, key, false, true) else { return code::NIL };
        let lru = e.lru;
        match what {
            OBJ_ENCODING => out.bulk(e.value.encoding().as_bytes()),
            OBJ_REFCOUNT => out.int(match e.value {
                crate::keyspace::Value::Int(i) if (0..SHARED_INTEGERS).contains(&i) && crate::evict::shares_integers() => SHARED_REFCOUNT,
                _ => 1,
            }),
            OBJ_IDLETIME => out.int(now_secs.wrapping_sub(lru) as i64),
            _ => out.int(self.lfu_counter(lru) as i64),
        }
        0
    }

    /// SWAPDB: exchanges the contents of two databases (one dirty change).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a != b {
            self.dbs.swap(a, b);
            self.signal_swapped(a, b);
        }
        self.add_dirty(1);
    }

    /// FLUSHDB: empties a db (a dirty change per key); with `lazy` a large one
    /// is freed on the background thread.
    pub fn flush_db(&mut self, db: usize, lazy: bool) {
        self.signal_flushed(db as i32);
        self.empty_db(db, lazy);
    }

    /// FLUSHALL: empties every db, signalled once as Redis does.
    pub fn flush_all(&mut self, lazy: bool) {
        self.signal_flushed(-1);
        for db in 0..self.dbs.len() {
            self.empty_db(db, lazy);
        }
    }

    fn empty_db(&mut self, db: usize, lazy: bool) {
        let old = std::mem::take(&mut self.dbs[db]);
        self.add_dirty(old.dict.len() as u64);
        free_db(old, lazy);
    }
}

/// Lazy freeing hands a detached db to the background thread; small ones are freed here.
fn free_db(db: Db, lazy: bool) {
    if !lazy || db.dict.len() <= crate::lazyfree::LAZYFREE_THRESHOLD {
        drop(db);
        return;
    }
    let n = db.dict.len();
    crate::lazyfree::free_later(Box::new(db), n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Value;

    #[test]
    fn cursor_parsing_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"007"), Some(7));
        for bad in [&b" 1"[..], b"1 ", b"1a", b"-", b"+", b"0x10", b"\t1"] {
            assert_eq!(parse_cursor(bad), None, "{:?}", bad);
        }
    }

    fn out_str(f: impl FnOnce(&mut Out)) -> String {
        let mut buf = vec![0u8; 1 << 16];
        let mut o = Out::new(&mut buf, 0);
        f(&mut o);
        let n = o.finish() as usize;
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn rename_move_copy_keep_ttl() {
        let mut k = Keyspace::new(2);
        k.now_ms = 1_000;
        k.set(0, b"a", Value::Int(1), 5_000);
        assert_eq!(k.rename_cmd(0, b"a", b"b", false), Ok(code::OK));
        assert_eq!(k.dbs[0].expire(b"b"), 5_000);
        assert!(k.peek(0, b"a").is_none());
        assert_eq!(k.dbs[0].expires.len(), 1);
        assert_eq!(k.rename_cmd(0, b"zz", b"b", false), Err(err::NO_KEY));
        assert!(k.move_cmd(0, b"b", 1));
        assert_eq!(k.dbs[0].volatile(), 0);
        assert_eq!(k.dbs[1].volatile(), 1);
        assert_eq!(k.copy_cmd(1, b"b", 0, b"c", false), Ok(1));
        assert_eq!(k.dbs[0].expire(b"c"), 5_000);
        assert_eq!(k.copy_cmd(1, b"b", 1, b"b", false), Err(SAME_OBJECT));
        k.set(0, b"d", Value::Int(2), -1);
        assert_eq!(k.copy_cmd(0, b"d", 0, b"c", false), Ok(0));
        assert_eq!(k.copy_cmd(0, b"d", 0, b"c", true), Ok(1));
        assert_eq!(k.dbs[0].expire(b"c"), -1);
        assert_eq!(k.dbs[0].volatile(), 0);
        assert_eq!(k.dbs[0].expires.len(), 0);
    }

    #[test]
    fn keys_and_scan_skip_expired() {
        let mut k = Keyspace::new(1);
        k.now_ms = 1_000;
        for i in 0..50 {
            k.set(0, format!("k{i}").as_bytes(), Value::Int(i), if i % 2 == 0 { 1_500 } else { -1 });
        }
        k.now_ms = 2_000;
        let s = out_str(|o| k.keys_cmd(0, b"k*", o));
        assert!(s.starts_with("*25\r\n"), "{s}");
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            let s = out_str(|o| k.scan_cmd(0, cursor, 7, Some(b"*"), None, o));
            let lines: Vec<&str> = s.split("\r\n").collect();
            cursor = lines[2].parse().unwrap();
            seen += lines[3][1..].parse::<usize>().unwrap();
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, 25);
        assert_eq!(k.dbs[0].dict.len(), 25, "SCAN deleted the expired keys it met");
        let s = out_str(|o| k.scan_cmd(0, 0, 1000, None, Some(b"STRING"), o));
        assert!(s.ends_with("*25\r\n") || s.contains("*25\r\n"), "{s}");
        let s = out_str(|o| k.scan_cmd(0, 0, 1000, None, Some(b"list"), o));
        assert!(s.contains("*0\r\n"), "{s}");
    }
}

#[cfg(test)]
mod index_invariants {
    use crate::expire::EXPIRE_NX;
    use crate::keyspace::{Keyspace, Value};
    use crate::reply::Out;

    /// Random sequences of every command that moves keys or expires keeps the
    /// expires index exactly the set of volatile keys, in every db.
    #[test]
    fn expires_index_matches_volatile_keys() {
        let mut seed = 0xdead_beef_u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut k = Keyspace::new(3);
        k.now_ms = 1_000_000;
        let mut buf = vec![0u8; 1 << 20];
        let mut max_volatile = 0;
        for step in 0..50_000 {
            let db = rnd(3) as usize;
            let key = format!("k{}", rnd(200)).into_bytes();
            let other = format!("k{}", rnd(200)).into_bytes();
            let when = (k.now_ms + rnd(2_000) as i64 - 500).to_string().into_bytes();
            match rnd(14) {
                0 | 1 => k.set(db, &key, Value::Int(1), if rnd(2) == 0 { -1 } else { k.now_ms + rnd(1_000) as i64 }),
                2 => drop(k.expire_cmd(db, &key, &when, false, false, rnd(2) as u32 * EXPIRE_NX, true)),
                3 => drop(k.persist(db, &key)),
                4 => drop(k.rename_cmd(db, &key, &other, rnd(2) == 0)),
                5 => drop(k.move_cmd(db, &key, rnd(3) as usize)),
                6 => drop(k.copy_cmd(db, &key, rnd(3) as usize, &other, rnd(2) == 0)),
                7 => drop(k.delete(db, &key)),
                8 => drop(k.active_expire_db(db, 50)),
                9 => {
                    let mut out = Out::new(&mut buf, 0);
                    k.scan_cmd(db, rnd(64), 10, None, None, &mut out);
                }
                10 => drop(k.lookup_read(db, &key)),
                11 if rnd(50) == 0 => k.flush_db(db, false),
                12 if rnd(50) == 0 => k.swap_dbs(db, rnd(3) as usize),
                _ => k.now_ms += rnd(20) as i64,
            }
            for (i, d) in k.dbs.iter().enumerate() {
                let volatile: Vec<&[u8]> = d.dict.iter().filter(|(_, e)| e.has_expire()).map(|(k, _)| k.as_slice()).collect();
                max_volatile = max_volatile.max(volatile.len());
                assert_eq!(volatile.len(), d.volatile(), "step {step} db {i}: count");
                assert_eq!(d.expires.len(), d.volatile(), "step {step} db {i}: index size");
                for key in volatile {
                    assert!(d.expires.get(key).is_some(), "step {step} db {i}: {key:?} not indexed");
                }
            }
        }
        // The run did exercise volatile keys.
        assert!(max_volatile > 10, "max volatile {max_volatile}");
        assert!(k.stats.expired_keys > 100, "expired {}", k.stats.expired_keys);
    }
}
