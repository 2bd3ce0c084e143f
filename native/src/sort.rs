//! SORT and SORT_RO (Redis's sort.c) over lists, sets and sorted sets:
//! BY (a constant pattern skips sorting; `*` patterns read string keys or,
//! with `->field`, hash fields), GET (`#` for the element itself), LIMIT,
//! ASC/DESC, ALPHA and STORE (the result stored as a list).
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::util::parse_i64;
use std::cmp::Ordering;

/// C's strtod over the string up to its first NUL, as Redis calls it: the
/// value, and whether it is a valid score (all consumed, no ERANGE, not NaN).
#[cfg(target_os = "linux")]
fn score_of(s: &[u8]) -> (f64, bool) {
    use std::os::raw::{c_char, c_int};
    extern "C" {
        fn strtod(nptr: *const c_char, endptr: *mut *mut c_char) -> f64;
        fn __errno_location() -> *mut c_int;
    }
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    let mut buf = Vec::with_capacity(end + 1);
    buf.extend_from_slice(&s[..end]);
    buf.push(0);
    unsafe {
        let start = buf.as_ptr() as *const c_char;
        let mut stop: *mut c_char = std::ptr::null_mut();
        *__errno_location() = 0;
        let v = strtod(start, &mut stop);
        let erange = *__errno_location() == 34;
        let consumed = stop as usize - start as usize;
        (v, consumed == end && !erange && !v.is_nan())
    }
}

#[cfg(not(target_os = "linux"))]
fn score_of(s: &[u8]) -> (f64, bool) {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    if end == 0 {
        return (0.0, true);
    }
    let t = std::str::from_utf8(&s[..end]).unwrap_or("").trim_start();
    match t.parse::<f64>() {
        Ok(v) if !v.is_nan() && v.is_finite() => (v, true),
        _ => (0.0, false),
    }
}

/// What BY and GET patterns find: a string value (an integer-encoded one
/// keeps its integer: Redis reads its score without parsing).
struct Found {
    bytes: Vec<u8>,
    int: Option<i64>,
}

/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the
/// first `*` of the pattern is replaced by the element, and a `->field`
/// after it reads that field of a hash; a string key otherwise. None when
/// there is no `*`, no such key, or a key of another type.
fn lookup_by_pattern(ks: &mut Keyspace, db: usize, pattern: &[u8], elem: &[u8]) -> Option<Found> {
    // Redis reads patterns as C strings: they end at a NUL.
    let pattern = &pattern[..pattern.iter().position(|&b| b == 0).unwrap_or(pattern.len())];
    if pattern == b"#" {
        return Some(Found { bytes: elem.to_vec(), int: None });
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let rest = &pattern[star + 1..];
    let arrow = rest.windows(2).position(|w| w == b"->").filter(|&i| i + 2 < rest.len());
    let (postfix, field) = match arrow {
        Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        None => (rest, None),
    };
    let mut key = Vec::with_capacity(star + elem.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(postfix);
    let e = ks.lookup_read(db, &key)?;
    match (field, &e.value) {
        (Some(f), Value::Hash(h)) => hash_field(h, f).map(|bytes| Found { bytes, int: None }),
        (None, Value::Int(v)) => Some(Found { bytes: crate::util::i64_to_vec(*v), int: Some(*v) }),
        (None, v) if crate::t_string::is_string(v) => {
            Some(Found { bytes: crate::t_string::with_bytes(v, |b| b.to_vec()), int: None })
        }
        _ => None,
    }
}

/// A live field of a hash.
fn hash_field(h: &crate::t_hash::Hash, field: &[u8]) -> Option<Vec<u8>> {
    h.get(field)
}

/// The members of a sorted set, by ascending score (then member).
fn zset_members(z: &crate::t_zset::ZSet) -> Vec<Vec<u8>> {
    let mut v = Vec::with_capacity(z.len());
    z.for_each(|m, _| v.push(m.to_vec()));
    v
}

/// Elements of a list, head to tail.
fn list_members(l: &crate::t_list::List) -> Vec<Vec<u8>> {
    let mut v = Vec::with_capacity(l.len());
    l.for_each(|m| v.push(m.to_vec()));
    v
}

/// strcoll in the C locale: bytes up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| s.len().min(s.iter().position(|&c| c == 0).unwrap_or(s.len()));
    a[..cut(a)].cmp(&b[..cut(b)])
}

struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: what the pattern found (None sorts first).
    by: Option<Vec<u8>>,
}

