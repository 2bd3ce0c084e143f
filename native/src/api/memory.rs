//! MEMORY USAGE (Redis's objectComputeSize, for Nodis's own layouts): what a
//! key really costs here. The keyspace entry (its dict node, its share of the
//! bucket array, the key's bytes when not inline, the expires index's node and
//! key copy when it has a TTL, the field-TTL index's when a hash is filed
//! there), the value's boxes and every allocation it owns, each counted as the
//! heap it takes (`alloc::footprint`, which knows the allocator's size classes
//! and per-allocation overhead). As Redis, big containers have their elements
//! sampled: the first `samples` elements' costs scaled to the whole (0: all);
//! what a container holds once (its struct, bucket arrays, node array) is
//! counted exactly.
use crate::alloc::footprint;
use crate::db::{Db, Entry};
use crate::dict::Dict;
use crate::keyspace::{ks, Value};
use crate::sbytes::SBytes;
use napi_derive::napi;
use std::cell::Cell;
use std::mem::size_of;

/// The heap an allocation of `n` bytes takes; nothing when there is none (0).
fn block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        footprint(n)
    }
}

/// The first `samples` costs scaled to `len` elements (all of them when they are all sampled).
fn sampled(costs: impl Iterator<Item = usize>, samples: usize, len: usize) -> usize {
    let (mut sum, mut n) = (0usize, 0usize);
    for c in costs.take(samples) {
        sum += c;
        n += 1;
    }
    if n == 0 || n >= len {
        sum
    } else {
        (sum as f64 / n as f64 * len as f64) as usize
    }
}

/// An entry's share of a table's bucket arrays.
fn bucket_share<V>(d: &Dict<V>) -> usize {
    let [a, b] = d.table_bytes();
    (block(a) + block(b)) / d.len().max(1)
}

/// A table's buckets and its entries (node, the key's bytes if not inline, what the value owns).
fn dict_cost<V>(d: &Dict<V>, samples: usize, value: impl Fn(&V) -> usize) -> usize {
    let [a, b] = d.table_bytes();
    let node = footprint(Dict::<V>::node_size());
    block(a) + block(b) + sampled(d.iter().map(|(k, v)| node + block(k.heap_size()) + value(v)), samples, d.len())
}

/// What `n` elements of `elem` bytes take in a std B-tree set: leaves of 11
/// slots (and a parent link and counts), about 7 in use with random inserts,
/// and an inner node (12 child links more) per 6 leaves or so. An estimate:
/// the tree's fill is not observable.
fn btree_cost(n: usize, elem: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let leaves = n.div_ceil(7);
    let leaf = 16 + 11 * elem;
    leaves * footprint(leaf) + leaves.div_ceil(6).saturating_sub(usize::from(leaves == 1)) * footprint(leaf + 12 * 8)
}

/// The keyspace's part: the dict node, the key's bytes, its share of the
/// buckets; the expires index's when it has a TTL; the field-TTL index's when
/// it is a hash filed there.
fn entry_cost(db: &Db, key: &[u8], e: &Entry) -> usize {
    let key_bytes = block(SBytes::heap_size_for(key.len()));
    let mut size = footprint(Dict::<Entry>::node_size()) + key_bytes + bucket_share(&db.dict);
    if e.has_expire() {
        size += footprint(Dict::<i64>::node_size()) + key_bytes + bucket_share(&db.expires);
    }
    if crate::t_hash::FieldExpires::filed_of(&e.value).is_some() {
        let filed = db.hexpires.len().max(1);
        size += btree_cost(filed, size_of::<(i64, Box<[u8]>)>()) / filed + block(key.len());
    }
    size
}

/// Everything a value owns beyond the `Value` in the entry.
pub fn value_size(v: &Value, samples: usize) -> usize {
    match v {
        Value::Int(_) => 0,
        Value::Str(s) => block(s.heap_size()),
        Value::Raw(b) => block(size_of::<Vec<u8>>()) + block(b.capacity()),
        Value::List(l) => block(size_of::<crate::t_list::List>()) + list_size(l, samples),
        Value::Set(s) => block(size_of::<crate::t_set::Set>()) + set_size(s, samples),
        // Sorted sets and hashes sit in the entry itself (no box).
        Value::ZSet(z) => zset_size(z, samples),
        Value::Hash(h) => hash_size(h, samples),
        Value::Stream(st) => block(size_of::<crate::t_stream::Stream>()) + stream_size(st, samples),
    }
}

