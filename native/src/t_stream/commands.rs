//! The stream commands of Redis 7.2 (t_stream.c) without consumer groups'
//! own commands: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, and
//! XREAD / XREADGROUP (which serves groups: `>` and a consumer's history).
use super::id::{self, Id, INVALID};
use super::{Consumer, Nack, Stream, Trim};
use crate::changes::Event;
use crate::keyspace::{Detached, Entry, Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::util::parse_i64;

/// The key holds another type.
pub struct WrongType;

/// The stream at `key` (None when missing), detached from the keyspace borrow.
///
/// SAFETY: the stream is boxed inside its entry, so it stays put while the
/// db's table changes; callers stop using it before they remove its key.
pub fn stream_at<'a>(ks: &mut Keyspace, db: usize, key: &[u8], read: bool) -> Result<Option<&'a mut Stream>, WrongType> {
    let e = if read { ks.lookup_read(db, key) } else { ks.lookup(db, key) };
    match e {
        None => Ok(None),
        Some(Entry { value: Value::Stream(s), .. }) => Ok(Some(unsafe { &mut *(s.as_mut() as *mut Stream) })),
        Some(_) => Err(WrongType),
    }
}

/// Adds an empty stream at `key` (known to be absent): `new` is fired.
pub fn create<'a>(ks: &mut Keyspace, db: usize, key: &[u8]) -> &'a mut Stream {
    let lru = ks.lru_clock();
    ks.dbs[db].add(key, Detached::new(Value::Stream(Box::default()), -1, lru));
    ks.notify(db, key, Event::New);
    match ks.dbs[db].dict.get_mut(key) {
        Some(Entry { value: Value::Stream(s), .. }) => unsafe { &mut *(s.as_mut() as *mut Stream) },
        _ => unreachable!("just added"),
    }
}

pub fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

pub fn wrong_args(argv: &[&[u8]], out: &mut Out) -> i64 {
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    out.error(&format!("ERR wrong number of arguments for '{}' command", name))
}

/// An ID as a bulk string.
pub fn reply_id(out: &mut Out, id: Id) {
    out.bulk(&id.to_bytes());
}

/// One entry: [id, [field, value, ...]].
pub fn reply_entry(out: &mut Out, id: Id, fields: &[Vec<u8>]) {
    out.array(2);
    reply_id(out, id);
    out.array(fields.len());
    for f in fields {
        out.bulk(f);
    }
}

/// The live entries in [start, end] (descending if `rev`), at most `count` (0: all).
pub fn collect_range(s: &Stream, start: Id, end: Id, rev: bool, count: usize) -> Vec<(Id, Vec<Vec<u8>>)> {
    let mut items = Vec::new();
    s.range(start, end, rev, count, |id, f| {
        items.push((id, std::mem::take(f)));
        true
    });
    items
}

/// Entries as an array reply.
pub fn reply_entries(out: &mut Out, items: &[(Id, Vec<Vec<u8>>)]) {
    out.array(items.len());
    for (id, f) in items {
        reply_entry(out, *id, f);
    }
}

/// The stream a write without a key answers 0 for (XDEL, XTRIM): Err is the reply written.
fn existing_or_zero<'a>(ks: &mut Keyspace, db: usize, key: &[u8], out: &mut Out) -> Result<&'a mut Stream, i64> {
    match stream_at(ks, db, key, false) {
        Err(_) => Err(out.error(err::WRONGTYPE)),
        Ok(None) => {
            out.int(0);
            Err(code::WRITTEN)
        }
        Ok(Some(s)) => Ok(s),
    }
}

/// XADD/XTRIM's parsed options (streamAddTrimArgs).
struct TrimArgs {
    trim: Trim,
    approx: bool,
    limit: i64,
    /// Where the MAXLEN/MINID value is (for the propagated rewrite).
    arg_idx: usize,
    nomkstream: bool,
    id: Option<id::Parsed>,
}

/// Redis's streamParseAddOrTrimArgsOrReply: the options, and for XADD the ID
/// position (the index returned).
fn parse_add_trim(argv: &[&[u8]], xadd: bool, out: &mut Out) -> Result<(TrimArgs, usize), i64> {
    let mut a = TrimArgs { trim: Trim::None, approx: false, limit: 0, arg_idx: 0, nomkstream: false, id: None };
    let mut limit_given = false;
    let mut i = 2;
    let argc = argv.len();
    while i < argc {
        let more = argc - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (eq(opt, "maxlen") || eq(opt, "minid")) && more > 0 {
            if a.trim != Trim::None {
                return Err(out.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            a.approx = false;
            let next = argv[i + 1];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if eq(opt, "maxlen") {
                let Some(n) = parse_i64(argv[i + 1]) else { return Err(out.error(err::NOT_INT)) };
                if n < 0 {
                    return Err(out.error("ERR The MAXLEN argument must be >= 0."));
                }
                a.trim = Trim::MaxLen(n as u64);
            } else {
                let Some(m) = id::parse_strict(argv[i + 1], 0) else { return Err(out.error(INVALID)) };
                a.trim = Trim::MinId(m);
            }
            i += 1;
            a.arg_idx = i;
        } else if eq(opt, "limit") && more > 0 {
            let Some(n) = parse_i64(argv[i + 1]) else { return Err(out.error(err::NOT_INT)) };
            if n < 0 {
                return Err(out.error("ERR The LIMIT argument must be >= 0."));
            }
            a.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && eq(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let Some(p) = id::parse(opt, 0, true, true) else { return Err(out.error(INVALID)) };
            a.id = Some(p);
            break;
        } else {
            return Err(out.error(err::SYNTAX));
        }
        i += 1;
    }
    if a.limit != 0 && a.trim == Trim::None {
        return Err(out.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && a.trim == Trim::None {
        return Err(out.error("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if crate::state::obeying() {
        // The AOF (or a primary) replays the trim as it was rewritten (`=` and the
        // length reached, LIMIT kept): no limit and no check (Redis's mustObeyClient).
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(out.error("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if a.approx {
        let entries = crate::config::get().stream_node_max_entries as i64;
        a.limit = (100 * entries).clamp(1, 1_000_000);
        if 100 * entries <= 0 {
            a.limit = 10000;
        }
    } else {
        a.limit = 0;
    }
    Ok((a, i))
}

/// After an approximate trim, the argv propagated says `=` and the value reached
/// (streamRewriteApproxSpecifier / streamRewriteTrimArgument).
fn rewrite_trim(argv: &mut [Vec<u8>], a: &TrimArgs, s: &Stream) {
    if !a.approx {
        return;
    }
    argv[a.arg_idx - 1] = b"=".to_vec();
    argv[a.arg_idx] = match a.trim {
        Trim::MaxLen(_) => s.length.to_string().into_bytes(),
        // Redis's streamGetEdgeID(first, tombstones included): the max ID when empty.
        _ => s.first_id_any().unwrap_or(Id::MAX).to_bytes(),
    };
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
pub(super) fn xadd_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let (a, idpos) = match parse_add_trim(argv, true, out) {
        Ok(v) => v,
        Err(c) => return c,
    };
    let field_pos = idpos + 1;
    if argv.len() < field_pos + 2 || (argv.len() - field_pos) % 2 == 1 {
        return wrong_args(argv, out);
    }
    if let Some(p) = &a.id {
        if p.seq_given && p.id == Id::MIN {
            return out.error("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let key = argv[1];
    let s = match stream_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(Some(s)) => s,
        Ok(None) if a.nomkstream => return code::NIL,
        Ok(None) => {
            // Checked before the key is made: an error leaves no empty stream behind.
            if let Some(e) = check_new_id(&Stream::default(), &a, &argv[field_pos..], ks.now_ms) {
                return out.error(e);
            }
            create(ks, db, key)
        }
    };
    if s.last_id == Id::MAX {
        return out.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match new_id(s, &a, &argv[field_pos..], ks.now_ms) {
        Ok(id) => id,
        Err(e) => return out.error(e),
    };
    s.append(id, &argv[field_pos..]);
    reply_id(out, id);
    ks.changed(db, key, Event::XAdd);
    if a.trim != Trim::None && s.trim(a.trim, a.approx, a.limit) > 0 {
        ks.notify(db, key, Event::XTrim);
    }
    let auto_id = a.id.as_ref().map_or(true, |p| !p.seq_given);
    if ks.propagating() && (auto_id || a.approx) {
        let mut v: Vec<Vec<u8>> = argv.iter().map(|x| x.to_vec()).collect();
        if a.trim != Trim::None {
            rewrite_trim(&mut v, &a, s);
        }
        if auto_id {
            v[idpos] = id.to_bytes();
        }
        let refs: Vec<&[u8]> = v.iter().map(|x| x.as_slice()).collect();
        ks.also_propagate(db, &refs);
    }
    code::WRITTEN
}

/// The error XADD answers for its ID, before anything changes (a new stream's case).
fn check_new_id(s: &Stream, a: &TrimArgs, fv: &[&[u8]], now: i64) -> Option<&'static str> {
    new_id(&mut s.clone(), a, fv, now).err()
}

/// The new entry's ID (streamAppendItem's checks), or XADD's error.
fn new_id(s: &Stream, a: &TrimArgs, fv: &[&[u8]], now: i64) -> Result<Id, &'static str> {
    const SMALLER: &str = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    let id = match &a.id {
        Some(p) if p.seq_given => p.id,
        Some(p) => {
            if s.last_id.ms == p.id.ms {
                if s.last_id.seq == u64::MAX {
                    return Err(SMALLER);
                }
                Id::new(p.id.ms, s.last_id.seq + 1)
            } else {
                p.id
            }
        }
        None => {
            // streamNextID: the time, or the last ID's successor when the clock is behind.
            let ms = now as u64;
            if ms > s.last_id.ms {
                Id::new(ms, 0)
            } else {
                s.last_id.incr().unwrap_or(Id::MIN)
            }
        }
    };
    if id <= s.last_id {
        return Err(SMALLER);
    }
    let total: usize = fv.iter().map(|x| x.len()).sum();
    if total > super::LISTPACK_MAX_SIZE {
        return Err("ERR Elements are too large to be stored");
    }
    Ok(id)
}

fn xrange_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, rev: bool) -> i64 {
    let (sa, ea) = if rev { (argv[3], argv[2]) } else { (argv[2], argv[3]) };
    let Some((mut start, sx)) = id::parse_interval(sa, 0) else { return out.error(INVALID) };
    if sx {
        match start.incr() {
            Some(v) => start = v,
            None => return out.error("ERR invalid start ID for the interval"),
        }
    }
    let Some((mut end, ex)) = id::parse_interval(ea, u64::MAX) else { return out.error(INVALID) };
    if ex {
        match end.decr() {
            Some(v) => end = v,
            None => return out.error("ERR invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if eq(argv[j], "count") && j + 1 < argv.len() {
            let Some(n) = parse_i64(argv[j + 1]) else { return out.error(err::NOT_INT) };
            count = n.max(0);
            j += 2;
        } else {
            return out.error(err::SYNTAX);
        }
    }
    let s = match stream_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => {
            out.array(0);
            return code::WRITTEN;
        }
        Ok(Some(s)) => s,
    };
    if count == 0 {
        return code::NIL_ARRAY;
    }
    reply_entries(out, &collect_range(s, start, end, rev, if count < 0 { 0 } else { count as usize }));
    code::WRITTEN
}

/// XRANGE key start end [COUNT count]
pub(super) fn xrange_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    xrange_generic(ks, db, argv, out, false)
}

/// XREVRANGE key end start [COUNT count]
pub(super) fn xrevrange_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    xrange_generic(ks, db, argv, out, true)
}

/// XLEN key
pub(super) fn xlen_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match stream_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(s) => out.int(s.map_or(0, |s| s.length as i64)),
    }
    code::WRITTEN
}

/// XDEL key id [id ...]
pub(super) fn xdel_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let s = match existing_or_zero(ks, db, key, out) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let mut ids = Vec::with_capacity(argv.len() - 2);
    for a in &argv[2..] {
        match id::parse_strict(a, 0) {
            Some(i) => ids.push(i),
            None => return out.error(INVALID),
        }
    }
    let mut deleted = 0;
    let mut first = false;
    for i in ids {
        if s.delete(i) {
            if i == s.first_id {
                first = true;
            }
            if i > s.max_deleted {
                s.max_deleted = i;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.length == 0 {
            s.first_id = Id::MIN;
        } else if first {
            s.first_id = s.edge_id(true).unwrap_or(Id::MIN);
        }
        ks.changed(db, key, Event::XDel);
        ks.add_dirty(deleted as u64 - 1);
    }
    out.int(deleted);
    code::WRITTEN
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub(super) fn xtrim_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let a = match parse_add_trim(argv, false, out) {
        Ok((a, _)) => a,
        Err(c) => return c,
    };
    let key = argv[1];
    let s = match existing_or_zero(ks, db, key, out) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let deleted = s.trim(a.trim, a.approx, a.limit);
    if deleted > 0 {
        ks.changed(db, key, Event::XTrim);
        ks.add_dirty(deleted as u64 - 1);
        if a.approx && ks.propagating() {
            let mut v: Vec<Vec<u8>> = argv.iter().map(|x| x.to_vec()).collect();
            rewrite_trim(&mut v, &a, s);
            let refs: Vec<&[u8]> = v.iter().map(|x| x.as_slice()).collect();
            ks.also_propagate(db, &refs);
        }
    }
    out.int(deleted);
    code::WRITTEN
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub(super) fn xsetid_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(newid) = id::parse_strict(argv[2], 0) else { return out.error(INVALID) };
    let mut entries_added: i64 = -1;
    let mut max_xdel = Id::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if eq(argv[i], "entriesadded") && more > 0 {
            let Some(n) = parse_i64(argv[i + 1]) else { return out.error(err::NOT_INT) };
            if n < 0 {
                return out.error("ERR entries_added must be positive");
            }
            entries_added = n;
        } else if eq(argv[i], "maxdeletedid") && more > 0 {
            let Some(m) = id::parse_strict(argv[i + 1], 0) else { return out.error(INVALID) };
            if newid < m {
                return out.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
            }
            max_xdel = m;
        } else {
            return out.error(err::SYNTAX);
        }
        i += 2;
    }
    let key = argv[1];
    let s = match stream_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => return out.error(err::NO_KEY),
        Ok(Some(s)) => s,
    };
    if newid < s.max_deleted {
        return out.error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
    }
    if s.length > 0 {
        let top = s.edge_id(false).unwrap_or(Id::MIN);
        if newid < top {
            return out.error("ERR The ID specified in XSETID is smaller than the target stream top item");
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return out.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
        }
    }
    s.last_id = newid;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if max_xdel != Id::MIN {
        s.max_deleted = max_xdel;
    }
    ks.add_dirty(1);
    ks.notify(db, key, Event::XSetId);
    code::OK
}

/// streamLastValidID: the last live entry's ID (callers check the stream is not empty).
pub fn last_valid_id(s: &Stream) -> Id {
    s.edge_id(false).unwrap_or(s.last_id)
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
pub(super) fn xread_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let xreadgroup = argv[0].len() == 10;
    let fullname = if xreadgroup { "xreadgroup" } else { "xread" };
    let mut block = false;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut nstreams = 0;
    let mut noack = false;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = argv[i];
        if eq(o, "block") && more > 0 {
            i += 1;
            let Some(t) = parse_i64(argv[i]) else { return out.error("ERR timeout is not an integer or out of range") };
            if t < 0 {
                return out.error("ERR timeout is negative");
            }
            if t > 0 && t > i64::MAX - ks.now_ms {
                return out.error("ERR timeout is out of range");
            }
            block = true;
        } else if eq(o, "count") && more > 0 {
            i += 1;
            let Some(n) = parse_i64(argv[i]) else { return out.error(err::NOT_INT) };
            count = n.max(0);
        } else if eq(o, "streams") && more > 0 {
            streams_arg = i + 1;
            let n = argv.len() - streams_arg;
            if n % 2 != 0 {
                let sym = if xreadgroup { '>' } else { '$' };
                return out.error(&format!(
                    "ERR Unbalanced '{}' list of streams: for each stream key an ID or '{}' must be specified.",
                    fullname, sym
                ));
            }
            nstreams = n / 2;
            break;
        } else if eq(o, "group") && more >= 2 {
            if !xreadgroup {
                return out.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            }
            group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if eq(o, "noack") {
            if !xreadgroup {
                return out.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
            }
            noack = true;
        } else {
            return out.error(err::SYNTAX);
        }
        i += 1;
    }
    if streams_arg == 0 {
        return out.error(err::SYNTAX);
    }
    if xreadgroup && group.is_none() {
        return out.error("ERR Missing GROUP option for XREADGROUP");
    }
    // The IDs: u128::MAX-like `>` is Id::MAX.
    let mut ids = Vec::with_capacity(nstreams);
    for k in 0..nstreams {
        let key = argv[streams_arg + k];
        let arg = argv[streams_arg + nstreams + k];
        let s: Option<&Stream> = match stream_at(ks, db, key, true) {
            Err(_) => return out.error(err::WRONGTYPE),
            Ok(s) => s.map(|s| &*s),
        };
        if let Some((gname, _)) = group {
            if s.map_or(true, |s| !s.groups.contains_key(gname)) {
                return out.error_bytes(
                    &[b"NOGROUP No such key '", crate::util::cstr(key), b"' or consumer group '", crate::util::cstr(gname), b"' in XREADGROUP with GROUP option"]
                        .concat(),
                );
            }
        }
        if arg == b"$" {
            if xreadgroup {
                return out.error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            ids.push(s.map_or(Id::MIN, |s| s.last_id));
            continue;
        }
        if arg == b">" {
            if !xreadgroup {
                return out.error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            ids.push(Id::MAX);
            continue;
        }
        if arg == b"+" {
            // Redis 7.4's `+`: the last entry (after the ID before the last one added).
            if xreadgroup {
                return out.error("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.");
            }
            match s {
                Some(s) => match s.last_id.decr() {
                    Some(before) => ids.push(before),
                    None => return out.error("ERR the stream last element ID is 0-0"),
                },
                None => ids.push(Id::MIN),
            }
            continue;
        }
        match id::parse_strict(arg, 0) {
            Some(v) => ids.push(v),
            None => return out.error(INVALID),
        }
    }
    // Serve what is there.
    let mut served: Vec<(usize, Vec<u8>)> = Vec::new(); // (stream index, the reply of its entries)
    for k in 0..nstreams {
        let key = argv[streams_arg + k];
        let Ok(Some(s)) = stream_at(ks, db, key, true) else { continue };
        let mut gt = ids[k];
        if let Some((gname, cname)) = group {
            let history = gt != Id::MAX;
            let mut sync = history;
            if !history && s.length > 0 && last_valid_id(s) > s.groups[gname].last_id {
                sync = true;
                gt = s.groups[gname].last_id;
            }
            let now = ks.now_ms;
            let g = s.groups.get_mut(gname).unwrap();
            if !g.consumers.contains_key(cname) {
                g.consumers.insert(cname, Consumer::new(cname, now));
                ks.notify(db, key, Event::XGroupCreateConsumer);
                ks.add_dirty(1);
                if noack && ks.propagating() {
                    ks.also_propagate(db, &[b"XGROUP", b"CREATECONSUMER", key, gname, cname]);
                }
            }
            g.consumers.get_mut(cname).unwrap().seen_time = now;
            if sync {
                let mut sub = Vec::new();
                let start = gt.incr().unwrap_or(Id::MIN);
                if history {
                    serve_history(s, gname, cname, start, count as usize, now, &mut sub, out.resp3);
                } else {
                    serve_new(ks, db, key, s, gname, cname, start, count as usize, noack, now, &mut sub);
                }
                served.push((k, sub));
                ks.add_dirty(1);
            }
        } else if s.length > 0 && last_valid_id(s) > gt {
            let items = collect_range(s, gt.incr().unwrap_or(Id::MIN), Id::MAX, false, count as usize);
            let mut sub = Vec::new();
            write_entries(&mut sub, &items);
            served.push((k, sub));
        }
    }
    if !served.is_empty() {
        let n_served = served.len();
        if out.resp3 {
            out.map(n_served);
        } else {
            out.array(n_served);
        }
        for (k, sub) in served {
            if !out.resp3 {
                out.array(2);
            }
            out.bulk(argv[streams_arg + k]);
            out.raw(&sub);
        }
        return code::WRITTEN;
    }
    if block {
        return code::BLOCK;
    }
    code::NIL_ARRAY
}

/// RESP bytes of an array of entries (the same in RESP2 and RESP3).
pub fn write_entries(buf: &mut Vec<u8>, items: &[(Id, Vec<Vec<u8>>)]) {
    use std::io::Write;
    let _ = write!(buf, "*{}\r\n", items.len());
    for (id, f) in items {
        write_entry(buf, *id, Some(f));
    }
}

fn write_bulk(buf: &mut Vec<u8>, b: &[u8]) {
    use std::io::Write;
    let _ = write!(buf, "${}\r\n", b.len());
    buf.extend_from_slice(b);
    buf.extend_from_slice(b"\r\n");
}

/// [id, [f, v, ...]] or [id, nil] (a deleted entry still pending).
pub fn write_entry(buf: &mut Vec<u8>, id: Id, f: Option<&Vec<Vec<u8>>>) {
    use std::io::Write;
    buf.extend_from_slice(b"*2\r\n");
    write_bulk(buf, &id.to_bytes());
    match f {
        Some(f) => {
            let _ = write!(buf, "*{}\r\n", f.len());
            for x in f {
                write_bulk(buf, x);
            }
        }
        None => buf.extend_from_slice(b"*-1\r\n"),
    }
}

/// A null array in the protocol of the client.
fn write_null_array(buf: &mut Vec<u8>, resp3: bool) {
    buf.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" });
}

/// XREADGROUP with an ID: the consumer's pending entries from `start`
/// (streamReplyWithRangeFromConsumerPEL); deleted ones come as [id, nil].
fn serve_history(s: &mut Stream, gname: &[u8], cname: &[u8], start: Id, count: usize, now: i64, buf: &mut Vec<u8>, resp3: bool) {
    use std::io::Write;
    let g = s.groups.get(gname).unwrap();
    let ids: Vec<Id> = g.consumers[cname].pel.iter_from(start).take(if count == 0 { usize::MAX } else { count }).map(|(id, _)| id).collect();
    let _ = write!(buf, "*{}\r\n", ids.len());
    let mut found = Vec::new();
    for &id in &ids {
        match s.get(id) {
            Some(f) => {
                write_entry(buf, id, Some(&f));
                found.push(id);
            }
            None => {
                buf.extend_from_slice(b"*2\r\n");
                write_bulk(buf, &id.to_bytes());
                write_null_array(buf, resp3);
            }
        }
    }
    let g = s.groups.get_mut(gname).unwrap();
    for id in found {
        if let Some(n) = g.pel.get_mut(&id) {
            n.delivery_time = now;
            n.delivery_count += 1;
        }
    }
}

/// XREADGROUP `>`: new entries past the group's last ID, delivered to the
/// consumer (added to the PELs unless NOACK), with Redis's propagation.
#[allow(clippy::too_many_arguments)]
fn serve_new(ks: &mut Keyspace, db: usize, key: &[u8], s: &mut Stream, gname: &[u8], cname: &[u8], start: Id, count: usize, noack: bool, now: i64, buf: &mut Vec<u8>) {
    let items = collect_range(s, start, Id::MAX, false, count);
    let mut propagate_last_id = false;
    for (id, _) in &items {
        let id = *id;
        let has_tomb = super::group_lag::range_has_tombstones(s, id, None);
        let g = s.groups.get_mut(gname).unwrap();
        if id > g.last_id {
            if g.entries_read != super::group::INVALID_ENTRIES_READ && !has_tomb {
                g.entries_read += 1;
            } else if s.entries_added > 0 {
                let est = super::group_lag::estimate_distance(s, id);
                s.groups.get_mut(gname).unwrap().entries_read = est;
            }
            let g = s.groups.get_mut(gname).unwrap();
            g.last_id = id;
            if noack {
                propagate_last_id = true;
            }
        }
        let g = s.groups.get_mut(gname).unwrap();
        if !noack {
            let name = g.consumers[cname].name.clone();
            match g.pel.get_mut(&id) {
                Some(n) => {
                    let old = std::mem::replace(&mut n.consumer, name);
                    n.delivery_time = now;
                    n.delivery_count = 1;
                    if let Some(c) = g.consumers.get_mut(&old) {
                        c.pel.remove(&id);
                    }
                }
                None => {
                    g.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: name });
                }
            }
            let c = g.consumers.get_mut(cname).unwrap();
            c.pel.add(id);
            c.active_time = now;
            if ks.propagating() {
                let n = &g.pel[&id];
                let (t, dc, last) = (n.delivery_time.to_string(), n.delivery_count.to_string(), g.last_id.to_bytes());
                ks.also_propagate(
                    db,
                    &[b"XCLAIM", key, gname, cname, b"0", &id.to_bytes(), b"TIME", t.as_bytes(), b"RETRYCOUNT", dc.as_bytes(), b"FORCE", b"JUSTID", b"LASTID", &last],
                );
            }
        }
    }
    if propagate_last_id && ks.propagating() {
        let g = &s.groups[gname];
        let er = g.entries_read.to_string();
        ks.also_propagate(db, &[b"XGROUP", b"SETID", key, gname, &g.last_id.to_bytes(), b"ENTRIESREAD", er.as_bytes()]);
    }
    write_entries(buf, &items);
}

/// `xread-lastid key`: the stream's last ID ("0-0" when missing), for XREAD
/// BLOCK's `$` (no keyspace statistics: a peek).
pub(super) fn xlastid_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let id = match ks.peek(db, argv[1]) {
        Some(Entry { value: Value::Stream(s), .. }) => s.last_id,
        _ => Id::MIN,
    };
    reply_id(out, id);
    code::WRITTEN
}
