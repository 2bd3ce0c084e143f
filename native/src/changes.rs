//! The change record (the engine's half of Redis's signalModifiedKey,
//! notifyKeyspaceEvent and flush/swap signals): while someone listens, every
//! key change a command makes is recorded here, with the keyspace event Redis
//! fires for it, and TypeScript drains the record once per command
//! (src/server/write-path.ts). The dirty count (server.dirty) is kept always.
use crate::sbytes::SBytes;

/// notify-keyspace-events classes, by the letter that enables each.
pub mod class {
    pub const GENERIC: u8 = b'g';
    pub const STRING: u8 = b'$';
    pub const LIST: u8 = b'l';
    pub const SET: u8 = b's';
    pub const HASH: u8 = b'h';
    pub const ZSET: u8 = b'z';
    pub const EXPIRED: u8 = b'x';
    pub const EVICTED: u8 = b'e';
    pub const STREAM: u8 = b't';
    pub const KEY_MISS: u8 = b'm';
    pub const NEW: u8 = b'n';
}

/// Declares the events: each with Redis's name and its class. Families add theirs here.
macro_rules! events {
    ($($variant:ident = $name:literal, $class:ident;)*) => {
        /// A keyspace event, as Redis names it.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        pub enum Event { $($variant,)* }
        /// Every event's name and class, indexed by `Event as usize` (TypeScript reads this table once).
        pub const EVENTS: &[(&str, u8)] = &[$(($name, class::$class),)*];
    };
}

events! {
    New = "new", NEW;
    Set = "set", STRING;
    Expire = "expire", GENERIC;
    Del = "del", GENERIC;
    Persist = "persist", GENERIC;
    RenameFrom = "rename_from", GENERIC;
    RenameTo = "rename_to", GENERIC;
    MoveFrom = "move_from", GENERIC;
    MoveTo = "move_to", GENERIC;
    CopyTo = "copy_to", GENERIC;
    Restore = "restore", GENERIC;
    IncrBy = "incrby", STRING;
    IncrByFloat = "incrbyfloat", STRING;
    Append = "append", STRING;
    SetRange = "setrange", STRING;
    Expired = "expired", EXPIRED;
    Evicted = "evicted", EVICTED;
    KeyMiss = "keymiss", KEY_MISS;
    // The data types' events (Redis's names, per family).
    LPush = "lpush", LIST;
    RPush = "rpush", LIST;
    LPop = "lpop", LIST;
    RPop = "rpop", LIST;
    LInsert = "linsert", LIST;
    LSet = "lset", LIST;
    LRem = "lrem", LIST;
    LTrim = "ltrim", LIST;
    SortStore = "sortstore", LIST;
    HSet = "hset", HASH;
    HDel = "hdel", HASH;
    HIncrBy = "hincrby", HASH;
    HIncrByFloat = "hincrbyfloat", HASH;
    HExpire = "hexpire", HASH;
    HExpired = "hexpired", HASH;
    HPersist = "hpersist", HASH;
    SAdd = "sadd", SET;
    SRem = "srem", SET;
    SPop = "spop", SET;
    SInterStore = "sinterstore", SET;
    SUnionStore = "sunionstore", SET;
    SDiffStore = "sdiffstore", SET;
    ZAdd = "zadd", ZSET;
    ZIncr = "zincr", ZSET;
    ZRem = "zrem", ZSET;
    ZRemRangeByRank = "zremrangebyrank", ZSET;
    ZRemRangeByScore = "zremrangebyscore", ZSET;
    ZRemRangeByLex = "zremrangebylex", ZSET;
    ZInterStore = "zinterstore", ZSET;
    ZUnionStore = "zunionstore", ZSET;
    ZDiffStore = "zdiffstore", ZSET;
    ZRangeStore = "zrangestore", ZSET;
    ZPopMin = "zpopmin", ZSET;
    ZPopMax = "zpopmax", ZSET;
    GeoSearchStore = "geosearchstore", ZSET;
    GeoRadiusStore = "georadiusstore", ZSET;
    SetBit = "setbit", STRING;
    PfAdd = "pfadd", STRING;
    XAdd = "xadd", STREAM;
    XDel = "xdel", STREAM;
    XTrim = "xtrim", STREAM;
    XSetId = "xsetid", STREAM;
    XGroupCreate = "xgroup-create", STREAM;
    XGroupSetId = "xgroup-setid", STREAM;
    XGroupDestroy = "xgroup-destroy", STREAM;
    XGroupCreateConsumer = "xgroup-createconsumer", STREAM;
    XGroupDelConsumer = "xgroup-delconsumer", STREAM;
}

