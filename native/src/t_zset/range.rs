//! ZRANGE and its older forms, and ZRANGESTORE (Redis's zrangeGenericCommand):
//! one parser, one walk, the result either replied or stored.
use super::cmds::{is, parse_long, parse_score_range, reply_member, reply_members_len, store_result, zset_read, NOT_FLOAT_RANGE, NOT_LEX_RANGE};
use super::ZSet;
use crate::changes::Event;
use crate::keyspace::Keyspace;
use crate::reply::{code, err, Out};
use crate::skiplist::{LexRange, ScoreRange};

#[derive(Clone, Copy, PartialEq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

pub(super) fn zrange_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Auto, Dir::Auto)
}
pub(super) fn zrangestore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 2, Some(argv[1]), By::Auto, Dir::Auto)
}
pub(super) fn zrevrange_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Rank, Dir::Reverse)
}
pub(super) fn zrangebyscore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Score, Dir::Forward)
}
pub(super) fn zrevrangebyscore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Score, Dir::Reverse)
}
pub(super) fn zrangebylex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Lex, Dir::Forward)
}
pub(super) fn zrevrangebylex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrange_generic(ks, db, argv, out, 1, None, By::Lex, Dir::Reverse)
}

enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// `<src> <min> <max> [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT offset count]`
/// from argv[start]; `store` is ZRANGESTORE's destination.
#[allow(clippy::too_many_arguments)]
fn zrange_generic(
    ks: &mut Keyspace,
    db: usize,
    argv: &[&[u8]],
    out: &mut Out,
    start: usize,
    store: Option<&[u8]>,
    mut by: By,
    mut dir: Dir,
) -> i64 {
    let key = argv[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut j = start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if store.is_none() && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            match (parse_long(argv[j + 1]), parse_long(argv[j + 2])) {
                (Ok(o), Ok(l)) => {
                    offset = o;
                    limit = l;
                }
                (Err(e), _) | (_, Err(e)) => return out.error(e),
            }
            j += 2;
        } else if dir == Dir::Auto && is(a, "rev") {
            dir = Dir::Reverse;
        } else if by == By::Auto && is(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(a, "byscore") {
            by = By::Score;
        } else {
            return out.error(err::SYNTAX);
        }
        j += 1;
    }
    let reverse = dir == Dir::Reverse;
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return out.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    }
    if withscores && by == By::Lex {
        return out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    if reverse && by != By::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let range = match by {
        By::Rank | By::Auto => match (parse_long(argv[minidx]), parse_long(argv[maxidx])) {
            (Ok(a), Ok(b)) => Range::Rank(a, b),
            (Err(e), _) | (_, Err(e)) => return out.error(e),
        },
        By::Score => match parse_score_range(argv[minidx], argv[maxidx]) {
            Some(r) => Range::Score(r),
            None => return out.error(NOT_FLOAT_RANGE),
        },
        By::Lex => match LexRange::parse(argv[minidx], argv[maxidx]) {
            Some(r) => Range::Lex(r),
            None => return out.error(NOT_LEX_RANGE),
        },
    };
    let z = match zset_read(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(z) => z.map(|z| &*z),
    };
    if let Some(dst) = store {
        let mut pairs: Vec<(Vec<u8>, f64)> = Vec::new();
        if let Some(z) = z {
            walk(z, &range, offset, limit, reverse, |m, s| pairs.push((m.to_vec(), s)));
        }
        store_result(ks, db, dst, ZSet::from_pairs(pairs), Event::ZRangeStore, out);
        return code::WRITTEN;
    }
    let Some(z) = z else {
        out.array(0);
        return code::WRITTEN;
    };
    // The count is known up front for ranks; otherwise collect, then reply.
    if let Range::Rank(..) = range {
        let n = rank_len(z, &range);
        reply_members_len(out, n, withscores);
        walk(z, &range, offset, limit, reverse, |m, s| reply_member(out, m, s, withscores));
        return code::WRITTEN;
    }
    // Redis defers the length; here the range is walked twice (counting, then replying),
    // which costs less than copying every member.
    let mut n = 0;
    walk(z, &range, offset, limit, reverse, |_, _| n += 1);
    reply_members_len(out, n, withscores);
    walk(z, &range, offset, limit, reverse, |m, s| reply_member(out, m, s, withscores));
    code::WRITTEN
}

/// Sanitized 0-based (start, end) of a rank range, None when empty.
fn rank_bounds(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

fn rank_len(z: &ZSet, range: &Range) -> usize {
    match range {
        Range::Rank(a, b) => rank_bounds(z.len(), *a, *b).map_or(0, |(s, e)| e - s + 1),
        _ => 0,
    }
}

/// Calls `f` for each member of the range, in reply order.
fn walk(z: &ZSet, range: &Range, offset: i64, limit: i64, reverse: bool, f: impl FnMut(&[u8], f64)) {
    match range {
        Range::Rank(a, b) => {
            if let Some((s, e)) = rank_bounds(z.len(), *a, *b) {
                z.range_by_rank(s, e, reverse, f);
            }
        }
        Range::Score(r) => {
            z.range_by_score(r, offset, limit, reverse, f);
        }
        Range::Lex(r) => {
            z.range_by_lex(r, offset, limit, reverse, f);
        }
    }
}
