//! One database (Redis's db.c at the level of entries): the keys, and the index
//! of the keys that have an expire. This module is the only owner of an
//! entry's expire: keys are added, replaced, removed and given or cleared an
//! expire only through `Db`, so the index is always exactly the volatile keys
//! (the active expire cycle samples it and never has to walk the keyspace).
//! What a change means to the rest of the server (events, dirty count,
//! propagation) is recorded one level up, by the commands (keyspace.rs).
use crate::dict::Dict;
use crate::object::Value;
use crate::sbytes::SBytes;
use crate::t_hash::FieldExpires;

/// A key's entry in the keyspace. Its expire time lives in `Db.expires` (as
/// Redis's db->expires), so a dict node stays 64 bytes (a jemalloc class; with
/// the time inline it was 72, in the 80-byte class): `has_expire` says whether
/// to look there, and a key without a TTL costs no second lookup.
pub struct Entry {
    pub value: Value,
    /// Under an LRU (or no) policy: unix seconds (truncated) of the last access.
    /// Under an LFU policy: minutes (16 bits) << 8 | logarithmic counter, as Redis.
    /// `Keyspace::lru_clock` gives the value for a fresh object in either mode.
    pub lru: u32,
    /// The key is in `Db.expires`. Private: `Db` keeps the two in step.
    has_expire: bool,
}

impl Entry {
    /// An entry without an expire (tests build one to measure or digest a value).
    #[cfg(test)]
    pub fn new(value: Value, lru: u32) -> Entry {
        Entry { value, lru, has_expire: false }
    }
    #[inline]
    pub fn has_expire(&self) -> bool {
        self.has_expire
    }
}

/// An entry outside the keyspace, with its expire (unix ms, or -1): what
/// `Db` takes to add a key and gives back when one is removed or replaced.
pub struct Detached {
    pub value: Value,
    pub expire: i64,
    pub lru: u32,
}

impl Detached {
    pub fn new(value: Value, expire: i64, lru: u32) -> Detached {
        Detached { value, expire, lru }
    }
    /// The expire (unix ms), or -1.
    #[inline]
    pub fn expire(&self) -> i64 {
        self.expire
    }
    #[inline]
    fn split(self) -> (Entry, i64) {
        (Entry { value: self.value, lru: self.lru, has_expire: self.expire >= 0 }, self.expire)
    }
}

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Entry>,
    /// The keys that have an expire: the active cycle samples these instead of
    /// walking the whole keyspace (Redis's `db->expires`).
    /// The value is the expire time (unix ms).
    pub expires: Dict<i64>,
    /// Where the active expire cycle resumes in `expires`.
    pub expire_cursor: u64,
    /// Running estimate of the TTL (ms) of volatile keys (INFO keyspace avg_ttl).
    pub avg_ttl: i64,
    /// The hashes with field TTLs, by their earliest (Redis's `db->hexpires`):
    /// filed here as keys come and go, refiled by the hash commands.
    pub hexpires: FieldExpires,
}

impl Db {
    /// Keys with an expire.
    #[inline]
    pub fn volatile(&self) -> usize {
        self.expires.len()
    }

    /// The expire (unix ms) of `key`, whose entry is `e`, or -1: a lookup in
    /// `expires` only when the key has one.
    #[inline]
    pub fn expire_of(&self, key: &[u8], e: &Entry) -> i64 {
        if e.has_expire {
            self.expires_get(key)
        } else {
            -1
        }
    }

    /// The expire of `key` (unix ms), or -1 (no key, or no expire).
    #[inline]
    pub fn expire(&self, key: &[u8]) -> i64 {
        match self.dict.get(key) {
            Some(e) => self.expire_of(key, e),
            None => -1,
        }
    }

    /// True when `key` (entry `e`) has an expire at or before `now` (keyIsExpired).
    #[inline]
    pub fn expired_at(&self, key: &[u8], e: &Entry, now: i64) -> bool {
        e.has_expire && self.expires.get(key).is_some_and(|&t| t <= now)
    }

    #[inline]
    fn expires_get(&self, key: &[u8]) -> i64 {
        self.expires.get(key).copied().unwrap_or(-1)
    }

    /// Adds a key known to be absent (one hash probe).
    #[inline]
    pub fn add(&mut self, key: &[u8], entry: Detached) {
        let (entry, expire) = entry.split();
        self.hexpires.added(key, FieldExpires::filed_of(&entry.value));
        self.dict.insert_new_if(SBytes::new(key), entry, crate::evict::expand_allowed);
        if expire >= 0 {
            self.expires.insert_new_if(SBytes::new(key), expire, crate::evict::expand_allowed);
        }
    }

    /// add() for a key that may be present (one hash probe): gives the entry back when it is.
    /// `hash` is key_hash(key) (the same in every table of the process: the
    /// expires index takes it too; a key absent from the dict is absent there).
    pub fn try_add(&mut self, hash: usize, key: &[u8], entry: Detached) -> Result<(), Detached> {
        let (entry, expire) = entry.split();
        let filed = FieldExpires::filed_of(&entry.value);
        if let Err(e) = self.dict.insert_absent_hashed_if(hash, key, entry, crate::evict::expand_allowed) {
            return Err(Detached { value: e.value, expire, lru: e.lru });
        }
        self.hexpires.added(key, filed);
        if expire >= 0 {
            self.expires.insert_new_hashed_if(hash, SBytes::new(key), expire, crate::evict::expand_allowed);
        }
        Ok(())
    }

