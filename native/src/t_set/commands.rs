//! The set commands (Redis 7.2's t_set.c): argument parsing and errors in
//! Redis's order, replies, keyspace events, dirty counts and propagation.
use super::algebra::{intersect, intersect_into_set, smallest_first, union_or_diff, Input};
use super::random::ordered_sample;
use super::{Elem, Set};
use crate::changes::Event;
use crate::command::Cmd;
use crate::dict::Dict;
use crate::generic::{parse_cursor, scan_options, ScanOptions};
use crate::glob;
use crate::keyspace::{Detached, Entry, Keyspace, Value};
use crate::listpack::LpEntry;
use crate::reply::{code, err, Out};
use crate::util::parse_range;

/// The set in a looked-up entry: Ok(None) when missing, Err when of another type.
fn as_set(e: Option<&mut Entry>) -> Result<Option<&mut Set>, ()> {
    match e {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Set(s) => Ok(Some(s)),
            _ => Err(()),
        },
    }
}

/// The set at `key`, known to exist, with the keyspace's random source.
fn set_and_rng<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> (&'a mut Set, &'a mut u64) {
    let Keyspace { dbs, rng, .. } = ks;
    match dbs[db].dict.get_mut(key).map(|e| &mut e.value) {
        Some(Value::Set(s)) => (s, rng),
        _ => unreachable!("a set at this key"),
    }
}

fn reply_elem(out: &mut Out, e: Elem) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// An empty set reply: `~0` in RESP3, `*0` in RESP2 (shared.emptyset).
fn empty_set(out: &mut Out) -> i64 {
    out.set(0);
    code::WRITTEN
}

/// A collection emptied by a command: removed, with `del` (the command's own
/// event already counted the change and signalled the key).
fn remove_emptied(ks: &mut Keyspace, db: usize, key: &[u8]) {
    ks.dbs[db].remove(key);
    ks.notify(db, key, Event::Del);
}

/// Adds a new key holding `set` (dbAdd: fires `new`).
fn add_key(ks: &mut Keyspace, db: usize, key: &[u8], set: Set) {
    let lru = ks.lru_clock();
    ks.dbs[db].add(key, Detached::new(Value::Set(Box::new(set)), -1, lru));
    ks.notify(db, key, Event::New);
}

/// Stores a STORE command's result (setKey: replaces any value and its TTL,
/// `new` if the key did not exist), then fires `ev`.
fn store(ks: &mut Keyspace, db: usize, key: &[u8], set: Set, ev: Event) {
    let existed = ks.lookup(db, key).is_some();
    ks.set(db, key, Value::Set(Box::new(set)), -1);
    if !existed {
        ks.notify(db, key, Event::New);
    }
    ks.changed(db, key, ev);
}

const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";

fn sadd_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let members = &argv[2..];
    let added = match as_set(ks.lookup(db, key)) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(Some(set)) => {
            set.maybe_convert(members.len());
            members.iter().filter(|m| set.add(m)).count()
        }
        Ok(None) => {
            let mut set = Set::create(members[0], members.len());
            let added = members.iter().filter(|m| set.add(m)).count();
            add_key(ks, db, key, set);
            added
        }
    };
    if added > 0 {
        ks.changed(db, key, Event::SAdd);
        ks.add_dirty(added as u64 - 1);
    }
    out.int(added as i64);
    code::WRITTEN
}

fn srem_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let set = match as_set(ks.lookup(db, key)) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.int(0);
            return code::WRITTEN;
        }
        Ok(Some(s)) => s,
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if set.remove(m) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if deleted > 0 {
        ks.changed(db, key, Event::SRem);
        ks.add_dirty(deleted as u64 - 1);
        if emptied {
            remove_emptied(ks, db, key);
        }
    }
    out.int(deleted as i64);
    code::WRITTEN
}

