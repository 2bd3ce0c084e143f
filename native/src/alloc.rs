//! The addon's allocator: jemalloc (as Redis ships with), under a counting
//! wrapper. `used_memory` is the exact number of bytes the addon holds: each
//! allocation counts its size class (nallocx, what zmalloc counts with
//! malloc_usable_size), one relaxed atomic add per allocation. jemalloc itself answers
//! for what those bytes really occupy (INFO's allocator_* fields, MEMORY
//! MALLOC-STATS), gives freed pages back (its decay, MEMORY PURGE, the cron's
//! purge after big frees), and its size classes are what MEMORY USAGE counts.
//!
//! Only the addon's allocations are jemalloc's: jemalloc is built with its
//! `_rjem_` prefix, so Node, V8 and libuv keep the C library's malloc.
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use tikv_jemalloc_sys as je;

pub struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// INFO mem_allocator, as Redis names its bundled jemalloc.
pub const NAME: &str = "jemalloc-5.3.0";

/// The alignment plain malloc guarantees for any size: jemalloc is built with
/// an 8-byte quantum (.cargo/config.toml), so a 24-byte object is 8-aligned.
const MIN_ALIGN: usize = 8;

/// mallocx flags for a layout: none when plain malloc's alignment suffices.
#[inline]
fn flags(size: usize, align: usize) -> c_int {
    if align <= MIN_ALIGN && align <= size {
        0
    } else {
        align.trailing_zeros() as c_int // MALLOCX_LG_ALIGN
    }
}

/// The bytes an allocation of `size` with mallocx flags `f` counts: its size
/// class. Alloc and dealloc compute it from the same layout, so the count never drifts.
#[inline]
fn counted(size: usize, f: c_int) -> usize {
    // SAFETY: nallocx only computes a size class.
    unsafe { je::nallocx(size, f) }
}

unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let f = flags(layout.size(), layout.align());
        let p = if f == 0 { je::malloc(layout.size()) } else { je::mallocx(layout.size(), f) } as *mut u8;
        if !p.is_null() {
            ALLOCATED.fetch_add(counted(layout.size(), f), Ordering::Relaxed);
        }
        p
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let f = flags(layout.size(), layout.align());
        je::sdallocx(ptr as *mut c_void, layout.size(), f);
        ALLOCATED.fetch_sub(counted(layout.size(), f), Ordering::Relaxed);
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let f = flags(layout.size(), layout.align());
        let p = if f == 0 { je::calloc(1, layout.size()) } else { je::mallocx(layout.size(), f | je::MALLOCX_ZERO) } as *mut u8;
        if !p.is_null() {
            ALLOCATED.fetch_add(counted(layout.size(), f), Ordering::Relaxed);
        }
        p
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let f = flags(new_size, layout.align());
        let p = if f == 0 { je::realloc(ptr as *mut c_void, new_size) } else { je::rallocx(ptr as *mut c_void, new_size, f) } as *mut u8;
        if !p.is_null() {
            ALLOCATED.fetch_sub(counted(layout.size(), flags(layout.size(), layout.align())), Ordering::Relaxed);
            ALLOCATED.fetch_add(counted(new_size, f), Ordering::Relaxed);
        }
        p
    }
}

/// Bytes currently allocated by the addon.
pub fn allocated_bytes() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// What the allocator gives for a request of `n` bytes (its usable size). The
/// one place that knows the allocator's size classes: jemalloc's nallocx.
pub fn usable_size(n: usize) -> usize {
    // SAFETY: nallocx only computes a size class (0 is undefined for it: malloc(0) takes the smallest).
    unsafe { je::nallocx(n.max(1), 0) }
}

/// Reads a mallctl value of type T (size_t, unsigned, bool...).
fn read<T: Copy + Default>(name: &CStr) -> Result<T, c_int> {
    let mut v = T::default();
    let mut len = std::mem::size_of::<T>();
    // SAFETY: `v` is a T and `len` its size, as mallctl requires for a read.
    let r = unsafe { je::mallctl(name.as_ptr(), &mut v as *mut T as *mut c_void, &mut len, std::ptr::null_mut(), 0) };
    if r == 0 { Ok(v) } else { Err(r) }
}

/// Runs a mallctl that takes no value (epoch-like triggers, purges).
fn trigger(name: &CStr) -> bool {
    // SAFETY: no old or new value is passed.
    unsafe { je::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0) == 0 }
}

/// jemalloc's totals: [allocated, active, resident, retained] bytes (refreshed:
/// its statistics are a snapshot taken at each "epoch" write).
pub fn stats() -> [usize; 4] {
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: "epoch" reads and writes a uint64_t.
    unsafe { je::mallctl(c"epoch".as_ptr(), &mut epoch as *mut u64 as *mut c_void, &mut len, &mut epoch as *mut u64 as *mut c_void, len) };
    let get = |n: &CStr| read::<usize>(n).unwrap_or(0);
    [get(c"stats.allocated"), get(c"stats.active"), get(c"stats.resident"), get(c"stats.retained")]
}

