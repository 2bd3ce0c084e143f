//! The sorted set commands (Redis's t_zset.c): argument parsing with Redis's
//! errors in Redis's order, the write path (events, dirty count), replies.
//! Ranges are in range.rs, the set algebra in setops.rs, pops in pop.rs.
use super::{AddFlags, Added, ZSet};
use crate::changes::Event;
use crate::command::Cmd;
use crate::glob;
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::skiplist::{LexRange, ScoreRange};
use crate::util::{parse_i64, strtod};

pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "zadd", f: zadd_cmd },
    Cmd { name: "zincrby", f: zincrby_cmd },
    Cmd { name: "zrem", f: zrem_cmd },
    Cmd { name: "zcard", f: zcard_cmd },
    Cmd { name: "zscore", f: zscore_cmd },
    Cmd { name: "zmscore", f: zmscore_cmd },
    Cmd { name: "zrank", f: zrank_cmd },
    Cmd { name: "zrevrank", f: zrevrank_cmd },
    Cmd { name: "zcount", f: zcount_cmd },
    Cmd { name: "zlexcount", f: zlexcount_cmd },
    Cmd { name: "zremrangebyrank", f: zremrangebyrank_cmd },
    Cmd { name: "zremrangebyscore", f: zremrangebyscore_cmd },
    Cmd { name: "zremrangebylex", f: zremrangebylex_cmd },
    Cmd { name: "zrandmember", f: zrandmember_cmd },
    Cmd { name: "zscan", f: zscan_cmd },
    Cmd { name: "zrange", f: super::range::zrange_cmd },
    Cmd { name: "zrangestore", f: super::range::zrangestore_cmd },
    Cmd { name: "zrevrange", f: super::range::zrevrange_cmd },
    Cmd { name: "zrangebyscore", f: super::range::zrangebyscore_cmd },
    Cmd { name: "zrevrangebyscore", f: super::range::zrevrangebyscore_cmd },
    Cmd { name: "zrangebylex", f: super::range::zrangebylex_cmd },
    Cmd { name: "zrevrangebylex", f: super::range::zrevrangebylex_cmd },
    Cmd { name: "zunion", f: super::setops::zunion_cmd },
    Cmd { name: "zunionstore", f: super::setops::zunionstore_cmd },
    Cmd { name: "zinter", f: super::setops::zinter_cmd },
    Cmd { name: "zinterstore", f: super::setops::zinterstore_cmd },
    Cmd { name: "zintercard", f: super::setops::zintercard_cmd },
    Cmd { name: "zdiff", f: super::setops::zdiff_cmd },
    Cmd { name: "zdiffstore", f: super::setops::zdiffstore_cmd },
    Cmd { name: "zpopmin", f: super::pop::zpopmin_cmd },
    Cmd { name: "zpopmax", f: super::pop::zpopmax_cmd },
    Cmd { name: "zmpop", f: super::pop::zmpop_cmd },
    Cmd { name: "bzpopmin", f: super::pop::bzpopmin_cmd },
    Cmd { name: "bzpopmax", f: super::pop::bzpopmax_cmd },
    Cmd { name: "bzmpop", f: super::pop::bzmpop_cmd },
];

pub(super) const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
pub(super) const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// Case-insensitive keyword comparison.
#[inline]
pub(super) fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// getLongFromObjectOrReply's parse (string2ll).
pub(super) fn parse_long(arg: &[u8]) -> Result<i64, &'static str> {
    parse_i64(arg).ok_or(err::NOT_INT)
}

/// zslParseRange: `(` makes an end exclusive; strtod rules, NaN refused.
pub(super) fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    fn end(s: &[u8]) -> Option<(f64, bool)> {
        match s.first() {
            Some(b'(') => Some((strtod::range_double(&s[1..])?, true)),
            _ => Some((strtod::range_double(s)?, false)),
        }
    }
    let (min, minex) = end(min)?;
    let (max, maxex) = end(max)?;
    Some(ScoreRange { min, max, minex, maxex })
}

