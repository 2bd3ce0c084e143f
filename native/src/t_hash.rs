//! The hash type (Redis's t_hash.c): a listpack of field/value pairs while
//! small, a hash table past `hash-max-listpack-entries` / `-value`; with field
//! TTLs (Redis 7.4) a small hash becomes a `listpackex` (field, value, expire
//! triplets ordered by expire, 0 for none, as Redis lays them out) and a large
//! one keeps its TTLs beside the table (table.rs). A hash without field TTLs
//! carries nothing for them.
//!
//! The commands are in commands.rs (Redis 7.2's) and field_expire.rs (the field
//! TTL commands, lazy and active expiry of fields, and the per-db index of
//! hashes by their earliest field expire).
use crate::command::Cmd;
use crate::digest::{mix_digest, xor_digest, Digest};
use crate::listpack::{Listpack, LpEntry};

mod access;
mod commands;
pub mod field_expire;
mod table;

pub use field_expire::FieldExpires;
pub use table::Table;

/// hash-max-listpack-entries (config.rs).
#[inline]
fn max_entries() -> usize {
    crate::config::get().hash_max_listpack_entries as usize
}
/// hash-max-listpack-value.
#[inline]
fn max_value() -> usize {
    crate::config::get().hash_max_listpack_value as usize
}

/// A listpack may not grow past this (Redis's LISTPACK_MAX_SAFETY_SIZE).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;
/// The expire of a field without one, as a listpackex stores it (HASH_LP_NO_TTL).
pub const NO_TTL: i64 = 0;

#[derive(Clone)]
pub struct Hash {
    enc: Enc,
}

#[derive(Clone)]
enum Enc {
    /// field, value, field, value, ...
    Listpack(Listpack),
    /// field, value, expire triplets, ordered by expire with NO_TTL last.
    ListpackEx(Box<ListpackEx>),
    Table(Box<Table>),
}

#[derive(Clone)]
struct ListpackEx {
    lp: Listpack,
    /// The expire this hash is filed under in its db's index (FieldExpires), NO_TTL if none.
    filed: i64,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

/// The value of a field as stored: listpack entries may be integers.
pub type FieldValue<'a> = LpEntry<'a>;

/// Finds `field` among the fields of a listpack of `width`-entry tuples.
#[inline]
fn lp_find(lp: &Listpack, field: &[u8], width: usize) -> Option<usize> {
    lp.first().and_then(|p| lp.find(p, field, width - 1))
}

/// The expire stored in a listpackex triplet's third entry.
#[inline]
fn lp_ttl(lp: &Listpack, p: usize) -> i64 {
    lp.get(p).as_i64().unwrap_or(NO_TTL)
}

impl ListpackEx {
    /// Adds a triplet at its place in expire order (listpackExAddInternal).
    fn add(&mut self, field: &[u8], value: &[u8], ttl: i64) {
        let lp = &mut self.lp;
        let mut before = None;
        if ttl != NO_TTL {
            let mut p = lp.first();
            while let Some(f) = p {
                let t = lp.next(lp.next(f).unwrap()).unwrap();
                let tt = lp_ttl(lp, t);
                if tt == NO_TTL || tt >= ttl {
                    before = Some(f);
                    break;
                }
                p = lp.next(t);
            }
        }
        match before {
            Some(f) => {
                let q = lp.insert(f, field, false);
                let q = lp.insert(q, value, true);
                let mut b = [0u8; 20];
                let n = crate::util::fmt_i64(ttl, &mut b);
                lp.insert(q, &b[..n], true);
            }
            None => {
                lp.push_back(field);
                lp.push_back(value);
                lp.push_back_i64(ttl);
            }
        }
    }

    /// Moves the triplet at `f` to the place of expire `ttl` (listpackExUpdateExpiry).
    fn set_ttl_at(&mut self, f: usize, ttl: i64) {
        let field = self.lp.get(f).to_vec();
        let value = self.lp.get(self.lp.next(f).unwrap()).to_vec();
        for _ in 0..3 {
            self.lp.delete(f);
        }
        self.add(&field, &value, ttl);
    }

