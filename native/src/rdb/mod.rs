//! The RDB codec in Redis's format (rdb.c): the file (`save_file`,
//! `load_file`), one value (DUMP/RESTORE payloads, `dump`), and the pieces
//! the AOF's RDB preamble reuses. Writes what Redis 7.2 writes, as RDB
//! version 10 so that Redis 7.0 loads it too: a listpack set (version 11's
//! type) goes out as a plain set, which Redis 7.2 loads back as a listpack,
//! and a stream as version 10's type unless a consumer's active time differs
//! from its seen time (then 11). Version 12 (Redis 7.4) only when a hash has
//! field TTLs. Reads
//! every version up to 12 with every encoding Redis 7.x still loads, converting old
//! encodings to ours at Redis's thresholds. Loading validates everything
//! (as Redis's deep sanitization): a bad file is an error, never a panic
//! or a partial dataset.
pub mod crc64;
pub mod encode;
pub mod decode;
pub mod save;
pub mod load;
mod load_value;
mod load_stream;
mod legacy;
pub mod dump;
pub mod migrate;
pub mod background;
pub mod insist;

/// The version this writer produces without field TTLs (Redis 7.0's; 7.2 and 7.4 load it).
pub const RDB_VERSION: u16 = 10;
/// With a stream consumer's active time (RDB_TYPE_STREAM_LISTPACKS_3, Redis 7.2).
pub const RDB_VERSION_7_2: u16 = 11;
/// With hashes that have field TTLs (Redis 7.4).
pub const RDB_VERSION_HFE: u16 = 12;
/// The newest version the loader accepts.
pub const RDB_VERSION_MAX: u16 = 12;

// Length encodings (rdb.h).
pub const LEN_32BIT: u8 = 0x80;
pub const LEN_64BIT: u8 = 0x81;
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

// Value types (rdb.h RDB_TYPE_*).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE_PRE_GA: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_SET_LISTPACK: u8 = 20;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;
pub const TYPE_HASH_METADATA_PRE_GA: u8 = 22;
pub const TYPE_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
pub const TYPE_HASH_METADATA: u8 = 24;
pub const TYPE_HASH_LISTPACK_EX: u8 = 25;

// Opcodes.
pub const OP_SLOT_INFO: u8 = 244;
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION_PRE_GA: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

/// Quicklist node containers (quicklist.h).
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

/// Whether `t` is a value type this loader knows (rdbIsObjectType).
pub fn is_object_type(t: u8) -> bool {
    t <= 7 || (9..=25).contains(&t)
}

/// A load error: what was wrong, in words for the log and the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Error {
        Error(msg.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The module that wrote a module type id (moduleTypeNameByID): its 9
/// characters of name, from the 54 bits above the 10-bit encoding version.
pub fn module_name(id: u64) -> String {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut name = [0u8; 9];
    let mut v = id >> 10;
    for j in (0..9).rev() {
        name[j] = CHARSET[(v & 63) as usize];
        v >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

#[cfg(test)]
mod tests;
