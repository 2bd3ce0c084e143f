//! DEBUG and INFO bindings: dataset digests, low level object info, POPULATE,
//! and the native keyspace statistics INFO reports. None of these are on a hot
//! path, so they return plain JS values.
use crate::digest::{self, Digest};
use crate::keyspace::{ks, Entry, Value};
use crate::sbytes::SBytes;
use crate::t_string;
use crate::util::parse_i64;
use napi_derive::napi;

/// DEBUG DIGEST: 40 hex digits.
#[napi(catch_unwind)]
pub fn debug_digest() -> String {
    digest::hex(&digest::dataset_digest(ks()))
}

/// DEBUG DIGEST-VALUE of one key in `db` (zeros when missing; expired keys count).
#[napi(catch_unwind)]
pub fn debug_digest_value(db: u32, key: &[u8]) -> String {
    let mut d: Digest = [0; 20];
    if let Some(e) = ks().dbs[db as usize].dict.get(key) {
        digest::value_digest(&mut d, e);
    }
    digest::hex(&d)
}

/// Bytes of an RDB length header (rdbSaveLen).
fn rdb_len_size(len: usize) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as usize {
        5
    } else {
        9
    }
}

/// Bytes of an integer in RDB's special int encoding, if it fits one (rdbEncodeInteger).
fn rdb_int_size(v: i64) -> Option<usize> {
    if (-(1 << 7)..(1 << 7)).contains(&v) {
        Some(2)
    } else if (-(1 << 15)..(1 << 15)).contains(&v) {
        Some(3)
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&v) {
        Some(5)
    } else {
        None
    }
}

/// The bytes rdbSaveRawString writes for `b` (rdbcompression on): an integer
/// encoding when it is one, LZF when that saves at least 4 bytes of a string
/// over 20 bytes, else the length and the bytes.
fn rdb_string_len(b: &[u8]) -> usize {
    if b.len() <= 11 {
        if let Some(n) = parse_i64(b).and_then(rdb_int_size) {
            return n;
        }
    }
    if b.len() > 20 {
        if let Some(c) = crate::lzf::compress(b, b.len() - 4) {
            return 1 + rdb_len_size(c.len()) + rdb_len_size(b.len()) + c.len();
        }
    }
    rdb_len_size(b.len()) + b.len()
}

/// The RDB-serialized length of a value (rdbSavedObjectLen), as Redis 7.2
/// saves each encoding: compact encodings as one string, tables element by element.
fn serialized_len(e: &Entry) -> usize {
    if let Value::Int(v) = e.value {
        if let Some(n) = rdb_int_size(v) {
            return n;
        }
    }
    match &e.value {
        v if t_string::is_string(v) => t_string::with_bytes(v, rdb_string_len),
        Value::List(l) => list_serialized_len(l),
        Value::ZSet(z) => match z.listpack() {
            Some(lp) => rdb_string_len(lp.as_bytes()),
            None => {
                // RDB_TYPE_ZSET_2: each member, then its score as a binary double.
                let mut n = rdb_len_size(z.len());
                z.for_each(|m, _| n += rdb_string_len(m) + 8);
                n
            }
        },
        Value::Hash(h) => {
            if h.encoding() != "hashtable" {
                return rdb_string_len(hash_listpack(h).as_bytes());
            }
            let mut n = rdb_len_size(h.len());
            h.for_each(|f, v| n += rdb_string_len(f) + rdb_string_len(v));
            n
        }
        Value::Set(s) => match s.compact_bytes() {
            Some(b) => rdb_string_len(b),
            None => {
                let mut n = rdb_len_size(s.len());
                s.for_each(|m| n += rdb_string_len(m));
                n
            }
        },
        _ => 0,
    }
}

/// A listpack-encoded hash's listpack, as Redis holds it (field, value[,
/// expire] for each field, in order): rebuilt from the entries, whose
/// encoding in a listpack depends on nothing else.
pub fn hash_listpack(h: &crate::t_hash::Hash) -> crate::listpack::Listpack {
    use crate::listpack::LpEntry;
    let with_ttl = h.encoding() == "listpackex";
    let mut lp = crate::listpack::Listpack::new();
    let put = |lp: &mut crate::listpack::Listpack, e: LpEntry<'_>| match e {
        LpEntry::Int(v) => lp.push_back_i64(v),
        LpEntry::Str(b) => lp.push_back(b),
    };
    h.for_each_entry(|f, v, expire| {
        put(&mut lp, f);
        put(&mut lp, v);
        if with_ttl {
            lp.push_back_i64(expire);
        }
    });
    lp
}