/// The zset at `key` for a reading command (hits and misses counted):
/// Ok(None) when absent, Err(WRONGTYPE) when another type.
pub(super) fn zset_read<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a mut ZSet>, &'static str> {
    match ks.lookup_read(db, key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(err::WRONGTYPE),
        },
    }
}

/// The zset at `key` for a writing command (lookupKeyWrite + checkType).
pub(super) fn zset_write<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a mut ZSet>, &'static str> {
    match ks.lookup(db, key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(err::WRONGTYPE),
        },
    }
}

/// After a write that changed `key` `n` times (n >= 1): the event, n dirty
/// changes, and the key's deletion (with `del`) when it `emptied` the set.
pub(super) fn wrote(ks: &mut Keyspace, db: usize, key: &[u8], ev: Event, n: usize, emptied: bool) {
    if emptied {
        ks.dbs[db].remove(key);
    }
    ks.changed(db, key, ev);
    if n > 1 {
        ks.add_dirty(n as u64 - 1);
    }
    if emptied {
        ks.notify(db, key, Event::Del);
    }
}

/// setKey for a z*store result, then its event and one dirty change; an
/// empty result deletes the destination instead (`del`, when it existed).
/// Replies with the stored length.
pub(super) fn store_result(ks: &mut Keyspace, db: usize, dst: &[u8], z: ZSet, ev: Event, out: &mut Out) {
    let n = z.len();
    if n == 0 {
        out.int(0);
        ks.delete(db, dst);
        return;
    }
    let existed = ks.lookup(db, dst).is_some();
    ks.set(db, dst, Value::ZSet(z), -1);
    if !existed {
        ks.notify(db, dst, Event::New);
    }
    out.int(n as i64);
    ks.changed(db, dst, ev);
}

/// A member with its score as a reply: flat in RESP2, a pair in RESP3 (when `pairs`).
#[inline]
pub(super) fn reply_member(out: &mut Out, m: &[u8], score: f64, withscores: bool) {
    if withscores && out.resp3 {
        out.array(2);
    }
    out.bulk(m);
    if withscores {
        out.double(score);
    }
}

/// The array header for `n` members, WITHSCORES doubling it in RESP2.
#[inline]
pub(super) fn reply_members_len(out: &mut Out, n: usize, withscores: bool) {
    out.array(if withscores && !out.resp3 { 2 * n } else { n });
}

fn zadd_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zadd_generic(ks, db, argv, out, false)
}

fn zincrby_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zadd_generic(ks, db, argv, out, true)
}

