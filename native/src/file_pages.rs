//! Drops the process's mappings of clean file pages once start-up is done.
//!
//! Start-up runs through a large part of the node binary (bootstrap, module
//! loading, the compiler's first tiers), and the kernel maps file pages around
//! each fault (64 KB at a time): an idle Nodis has ~45 MB of file pages mapped,
//! ~39 MB of them the node binary's, against ~3 MB for redis-server. Those
//! pages are the page cache's, shared and clean: `madvise(MADV_DONTNEED)` on a
//! private read-only file mapping only unmaps them (the page cache keeps them),
//! and any later use maps them back with a minor fault. What the server then
//! uses maps back in: after a mixed redis-benchmark run about 21-23 MB of file
//! pages are mapped again; the rest was start-up's alone.
//!
//! Only mappings that cannot hold private data are touched: file-backed,
//! private, not writable, and without a single anonymous page (a RELRO region,
//! written by the dynamic linker before it was made read-only, has copied pages
//! that dropping would turn back into the file's unrelocated bytes).

/// One mapping of /proc/self/smaps that may be dropped.
struct Mapping {
    start: usize,
    end: usize,
    rss_kb: usize,
}

/// The mappings of `smaps` (its text) that hold only clean shared file pages.
fn droppable(smaps: &str) -> Vec<Mapping> {
    let mut out = Vec::new();
    // The mapping being read: (start, end, eligible so far, rss kB, anonymous kB).
    let mut cur: Option<(usize, usize, bool, usize, usize)> = None;
    fn flush(cur: Option<(usize, usize, bool, usize, usize)>, out: &mut Vec<Mapping>) {
        if let Some((start, end, true, rss_kb, 0)) = cur {
            if rss_kb > 0 {
                out.push(Mapping { start, end, rss_kb });
            }
        }
    }
    for line in smaps.lines() {
        let mut f = line.split_ascii_whitespace();
        let first = f.next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-').filter(|(a, _)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_hexdigit())) {
            flush(cur.take(), &mut out);
            let (Ok(start), Ok(end)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else { continue };
            let perms = f.next().unwrap_or("");
            let _offset = f.next();
            let _dev = f.next();
            let inode = f.next().unwrap_or("0");
            let path = f.next().unwrap_or("");
            let p = perms.as_bytes();
            let eligible = p.len() == 4 && p[1] == b'-' && p[3] == b'p' && inode != "0" && path.starts_with('/');
            cur = Some((start, end, eligible, 0, 0));
        } else if let Some(c) = cur.as_mut() {
            let kb = || f.clone().next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(usize::MAX);
            match first {
                "Rss:" => c.3 = kb(),
                "Anonymous:" => c.4 = kb(),
                _ => {}
            }
        }
    }
    flush(cur, &mut out);
    out
}

/// Unmaps the clean file pages of every eligible mapping; the kB that were
/// mapped there (0 where /proc is not Linux's).
pub fn drop_clean_file_pages() -> usize {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return 0 };
    let mut kb = 0;
    for m in droppable(&smaps) {
        // SAFETY: the range is a whole private, read-only mapping of a file with no
        // anonymous (copied) page: MADV_DONTNEED only unmaps page-cache pages that
        // the next access maps back unchanged.
        if unsafe { libc::madvise(m.start as *mut libc::c_void, m.end - m.start, libc::MADV_DONTNEED) } == 0 {
            kb += m.rss_kb;
        }
    }
    kb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_clean_read_only_private_file_mappings() {
        let smaps = "\
00400000-00500000 r-xp 00000000 08:01 42 /usr/bin/node
Rss:                 800 kB
Anonymous:             0 kB
00500000-00510000 r--p 00100000 08:01 42 /usr/bin/node
Rss:                  64 kB
Anonymous:            16 kB
00510000-00520000 rw-p 00110000 08:01 42 /usr/bin/node
Rss:                  64 kB
Anonymous:            64 kB
7f0000000000-7f0000100000 rw-p 00000000 00:00 0 
Rss:                1024 kB
Anonymous:          1024 kB
7f0000100000-7f0000200000 r--s 00000000 08:01 43 /dev/shm/x
Rss:                  32 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r--p 00000000 08:01 44 /usr/lib/libc.so.6
Rss:                 100 kB
Anonymous:             0 kB
7f0000300000-7f0000400000 r--p 00000000 08:01 45 /usr/lib/unused.so
Rss:                   0 kB
Anonymous:             0 kB
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0 [vdso]
Rss:                   4 kB
Anonymous:             0 kB
";
        let got: Vec<(usize, usize, usize)> = droppable(smaps).iter().map(|m| (m.start, m.end, m.rss_kb)).collect();
        assert_eq!(got, vec![(0x400000, 0x500000, 800), (0x7f0000200000, 0x7f0000300000, 100)]);
    }

    #[test]
    fn the_process_runs_on_after_its_file_pages_are_dropped() {
        // This test binary's own code, libc's and the dynamic linker's are
        // dropped; every call after it (through relocated tables too) must work.
        assert!(drop_clean_file_pages() > 0);
        let v: Vec<String> = (0..1000).map(|i| format!("{i}")).collect();
        assert_eq!(v.concat().len(), 2890);
        assert!(std::fs::read_to_string("/proc/self/status").unwrap().contains("VmRSS"));
    }
}
