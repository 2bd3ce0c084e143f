//! A counting global allocator: `used_memory` is the exact number of bytes the
//! addon has asked for and not yet freed (requested sizes, like zmalloc without
//! its per-chunk overhead). One relaxed atomic add per allocation.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

/// Bytes currently allocated by the addon.
pub fn allocated_bytes() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Turns glibc's fastbins off (mallopt M_MXFAST 0): small frees then merge at
/// once instead of piling up in fastbins. With fastbins, freeing millions of
/// small values (FLUSHALL ASYNC on the lazyfree thread) left them all to one
/// malloc_consolidate under the arena lock, which stalled the event loop's own
/// mallocs for 1.4 s at 3M keys (82 ms without), and made malloc_trim walk them
/// (1.1 s against 22 ms). The per-thread tcache still serves hot sizes.
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
    }
}

/// What the allocator gives for a request of `n` bytes (its usable size). The
/// one place that knows the allocator's size classes; glibc's malloc_usable_size:
/// 16-byte chunks with an 8-byte header, 24 at least.
pub fn usable_size(n: usize) -> usize {
    (((n + 8 + 15) & !15) - 8).max(24)
}

/// The heap one allocation of `n` bytes takes: its usable size and the
/// allocator's own bookkeeping for it (glibc: the chunk's 8-byte size header;
/// 0 for allocators that keep their metadata apart, as jemalloc and mimalloc).
/// MEMORY USAGE sums this over a key's allocations.
pub fn footprint(n: usize) -> usize {
    usable_size(n) + 8
}

/// The bytes the allocator reports in use (glibc's mallinfo2: uordblks, the
/// arenas' chunks in use, plus hblkhd, the mmapped ones): the independent
/// figure MEMORY USAGE's tests measure keys against. Per-thread caches' free
/// chunks count as in use, a few KB of noise.
pub fn heap_in_use() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallinfo2 only reads the allocator's counters.
    unsafe {
        let m = libc::mallinfo2();
        m.uordblks + m.hblkhd
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    0
}
