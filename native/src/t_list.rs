//! The list type and its commands (Redis's t_list.c). A list is a listpack
//! while small and a quicklist past `list-max-listpack-size`; since 7.2 it
//! goes back to a listpack when a quicklist of one node shrinks to half the
//! limits (listTypeTryConversion*). Each command parses its arguments in
//! Redis's order, with Redis's errors, replies, events, dirty counts and
//! propagation (the blocking pops propagate as the pops they turn into).
use crate::changes::Event;
use crate::command::Cmd;
use crate::digest::{mix_digest, Digest};
use crate::keyspace::{Detached, Entry, Keyspace, Value};
use crate::listpack::{Listpack, LpEntry};
use crate::quicklist::{self, exceeds_limit, node_limit, Elem, Quicklist};
use crate::reply::{code, err, Out};
use crate::t_string_float;
use crate::util::{parse_f64, parse_i64, parse_range};
/// list-max-listpack-size (config.rs; CONFIG SET reaches it).
pub(crate) fn fill() -> i32 {
    crate::config::get().list_max_listpack_size.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// list-compress-depth.
pub(crate) fn compress_depth() -> i32 {
    crate::config::get().list_compress_depth.clamp(0, i32::MAX as i64) as i32
}

/// Sets both list settings (tests).
#[cfg(test)]
fn set_config(fill: i32, compress_depth: i32) {
    crate::config::set("list-max-listpack-size", fill as i64);
    crate::config::set("list-compress-depth", compress_depth as i64);
}

#[derive(Clone)]
pub enum List {
    Listpack(Listpack),
    Quicklist(Quicklist),
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl List {
    pub fn new() -> List {
        List::Listpack(Listpack::new())
    }

    /// A list of `values` in order, as SORT ... STORE builds it: a quicklist
    /// with quicklist.c's defaults, then the encoding it should have (LIST_CONV_AUTO).
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> List {
        let mut q = Quicklist::new(-2, 0);
        for v in values {
            q.push(v, false);
        }
        let mut l = List::Quicklist(q);
        l.try_shrink(false);
        l
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            List::Listpack(_) => "listpack",
            List::Quicklist(_) => "quicklist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            List::Listpack(lp) => lp.len(),
            List::Quicklist(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each element, head to tail.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            List::Listpack(lp) => lp.iter().for_each(|e| e.with_bytes(&mut f)),
            List::Quicklist(q) => q.for_each(|e| e.with_bytes(&mut f)),
        }
    }

    /// Mixes the elements, in order, into `digest` (xorObjectDigest).
    pub fn digest(&self, digest: &mut Digest) {
        self.for_each(|b| mix_digest(digest, b));
    }

    /// Redis's lazyfreeGetFreeEffort: a quicklist's node count, else 1.
    pub fn free_effort(&self) -> usize {
        match self {
            List::Listpack(_) => 1,
            List::Quicklist(q) => q.node_count(),
        }
    }

    /// What DEBUG OBJECT adds for a quicklist (node count, average fill, fill,
    /// compression, uncompressed bytes); nothing for a listpack.
    pub fn debug_extra(&self) -> String {
        let List::Quicklist(q) = self else { return String::new() };
        let (nodes, fill, compress, sz) = q.debug_info();
        format!(
            " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{fill} ql_compressed:{} ql_uncompressed_size:{sz}",
            q.len() as f64 / nodes as f64,
            (compress != 0) as u8
        )
    }

    /// Growing (listTypeTryConvertListpack): a listpack about to take
    /// `add_len` elements of `add_bytes` becomes a quicklist when over the limits.
    pub fn try_grow(&mut self, add_bytes: usize, add_len: usize) {
        if let List::Listpack(lp) = self {
            if exceeds_limit(fill(), lp.bytes_len() + add_bytes, lp.len() + add_len) {
                let lp = std::mem::take(lp);
                *self = List::Quicklist(Quicklist::from_listpack(lp, fill(), compress_depth()));
            }
        }
    }

    /// listTypeTryConvertQuicklist: a quicklist of one packed node within the
    /// limits (half of them when `shrinking`) becomes a listpack.
    pub fn try_shrink(&mut self, shrinking: bool) {
        let List::Quicklist(q) = self else { return };
        let Some((_, sz)) = q.single_listpack() else { return };
        let (mut sz_limit, mut count_limit) = node_limit(fill());
        if shrinking {
            sz_limit /= 2;
            count_limit /= 2;
        }
        if sz > sz_limit || q.len() > count_limit {
            return;
        }
        let q = std::mem::replace(q, Quicklist::new(-2, 0));
        *self = List::Listpack(q.into_listpack());
    }

    /// Appends (or prepends, `head`) one element, with no conversion check.
    pub fn push(&mut self, v: &[u8], head: bool) {
        match self {
            List::Listpack(lp) => {
                if head {
                    lp.push_front(v)
                } else {
                    lp.push_back(v)
                }
            }
            List::Quicklist(q) => q.push(v, head),
        }
    }

    /// Removes the head (or tail) element. A listpack's comes back as bytes,
    /// a quicklist's integer as an integer (as listTypePop's objects are).
    pub fn pop(&mut self, head: bool) -> Option<Elem> {
        match self {
            List::Listpack(lp) => {
                let p = if head { lp.first() } else { lp.last() }?;
                let v = lp.get(p).to_vec();
                lp.delete(p);
                Some(Elem::Bytes(v))
            }
            List::Quicklist(q) => q.pop(head),
        }
    }

    /// Deletes `count` elements from `start` (negative: from the tail).
    pub fn del_range(&mut self, start: i64, count: usize) {
        if count == 0 {
            return;
        }
        match self {
            List::Listpack(lp) => {
                let n = lp.len() as i64;
                let s = if start < 0 { n + start } else { start };
                if s >= 0 && s < n {
                    lp.delete_range(s as usize, count);
                }
            }
            List::Quicklist(q) => q.del_range(start, count),
        }
    }

    /// The element at `index` (negative: from the tail).
    pub fn index(&self, index: i64) -> Option<Vec<u8>> {
        match self {
            List::Listpack(lp) => lp.seek(index).map(|p| lp.get(p).to_vec()),
            List::Quicklist(q) => q.get(index),
        }
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        match self {
            List::Listpack(lp) => match lp.seek(index) {
                Some(p) => {
                    lp.replace(p, v);
                    true
                }
                None => false,
            },
            List::Quicklist(q) => q.replace_at(index, v),
        }
    }

    /// LINSERT: `v` before (or `after`) the first element equal to `pivot`.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        match self {
            List::Listpack(lp) => {
                let mut p = lp.first();
                while let Some(q) = p {
                    if lp.get(q).eq_bytes(pivot) {
                        lp.insert(q, v, after);
                        return true;
                    }
                    p = lp.next(q);
                }
                false
            }
            List::Quicklist(q) => q.insert_by_pivot(pivot, v, after),
        }
    }

    /// LREM: up to `limit` (0: every) elements equal to `v`, from the head or the tail.
    pub fn remove(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        match self {
            List::Listpack(lp) => quicklist::remove_in_listpack(lp, v, limit, from_tail),
            List::Quicklist(q) => q.remove(v, limit, from_tail),
        }
    }

    /// Calls `f` on the elements from `from` on, towards the tail (or the head
    /// with `reverse`), until `f` returns false.
    pub fn walk(&self, from: usize, reverse: bool, mut f: impl FnMut(LpEntry<'_>) -> bool) {
        match self {
            List::Listpack(lp) => {
                let Some(mut p) = lp.seek(from as i64) else { return };
                loop {
                    if !f(lp.get(p)) {
                        return;
                    }
                    match if reverse { lp.prev(p) } else { lp.next(p) } {
                        Some(q) => p = q,
                        None => return,
                    }
                }
            }
            List::Quicklist(q) => q.walk(from, reverse, f),
        }
    }

    /// Writes elements start..=end (already clamped, non-empty) as an array,
    /// reversed (end to start) with `reverse`.
    fn reply_range(&self, out: &mut Out, start: usize, end: usize, reverse: bool) {
        let n = end - start + 1;
        out.array(n);
        let mut left = n;
        self.walk(if reverse { end } else { start }, reverse, |e| {
            e.with_bytes(|b| out.bulk(b));
            left -= 1;
            left > 0
        });
    }
}

/// addListRangeReply: start and end as LRANGE takes them.
fn reply_list_range(out: &mut Out, l: &List, start: i64, end: i64, reverse: bool) {
    let llen = l.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        out.array(0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    l.reply_range(out, start as usize, end as usize, reverse);
}

// ---- keys

/// The list at `key` for writing: Err when the key holds another type.
fn list_mut<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8], read: bool) -> Result<Option<&'a mut List>, ()> {
    let e = if read { ks.lookup_read(db, key) } else { ks.lookup(db, key) };
    match e {
        None => Ok(None),
        Some(Entry { value: Value::List(l), .. }) => Ok(Some(&mut **l)),
        Some(_) => Err(()),
    }
}

