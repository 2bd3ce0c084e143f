//! Loading a whole RDB (rdbLoadRio): header, AUX fields, databases, keys with
//! their expires and LRU/LFU data, functions, EOF and checksum. Everything
//! loads into fresh databases that replace the live ones only when the whole
//! file was read without error: a bad file never leaves a partial dataset.
use super::decode::Reader;
use super::load_value::{load_value, Ctx, EMPTY_KEY};
use super::*;
use crate::db::{Db, Detached};
use crate::keyspace::LFU_INIT_VAL;

#[derive(Clone)]
pub struct LoadOptions {
    /// Now (ms).
    pub now_ms: i64,
    /// A master drops keys (and hash fields) already expired; a replica or
    /// an AOF preamble keeps them.
    pub skip_expired: bool,
    /// `databases`: a file selecting a db past it is refused.
    pub databases: usize,
    /// rdbchecksum: verify the trailer (a stored 0 means saved without one).
    pub verify_checksum: bool,
    /// Whether the LRU field holds LFU data (maxmemory-policy *-lfu).
    pub lfu: bool,
    /// Where the bytes read so far are published after each key (a background load's progress).
    pub progress: Option<&'static std::sync::atomic::AtomicU64>,
    /// key-load-delay: microseconds slept after each key (tests make loading slow with it).
    pub key_delay_us: u64,
}

/// A loaded file, not yet installed.
pub struct Loaded {
    pub dbs: Vec<Db>,
    pub version: u16,
    pub keys: u64,
    pub expired_skipped: u64,
    pub empty_skipped: u64,
    /// The names of the empty keys skipped (the server logs them).
    pub empty_keys: Vec<Vec<u8>>,
    /// The keys skipped as expired, with their db (a primary restarting puts their DELs in its backlog).
    pub expired_keys: Vec<(u32, Vec<u8>)>,
    /// The AUX fields, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// The function libraries' code (FUNCTION2), in file order.
    pub functions: Vec<Vec<u8>>,
    /// Bytes read, checksum included (an AOF's RDB preamble ends there).
    pub consumed: usize,
}

/// Reads the magic and version.
fn header(r: &mut Reader) -> Result<u16> {
    let h = r.bytes(9).map_err(|_| Error::new("Short read or OOM loading DB. Unrecoverable error, aborting now."))?;
    if &h[..5] != b"REDIS" {
        return Err(Error::new("Wrong signature trying to load DB from file"));
    }
    let v = std::str::from_utf8(&h[5..]).ok().and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    if v < 1 || v > RDB_VERSION_MAX {
        return Err(Error::new(format!("Can't handle RDB format version {v}")));
    }
    Ok(v)
}

