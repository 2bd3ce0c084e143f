//! Redis's listpack (listpack.c), byte for byte: the compact encoding of small
//! lists, hashes, sets and sorted sets, and the nodes of quicklists and
//! streams. RDB stores listpacks as they are in memory, so this layout is the
//! file format too.
//!
//! Layout: total bytes (u32 LE), element count (u16 LE; 65535 means "count
//! them"), the entries, and a 0xFF terminator. Each entry is an encoding byte
//! (with its data) followed by its "backlen", the size of encoding + data
//! written right to left in 7-bit groups, so the list can be walked backwards.
//! Strings that are canonical 64-bit integers are stored as integers.
use crate::lpbuf::LpBuf;
use crate::util::{fmt_i64, parse_i64};

const HEADER: usize = 6;
const EOF: u8 = 0xFF;
/// The element count the header holds when it is too large for its 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// A listpack: its bytes exactly as Redis lays them out, behind one thin
/// pointer (`LpBuf`: the header's total size is the buffer's length, and its
/// allocation the size class of that, as Redis reallocates a listpack to its
/// size on each change).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: LpBuf,
}

/// One entry as stored: an integer, or string bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl LpEntry<'_> {
    /// Calls `f` with the entry as a string (an integer in decimal).
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            LpEntry::Str(s) => f(s),
            LpEntry::Int(v) => {
                let mut b = [0u8; 20];
                let n = fmt_i64(v, &mut b);
                f(&b[..n])
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// Whether the entry equals the string `b` (Redis's lpCompare).
    #[inline]
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match *self {
            LpEntry::Str(s) => s == b,
            LpEntry::Int(v) => b.len() <= 20 && parse_i64(b) == Some(v),
        }
    }

    /// The entry as an integer: an integer entry, or a string that parses as one.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            LpEntry::Int(v) => Some(v),
            LpEntry::Str(s) => parse_i64(s),
        }
    }
}

/// How a value is encoded: as an integer (when the string is a canonical
/// i64, lpStringToInt64) or as a string.
enum Enc<'a> {
    Int(i64),
    Str(&'a [u8]),
}

#[inline]
fn classify(v: &[u8]) -> Enc<'_> {
    if !v.is_empty() && v.len() <= 20 {
        if let Some(i) = parse_i64(v) {
            return Enc::Int(i);
        }
    }
    Enc::Str(v)
}

/// An entry's encoding and integer data (at most 9 bytes), then the string
/// payload it is followed by: what is written without a temporary Vec.
struct Parts<'a> {
    head: [u8; 9],
    head_len: usize,
    payload: &'a [u8],
}

impl Parts<'_> {
    fn of(v: Enc<'_>) -> Parts<'_> {
        let mut head = [0u8; 9];
        let (head_len, payload): (usize, &[u8]) = match v {
            Enc::Int(i) => (encode_int(i, &mut head), &[]),
            Enc::Str(s) => {
                let n = s.len();
                let h = if n < 64 {
                    head[0] = 0x80 | n as u8;
                    1
                } else if n < 4096 {
                    head[0] = ((n >> 8) as u8) | 0xE0;
                    head[1] = n as u8;
                    2
                } else {
                    head[0] = 0xF0;
                    head[1..5].copy_from_slice(&(n as u32).to_le_bytes());
                    5
                };
                (h, s)
            }
        };
        Parts { head, head_len, payload }
    }
    /// Encoding + data bytes (what the backlen counts).
    fn encoded(&self) -> usize {
        self.head_len + self.payload.len()
    }
    fn total(&self) -> usize {
        let l = self.encoded();
        l + backlen_size(l)
    }
    /// Writes the whole entry into `out` (exactly `total()` bytes).
    fn write(&self, out: &mut [u8]) {
        let h = self.head_len;
        out[..h].copy_from_slice(&self.head[..h]);
        out[h..h + self.payload.len()].copy_from_slice(self.payload);
        let l = self.encoded();
        let n = backlen_size(l);
        for i in 0..n {
            let group = ((l >> (7 * (n - 1 - i))) & 127) as u8;
            out[l + i] = if i == 0 { group } else { group | 128 };
        }
    }
}