/// The list already looked up (no access recorded again).
fn list_again<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> &'a mut List {
    match ks.dbs[db].dict.get_mut(key) {
        Some(Entry { value: Value::List(l), .. }) => l,
        _ => unreachable!("list key vanished"),
    }
}

/// dbAdd of a new empty list (fires `new`).
fn add_list(ks: &mut Keyspace, db: usize, key: &[u8]) {
    let lru = ks.lru_clock();
    ks.dbs[db].add(key, Detached::new(Value::List(Box::default()), -1, lru));
    ks.notify(db, key, Event::New);
}

/// listElementsRemoved: the pop event, the key deleted (`del`) when emptied
/// or else the shrink check, the key signalled, `count` dirty changes.
fn elements_removed(ks: &mut Keyspace, db: usize, key: &[u8], head: bool, count: usize) {
    let emptied = {
        let l = list_again(ks, db, key);
        if l.is_empty() {
            true
        } else {
            l.try_shrink(true);
            false
        }
    };
    ks.changed(db, key, if head { Event::LPop } else { Event::RPop });
    if emptied {
        ks.dbs[db].remove(key);
        ks.notify(db, key, Event::Del);
    }
    ks.add_dirty(count as u64 - 1);
}

/// The bytes listTypeTryConversionAppend counts for these arguments.
fn bytes_of(args: &[&[u8]]) -> usize {
    args.iter().map(|a| a.len()).sum()
}

