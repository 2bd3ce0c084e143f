//! The value model: one `Value` variant per encoding, grouped by `Kind` (the
//! type, numbered as Redis's OBJ_* / RDB types). Matches over them are
//! exhaustive, so a new type or encoding fails to compile wherever it is not
//! handled yet. Each type's semantics live in its own module (t_string.rs, ...).
use crate::sbytes::SBytes;

#[derive(Clone)]
pub enum Value {
    /// An integer-encoded string (OBJECT ENCODING `int`).
    Int(i64),
    /// A string as SET creates it (`embstr` up to 44 bytes, `raw` above).
    Str(SBytes),
    /// A string grown in place by APPEND/SETRANGE (always `raw`).
    Raw(Box<Vec<u8>>),
    /// A list (t_list.rs owns its encodings: listpack, quicklist).
    List(Box<crate::t_list::List>),
    /// A set (t_set.rs: intset, listpack, hashtable).
    Set(Box<crate::t_set::Set>),
    /// A sorted set (t_zset.rs: listpack, skiplist). Not boxed: 16 bytes (a
    /// thin listpack or a box, and the tag) fit beside the niche of `Str`, so a
    /// small sorted set costs its listpack alone, as Redis's robj does.
    ZSet(crate::t_zset::ZSet),
    /// A hash (t_hash.rs: listpack, hashtable; field TTLs). Not boxed, as ZSet.
    Hash(crate::t_hash::Hash),
    /// A stream (t_stream.rs: listpack nodes indexed by master ID, consumer groups).
    Stream(Box<crate::t_stream::Stream>),
}

/// The types, numbered as Redis numbers them (OBJ_STRING = 0, OBJ_LIST = 1,
/// OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_MODULE = 5, OBJ_STREAM = 6);
/// the data types issue adds the others.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    String = 0,
    List = 1,
    Set = 2,
    ZSet = 3,
    Hash = 4,
    Stream = 6,
}

impl Kind {
    /// The name TYPE answers.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Stream => "stream",
        }
    }
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Hash(_) => Kind::Hash,
            Value::Stream(_) => Kind::Stream,
        }
    }
    pub fn type_name(&self) -> &'static str {
        self.kind().name()
    }
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= 44 => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Stream(x) => x.encoding(),
        }
    }

    /// Mixes a collection's contents into `digest` as Redis's xorObjectDigest
    /// does (strings are mixed by digest.rs itself).
    pub fn digest_contents(&self, digest: &mut crate::digest::Digest) {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => {}
            Value::List(l) => l.digest(digest),
            Value::Set(s) => s.digest(digest),
            Value::ZSet(z) => z.digest(digest),
            Value::Hash(h) => h.digest(digest),
            Value::Stream(x) => x.digest(digest),
        }
    }

    /// The work freeing this value takes, as Redis's lazyfreeGetFreeEffort
    /// counts it (elements or nodes; 1 for a string): above 64 it is freed by
    /// the lazyfree thread.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => 1,
            Value::List(l) => l.free_effort(),
            Value::Set(s) => s.free_effort(),
            Value::ZSet(z) => z.free_effort(),
            Value::Hash(h) => h.free_effort(),
            Value::Stream(x) => x.free_effort(),
        }
    }
}