/// Writes the encoding and data of an integer into `out`
/// (lpEncodeIntegerGetType); returns the length (1 to 9).
fn encode_int(v: i64, out: &mut [u8; 9]) -> usize {
    if (0..=127).contains(&v) {
        out[0] = v as u8;
        1
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { ((1i64 << 13) + v) as u64 } else { v as u64 };
        out[0] = ((u >> 8) as u8) | 0xC0;
        out[1] = u as u8;
        2
    } else if (-32768..=32767).contains(&v) {
        out[0] = 0xF1;
        out[1..3].copy_from_slice(&(v as i16).to_le_bytes());
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        out[0] = 0xF2;
        out[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        out[0] = 0xF3;
        out[1..5].copy_from_slice(&(v as i32).to_le_bytes());
        5
    } else {
        out[0] = 0xF4;
        out[1..9].copy_from_slice(&v.to_le_bytes());
        9
    }
}

/// Bytes the backlen of an entry of `l` bytes takes.
#[inline]
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Appends the backlen of an entry of `l` bytes (lpEncodeBacklen): the most
/// significant group first, every byte but the first with the high bit set.
#[cfg(test)]
fn encode_backlen(l: usize, out: &mut Vec<u8>) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// Bytes of encoding + data of the entry whose first byte is `b[0]`, or None
/// when `b` is too short to tell.
#[inline]
fn encoded_len(b: &[u8]) -> Option<usize> {
    let e = *b.first()?;
    Some(if e & 0x80 == 0 {
        1
    } else if e & 0xC0 == 0x80 {
        1 + (e & 0x3F) as usize
    } else if e & 0xE0 == 0xC0 {
        2
    } else if e & 0xF0 == 0xE0 {
        2 + (((e & 0x0F) as usize) << 8 | *b.get(1)? as usize)
    } else {
        match e {
            0xF0 => 5 + u32::from_le_bytes(b.get(1..5)?.try_into().ok()?) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            0xF4 => 9,
            _ => return None,
        }
    })
}

/// Sign-extends the low `bits` bits of `u`.
#[inline]
fn sext(u: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((u << shift) as i64) >> shift
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(|e| e.to_vec())).finish()
    }
}

impl Listpack {
    pub fn new() -> Listpack {
        let mut buf = LpBuf::zeroed(HEADER + 1);
        buf[HEADER] = EOF;
        Listpack { buf }
    }

    /// The listpack lpAppend would make of `items` in order, written into one
    /// allocation of its final size (a loader's: no reallocation per element).
    pub fn of_items<T: AsRef<[u8]>>(items: &[T]) -> Listpack {
        let total = HEADER + 1 + items.iter().map(|v| Parts::of(classify(v.as_ref())).total()).sum::<usize>();
        let mut buf = LpBuf::zeroed(total);
        let mut at = HEADER;
        for v in items {
            let parts = Parts::of(classify(v.as_ref()));
            let n = parts.total();
            parts.write(&mut buf[at..at + n]);
            at += n;
        }
        buf[at] = EOF;
        let mut lp = Listpack { buf };
        lp.set_header(items.len());
        lp
    }

    /// A listpack from bytes (RDB, RESTORE), checked entry by entry
    /// (lpValidateIntegrity with deep checks): None if anything is off.
    pub fn from_bytes(b: Vec<u8>) -> Option<Listpack> {
        if b.len() < HEADER + 1 || u32::from_le_bytes(b[0..4].try_into().ok()?) as usize != b.len() || b[b.len() - 1] != EOF {
            return None;
        }
        let count = u16::from_le_bytes([b[4], b[5]]);
        let mut p = HEADER;
        let mut n = 0usize;
        while b[p] != EOF {
            let l = encoded_len(&b[p..])?;
            let bl = backlen_size(l);
            let end = p.checked_add(l)?.checked_add(bl)?;
            if end >= b.len() {
                return None;
            }
            if lp_decode_backlen(&b[..end], end - 1) != Some((l, bl)) {
                return None;
            }
            p = end;
            n += 1;
        }
        if p != b.len() - 1 || (count != COUNT_UNKNOWN && count as usize != n) {
            return None;
        }
        Some(Listpack { buf: LpBuf::from_slice(&b) })
    }

