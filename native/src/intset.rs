//! Redis's intset (intset.c), byte for byte: a u32 LE encoding (2, 4 or 8:
//! the width of every element), a u32 LE length, then the elements as
//! little-endian integers of that width, sorted ascending, no duplicates.
//! RDB stores these bytes as they are, so the layout is the format.
//! Adding a value too wide for the current encoding upgrades every element
//! (it never downgrades, as in Redis).

const HEADER: usize = 8;

/// The narrowest width (bytes) that holds `v` (Redis's _intsetValueEncoding).
#[inline]
pub fn value_encoding(v: i64) -> usize {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        8
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        4
    } else {
        2
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Intset {
    bytes: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Intset::new()
    }
}

impl Intset {
    /// Heap bytes this intset holds (its allocation).
    pub fn alloc_size(&self) -> usize {
        self.bytes.capacity()
    }

    /// An empty intset (int16 encoding).
    pub fn new() -> Intset {
        let mut bytes = Vec::with_capacity(HEADER);
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        Intset { bytes }
    }

    /// An intset from its serialized bytes (RDB, RESTORE), checked as Redis's
    /// intsetValidateIntegrity with deep checks: a known encoding, the size
    /// matching the length, not empty, strictly ascending. None if corrupt.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Intset> {
        if bytes.len() < HEADER {
            return None;
        }
        let enc = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
        if enc != 2 && enc != 4 && enc != 8 {
            return None;
        }
        let count = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        if count == 0 || HEADER.checked_add(count.checked_mul(enc)?)? != bytes.len() {
            return None;
        }
        let is = Intset { bytes };
        let mut prev = is.get(0);
        for i in 1..count {
            let cur = is.get(i);
            if cur <= prev {
                return None;
            }
            prev = cur;
        }
        Some(is)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The element width in bytes (2, 4 or 8).
    #[inline]
    pub fn encoding(&self) -> usize {
        u32::from_le_bytes(self.bytes[0..4].try_into().unwrap()) as usize
    }

    #[inline]
    pub fn len(&self) -> usize {
        u32::from_le_bytes(self.bytes[4..8].try_into().unwrap()) as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the serialized form (intsetBlobLen).
    pub fn blob_len(&self) -> usize {
        self.bytes.len()
    }

    fn set_len(&mut self, n: usize) {
        self.bytes[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    }

    #[inline]
    fn get_enc(&self, i: usize, enc: usize) -> i64 {
        let at = HEADER + i * enc;
        let b = &self.bytes[at..at + enc];
        match enc {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes(b.try_into().unwrap()) as i64,
            _ => i64::from_le_bytes(b.try_into().unwrap()),
        }
    }

    #[inline]
    fn put(&mut self, i: usize, v: i64) {
        let enc = self.encoding();
        let at = HEADER + i * enc;
        match enc {
            2 => self.bytes[at..at + 2].copy_from_slice(&(v as i16).to_le_bytes()),
            4 => self.bytes[at..at + 4].copy_from_slice(&(v as i32).to_le_bytes()),
            _ => self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes()),
        }
    }

    /// The element at `i` (ascending order); `i` must be below `len()`.
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        self.get_enc(i, self.encoding())
    }

    pub fn min(&self) -> Option<i64> {
        (!self.is_empty()).then(|| self.get(0))
    }

    pub fn max(&self) -> Option<i64> {
        (!self.is_empty()).then(|| self.get(self.len() - 1))
    }