// ---- argument parsing (Redis's messages)

fn parse_long(a: &[u8], out: &mut Out) -> Result<i64, i64> {
    parse_i64(a).ok_or_else(|| out.error(err::NOT_INT))
}

/// getPositiveLongFromObjectOrReply.
fn parse_positive(a: &[u8], msg: Option<&str>, out: &mut Out) -> Result<i64, i64> {
    parse_range(a, 0, i64::MAX, Some(msg.unwrap_or("ERR value is out of range, must be positive")), out)
}

/// LEFT / RIGHT: true for the head.
fn parse_where(a: &[u8], out: &mut Out) -> Result<bool, i64> {
    if a.eq_ignore_ascii_case(b"left") {
        Ok(true)
    } else if a.eq_ignore_ascii_case(b"right") {
        Ok(false)
    } else {
        Err(out.error(err::SYNTAX))
    }
}

/// getTimeoutFromObjectOrReply in seconds: the absolute deadline (ms), 0 for none.
pub fn parse_timeout(a: &[u8], now_ms: i64) -> Result<i64, &'static str> {
    let v = timeout_seconds(a).ok_or("ERR timeout is not a float or out of range")?;
    let ms = v * 1000.0;
    if ms > i64::MAX as f64 {
        return Err("ERR timeout is out of range");
    }
    let t = ms.ceil() as i64;
    if t < 0 {
        return Err("ERR timeout is negative");
    }
    if t > 0 {
        if t > i64::MAX - now_ms {
            return Err("ERR timeout is out of range");
        }
        return Ok(t + now_ms);
    }
    Ok(0)
}