fn smove_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    let src_kind = ks.lookup(db, src).map(|e| e.value.kind());
    let dst_kind = ks.lookup(db, dst).map(|e| e.value.kind());
    let Some(src_kind) = src_kind else {
        out.int(0);
        return code::WRITTEN;
    };
    if src_kind != crate::object::Kind::Set || dst_kind.is_some_and(|k| k != crate::object::Kind::Set) {
        return out.error(err::WRONGTYPE);
    }
    let (set, _) = set_and_rng(ks, db, src);
    if src == dst {
        out.int(set.contains(member) as i64);
        return code::WRITTEN;
    }
    if !set.remove(member) {
        out.int(0);
        return code::WRITTEN;
    }
    let emptied = set.is_empty();
    ks.changed(db, src, Event::SRem);
    if emptied {
        remove_emptied(ks, db, src);
    }
    if dst_kind.is_none() {
        add_key(ks, db, dst, Set::create(member, 1));
    }
    let (dset, _) = set_and_rng(ks, db, dst);
    if dset.add(member) {
        ks.changed(db, dst, Event::SAdd);
    }
    out.int(1);
    code::WRITTEN
}

fn sismember_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match as_set(ks.lookup_read(db, argv[1])) {
        Err(()) => out.error(err::WRONGTYPE),
        Ok(s) => {
            out.int(s.is_some_and(|s| s.contains(argv[2])) as i64);
            code::WRITTEN
        }
    }
}

fn smismember_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let set = match as_set(ks.lookup_read(db, argv[1])) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(s) => s,
    };
    out.array(argv.len() - 2);
    for m in &argv[2..] {
        out.int(set.as_ref().is_some_and(|s| s.contains(m)) as i64);
    }
    code::WRITTEN
}

fn scard_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match as_set(ks.lookup_read(db, argv[1])) {
        Err(()) => out.error(err::WRONGTYPE),
        Ok(s) => {
            out.int(s.map_or(0, |s| s.len()) as i64);
            code::WRITTEN
        }
    }
}

/// SPOP key [count].
fn spop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() == 3 {
        return spop_count(ks, db, argv, out);
    }
    if argv.len() > 3 {
        return out.error(err::SYNTAX);
    }
    let key = argv[1];
    match as_set(ks.lookup(db, key)) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return code::NIL,
        Ok(Some(_)) => {}
    }
    let (set, rng) = set_and_rng(ks, db, key);
    let m = set.pop_random(rng);
    let emptied = set.is_empty();
    ks.changed(db, key, Event::SPop);
    if ks.propagating() {
        ks.also_propagate(db, &[b"SREM", key, &m]);
    }
    out.bulk(&m);
    if emptied {
        remove_emptied(ks, db, key);
    }
    code::WRITTEN
}

/// How much larger than what stays the popped part must be for SPOP to
/// build a new set of what stays instead (SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// Members per propagated SREM.
const SPOP_PROPAGATE_BATCH: usize = 1024;

