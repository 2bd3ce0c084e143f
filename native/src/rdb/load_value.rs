//! Loading one value (rdbLoadObject): every type and encoding of RDB <= 12,
//! checked as Redis's deep sanitization checks them (listpack and intset
//! integrity, duplicates, counts), and converted to the encoding Redis 7.2
//! would give it under the current limits.
use super::decode::{cap, Reader};
use super::legacy;
use super::*;
use crate::keyspace::Value;
use crate::listpack::Listpack;
use crate::quicklist::Quicklist;
use crate::t_hash::{Hash, NO_TTL};
use crate::t_list::List;
use crate::t_set::Set;
use crate::t_zset::ZSet;
use std::collections::HashSet;

/// The error for a collection that loads empty: the file loader skips such
/// keys (as Redis does), RESTORE refuses them.
pub const EMPTY_KEY: &str = "Empty keys are not allowed";

/// What the loader knows beyond the bytes.
pub struct Ctx {
    /// Now (ms), to drop hash fields already expired; None keeps them.
    pub now: Option<i64>,
    /// Deep sanitization (sanitize-dump-payload): false only for a RESTORE
    /// under `no`, where a stream's entries are not checked against its
    /// nodes' headers, as Redis's shallow check (the listpacks' bytes still are).
    pub deep: bool,
}

fn corrupt(what: &str) -> Error {
    Error::new(what.to_string())
}

fn empty() -> Error {
    Error::new(EMPTY_KEY)
}

fn listpack(b: Vec<u8>, what: &str) -> Result<Listpack> {
    Listpack::from_bytes(b).ok_or_else(|| corrupt(&format!("{what} listpack integrity check failed.")))
}

/// A listpack fully checked, or under shallow loading (`ctx.deep` false)
/// rebuilt from its entries when the full check fails.
fn shallow_or_full(b: std::borrow::Cow<'_, [u8]>, what: &str, ctx: &Ctx) -> Result<Listpack> {
    if ctx.deep {
        return listpack(b.into_owned(), what);
    }
    Listpack::from_bytes(b.to_vec()).or_else(|| Listpack::rebuild(&b)).ok_or_else(|| corrupt(&format!("{what} listpack integrity check failed.")))
}

/// A listpack entry as a dedup key: a string that is a canonical integer
/// counts as that integer (a listpack could hold "1" either way).
#[derive(PartialEq, Eq, Hash)]
enum DupKey<'a> {
    Int(i64),
    Str(&'a [u8]),
}

