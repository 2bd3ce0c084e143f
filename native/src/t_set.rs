//! The set type (Redis's t_set.c): three encodings and the conversions
//! between them, exactly as Redis 7.2 makes them, so OBJECT ENCODING and the
//! order of small sets' replies match:
//! - intset: only integers, sorted (up to `set-max-intset-entries`);
//! - listpack: small sets in insertion order (`set-max-listpack-entries`,
//!   `set-max-listpack-value`);
//! - hashtable: everything else. No set ever converts back, except the
//!   result of SINTERSTORE (all integers: an intset again).
//!
//! The commands are in t_set/commands.rs, the set algebra (SINTER, SUNION,
//! SDIFF and their STORE forms) in t_set/algebra.rs.
use crate::dict::Dict;
use crate::digest::{xor_digest, Digest};
use crate::intset::Intset;
use crate::listpack::{Listpack, LpEntry};
use crate::sbytes::SBytes;
use crate::util::parse_i64;

mod algebra;
mod commands;
mod random;

pub use commands::COMMANDS;

/// An element as the encodings hold it: an integer (intset, listpack) or bytes.
pub type Elem<'a> = LpEntry<'a>;

/// set-max-intset-entries, capped at 2^30 as Redis's intsetMaxEntries.
fn intset_max() -> usize {
    (crate::config::get().set_max_intset_entries.max(0) as usize).min(1 << 30)
}
/// set-max-listpack-entries.
fn listpack_max_entries() -> usize {
    crate::config::get().set_max_listpack_entries.max(0) as usize
}
/// set-max-listpack-value.
fn listpack_max_value() -> usize {
    crate::config::get().set_max_listpack_value.max(0) as usize
}

/// A listpack may not grow past 1 GB (Redis's lpSafeToAdd).
fn listpack_safe(current: usize, add: usize) -> bool {
    current + add <= 1 << 30
}

/// Bytes of a listpack of `n` copies of integer `v` (lpEstimateBytesRepeatedInteger).
fn listpack_estimate_ints(v: i64, n: usize) -> usize {
    let data = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        9
    };
    6 + n * (data + 1) + 1
}

/// Characters of `v` in decimal, sign included (sdigits10).
fn digits10(v: i64) -> usize {
    crate::util::i64_len(v)
}

pub enum Set {
    Intset(Intset),
    Listpack(Listpack),
    /// Boxed: the table is large, and most sets are small (a Set is 24 bytes).
    Table(Box<Dict<()>>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Intset::new())
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match self {
            Set::Intset(i) => Set::Intset(i.clone()),
            Set::Listpack(l) => Set::Listpack(l.clone()),
            Set::Table(d) => {
                let mut t = Dict::new();
                for (k, _) in d.iter() {
                    t.insert_new(k.clone(), ());
                }
                Set::Table(Box::new(t))
            }
        }
    }
}

impl Set {
    /// A new empty set that can hold `first` with about `size_hint` elements
    /// (Redis's setTypeCreate).
    pub fn create(first: &[u8], size_hint: usize) -> Set {
        if parse_i64(first).is_some() && size_hint <= intset_max() {
            Set::Intset(Intset::new())
        } else if size_hint <= listpack_max_entries() {
            Set::Listpack(Listpack::new())
        } else {
            Set::Table(Box::default())
        }
    }

    /// A set loaded from a plain RDB set, as a listpack of its members in file
    /// order, when Redis's loader would give exactly that: the first member is
    /// not an integer (an intset would come first, its members sorted) and all
    /// fit the listpack limits. None otherwise (the set is then built member by
    /// member). Duplicates are the caller's to check.
    pub fn loaded_listpack<T: AsRef<[u8]>>(items: &[T]) -> Option<Set> {
        let n = items.len();
        let first = items.first()?.as_ref();
        let maxv = listpack_max_value();
        let mut bytes = 0usize;
        for v in items {
            let len = v.as_ref().len();
            if len > maxv {
                return None;
            }
            bytes += len;
        }
        let fits = n <= intset_max() && n <= listpack_max_entries() && listpack_safe(0, bytes);
        (fits && parse_i64(first).is_none()).then(|| Set::Listpack(Listpack::of_items(items)))
    }