    /// Shallow loading (RESTORE under sanitize-dump-payload no): bytes that
    /// failed `from_bytes` but pass Redis's shallow check (the header's total
    /// size and the end byte) become a well-formed listpack of the entries read
    /// forward up to the first malformed one (bad back-lengths and counts do
    /// not survive); None when the shallow check fails.
    pub fn rebuild(b: &[u8]) -> Option<Listpack> {
        if b.len() < HEADER + 1 || u32::from_le_bytes(b[0..4].try_into().ok()?) as usize != b.len() || b[b.len() - 1] != EOF {
            return None;
        }
        let mut out = Listpack::new();
        // Redis's lpLength trusts a header count below 65535: zero is an empty listpack.
        if u16::from_le_bytes([b[4], b[5]]) == 0 {
            return Some(out);
        }
        let mut p = HEADER;
        while b[p] != EOF {
            let Some(l) = encoded_len(&b[p..]) else { break };
            let Some(end) = p.checked_add(l).and_then(|e| e.checked_add(backlen_size(l))) else { break };
            if end >= b.len() {
                break;
            }
            match entry_at(&b[p..p + l], 0) {
                LpEntry::Int(v) => out.push_back_i64(v),
                LpEntry::Str(v) => out.push_back(v),
            }
            p = end;
        }
        Some(out)
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..]
    }

    /// Total bytes (lpBytes).
    #[inline]
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        let c = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        if c != COUNT_UNKNOWN {
            return c as usize;
        }
        let mut n = 0;
        let mut p = self.first();
        while let Some(q) = p {
            n += 1;
            p = self.next(q);
        }
        n
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf[HEADER] == EOF
    }

    fn set_header(&mut self, count: usize) {
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let c = if count < COUNT_UNKNOWN as usize { count as u16 } else { COUNT_UNKNOWN };
        self.buf[4..6].copy_from_slice(&c.to_le_bytes());
    }

    /// The header's count adjusted by `delta` (recounted when it was unknown).
    fn count_after(&self, delta: isize) -> usize {
        let c = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        if c == COUNT_UNKNOWN {
            return usize::MAX; // recounted by fix_count
        }
        (c as isize + delta) as usize
    }

    fn fix_header(&mut self, delta: isize) {
        let n = self.count_after(delta);
        if n == usize::MAX {
            self.set_header(0);
            self.buf[4..6].copy_from_slice(&COUNT_UNKNOWN.to_le_bytes());
            let real = self.len();
            self.set_header(real);
        } else {
            self.set_header(n);
        }
    }

    /// Bytes of the entry at `p`, backlen included.
    #[inline]
    fn entry_size(&self, p: usize) -> usize {
        let l = encoded_len(&self.buf[p..]).expect("listpack entry");
        l + backlen_size(l)
    }

    #[inline]
    pub fn first(&self) -> Option<usize> {
        (self.buf[HEADER] != EOF).then_some(HEADER)
    }

    pub fn last(&self) -> Option<usize> {
        let end = self.buf.len() - 1;
        if end == HEADER {
            return None;
        }
        self.prev(end)
    }

    #[inline]
    pub fn next(&self, p: usize) -> Option<usize> {
        let q = p + self.entry_size(p);
        (self.buf[q] != EOF).then_some(q)
    }

    /// The entry before the one at `p` (`p` may be the terminator's offset).
    #[inline]
    pub fn prev(&self, p: usize) -> Option<usize> {
        if p <= HEADER {
            return None;
        }
        let (l, bl) = lp_decode_backlen(&self.buf, p - 1).expect("listpack backlen");
        Some(p - bl - l)
    }

    /// The entry at `p`.
    #[inline]
    pub fn get(&self, p: usize) -> LpEntry<'_> {
        entry_at(&self.buf, p)
    }

    /// The entry at `index` (negative: from the end), as lpSeek.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = self.len() as i64;
        let i = if index < 0 { n + index } else { index };
        if i < 0 || i >= n {
            return None;
        }
        if i <= n / 2 {
            let mut p = self.first()?;
            for _ in 0..i {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(n - 1 - i) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// The entries, head to tail (and tail to head with `.rev()`).
    pub fn iter(&self) -> Iter<'_> {
        Iter { lp: self, front: self.first(), back: self.last(), left: self.len() }
    }

    /// Puts the entry `parts` at offset `at` in place of `old` bytes there
    /// (0: an insertion), moving what follows once, with no temporary buffer.
    fn place(&mut self, at: usize, old: usize, parts: &Parts<'_>) {
        let new = parts.total();
        let len = self.buf.len();
        if new > old {
            self.buf.resize(len + new - old);
            self.buf.copy_within(at + old..len, at + new);
        } else if new < old {
            self.buf.copy_within(at + old..len, at + new);
            self.buf.resize(len - (old - new));
        }
        parts.write(&mut self.buf[at..at + new]);
    }

    /// Inserts the entry for `v` at offset `at`, one more element.
    fn insert_at(&mut self, at: usize, v: Enc<'_>) {
        self.place(at, 0, &Parts::of(v));
        self.fix_header(1);
    }

    /// Appends `v` (lpAppend).
    pub fn push_back(&mut self, v: &[u8]) {
        let at = self.buf.len() - 1;
        self.insert_at(at, classify(v));
    }

    /// Prepends `v` (lpPrepend).
    pub fn push_front(&mut self, v: &[u8]) {
        self.insert_at(HEADER, classify(v));
    }

    pub fn push_back_i64(&mut self, v: i64) {
        let at = self.buf.len() - 1;
        self.insert_at(at, Enc::Int(v));
    }

    /// Inserts `v` before (or `after`) the entry at `p`; the new entry's offset.
    pub fn insert(&mut self, p: usize, v: &[u8], after: bool) -> usize {
        let at = if after { p + self.entry_size(p) } else { p };
        self.insert_at(at, classify(v));
        at
    }

    /// Replaces the entry at `p` with `v`; its offset (unchanged).
    pub fn replace(&mut self, p: usize, v: &[u8]) -> usize {
        let old = self.entry_size(p);
        self.place(p, old, &Parts::of(classify(v)));
        self.fix_header(0);
        p
    }

    /// Deletes the entry at `p`; the offset of the entry that followed it, if any.
    pub fn delete(&mut self, p: usize) -> Option<usize> {
        let n = self.entry_size(p);
        self.cut(p, p + n);
        self.fix_header(-1);
        (self.buf[p] != EOF).then_some(p)
    }

    /// Deletes `count` entries from `index` on (lpDeleteRange), fewer at the end.
    pub fn delete_range(&mut self, index: usize, count: usize) {
        let Some(start) = self.seek(index as i64) else { return };
        let mut end = start;
        let mut n = 0;
        while n < count && self.buf[end] != EOF {
            end += self.entry_size(end);
            n += 1;
        }
        self.cut(start, end);
        self.fix_header(-(n as isize));
    }

    /// Removes the bytes from `start` to `end` (the header's counts are the caller's).
    fn cut(&mut self, start: usize, end: usize) {
        let len = self.buf.len();
        self.buf.copy_within(end..len, start);
        self.buf.resize(len - (end - start));
    }

    /// The first entry equal to `v` among the one at `p` and every
    /// (`skip`+1)-th after it (lpFind; `skip` 1 visits the keys of pairs).
    pub fn find(&self, p: usize, v: &[u8], skip: usize) -> Option<usize> {
        let as_int = match classify(v) {
            Enc::Int(i) => Some(i),
            Enc::Str(_) => None,
        };
        let mut cur = Some(p);
        while let Some(q) = cur {
            let hit = match (self.get(q), as_int) {
                (LpEntry::Int(x), Some(i)) => x == i,
                (LpEntry::Int(_), None) => false,
                (LpEntry::Str(s), _) => s == v,
            };
            if hit {
                return Some(q);
            }
            cur = self.next(q);
            for _ in 0..skip {
                match cur {
                    Some(r) => cur = self.next(r),
                    None => break,
                }
            }
        }
        None
    }

    /// Heap bytes this listpack holds (its allocation).
    pub fn alloc_size(&self) -> usize {
        self.buf.capacity()
    }
}