/// Gives the free pages of every arena back to the system at once (MEMORY
/// PURGE, and the cron after big frees); jemalloc's decay would return them
/// only over the next seconds, and only while the addon allocates. Then the C
/// library's own free memory (Node's, V8's buffers) with malloc_trim. True
/// when the C library released some (jemalloc does not say).
pub fn purge() -> bool {
    // MALLCTL_ARENAS_ALL is 4096.
    trigger(c"arena.4096.purge");
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims glibc's own arenas.
    return unsafe { libc::malloc_trim(0) != 0 };
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// jemalloc's options, read when it starts (its `malloc_conf`; the
/// `_RJEM_MALLOC_CONF` environment variable still applies over them).
///
/// `slab_sizes`: every small size class up to 512 bytes gets 32 KB slabs (8
/// pages, or the most that 512 regions fill) instead of jemalloc's one page for
/// the power-of-two classes. Each slab costs a fixed record in jemalloc's
/// metadata (~128 bytes, with its page map entries), so a keyspace of 64-byte
/// dict nodes in one-page slabs (64 per slab) spent 3% on top in metadata:
/// 1.5 MB of RSS at 1M keys (issue 7). The size classes, and so what every
/// allocation counts, are unchanged; a slab still goes back when it is empty.
#[used]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: Option<&'static u8> = Some(&b"slab_sizes:1-512:8\0"[0]);

/// The C library's trim threshold, fixed (M_TRIM_THRESHOLD): free memory at the
/// top of any of its heaps beyond this goes back to the system when a free
/// makes it so. glibc's default moves the threshold up to twice the largest
/// mmapped block freed so far, and V8's worker threads (their own arenas:
/// concurrent marking, compile jobs) then keep about 1 MB each resident after
/// a GC: the top of a thread's arena is not released by malloc_trim, only by
/// this threshold. 128 KB is glibc's starting value. (Fixing it also stops the
/// mmap threshold's moves: blocks from 128 KB on keep being mmapped, glibc's default.)
const LIBC_TRIM_THRESHOLD: c_int = 128 * 1024;

/// Set when the addon is loaded (before any JavaScript allocates through it):
/// the mallopt applies to every arena, existing or not.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn tune_libc_malloc() {
    // SAFETY: mallopt only sets a parameter of glibc's allocator.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, LIBC_TRIM_THRESHOLD) };
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[link_section = ".init_array"]
static TUNE_LIBC_MALLOC: extern "C" fn() = tune_libc_malloc;

unsafe extern "C" fn append_stats(out: *mut c_void, text: *const c_char) {
    // SAFETY: `out` is the String malloc_stats below passes, `text` a C string.
    let out = &mut *(out as *mut String);
    out.push_str(&CStr::from_ptr(text).to_string_lossy());
}

/// MEMORY MALLOC-STATS: jemalloc's own statistics report (malloc_stats_print).
pub fn malloc_stats() -> String {
    let mut out = String::new();
    // SAFETY: the callback appends to `out`, which outlives the call.
    unsafe { je::malloc_stats_print(Some(append_stats), &mut out as *mut String as *mut c_void, std::ptr::null()) };
    out
}

/// An errno as strerror words it (DEBUG MALLCTL's errors).
fn strerror(e: c_int) -> String {
    // SAFETY: strerror returns a static C string.
    unsafe { CStr::from_ptr(libc::strerror(e)).to_string_lossy().into_owned() }
}

/// What DEBUG MALLCTL answers.
pub enum Mallctl {
    Int(i64),
    Str(String),
    Ok,
    Err(String),
}

/// DEBUG MALLCTL name [value]: reads (and writes) an integer mallctl, trying 8,
/// 4, 2 and 1-byte widths until jemalloc accepts one, as Redis does.
pub fn mallctl_int(name: &[u8], val: Option<i64>) -> Mallctl {
    let Ok(name) = CString::new(name) else { return Mallctl::Err(strerror(libc::EINVAL)) };
    let mut val = val;
    let mut sz = 8usize;
    while sz > 0 {
        let mut old: i64 = 0;
        let mut zz = sz;
        let newp = val.as_mut().map_or(std::ptr::null_mut(), |v| v as *mut i64 as *mut c_void);
        let newlen = if val.is_some() { sz } else { 0 };
        // SAFETY: `old` holds 8 bytes, at least `zz`; `newp` points at `newlen` of `val`'s bytes (little-endian low ones).
        let r = unsafe { je::mallctl(name.as_ptr(), &mut old as *mut i64 as *mut c_void, &mut zz, newp, newlen) };
        if r == 0 {
            return Mallctl::Int(old);
        }
        if r == libc::EPERM && val.is_some() {
            // SAFETY: as above, write only.
            if unsafe { je::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), newp, newlen) } == 0 {
                return Mallctl::Ok;
            }
        }
        if r == libc::EINVAL {
            sz /= 2;
            continue;
        }
        return Mallctl::Err(strerror(r));
    }
    Mallctl::Err(strerror(libc::EINVAL))
}