    /// An empty set for results built element by element (createIntsetObject).
    pub fn new_intset() -> Set {
        Set::Intset(Intset::new())
    }

    /// An empty listpack set (createSetListpackObject).
    pub fn new_listpack() -> Set {
        Set::Listpack(Listpack::new())
    }

    /// Converts to a hash table ahead of adding about `size_hint` elements
    /// when the current encoding could not hold them (setTypeMaybeConvert).
    pub fn maybe_convert(&mut self, size_hint: usize) {
        let convert = match self {
            Set::Listpack(_) => size_hint > listpack_max_entries(),
            Set::Intset(_) => size_hint > intset_max(),
            Set::Table(_) => false,
        };
        if convert {
            self.convert_to_table();
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Listpack(_) => "listpack",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(i) => i.len(),
            Set::Listpack(l) => l.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements in the encoding's order (intset ascending, listpack as
    /// inserted, hash table in bucket order), as Redis's setTypeNext yields them.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Elem<'_>> + '_> {
        match self {
            Set::Intset(i) => Box::new(i.iter().map(LpEntry::Int)),
            Set::Listpack(l) => Box::new(l.iter()),
            Set::Table(d) => Box::new(d.iter().map(|(k, _)| LpEntry::Str(k.as_slice()))),
        }
    }

    /// Calls `f` with each element as a string.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        for e in self.iter() {
            e.with_bytes(&mut f);
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.contains_elem(LpEntry::Str(m))
    }

    /// Membership of an element given as an integer or as bytes (setTypeIsMemberAux).
    pub fn contains_elem(&self, e: Elem) -> bool {
        match (self, e) {
            (Set::Intset(i), LpEntry::Int(v)) => i.contains(v),
            (Set::Intset(i), LpEntry::Str(s)) => parse_i64(s).is_some_and(|v| i.contains(v)),
            (Set::Listpack(l), e) => l.first().is_some_and(|p| e.with_bytes(|b| l.find(p, b, 0).is_some())),
            (Set::Table(d), e) => e.with_bytes(|b| d.get(b).is_some()),
        }
    }

    pub fn add(&mut self, m: &[u8]) -> bool {
        self.add_elem(LpEntry::Str(m))
    }

    /// Adds an element given as an integer or as bytes, converting the
    /// encoding where Redis 7.2 does (setTypeAddAux). True if it was new.
    pub fn add_elem(&mut self, e: Elem) -> bool {
        match self {
            Set::Intset(is) => {
                let as_int = match e {
                    LpEntry::Int(v) => Some(v),
                    LpEntry::Str(s) => parse_i64(s),
                };
                if let Some(v) = as_int {
                    if !is.add(v) {
                        return false;
                    }
                    if is.len() > intset_max() {
                        self.convert_to_table();
                    }
                    return true;
                }
                let LpEntry::Str(s) = e else { unreachable!() };
                // A string joins an intset: a listpack if the integers and
                // the string all fit one, else a hash table.
                let n = is.len();
                let (mut widest, mut bytes) = (0, 0);
                if let (Some(lo), Some(hi)) = (is.min(), is.max()) {
                    widest = digits10(lo).max(digits10(hi));
                    bytes = listpack_estimate_ints(lo, n).max(listpack_estimate_ints(hi, n));
                }
                let maxv = listpack_max_value();
                if n < listpack_max_entries() && s.len() <= maxv && widest <= maxv && listpack_safe(0, bytes + s.len()) {
                    self.convert_to_listpack();
                } else {
                    self.convert_to_table();
                }
                self.insert_new(s);
                true
            }
            Set::Listpack(lp) => {
                let found = lp.first().is_some_and(|p| e.with_bytes(|b| lp.find(p, b, 0).is_some()));
                if found {
                    return false;
                }
                let len = e.with_bytes(|b| b.len());
                if lp.len() < listpack_max_entries() && len <= listpack_max_value() && listpack_safe(lp.bytes_len(), len) {
                    match e {
                        LpEntry::Int(v) => lp.push_back_i64(v),
                        LpEntry::Str(s) => lp.push_back(s),
                    }
                } else {
                    self.convert_to_table();
                    e.with_bytes(|b| self.insert_new(b));
                }
                true
            }
            Set::Table(d) => e.with_bytes(|b| {
                if d.get(b).is_some() {
                    false
                } else {
                    d.insert_new(SBytes::new(b), ());
                    true
                }
            }),
        }
    }

