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
}

/// The types, numbered as Redis numbers them (OBJ_STRING = 0, OBJ_LIST = 1,
/// OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_MODULE = 5, OBJ_STREAM = 6);
/// the data types issue adds the others.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    String = 0,
}

impl Kind {
    /// The name TYPE answers.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
        }
    }
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => Kind::String,
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
        }
    }
}
