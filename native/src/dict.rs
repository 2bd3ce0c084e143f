//! The keyspace hash table: chained buckets, a power-of-two bucket count and a
//! reverse-binary SCAN cursor (as Redis's dict), so a key present for a whole
//! SCAN is returned at least once even while the table grows or shrinks.
//! Resizing is done in one step (there is only ever one table).
use crate::sbytes::SBytes;

struct Node<V> {
    key: SBytes,
    val: V,
    next: Option<Box<Node<V>>>,
}

pub struct Dict<V> {
    buckets: Vec<Option<Box<Node<V>>>>,
    len: usize,
    hasher: ahash::RandomState,
}

const MIN_BUCKETS: usize = 4;

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    pub fn new() -> Self {
        Dict { buckets: Vec::new(), len: 0, hasher: ahash::RandomState::new() }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }
    #[inline]
    fn hash(&self, key: &[u8]) -> usize {
        self.hasher.hash_one(key) as usize
    }
    #[inline]
    fn index(&self, key: &[u8]) -> usize {
        self.hash(key) & (self.buckets.len() - 1)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[self.index(key)].as_deref();
        while let Some(n) = cur {
            if n.key.as_slice() == key {
                return Some(&n.val);
            }
            cur = n.next.as_deref();
        }
        None
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        let i = self.index(key);
        let mut cur = self.buckets[i].as_deref_mut();
        while let Some(n) = cur {
            if n.key.as_slice() == key {
                return Some(&mut n.val);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: &[u8], val: V) -> Option<V> {
        if let Some(v) = self.get_mut(key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(SBytes::new(key), val);
        None
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, key: SBytes, val: V) {
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS));
        }
        let i = self.index(key.as_slice());
        let next = self.buckets[i].take();
        self.buckets[i] = Some(Box::new(Node { key, val, next }));
        self.len += 1;
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(SBytes, V)> {
        if self.len == 0 {
            return None;
        }
        let i = self.index(key);
        let mut link = &mut self.buckets[i];
        loop {
            match link {
                None => return None,
                Some(n) if n.key.as_slice() == key => {
                    let mut node = link.take().unwrap();
                    *link = node.next.take();
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some((node.key, node.val));
                }
                Some(n) => link = &mut n.next,
            }
        }
    }

    fn maybe_shrink(&mut self) {
        let n = self.buckets.len();
        if n > MIN_BUCKETS && self.len * 10 < n {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, size: usize) {
        let mut fresh: Vec<Option<Box<Node<V>>>> = Vec::with_capacity(size);
        fresh.resize_with(size, || None);
        let old = std::mem::replace(&mut self.buckets, fresh);
        let mask = size - 1;
        for mut head in old {
            while let Some(mut n) = head {
                head = n.next.take();
                let i = self.hash(n.key.as_slice()) & mask;
                n.next = self.buckets[i].take();
                self.buckets[i] = Some(n);
            }
        }
    }

    pub fn clear(&mut self) {
        // Unlink iteratively so long chains do not recurse in Drop.
        for b in self.buckets.iter_mut() {
            let mut head = b.take();
            while let Some(mut n) = head {
                head = n.next.take();
            }
        }
        self.buckets = Vec::new();
        self.len = 0;
    }

    /// Visits one bucket (all its entries) and returns the next cursor; 0 when done.
    pub fn scan_bucket(&self, cursor: u64, mut f: impl FnMut(&SBytes, &V)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(n) = cur {
            f(&n.key, &n.val);
            cur = n.next.as_deref();
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// The keys of one bucket chosen by `pick` among the non-empty ones (for
    /// RANDOMKEY and eviction/expiry sampling). `rand` yields random u64s.
    pub fn random_key(&self, mut rand: impl FnMut() -> u64) -> Option<&SBytes> {
        if self.len == 0 {
            return None;
        }
        let mask = self.buckets.len() - 1;
        loop {
            let i = rand() as usize & mask;
            if let Some(head) = self.buckets[i].as_deref() {
                let mut count = 0;
                let mut cur = Some(head);
                while let Some(n) = cur {
                    count += 1;
                    cur = n.next.as_deref();
                }
                let mut k = rand() as usize % count;
                let mut cur = head;
                while k > 0 {
                    cur = cur.next.as_deref().unwrap();
                    k -= 1;
                }
                return Some(&cur.key);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SBytes, &V)> {
        self.buckets.iter().flat_map(|b| {
            let mut cur = b.as_deref();
            std::iter::from_fn(move || {
                let n = cur?;
                cur = n.next.as_deref();
                Some((&n.key, &n.val))
            })
        })
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&SBytes, &mut V) -> bool) {
        let mut removed = 0;
        for b in self.buckets.iter_mut() {
            let mut link = b;
            loop {
                let drop_it = match link {
                    None => break,
                    Some(n) => !keep(&n.key, &mut n.val),
                };
                if drop_it {
                    let mut node = link.take().unwrap();
                    *link = node.next.take();
                    removed += 1;
                } else {
                    link = &mut link.as_mut().unwrap().next;
                }
            }
        }
        self.len -= removed;
        self.maybe_shrink();
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: u32) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new();
        for i in 0..1000 {
            assert!(d.insert(&key(i), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        for i in 0..1000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        for i in 0..990 {
            assert_eq!(d.remove(&key(i)).map(|x| x.1), Some(i));
        }
        assert_eq!(d.len(), 10);
        assert!(d.bucket_count() <= 16);
        assert_eq!(d.get(&key(995)), Some(&995));
    }

    /// The SCAN guarantee: every key present for the whole scan is returned,
    /// while the table grows and shrinks between calls.
    #[test]
    fn scan_survives_resizes() {
        let mut d = Dict::new();
        for i in 0..500 {
            d.insert(&key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan_bucket(cursor, |k, _| {
                seen.insert(k.as_slice().to_vec());
            });
            step += 1;
            if step == 20 {
                for i in 500..5000 {
                    d.insert(&key(i), ());
                }
            }
            if step == 200 {
                for i in 500..5000 {
                    d.remove(&key(i));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(&key(i)), "missing {i}");
        }
    }

    /// The SCAN guarantee as a property: for random interleavings of scan
    /// steps with bursts of inserts and deletes (of keys other than the
    /// stable ones), growing and shrinking the table many times, every stable
    /// key is returned at least once.
    #[test]
    fn scan_guarantee_property() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..60 {
            let mut d: Dict<()> = Dict::new();
            let stable = 1 + rnd(300) as u32;
            for i in 0..stable {
                d.insert(&key(i), ());
            }
            let mut extra: Vec<u32> = Vec::new();
            let mut next_extra = 1_000_000u32;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut steps = 0;
            loop {
                cursor = d.scan_bucket(cursor, |k, _| {
                    seen.insert(k.as_slice().to_vec());
                });
                steps += 1;
                match rnd(4) {
                    0 => {
                        for _ in 0..rnd(600) {
                            d.insert(&key(next_extra), ());
                            extra.push(next_extra);
                            next_extra += 1;
                        }
                    }
                    1 => {
                        let n = rnd(extra.len() as u64 + 1) as usize;
                        for k in extra.drain(..n) {
                            d.remove(&key(k));
                        }
                    }
                    _ => {}
                }
                if cursor == 0 {
                    break;
                }
                assert!(steps < 1_000_000, "round {round}: the scan does not terminate");
            }
            for i in 0..stable {
                assert!(seen.contains(&key(i)), "round {round}: missing {i}");
            }
        }
    }

    #[test]
    fn random_key_and_retain() {
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut s = 12345u64;
        let mut rng = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let k = d.random_key(&mut rng).unwrap().as_slice().to_vec();
        assert!(d.get(&k).is_some());
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 50);
        assert_eq!(d.iter().count(), 50);
    }
}
