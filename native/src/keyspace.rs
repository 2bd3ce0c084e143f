//! The databases: keys to entries, expiry (lazy on access plus an active cycle),
//! LRU clock and keyspace statistics. Values of each type live in their own
//! module (`t_string.rs`, ...); this module only knows entries.
use crate::dict::Dict;
use crate::sbytes::SBytes;
use std::cell::UnsafeCell;

pub enum Value {
    /// An integer-encoded string (OBJECT ENCODING `int`).
    Int(i64),
    /// A string as SET creates it (`embstr` up to 44 bytes, `raw` above).
    Str(SBytes),
    /// A string grown in place by APPEND/SETRANGE (always `raw`).
    Raw(Box<Vec<u8>>),
}

/// Redis's type names, in the order of their RDB type ids.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    String = 0,
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => Kind::String,
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self.kind() {
            Kind::String => "string",
        }
    }
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= 44 => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
        }
    }
}

pub struct Entry {
    pub value: Value,
    /// Absolute unix time in ms, or -1 for none.
    pub expire: i64,
    /// LRU clock (unix seconds, truncated) of the last access.
    pub lru: u32,
}

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Entry>,
    /// Number of keys with an expire.
    pub volatile: usize,
    /// Where the active expire cycle resumes in this db.
    pub expire_cursor: u64,
}

impl Db {
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (_, e) = self.dict.remove(key)?;
        if e.expire >= 0 {
            self.volatile -= 1;
        }
        Some(e)
    }
    pub fn clear(&mut self) {
        self.dict.clear();
        self.volatile = 0;
        self.expire_cursor = 0;
    }
}

#[derive(Default, Clone, Copy)]
pub struct Stats {
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_stale_perc: f64,
}

pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The clock for this command batch (ms), set from JavaScript.
    pub now_ms: i64,
    pub stats: Stats,
    pub active_expire: bool,
    rng: u64,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        let mut dbs = Vec::with_capacity(databases);
        dbs.resize_with(databases, Db::default);
        Keyspace {
            dbs,
            now_ms: now_ms(),
            stats: Stats::default(),
            active_expire: true,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (now_ms() as u64),
        }
    }

    pub fn rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[inline]
    pub fn lru_clock(&self) -> u32 {
        (self.now_ms / 1000) as u32
    }

    #[inline]
    fn is_expired(&self, e: &Entry) -> bool {
        e.expire >= 0 && e.expire <= self.now_ms
    }

    /// Deletes `key` if its time has passed. True if it was deleted.
    fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        if self.dbs[db].volatile == 0 {
            return false;
        }
        let expired = match self.dbs[db].dict.get(key) {
            Some(e) => self.is_expired(e),
            None => false,
        };
        if expired {
            self.dbs[db].remove(key);
            self.stats.expired_keys += 1;
        }
        expired
    }

    /// The live entry for `key` (expired keys are deleted), without touching LRU.
    pub fn peek(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.expire_if_needed(db, key);
        self.dbs[db].dict.get_mut(key)
    }

    /// A lookup on behalf of a command: deletes expired keys, updates LRU.
    pub fn lookup(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.expire_if_needed(db, key);
        let clock = self.lru_clock();
        let e = self.dbs[db].dict.get_mut(key)?;
        e.lru = clock;
        Some(e)
    }

    /// A lookup by a reading command: also counts keyspace hits and misses.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.expire_if_needed(db, key);
        let clock = self.lru_clock();
        match self.dbs[db].dict.get_mut(key) {
            Some(e) => {
                self.stats.keyspace_hits += 1;
                e.lru = clock;
                Some(e)
            }
            None => {
                self.stats.keyspace_misses += 1;
                None
            }
        }
    }

    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.peek(db, key).is_some()
    }

    /// Sets a value, replacing any old one; `expire` -1 for none.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, expire: i64) {
        let lru = self.lru_clock();
        let d = &mut self.dbs[db];
        let old = d.dict.insert(key, Entry { value, expire, lru });
        if let Some(o) = old {
            if o.expire >= 0 {
                d.volatile -= 1;
            }
        }
        if expire >= 0 {
            d.volatile += 1;
        }
    }

    /// Replaces the value of an existing live key, keeping its TTL.
    pub fn set_keep_ttl(&mut self, db: usize, key: &[u8], value: Value) {
        let expire = self.peek(db, key).map(|e| e.expire).unwrap_or(-1);
        self.set(db, key, value, expire);
    }

    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].remove(key).is_some()
    }

    /// Sets or clears the expire of an existing key. True if the key exists.
    pub fn set_expire(&mut self, db: usize, key: &[u8], when: i64) -> bool {
        let d = &mut self.dbs[db];
        match d.dict.get_mut(key) {
            None => false,
            Some(e) => {
                match (e.expire >= 0, when >= 0) {
                    (false, true) => d.volatile += 1,
                    (true, false) => d.volatile -= 1,
                    _ => {}
                }
                e.expire = when;
                true
            }
        }
    }

    /// One pass of active expiry over db `db`: visits buckets until `budget`
    /// entries have been looked at or the table wraps. Returns keys expired.
    pub fn active_expire_db(&mut self, db: usize, budget: usize) -> usize {
        let now = self.now_ms;
        let d = &mut self.dbs[db];
        if d.volatile == 0 {
            return 0;
        }
        let mut cursor = d.expire_cursor;
        let mut seen = 0;
        let mut doomed: Vec<SBytes> = Vec::new();
        loop {
            cursor = d.dict.scan_bucket(cursor, |k, e| {
                seen += 1;
                if e.expire >= 0 && e.expire <= now {
                    doomed.push(k.clone());
                }
            });
            if cursor == 0 || seen >= budget {
                break;
            }
        }
        d.expire_cursor = cursor;
        for k in &doomed {
            d.remove(k.as_slice());
        }
        self.stats.expired_keys += doomed.len() as u64;
        if seen > 0 {
            self.stats.expired_stale_perc = doomed.len() as f64 / seen as f64;
        }
        doomed.len()
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
        slot.as_mut().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lazy_and_active_expiry() {
        let mut k = Keyspace::new(2);
        k.now_ms = 1000;
        k.set(0, b"a", Value::Int(1), 1500);
        k.set(0, b"b", Value::Int(2), -1);
        k.set(0, b"c", Value::Int(3), 1200);
        assert_eq!(k.dbs[0].volatile, 2);
        assert!(k.lookup(0, b"a").is_some());
        k.now_ms = 1300;
        assert_eq!(k.active_expire_db(0, 100), 1);
        assert!(k.exists(0, b"a"));
        k.now_ms = 1600;
        assert!(!k.exists(0, b"a"));
        assert_eq!(k.dbs[0].volatile, 0);
        assert_eq!(k.stats.expired_keys, 2);
        assert!(k.exists(0, b"b"));
    }
    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
