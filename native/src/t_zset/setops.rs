//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
//! zunionInterDiffGenericCommand). Inputs may be sets too (each member
//! scoring 1). Results come out sorted by score then member, as Redis's
//! result skiplist orders them, so the order the inputs are walked in never shows.
use super::cmds::{is, parse_long, reply_member, reply_members_len, store_result};
use super::ZSet;
use crate::changes::Event;
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::t_set::Set;
use crate::util::strtod;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// zunionInterAggregate (a NaN sum, inf + -inf, counts as 0).
    fn apply(self, target: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *target += v;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *target {
                    *target = v
                }
            }
            Aggregate::Max => {
                if v > *target {
                    *target = v
                }
            }
        }
    }
}

/// One input: a sorted set, a set, or a missing key.
#[derive(Clone, Copy)]
enum Src<'a> {
    None,
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::None => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => set_len(s),
        }
    }
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::None => {}
            Src::Z(z) => z.for_each(f),
            Src::S(s) => set_for_each(s, |m| f(m, 1.0)),
        }
    }
    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::None => None,
            Src::Z(z) => z.score(m),
            Src::S(s) => set_contains(s, m).then_some(1.0),
        }
    }
    /// The same input value (Redis skips looking a member up in the set it came from).
    fn same(&self, o: &Src) -> bool {
        match (self, o) {
            (Src::Z(a), Src::Z(b)) => std::ptr::eq(*a, *b),
            (Src::S(a), Src::S(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

// The Set API the sets family provides (t_set.rs): len, for_each, contains.
// The Set API of the sets family (t_set.rs).
fn set_len(s: &Set) -> usize {
    s.len()
}
fn set_for_each(s: &Set, f: impl FnMut(&[u8])) {
    s.for_each(f)
}
fn set_contains(s: &Set, m: &[u8]) -> bool {
    s.contains(m)
}

pub(super) fn zunion_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, None, 1, Op::Union, false)
}
pub(super) fn zunionstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, Some(argv[1]), 2, Op::Union, false)
}
pub(super) fn zinter_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, None, 1, Op::Inter, false)
}
pub(super) fn zinterstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, Some(argv[1]), 2, Op::Inter, false)
}
pub(super) fn zintercard_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, None, 1, Op::Inter, true)
}
pub(super) fn zdiff_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, None, 1, Op::Diff, false)
}
pub(super) fn zdiffstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    generic(ks, db, argv, out, Some(argv[1]), 2, Op::Diff, false)
}

#[allow(clippy::too_many_arguments)]
fn generic(
    ks: &mut Keyspace,
    db: usize,
    argv: &[&[u8]],
    out: &mut Out,
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: Op,
    card_only: bool,
) -> i64 {
    let setnum = match parse_long(argv[numkeys_idx]) {
        Ok(n) => n,
        Err(e) => return out.error(e),
    };
    if setnum < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        return out.error(&format!("ERR at least 1 input key is needed for '{}' command", name));
    }
    if setnum > (argv.len() - numkeys_idx - 1) as i64 {
        return out.error(err::SYNTAX);
    }
    let setnum = setnum as usize;
    let keys = &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Lookups first (expiry, stats, type errors in key order), as Redis does.
    for k in keys {
        if let Some(e) = ks.lookup_read(db, k) {
            if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                return out.error(err::WRONGTYPE);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv[j];
        if op != Op::Diff && !card_only && remaining > setnum && is(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                match strtod::string2d(argv[j]) {
                    Some(v) => *w = v,
                    None => return out.error("ERR weight value is not a float"),
                }
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(a, "aggregate") {
            let v = argv[j + 1];
            aggregate = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return out.error(err::SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(a, "limit") {
            match parse_long(argv[j + 1]) {
                Err(_) => return out.error("ERR LIMIT can't be negative"),
                Ok(l) if l < 0 => return out.error("ERR LIMIT can't be negative"),
                Ok(l) => limit = l,
            }
            j += 2;
        } else {
            return out.error(err::SYNTAX);
        }
    }
    let dict = &ks.dbs[db].dict;
    let mut src: Vec<(Src, f64)> = keys
        .iter()
        .zip(weights.iter())
        .map(|(k, &w)| {
            let s = match dict.get(k).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::S(s),
                _ => Src::None,
            };
            (s, w)
        })
        .collect();
    if op != Op::Diff {
        // Smallest first (a stable sort, as glibc's qsort behaves here).
        src.sort_by_key(|(s, _)| s.len());
    }
    if card_only {
        let n = inter(&src, aggregate, limit as usize, |_, _| {});
        out.int(n as i64);
        return code::WRITTEN;
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Inter => {
            inter(&src, aggregate, 0, |m, s| result.push((m.to_vec(), s)));
        }
        Op::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::with_capacity(src.last().map_or(0, |s| s.0.len()));
            for (s, w) in &src {
                s.for_each(|m, score| {
                    let mut v = w * score;
                    if v.is_nan() {
                        v = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate.apply(t, v),
                        None => {
                            acc.insert(m.to_vec(), v);
                        }
                    }
                });
            }
            result = acc.into_iter().collect();
        }
        Op::Diff => {
            let (first, rest) = src.split_first().expect("at least one key");
            if !rest.iter().any(|(s, _)| s.same(&first.0)) {
                first.0.for_each(|m, score| {
                    if !rest.iter().any(|(s, _)| s.find(m).is_some()) {
                        result.push((m.to_vec(), score));
                    }
                });
            }
        }
    }
    let z = ZSet::from_pairs(result);
    if let Some(dst) = dst {
        let ev = match op {
            Op::Union => Event::ZUnionStore,
            Op::Inter => Event::ZInterStore,
            Op::Diff => Event::ZDiffStore,
        };
        store_result(ks, db, dst, z, ev, out);
        return code::WRITTEN;
    }
    reply_members_len(out, z.len(), withscores);
    z.for_each(|m, s| reply_member(out, m, s, withscores));
    code::WRITTEN
}

/// The intersection: `f` gets each member present in every input with its
/// aggregated score; stops after `limit` members (0: no limit). Returns how many.
fn inter(src: &[(Src, f64)], aggregate: Aggregate, limit: usize, mut f: impl FnMut(&[u8], f64)) -> usize {
    let (first, rest) = src.split_first().expect("at least one key");
    if first.0.len() == 0 {
        return 0;
    }
    let mut n = 0;
    let mut done = false;
    first.0.for_each(|m, s0| {
        if done {
            return;
        }
        let mut score = first.1 * s0;
        if score.is_nan() {
            score = 0.0;
        }
        for (s, w) in rest {
            let v = if s.same(&first.0) { Some(s0) } else { s.find(m) };
            match v {
                Some(v) => aggregate.apply(&mut score, v * w),
                None => return,
            }
        }
        f(m, score);
        n += 1;
        if limit > 0 && n >= limit {
            done = true;
        }
    });
    n
}