/// ZADD and ZINCRBY (zaddGenericCommand).
fn zadd_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, incr_cmd: bool) -> i64 {
    let key = argv[1];
    let mut flags = AddFlags { incr: incr_cmd, ..AddFlags::default() };
    let mut ch = false;
    let mut i = 2;
    while i < argv.len() {
        let o = argv[i];
        if is(o, "nx") {
            flags.nx = true;
        } else if is(o, "xx") {
            flags.xx = true;
        } else if is(o, "ch") {
            ch = true;
        } else if is(o, "incr") {
            flags.incr = true;
        } else if is(o, "gt") {
            flags.gt = true;
        } else if is(o, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = argv.len() - i;
    if elements % 2 == 1 || elements == 0 {
        return out.error(err::SYNTAX);
    }
    let pairs = &argv[i..];
    let elements = elements / 2;
    if flags.nx && flags.xx {
        return out.error("ERR XX and NX options at the same time are not compatible");
    }
    if (flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt) {
        return out.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if flags.incr && elements > 1 {
        return out.error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        match strtod::string2d(pairs[2 * j]) {
            Some(s) => scores.push(s),
            None => return out.error(err::NOT_FLOAT),
        }
    }
    // One key lookup: an existing set is added to in place, a new one built, then added to the db.
    let tally = match zset_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(Some(z)) => {
            z.maybe_convert(elements);
            add_pairs(z, &scores, pairs, flags)
        }
        Ok(None) => {
            if flags.xx {
                return reply_zadd(out, flags.incr, ch, &Tally::default());
            }
            let mut z = ZSet::new_for(elements, pairs[1].len());
            let tally = add_pairs(&mut z, &scores, pairs, flags);
            let lru = ks.lru_clock();
            ks.dbs[db].add(key, crate::keyspace::Detached::new(Value::ZSet(z), -1, lru));
            ks.notify(db, key, Event::New);
            tally
        }
    };
    if tally.added + tally.updated > 0 {
        wrote(ks, db, key, if flags.incr { Event::ZIncr } else { Event::ZAdd }, tally.added + tally.updated, false);
    }
    if tally.nan {
        return out.error("ERR resulting score is not a number (NaN)");
    }
    reply_zadd(out, flags.incr, ch, &tally)
}

/// What ZADD's pairs did.
#[derive(Default)]
struct Tally {
    added: usize,
    updated: usize,
    /// Pairs not refused by NX/XX/GT/LT.
    processed: usize,
    /// The last pair's score after it (ZADD INCR's reply).
    score: f64,
    /// A pair stopped on a NaN score.
    nan: bool,
}

/// zsetAdd over each (score, member) pair, in order, stopping at a NaN.
fn add_pairs(z: &mut ZSet, scores: &[f64], pairs: &[&[u8]], flags: AddFlags) -> Tally {
    let mut t = Tally::default();
    for (j, &score) in scores.iter().enumerate() {
        match z.add(score, pairs[2 * j + 1], flags) {
            Err(_) => {
                t.nan = true;
                break;
            }
            Ok((r, s)) => {
                match r {
                    Added::New => t.added += 1,
                    Added::Updated => t.updated += 1,
                    _ => {}
                }
                if r != Added::Nop {
                    t.processed += 1;
                }
                t.score = s;
            }
        }
    }
    t
}

fn reply_zadd(out: &mut Out, incr: bool, ch: bool, t: &Tally) -> i64 {
    if incr {
        if t.processed == 0 {
            return code::NIL;
        }
        out.double(t.score);
    } else {
        out.int(if ch { t.added + t.updated } else { t.added } as i64);
    }
    code::WRITTEN
}

fn zrem_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let z = match zset_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(z)) => z,
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    if deleted > 0 {
        let emptied = z.is_empty();
        wrote(ks, db, key, Event::ZRem, deleted, emptied);
    }
    out.int(deleted as i64);
    code::WRITTEN
}

fn zcard_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match zset_read(ks, db, argv[1]) {
        Err(e) => out.error(e),
        Ok(z) => {
            out.int(z.map_or(0, |z| z.len()) as i64);
            code::WRITTEN
        }
    }
}

fn zscore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match zset_read(ks, db, argv[1]) {
        Err(e) => out.error(e),
        Ok(z) => match z.and_then(|z| z.score(argv[2])) {
            None => code::NIL,
            Some(s) => {
                out.double(s);
                code::WRITTEN
            }
        },
    }
}

fn zmscore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let z = match zset_read(ks, db, argv[1]) {
        Err(e) => return out.error(e),
        Ok(z) => z,
    };
    out.array(argv.len() - 2);
    for m in &argv[2..] {
        match z.as_ref().and_then(|z| z.score(m)) {
            None => out.null(),
            Some(s) => out.double(s),
        }
    }
    code::WRITTEN
}

fn zrank_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrank_generic(ks, db, argv, out, false)
}

fn zrevrank_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    zrank_generic(ks, db, argv, out, true)
}