/// The entry at offset `p` of listpack bytes `b`.
#[inline]
fn entry_at(b: &[u8], p: usize) -> LpEntry<'_> {
    let b = &b[p..];
    let e = b[0];
    if e & 0x80 == 0 {
        LpEntry::Int(e as i64)
    } else if e & 0xC0 == 0x80 {
        let n = (e & 0x3F) as usize;
        LpEntry::Str(&b[1..1 + n])
    } else if e & 0xE0 == 0xC0 {
        LpEntry::Int(sext(((e & 0x1F) as u64) << 8 | b[1] as u64, 13))
    } else if e & 0xF0 == 0xE0 {
        let n = ((e & 0x0F) as usize) << 8 | b[1] as usize;
        LpEntry::Str(&b[2..2 + n])
    } else {
        match e {
            0xF0 => {
                let n = u32::from_le_bytes(b[1..5].try_into().unwrap()) as usize;
                LpEntry::Str(&b[5..5 + n])
            }
            0xF1 => LpEntry::Int(i16::from_le_bytes([b[1], b[2]]) as i64),
            0xF2 => LpEntry::Int(sext(b[1] as u64 | (b[2] as u64) << 8 | (b[3] as u64) << 16, 24)),
            0xF3 => LpEntry::Int(i32::from_le_bytes(b[1..5].try_into().unwrap()) as i64),
            0xF4 => LpEntry::Int(i64::from_le_bytes(b[1..9].try_into().unwrap())),
            _ => panic!("listpack: bad encoding byte {e:#x}"),
        }
    }
}

