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

pub struct Entry {
    pub value: Value,
    /// Absolute unix time in ms, or -1 for none. Private: `Db` keeps the expires index in step.
    expire: i64,
    /// Under an LRU (or no) policy: unix seconds (truncated) of the last access.
    /// Under an LFU policy: minutes (16 bits) << 8 | logarithmic counter, as Redis.
    /// `Keyspace::lru_clock` gives the value for a fresh object in either mode.
    pub lru: u32,
}

impl Entry {
    pub fn new(value: Value, expire: i64, lru: u32) -> Entry {
        Entry { value, expire, lru }
    }
    /// The expire (unix ms), or -1.
    #[inline]
    pub fn expire(&self) -> i64 {
        self.expire
    }
}

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Entry>,
    /// The keys that have an expire: the active cycle samples these instead of
    /// walking the whole keyspace (Redis's `db->expires`).
    pub expires: Dict<()>,
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

    #[inline]
    fn index_expire(&mut self, key: &[u8], old: i64, new: i64) {
        match (old >= 0, new >= 0) {
            (false, true) => {
                self.expires.insert_if(key, (), crate::evict::expand_allowed);
            }
            (true, false) => {
                self.expires.remove(key);
            }
            _ => {}
        }
    }

    /// Adds a key known to be absent (one hash probe).
    #[inline]
    pub fn add(&mut self, key: &[u8], entry: Entry) {
        let expire = entry.expire;
        self.hexpires.added(key, FieldExpires::filed_of(&entry.value));
        self.dict.insert_new_if(SBytes::new(key), entry, crate::evict::expand_allowed);
        self.index_expire(key, -1, expire);
    }

    /// add() for a key that may be present (one hash probe): gives the entry back when it is.
    /// `hash` is key_hash(key) (the same in every table of the process: the
    /// expires index takes it too; a key absent from the dict is absent there).
    pub fn try_add(&mut self, hash: usize, key: &[u8], entry: Entry) -> Result<(), Entry> {
        let expire = entry.expire;
        let filed = FieldExpires::filed_of(&entry.value);
        self.dict.insert_absent_hashed_if(hash, key, entry, crate::evict::expand_allowed)?;
        self.hexpires.added(key, filed);
        if expire >= 0 {
            self.expires.insert_new_hashed_if(hash, SBytes::new(key), (), crate::evict::expand_allowed);
        }
        Ok(())
    }

    /// Adds or replaces `key` with `entry` as it is (value, expire, LRU); the replaced entry, if any.
    pub fn put(&mut self, key: &[u8], entry: Entry) -> Option<Entry> {
        let new = entry.expire;
        let filed = FieldExpires::filed_of(&entry.value);
        let replaced = self.dict.insert_if(key, entry, crate::evict::expand_allowed);
        if let Some(o) = &replaced {
            self.hexpires.removed(key, FieldExpires::filed_of(&o.value));
        }
        self.hexpires.added(key, filed);
        self.index_expire(key, replaced.as_ref().map(|o| o.expire).unwrap_or(-1), new);
        replaced
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (_, e) = self.dict.remove(key)?;
        self.hexpires.removed(key, FieldExpires::filed_of(&e.value));
        if e.expire >= 0 {
            self.expires.remove(key);
        }
        Some(e)
    }

    /// Sets (or clears, with -1) the expire of an existing key; the old one, or None when missing.
    pub fn set_expire(&mut self, key: &[u8], when: i64) -> Option<i64> {
        let old = std::mem::replace(&mut self.dict.get_mut(key)?.expire, when);
        self.index_expire(key, old, when);
        Some(old)
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
        d.add(b"a", Entry::new(Value::Int(1), 5, 0));
        d.put(b"b", Entry::new(Value::Int(1), -1, 0));
        assert_eq!(d.volatile(), 1);
        assert_eq!(d.set_expire(b"b", 7), Some(-1));
        assert_eq!(d.set_expire(b"a", -1), Some(5));
        assert_eq!(d.set_expire(b"zz", 1), None);
        assert!(d.expires.get(b"b").is_some() && d.expires.get(b"a").is_none());
        d.put(b"b", Entry::new(Value::Int(2), -1, 0));
        assert_eq!(d.volatile(), 0);
        d.put(b"c", Entry::new(Value::Int(2), 9, 0));
        assert_eq!(d.remove(b"c").map(|e| e.expire()), Some(9));
        assert_eq!(d.volatile(), 0);
    }
}
