//! Stream IDs (Redis's streamID): `ms-seq`, ordered as the 128-bit number
//! whose big-endian bytes key the node index; parsing as Redis's
//! streamGenericParseIDOrReply.
use crate::util::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Hash)]
pub struct Id {
    pub ms: u64,
    pub seq: u64,
}

pub const INVALID: &str = "ERR Invalid stream ID specified as stream command argument";

impl Id {
    pub const MIN: Id = Id { ms: 0, seq: 0 };
    pub const MAX: Id = Id { ms: u64::MAX, seq: u64::MAX };

    pub fn new(ms: u64, seq: u64) -> Id {
        Id { ms, seq }
    }
    /// The node index key (the 128-bit big-endian number Redis's rax keys by).
    pub fn key(self) -> u128 {
        ((self.ms as u128) << 64) | self.seq as u128
    }
    pub fn from_key(k: u128) -> Id {
        Id { ms: (k >> 64) as u64, seq: k as u64 }
    }
    /// Redis's streamIncrID: None past the last possible ID.
    pub fn incr(self) -> Option<Id> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                return None;
            }
            return Some(Id::new(self.ms + 1, 0));
        }
        Some(Id::new(self.ms, self.seq + 1))
    }
    /// Redis's streamDecrID: None before 0-0.
    pub fn decr(self) -> Option<Id> {
        if self.seq == 0 {
            if self.ms == 0 {
                return None;
            }
            return Some(Id::new(self.ms - 1, u64::MAX));
        }
        Some(Id::new(self.ms, self.seq - 1))
    }
    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }
}

/// Redis's string2ull: an i64 that is not negative, or what strtoull reads whole.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    let t = std::str::from_utf8(s).ok()?;
    let t = t.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u64>().ok()
}

/// A parsed ID argument: the ID and whether its sequence was given (`ms-*` leaves it out).
pub struct Parsed {
    pub id: Id,
    pub seq_given: bool,
}

/// Redis's streamGenericParseIDOrReply: `-`, `+` (unless strict), `ms`,
/// `ms-seq`, and `ms-*` when `allow_star` (seq_given false then).
pub fn parse(s: &[u8], missing_seq: u64, strict: bool, allow_star: bool) -> Option<Parsed> {
    if s.len() > 127 {
        return None;
    }
    if s == b"-" || s == b"+" {
        if strict {
            return None;
        }
        let id = if s == b"-" { Id::MIN } else { Id::MAX };
        return Some(Parsed { id, seq_given: true });
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let ms = parse_u64(ms_part)?;
    match seq_part {
        None => Some(Parsed { id: Id::new(ms, missing_seq), seq_given: true }),
        Some(b"*") if allow_star => Some(Parsed { id: Id::new(ms, 0), seq_given: false }),
        Some(q) => Some(Parsed { id: Id::new(ms, parse_u64(q)?), seq_given: true }),
    }
}

/// An ID that is not `-`/`+` (streamParseStrictIDOrReply without `ms-*`).
pub fn parse_strict(s: &[u8], missing_seq: u64) -> Option<Id> {
    parse(s, missing_seq, true, false).map(|p| p.id)
}

/// An ID, `-` and `+` included (streamParseIDOrReply).
pub fn parse_loose(s: &[u8], missing_seq: u64) -> Option<Id> {
    parse(s, missing_seq, false, false).map(|p| p.id)
}

/// An interval bound (streamParseIntervalIDOrReply): `(id` excludes; returns (id, exclusive).
pub fn parse_interval(s: &[u8], missing_seq: u64) -> Option<(Id, bool)> {
    if s.len() > 1 && s[0] == b'(' {
        return parse_strict(&s[1..], missing_seq).map(|id| (id, true));
    }
    parse_loose(s, missing_seq).map(|id| (id, false))
}