/// SPOP key count: Redis's three cases. All of the set: the set is
/// returned (as SUNION would) and deleted, propagated as DEL (or UNLINK).
/// A small part: random members popped one by one (a listpack in one walk).
/// Most of it: what stays is picked into a new set and the rest returned.
/// Both propagate SREMs of up to 1024 members.
fn spop_count(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let count = match parse_range(argv[2], 0, i64::MAX, Some(MUST_BE_POSITIVE), out) {
        Ok(v) => v as usize,
        Err(c) => return c,
    };
    match as_set(ks.lookup(db, key)) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return empty_set(out),
        Ok(Some(_)) if count == 0 => return empty_set(out),
        Ok(Some(_)) => {}
    }
    let (set, rng) = set_and_rng(ks, db, key);
    let size = set.len();
    if count >= size {
        let all = union_or_diff(&[Some((key, &*set))], false);
        out.set(all.len());
        for e in all.iter() {
            reply_elem(out, e);
        }
        ks.changed(db, key, Event::SPop);
        ks.add_dirty(size as u64 - 1);
        remove_emptied(ks, db, key);
        if ks.propagating() {
            let del: &[u8] = if crate::config::get().lazyfree_lazy_server_del != 0 { b"UNLINK" } else { b"DEL" };
            ks.also_propagate(db, &[del, key]);
        }
        return code::WRITTEN;
    }
    let remaining = size - count;
    let popped: Vec<Vec<u8>> = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        if matches!(set, Set::Listpack(_)) {
            let picks = ordered_sample(rng, size, count);
            set.take_listpack_positions(&picks)
        } else {
            (0..count).map(|_| set.pop_random(rng)).collect()
        }
    } else {
        let kept = if matches!(set, Set::Listpack(_)) {
            let picks = ordered_sample(rng, size, remaining);
            let mut kept = Set::new_listpack();
            for m in set.take_listpack_positions(&picks) {
                kept.add(&m);
            }
            kept
        } else {
            let mut kept = if matches!(set, Set::Intset(_)) { Set::new_intset() } else { Set::new_listpack() };
            for _ in 0..remaining {
                let m = set.pop_random(rng);
                kept.add(&m);
            }
            kept
        };
        let rest: Vec<Vec<u8>> = set.iter().map(|e| e.to_vec()).collect();
        *set = kept;
        rest
    };
    out.set(popped.len());
    for m in &popped {
        out.bulk(m);
    }
    ks.changed(db, key, Event::SPop);
    ks.add_dirty(count as u64 - 1);
    if ks.propagating() {
        for batch in popped.chunks(SPOP_PROPAGATE_BATCH) {
            let mut args: Vec<&[u8]> = Vec::with_capacity(2 + batch.len());
            args.push(b"SREM");
            args.push(key);
            args.extend(batch.iter().map(|m| m.as_slice()));
            ks.also_propagate(db, &args);
        }
    }
    code::WRITTEN
}

/// SRANDMEMBER key [count].
fn srandmember_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() == 3 {
        return srandmember_count(ks, db, argv, out);
    }
    if argv.len() > 3 {
        return out.error(err::SYNTAX);
    }
    match as_set(ks.lookup_read(db, argv[1])) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => return code::NIL,
        Ok(Some(_)) => {}
    }
    let (set, rng) = set_and_rng(ks, db, argv[1]);
    reply_elem(out, set.random_elem(rng));
    code::WRITTEN
}

/// Above this, a set more than 3x the count is sampled, else thinned out (SRANDMEMBER_SUB_STRATEGY_MUL).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// SRANDMEMBER key count: Redis's cases. Negative: that many draws with
/// repeats. At least the set: all of it. A listpack: a random subset in
/// order. Else a subset, built by thinning a copy (count close to the size)
/// or by drawing until enough distinct members.
fn srandmember_count(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let l = match parse_range(argv[2], -i64::MAX, i64::MAX, None, out) {
        Ok(v) => v,
        Err(c) => return c,
    };
    let (count, unique) = (l.unsigned_abs() as usize, l >= 0);
    match as_set(ks.lookup_read(db, key)) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(_)) => {}
    }
    let (set, rng) = set_and_rng(ks, db, key);
    let size = set.len();
    if count == 0 {
        out.array(0);
        return code::WRITTEN;
    }
    if !unique || count == 1 {
        out.array(count);
        for i in 0..count {
            if i & 1023 == 0 && out.past_cap() {
                break; // the client is being closed for its output limit
            }
            reply_elem(out, set.random_elem(rng));
        }
        return code::WRITTEN;
    }
    if count >= size {
        out.array(size);
        for e in set.iter() {
            reply_elem(out, e);
        }
        return code::WRITTEN;
    }
    if let Set::Listpack(lp) = &*set {
        let picks = ordered_sample(rng, size, count);
        out.array(count);
        let mut p = lp.first();
        let mut i = 0;
        for want in picks {
            while i < want {
                p = p.and_then(|q| lp.next(q));
                i += 1;
            }
            reply_elem(out, lp.get(p.expect("a position inside the listpack")));
        }
        return code::WRITTEN;
    }
    let mut picked: Dict<()> = Dict::new();
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        for e in set.iter() {
            e.with_bytes(|b| picked.insert(b, ()));
        }
        while picked.len() > count {
            let k = picked.fair_random_key(|| crate::keyspace::next_rand(rng)).unwrap().as_slice().to_vec();
            picked.remove(&k);
        }
    } else {
        while picked.len() < count {
            set.random_elem(rng).with_bytes(|b| picked.insert(b, ()));
        }
    }
    out.array(count);
    for (k, _) in picked.iter() {
        out.bulk(k.as_slice());
    }
    code::WRITTEN
}

