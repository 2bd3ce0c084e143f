//! Saving (rdbSaveObjectType, rdbSaveObject, rdbSaveKeyValuePair, rdbSaveRio):
//! each encoding is written as Redis 7.2 writes it; the compact encodings
//! (listpacks, intsets, quicklist nodes, stream nodes) are Redis's exact
//! bytes here already, so they go out as they are.
use super::encode::Writer;
use super::*;
use crate::keyspace::{Entry, Keyspace, Value};
use crate::quicklist::NodeBlock;
use crate::t_hash::NO_TTL;
use crate::t_list::List;
use crate::t_set::Set;
use crate::t_stream::Stream;
use std::io::Result as IoResult;

/// What the server's settings add to a save.
#[derive(Clone, Default)]
pub struct SaveOptions {
    /// rdbcompression.
    pub compress: bool,
    /// rdbchecksum.
    pub checksum: bool,
    /// maxmemory-policy is an LRU one: each key's idle time is saved (IDLE).
    pub save_lru: bool,
    /// An LFU one: each key's counter is saved (FREQ).
    pub save_lfu: bool,
    /// AUX fields, in order (redis-ver, redis-bits, ctime, used-mem, ..., aof-base).
    pub aux: Vec<(String, String)>,
    /// The function libraries' code (FUNCTION2 records).
    pub functions: Vec<Vec<u8>>,
    /// rdb-key-save-delay: microseconds to sleep after each key.
    pub key_delay_us: u64,
    /// Told the keys written so far, every 1024 keys (a forked child reports its progress).
    pub progress: Option<fn(u64)>,
    /// No keys: the header, AUX fields and functions only (a replica's REPLCONF rdb-filter-only).
    pub exclude_data: bool,
}

/// Whether a hash has a field with a TTL (it then needs RDB 12's types).
fn hash_has_ttls(h: &crate::t_hash::Hash) -> bool {
    h.may_have_ttls() && h.min_expire() != NO_TTL
}

/// The RDB type byte of a value (rdbSaveObjectType).
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            Set::Intset(_) => TYPE_SET_INTSET,
            // RDB_TYPE_SET_LISTPACK needs version 11, which Redis 7.0 refuses.
            Set::Listpack(_) | Set::Table(_) => TYPE_SET,
        },
        Value::ZSet(z) => {
            if z.listpack().is_some() {
                TYPE_ZSET_LISTPACK
            } else {
                TYPE_ZSET_2
            }
        }
        Value::Hash(h) => match (h.listpack(), hash_has_ttls(h)) {
            (Some(_), true) => TYPE_HASH_LISTPACK_EX,
            (Some(_), false) => TYPE_HASH_LISTPACK,
            (None, true) => TYPE_HASH_METADATA,
            (None, false) => TYPE_HASH,
        },
        Value::Stream(x) => {
            if stream_needs_v3(x) {
                TYPE_STREAM_LISTPACKS_3
            } else {
                TYPE_STREAM_LISTPACKS_2
            }
        }
    }
}

/// Whether a stream needs RDB_TYPE_STREAM_LISTPACKS_3 (version 11): a
/// consumer whose last active time is not its last seen time (type 2 carries
/// only the seen time, which a loader takes for both).
fn stream_needs_v3(s: &Stream) -> bool {
    s.groups.values().any(|g| g.consumers.values().any(|c| c.active_time != c.seen_time))
}

/// The RDB version a value needs.
pub fn version_for(v: &Value) -> u16 {
    match v {
        Value::Hash(h) if hash_has_ttls(h) => RDB_VERSION_HFE,
        Value::Stream(s) if stream_needs_v3(s) => RDB_VERSION_7_2,
        _ => RDB_VERSION,
    }
}