fn dup_key(e: crate::listpack::LpEntry<'_>) -> DupKey<'_> {
    match e {
        crate::listpack::LpEntry::Int(v) => DupKey::Int(v),
        crate::listpack::LpEntry::Str(s) => match crate::util::parse_i64(s) {
            Some(v) => DupKey::Int(v),
            None => DupKey::Str(s),
        },
    }
}

/// Whether a listpack holds distinct values at every `width`-th position
/// (lpValidateIntegrityAndDups), and a multiple of `width` entries. Small
/// ones are compared pairwise, without allocating.
fn distinct(lp: &Listpack, width: usize) -> bool {
    if lp.len() % width != 0 {
        return false;
    }
    let keys: Vec<DupKey<'_>> = lp.iter().step_by(width).map(dup_key).collect();
    if keys.len() <= 16 {
        return keys.iter().enumerate().all(|(i, k)| !keys[..i].contains(k));
    }
    let mut seen: HashSet<&DupKey<'_>> = HashSet::with_capacity(keys.len());
    keys.iter().all(|k| seen.insert(k))
}

/// A shallow-checked hash listpack with duplicate fields that is past
/// hash-max-listpack-entries: Redis converts it to a table as it loads, meets
/// the duplicate there (hashTypeConvertListpack), logs the listpack's bytes
/// and panics. Nodis logs the same dump (the lines before the reason's last:
/// see src/persistence/rdb-reason.ts) and refuses the payload instead.
fn dup_fields_on_convert(bytes: &[u8]) -> Error {
    corrupt(&format!("{}\nListpack corruption detected", hexdump("listpack with dup elements dump", bytes)))
}

/// serverLogHexDump's text: a title line, then the bytes as lowercase hex on one line.
pub fn hexdump(title: &str, bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = format!("{title} (hexdump of {} bytes):\n", bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Shallow loading of a hash listpack (RESTORE under sanitize-dump-payload
/// no): where Redis keeps duplicate fields (or an odd entry) and fails later,
/// the first of each field is kept and a trailing partial pair dropped, so
/// the hash stays well-formed.
fn first_of_each(lp: &Listpack, width: usize) -> Listpack {
    let mut out = Listpack::new();
    let entries: Vec<_> = lp.iter().collect();
    let mut seen: HashSet<DupKey<'_>> = HashSet::new();
    for pair in entries.chunks_exact(width) {
        if seen.insert(dup_key(pair[0])) {
            for e in pair {
                match *e {
                    crate::listpack::LpEntry::Int(v) => out.push_back_i64(v),
                    crate::listpack::LpEntry::Str(b) => out.push_back(b),
                }
            }
        }
    }
    out
}

pub fn load_value(r: &mut Reader, t: u8, ctx: &Ctx) -> Result<Value> {
    match t {
        TYPE_STRING => Ok(match r.string_or_int()? {
            Ok(i) => Value::Int(i),
            Err(b) => crate::t_string::encode(&b),
        }),
        TYPE_LIST => load_plain_list(r),
        TYPE_SET => load_plain_set(r),
        TYPE_ZSET | TYPE_ZSET_2 => load_plain_zset(r, t == TYPE_ZSET_2),
        TYPE_HASH | TYPE_HASH_METADATA | TYPE_HASH_METADATA_PRE_GA => load_plain_hash(r, t, ctx),
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => load_quicklist(r, t == TYPE_LIST_QUICKLIST_2),
        TYPE_LIST_ZIPLIST => {
            let lp = legacy::ziplist_to_listpack(&r.string()?).ok_or_else(|| corrupt("List ziplist integrity check failed."))?;
            list_of_listpack(lp)
        }
        TYPE_SET_INTSET => {
            let is = crate::intset::Intset::from_bytes(r.string()?.into_owned()).ok_or_else(|| corrupt("Intset integrity check failed."))?;
            let mut s = Set::Intset(is);
            if s.len() > crate::config::get().set_max_intset_entries.max(0) as usize {
                s.convert_to_table();
            }
            Ok(Value::Set(Box::new(s)))
        }
        TYPE_SET_LISTPACK => {
            let lp = shallow_or_full(r.string()?, "Set", ctx)?;
            // Shallow: duplicate members stay, as Redis's (the listpack itself is well-formed).
            if ctx.deep && !distinct(&lp, 1) {
                return Err(corrupt("Set listpack integrity check failed."));
            }
            if lp.is_empty() {
                return Err(empty());
            }
            let too_many = lp.len() > crate::config::get().set_max_listpack_entries.max(0) as usize;
            // Redis converts it to a table here and asserts on a duplicate (a crash): refused instead.
            if too_many && !ctx.deep && !distinct(&lp, 1) {
                return Err(corrupt("Set listpack integrity check failed."));
            }
            let mut s = Set::Listpack(lp);
            if too_many {
                s.convert_to_table();
            }
            Ok(Value::Set(Box::new(s)))
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let b = r.string()?;
            let lp = if t == TYPE_ZSET_ZIPLIST {
                legacy::ziplist_to_listpack(&b).ok_or_else(|| corrupt("Zset ziplist integrity check failed."))?
            } else {
                listpack(b.into_owned(), "Zset")?
            };
            if !distinct(&lp, 2) {
                return Err(corrupt("Zset listpack integrity check failed."));
            }
            if lp.is_empty() {
                return Err(empty());
            }
            let mut z = ZSet::Listpack(lp);
            if z.len() > crate::t_zset::max_entries() {
                z.to_skiplist();
            }
            Ok(Value::ZSet(z))
        }
        TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let b = r.string()?;
            let lp = match t {
                TYPE_HASH_ZIPMAP => legacy::zipmap_to_listpack(&b).ok_or_else(|| corrupt("Zipmap integrity check failed."))?,
                TYPE_HASH_ZIPLIST => legacy::ziplist_to_listpack(&b).ok_or_else(|| corrupt("Hash ziplist integrity check failed."))?,
                _ if ctx.deep => listpack(b.into_owned(), "Hash")?,
                _ => {
                    let lp = shallow_or_full(std::borrow::Cow::Borrowed(&b), "Hash", ctx)?;
                    if !distinct(&lp, 2) && lp.len() / 2 > crate::config::get().hash_max_listpack_entries.max(0) as usize {
                        return Err(dup_fields_on_convert(&b));
                    }
                    lp
                }
            };
            // Legacy encodings are converted, so always checked in full (as Redis's).
            let lp = if !ctx.deep && t == TYPE_HASH_LISTPACK && !distinct(&lp, 2) { first_of_each(&lp, 2) } else { lp };
            if !distinct(&lp, 2) {
                return Err(corrupt("Hash listpack integrity check failed."));
            }
            if lp.is_empty() {
                return Err(empty());
            }
            Ok(Value::Hash(small_hash(Hash::from_listpack(lp, false))))
        }
        TYPE_HASH_LISTPACK_EX | TYPE_HASH_LISTPACK_EX_PRE_GA => {
            if t == TYPE_HASH_LISTPACK_EX {
                r.ms()?; // the earliest expire: recomputed from the triplets
            }
            let lp = listpack(r.string()?.into_owned(), "Hash")?;
            if !distinct(&lp, 3) || !ttls_ordered(&lp) {
                return Err(corrupt("Hash listpackex integrity check failed."));
            }
            if lp.is_empty() {
                return Err(empty());
            }
            with_ttls(small_hash(Hash::from_listpack(lp, true)), ctx)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => super::load_stream::load_stream(r, t, ctx.deep),
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => {
            let id = r.len()?;
            Err(Error::new(format!("The RDB file contains module data I can't load: no matching module type '{}'", module_name(id))))
        }
        _ => Err(Error::new(format!("Unknown RDB encoding type {t}"))),
    }
}

/// A listpackex's expires: integers, ascending, the fields without one (0) last.
fn ttls_ordered(lp: &Listpack) -> bool {
    let mut prev = 0i64;
    let mut seen_none = false;
    for (i, e) in lp.iter().enumerate() {
        if i % 3 != 2 {
            continue;
        }
        let Some(t) = e.as_i64() else { return false };
        if t < 0 {
            return false;
        }
        if t == NO_TTL {
            seen_none = true;
        } else if seen_none || t < prev {
            return false;
        } else {
            prev = t;
        }
    }
    true
}

/// A listpack hash past the limits becomes a table (as the loader's hashTypeConvert).
fn small_hash(mut h: Hash) -> Hash {
    let cfg = crate::config::get();
    let mut too_long = false;
    if h.len() <= cfg.hash_max_listpack_entries.max(0) as usize {
        let maxv = cfg.hash_max_listpack_value.max(0) as usize;
        h.for_each_entry(|f, v, _| too_long |= f.with_bytes(|f| f.len()) > maxv || v.with_bytes(|v| v.len()) > maxv);
    }
    if too_long || h.len() > cfg.hash_max_listpack_entries.max(0) as usize {
        h.convert_to_table();
    }
    h
}

/// Drops the fields already expired (a master loading its data, as Redis
/// 7.4 does) and files the hash under its earliest field expire.
fn with_ttls(mut h: Hash, ctx: &Ctx) -> Result<Value> {
    if let Some(now) = ctx.now {
        h.expire_due(now, usize::MAX, |_| {});
    }
    if h.is_empty() {
        return Err(empty());
    }
    h.done_loading();
    Ok(Value::Hash(h))
}

fn load_plain_list(r: &mut Reader) -> Result<Value> {
    let n = r.count()?;
    if n == 0 {
        return Err(empty());
    }
    let mut q = Quicklist::new(crate::t_list::fill(), crate::t_list::compress_depth());
    for _ in 0..n {
        q.push(&r.string()?, false);
    }
    let mut l = List::Quicklist(q);
    l.try_shrink(false);
    Ok(Value::List(Box::new(l)))
}

fn list_of_listpack(lp: Listpack) -> Result<Value> {
    if lp.is_empty() {
        return Err(empty());
    }
    let mut l = List::Listpack(lp);
    l.try_grow(0, 0);
    Ok(Value::List(Box::new(l)))
}

fn load_quicklist(r: &mut Reader, v2: bool) -> Result<Value> {
    let nodes = r.count()?;
    let mut q = Quicklist::new(crate::t_list::fill(), crate::t_list::compress_depth());
    for _ in 0..nodes {
        let container = if v2 { r.len()? } else { CONTAINER_PACKED };
        if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
            return Err(corrupt(&format!("Quicklist integrity check failed (container {container}).")));
        }
        let data = r.string()?.into_owned();
        if data.is_empty() {
            return Err(corrupt("Quicklist integrity check failed (an empty node)."));
        }
        if container == CONTAINER_PLAIN {
            q.append_plain(data);
            continue;
        }
        let lp = if v2 {
            listpack(data, "List")?
        } else {
            legacy::ziplist_to_listpack(&data).ok_or_else(|| corrupt("Ziplist integrity check failed."))?
        };
        // Empty nodes are skipped, as Redis does.
        if !lp.is_empty() {
            q.append_listpack(lp);
        }
    }
    if q.is_empty() {
        return Err(empty());
    }
    let mut l = List::Quicklist(q);
    l.try_shrink(false);
    Ok(Value::List(Box::new(l)))
}

fn load_plain_set(r: &mut Reader) -> Result<Value> {
    let n = r.count()?;
    if n == 0 {
        return Err(empty());
    }
    // A small set of strings (the common case) is checked and written in one go.
    if n <= crate::config::get().set_max_listpack_entries.max(0) as u64 {
        let mut items = Vec::with_capacity(n as usize);
        for _ in 0..n {
            items.push(r.string()?);
        }
        if let Some(s) = Set::loaded_listpack(&items) {
            let Set::Listpack(lp) = &s else { unreachable!() };
            if !distinct(lp, 1) {
                return Err(corrupt("Duplicate set members detected"));
            }
            return Ok(Value::Set(Box::new(s)));
        }
        return set_member_by_member(items.into_iter().map(Ok), n);
    }
    set_member_by_member((0..n).map(|_| r.string()), n)
}

/// A plain RDB set built as Redis's loader builds it, one member at a time.
fn set_member_by_member<'a>(mut members: impl Iterator<Item = Result<std::borrow::Cow<'a, [u8]>>>, n: u64) -> Result<Value> {
    let first = members.next().expect("a set of at least one member")?;
    let mut s = Set::create(&first, n as usize);
    s.add(&first);
    for m in members {
        if !s.add(&m?) {
            return Err(corrupt("Duplicate set members detected"));
        }
    }
    Ok(Value::Set(Box::new(s)))
}

fn load_plain_zset(r: &mut Reader, binary: bool) -> Result<Value> {
    let n = r.count()?;
    if n == 0 {
        return Err(empty());
    }
    let mut pairs = Vec::with_capacity(cap(n));
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(cap(n));
    for _ in 0..n {
        let m = r.string()?.into_owned();
        let score = if binary { r.double()? } else { r.text_double()? };
        if score.is_nan() {
            return Err(corrupt("Zset with NAN score detected"));
        }
        if !seen.insert(m.clone()) {
            return Err(corrupt("Duplicate zset fields detected"));
        }
        pairs.push((m, score));
    }
    Ok(Value::ZSet(ZSet::from_pairs(pairs)))
}

/// RDB_TYPE_HASH and the field-TTL tables (ttl, field, value each): type 24
/// starts with the earliest expire and stores each TTL relative to it plus 1,
/// type 22 (7.4 RCs) stores them as they are; 0 is no TTL. A hash within the
/// listpack limits gets a listpack (a listpackex with TTLs), else a table.
fn load_plain_hash(r: &mut Reader, t: u8, ctx: &Ctx) -> Result<Value> {
    let ttls = t != TYPE_HASH;
    let min = if t == TYPE_HASH_METADATA { r.ms()? } else { 0 };
    let n = r.count()?;
    if n == 0 {
        return Err(empty());
    }
    let cfg = crate::config::get();
    let maxv = cfg.hash_max_listpack_value.max(0) as usize;
    let mut fields: Vec<(Vec<u8>, Vec<u8>, i64)> = Vec::with_capacity(cap(n));
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(cap(n));
    let mut fits = n <= cfg.hash_max_listpack_entries.max(0) as u64;
    for _ in 0..n {
        let ttl = match t {
            TYPE_HASH => NO_TTL,
            TYPE_HASH_METADATA => rel_ttl(r.len()?, min)?,
            _ => i64::try_from(r.len()?).map_err(|_| corrupt("Hash field TTL out of range"))?,
        };
        let f = r.string()?.into_owned();
        let v = r.string()?.into_owned();
        fits &= f.len() <= maxv && v.len() <= maxv;
        if !seen.insert(f.clone()) {
            return Err(corrupt("Duplicate hash fields detected"));
        }
        fields.push((f, v, ttl));
    }
    let h = if fits {
        let mut lp = Listpack::new();
        if ttls {
            // Triplets in expire order, the fields without a TTL last.
            fields.sort_by_key(|x| if x.2 == NO_TTL { i64::MAX } else { x.2 });
        }
        for (f, v, t) in &fields {
            lp.push_back(f);
            lp.push_back(v);
            if ttls {
                lp.push_back_i64(*t);
            }
        }
        Hash::from_listpack(lp, ttls)
    } else {
        let mut h = Hash::new_table();
        for (f, v, t) in &fields {
            h.insert_loaded(f, v, *t);
        }
        h
    };
    if ttls {
        with_ttls(h, ctx)
    } else {
        Ok(Value::Hash(h))
    }
}

fn rel_ttl(v: u64, min: i64) -> Result<i64> {
    if v == 0 {
        return Ok(NO_TTL);
    }
    (min as u64).checked_add(v - 1).filter(|t| *t <= i64::MAX as u64).map(|t| t as i64).ok_or_else(|| corrupt("Hash field TTL out of range"))
}