/// Looks up `keys` in order as reads (lookupKeyRead, each counted as a hit
/// or miss), stopping at the first that is not a set: whether each exists.
fn lookup_all(ks: &mut Keyspace, db: usize, keys: &[&[u8]]) -> Result<Vec<bool>, ()> {
    let mut present = Vec::with_capacity(keys.len());
    for k in keys {
        match as_set(ks.lookup_read(db, k)) {
            Err(()) => return Err(()),
            Ok(s) => present.push(s.is_some()),
        }
    }
    Ok(present)
}

/// The sets at `keys` after `lookup_all` (None for the missing ones).
fn inputs<'a>(ks: &'a Keyspace, db: usize, keys: &[&'a [u8]], present: &[bool]) -> Vec<Option<Input<'a>>> {
    keys.iter()
        .zip(present)
        .map(|(k, p)| {
            p.then(|| match &ks.dbs[db].dict.get(k).expect("looked up").value {
                Value::Set(s) => (*k, &**s),
                _ => unreachable!("checked to be a set"),
            })
        })
        .collect()
}

/// What an intersection does with its result.
enum InterTo<'a> {
    Reply,
    Card(usize),
    Store(&'a [u8]),
}

fn sinter_generic(ks: &mut Keyspace, db: usize, keys: &[&[u8]], to: InterTo, out: &mut Out) -> i64 {
    let present = match lookup_all(ks, db, keys) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(p) => p,
    };
    if present.iter().any(|p| !p) {
        match to {
            InterTo::Store(dst) => {
                ks.delete(db, dst);
                out.int(0);
            }
            InterTo::Card(_) => out.int(0),
            InterTo::Reply => {
                out.set(0);
            }
        }
        return code::WRITTEN;
    }
    let mut sets: Vec<Input> = inputs(ks, db, keys, &present).into_iter().flatten().collect();
    smallest_first(&mut sets);
    match to {
        InterTo::Reply => {
            let mut found: Vec<Elem> = Vec::new();
            intersect(&sets, |e| {
                found.push(e);
                true
            });
            out.set(found.len());
            for e in found {
                reply_elem(out, e);
            }
        }
        InterTo::Card(limit) => {
            let mut n = 0;
            intersect(&sets, |_| {
                n += 1;
                limit == 0 || n < limit
            });
            out.int(n as i64);
        }
        InterTo::Store(dst) => {
            let result = intersect_into_set(&sets);
            let n = result.len();
            if n > 0 {
                store(ks, db, dst, result, Event::SInterStore);
            } else {
                ks.delete(db, dst);
            }
            out.int(n as i64);
        }
    }
    code::WRITTEN
}

fn sinter_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sinter_generic(ks, db, &argv[1..], InterTo::Reply, out)
}

fn sinterstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sinter_generic(ks, db, &argv[2..], InterTo::Store(argv[1]), out)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let numkeys = match parse_range(argv[1], 1, i64::MAX, Some("ERR numkeys should be greater than 0"), out) {
        Ok(n) => n as usize,
        Err(c) => return c,
    };
    if numkeys > argv.len() - 2 {
        return out.error("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if argv[j].eq_ignore_ascii_case(b"LIMIT") && more > 0 {
            j += 1;
            match parse_range(argv[j], 0, i64::MAX, Some("ERR LIMIT can't be negative"), out) {
                Ok(v) => limit = v as usize,
                Err(c) => return c,
            }
        } else {
            return out.error(err::SYNTAX);
        }
        j += 1;
    }
    sinter_generic(ks, db, &argv[2..2 + numkeys], InterTo::Card(limit), out)
}