/// Loads an RDB from bytes.
pub fn load_bytes(data: &[u8], opts: &LoadOptions) -> Result<Loaded> {
    let mut r = Reader::new(data);
    let version = header(&mut r)?;
    let mut dbs: Vec<Db> = Vec::with_capacity(opts.databases);
    dbs.resize_with(opts.databases, Db::default);
    let ctx = Ctx { now: opts.skip_expired.then_some(opts.now_ms), deep: true };
    let lru_secs = (opts.now_ms / 1000) as u32;
    let lfu_minutes = ((opts.now_ms / 60_000) & 0xFFFF) as u32;
    let fresh_lru = if opts.lfu { (lfu_minutes << 8) | LFU_INIT_VAL } else { lru_secs };
    let mut out = Loaded { dbs: Vec::new(), version, keys: 0, expired_skipped: 0, empty_skipped: 0, empty_keys: Vec::new(), expired_keys: Vec::new(), aux: Vec::new(), functions: Vec::new(), consumed: 0 };
    let mut db = 0usize;
    let mut expire = -1i64;
    let mut lru = fresh_lru;
    // Each key joins its db PIPELINE keys later: its bucket is prefetched when
    // its key is read, its chain's first node two keys later, the insert one
    // key after that, so the duplicate check and the insert rarely wait on memory.
    let mut pending: std::collections::VecDeque<Pending<'_>> = std::collections::VecDeque::with_capacity(PIPELINE + 1);
    let walked = (|| -> Result<()> { loop {
        let t = r.byte()?;
        match t {
            OP_EXPIRETIME => {
                expire = r.secs()? as i64 * 1000;
                continue;
            }
            OP_EXPIRETIME_MS => {
                expire = r.ms()?;
                continue;
            }
            OP_FREQ => {
                let f = r.byte()? as u32;
                if opts.lfu {
                    lru = (lfu_minutes << 8) | f;
                }
                continue;
            }
            OP_IDLE => {
                let idle = r.len()?;
                if !opts.lfu {
                    lru = lru_secs.wrapping_sub(idle.min(u32::MAX as u64) as u32);
                }
                continue;
            }
            OP_EOF => break,
            OP_SELECTDB => {
                let id = r.len()?;
                if id >= opts.databases as u64 {
                    return Err(Error::new(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        opts.databases
                    )));
                }
                db = id as usize;
                continue;
            }
            OP_RESIZEDB => {
                // Hints, bounded by what the rest of the file could hold.
                let most = r.remaining() as u64 / 3;
                let (keys, volatile) = (r.len()?.min(most), r.len()?.min(most));
                dbs[db].dict.expand(keys as usize);
                dbs[db].expires.expand(volatile as usize);
                continue;
            }
            OP_SLOT_INFO => {
                r.len()?;
                r.len()?;
                r.len()?;
                continue;
            }
            OP_AUX => {
                let k = r.string()?.into_owned();
                let v = r.string()?.into_owned();
                out.aux.push((k, v));
                continue;
            }
            OP_MODULE_AUX => {
                let id = r.len()?;
                return Err(Error::new(format!("The RDB file contains AUX module data I can't load: no matching module '{}'", module_name(id))));
            }
            OP_FUNCTION_PRE_GA => return Err(Error::new("Pre-release function format not supported.")),
            OP_FUNCTION2 => {
                out.functions.push(r.string()?.into_owned());
                continue;
            }
            _ => {}
        }
        if !is_object_type(t) {
            return Err(Error::new(format!("Unknown RDB encoding type {t}")));
        }
        if let Some(p) = opts.progress {
            p.store(r.pos as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if opts.key_delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(opts.key_delay_us));
        }
        let key = r.string()?;
        let hash = dbs[db].dict.key_hash(&key);
        dbs[db].dict.prefetch_bucket(hash);
        if expire != -1 {
            dbs[db].expires.prefetch_bucket(hash);
        }
        if pending.len() >= 2 {
            let p = &pending[pending.len() - 2];
            dbs[p.db].dict.prefetch_chain(p.hash);
        }
        let value = match load_value(&mut r, t, &ctx) {
            Ok(v) => v,
            Err(e) if e.0 == EMPTY_KEY => {
                out.empty_skipped += 1;
                out.empty_keys.push(key.into_owned());
                expire = -1;
                lru = fresh_lru;
                continue;
            }
            Err(e) => return Err(e),
        };
        let entry_expire = std::mem::replace(&mut expire, -1);
        let entry_lru = std::mem::replace(&mut lru, fresh_lru);
        if opts.skip_expired && entry_expire != -1 && entry_expire < opts.now_ms {
            out.expired_skipped += 1;
            out.expired_keys.push((db as u32, key.into_owned()));
            continue;
        }
        if pending.len() == PIPELINE {
            add_pending(&mut dbs, pending.pop_front())?;
        }
        pending.push_back(Pending { db, hash, key, entry: Detached::new(value, entry_expire, entry_lru) });
        out.keys += 1;
    }
    Ok(())
    })();
    // The last keys; a duplicate comes first when the file is bad further on too (it came first in the file).
    while let Some(p) = pending.pop_front() {
        add_pending(&mut dbs, Some(p))?;
    }
    walked?;
    if version >= 5 {
        let computed = crc64::crc64(&data[..r.pos]);
        let stored = u64::from_le_bytes(r.bytes(8)?.try_into().unwrap());
        if opts.verify_checksum && !super::dump::skip_checksum() && stored != 0 && stored != computed {
            return Err(Error::new(format!(
                "Wrong RDB checksum expected: ({stored:x}) got ({computed:x}). Aborting now.\nRDB CRC error"
            )));
        }
    }
    out.consumed = r.pos;
    out.dbs = dbs;
    Ok(out)
}