    fn min_expire(&self) -> i64 {
        self.lp.seek(2).map(|p| lp_ttl(&self.lp, p)).unwrap_or(NO_TTL)
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash { enc: Enc::Listpack(Listpack::new()) }
    }

    /// The name OBJECT ENCODING answers (Redis 7.4's `listpackex` once a small hash has had field TTLs).
    pub fn encoding(&self) -> &'static str {
        match &self.enc {
            Enc::Listpack(_) => "listpack",
            Enc::ListpackEx(_) => "listpackex",
            Enc::Table(_) => "hashtable",
        }
    }

    /// A small hash's listpack as it is stored, and whether it holds
    /// field, value, expire triplets (the RDB saves it whole).
    pub fn listpack(&self) -> Option<(&Listpack, bool)> {
        match &self.enc {
            Enc::Listpack(lp) => Some((lp, false)),
            Enc::ListpackEx(x) => Some((&x.lp, true)),
            Enc::Table(_) => None,
        }
    }

    /// The encoding's parts with the size of the box each one lives in, if
    /// any (MEMORY USAGE walks their allocations).
    pub fn layout(&self) -> (Option<&Listpack>, Option<&Table>, usize) {
        match &self.enc {
            Enc::Listpack(lp) => (Some(lp), None, 0),
            Enc::ListpackEx(x) => (Some(&x.lp), None, std::mem::size_of::<ListpackEx>()),
            Enc::Table(t) => (None, Some(t), std::mem::size_of::<Table>()),
        }
    }

    /// A hash of a listpack as the RDB holds it (pairs, or triplets ordered
    /// by expire), filed under its earliest field expire: the loader
    /// validated it.
    pub fn from_listpack(lp: Listpack, triplets: bool) -> Hash {
        let mut h = Hash {
            enc: if triplets { Enc::ListpackEx(Box::new(ListpackEx { lp, filed: NO_TTL })) } else { Enc::Listpack(lp) },
        };
        h.set_filed(h.min_expire());
        h
    }

    /// An empty hash table encoded hash the loader fills with `insert_loaded`.
    pub fn new_table() -> Hash {
        Hash { enc: Enc::Table(Box::new(Table::new())) }
    }

    /// Adds a field known to be new to a table (the loader checks duplicates);
    /// `done_loading` files the hash once every field is in.
    pub fn insert_loaded(&mut self, field: &[u8], value: &[u8], ttl: i64) {
        if let Enc::Table(t) = &mut self.enc {
            t.insert_new(field, value, ttl);
        }
    }

    /// Files a loaded hash under its earliest field expire.
    pub fn done_loading(&mut self) {
        let m = self.min_expire();
        self.set_filed(m);
    }

    /// Fields, expired ones not yet deleted included (hashTypeLength(o, 0)).
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::ListpackEx(x) => x.lp.len() / 3,
            Enc::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether some field may have a TTL (a listpackex, or a table that has had one).
    #[inline]
    pub fn may_have_ttls(&self) -> bool {
        match &self.enc {
            Enc::Listpack(_) => false,
            Enc::ListpackEx(_) => true,
            Enc::Table(t) => t.has_ttls(),
        }
    }

    /// The earliest field expire, NO_TTL when no field has one.
    pub fn min_expire(&self) -> i64 {
        match &self.enc {
            Enc::Listpack(_) => NO_TTL,
            Enc::ListpackEx(x) => x.min_expire(),
            Enc::Table(t) => t.min_expire(),
        }
    }

    /// The expire this hash is filed under in the db's index (NO_TTL: not filed).
    pub(crate) fn filed(&self) -> i64 {
        match &self.enc {
            Enc::Listpack(_) => NO_TTL,
            Enc::ListpackEx(x) => x.filed,
            Enc::Table(t) => t.filed(),
        }
    }

    fn set_filed(&mut self, when: i64) {
        match &mut self.enc {
            Enc::Listpack(_) => debug_assert_eq!(when, NO_TTL),
            Enc::ListpackEx(x) => x.filed = when,
            Enc::Table(t) => t.set_filed(when),
        }
    }