/// The seconds of a timeout: what strtold accepts (string2ld: hex floats
/// too), as an f64 (below ~1e-321 seconds that reads as 0, Redis's long double as 1 ms).
fn timeout_seconds(a: &[u8]) -> Option<f64> {
    let ld = t_string_float::parse(a)?;
    if let Some(v) = parse_f64(a) {
        return Some(v);
    }
    // strtold's own forms (hex): through its decimal printing.
    let mut buf = [0u8; t_string_float::MAX_CHARS];
    let n = t_string_float::format_human(ld, &mut buf);
    std::str::from_utf8(&buf[..n]).ok()?.parse().ok()
}

fn timeout_arg(ks: &Keyspace, a: &[u8], out: &mut Out) -> Result<i64, i64> {
    parse_timeout(a, ks.now_ms).map_err(|e| out.error(e))
}

macro_rules! tryp {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(c) => return c,
        }
    };
}

// ---- commands

fn push_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, head: bool, xx: bool) -> i64 {
    let key = argv[1];
    match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) if xx => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(None) => add_list(ks, db, key),
        Ok(Some(_)) => {}
    }
    let vals = &argv[2..];
    let l = list_again(ks, db, key);
    l.try_grow(bytes_of(vals), vals.len());
    for v in vals {
        l.push(v, head);
    }
    out.int(l.len() as i64);
    ks.changed(db, key, if head { Event::LPush } else { Event::RPush });
    ks.add_dirty(vals.len() as u64 - 1);
    code::WRITTEN
}

fn lpush_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    push_generic(ks, db, argv, out, true, false)
}
fn rpush_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    push_generic(ks, db, argv, out, false, false)
}
fn lpushx_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    push_generic(ks, db, argv, out, true, true)
}
fn rpushx_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    push_generic(ks, db, argv, out, false, true)
}

/// Pops `count` elements (at most the length) from a non-empty list at `key`,
/// replying with them as an array (in pop order), then listElementsRemoved.
/// Returns how many went.
fn pop_range_reply(ks: &mut Keyspace, db: usize, key: &[u8], head: bool, count: usize, out: &mut Out) -> usize {
    let l = list_again(ks, db, key);
    let llen = l.len();
    let n = count.min(llen);
    if head {
        l.reply_range(out, 0, n - 1, false);
        l.del_range(0, n);
    } else {
        l.reply_range(out, llen - n, llen - 1, true);
        l.del_range(-(n as i64), n);
    }
    elements_removed(ks, db, key, head, n);
    n
}

fn pop_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, head: bool) -> i64 {
    if argv.len() > 3 {
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        return out.error(&format!("ERR wrong number of arguments for '{name}' command"));
    }
    let has_count = argv.len() == 3;
    let count = if has_count { tryp!(parse_positive(argv[2], None, out)) as usize } else { 0 };
    let key = argv[1];
    match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return if has_count { code::NIL_ARRAY } else { code::NIL },
        Ok(Some(_)) => {}
    }
    if has_count && count == 0 {
        out.array(0);
        return code::WRITTEN;
    }
    if !has_count {
        let v = list_again(ks, db, key).pop(head).expect("non-empty list");
        v.with_bytes(|b| out.bulk(b));
        elements_removed(ks, db, key, head, 1);
    } else {
        pop_range_reply(ks, db, key, head, count, out);
    }
    code::WRITTEN
}

fn lpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    pop_generic(ks, db, argv, out, true)
}
fn rpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    pop_generic(ks, db, argv, out, false)
}

fn llen_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match list_mut(ks, db, argv[1], true) {
        Err(()) => out.error(err::WRONGTYPE),
        Ok(l) => {
            out.int(l.map(|l| l.len()).unwrap_or(0) as i64);
            code::WRITTEN
        }
    }
}

