//! MEMORY USAGE (Redis's objectComputeSize): what a key and its value take,
//! estimated as Redis 7.2 estimates it built with libc malloc (what Nodis's
//! INFO mem_allocator says; zmalloc_size is glibc's malloc_usable_size), with
//! its struct sizes and nested values sampled and scaled, so the figures equal
//! a libc-built Redis 7.2's for the same data. Encodings held as one
//! block of bytes (listpack, intset) count that block; tables count their
//! buckets and `samples` of their elements (0: all).
use crate::keyspace::{ks, Value};
use napi_derive::napi;

/// sizeof(robj).
const ROBJ: usize = 16;
/// sizeof(dictEntry) (dictEntryMemUsage).
const DICT_ENTRY: usize = 24;
/// sizeof(dict) in 7.2.
const DICT: usize = 56;

pub use crate::alloc::usable_size;

/// What an sds string of `len` bytes takes (sdsZmallocSize): header by length, the bytes, the NUL.
pub fn sds_size(len: usize) -> usize {
    let hdr = if len < 32 {
        1
    } else if len < 256 {
        3
    } else if len < 65536 {
        5
    } else {
        9
    };
    usable_size(hdr + len + 1)
}

/// A hash table's own cost: the dict struct and its buckets.
fn table_overhead(buckets: usize) -> usize {
    DICT + 8 * buckets
}

/// Scales the sampled elements' cost (`sum` over `n` samples) to `len` elements.
fn scaled(sum: usize, n: usize, len: usize) -> usize {
    if n == 0 {
        0
    } else {
        (sum as f64 / n as f64 * len as f64) as usize
    }
}

/// Redis's objectComputeSize for one value.
pub fn value_size(v: &Value, samples: usize) -> usize {
    match v {
        Value::Int(_) => ROBJ,
        // An embstr is one allocation: the object, an sds8 header, the bytes, the NUL.
        Value::Str(s) if s.len() <= 44 => usable_size(ROBJ + 3 + s.len() + 1),
        Value::Str(s) => ROBJ + sds_size(s.len()),
        // Grown by APPEND/SETRANGE: the room it has, as sds's greedy growth leaves it.
        Value::Raw(b) => ROBJ + sds_size(b.capacity()),
        Value::Set(s) => set_size(s, samples),
        Value::List(l) => list_size(l, samples),
        Value::ZSet(z) => zset_size(z, samples),
        Value::Hash(h) => hash_size(h, samples),
        Value::Stream(st) => stream_size(st, samples),
    }
}

/// Redis's estimate for a stream: sizeof(stream), the node index as a rax, the
/// listpacks' allocations (the first `samples` averaged, the tail's own), the
/// groups, their PELs and consumers (streamRadixTreeMemoryUsage's formula).
fn stream_size(st: &crate::t_stream::Stream, samples: usize) -> usize {
    use crate::t_stream::rax_nodes;
    let rax = |numele: usize, keys: &mut dyn Iterator<Item = u128>| numele * 16 + rax_nodes(keys) * (4 + 8 * 30);
    let mut size = ROBJ + 80 + rax(st.nodes.len(), &mut st.nodes.keys().map(|id| id.key()));
    let sampled: Vec<usize> = st.nodes.values().take(samples).map(|lp| usable_size(lp.alloc_size())).collect();
    if st.nodes.len() <= sampled.len() {
        size += sampled.iter().sum::<usize>();
    } else if let Some((_, tail)) = st.nodes.last() {
        let avg = if sampled.is_empty() { 0 } else { sampled.iter().sum::<usize>() / sampled.len() };
        size += avg * (st.nodes.len() - 1) + usable_size(tail.alloc_size());
    }
    for g in st.groups.values() {
        size += 40 + rax(g.pel.len(), &mut g.pel.keys().map(|id| id.key())) + 24 * g.pel.len();
        for (name, c) in &g.consumers {
            size += 32 + name.len() + rax(c.pel.len(), &mut c.pel.keys().map(|id| id.key()));
        }
    }
    size
}

/// sizeof(quicklist), sizeof(quicklistNode).
const QUICKLIST: usize = 40;
const QUICKLIST_NODE: usize = 40;