    /// The value of `field` and its expire (NO_TTL for none), expired or not.
    pub fn lookup(&self, field: &[u8]) -> Option<(FieldValue<'_>, i64)> {
        match &self.enc {
            Enc::Listpack(lp) => {
                let f = lp_find(lp, field, 2)?;
                Some((lp.get(lp.next(f)?), NO_TTL))
            }
            Enc::ListpackEx(x) => {
                let lp = &x.lp;
                let f = lp_find(lp, field, 3)?;
                let v = lp.next(f)?;
                Some((lp.get(v), lp_ttl(lp, lp.next(v)?)))
            }
            Enc::Table(t) => t.lookup(field).map(|(v, ttl)| (LpEntry::Str(v), ttl)),
        }
    }

    /// The expire of `field` (NO_TTL for none), None when there is no such field.
    pub fn expire_of(&self, field: &[u8]) -> Option<i64> {
        match &self.enc {
            Enc::Table(t) => t.expire_of(field),
            _ => self.lookup(field).map(|(_, t)| t),
        }
    }

    /// The value of a live field (`get` for other types' commands: SORT BY/GET).
    pub fn get(&self, field: &[u8]) -> Option<Vec<u8>> {
        let now = crate::keyspace::now_ms();
        match self.lookup(field)? {
            (_, t) if t != NO_TTL && t < now => None,
            (v, _) => Some(v.to_vec()),
        }
    }