fn lindex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let l = match list_mut(ks, db, argv[1], true) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return code::NIL,
        Ok(Some(l)) => l,
    };
    let Some(i) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
    match l.index(i) {
        Some(v) => {
            out.bulk(&v);
            code::WRITTEN
        }
        None => code::NIL,
    }
}

fn lset_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let l = match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return out.error(err::NO_KEY),
        Ok(Some(l)) => l,
    };
    let Some(i) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
    l.try_grow(argv[3].len(), 1);
    if !l.set(i, argv[3]) {
        return out.error("ERR index out of range");
    }
    l.try_shrink(true);
    ks.changed(db, key, Event::LSet);
    code::OK
}

fn lrange_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let start = tryp!(parse_long(argv[2], out));
    let end = tryp!(parse_long(argv[3], out));
    match list_mut(ks, db, argv[1], true) {
        Err(()) => out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(0);
            code::WRITTEN
        }
        Ok(Some(l)) => {
            reply_list_range(out, l, start, end, false);
            code::WRITTEN
        }
    }
}

fn ltrim_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let start = tryp!(parse_long(argv[2], out));
    let end = tryp!(parse_long(argv[3], out));
    let key = argv[1];
    let l = match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return code::OK,
        Ok(Some(l)) => l,
    };
    let llen = l.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };
    l.del_range(0, ltrim as usize);
    l.del_range(-rtrim, rtrim as usize);
    let emptied = l.is_empty();
    if !emptied {
        l.try_shrink(true);
    }
    // The event and the signal come even when nothing was trimmed; the dirty count only counts removals.
    ks.notify(db, key, Event::LTrim);
    if emptied {
        ks.dbs[db].remove(key);
        ks.notify(db, key, Event::Del);
    }
    ks.signal(db, key);
    ks.add_dirty((ltrim + rtrim) as u64);
    code::OK
}

fn lpos_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let ele = argv[2];
    let (mut rank, mut count, mut maxlen) = (1i64, -1i64, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = argv[j];
        let more = j + 1 < argv.len();
        if opt.eq_ignore_ascii_case(b"rank") && more {
            j += 1;
            rank = tryp!(parse_range(argv[j], -i64::MAX, i64::MAX, None, out));
            if rank == 0 {
                return out.error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
            }
        } else if opt.eq_ignore_ascii_case(b"count") && more {
            j += 1;
            count = tryp!(parse_positive(argv[j], Some("ERR COUNT can't be negative"), out));
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more {
            j += 1;
            maxlen = tryp!(parse_positive(argv[j], Some("ERR MAXLEN can't be negative"), out));
        } else {
            return out.error(err::SYNTAX);
        }
        j += 1;
    }
    let reverse = rank < 0;
    let rank = rank.unsigned_abs();
    let l = match list_mut(ks, db, argv[1], true) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            if count != -1 {
                out.array(0);
                return code::WRITTEN;
            }
            return code::NIL;
        }
        Ok(Some(l)) => l,
    };
    let llen = l.len() as i64;
    let mut found: Vec<i64> = Vec::new();
    let mut matches = 0u64;
    let mut index = 0i64;
    l.walk(if reverse { llen as usize - 1 } else { 0 }, reverse, |e| {
        if maxlen != 0 && index >= maxlen {
            return false;
        }
        if e.eq_bytes(ele) {
            matches += 1;
            if matches >= rank {
                found.push(if reverse { llen - index - 1 } else { index });
                if count == -1 || (count != 0 && (matches - rank + 1) as i64 >= count) {
                    return false;
                }
            }
        }
        index += 1;
        true
    });
    if count != -1 {
        out.array(found.len());
        for i in found {
            out.int(i);
        }
    } else if let Some(i) = found.first() {
        out.int(*i);
    } else {
        return code::NIL;
    }
    code::WRITTEN
}