/// The parsed arguments.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit: (i64, i64),
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse<'a>(argv: &[&'a [u8]], readonly: bool) -> Result<Opts<'a>, &'static str> {
    let mut o = Opts { desc: false, alpha: false, limit: (0, -1), store: None, by: None, dontsort: false, gets: Vec::new() };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if a.eq_ignore_ascii_case(b"asc") {
            o.desc = false;
        } else if a.eq_ignore_ascii_case(b"desc") {
            o.desc = true;
        } else if a.eq_ignore_ascii_case(b"alpha") {
            o.alpha = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let start = parse_i64(argv[j + 1]).ok_or(err::NOT_INT)?;
            let count = parse_i64(argv[j + 2]).ok_or(err::NOT_INT)?;
            o.limit = (start, count);
            j += 2;
        } else if !readonly && a.eq_ignore_ascii_case(b"store") && left >= 1 {
            o.store = Some(argv[j + 1]);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"by") && left >= 1 {
            o.by = Some(argv[j + 1]);
            // A pattern without '*' names one key for all: nothing to sort by.
            if !argv[j + 1].contains(&b'*') {
                o.dontsort = true;
            }
            j += 1;
        } else if a.eq_ignore_ascii_case(b"get") && left >= 1 {
            o.gets.push(argv[j + 1]);
            j += 1;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

fn sort_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, readonly: bool) -> i64 {
    let mut o = match parse(argv, readonly) {
        Ok(o) => o,
        Err(e) => return out.error(e),
    };
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        List,
        Set,
        ZSet,
    }
    // The elements, and for lists and sorted sets their natural order.
    let (kind, all): (Kind, Vec<Vec<u8>>) = match ks.lookup_read(db, argv[1]).map(|e| &mut e.value) {
        None => (Kind::List, Vec::new()),
        Some(Value::List(l)) => (Kind::List, list_members(l)),
        Some(Value::Set(s)) => {
            let mut v = Vec::with_capacity(s.len());
            s.for_each(|m| v.push(m.to_vec()));
            (Kind::Set, v)
        }
        Some(Value::ZSet(z)) => {
            // Redis 7.2 sorts a sorted set through its skiplist, converting a listpack one for good.
            if z.encoding() == "listpack" {
                z.to_skiplist();
            }
            (Kind::ZSet, zset_members(z))
        }
        Some(_) => return out.error(err::WRONGTYPE),
    };
    // An unsorted set would come out in its hash order: sorted when stored, so replicas agree.
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = all.len() as i64;
    let mut start = o.limit.0.max(0).min(len);
    let count = o.limit.1.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let mut items: Vec<Item>;
    let to_items = |v: Vec<Vec<u8>>| -> Vec<Item> { v.into_iter().map(|elem| Item { elem, score: 0.0, by: None }).collect() };
    if o.dontsort && kind != Kind::Set {
        // Lists and sorted sets keep their order (reversed by DESC), cut by LIMIT.
        let mut v = all;
        if o.desc {
            v.reverse();
        }
        let picked: Vec<Vec<u8>> = if end >= start { v.into_iter().skip(start as usize).take((end - start + 1) as usize).collect() } else { Vec::new() };
        end -= start;
        start = 0;
        items = to_items(picked);
    } else {
        items = to_items(all);
    }
    let mut bad_score = false;
    if !o.dontsort {
        for it in items.iter_mut() {
            let found = match o.by {
                Some(p) => match lookup_by_pattern(ks, db, p, &it.elem) {
                    Some(f) => f,
                    None => continue,
                },
                None => Found { bytes: std::mem::take(&mut it.elem), int: None },
            };
            if o.alpha {
                if o.by.is_some() {
                    it.by = Some(found.bytes);
                    continue;
                }
            } else if let Some(v) = found.int {
                it.score = v as f64;
            } else {
                let (v, ok) = score_of(&found.bytes);
                it.score = v;
                bad_score |= !ok;
            }
            if o.by.is_none() {
                it.elem = found.bytes;
            }
        }
        let (alpha, by, store, desc) = (o.alpha, o.by.is_some(), o.store.is_some(), o.desc);
        let text = |a: &[u8], b: &[u8]| if store { a.cmp(b) } else { collate(a, b) };
        items.sort_by(|x, y| {
            let c = if !alpha {
                x.score.partial_cmp(&y.score).unwrap_or(Ordering::Equal).then_with(|| x.elem.cmp(&y.elem))
            } else if by {
                match (&x.by, &y.by) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(a), Some(b)) => text(a, b),
                }
            } else {
                text(&x.elem, &y.elem)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }
    let rows = (end - start + 1).max(0) as usize;
    let outputlen = if o.gets.is_empty() { rows } else { o.gets.len() * rows };
    if bad_score {
        return out.error("ERR One or more scores can't be converted into double");
    }
    let range = if rows > 0 { &items[start as usize..=end as usize] } else { &items[..0] };
    let Some(dst) = o.store else {
        out.array(outputlen);
        for it in range {
            if o.gets.is_empty() {
                out.bulk(&it.elem);
            }
            for p in &o.gets {
                match lookup_by_pattern(ks, db, p, &it.elem) {
                    Some(f) => out.bulk(&f.bytes),
                    None => out.null(),
                }
            }
        }
        return code::WRITTEN;
    };
    let mut values: Vec<Vec<u8>> = Vec::with_capacity(outputlen);
    for it in range {
        if o.gets.is_empty() {
            values.push(it.elem.clone());
        }
        for p in &o.gets {
            values.push(lookup_by_pattern(ks, db, p, &it.elem).map(|f| f.bytes).unwrap_or_default());
        }
    }
    if outputlen > 0 {
        let list = crate::t_list::List::from_values(values.iter().map(|v| v.as_slice()));
        let existed = ks.lookup(db, dst).is_some();
        ks.set(db, dst, Value::List(Box::new(list)), -1);
        if !existed {
            ks.notify(db, dst, Event::New);
        }
        ks.changed(db, dst, Event::SortStore);
        ks.add_dirty(outputlen as u64 - 1);
    } else {
        ks.delete(db, dst);
    }
    out.int(outputlen as i64);
    code::WRITTEN
}

fn sort_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sort_generic(ks, db, argv, out, false)
}