fn zrank_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, reverse: bool) -> i64 {
    if argv.len() > 4 {
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        return out.error(&format!("ERR wrong number of arguments for '{}' command", name));
    }
    let withscore = argv.len() > 3;
    if withscore && !is(argv[3], "withscore") {
        return out.error(err::SYNTAX);
    }
    let z = match zset_read(ks, db, argv[1]) {
        Err(e) => return out.error(e),
        Ok(z) => z,
    };
    match z.and_then(|z| z.rank(argv[2], reverse)) {
        None => {
            if withscore {
                code::NIL_ARRAY
            } else {
                code::NIL
            }
        }
        Some((rank, score)) => {
            if withscore {
                out.array(2);
            }
            out.int(rank as i64);
            if withscore {
                out.double(score);
            }
            code::WRITTEN
        }
    }
}

fn zcount_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(r) = parse_score_range(argv[2], argv[3]) else { return out.error(NOT_FLOAT_RANGE) };
    match zset_read(ks, db, argv[1]) {
        Err(e) => out.error(e),
        Ok(z) => {
            out.int(z.map_or(0, |z| z.count_in_range(&r)) as i64);
            code::WRITTEN
        }
    }
}

fn zlexcount_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(r) = LexRange::parse(argv[2], argv[3]) else { return out.error(NOT_LEX_RANGE) };
    match zset_read(ks, db, argv[1]) {
        Err(e) => out.error(e),
        Ok(z) => {
            out.int(z.map_or(0, |z| z.count_in_lex(&r)) as i64);
            code::WRITTEN
        }
    }
}

enum RemRange {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

fn zremrangebyrank_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (start, end) = match (parse_long(argv[2]), parse_long(argv[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return out.error(e),
    };
    zremrange_generic(ks, db, argv[1], RemRange::Rank(start, end), out)
}

fn zremrangebyscore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(r) = parse_score_range(argv[2], argv[3]) else { return out.error(NOT_FLOAT_RANGE) };
    zremrange_generic(ks, db, argv[1], RemRange::Score(r), out)
}

fn zremrangebylex_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(r) = LexRange::parse(argv[2], argv[3]) else { return out.error(NOT_LEX_RANGE) };
    zremrange_generic(ks, db, argv[1], RemRange::Lex(r), out)
}

/// ZREMRANGEBYRANK / BYSCORE / BYLEX (zremrangeGenericCommand).
fn zremrange_generic(ks: &mut Keyspace, db: usize, key: &[u8], range: RemRange, out: &mut Out) -> i64 {
    let z = match zset_write(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(z)) => z,
    };
    let (deleted, ev) = match range {
        RemRange::Rank(start, end) => {
            let len = z.len() as i64;
            let start = if start < 0 { (len + start).max(0) } else { start };
            let end = if end < 0 { len + end } else { end };
            if start > end || start >= len {
                out.int(0);
                return code::WRITTEN;
            }
            let end = end.min(len - 1);
            (z.delete_range_by_rank(start as usize, end as usize), Event::ZRemRangeByRank)
        }
        RemRange::Score(r) => (z.delete_range_by_score(&r), Event::ZRemRangeByScore),
        RemRange::Lex(r) => (z.delete_range_by_lex(&r), Event::ZRemRangeByLex),
    };
    if deleted > 0 {
        let emptied = z.is_empty();
        wrote(ks, db, key, ev, deleted, emptied);
    }
    out.int(deleted as i64);
    code::WRITTEN
}

fn zrandmember_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() >= 3 {
        let l = match parse_long(argv[2]) {
            Ok(l) if l >= -i64::MAX => l,
            Ok(_) => {
                return out.error(&format!("ERR value is out of range, value must between {} and {}", -i64::MAX, i64::MAX))
            }
            Err(e) => return out.error(e),
        };
        if argv.len() > 4 || (argv.len() == 4 && !is(argv[3], "withscores")) {
            return out.error(err::SYNTAX);
        }
        let withscores = argv.len() == 4;
        if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            return out.error("ERR value is out of range");
        }
        return zrandmember_count(ks, db, argv[1], l, withscores, out);
    }
    let mut rng = ks.rand();
    let z = match zset_read(ks, db, argv[1]) {
        Err(e) => return out.error(e),
        Ok(None) => return code::NIL,
        Ok(Some(z)) => z,
    };
    let (m, _) = z.random_member(&mut || {
        rng = crate::keyspace::next_rand(&mut rng);
        rng
    });
    out.bulk(&m);
    code::WRITTEN
}

