//! How the hash commands reach a hash: the lookup with its type check, the
//! creation of a new key, the lazy expiry of a field met by a command
//! (hashTypeGetValue), and keeping the db's index of hashes by earliest field
//! expire in step with a hash's TTLs.
use super::{FieldValue, Hash, NO_TTL};
use crate::changes::Event;
use crate::keyspace::{Detached, Entry, Keyspace, Value};

/// The key holds another type (the caller answers WRONGTYPE).
pub struct WrongType;

/// Turns the hash inside an entry into a reference that does not borrow the keyspace.
///
/// SAFETY (for every caller): the hash lives in its entry, inside the dict node
/// (a box of its own), so it stays where it is while the db's table grows or
/// shrinks; it is freed only when its key is removed or replaced. Commands
/// holding it only record changes and refile the db's field-expiry index until
/// they remove the key, after which they no longer touch it.
#[inline]
fn detach<'a>(h: &mut Hash) -> &'a mut Hash {
    unsafe { &mut *(h as *mut Hash) }
}

/// The hash at `key` (None when missing); `read`: a reading command's lookup
/// (keyspace hits and misses counted).
#[inline]
pub fn hash_at<'a>(ks: &mut Keyspace, db: usize, key: &[u8], read: bool) -> Result<Option<&'a mut Hash>, WrongType> {
    let e = if read { ks.lookup_read(db, key) } else { ks.lookup(db, key) };
    match e {
        None => Ok(None),
        Some(Entry { value: Value::Hash(h), .. }) => Ok(Some(detach(h))),
        Some(_) => Err(WrongType),
    }
}

/// Adds an empty hash at `key` (known to be absent): `new` is fired.
pub fn create<'a>(ks: &mut Keyspace, db: usize, key: &[u8]) -> &'a mut Hash {
    let lru = ks.lru_clock();
    ks.dbs[db].add(key, Detached::new(Value::Hash(Hash::default()), -1, lru));
    ks.notify(db, key, Event::New);
    match ks.dbs[db].dict.get_mut(key) {
        Some(Entry { value: Value::Hash(h), .. }) => detach(h),
        _ => unreachable!("just added"),
    }
}

/// The hash at `key`, created when missing (hashTypeLookupWriteOrCreate).
#[inline]
pub fn hash_or_create<'a>(ks: &mut Keyspace, db: usize, key: &[u8]) -> Result<&'a mut Hash, WrongType> {
    match hash_at(ks, db, key, false)? {
        Some(h) => Ok(h),
        None => Ok(create(ks, db, key)),
    }
}

/// Files the hash under its earliest field expire in the db's index, after a
/// change to its fields or TTLs (a hash without TTLs costs one comparison).
#[inline]
pub fn refile(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash) {
    let want = h.min_expire();
    let have = h.filed();
    if want != have {
        ks.dbs[db].hexpires.refile(key, have, want);
        h.set_filed(want);
    }
}

/// Removes the emptied hash's key (its index entry goes with it).
pub fn remove_key(ks: &mut Keyspace, db: usize, key: &[u8]) {
    ks.dbs[db].remove(key);
}

/// Ends a change to the hash at `key`: an empty hash's key is removed (true),
/// otherwise the hash is refiled.
pub fn settle(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash) -> bool {
    if h.is_empty() {
        remove_key(ks, db, key);
        return true;
    }
    refile(ks, db, key, h);
    false
}

/// What looking up a field found (Redis's GetFieldRes).
pub enum Got<'a> {
    Value(FieldValue<'a>),
    Missing,
    /// The field had expired: it was deleted (and its HDEL propagated).
    Expired,
    /// As Expired, and it was the last field: the key was deleted too (the hash is gone).
    ExpiredHash,
}

/// Lazy-expiry options (Redis's HFE_LAZY_*): no hexpired/del events here
/// (the command fires them once), no signal, keep an emptied hash.
pub const QUIET: u32 = 1;
pub const NO_SIGNAL: u32 = 2;
pub const KEEP_HASH: u32 = 4;

/// The value of `field` (hashTypeGetValue): a field whose time has passed is
/// deleted on the way, its HDEL propagated, `hexpired` fired (and `del` with
/// the key when it was the last field) unless QUIET.
pub fn get_field<'a>(ks: &mut Keyspace, db: usize, key: &[u8], h: &'a mut Hash, field: &[u8], flags: u32) -> Got<'a> {
    if h.may_have_ttls() {
        match h.expire_of(field) {
            None => return Got::Missing,
            Some(t) if t != NO_TTL && t < ks.now_ms => return expire_field(ks, db, key, h, field, flags),
            _ => {}
        }
    }
    match h.lookup(field) {
        Some((v, _)) => Got::Value(v),
        None => Got::Missing,
    }
}

#[cold]
fn expire_field<'a>(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash, field: &[u8], flags: u32) -> Got<'a> {
    h.delete(field);
    ks.also_propagate(db, &[b"HDEL", key, field]);
    if flags & QUIET == 0 {
        ks.notify(db, key, Event::HExpired);
    }
    let mut got = Got::Expired;
    if h.is_empty() && flags & KEEP_HASH == 0 {
        if flags & QUIET == 0 {
            ks.notify(db, key, Event::Del);
        }
        remove_key(ks, db, key);
        got = Got::ExpiredHash;
    } else {
        refile(ks, db, key, h);
    }
    if flags & NO_SIGNAL == 0 {
        ks.signal(db, key);
    }
    got
}

/// Deletes every field of the hash whose time has passed (hashTypeExpire):
/// HDELs propagated, `hexpired` fired, the key removed (`del`) when emptied,
/// at most `max` fields. Returns (fields deleted, whether the key went).
pub fn expire_fields(ks: &mut Keyspace, db: usize, key: &[u8], h: &mut Hash, max: usize) -> (usize, bool) {
    let now = ks.now_ms;
    let mut gone: Vec<Vec<u8>> = Vec::new();
    let n = h.expire_due(now, max, |f| gone.push(f.to_vec()));
    if n == 0 {
        refile(ks, db, key, h);
        return (0, false);
    }
    for f in &gone {
        ks.also_propagate(db, &[b"HDEL", key, f]);
    }
    ks.notify(db, key, Event::HExpired);
    let removed = h.is_empty();
    if removed {
        remove_key(ks, db, key);
        ks.notify(db, key, Event::Del);
    } else {
        refile(ks, db, key, h);
    }
    ks.signal(db, key);
    (n, removed)
}
