//! The hash table encoding of a hash (OBJECT ENCODING `hashtable`): fields to
//! values in a `Dict`; field TTLs, once a field has one, in a side structure
//! (each field's expire, and the fields in expire order for active expiry), so
//! a table without TTLs pays nothing for them.
use super::NO_TTL;
use crate::dict::Dict;
use crate::sbytes::SBytes;
use std::collections::BTreeSet;

pub struct Table {
    map: Dict<SBytes>,
    ttls: Option<Box<Ttls>>,
}

#[derive(Default, Clone)]
struct Ttls {
    by_field: std::collections::HashMap<Box<[u8]>, i64, ahash::RandomState>,
    by_time: BTreeSet<(i64, Box<[u8]>)>,
    /// The expire the hash is filed under in its db's index (NO_TTL: not filed).
    filed: i64,
}

impl Clone for Table {
    fn clone(&self) -> Table {
        let mut map = Dict::new();
        for (k, v) in self.map.iter() {
            map.insert_new(k.clone(), v.clone());
        }
        Table { map, ttls: self.ttls.clone() }
    }
}

impl Table {
    pub fn new() -> Table {
        Table { map: Dict::new(), ttls: None }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The fields and values (MEMORY USAGE).
    pub fn map(&self) -> &Dict<SBytes> {
        &self.map
    }

    /// The field TTL index's parts, when there is one (MEMORY USAGE): its
    /// box's size, the per-field map's capacity and element size, the
    /// ordered set's element size, and each field's length (both keep a copy).
    pub fn ttl_index(&self) -> Option<(usize, usize, usize, usize, impl ExactSizeIterator<Item = usize> + '_)> {
        let t = self.ttls.as_ref()?;
        let entry = std::mem::size_of::<(Box<[u8]>, i64)>();
        Some((std::mem::size_of::<Ttls>(), t.by_field.capacity(), entry, std::mem::size_of::<(i64, Box<[u8]>)>(), t.by_field.keys().map(|k| k.len())))
    }

    #[inline]
    pub fn has_ttls(&self) -> bool {
        self.ttls.is_some()
    }

    pub fn min_expire(&self) -> i64 {
        self.ttls.as_ref().and_then(|t| t.by_time.first()).map(|(t, _)| *t).unwrap_or(NO_TTL)
    }

    pub fn filed(&self) -> i64 {
        self.ttls.as_ref().map(|t| t.filed).unwrap_or(NO_TTL)
    }

    pub fn set_filed(&mut self, when: i64) {
        if when == NO_TTL && self.ttls.is_none() {
            return;
        }
        self.ttls.get_or_insert_with(Default::default).filed = when;
        self.drop_empty_ttls();
    }

    /// The side structure goes when no field has a TTL and the hash is not filed.
    fn drop_empty_ttls(&mut self) {
        if self.ttls.as_ref().is_some_and(|t| t.by_field.is_empty() && t.filed == NO_TTL) {
            self.ttls = None;
        }
    }

    #[inline]
    pub fn expire_of(&self, field: &[u8]) -> Option<i64> {
        self.map.get(field)?;
        Some(self.ttl(field))
    }

    #[inline]
    fn ttl(&self, field: &[u8]) -> i64 {
        match &self.ttls {
            None => NO_TTL,
            Some(t) => t.by_field.get(field).copied().unwrap_or(NO_TTL),
        }
    }

    pub fn lookup(&self, field: &[u8]) -> Option<(&[u8], i64)> {
        let v = self.map.get(field)?;
        Some((v.as_slice(), self.ttl(field)))
    }

    pub fn insert_new(&mut self, field: &[u8], value: &[u8], ttl: i64) {
        self.map.insert_new(SBytes::new(field), SBytes::new(value));
        if ttl != NO_TTL {
            self.set_ttl(field, ttl);
        }
    }

    /// Sets a field; true if it existed. Its TTL goes unless `keep_ttl`.
    pub fn set(&mut self, field: &[u8], value: &[u8], keep_ttl: bool) -> bool {
        match self.map.get_mut(field) {
            Some(v) => {
                *v = SBytes::new(value);
                if !keep_ttl && self.ttls.is_some() {
                    self.set_ttl(field, NO_TTL);
                }
                true
            }
            None => {
                self.map.insert_new(SBytes::new(field), SBytes::new(value));
                false
            }
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        if self.map.remove(field).is_none() {
            return false;
        }
        if self.ttls.is_some() {
            self.set_ttl(field, NO_TTL);
        }
        true
    }

    /// Sets the TTL of an existing field; false if there is no such field.
    pub fn set_expire(&mut self, field: &[u8], when: i64) -> bool {
        if self.map.get(field).is_none() {
            return false;
        }
        self.set_ttl(field, when);
        true
    }

    fn set_ttl(&mut self, field: &[u8], when: i64) {
        let t = self.ttls.get_or_insert_with(Default::default);
        let old = if when == NO_TTL { t.by_field.remove(field) } else { t.by_field.insert(field.into(), when) };
        if let Some(old) = old {
            t.by_time.remove(&(old, field.into()));
        }
        if when != NO_TTL {
            t.by_time.insert((when, field.into()));
        }
        self.drop_empty_ttls();
    }

    pub fn expire_due(&mut self, now: i64, max: usize, mut gone: impl FnMut(&[u8])) -> usize {
        let Some(t) = &self.ttls else { return 0 };
        let due: Vec<Box<[u8]>> = t.by_time.iter().take_while(|(when, _)| *when <= now).take(max).map(|(_, f)| f.clone()).collect();
        for f in &due {
            gone(f);
            self.remove(f);
        }
        due.len()
    }

    pub fn for_each<'a>(&'a self, mut f: impl FnMut(&'a [u8], &'a [u8], i64)) {
        for (k, v) in self.map.iter() {
            f(k.as_slice(), v.as_slice(), self.ttl(k.as_slice()));
        }
    }

    /// One step of HSCAN's cursor over the table's buckets (entries with their expire).
    pub fn scan_bucket(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8], i64)) -> u64 {
        self.map.scan_bucket(cursor, |k, v| f(k.as_slice(), v.as_slice(), self.ttl(k.as_slice())))
    }

    /// A random field (HRANDFIELD), every one equally likely, with its value
    /// (the draw moves an ongoing resize on, as Redis's).
    pub fn random(&mut self, rand: impl FnMut() -> u64) -> Option<(&[u8], &[u8])> {
        let (k, v) = self.map.fair_random_entry(rand)?;
        Some((k.as_slice(), v.as_slice()))
    }
}