/// ZRANDMEMBER key count [WITHSCORES] (zrandmemberWithCountCommand).
fn zrandmember_count(ks: &mut Keyspace, db: usize, key: &[u8], l: i64, withscores: bool, out: &mut Out) -> i64 {
    let mut seed = ks.rand() | 1;
    let mut rand = move || crate::keyspace::next_rand(&mut seed);
    let z = match zset_read(ks, db, key) {
        Err(e) => return out.error(e),
        Ok(None) => {
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(z)) => z,
    };
    let size = z.len();
    let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    if count == 0 {
        out.array(0);
        return code::WRITTEN;
    }
    // Repeats allowed (or a single member): independent draws.
    if !uniq || count == 1 {
        reply_members_len(out, count as usize, withscores);
        for i in 0..count {
            if i & 1023 == 0 && out.past_cap() {
                break; // the client is being closed for its output limit
            }
            let (m, s) = z.random_member(&mut rand);
            reply_member(out, &m, s, withscores);
        }
        return code::WRITTEN;
    }
    let count = count as usize;
    reply_members_len(out, count.min(size), withscores);
    // The whole set, from the top as Redis walks it.
    if count >= size {
        let mut all = Vec::with_capacity(size);
        z.for_each(|m, s| all.push((m.to_vec(), s)));
        for (m, s) in all.iter().rev() {
            reply_member(out, m, *s, withscores);
        }
        return code::WRITTEN;
    }
    // Unique members: a listpack is sampled in order (lpRandomPairsUnique);
    // a skiplist by random draws without repeats.
    if let ZSet::Listpack(_) = z {
        let mut left = size;
        let mut need = count;
        z.for_each(|m, s| {
            if need > 0 && (rand() % left as u64) < need as u64 {
                reply_member(out, m, s, withscores);
                need -= 1;
            }
            left -= 1;
        });
        return code::WRITTEN;
    }
    let mut seen = std::collections::HashSet::with_capacity(count);
    if count * 3 > size {
        // Most of the set: drop random members until `count` remain.
        let mut all: Vec<(Vec<u8>, f64)> = Vec::with_capacity(size);
        z.for_each(|m, s| all.push((m.to_vec(), s)));
        while all.len() > count {
            let i = (rand() % all.len() as u64) as usize;
            all.swap_remove(i);
        }
        for (m, s) in &all {
            reply_member(out, m, *s, withscores);
        }
        return code::WRITTEN;
    }
    while seen.len() < count {
        let (m, s) = z.random_member(&mut rand);
        if seen.insert(m.clone()) {
            reply_member(out, &m, s, withscores);
        }
    }
    code::WRITTEN
}

fn zscan_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(cursor) = crate::generic::parse_cursor(argv[2]) else { return out.error("ERR invalid cursor") };
    let z = match zset_read(ks, db, argv[1]) {
        Err(e) => return out.error(e),
        Ok(None) => {
            out.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return code::WRITTEN;
        }
        Ok(Some(z)) => z,
    };
    let (count, pattern) = match crate::generic::scan_options(argv, 3, false, out) {
        Ok(o) => (o.count, o.pattern),
        Err(c) => return c,
    };
    let (next, found) = z.scan(cursor, count, |m| pattern.is_none_or(|p| glob::matches(p, m, false)));
    out.array(2);
    out.bulk_i64(next as i64);
    out.array(found.len() * 2);
    for (m, s) in &found {
        out.bulk(m);
        out.bulk(s);
    }
    code::WRITTEN
}