    /// Binary search: Ok(position) when present, Err(insert position) when not.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        let enc = self.encoding();
        if v > self.get_enc(n - 1, enc) {
            return Err(n);
        }
        if v < self.get_enc(0, enc) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let cur = self.get_enc(mid, enc);
            if cur < v {
                lo = mid + 1;
            } else if cur > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn add(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            self.upgrade_and_add(v);
            return true;
        }
        let Err(pos) = self.search(v) else { return false };
        let enc = self.encoding();
        let n = self.len();
        let at = HEADER + pos * enc;
        // Make room at `pos` by shifting the tail one element right.
        self.bytes.splice(at..at, std::iter::repeat(0u8).take(enc));
        self.put(pos, v);
        self.set_len(n + 1);
        true
    }

    /// A value outside the current width lies beyond every element: rewrite
    /// all of them wider, with `v` first (negative) or last (positive).
    fn upgrade_and_add(&mut self, v: i64) {
        let old = self.encoding();
        let new = value_encoding(v);
        let n = self.len();
        let mut bytes = Vec::with_capacity(HEADER + (n + 1) * new);
        bytes.extend_from_slice(&(new as u32).to_le_bytes());
        bytes.extend_from_slice(&((n + 1) as u32).to_le_bytes());
        let mut push = |x: i64| match new {
            4 => bytes.extend_from_slice(&(x as i32).to_le_bytes()),
            _ => bytes.extend_from_slice(&x.to_le_bytes()),
        };
        if v < 0 {
            push(v);
        }
        for i in 0..n {
            push(self.get_enc(i, old));
        }
        if v >= 0 {
            push(v);
        }
        self.bytes = bytes;
    }

    /// Removes `v`; false if it was not there.
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let Ok(pos) = self.search(v) else { return false };
        let enc = self.encoding();
        let n = self.len();
        let at = HEADER + pos * enc;
        self.bytes.drain(at..at + enc);
        self.set_len(n - 1);
        true
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let enc = self.encoding();
        (0..self.len()).map(move |i| self.get_enc(i, enc))
    }

    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn layout_is_redis_s() {
        let mut is = Intset::new();
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(is.add(5));
        assert!(is.add(-3));
        assert!(!is.add(5));
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 0xfd, 0xff, 5, 0]);
        // 70000 needs int32: every element is rewritten, the new one last.
        assert!(is.add(70000));
        assert_eq!(is.encoding(), 4);
        assert_eq!(
            is.as_bytes(),
            &[4, 0, 0, 0, 3, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0x70, 0x11, 0x01, 0]
        );
        // A negative wide value goes first.
        assert!(is.add(-5_000_000_000));
        assert_eq!(is.encoding(), 8);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![-5_000_000_000, -3, 5, 70000]);
        assert_eq!(is.blob_len(), 8 + 4 * 8);
        // Removing the wide value does not downgrade.
        assert!(is.remove(-5_000_000_000));
        assert!(!is.remove(-5_000_000_000));
        assert_eq!(is.encoding(), 8);
        assert_eq!(is.len(), 3);
        assert!(!is.contains(i64::MAX));
    }

    #[test]
    fn from_bytes_validates() {
        let mut is = Intset::new();
        for v in [1, 2, 300, -40000] {
            is.add(v);
        }
        let back = Intset::from_bytes(is.as_bytes().to_vec()).unwrap();
        assert_eq!(back, is);
        assert!(Intset::from_bytes(Intset::new().as_bytes().to_vec()).is_none()); // empty
        assert!(Intset::from_bytes(vec![3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_none()); // bad encoding
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_none()); // short
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_none()); // duplicate
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_none()); // unsorted
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).is_none()); // huge length
    }

    /// Random adds and removes against a BTreeSet: same members in the same
    /// order, the narrowest encoding ever needed, and the bytes re-read.
    #[test]
    fn matches_a_sorted_set_model() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut is = Intset::new();
            let mut model = BTreeSet::new();
            let mut widest = 2;
            for _ in 0..(rnd() % 300) {
                let r = rnd();
                let v = match r % 4 {
                    0 => (r >> 8) as i64 % 100,
                    1 => (r >> 8) as i16 as i64,
                    2 => (r >> 8) as i32 as i64,
                    _ => (r >> 2) as i64,
                };
                if rnd() % 3 == 0 {
                    assert_eq!(is.remove(v), model.remove(&v), "round {round}");
                } else {
                    widest = widest.max(value_encoding(v));
                    assert_eq!(is.add(v), model.insert(v), "round {round}");
                }
                assert_eq!(is.len(), model.len());
            }
            assert_eq!(is.encoding(), widest);
            assert!(is.iter().eq(model.iter().copied()));
            assert_eq!(is.min(), model.first().copied());
            assert_eq!(is.max(), model.last().copied());
            for v in model.iter() {
                assert!(is.contains(*v));
            }
            if !model.is_empty() {
                assert_eq!(Intset::from_bytes(is.as_bytes().to_vec()).as_ref(), Some(&is));
            }
            assert_eq!(is.blob_len(), 8 + is.len() * is.encoding());
        }
    }
}