    /// Calls `f` for every live field and its value.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        let now = crate::keyspace::now_ms();
        self.for_each_entry(|k, v, t| {
            if t == NO_TTL || t >= now {
                k.with_bytes(|k| v.with_bytes(|v| f(k, v)));
            }
        });
    }

    /// Calls `f` with every field, value and expire (NO_TTL for none), in storage order.
    pub fn for_each_entry<'a>(&'a self, mut f: impl FnMut(FieldValue<'a>, FieldValue<'a>, i64)) {
        match &self.enc {
            Enc::Listpack(lp) => {
                let mut it = lp.iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    f(k, v, NO_TTL);
                }
            }
            Enc::ListpackEx(x) => {
                let mut it = x.lp.iter();
                while let (Some(k), Some(v), Some(t)) = (it.next(), it.next(), it.next()) {
                    f(k, v, t.as_i64().unwrap_or(NO_TTL));
                }
            }
            Enc::Table(t) => t.for_each(|k, v, ttl| f(LpEntry::Str(k), LpEntry::Str(v), ttl)),
        }
    }

    /// Converts a small hash to a table when the command's arguments
    /// `args` (fields and values) would not fit it (hashTypeTryConversion).
    pub fn try_conversion(&mut self, args: &[&[u8]]) {
        let lp_bytes = match &self.enc {
            Enc::Listpack(lp) => lp.bytes_len(),
            Enc::ListpackEx(x) => x.lp.bytes_len(),
            Enc::Table(_) => return,
        };
        if args.len() / 2 > max_entries() {
            self.convert_to_table();
            return;
        }
        let mut sum = 0usize;
        for a in args {
            if a.len() > max_value() {
                self.convert_to_table();
                return;
            }
            sum += a.len();
        }
        if lp_bytes + sum > LISTPACK_MAX_SAFETY_SIZE {
            self.convert_to_table();
        }
    }

    /// Converts to the hash table encoding (the TTLs come along).
    pub fn convert_to_table(&mut self) {
        if matches!(self.enc, Enc::Table(_)) {
            return;
        }
        let filed = self.filed();
        let mut t = Table::new();
        self.for_each_entry(|k, v, ttl| k.with_bytes(|k| v.with_bytes(|v| t.insert_new(k, v, ttl))));
        t.set_filed(filed);
        self.enc = Enc::Table(Box::new(t));
    }

    /// A listpack becomes a listpackex before its first field TTL.
    pub(super) fn make_ttl_capable(&mut self) {
        if let Enc::Listpack(lp) = &self.enc {
            let mut x = Listpack::new();
            let mut it = lp.iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                k.with_bytes(|k| x.push_back(k));
                v.with_bytes(|v| x.push_back(v));
                x.push_back_i64(NO_TTL);
            }
            self.enc = Enc::ListpackEx(Box::new(ListpackEx { lp: x, filed: NO_TTL }));
        }
    }

    /// Sets `field` to `value` (hashTypeSet); true when the field existed. Its
    /// TTL is dropped unless `keep_ttl`. Converts to a table past the limits.
    pub fn set(&mut self, field: &[u8], value: &[u8], keep_ttl: bool) -> bool {
        if !matches!(self.enc, Enc::Table(_)) && (field.len() > max_value() || value.len() > max_value()) {
            self.convert_to_table();
        }
        let updated = match &mut self.enc {
            Enc::Listpack(lp) => match lp_find(lp, field, 2) {
                Some(f) => {
                    let v = lp.next(f).unwrap();
                    lp.replace(v, value);
                    true
                }
                None => {
                    lp.push_back(field);
                    lp.push_back(value);
                    false
                }
            },
            Enc::ListpackEx(x) => match lp_find(&x.lp, field, 3) {
                Some(f) => {
                    let v = x.lp.next(f).unwrap();
                    let v = x.lp.replace(v, value);
                    let ttl = lp_ttl(&x.lp, x.lp.next(v).unwrap());
                    if !keep_ttl && ttl != NO_TTL {
                        x.set_ttl_at(f, NO_TTL);
                    }
                    true
                }
                None => {
                    x.add(field, value, NO_TTL);
                    false
                }
            },
            Enc::Table(t) => return t.set(field, value, keep_ttl),
        };
        if self.len() > max_entries() {
            self.convert_to_table();
        }
        updated
    }

    /// Deletes `field`; true if it was there.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Listpack(lp) => match lp_find(lp, field, 2) {
                Some(f) => {
                    lp.delete(f);
                    lp.delete(f);
                    true
                }
                None => false,
            },
            Enc::ListpackEx(x) => match lp_find(&x.lp, field, 3) {
                Some(f) => {
                    for _ in 0..3 {
                        x.lp.delete(f);
                    }
                    true
                }
                None => false,
            },
            Enc::Table(t) => t.remove(field),
        }
    }

    /// Sets the expire of an existing field (NO_TTL removes it); false if there is no such field.
    pub fn set_expire(&mut self, field: &[u8], when: i64) -> bool {
        if when != NO_TTL {
            self.make_ttl_capable();
        }
        match &mut self.enc {
            Enc::Listpack(lp) => lp_find(lp, field, 2).is_some(),
            Enc::ListpackEx(x) => match lp_find(&x.lp, field, 3) {
                Some(f) => {
                    let t = x.lp.next(x.lp.next(f).unwrap()).unwrap();
                    if lp_ttl(&x.lp, t) != when {
                        x.set_ttl_at(f, when);
                    }
                    true
                }
                None => false,
            },
            Enc::Table(t) => t.set_expire(field, when),
        }
    }

    /// Deletes up to `max` fields whose expire is at or before `now`, calling
    /// `gone` with each (listpackExExpire / ebExpire). Returns how many.
    pub fn expire_due(&mut self, now: i64, max: usize, mut gone: impl FnMut(&[u8])) -> usize {
        match &mut self.enc {
            Enc::Listpack(_) => 0,
            Enc::ListpackEx(x) => {
                let lp = &x.lp;
                let mut n = 0;
                let mut p = lp.first();
                while let Some(f) = p {
                    if n >= max {
                        break;
                    }
                    let t = lp.next(lp.next(f).unwrap()).unwrap();
                    let ttl = lp_ttl(lp, t);
                    if ttl == NO_TTL || ttl > now {
                        break;
                    }
                    lp.get(f).with_bytes(&mut gone);
                    n += 1;
                    p = lp.next(t);
                }
                if n > 0 {
                    x.lp.delete_range(0, n * 3);
                }
                n
            }
            Enc::Table(t) => t.expire_due(now, max, gone),
        }
    }

    /// Fields whose expire is before `now` (listpackExExpireDryRun / ebExpireDryRun).
    pub fn count_expired(&self, now: i64) -> usize {
        if !self.may_have_ttls() {
            return 0;
        }
        let mut n = 0;
        self.for_each_entry(|_, _, t| {
            if t != NO_TTL && t < now {
                n += 1;
            }
        });
        n
    }

    /// The field/value at position `i` of the storage order (listpack encodings).
    fn lp_pair(&self, i: usize) -> Option<(FieldValue<'_>, FieldValue<'_>)> {
        let (lp, width) = match &self.enc {
            Enc::Listpack(lp) => (lp, 2),
            Enc::ListpackEx(x) => (&x.lp, 3),
            Enc::Table(_) => return None,
        };
        let f = lp.seek((i * width) as i64)?;
        Some((lp.get(f), lp.get(lp.next(f)?)))
    }

    /// The table, for the commands that walk it (HSCAN, HRANDFIELD).
    fn table(&self) -> Option<&Table> {
        match &self.enc {
            Enc::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The table, for HRANDFIELD's draws (which move an ongoing resize on).
    fn table_mut(&mut self) -> Option<&mut Table> {
        match &mut self.enc {
            Enc::Table(t) => Some(t),
            _ => None,
        }
    }

    /// Mixes the contents into `digest` as Redis's xorObjectDigest does (7.4:
    /// a field with a TTL adds "!!hexpire!!" to its own digest).
    pub fn digest(&self, digest: &mut Digest) {
        self.for_each_entry(|k, v, ttl| {
            let mut d = [0u8; 20];
            k.with_bytes(|b| mix_digest(&mut d, b));
            v.with_bytes(|b| mix_digest(&mut d, b));
            if ttl != NO_TTL {
                xor_digest(&mut d, b"!!hexpire!!");
            }
            xor_digest(digest, &d);
        });
    }

    /// Redis's lazyfreeGetFreeEffort: the table's size, 1 for a listpack.
    pub fn free_effort(&self) -> usize {
        match &self.enc {
            Enc::Table(t) => t.len(),
            _ => 1,
        }
    }
}

/// The hash commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "hset", f: commands::hset_cmd },
    Cmd { name: "hmset", f: commands::hset_cmd },
    Cmd { name: "hsetnx", f: commands::hsetnx_cmd },
    Cmd { name: "hget", f: commands::hget_cmd },
    Cmd { name: "hmget", f: commands::hmget_cmd },
    Cmd { name: "hdel", f: commands::hdel_cmd },
    Cmd { name: "hlen", f: commands::hlen_cmd },
    Cmd { name: "hstrlen", f: commands::hstrlen_cmd },
    Cmd { name: "hexists", f: commands::hexists_cmd },
    Cmd { name: "hkeys", f: commands::hkeys_cmd },
    Cmd { name: "hvals", f: commands::hvals_cmd },
    Cmd { name: "hgetall", f: commands::hgetall_cmd },
    Cmd { name: "hincrby", f: commands::hincrby_cmd },
    Cmd { name: "hincrbyfloat", f: commands::hincrbyfloat_cmd },
    Cmd { name: "hrandfield", f: commands::hrandfield_cmd },
    Cmd { name: "hscan", f: commands::hscan_cmd },
    Cmd { name: "hexpire", f: field_expire::hexpire_cmd },
    Cmd { name: "hpexpire", f: field_expire::hpexpire_cmd },
    Cmd { name: "hexpireat", f: field_expire::hexpireat_cmd },
    Cmd { name: "hpexpireat", f: field_expire::hpexpireat_cmd },
    Cmd { name: "httl", f: field_expire::httl_cmd },
    Cmd { name: "hpttl", f: field_expire::hpttl_cmd },
    Cmd { name: "hexpiretime", f: field_expire::hexpiretime_cmd },
    Cmd { name: "hpexpiretime", f: field_expire::hpexpiretime_cmd },
    Cmd { name: "hpersist", f: field_expire::hpersist_cmd },
    Cmd { name: "hgetdel", f: field_expire::hgetdel_cmd },
    Cmd { name: "hgetex", f: field_expire::hgetex_cmd },
    Cmd { name: "hsetex", f: field_expire::hsetex_cmd },
];

#[cfg(test)]
mod tests;
