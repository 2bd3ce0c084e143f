//! `LpBuf`: the owned bytes of a listpack behind one thin pointer (8 bytes,
//! where a `Vec<u8>` takes 24). A listpack's first 4 bytes are its total size
//! (u32 LE), so the buffer keeps its length there and nowhere else; its
//! allocation is always the allocator's size class of that length (as Redis's
//! listpacks are reallocated to their size on every change), so the capacity
//! follows from the length too. This is what lets a small hash or sorted set
//! sit inside a keyspace entry's `Value` without a box of its own.
use crate::alloc::usable_size;
use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::ptr::NonNull;

/// The bytes that hold the length.
const LEN_BYTES: usize = 4;

pub struct LpBuf {
    ptr: NonNull<u8>,
}

// SAFETY: an LpBuf owns its allocation alone, as a Vec<u8> does.
unsafe impl Send for LpBuf {}
// SAFETY: shared access only reads.
unsafe impl Sync for LpBuf {}

#[inline]
fn layout(cap: usize) -> Layout {
    // SAFETY: align 1 is a power of two; a listpack's size fits in u32, far below isize::MAX.
    unsafe { Layout::from_size_align_unchecked(cap, 1) }
}

impl LpBuf {
    /// A buffer of `len` bytes (at least 4), zero but for the length in its first 4.
    pub fn zeroed(len: usize) -> LpBuf {
        assert!((LEN_BYTES..=u32::MAX as usize).contains(&len), "listpack size {len}");
        let cap = usable_size(len);
        // SAFETY: the layout's size is not zero.
        let p = unsafe { alloc(layout(cap)) };
        let Some(ptr) = NonNull::new(p) else { handle_alloc_error(layout(cap)) };
        // SAFETY: `cap` >= `len` bytes were just allocated.
        unsafe { std::ptr::write_bytes(p, 0, len) };
        let mut b = LpBuf { ptr };
        b.set_len_field(len);
        b
    }

    /// A buffer holding `bytes`, whose first 4 bytes must be their length.
    pub fn from_slice(bytes: &[u8]) -> LpBuf {
        let mut b = LpBuf::zeroed(bytes.len());
        b.as_mut_slice().copy_from_slice(bytes);
        debug_assert_eq!(b.len(), bytes.len());
        b
    }

    #[inline]
    fn set_len_field(&mut self, len: usize) {
        // SAFETY: the allocation holds at least 4 bytes.
        unsafe { std::ptr::copy_nonoverlapping((len as u32).to_le_bytes().as_ptr(), self.ptr.as_ptr(), LEN_BYTES) };
    }

    #[inline]
    pub fn len(&self) -> usize {
        let mut b = [0u8; LEN_BYTES];
        // SAFETY: the allocation holds at least 4 bytes.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), b.as_mut_ptr(), LEN_BYTES) };
        u32::from_le_bytes(b) as usize
    }

    /// The bytes of the allocation (the size class of the length).
    #[inline]
    pub fn capacity(&self) -> usize {
        usable_size(self.len())
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` bytes are initialized.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }

    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `len` bytes are initialized and owned.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len()) }
    }

    /// Grows (new bytes zero) or cuts the buffer to `len` bytes, moving it to
    /// the size class of the new length when that is another class. Writes the
    /// new length into the first 4 bytes.
    pub fn resize(&mut self, len: usize) {
        assert!((LEN_BYTES..=u32::MAX as usize).contains(&len), "listpack size {len}");
        let old = self.len();
        let (old_cap, cap) = (usable_size(old), usable_size(len));
        if cap != old_cap {
            // SAFETY: the block was allocated with layout(old_cap); `cap` is not zero.
            let p = unsafe { realloc(self.ptr.as_ptr(), layout(old_cap), cap) };
            let Some(ptr) = NonNull::new(p) else { handle_alloc_error(layout(cap)) };
            self.ptr = ptr;
        }
        if len > old {
            // SAFETY: the allocation holds `cap` >= `len` bytes.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(old), 0, len - old) };
        }
        self.set_len_field(len);
    }
}

impl Drop for LpBuf {
    fn drop(&mut self) {
        // SAFETY: allocated with the layout of the current length's size class.
        unsafe { dealloc(self.ptr.as_ptr(), layout(self.capacity())) };
    }
}

impl Clone for LpBuf {
    fn clone(&self) -> LpBuf {
        LpBuf::from_slice(self.as_slice())
    }
}

impl PartialEq for LpBuf {
    fn eq(&self, other: &LpBuf) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for LpBuf {}

impl std::ops::Deref for LpBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for LpBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_and_sized_by_its_length() {
        assert_eq!(std::mem::size_of::<LpBuf>(), 8);
        assert_eq!(std::mem::size_of::<Option<LpBuf>>(), 8);
        let mut b = LpBuf::zeroed(7);
        assert_eq!((b.len(), b.capacity()), (7, 8));
        b[6] = 0xFF;
        b.resize(100);
        assert_eq!((b.len(), b.capacity(), b[6], b[99]), (100, 112, 0xFF, 0));
        assert_eq!(&b[..4], &100u32.to_le_bytes());
        b.resize(9);
        assert_eq!((b.len(), b.capacity(), b[6]), (9, 16, 0xFF));
        let c = b.clone();
        assert!(c == b);
        assert_eq!(LpBuf::from_slice(&[5, 0, 0, 0, 9]).as_slice(), &[5, 0, 0, 0, 9]);
    }
}