/// No event: a record that only signals a modified key.
pub const NO_EVENT: u8 = 255;

/// One recorded change.
pub enum Change {
    /// A key: `event` fired (or NO_EVENT) and/or the key was modified (WATCH, tracking).
    Key { db: u32, key: SBytes, event: u8, modified: bool },
    /// A db was emptied (-1: all of them).
    Flushed { db: i32 },
    /// SWAPDB a b.
    Swapped { a: u32, b: u32 },
    /// What the command propagates instead of its argv (Redis's alsoPropagate
    /// with the command's own propagation prevented): SPOP as SREM, a served
    /// BLPOP as LPOP, HINCRBYFLOAT as HSET, ... One command may record several.
    Propagate { db: u32, argv: Vec<Vec<u8>> },
}

/// Record kinds on the wire to TypeScript (see `encode`).
pub const REC_KEY: u8 = 0;
pub const REC_KEY_MODIFIED: u8 = 1;
pub const REC_FLUSHED: u8 = 2;
pub const REC_SWAPPED: u8 = 3;
pub const REC_PROPAGATE: u8 = 4;

/// At most this many records wait: a listener that stopped draining must not grow memory without bound.
pub const MAX_RECORDS: usize = 1 << 20;

impl Change {
    /// Bytes `encode` writes: a 12-byte header (kind u8, event u8, 2 spare, u32 LE, u32 LE) and the key.
    pub fn encoded_len(&self) -> usize {
        12 + match self {
            Change::Key { key, .. } => key.len(),
            Change::Propagate { argv, .. } => argv.iter().map(|a| 4 + a.len()).sum(),
            _ => 0,
        }
    }

    /// Header: kind, event, then db and key length (Key), db (Flushed, as i32),
    /// a and b (Swapped), db and argc (Propagate, then each argument as a u32 LE
    /// length and its bytes).
    pub fn encode(&self, out: &mut [u8]) {
        if let Change::Propagate { db, argv } = self {
            out[..4].copy_from_slice(&[REC_PROPAGATE, NO_EVENT, 0, 0]);
            out[4..8].copy_from_slice(&db.to_le_bytes());
            out[8..12].copy_from_slice(&(argv.len() as u32).to_le_bytes());
            let mut pos = 12;
            for a in argv {
                out[pos..pos + 4].copy_from_slice(&(a.len() as u32).to_le_bytes());
                out[pos + 4..pos + 4 + a.len()].copy_from_slice(a);
                pos += 4 + a.len();
            }
            return;
        }
        let (kind, event, x, y, key): (u8, u8, u32, u32, &[u8]) = match self {
            Change::Key { db, key, event, modified } => {
                (if *modified { REC_KEY_MODIFIED } else { REC_KEY }, *event, *db, key.len() as u32, key.as_slice())
            }
            Change::Flushed { db } => (REC_FLUSHED, NO_EVENT, *db as u32, 0, &[]),
            Change::Swapped { a, b } => (REC_SWAPPED, NO_EVENT, *a, *b, &[]),
            Change::Propagate { .. } => unreachable!(),
        };
        out[0] = kind;
        out[1] = event;
        out[2] = 0;
        out[3] = 0;
        out[4..8].copy_from_slice(&x.to_le_bytes());
        out[8..12].copy_from_slice(&y.to_le_bytes());
        out[12..12 + key.len()].copy_from_slice(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn event_table_matches_the_enum() {
        assert_eq!(EVENTS[Event::New as usize], ("new", class::NEW));
        assert_eq!(EVENTS[Event::KeyMiss as usize], ("keymiss", class::KEY_MISS));
        assert!(EVENTS.len() < NO_EVENT as usize);
    }
    #[test]
    fn encodes_records() {
        let c = Change::Key { db: 3, key: SBytes::new(b"ab"), event: Event::Set as u8, modified: true };
        let mut buf = vec![0u8; c.encoded_len()];
        c.encode(&mut buf);
        assert_eq!(buf, [REC_KEY_MODIFIED, Event::Set as u8, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, b'a', b'b']);
        let f = Change::Flushed { db: -1 };
        let mut buf = vec![0u8; f.encoded_len()];
        f.encode(&mut buf);
        assert_eq!(&buf[4..8], &[255, 255, 255, 255]);
    }
}