    /// Adds or replaces `key` with `entry` as it is (value, expire, LRU); the replaced entry, if any.
    pub fn put(&mut self, key: &[u8], entry: Detached) -> Option<Detached> {
        let (entry, new) = entry.split();
        let filed = FieldExpires::filed_of(&entry.value);
        let replaced = self.dict.insert_if(key, entry, crate::evict::expand_allowed);
        if let Some(o) = &replaced {
            self.hexpires.removed(key, FieldExpires::filed_of(&o.value));
        }
        self.hexpires.added(key, filed);
        let old = match &replaced {
            Some(o) if o.has_expire => {
                if new >= 0 {
                    self.expires.insert_if(key, new, crate::evict::expand_allowed)
                } else {
                    self.expires.remove(key).map(|(_, t)| t)
                }
                .unwrap_or(-1)
            }
            _ => {
                if new >= 0 {
                    self.expires.insert_if(key, new, crate::evict::expand_allowed);
                }
                -1
            }
        };
        replaced.map(|o| Detached { value: o.value, expire: old, lru: o.lru })
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Detached> {
        let (_, e) = self.dict.remove(key)?;
        self.hexpires.removed(key, FieldExpires::filed_of(&e.value));
        let expire = if e.has_expire { self.expires.remove(key).map(|(_, t)| t).unwrap_or(-1) } else { -1 };
        Some(Detached { value: e.value, expire, lru: e.lru })
    }

    /// Sets (or clears, with -1) the expire of an existing key; the old one, or None when missing.
    pub fn set_expire(&mut self, key: &[u8], when: i64) -> Option<i64> {
        let e = self.dict.get_mut(key)?;
        let had = std::mem::replace(&mut e.has_expire, when >= 0);
        let old = if when >= 0 {
            self.expires.insert_if(key, when, crate::evict::expand_allowed)
        } else if had {
            self.expires.remove(key).map(|(_, t)| t)
        } else {
            None
        };
        Some(if had { old.unwrap_or(-1) } else { -1 })
    }

    /// Moves the expire of a key that has one (its entry's `has_expire`) to
    /// `when` (>= 0): one probe, in `expires` only.
    pub fn retime(&mut self, key: &[u8], when: i64) {
        debug_assert!(when >= 0);
        if let Some(t) = self.expires.get_mut(key) {
            *t = when;
        }
    }

    pub fn clear(&mut self) {
        self.dict.clear();
        self.expires.clear();
        self.hexpires.clear();
        self.expire_cursor = 0;
        self.avg_ttl = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_index_is_the_volatile_keys() {
        let mut d = Db::default();
        d.add(b"a", Detached::new(Value::Int(1), 5, 0));
        d.put(b"b", Detached::new(Value::Int(1), -1, 0));
        assert_eq!(d.volatile(), 1);
        assert_eq!(d.set_expire(b"b", 7), Some(-1));
        assert_eq!(d.set_expire(b"a", -1), Some(5));
        assert_eq!(d.set_expire(b"zz", 1), None);
        assert!(d.expires.get(b"b").is_some() && d.expires.get(b"a").is_none());
        d.put(b"b", Detached::new(Value::Int(2), -1, 0));
        assert_eq!(d.volatile(), 0);
        d.put(b"c", Detached::new(Value::Int(2), 9, 0));
        assert_eq!(d.remove(b"c").map(|e| e.expire()), Some(9));
        assert_eq!(d.volatile(), 0);
        d.put(b"d", Detached::new(Value::Int(3), 11, 0));
        assert_eq!(d.expire(b"d"), 11);
        assert_eq!(d.put(b"d", Detached::new(Value::Int(4), 12, 0)).map(|o| o.expire), Some(11));
        assert_eq!(d.expire(b"d"), 12);
        assert_eq!(d.put(b"d", Detached::new(Value::Int(5), -1, 0)).map(|o| o.expire), Some(12));
        assert_eq!((d.expire(b"d"), d.volatile()), (-1, 0));
        let mut hash = d.dict.key_hash(b"e");
        assert!(d.try_add(hash, b"e", Detached::new(Value::Int(6), 13, 0)).is_ok());
        assert_eq!(d.expire(b"e"), 13);
        hash = d.dict.key_hash(b"e");
        assert_eq!(d.try_add(hash, b"e", Detached::new(Value::Int(7), 14, 0)).err().map(|o| o.expire), Some(14));
        assert_eq!(d.expire(b"e"), 13);
        d.retime(b"e", 15);
        assert_eq!((d.expire(b"e"), d.volatile()), (15, 1));
    }

    /// A keyspace node is 64 bytes (a jemalloc size class); 72 would land in the 80-byte class.
    #[test]
    fn a_keyspace_node_is_64_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        assert_eq!(Dict::<Entry>::node_size(), 64);
    }
}
