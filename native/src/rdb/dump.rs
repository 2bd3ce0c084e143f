//! DUMP and RESTORE (cluster.c's createDumpPayload, verifyDumpPayload,
//! dumpCommand, restoreCommand): a payload is the value's RDB type byte and
//! body, the RDB version (2 bytes, little endian) and the CRC-64 of all that
//! (8 bytes, little endian).
use super::decode::Reader;
use super::encode::Writer;
use super::load_value::{load_value, Ctx};
use super::save::{value_type, version_for, write_value};
use super::*;
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Detached, Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::util::parse_i64;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    /// Why the last RESTORE found its payload bad (the server logs it, as Redis's rdbReportCorruptRDB).
    static LAST_ERROR: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Takes the reason the last RESTORE refused its payload, if any.
pub fn take_error() -> Option<String> {
    LAST_ERROR.with(|e| e.borrow_mut().take())
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and RDB loading skip the CRC check.
pub static SKIP_CHECKSUM: AtomicBool = AtomicBool::new(false);

pub fn skip_checksum() -> bool {
    SKIP_CHECKSUM.load(Ordering::Relaxed)
}

/// The DUMP payload of a value (rdbcompression applies, as Redis's rio does).
pub fn payload(v: &Value) -> Vec<u8> {
    let mut w = Writer::memory(crate::config::get().rdbcompression != 0);
    // A memory writer cannot fail.
    let _ = w.byte(value_type(v)).and_then(|_| write_value(&mut w, v));
    let mut b = w.into_bytes();
    b.extend_from_slice(&version_for(v).to_le_bytes());
    let crc = crc64::crc64(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// verifyDumpPayload: the version is one this loader reads, and the checksum matches.
pub fn verify(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION_MAX {
        return false;
    }
    if skip_checksum() {
        return true;
    }
    crc64::crc64(&p[..p.len() - 8]).to_le_bytes() == footer[2..]
}

/// Whether RESTORE sanitizes deeply (sanitize-dump-payload for the calling client; TypeScript sets it).
pub static DEEP: AtomicBool = AtomicBool::new(true);

/// The value of a verified payload.
pub fn value_of(p: &[u8], now: i64) -> Result<Value> {
    let version = u16::from_le_bytes([p[p.len() - 10], p[p.len() - 9]]);
    let mut r = Reader::new(&p[..p.len() - 10]);
    let t = r.byte()?;
    if !is_object_type(t) {
        return Err(Error::new("Unknown RDB type"));
    }
    let _ = version;
    load_value(&mut r, t, &Ctx { now: Some(now), deep: DEEP.load(Ordering::Relaxed) })
}

/// DUMP key.
fn dump_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match ks.lookup_read(db, argv[1]) {
        None => code::NIL,
        Some(e) => {
            let p = payload(&e.value);
            out.bulk(&p);
            code::WRITTEN
        }
    }
}

const EXPIRE_ABSTTL: &[u8] = b"ABSTTL";

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checked in Redis's order.
fn restore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (-1i64, -1i64);
    let mut j = 4;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        let a = argv[j];
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && freq == -1 {
            let Some(v) = parse_i64(argv[j + 1]) else { return out.error(err::NOT_INT) };
            if v < 0 {
                return out.error("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle = v;
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && idle == -1 {
            let Some(v) = parse_i64(argv[j + 1]) else { return out.error(err::NOT_INT) };
            if !(0..=255).contains(&v) {
                return out.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = v;
            j += 1;
        } else {
            return out.error(err::SYNTAX);
        }
        j += 1;
    }
    let key = argv[1];
    if !replace && ks.lookup(db, key).is_some() {
        return out.error("BUSYKEY Target key name already exists.");
    }
    let Some(mut ttl) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
    if ttl < 0 {
        return out.error("ERR Invalid TTL value, must be >= 0");
    }
    let p = argv[3];
    if !verify(p) {
        return out.error("ERR DUMP payload version or checksum are wrong");
    }
    let now = ks.now_ms;
    let value = match value_of(p, now) {
        Ok(v) => v,
        Err(e) => {
            LAST_ERROR.with(|l| *l.borrow_mut() = Some(e.0));
            return out.error("ERR Bad data format");
        }
    };
    let deleted = replace && ks.remove_value(db, key, ks.lazy.server_del);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now {
        // Already expired: nothing is added; a replaced key is deleted.
        if deleted {
            ks.changed(db, key, Event::Del);
            let del: &[u8] = if ks.lazy.server_del { b"UNLINK" } else { b"DEL" };
            ks.also_propagate(db, &[del, key]);
        }
        return code::OK;
    }
    let lru = match (idle, freq) {
        (i, _) if i >= 0 && !ks.lfu.enabled => ks.lru_seconds().wrapping_sub(i.min(u32::MAX as i64) as u32),
        (_, f) if f >= 0 && ks.lfu.enabled => (ks.lru_clock() & !0xFF) | f as u32,
        _ => ks.lru_clock(),
    };
    ks.dbs[db].add(key, Detached::new(value, if ttl != 0 { ttl } else { -1 }, lru));
    ks.changed(db, key, Event::Restore);
    if ttl != 0 && !absttl && ks.propagating() {
        // The TTL propagates as an absolute time.
        let t = ttl.to_string();
        let mut v: Vec<&[u8]> = argv.to_vec();
        v[2] = t.as_bytes();
        v.push(EXPIRE_ABSTTL);
        ks.also_propagate(db, &v);
    }
    code::OK
}

pub static COMMANDS: &[Cmd] = &[Cmd { name: "dump", f: dump_cmd }, Cmd { name: "restore", f: restore_cmd }];