fn lrem_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let toremove = tryp!(parse_long(argv[2], out));
    let key = argv[1];
    let l = match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(l)) => l,
    };
    let removed = l.remove(argv[3], toremove.unsigned_abs() as usize, toremove < 0);
    let emptied = l.is_empty();
    if !emptied && removed > 0 {
        l.try_shrink(true);
    }
    if removed > 0 {
        ks.changed(db, key, Event::LRem);
        ks.add_dirty(removed as u64 - 1);
    }
    if emptied {
        ks.dbs[db].remove(key);
        ks.notify(db, key, Event::Del);
    }
    out.int(removed as i64);
    code::WRITTEN
}

fn linsert_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let after = if argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return out.error(err::SYNTAX);
    };
    let key = argv[1];
    let l = match list_mut(ks, db, key, false) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(l)) => l,
    };
    // Converted before the pivot is known, as Redis does.
    l.try_grow(argv[4].len(), 1);
    if !l.insert(argv[3], argv[4], after) {
        out.int(-1);
        return code::WRITTEN;
    }
    out.int(l.len() as i64);
    ks.changed(db, key, Event::LInsert);
    code::WRITTEN
}

/// lmoveGenericCommand, the source known to hold a non-empty list: pops,
/// pushes, replies with the element. Err (the error written) when the
/// destination is not a list.
fn lmove_generic(ks: &mut Keyspace, db: usize, src: &[u8], dst: &[u8], from_head: bool, to_head: bool, out: &mut Out) -> Result<(), i64> {
    let dst_exists = match list_mut(ks, db, dst, false) {
        Err(()) => return Err(out.error(err::WRONGTYPE)),
        Ok(d) => d.is_some(),
    };
    let value = list_again(ks, db, src).pop(from_head).expect("non-empty list");
    if !dst_exists {
        add_list(ks, db, dst);
    }
    {
        let d = list_again(ks, db, dst);
        match &value {
            Elem::Bytes(b) => d.try_grow(b.len(), 1),
            // An integer-encoded object: no string bytes to count.
            Elem::Int(_) => d.try_grow(0, 1),
        }
        value.with_bytes(|b| d.push(b, to_head));
    }
    ks.signal(db, dst);
    ks.notify(db, dst, if to_head { Event::LPush } else { Event::RPush });
    value.with_bytes(|b| out.bulk(b));
    elements_removed(ks, db, src, from_head, 1);
    Ok(())
}

/// The source of LMOVE-like commands: Ok(false) when missing (nil reply).
fn move_source(ks: &mut Keyspace, db: usize, src: &[u8], out: &mut Out) -> Result<bool, i64> {
    match list_mut(ks, db, src, false) {
        Err(()) => Err(out.error(err::WRONGTYPE)),
        Ok(None) => Ok(false),
        Ok(Some(_)) => Ok(true),
    }
}

fn lmove_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let from = tryp!(parse_where(argv[3], out));
    let to = tryp!(parse_where(argv[4], out));
    if !tryp!(move_source(ks, db, argv[1], out)) {
        return code::NIL;
    }
    tryp!(lmove_generic(ks, db, argv[1], argv[2], from, to, out));
    code::WRITTEN
}

fn rpoplpush_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if !tryp!(move_source(ks, db, argv[1], out)) {
        return code::NIL;
    }
    tryp!(lmove_generic(ks, db, argv[1], argv[2], false, true, out));
    code::WRITTEN
}

/// LMPOP / BLMPOP arguments: (keys, head, count).
fn parse_mpop<'a>(argv: &'a [&'a [u8]], numkeys_at: usize, out: &mut Out) -> Result<(&'a [&'a [u8]], bool, usize), i64> {
    let numkeys = parse_range(argv[numkeys_at], 1, i64::MAX, Some("ERR numkeys should be greater than 0"), out)? as usize;
    let where_at = numkeys_at.saturating_add(numkeys).saturating_add(1);
    if where_at >= argv.len() {
        return Err(out.error(err::SYNTAX));
    }
    let head = parse_where(argv[where_at], out)?;
    let mut count = -1i64;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count == -1 && argv[j].eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
            j += 1;
            count = parse_range(argv[j], 1, i64::MAX, Some("ERR count should be greater than 0"), out)?;
        } else {
            return Err(out.error(err::SYNTAX));
        }
        j += 1;
    }
    let count = if count == -1 { 1 } else { count as usize };
    Ok((&argv[numkeys_at + 1..where_at], head, count))
}