/// A list is saved as a quicklist (RDB_TYPE_LIST_QUICKLIST_2): the node count,
/// then per node its container and its data (a compressed node as it is).
fn list_serialized_len(l: &crate::t_list::List) -> usize {
    use crate::quicklist::NodeBlock;
    use crate::t_list::List;
    match l {
        List::Listpack(lp) => rdb_len_size(1) + 1 + rdb_string_len(lp.as_bytes()),
        List::Quicklist(q) => {
            let mut n = rdb_len_size(q.node_count());
            for b in q.node_blocks() {
                n += 1 + match b {
                    NodeBlock::Packed(x) | NodeBlock::Plain(x) => rdb_string_len(x),
                    NodeBlock::Lzf { bytes, raw_len, .. } => 1 + rdb_len_size(bytes.len()) + rdb_len_size(raw_len) + bytes.len(),
                };
            }
            n
        }
    }
}

/// DEBUG OBJECT key: Redis's status line, or None when the key does not exist.
#[napi(catch_unwind)]
pub fn debug_object(db: u32, key: &[u8]) -> Option<String> {
    let k = ks();
    let e = k.dbs[db as usize].dict.get(key)?;
    let idle = if k.lfu.enabled { 0 } else { k.lru_seconds().wrapping_sub(e.lru) as u64 & 0xFFFF_FFFF };
    Some(format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        &e.value as *const Value,
        e.value.encoding(),
        serialized_len(e),
        e.lru & 0xFF_FFFF,
        idle,
        match &e.value {
            Value::List(l) => l.debug_extra(),
            _ => String::new(),
        }
    ))
}

/// DEBUG POPULATE: creates `count` keys `<prefix>:<n>` holding `value:<n>`
/// (cut or padded with zero bytes to `size` when size > 0); existing keys are kept.
#[napi(catch_unwind)]
pub fn debug_populate(db: u32, count: f64, prefix: &[u8], size: f64) {
    let k = ks();
    let db = db as usize;
    let size = size as usize;
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..count as u64 {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(j.to_string().as_bytes());
        if k.exists(db, &key) {
            continue;
        }
        let mut val = format!("value:{}", j).into_bytes();
        if size > 0 {
            val.resize(size, 0);
        }
        k.set(db, &key, Value::Str(SBytes::new(&val)), -1);
    }
}

/// Redis's _dictGetStatsHt text for table `t` of `d` (0: the main table, 1:
/// the rehashing target).
fn ht_stats_table<V>(d: &crate::dict::Dict<V>, t: usize, full: bool) -> String {
    const VECTLEN: usize = 50;
    let name = if t == 0 { "main hash table" } else { "rehashing target" };
    let mut clvector = [0usize; VECTLEN];
    let (mut size, mut slots, mut maxchain, mut used) = (0usize, 0usize, 0usize, 0usize);
    d.chain_lengths(t, |chain| {
        size += 1;
        clvector[chain.min(VECTLEN - 1)] += 1;
        if chain > 0 {
            slots += 1;
            maxchain = maxchain.max(chain);
            used += chain;
        }
    });
    if used == 0 {
        return format!("Hash table {} stats ({}):\nNo stats available for empty dictionaries\n", t, name);
    }
    let mut s = format!("Hash table {} stats ({}):\n table size: {}\n number of elements: {}\n", t, name, size, used);
    if !full {
        return s;
    }
    // Redis counts the chains' total and the table's count apart; both are `used` here.
    s.push_str(&format!(
        " different slots: {}\n max chain length: {}\n avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n Chain length distribution:\n",
        slots,
        maxchain,
        used as f32 / slots as f32,
        used as f32 / slots as f32
    ));
    for (i, &n) in clvector.iter().enumerate().take(VECTLEN - 1) {
        if n > 0 {
            s.push_str(&format!("   {}: {} ({:.2}%)\n", i, n, (n as f32 / size as f32) * 100.0));
        }
    }
    s
}

/// Redis's dictGetStats: the main table's, then the rehashing target's while a resize runs.
fn ht_stats<V>(d: &crate::dict::Dict<V>, full: bool) -> String {
    let mut s = ht_stats_table(d, 0, full);
    if d.is_rehashing() {
        s.push_str(&ht_stats_table(d, 1, full));
    }
    s
}

/// DEBUG HTSTATS: the keys and expires tables of `db`.
#[napi(catch_unwind)]
pub fn debug_htstats(db: u32, full: bool) -> String {
    let d = &ks().dbs[db as usize];
    format!("[Dictionary HT]\n{}[Expires HT]\n{}", ht_stats(&d.dict, full), ht_stats(&d.expires, full))
}