fn list_size(l: &crate::t_list::List, samples: usize) -> usize {
    use crate::t_list::List;
    match l {
        List::Listpack(lp) => block(lp.alloc_size()),
        List::Quicklist(q) => block(q.slots_bytes()) + sampled(q.node_allocs().map(block), samples, q.node_count()),
    }
}

fn set_size(s: &crate::t_set::Set, samples: usize) -> usize {
    use crate::t_set::Set;
    match s {
        Set::Intset(is) => block(is.alloc_size()),
        Set::Listpack(lp) => block(lp.alloc_size()),
        Set::Table(d) => block(size_of::<Dict<()>>()) + dict_cost(d, samples, |_| 0),
    }
}

fn zset_size(z: &crate::t_zset::ZSet, samples: usize) -> usize {
    use crate::t_zset::{SkipSet, ZSet};
    match z {
        ZSet::Listpack(lp) => block(lp.alloc_size()),
        ZSet::Skiplist(ss) => {
            let (zsl, dict) = ss.parts();
            let [arena, free] = zsl.arena_bytes();
            let mut nodes = zsl.node_allocs();
            // The header (all levels) is counted as it is; the others sampled.
            let header = nodes.next().map_or(0, |[up, ele]| block(up) + block(ele));
            let slots = nodes.len();
            let members = sampled(nodes.map(|[up, ele]| block(up) + block(ele)), samples, slots);
            block(size_of::<SkipSet>()) + block(arena) + block(free) + header + members + dict_cost(dict, samples, |_| 0)
        }
    }
}

fn hash_size(h: &crate::t_hash::Hash, samples: usize) -> usize {
    let (lp, table, boxed) = h.layout();
    let mut size = block(boxed) + lp.map_or(0, |lp| block(lp.alloc_size()));
    if let Some(t) = table {
        size += dict_cost(t.map(), samples, |v| block(v.heap_size()));
        if let Some((ttls, cap, map_elem, set_elem, fields)) = t.ttl_index() {
            // hashbrown: buckets (a power of two, 8 per 7 of capacity), their
            // slots then a control byte each and a 16-byte group.
            let buckets = if cap == 0 { 0 } else if cap < 8 { cap + 1 } else { (cap * 8 / 7).next_power_of_two() };
            let table_bytes = if buckets == 0 { 0 } else { (buckets * map_elem).next_multiple_of(16) + buckets + 16 };
            let n = fields.len();
            // Both the map and the ordered set keep their own copy of each field.
            let copies = sampled(fields.map(|len| 2 * block(len)), samples, n);
            size += block(ttls) + block(table_bytes) + btree_cost(n, set_elem) + copies;
        }
    }
    size
}

/// An `Arc<[u8]>`'s allocation: two counts then the bytes.
fn arc_bytes(len: usize) -> usize {
    (16 + len).next_multiple_of(8)
}

fn stream_size(st: &crate::t_stream::Stream, samples: usize) -> usize {
    let total = Cell::new(0usize);
    let add = |n: usize| total.set(total.get() + block(n));
    st.nodes.rax().allocations(&mut |n| add(n), &mut |_| {});
    let nodes = sampled(st.nodes.values().map(|lp| block(lp.alloc_size())), samples, st.nodes.len());
    st.groups.allocations(&mut |n| add(n), &mut |g| {
        g.pel.rax().allocations(&mut |n| add(n), &mut |_| {});
        g.consumers.allocations(&mut |n| add(n), &mut |c| {
            add(arc_bytes(c.name.len()));
            c.pel.rax().allocations(&mut |n| add(n), &mut |_| {});
        });
    });
    total.get() + nodes
}

/// What `key` costs in `db` (entry and value), or None when it is missing.
pub fn key_usage(db: &Db, key: &[u8], samples: usize) -> Option<usize> {
    let e = db.dict.get(key)?;
    Some(entry_cost(db, key, e) + value_size(&e.value, samples))
}

/// MEMORY USAGE key [SAMPLES n]: bytes for the key and its value, or None when
/// the key is missing (expired keys still count, as in Redis). `samples` 0: all.
#[napi(catch_unwind)]
pub fn key_memory_usage(db: u32, key: &[u8], samples: f64) -> Option<f64> {
    let samples = if samples <= 0.0 { usize::MAX } else { samples as usize };
    key_usage(&ks().dbs[db as usize], key, samples).map(|n| n as f64)
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