/// The first non-empty list among `keys`: Ok(None) when there is none, Err on a wrong type.
fn first_nonempty<'k>(ks: &mut Keyspace, db: usize, keys: &[&'k [u8]], out: &mut Out) -> Result<Option<&'k [u8]>, i64> {
    for &k in keys {
        match list_mut(ks, db, k, false) {
            Err(()) => return Err(out.error(err::WRONGTYPE)),
            Ok(Some(l)) if !l.is_empty() => return Ok(Some(k)),
            Ok(_) => {}
        }
    }
    Ok(None)
}

/// Pops up to `count` from `key` replying `[key, [elements]]`; propagated as LPOP/RPOP key n.
fn mpop_serve(ks: &mut Keyspace, db: usize, key: &[u8], head: bool, count: usize, out: &mut Out) {
    out.array(2);
    out.bulk(key);
    let n = pop_range_reply(ks, db, key, head, count, out);
    if ks.propagating() {
        let n = n.to_string();
        ks.also_propagate(db, &[if head { b"LPOP" } else { b"RPOP" }, key, n.as_bytes()]);
    }
}

fn lmpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (keys, head, count) = tryp!(parse_mpop(argv, 1, out));
    match tryp!(first_nonempty(ks, db, keys, out)) {
        Some(key) => {
            mpop_serve(ks, db, key, head, count, out);
            code::WRITTEN
        }
        None => code::NIL_ARRAY,
    }
}

/// BLPOP / BRPOP: serve the first non-empty list as [key, element] (propagated as LPOP/RPOP key), or block.
fn bpop_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, head: bool) -> i64 {
    tryp!(timeout_arg(ks, argv[argv.len() - 1], out));
    let keys = &argv[1..argv.len() - 1];
    let Some(key) = tryp!(first_nonempty(ks, db, keys, out)) else { return code::BLOCK };
    let v = list_again(ks, db, key).pop(head).expect("non-empty list");
    out.array(2);
    out.bulk(key);
    v.with_bytes(|b| out.bulk(b));
    elements_removed(ks, db, key, head, 1);
    ks.also_propagate(db, &[if head { b"LPOP" } else { b"RPOP" }, key]);
    code::WRITTEN
}

fn blpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bpop_generic(ks, db, argv, out, true)
}
fn brpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bpop_generic(ks, db, argv, out, false)
}

/// BLMOVE / BRPOPLPUSH once the arguments are parsed: serve (propagated as
/// `as_argv`), or block on a missing source.
fn blmove_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], from: bool, to: bool, as_argv: &[&[u8]], out: &mut Out) -> i64 {
    if !tryp!(move_source(ks, db, argv[1], out)) {
        return code::BLOCK;
    }
    tryp!(lmove_generic(ks, db, argv[1], argv[2], from, to, out));
    ks.also_propagate(db, as_argv);
    code::WRITTEN
}

fn blmove_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let from = tryp!(parse_where(argv[3], out));
    let to = tryp!(parse_where(argv[4], out));
    tryp!(timeout_arg(ks, argv[5], out));
    blmove_generic(ks, db, argv, from, to, &[b"LMOVE", argv[1], argv[2], argv[3], argv[4]], out)
}

fn brpoplpush_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    tryp!(timeout_arg(ks, argv[3], out));
    blmove_generic(ks, db, argv, false, true, &[b"RPOPLPUSH", argv[1], argv[2]], out)
}

fn blmpop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (keys, head, count) = tryp!(parse_mpop(argv, 2, out));
    tryp!(timeout_arg(ks, argv[1], out));
    match tryp!(first_nonempty(ks, db, keys, out)) {
        Some(key) => {
            mpop_serve(ks, db, key, head, count, out);
            code::WRITTEN
        }
        None => code::BLOCK,
    }
}