fn list_size(l: &crate::t_list::List, samples: usize) -> usize {
    use crate::t_list::List;
    match l {
        List::Listpack(lp) => ROBJ + usable_size(lp.bytes_len()),
        List::Quicklist(q) => {
            let (mut sum, mut n) = (0, 0);
            for b in q.node_blocks().take(samples) {
                sum += QUICKLIST_NODE + usable_size(b.alloc_len());
                n += 1;
            }
            ROBJ + QUICKLIST + scaled(sum, n, q.node_count())
        }
    }
}

/// The buckets Redis's dict has for `len` entries grown one by one (4 at
/// least, doubled when full): for tables whose bucket count is their own.
fn grown_buckets(len: usize) -> usize {
    len.next_power_of_two().max(4)
}

/// sizeof(zset), sizeof(zskiplist), and the header node's 32 levels (a node
/// is ele, score, backward: 24 bytes, and 16 per level).
const ZSET: usize = 16;
const ZSKIPLIST: usize = 32;
const ZSKIPLIST_HEADER: usize = 24 + 32 * 16;
/// A node's expected size: its levels are random (one more with p = 1/4),
/// 4/3 on average; malloc gives exactly 24 + 16 * level for each.
const ZSKIPLIST_NODE_AVG: f64 = 24.0 + 16.0 * 4.0 / 3.0;

fn zset_size(z: &crate::t_zset::ZSet, samples: usize) -> usize {
    if let Some(lp) = z.listpack() {
        return ROBJ + usable_size(lp.bytes_len());
    }
    let (mut sum, mut n) = (0, 0);
    let mut f = |m: &[u8]| {
        if n < samples {
            sum += sds_size(m.len()) + DICT_ENTRY;
            n += 1;
        }
    };
    z.for_each(|m, _| f(m));
    let len = z.len();
    let nodes = if n == 0 { 0 } else { (ZSKIPLIST_NODE_AVG * len as f64) as usize };
    ROBJ + ZSET + ZSKIPLIST + table_overhead(grown_buckets(len)) + usable_size(ZSKIPLIST_HEADER) + scaled(sum, n, len) + nodes
}

fn hash_size(h: &crate::t_hash::Hash, samples: usize) -> usize {
    if h.encoding() != "hashtable" {
        return ROBJ + usable_size(crate::api::debug::hash_listpack(h).bytes_len());
    }
    let (mut sum, mut n) = (0, 0);
    h.for_each(|f, v| {
        if n < samples {
            sum += sds_size(f.len()) + sds_size(v.len()) + DICT_ENTRY;
            n += 1;
        }
    });
    ROBJ + table_overhead(grown_buckets(h.len())) + scaled(sum, n, h.len())
}

fn set_size(s: &crate::t_set::Set, samples: usize) -> usize {
    use crate::t_set::Set;
    match s {
        Set::Intset(_) | Set::Listpack(_) => ROBJ + usable_size(s.compact_bytes().map_or(0, |b| b.len())),
        Set::Table(d) => {
            let (mut sum, mut n) = (0, 0);
            for (k, _) in d.iter().take(samples) {
                sum += DICT_ENTRY + sds_size(k.len());
                n += 1;
            }
            ROBJ + table_overhead(d.bucket_count() + d.rehash_target()) + scaled(sum, n, d.len())
        }
    }
}

/// MEMORY USAGE key [SAMPLES n]: bytes for the key and its value, or None when
/// the key is missing (expired keys still count, as in Redis). `samples` 0: all.
#[napi(catch_unwind)]
pub fn key_memory_usage(db: u32, key: &[u8], samples: f64) -> Option<f64> {
    let samples = if samples <= 0.0 { usize::MAX } else { samples as usize };
    let e = ks().dbs[db as usize].dict.get(key)?;
    Some((value_size(&e.value, samples) + sds_size(key.len()) + DICT_ENTRY) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn malloc_usable_sizes() {
        let want = [(1, 8), (24, 24), (25, 32), (40, 40), (41, 48), (64, 64), (65, 80), (100, 112), (129, 160)];
        for (n, c) in want {
            assert_eq!(usable_size(n), c, "{n}");
        }
    }
}
