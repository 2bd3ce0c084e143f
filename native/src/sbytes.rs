//! `SBytes`: an immutable byte string that keeps up to 22 bytes inline (no heap
//! allocation) and larger ones in one boxed slice. 24 bytes either way, so short
//! keys and values cost no allocation of their own.
use std::fmt;

const INLINE: usize = 22;

#[derive(Clone)]
pub enum SBytes {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl SBytes {
    #[inline]
    pub fn new(b: &[u8]) -> SBytes {
        if b.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..b.len()].copy_from_slice(b);
            SBytes::Inline { len: b.len() as u8, data }
        } else {
            SBytes::Heap(b.into())
        }
    }
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SBytes::Inline { len, data } => &data[..*len as usize],
            SBytes::Heap(b) => b,
        }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }
    /// The heap bytes an `SBytes` of `len` bytes owns (0: inline).
    pub fn heap_size_for(len: usize) -> usize {
        if len <= INLINE {
            0
        } else {
            len
        }
    }
    /// Heap bytes owned beyond the 24-byte value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            SBytes::Inline { .. } => 0,
            SBytes::Heap(b) => b.len(),
        }
    }
}

impl From<Vec<u8>> for SBytes {
    fn from(v: Vec<u8>) -> SBytes {
        if v.len() <= INLINE {
            SBytes::new(&v)
        } else {
            SBytes::Heap(v.into_boxed_slice())
        }
    }
}

impl fmt::Debug for SBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn inline_and_heap_round_trip() {
        assert_eq!(std::mem::size_of::<SBytes>(), 24);
        for n in [0usize, 1, 21, 22, 23, 100] {
            let v: Vec<u8> = (0..n as u8).collect();
            assert_eq!(SBytes::new(&v).as_slice(), &v[..]);
            assert_eq!(SBytes::from(v.clone()).as_slice(), &v[..]);
        }
    }
}