/// Writes a value's body (rdbSaveObject).
pub fn write_value(w: &mut Writer, v: &Value) -> IoResult<()> {
    match v {
        Value::Int(i) => w.int_string(*i),
        Value::Str(s) => w.string(s.as_slice()),
        Value::Raw(s) => w.string(s),
        Value::List(l) => write_list(w, l),
        Value::Set(s) => match &**s {
            Set::Intset(i) => w.string(i.as_bytes()),
            Set::Listpack(_) | Set::Table(_) => {
                w.len_(s.len() as u64)?;
                let mut r = Ok(());
                s.for_each(|m| {
                    if r.is_ok() {
                        r = w.string(m);
                    }
                });
                r
            }
        },
        Value::ZSet(z) => match z.listpack() {
            Some(lp) => w.string(lp.as_bytes()),
            None => {
                // Greatest first: loading then inserts at the head each time.
                w.len_(z.len() as u64)?;
                let mut r = Ok(());
                if !z.is_empty() {
                    z.range_by_rank(0, z.len() - 1, true, |m, score| {
                        if r.is_ok() {
                            r = w.string(m).and_then(|_| w.double(score));
                        }
                    });
                }
                r
            }
        },
        Value::Hash(h) => write_hash(w, h),
        Value::Stream(s) => write_stream(w, s, stream_needs_v3(s)),
    }
}

fn write_list(w: &mut Writer, l: &List) -> IoResult<()> {
    match l {
        // A listpack list is saved as a quicklist of one node.
        List::Listpack(lp) => {
            w.len_(1)?;
            w.len_(CONTAINER_PACKED)?;
            w.string(lp.as_bytes())
        }
        List::Quicklist(q) => {
            w.len_(q.node_count() as u64)?;
            for b in q.node_blocks() {
                match b {
                    NodeBlock::Packed(x) => {
                        w.len_(CONTAINER_PACKED)?;
                        w.string(x)?;
                    }
                    NodeBlock::Plain(x) => {
                        w.len_(CONTAINER_PLAIN)?;
                        w.string(x)?;
                    }
                    NodeBlock::Lzf { bytes, raw_len, plain } => {
                        w.len_(if plain { CONTAINER_PLAIN } else { CONTAINER_PACKED })?;
                        w.lzf_blob(bytes, raw_len)?;
                    }
                }
            }
            Ok(())
        }
    }
}

fn write_hash(w: &mut Writer, h: &crate::t_hash::Hash) -> IoResult<()> {
    let ttls = hash_has_ttls(h);
    if let Some((lp, triplets)) = h.listpack() {
        if ttls {
            w.ms(h.min_expire())?;
            return w.string(lp.as_bytes());
        }
        if !triplets {
            return w.string(lp.as_bytes());
        }
        // A listpackex without any TTL left is saved as the plain pairs (RDB 11).
        let mut pairs = crate::listpack::Listpack::new();
        h.for_each_entry(|f, v, _| {
            f.with_bytes(|f| pairs.push_back(f));
            v.with_bytes(|v| pairs.push_back(v));
        });
        return w.string(pairs.as_bytes());
    }
    let min = h.min_expire();
    if ttls {
        w.ms(min)?;
    }
    w.len_(h.len() as u64)?;
    let mut r = Ok(());
    h.for_each_entry(|f, v, ttl| {
        if r.is_err() {
            return;
        }
        r = (|| {
            if ttls {
                // 0: no TTL; else the expire relative to the earliest, plus 1.
                w.len_(if ttl == NO_TTL { 0 } else { (ttl - min) as u64 + 1 })?;
            }
            f.with_bytes(|f| w.string(f))?;
            v.with_bytes(|v| w.string(v))
        })();
    });
    r
}

fn write_id(w: &mut Writer, id: crate::t_stream::Id) -> IoResult<()> {
    w.len_(id.ms)?;
    w.len_(id.seq)
}

fn write_stream(w: &mut Writer, s: &Stream, v3: bool) -> IoResult<()> {
    w.len_(s.nodes.len() as u64)?;
    for (key, lp) in s.nodes.iter() {
        w.string(&key.key().to_be_bytes())?;
        w.string(lp.as_bytes())?;
    }
    w.len_(s.length)?;
    write_id(w, s.last_id)?;
    write_id(w, s.first_id)?;
    write_id(w, s.max_deleted)?;
    w.len_(s.entries_added)?;
    w.len_(s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        w.string(&name)?;
        write_id(w, g.last_id)?;
        w.len_(g.entries_read as u64)?;
        w.len_(g.pel.len() as u64)?;
        for (id, nack) in g.pel.iter() {
            w.raw(&id.key().to_be_bytes())?;
            w.ms(nack.delivery_time)?;
            w.len_(nack.delivery_count)?;
        }
        w.len_(g.consumers.len() as u64)?;
        for (cname, c) in &g.consumers {
            w.string(&cname)?;
            w.ms(c.seen_time)?;
            if v3 {
                w.ms(c.active_time)?;
            }
            w.len_(c.pel.len() as u64)?;
            for id in c.pel.keys() {
                w.raw(&id.key().to_be_bytes())?;
            }
        }
    }
    Ok(())
}