fn sunion_diff(ks: &mut Keyspace, db: usize, keys: &[&[u8]], dst: Option<&[u8]>, diff: bool, out: &mut Out) -> i64 {
    let present = match lookup_all(ks, db, keys) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(p) => p,
    };
    let result = union_or_diff(&inputs(ks, db, keys, &present), diff);
    let Some(dst) = dst else {
        out.set(result.len());
        for e in result.iter() {
            reply_elem(out, e);
        }
        return code::WRITTEN;
    };
    let n = result.len();
    if n > 0 {
        store(ks, db, dst, result, if diff { Event::SDiffStore } else { Event::SUnionStore });
    } else {
        ks.delete(db, dst);
    }
    out.int(n as i64);
    code::WRITTEN
}

fn sunion_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sunion_diff(ks, db, &argv[1..], None, false, out)
}
fn sunionstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sunion_diff(ks, db, &argv[2..], Some(argv[1]), false, out)
}
fn sdiff_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sunion_diff(ks, db, &argv[1..], None, true, out)
}
fn sdiffstore_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    sunion_diff(ks, db, &argv[2..], Some(argv[1]), true, out)
}

/// One step of SCAN over a collection's hash table: at most `count`
/// elements looked at (and at most 10*count buckets), as Redis's dictScan loop.
fn scan_table<V>(d: &Dict<V>, mut cursor: u64, o: &ScanOptions, mut f: impl FnMut(&[u8], &V)) -> u64 {
    let mut sampled = 0u64;
    let mut iterations = o.count.saturating_mul(10);
    loop {
        cursor = d.scan_bucket(cursor, |k, v| {
            sampled += 1;
            if o.pattern.map_or(true, |p| glob::matches(p, k.as_slice(), false)) {
                f(k.as_slice(), v);
            }
        });
        if cursor == 0 || iterations == 0 || sampled >= o.count {
            return cursor;
        }
        iterations -= 1;
    }
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(cursor) = parse_cursor(argv[2]) else { return out.error("ERR invalid cursor") };
    let set = match as_set(ks.lookup_read(db, argv[1])) {
        Err(()) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(s)) => s,
    };
    let o = match scan_options(argv, 3, false, out) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = match &*set {
        Set::Table(d) => scan_table(d, cursor, &o, |k, _| found.push(k.to_vec())),
        _ => {
            // A compact set is small: all of it in one reply, cursor 0.
            for e in set.iter() {
                e.with_bytes(|b| {
                    if o.pattern.map_or(true, |p| glob::matches(p, b, false)) {
                        found.push(b.to_vec());
                    }
                });
            }
            0
        }
    };
    out.array(2);
    out.bulk_i64(next as i64);
    out.array(found.len());
    for m in &found {
        out.bulk(m);
    }
    code::WRITTEN
}

/// The set commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "sadd", f: sadd_cmd },
    Cmd { name: "srem", f: srem_cmd },
    Cmd { name: "smove", f: smove_cmd },
    Cmd { name: "sismember", f: sismember_cmd },
    Cmd { name: "smismember", f: smismember_cmd },
    Cmd { name: "scard", f: scard_cmd },
    Cmd { name: "spop", f: spop_cmd },
    Cmd { name: "srandmember", f: srandmember_cmd },
    Cmd { name: "sinter", f: sinter_cmd },
    Cmd { name: "smembers", f: sinter_cmd },
    Cmd { name: "sintercard", f: sintercard_cmd },
    Cmd { name: "sinterstore", f: sinterstore_cmd },
    Cmd { name: "sunion", f: sunion_cmd },
    Cmd { name: "sunionstore", f: sunionstore_cmd },
    Cmd { name: "sdiff", f: sdiff_cmd },
    Cmd { name: "sdiffstore", f: sdiffstore_cmd },
    Cmd { name: "sscan", f: sscan_cmd },
];