/// What DEBUG HTSTATS-KEY found at a key.
#[napi(object)]
pub struct KeyHtstats {
    /// False when the key does not exist.
    pub found: bool,
    /// The statistics of the value's hash table; None when the value is not kept in one.
    pub text: Option<String>,
}

/// DEBUG HTSTATS-KEY: the statistics of the hash table a set, hash or sorted set is kept in
/// (looked up as OBJECT does: an expired key is gone, its access time is kept).
#[napi(catch_unwind)]
pub fn debug_htstats_key(db: u32, key: &[u8], full: bool) -> KeyHtstats {
    let Some(e) = ks().lookup_with(db as usize, key, false, true) else { return KeyHtstats { found: false, text: None } };
    let text = match &e.value {
        Value::Set(s) => match &**s {
            crate::t_set::Set::Table(d) => Some(ht_stats(d, full)),
            _ => None,
        },
        Value::Hash(h) => h.layout().1.map(|t| ht_stats(t.map(), full)),
        Value::ZSet(crate::t_zset::ZSet::Skiplist(z)) => Some(ht_stats(z.parts().1, full)),
        _ => None,
    };
    KeyHtstats { found: true, text }
}

/// DEBUG SEGFAULT: a write to a read-only page, as Redis's: the process dies by SIGSEGV.
#[napi(catch_unwind)]
pub fn debug_segfault() {
    // SAFETY: none; the point is the fault (V8's trap handler passes a fault outside wasm code on).
    unsafe {
        let p = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) as *mut u8;
        std::ptr::write_volatile(p, b'x');
    }
}

/// Test hook of DEBUG NATIVE-PANIC-TEST RAW (`rawDebugPanicTest` in
/// raw_table.rs): panics inside a raw callback, to prove the boundary holds.
pub fn panic_test(message: &[u8]) {
    panic!("{}", String::from_utf8_lossy(message));
}

/// Test hook of DEBUG NATIVE-PANIC-TEST NAPI: panics inside a `#[napi]` function.
#[napi(catch_unwind)]
pub fn debug_panic_test(message: &[u8]) {
    panic!("{}", String::from_utf8_lossy(message));
}

/// The keyspace counters INFO stats reports.
#[napi(object)]
pub struct EngineStats {
    pub expired_keys: f64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: f64,
    pub keyspace_hits: f64,
    pub keyspace_misses: f64,
}

#[napi(catch_unwind)]
pub fn engine_stats() -> EngineStats {
    let s = &ks().stats;
    EngineStats {
        expired_keys: s.expired_keys as f64,
        expired_stale_perc: s.expired_stale_perc,
        expired_time_cap_reached_count: s.expired_time_cap_reached_count as f64,
        keyspace_hits: s.keyspace_hits as f64,
        keyspace_misses: s.keyspace_misses as f64,
    }
}

/// CONFIG RESETSTAT's share of the native counters.
#[napi(catch_unwind)]
pub fn engine_reset_stats() {
    let s = &mut ks().stats;
    s.expired_keys = 0;
    s.expired_stale_perc = 0.0;
    s.expired_time_cap_reached_count = 0;
    s.keyspace_hits = 0;
    s.keyspace_misses = 0;
    crate::lazyfree::reset_freed();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(v: Value) -> Entry {
        Entry::new(v, 0)
    }

    #[test]
    fn serialized_lengths_follow_rdb_encodings() {
        assert_eq!(serialized_len(&entry(Value::Int(12))), 2);
        assert_eq!(serialized_len(&entry(Value::Int(-300))), 3);
        assert_eq!(serialized_len(&entry(Value::Int(100_000))), 5);
        // beyond 32 bits: saved as the decimal string
        assert_eq!(serialized_len(&entry(Value::Int(-99_999_999_999))), 1 + 12);
        assert_eq!(serialized_len(&entry(Value::Str(SBytes::new(b"hello")))), 6);
        // a short canonical integer held as bytes still saves as an int
        assert_eq!(serialized_len(&entry(Value::Raw(Box::new(b"70000".to_vec())))), 5);
        // over 20 bytes LZF is tried: 64 x's save as 13 bytes, as redis-server's DEBUG OBJECT says
        assert_eq!(serialized_len(&entry(Value::Str(SBytes::new(&[b'x'; 64])))), 13);
        // incompressible: the length and the bytes
        let mut x = 0x2545_F491u64;
        let noise: Vec<u8> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize]
            })
            .collect();
        assert_eq!(serialized_len(&entry(Value::Str(SBytes::new(&noise)))), 2 + 64);
    }
}