/// Reads the backlen that ends at `end` (inclusive): (entry length, backlen bytes).
fn lp_decode_backlen(b: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        let byte = *b.get(i)?;
        val |= ((byte & 127) as usize) << shift;
        let n = end - i + 1;
        if byte & 128 == 0 {
            return Some((val, n));
        }
        if n == 5 || i == 0 {
            return None;
        }
        shift += 7;
        i -= 1;
    }
}

pub struct Iter<'a> {
    lp: &'a Listpack,
    front: Option<usize>,
    back: Option<usize>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;
    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.left == 0 {
            return None;
        }
        let p = self.front?;
        self.left -= 1;
        self.front = self.lp.next(p);
        Some(self.lp.get(p))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let p = self.back?;
        self.left -= 1;
        self.back = self.lp.prev(p);
        Some(self.lp.get(p))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    /// The bytes Redis 7.2 wrote for `RPUSH l a 1 hello -5 100000 -100000
    /// 3000000000 -9000000000000000000 x*70 4095 -4096 127 128` (from DUMP).
    #[test]
    fn equals_redis_bytes() {
        let want: &[u8] = &[0x88, 0x0, 0x0, 0x0, 0xd, 0x0, 0x81, 0x61, 0x2, 0x1, 0x1, 0x85, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x6, 0xdf, 0xfb, 0x2, 0xf2, 0xa0, 0x86, 0x1, 0x4, 0xf2, 0x60, 0x79, 0xfe, 0x4, 0xf4, 0x0, 0x5e, 0xd0, 0xb2, 0x0, 0x0, 0x0, 0x0, 0x9, 0xf4, 0x0, 0x0, 0x7c, 0x1d, 0xaf, 0x93, 0x19, 0x83, 0x9, 0xe0, 0x46, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x48, 0xcf, 0xff, 0x2, 0xd0, 0x0, 0x2, 0x7f, 0x1, 0xc0, 0x80, 0x2, 0xff];
        let mut lp = Listpack::new();
        let long = "x".repeat(70);
        for v in ["a", "1", "hello", "-5", "100000", "-100000", "3000000000", "-9000000000000000000", &long, "4095", "-4096", "127", "128"] {
            lp.push_back(v.as_bytes());
        }
        assert_eq!(lp.as_bytes(), want);
    }

    #[test]
    fn empty_layout() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert!(lp.first().is_none() && lp.last().is_none());
    }

    #[test]
    fn known_bytes() {
        // Redis: lpAppend of "a", "1024", "-1", "hello" gives these bytes.
        let mut lp = Listpack::new();
        lp.push_back(b"a");
        assert_eq!(&lp.as_bytes()[6..], &[0x81, b'a', 2, 0xFF]);
        let mut lp = Listpack::new();
        lp.push_back(b"1024");
        assert_eq!(&lp.as_bytes()[6..], &[0xC4, 0x00, 2, 0xFF]);
        let mut lp = Listpack::new();
        lp.push_back(b"-1");
        // 13-bit: 8191 = 0x1FFF -> 0xDF 0xFF
        assert_eq!(&lp.as_bytes()[6..], &[0xDF, 0xFF, 2, 0xFF]);
        let mut lp = Listpack::new();
        lp.push_back(b"127");
        assert_eq!(&lp.as_bytes()[6..], &[127, 1, 0xFF]);
        assert_eq!(lp.as_bytes()[0..4], [9, 0, 0, 0]);
    }

    #[test]
    fn backlen_round_trips() {
        for l in [1usize, 127, 128, 16382, 16383, 2_097_150, 2_097_151, 268_435_454, 268_435_455, 300_000_000] {
            let mut b = vec![0u8];
            encode_backlen(l, &mut b);
            assert_eq!(b.len() - 1, backlen_size(l));
            assert_eq!(lp_decode_backlen(&b, b.len() - 1), Some((l, backlen_size(l))), "{l}");
        }
    }

    #[test]
    fn integers_round_trip_in_every_width() {
        let cases = [0i64, 1, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8_388_607, -8_388_608, 8_388_608, i32::MAX as i64, i32::MIN as i64, i32::MAX as i64 + 1, i64::MAX, i64::MIN];
        let mut lp = Listpack::new();
        for c in cases {
            lp.push_back(c.to_string().as_bytes());
        }
        let got: Vec<i64> = lp.iter().map(|e| e.as_i64().unwrap()).collect();
        assert_eq!(got, cases);
        assert!(lp.iter().all(|e| matches!(e, LpEntry::Int(_))));
        assert_eq!(Listpack::from_bytes(lp.as_bytes().to_vec()).as_ref(), Some(&lp));
        // Not canonical integers stay strings.
        for s in ["01", "+1", "-0", " 1", "1.0", "99999999999999999999", ""] {
            let mut lp = Listpack::new();
            lp.push_back(s.as_bytes());
            assert_eq!(lp.get(lp.first().unwrap()), LpEntry::Str(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn strings_of_every_width() {
        let mut lp = Listpack::new();
        let sizes = [0usize, 1, 63, 64, 4095, 4096, 70_000];
        for &n in &sizes {
            lp.push_back(&vec![b'x'; n]);
        }
        let got: Vec<usize> = lp.iter().map(|e| e.to_vec().len()).collect();
        assert_eq!(got, sizes);
        let back: Vec<usize> = lp.iter().rev().map(|e| e.to_vec().len()).collect();
        assert_eq!(back, sizes.iter().rev().copied().collect::<Vec<_>>());
        // Encoding byte(s), the data, the backlen.
        let entry = [2usize, 3, 65, 67, 4099, 4103, 70008];
        for (&n, &e) in sizes.iter().zip(&entry) {
            let mut one = Listpack::new();
            one.push_back(&vec![b'x'; n]);
            assert_eq!((one.bytes_len(), one.alloc_size()), (7 + e, crate::alloc::usable_size(7 + e)));
        }
        assert!(Listpack::from_bytes(lp.as_bytes().to_vec()).is_some());
    }

    /// A model check: random operations against a Vec.
    #[test]
    fn matches_a_vec_model() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut rnd = |n: u64| crate::keyspace::next_rand(&mut rng) % n;
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for step in 0..20_000 {
            let v: Vec<u8> = match rnd(4) {
                0 => (rnd(100_000) as i64 - 50_000).to_string().into_bytes(),
                1 => vec![b'a' + rnd(26) as u8; rnd(100) as usize],
                2 => rnd(200).to_string().into_bytes(),
                _ => vec![b'z'; 60 + rnd(10) as usize],
            };
            match rnd(7) {
                0 => {
                    lp.push_back(&v);
                    model.push(v);
                }
                1 => {
                    lp.push_front(&v);
                    model.insert(0, v);
                }
                2 if !model.is_empty() => {
                    let i = rnd(model.len() as u64) as usize;
                    let after = rnd(2) == 0;
                    let p = lp.seek(i as i64).unwrap();
                    let q = lp.insert(p, &v, after);
                    assert!(lp.get(q).eq_bytes(&v));
                    model.insert(if after { i + 1 } else { i }, v);
                }
                3 if !model.is_empty() => {
                    let i = rnd(model.len() as u64) as usize;
                    let p = lp.seek(-(model.len() as i64) + i as i64).unwrap();
                    lp.replace(p, &v);
                    model[i] = v;
                }
                4 if !model.is_empty() => {
                    let i = rnd(model.len() as u64) as usize;
                    let p = lp.seek(i as i64).unwrap();
                    let next = lp.delete(p);
                    model.remove(i);
                    assert_eq!(next.is_some(), i < model.len());
                }
                5 if !model.is_empty() => {
                    let i = rnd(model.len() as u64) as usize;
                    let n = rnd(5) as usize;
                    lp.delete_range(i, n);
                    let end = (i + n).min(model.len());
                    model.drain(i..end);
                }
                _ => {
                    if let Some(p) = lp.first() {
                        let want = model.iter().position(|m| *m == v);
                        assert_eq!(lp.find(p, &v, 0).map(|q| lp.get(q).to_vec()), want.map(|i| model[i].clone()));
                    }
                }
            }
            if step % 97 == 0 {
                assert_eq!(vals(&lp), model);
                assert_eq!(lp.len(), model.len());
                let rev: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
                assert_eq!(rev, model.iter().rev().cloned().collect::<Vec<_>>());
                assert_eq!(Listpack::from_bytes(lp.as_bytes().to_vec()).as_ref(), Some(&lp));
            }
        }
    }

    #[test]
    fn find_with_skip_visits_keys_of_pairs() {
        let mut lp = Listpack::new();
        // Pairs (f1 v) (x f1) (f2 y): keys f1, x, f2.
        for s in ["f1", "v", "x", "f1", "f2", "y"] {
            lp.push_back(s.as_bytes());
        }
        let p = lp.find(lp.first().unwrap(), b"f2", 1).unwrap();
        assert_eq!(lp.get(lp.next(p).unwrap()), LpEntry::Str(b"y"));
        assert_eq!(lp.find(lp.seek(2).unwrap(), b"f1", 1), None);
        assert_eq!(lp.find(lp.first().unwrap(), b"v", 1), None);
    }

    #[test]
    fn many_elements_count_past_the_header() {
        let mut lp = Listpack::new();
        for i in 0..70_000 {
            lp.push_back(format!("{i}").as_bytes());
        }
        assert_eq!(u16::from_le_bytes([lp.as_bytes()[4], lp.as_bytes()[5]]), COUNT_UNKNOWN);
        assert_eq!(lp.len(), 70_000);
        lp.delete_range(0, 10_000);
        assert_eq!(lp.len(), 60_000);
        assert_eq!(u16::from_le_bytes([lp.as_bytes()[4], lp.as_bytes()[5]]), 60_000);
        assert_eq!(lp.get(lp.seek(-1).unwrap()).as_i64(), Some(69_999));
    }

    #[test]
    fn rejects_corrupt_bytes() {
        let mut lp = Listpack::new();
        lp.push_back(b"hello");
        lp.push_back(b"12345");
        let good = lp.as_bytes().to_vec();
        assert!(Listpack::from_bytes(good.clone()).is_some());
        for i in 0..good.len() {
            for bad in [0u8, 0x7F, 0x80, 0xF0, 0xFF] {
                let mut b = good.clone();
                if b[i] == bad {
                    continue;
                }
                b[i] = bad;
                // Must never panic; may accept a still-valid mutation.
                let _ = Listpack::from_bytes(b);
            }
        }
        let mut short = good.clone();
        short.pop();
        assert!(Listpack::from_bytes(short).is_none());
    }
}