    /// Adds a string known to be absent to a listpack or hash table set.
    fn insert_new(&mut self, s: &[u8]) {
        match self {
            Set::Listpack(lp) => lp.push_back(s),
            Set::Table(d) => d.insert_new(SBytes::new(s), ()),
            Set::Intset(_) => unreachable!("a string in an intset"),
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        self.remove_elem(LpEntry::Str(m))
    }

    /// Removes an element given as an integer or as bytes (setTypeRemoveAux).
    pub fn remove_elem(&mut self, e: Elem) -> bool {
        match self {
            Set::Intset(is) => match e {
                LpEntry::Int(v) => is.remove(v),
                LpEntry::Str(s) => parse_i64(s).is_some_and(|v| is.remove(v)),
            },
            Set::Listpack(lp) => {
                let Some(p) = lp.first().and_then(|p| e.with_bytes(|b| lp.find(p, b, 0))) else { return false };
                lp.delete(p);
                true
            }
            Set::Table(d) => e.with_bytes(|b| d.remove(b).is_some()),
        }
    }

    /// Rebuilds the set as a hash table (setTypeConvert to OBJ_ENCODING_HT).
    pub fn convert_to_table(&mut self) {
        if matches!(self, Set::Table(_)) {
            return;
        }
        let mut d = Dict::new();
        for e in self.iter() {
            // A listpack restored without deep sanitization may repeat a member: one entry for it.
            e.with_bytes(|b| {
                let _ = d.insert_absent_if(b, (), |_, _| true);
            });
        }
        *self = Set::Table(Box::new(d));
    }

    /// Rebuilds the set as a listpack (setTypeConvert to OBJ_ENCODING_LISTPACK).
    fn convert_to_listpack(&mut self) {
        let mut lp = Listpack::new();
        for e in self.iter() {
            match e {
                LpEntry::Int(v) => lp.push_back_i64(v),
                LpEntry::Str(s) => lp.push_back(s),
            }
        }
        *self = Set::Listpack(lp);
    }

    /// Rebuilds a set known to hold only integers as an intset, if it is
    /// small enough (maybeConvertToIntset).
    fn maybe_convert_to_intset(&mut self) {
        if matches!(self, Set::Intset(_)) || self.len() > intset_max() {
            return;
        }
        let mut is = Intset::new();
        for e in self.iter() {
            let v = e.as_i64().expect("an integer-only set");
            is.add(v);
        }
        *self = Set::Intset(is);
    }

    /// Mixes the contents into `digest` as Redis's xorObjectDigest does:
    /// each element's SHA1 xored in, so the encoding and order do not matter.
    pub fn digest(&self, digest: &mut Digest) {
        for e in self.iter() {
            e.with_bytes(|b| xor_digest(digest, b));
        }
    }

    /// Redis's lazyfreeGetFreeEffort: the element count of a hash table, else 1.
    pub fn free_effort(&self) -> usize {
        match self {
            Set::Table(d) => d.len(),
            _ => 1,
        }
    }

    /// The serialized intset or listpack (RDB), None for a hash table.
    pub fn compact_bytes(&self) -> Option<&[u8]> {
        match self {
            Set::Intset(i) => Some(i.as_bytes()),
            Set::Listpack(l) => Some(l.as_bytes()),
            Set::Table(_) => None,
        }
    }
}

#[cfg(test)]
mod tests;