/// DEBUG MALLCTL-STR name [value]: a string mallctl ("VOID" writes nothing, for triggers).
pub fn mallctl_str(name: &[u8], val: Option<&[u8]>) -> Mallctl {
    let Ok(name) = CString::new(name) else { return Mallctl::Err(strerror(libc::EINVAL)) };
    let mut old: *const c_char = std::ptr::null();
    let mut sz = std::mem::size_of::<*const c_char>();
    // SAFETY: a string mallctl reads a `const char *`.
    let rret = unsafe { je::mallctl(name.as_ptr(), &mut old as *mut *const c_char as *mut c_void, &mut sz, std::ptr::null_mut(), 0) };
    if rret != 0 && !(rret == libc::EPERM && val.is_some()) {
        return Mallctl::Err(strerror(rret));
    }
    let mut wret = 0;
    if let Some(v) = val {
        let Ok(cv) = CString::new(v) else { return Mallctl::Err(strerror(libc::EINVAL)) };
        let mut p = cv.as_ptr();
        let (newp, newlen) = if v == b"VOID" {
            (std::ptr::null_mut(), 0)
        } else {
            (&mut p as *mut *const c_char as *mut c_void, std::mem::size_of::<*const c_char>())
        };
        // SAFETY: `newp` points at a `const char *` that lives through the call.
        wret = unsafe { je::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), newp, newlen) };
    }
    if rret == 0 {
        // SAFETY: jemalloc returned a C string it owns.
        Mallctl::Str(if old.is_null() { String::new() } else { unsafe { CStr::from_ptr(old) }.to_string_lossy().into_owned() })
    } else if wret != 0 {
        Mallctl::Err(strerror(wret))
    } else {
        Mallctl::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_jemalloc_with_an_8_byte_quantum() {
        assert_eq!(usable_size(0), 8);
        assert_eq!(usable_size(1), 8);
        assert_eq!(usable_size(17), 24);
        assert_eq!(usable_size(24), 24);
        assert_eq!(usable_size(100), 112);
        assert_eq!(usable_size(129), 160);
        assert_eq!(usable_size(4097), 5120);
    }

    #[test]
    fn aligned_allocations_keep_their_alignment() {
        for align in [8usize, 16, 32, 64, 4096] {
            for size in [1usize, 8, 24, 40, 100, 5000] {
                let l = Layout::from_size_align(size, align).unwrap();
                // SAFETY: the layout is valid and the pointer freed with it.
                unsafe {
                    let p = Counting.alloc(l);
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    let q = Counting.realloc(p, l, size * 3);
                    assert_eq!(q as usize % align, 0);
                    Counting.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                }
            }
        }
    }

    #[test]
    fn allocations_count_their_size_class() {
        assert_eq!(counted(100, flags(100, 1)), 112);
        assert_eq!(counted(24, flags(24, 8)), 24);
        // A 16-aligned 24 bytes cannot sit in the 24-byte class.
        assert_eq!(counted(24, flags(24, 16)), 32);
        assert_eq!(counted(4, flags(4, 8)), 8);
    }

    #[test]
    fn stats_and_mallctl_read_jemalloc() {
        let [allocated, active, resident, _] = stats();
        assert!(allocated > 0 && active >= allocated && resident >= active);
        assert!(matches!(mallctl_int(b"arenas.page", None), Mallctl::Int(4096) | Mallctl::Int(16384) | Mallctl::Int(65536)));
        assert!(matches!(mallctl_str(b"version", None), Mallctl::Str(v) if v.starts_with("5.3.0")));
        assert!(matches!(mallctl_int(b"no.such.name", None), Mallctl::Err(e) if e == "No such file or directory"));
        assert!(malloc_stats().contains("jemalloc statistics"));
        purge();
    }
}

/// The heap one allocation of `n` bytes takes: its usable size (jemalloc keeps
/// its metadata apart from the objects: no per-allocation header). MEMORY USAGE
/// sums this over a key's allocations.
pub fn footprint(n: usize) -> usize {
    usable_size(n)
}

/// The bytes the allocator reports in use (jemalloc's stats.allocated, refreshed):
/// the independent figure MEMORY USAGE's tests measure keys against. The calling
/// thread's cache is flushed first: jemalloc counts the free objects it holds as in use.
pub fn heap_in_use() -> usize {
    trigger(c"thread.tcache.flush");
    stats()[0]
}
