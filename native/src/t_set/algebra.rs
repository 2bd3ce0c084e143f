//! The set algebra as Redis 7.2 computes it (sinterGenericCommand,
//! sunionDiffGenericCommand): which set is walked, in what order elements
//! are added to the result, and so the result's encoding and the order of
//! its intset/listpack replies.
use super::{Elem, Set};
use crate::listpack::LpEntry;
use crate::util::parse_i64;

/// One input: its key (the same key twice is the same set) and the set.
pub(super) type Input<'a> = (&'a [u8], &'a Set);

/// Orders the inputs smallest first, as Redis's qsort by cardinality
/// (glibc's qsort is a merge sort, stable, so ties keep their order).
pub(super) fn smallest_first(sets: &mut [Input]) {
    sets.sort_by_key(|(_, s)| s.len());
}

/// Walks the elements of the smallest set (`sets` ordered by
/// `smallest_first`) that every other set has; `visit` returns false to stop.
pub(super) fn intersect<'a>(sets: &[Input<'a>], mut visit: impl FnMut(Elem<'a>) -> bool) {
    let (k0, first) = sets[0];
    for e in first.iter() {
        let everywhere = sets[1..].iter().all(|(k, s)| *k == k0 || s.contains_elem(e));
        if everywhere && !visit(e) {
            return;
        }
    }
}

/// SINTERSTORE's result: built in the encoding Redis starts from (an intset
/// under an intset, else a listpack), integers kept as integers, and made
/// an intset at the end when only integers went in.
pub(super) fn intersect_into_set(sets: &[Input]) -> Set {
    let from_table = matches!(sets[0].1, Set::Table(_));
    let mut dst = match sets[0].1 {
        Set::Intset(_) => Set::new_intset(),
        _ => Set::new_listpack(),
    };
    let mut only_integers = true;
    intersect(sets, |e| {
        let mut e = e;
        if let (LpEntry::Str(s), true) = (e, only_integers) {
            match parse_i64(s) {
                Some(v) if from_table => {
                    // Adding it as an integer is what Redis does for compact results.
                    if !matches!(dst, Set::Table(_)) {
                        e = LpEntry::Int(v);
                    }
                }
                _ => only_integers = false,
            }
        }
        dst.add_elem(e);
        true
    });
    if !dst.is_empty() && only_integers {
        dst.maybe_convert_to_intset();
    }
    dst
}

/// SUNION / SDIFF and their STORE forms: the result set, built from an
/// intset by adding (and for the second DIFF algorithm, removing) elements
/// in Redis's order. Missing keys are None (empty sets).
pub(super) fn union_or_diff(sets: &[Option<Input>], diff: bool) -> Set {
    let mut dst = Set::new_intset();
    if !diff {
        for (_, s) in sets.iter().flatten() {
            for e in s.iter() {
                dst.add_elem(e);
            }
        }
        return dst;
    }
    let Some((k0, first)) = sets[0] else { return dst };
    // The same key as the first one: the difference is empty.
    if sets[1..].iter().flatten().any(|(k, _)| *k == k0) {
        return dst;
    }
    // Algorithm 1 walks the first set probing the others (N*M); algorithm 2
    // adds the first and removes all the others (sum of sizes). Redis picks
    // by the work each needs, giving the first a 2x advantage.
    let others: Vec<&Set> = sets[1..].iter().flatten().map(|(_, s)| *s).collect();
    let algo_one = (first.len() * (1 + others.len())) / 2;
    let algo_two = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
    if algo_one <= algo_two {
        for e in first.iter() {
            if !others.iter().any(|s| s.contains_elem(e)) {
                dst.add_elem(e);
            }
        }
    } else {
        for e in first.iter() {
            dst.add_elem(e);
        }
        for s in others {
            if dst.is_empty() {
                break;
            }
            for e in s.iter() {
                dst.remove_elem(e);
            }
        }
    }
    dst
}