fn sort_ro_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sort_generic(ks, db, argv, out, true)
}

/// The sort commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[Cmd { name: "sort", f: sort_cmd }, Cmd { name: "sort_ro", f: sort_ro_cmd }];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_as_strtod() {
        assert_eq!(score_of(b"1.5"), (1.5, true));
        assert_eq!(score_of(b""), (0.0, true));
        assert_eq!(score_of(b" 12"), (12.0, true));
        assert_eq!(score_of(b"0x10"), (16.0, true));
        assert!(score_of(b"inf").0.is_infinite() && score_of(b"-inf").1);
        assert!(!score_of(b"12 ").1);
        assert!(!score_of(b"abc").1);
        assert!(!score_of(b"nan").1);
        assert!(!score_of(b"1e400").1);
        assert!(!score_of(b"1e-400").1);
        // Redis reads the value as a C string: it ends at a NUL.
        assert_eq!(score_of(b"7\0junk"), (7.0, true));
    }

    #[test]
    fn options_parse_in_redis_s_order() {
        let argv: Vec<&[u8]> = vec![b"sort", b"k", b"BY", b"w_*", b"by", b"nosort", b"GET", b"#", b"limit", b"1", b"2", b"DESC", b"ALPHA"];
        let o = parse(&argv, false).ok().unwrap();
        assert!(o.dontsort && o.desc && o.alpha);
        assert_eq!(o.by, Some(&b"nosort"[..]));
        assert_eq!(o.limit, (1, 2));
        assert_eq!(o.gets, vec![&b"#"[..]]);
        assert_eq!(parse(&[b"sort", b"k", b"STORE", b"d"], true).err(), Some(err::SYNTAX));
        assert_eq!(parse(&[b"sort", b"k", b"LIMIT", b"x", b"1"], false).err(), Some(err::NOT_INT));
        assert_eq!(parse(&[b"sort", b"k", b"LIMIT", b"1"], false).err(), Some(err::SYNTAX));
    }
}
