//! A rax keyed by stream IDs (16 bytes: ms then seq, big-endian, so byte
//! order is ID order), as Redis keys the stream's nodes and the PELs.
use super::Id;
use crate::rax::{Rax, Seek, Walk};

pub struct IdMap<V>(Rax<V>);

/// A consumer's PEL: IDs only.
pub type IdSet = IdMap<()>;

fn enc(id: Id) -> [u8; 16] {
    id.key().to_be_bytes()
}

fn dec(k: &[u8]) -> Id {
    Id::from_key(u128::from_be_bytes(k.try_into().expect("a 16-byte stream ID key")))
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap(Rax::new())
    }
}

impl<V: Clone> Clone for IdMap<V> {
    fn clone(&self) -> Self {
        IdMap(self.0.clone())
    }
}

impl<V> IdMap<V> {
    pub fn new() -> Self {
        IdMap(Rax::new())
    }
    /// The rax itself (MEMORY USAGE walks its allocations).
    pub fn rax(&self) -> &Rax<V> {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, id: &Id) -> Option<&V> {
        self.0.get(&enc(*id))
    }
    pub fn get_mut(&mut self, id: &Id) -> Option<&mut V> {
        self.0.get_mut(&enc(*id))
    }
    pub fn contains_key(&self, id: &Id) -> bool {
        self.0.contains_key(&enc(*id))
    }
    pub fn insert(&mut self, id: Id, v: V) -> Option<V> {
        self.0.insert(&enc(id), v)
    }
    pub fn remove(&mut self, id: &Id) -> Option<V> {
        self.0.remove(&enc(*id))
    }

    /// From where `op` lands on `id`, forward or (`rev`) backward.
    pub fn walk(&self, op: Seek, id: Id, rev: bool) -> Walk<'_, V, Id> {
        self.0.walk(op, &enc(id), rev, dec)
    }
    /// Ascending.
    pub fn iter(&self) -> Walk<'_, V, Id> {
        self.walk(Seek::First, Id::MIN, false)
    }
    /// Ascending from the first ID at or after `id`.
    pub fn iter_from(&self, id: Id) -> Walk<'_, V, Id> {
        self.walk(Seek::Ge, id, false)
    }
    /// Ascending from the last ID at or before `id` (the node that would
    /// hold it), or from the first when there is none.
    pub fn iter_from_floor(&self, id: Id) -> Walk<'_, V, Id> {
        let w = self.walk(Seek::Le, id, false);
        if w.at_end() {
            return self.iter();
        }
        w
    }
    /// Descending from the last ID at or before `id`.
    pub fn iter_back_from(&self, id: Id) -> Walk<'_, V, Id> {
        self.walk(Seek::Le, id, true)
    }
    pub fn keys(&self) -> impl Iterator<Item = Id> + '_ {
        self.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
    pub fn first(&self) -> Option<(Id, &V)> {
        self.iter().next()
    }
    pub fn last(&self) -> Option<(Id, &V)> {
        self.walk(Seek::Last, Id::MIN, true).next()
    }
    /// The last entry, mutable (the stream's tail node, on every XADD).
    pub fn last_mut(&mut self) -> Option<(Id, &mut V)> {
        let mut key = [0u8; 16];
        let mut n = 0;
        let v = self.0.last_mut(|run| {
            key[n..n + run.len()].copy_from_slice(run);
            n += run.len();
        })?;
        Some((dec(&key), v))
    }
    /// The entry at or before `id` (the node that would hold it), mutable.
    pub fn at_or_before_mut(&mut self, id: Id) -> Option<(Id, &mut V)> {
        let k = self.iter_back_from(id).next()?.0;
        Some((k, self.get_mut(&k).unwrap()))
    }
}

impl<V> std::ops::Index<&Id> for IdMap<V> {
    type Output = V;
    fn index(&self, id: &Id) -> &V {
        self.get(id).expect("a stream ID in the map")
    }
}

impl IdSet {
    /// Adds `id`; false if it was there.
    pub fn add(&mut self, id: Id) -> bool {
        self.insert(id, ()).is_none()
    }
}