/// The list commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "lpush", f: lpush_cmd },
    Cmd { name: "rpush", f: rpush_cmd },
    Cmd { name: "lpushx", f: lpushx_cmd },
    Cmd { name: "rpushx", f: rpushx_cmd },
    Cmd { name: "lpop", f: lpop_cmd },
    Cmd { name: "rpop", f: rpop_cmd },
    Cmd { name: "llen", f: llen_cmd },
    Cmd { name: "lindex", f: lindex_cmd },
    Cmd { name: "lset", f: lset_cmd },
    Cmd { name: "lrange", f: lrange_cmd },
    Cmd { name: "ltrim", f: ltrim_cmd },
    Cmd { name: "lpos", f: lpos_cmd },
    Cmd { name: "lrem", f: lrem_cmd },
    Cmd { name: "linsert", f: linsert_cmd },
    Cmd { name: "lmove", f: lmove_cmd },
    Cmd { name: "rpoplpush", f: rpoplpush_cmd },
    Cmd { name: "lmpop", f: lmpop_cmd },
    Cmd { name: "blpop", f: blpop_cmd },
    Cmd { name: "brpop", f: brpop_cmd },
    Cmd { name: "blmove", f: blmove_cmd },
    Cmd { name: "brpoplpush", f: brpoplpush_cmd },
    Cmd { name: "blmpop", f: blmpop_cmd },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn values(l: &List) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        l.for_each(|b| v.push(b.to_vec()));
        v
    }

    #[test]
    fn timeouts_as_get_timeout_from_object_or_reply() {
        let now = 1_000_000;
        assert_eq!(parse_timeout(b"0", now), Ok(0));
        assert_eq!(parse_timeout(b"0.0001", now), Ok(now + 1)); // rounded up to a millisecond
        assert_eq!(parse_timeout(b"1.5", now), Ok(now + 1500));
        assert_eq!(parse_timeout(b"0x10", now), Ok(now + 16_000));
        assert_eq!(parse_timeout(b"-1", now), Err("ERR timeout is negative"));
        assert_eq!(parse_timeout(b"-inf", now), Err("ERR timeout is negative"));
        assert_eq!(parse_timeout(b"inf", now), Err("ERR timeout is out of range"));
        assert_eq!(parse_timeout(b"9223372036854775", now), Err("ERR timeout is out of range"));
        for bad in [&b"abc"[..], b"", b" 1", b"1 ", b"nan", b"1e5000"] {
            assert_eq!(parse_timeout(bad, now), Err("ERR timeout is not a float or out of range"));
        }
    }

    /// The conversions use the process-wide config, so one test walks through them.
    #[test]
    fn conversions_at_the_limits_and_at_half() {
        set_config(4, 0);
        let mut l = List::new();
        for v in ["a", "b", "c", "d"] {
            l.try_grow(1, 1);
            l.push(v.as_bytes(), false);
        }
        assert_eq!(l.encoding(), "listpack");
        l.try_grow(1, 1);
        l.push(b"e", false);
        assert_eq!(l.encoding(), "quicklist");
        // One node of 4 is over half the limit; two elements are not.
        l.pop(false);
        l.try_shrink(true);
        assert_eq!(l.encoding(), "quicklist");
        l.pop(false);
        l.pop(false);
        l.try_shrink(true);
        assert_eq!(l.encoding(), "listpack");
        assert_eq!(values(&l), vec![b"a".to_vec(), b"b".to_vec()]);
        // SORT ... STORE's list: a listpack when it fits the limits (not halved).
        let s = List::from_values([&b"x"[..], b"y", b"z", b"w"]);
        assert_eq!(s.encoding(), "listpack");
        let s = List::from_values([&b"x"[..], b"y", b"z", b"w", b"v"]);
        assert_eq!(s.encoding(), "quicklist");
        assert_eq!(s.len(), 5);
        set_config(-2, 0);
    }
}