/// Keys read and not yet in their db (see load_bytes).
const PIPELINE: usize = 3;

/// A key read, not yet in its db.
struct Pending<'a> {
    db: usize,
    hash: usize,
    key: std::borrow::Cow<'a, [u8]>,
    entry: Detached,
}

fn add_pending(dbs: &mut [Db], p: Option<Pending<'_>>) -> Result<()> {
    let Some(p) = p else { return Ok(()) };
    dbs[p.db]
        .try_add(p.hash, &p.key, p.entry)
        .map_err(|_| Error::new(format!("Duplicate key '{}' found in RDB file", String::from_utf8_lossy(&p.key))))
}

/// Loads an RDB file (on the loading thread: every byte read is published, up to the end).
pub fn load_file_sized(path: &std::path::Path, opts: &LoadOptions) -> Result<Loaded> {
    let r = load_file(path, opts);
    if let (Ok(l), Some(p)) = (&r, opts.progress) {
        p.store(l.consumed as u64, std::sync::atomic::Ordering::Relaxed);
    }
    r
}

/// Loads an RDB file.
pub fn load_file(path: &std::path::Path, opts: &LoadOptions) -> Result<Loaded> {
    let data = std::fs::read(path).map_err(|e| Error::new(format!("Fatal error loading the DB: {e}. Exiting.")))?;
    load_bytes(&data, opts)
}

/// How loaded data joins the live dataset.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Install {
    /// The loaded databases replace the live ones (the old ones are freed).
    Replace,
    /// Loaded keys join the live ones; a key in both is an error (nothing changes then).
    Merge,
    /// Loaded keys join the live ones, replacing those of the same name (DEBUG RELOAD MERGE).
    MergeReplacing,
}

/// Installs loaded databases.
pub fn install(ks: &mut crate::keyspace::Keyspace, loaded: &mut Loaded, how: Install) -> Result<()> {
    let n = ks.dbs.len();
    let mut dbs = std::mem::take(&mut loaded.dbs);
    if how == Install::Replace {
        dbs.resize_with(n, Db::default);
        let old = std::mem::replace(&mut ks.dbs, dbs);
        // The replaced dataset is freed on the lazyfree thread when big (DEBUG
        // RELOAD's emptyData): the allocator's work for millions of small
        // frees would otherwise stall the loop as long as the load itself.
        let keys: usize = old.iter().map(|d| d.dict.len()).sum();
        if keys > crate::lazyfree::LAZYFREE_THRESHOLD {
            crate::lazyfree::free_later(Box::new(old), keys);
        }
        return Ok(());
    }
    if how == Install::Merge {
        for (i, d) in dbs.iter().enumerate() {
            if let Some((k, _)) = d.dict.iter().find(|(k, _)| ks.dbs[i].dict.get(k.as_slice()).is_some()) {
                return Err(Error::new(format!("Duplicate key '{}' found in RDB file", String::from_utf8_lossy(k.as_slice()))));
            }
        }
    }
    for (i, d) in dbs.iter_mut().enumerate() {
        let keys: Vec<Vec<u8>> = d.dict.iter().map(|(k, _)| k.as_slice().to_vec()).collect();
        for k in keys {
            if let Some(e) = d.remove(&k) {
                ks.dbs[i].put(&k, e);
            }
        }
    }
    Ok(())
}