/// One key (rdbSaveKeyValuePair): its expire (unix ms, or -1), idle time or counter, type, key, value.
pub fn write_entry(w: &mut Writer, ks: &Keyspace, key: &[u8], e: &Entry, expire: i64, opts: &SaveOptions) -> IoResult<()> {
    if expire >= 0 {
        w.byte(OP_EXPIRETIME_MS)?;
        w.ms(expire)?;
    }
    if opts.save_lru {
        let idle = ks.lru_seconds().wrapping_sub(e.lru) as u64 & 0xFFFF_FFFF;
        w.byte(OP_IDLE)?;
        w.len_(idle)?;
    } else if opts.save_lfu {
        w.byte(OP_FREQ)?;
        w.byte(ks.lfu_counter(e.lru) as u8)?;
    }
    w.byte(value_type(&e.value))?;
    w.string(key)?;
    write_value(w, &e.value)
}

/// The RDB version of a whole file: the newest any value needs (12 only
/// when some hash has field TTLs: those are filed in the db's index).
pub fn file_version(ks: &Keyspace) -> u16 {
    if ks.dbs.iter().any(|d| !d.hexpires.is_empty()) {
        return RDB_VERSION_HFE;
    }
    let v11 = ks.dbs.iter().any(|d| {
        d.dict
            .try_for_each(|_, e| if matches!(&e.value, Value::Stream(s) if stream_needs_v3(s)) { Err(()) } else { Ok(()) })
            .is_err()
    });
    if v11 {
        RDB_VERSION_7_2
    } else {
        RDB_VERSION
    }
}

/// Counts what a save wrote.
#[derive(Default, Clone, Copy, Debug)]
pub struct Saved {
    pub keys: u64,
    pub bytes: u64,
}

/// The whole dataset (rdbSaveRio): magic and version, AUX fields, each
/// non-empty db (SELECTDB, RESIZEDB, its keys), EOF and the checksum.
pub fn write_dataset(w: &mut Writer, ks: &Keyspace, opts: &SaveOptions) -> IoResult<Saved> {
    let version = file_version(ks);
    w.raw(format!("REDIS{version:04}").as_bytes())?;
    for (k, v) in &opts.aux {
        w.byte(OP_AUX)?;
        w.string(k.as_bytes())?;
        w.string(v.as_bytes())?;
    }
    for f in &opts.functions {
        w.byte(OP_FUNCTION2)?;
        w.string(f)?;
    }
    let mut keys = 0u64;
    for (i, db) in ks.dbs.iter().enumerate() {
        if db.dict.len() == 0 || opts.exclude_data {
            continue;
        }
        w.byte(OP_SELECTDB)?;
        w.len_(i as u64)?;
        w.byte(OP_RESIZEDB)?;
        w.len_(db.dict.len() as u64)?;
        w.len_(db.volatile() as u64)?;
        db.dict.try_for_each(|k, e| {
            write_entry(w, ks, k.as_slice(), e, db.expire_of(k.as_slice(), e), opts)?;
            keys += 1;
            if let Some(p) = opts.progress {
                if keys % 1024 == 0 || opts.key_delay_us > 0 {
                    p(keys);
                }
            }
            if opts.key_delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(opts.key_delay_us));
            }
            Ok::<(), std::io::Error>(())
        })?;
    }
    w.byte(OP_EOF)?;
    let crc = w.finish_checksum()?;
    w.raw(&crc.to_le_bytes())?;
    w.flush()?;
    Ok(Saved { keys, bytes: w.len() })
}

/// The temp file a save into `path` writes first: `temp-<pid>.rdb` beside it.
pub fn temp_path(path: &std::path::Path) -> std::path::PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    dir.join(format!("temp-{}.rdb", std::process::id()))
}

/// Writes the dataset to `path` as Redis's rdbSave does: into
/// `temp-<pid>.rdb` beside it, fsync, rename over `path`, fsync the directory.
pub fn save_file(ks: &Keyspace, path: &std::path::Path, opts: &SaveOptions) -> IoResult<Saved> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        let saved = {
            let mut w = Writer::to_file(&mut f, opts.compress, opts.checksum);
            write_dataset(&mut w, ks, opts)?
        };
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(saved)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
