//! The consumer group commands of Redis 7.2 (t_stream.c): XGROUP, XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM, and XINFO.
use super::commands::{collect_range, create, eq, reply_entries, reply_entry, reply_id, stream_at};
use super::group_lag;
use super::id::{self, Id, INVALID};
use super::{Consumer, Group, Nack, Stream};
use crate::changes::Event;
use crate::keyspace::Keyspace;
use crate::reply::{code, err, Out};
use crate::util::{cstr, parse_i64};

/// Redis's addReplySubcommandSyntaxError: the subcommand as "%.128s" formats it, the command upper-cased.
fn subcommand_error(argv: &[&[u8]], out: &mut Out) -> i64 {
    let sub = cstr(argv[1]);
    let sub = &sub[..sub.len().min(128)];
    let cmd = cstr(argv[0]).to_ascii_uppercase();
    out.error_bytes(&[b"ERR unknown subcommand or wrong number of arguments for '", sub, b"'. Try ", &cmd, b" HELP."].concat())
}

fn nogroup(key: &[u8], group: &[u8], out: &mut Out) -> i64 {
    // Redis formats both with "%s": they end at a NUL byte.
    out.error_bytes(&[b"NOGROUP No such key '", cstr(key), b"' or consumer group '", cstr(group), b"'"].concat())
}

/// Creates consumer `name` if missing (streamCreateConsumer, SCC_DEFAULT: dirty and the event).
fn consumer_or_create(ks: &mut Keyspace, db: usize, key: &[u8], g: &mut Group, name: &[u8]) -> bool {
    if g.consumers.contains_key(name) {
        return false;
    }
    g.consumers.insert(name, Consumer::new(name, ks.now_ms));
    ks.add_dirty(1);
    ks.notify(db, key, Event::XGroupCreateConsumer);
    true
}

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER ...
pub(super) fn xgroup_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let argc = argv.len();
    let opt = argv[1];
    let mut mkstream = false;
    let mut entries_read = super::group::INVALID_ENTRIES_READ;
    let mut st: Option<&mut Stream> = None;
    let create_sub = eq(opt, "create");
    let setid_sub = eq(opt, "setid");
    if argc < 4 {
        return subcommand_error(argv, out);
    }
    let mut i = 5;
    while i < argc {
        if create_sub && eq(argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create_sub || setid_sub) && eq(argv[i], "entriesread") && i + 1 < argc {
            let Some(n) = parse_i64(argv[i + 1]) else { return out.error(err::NOT_INT) };
            if n < 0 && n != super::group::INVALID_ENTRIES_READ {
                return out.error("ERR value for ENTRIESREAD must be positive or -1");
            }
            entries_read = n;
            i += 2;
        } else {
            return subcommand_error(argv, out);
        }
    }
    let key = argv[2];
    match stream_at(ks, db, key, false) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(v) => st = st.or(v),
    }
    let gname = argv[3];
    if !mkstream {
        let Some(s) = st.as_deref() else {
            return out.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
        };
        if !s.groups.contains_key(gname) && (setid_sub || eq(opt, "createconsumer") || eq(opt, "delconsumer")) {
            return no_such_group(gname, key, out);
        }
    }
    if create_sub && (5..=8).contains(&argc) {
        let gid = if argv[4] == b"$" {
            st.as_deref().map_or(Id::MIN, |s| s.last_id)
        } else {
            match id::parse_strict(argv[4], 0) {
                Some(v) => v,
                None => return out.error(INVALID),
            }
        };
        let s = match st {
            Some(s) => s,
            None => {
                let s = create(ks, db, key);
                ks.signal(db, key);
                s
            }
        };
        if s.groups.contains_key(gname) {
            return out.error("BUSYGROUP Consumer Group name already exists");
        }
        s.groups.insert(gname, Group::new(gid, entries_read));
        ks.add_dirty(1);
        ks.notify(db, key, Event::XGroupCreate);
        return code::OK;
    }
    let Some(s) = st else { return subcommand_error(argv, out) };
    if setid_sub && (argc == 5 || argc == 7) {
        let gid = if argv[4] == b"$" {
            s.last_id
        } else {
            match id::parse_loose(argv[4], 0) {
                Some(v) => v,
                None => return out.error(INVALID),
            }
        };
        let g = s.groups.get_mut(gname).unwrap();
        g.last_id = gid;
        g.entries_read = entries_read;
        ks.add_dirty(1);
        ks.notify(db, key, Event::XGroupSetId);
        return code::OK;
    }
    if eq(opt, "destroy") && argc == 4 {
        if s.groups.remove(gname).is_some() {
            out.int(1);
            ks.add_dirty(1);
            ks.notify(db, key, Event::XGroupDestroy);
            // Blocked XREADGROUPs on the key run again (and find the group gone).
            ks.signal(db, key);
        } else {
            out.int(0);
        }
        return code::WRITTEN;
    }
    if eq(opt, "createconsumer") && argc == 5 {
        let g = s.groups.get_mut(gname).unwrap();
        let created = consumer_or_create(ks, db, key, g, argv[4]);
        out.int(created as i64);
        return code::WRITTEN;
    }
    if eq(opt, "delconsumer") && argc == 5 {
        let g = s.groups.get_mut(gname).unwrap();
        let mut pending = 0;
        if let Some(c) = g.consumers.remove(argv[4]) {
            pending = c.pel.len();
            for id in c.pel.keys() {
                g.pel.remove(&id);
            }
            ks.add_dirty(1);
            ks.notify(db, key, Event::XGroupDelConsumer);
        }
        out.int(pending as i64);
        return code::WRITTEN;
    }
    subcommand_error(argv, out)
}

/// NOGROUP of XGROUP's subcommands and XINFO, both names as Redis's "%s" prints them.
fn no_such_group(group: &[u8], key: &[u8], out: &mut Out) -> i64 {
    out.error_bytes(&[b"NOGROUP No such consumer group '", cstr(group), b"' for key name '", cstr(key), b"'"].concat())
}

/// XACK key group id [id ...]
pub(super) fn xack_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let st = match stream_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(v) => v,
    };
    let Some(g) = st.and_then(|s| s.groups.get_mut(argv[2])) else {
        out.int(0);
        return code::WRITTEN;
    };
    let mut ids = Vec::new();
    for a in &argv[3..] {
        match id::parse_strict(a, 0) {
            Some(v) => ids.push(v),
            None => return out.error(INVALID),
        }
    }
    let mut n = 0;
    for i in ids {
        if g.ack(i) {
            n += 1;
        }
    }
    ks.add_dirty(n as u64);
    out.int(n);
    code::WRITTEN
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub(super) fn xpending_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let argc = argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return out.error(err::SYNTAX);
    }
    let (mut start, mut end, mut count, mut minidle) = (Id::MIN, Id::MAX, 0i64, 0i64);
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut si = 3;
        if eq(argv[3], "idle") {
            let Some(v) = parse_i64(argv[4]) else { return out.error(err::NOT_INT) };
            minidle = v;
            if argc < 8 {
                return out.error(err::SYNTAX);
            }
            si += 2;
        }
        let Some(c) = parse_i64(argv[si + 2]) else { return out.error(err::NOT_INT) };
        count = c.max(0);
        let Some((a, ax)) = id::parse_interval(argv[si], 0) else { return out.error(INVALID) };
        start = a;
        if ax {
            match start.incr() {
                Some(v) => start = v,
                None => return out.error("ERR invalid start ID for the interval"),
            }
        }
        let Some((b, bx)) = id::parse_interval(argv[si + 1], u64::MAX) else { return out.error(INVALID) };
        end = b;
        if bx {
            match end.decr() {
                Some(v) => end = v,
                None => return out.error("ERR invalid end ID for the interval"),
            }
        }
        if si + 3 < argc {
            consumer = Some(argv[si + 3]);
        }
    }
    let st = match stream_at(ks, db, argv[1], true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(v) => v,
    };
    let Some(g) = st.and_then(|s| s.groups.get(argv[2])) else { return nogroup(argv[1], argv[2], out) };
    if justinfo {
        out.array(4);
        out.int(g.pel.len() as i64);
        if g.pel.is_empty() {
            out.null();
            out.null();
            out.null_array();
        } else {
            reply_id(out, g.pel.first().unwrap().0);
            reply_id(out, g.pel.last().unwrap().0);
            let owners: Vec<_> = g.consumers.iter().filter(|(_, c)| !c.pel.is_empty()).collect();
            out.array(owners.len());
            for (name, c) in owners {
                out.array(2);
                out.bulk(&name);
                out.bulk_i64(c.pel.len() as i64);
            }
        }
        return code::WRITTEN;
    }
    // From `start` on, as Redis seeks the PEL (the consumer's when one is named).
    let ids: Vec<Id> = match consumer {
        Some(name) => match g.consumers.get(name) {
            None => {
                out.array(0);
                return code::WRITTEN;
            }
            Some(c) => c.pel.iter_from(start).map(|(id, _)| id).take_while(|id| *id <= end).collect(),
        },
        None => g.pel.iter_from(start).map(|(id, _)| id).take_while(|id| *id <= end).collect(),
    };
    let now = ks.now_ms;
    let mut rows = Vec::new();
    if start <= end {
        for id in ids.into_iter().filter(|i| *i >= start && *i <= end) {
            if count == 0 {
                break;
            }
            let n = &g.pel[&id];
            if minidle != 0 && now - n.delivery_time < minidle {
                continue;
            }
            count -= 1;
            rows.push((id, n));
        }
    }
    out.array(rows.len());
    for (id, n) in rows {
        out.array(4);
        reply_id(out, id);
        out.bulk(&n.consumer);
        out.int((now - n.delivery_time).max(0));
        out.int(n.delivery_count as i64);
    }
    code::WRITTEN
}

/// The XCLAIM Redis propagates for a claimed (or dropped) pending entry.
fn propagate_xclaim(ks: &mut Keyspace, db: usize, key: &[u8], gname: &[u8], g: &Group, id_arg: &[u8], n: &Nack) {
    if !ks.propagating() {
        return;
    }
    let (t, dc, last) = (n.delivery_time.to_string(), n.delivery_count.to_string(), g.last_id.to_bytes());
    ks.also_propagate(
        db,
        &[b"XCLAIM", key, gname, &n.consumer[..], b"0", id_arg, b"TIME", t.as_bytes(), b"RETRYCOUNT", dc.as_bytes(), b"FORCE", b"JUSTID", b"LASTID", &last],
    );
}

fn propagate_setid(ks: &mut Keyspace, db: usize, key: &[u8], gname: &[u8], g: &Group) {
    if ks.propagating() {
        let er = g.entries_read.to_string();
        ks.also_propagate(db, &[b"XGROUP", b"SETID", key, gname, &g.last_id.to_bytes(), b"ENTRIESREAD", er.as_bytes()]);
    }
}

/// Moves pending `id` to `consumer`, as XCLAIM/XAUTOCLAIM do.
fn claim(g: &mut Group, id: Id, consumer: &[u8]) {
    g.assign(id, consumer);
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
pub(super) fn xclaim_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let gname = argv[2];
    let st = match stream_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(v) => v,
    };
    let Some(s) = st.filter(|s| s.groups.contains_key(gname)) else { return nogroup(key, gname, out) };
    let Some(minidle) = parse_i64(argv[4]) else { return out.error("ERR Invalid min-idle-time argument for XCLAIM") };
    let minidle = minidle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match id::parse_strict(argv[j], 0) {
            Some(v) => ids.push((v, j)),
            None => break,
        }
        j += 1;
    }
    let now = ks.now_ms;
    let (mut retrycount, mut deliverytime, mut force, mut justid) = (-1i64, -1i64, false, false);
    let mut last_id = Id::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv[j];
        if eq(opt, "force") {
            force = true;
        } else if eq(opt, "justid") {
            justid = true;
        } else if eq(opt, "idle") && more > 0 {
            j += 1;
            let Some(v) = parse_i64(argv[j]) else { return out.error("ERR Invalid IDLE option argument for XCLAIM") };
            deliverytime = now - v;
        } else if eq(opt, "time") && more > 0 {
            j += 1;
            let Some(v) = parse_i64(argv[j]) else { return out.error("ERR Invalid TIME option argument for XCLAIM") };
            deliverytime = v;
        } else if eq(opt, "retrycount") && more > 0 {
            j += 1;
            let Some(v) = parse_i64(argv[j]) else { return out.error("ERR Invalid RETRYCOUNT option argument for XCLAIM") };
            retrycount = v;
        } else if eq(opt, "lastid") && more > 0 {
            j += 1;
            let Some(v) = id::parse_strict(argv[j], 0) else { return out.error(INVALID) };
            last_id = v;
        } else {
            return out.error_bytes(&[b"ERR Unrecognized XCLAIM option '", cstr(opt), b"'"].concat());
        }
        j += 1;
    }
    let mut propagate_last_id = false;
    {
        let g = s.groups.get_mut(gname).unwrap();
        if last_id > g.last_id {
            g.last_id = last_id;
            propagate_last_id = true;
        }
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let cname = argv[3];
    {
        let g = s.groups.get_mut(gname).unwrap();
        consumer_or_create(ks, db, key, g, cname);
        g.consumers.get_mut(cname).unwrap().seen_time = now;
    }
    let mut reply: Vec<(Id, Option<Vec<Vec<u8>>>)> = Vec::new();
    for (id, argj) in ids {
        let fields = s.get(id);
        let g = s.groups.get_mut(gname).unwrap();
        if fields.is_none() {
            if let Some(n) = g.pel.get(&id).cloned() {
                propagate_xclaim(ks, db, key, gname, g, argv[argj], &n);
                propagate_last_id = false;
                ks.add_dirty(1);
                g.ack(id);
            }
            continue;
        }
        let mut fresh = false;
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(id, Nack { delivery_time: now, delivery_count: 0, consumer: (&b""[..]).into() });
            fresh = true;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        if !fresh && minidle > 0 && now - n.delivery_time < minidle {
            continue;
        }
        claim(g, id, cname);
        let n = g.pel.get_mut(&id).unwrap();
        n.delivery_time = deliverytime;
        if retrycount >= 0 {
            n.delivery_count = retrycount as u64;
        } else if !justid {
            n.delivery_count += 1;
        }
        let n = n.clone();
        g.consumers.get_mut(cname).unwrap().active_time = now;
        propagate_xclaim(ks, db, key, gname, g, argv[argj], &n);
        propagate_last_id = false;
        ks.add_dirty(1);
        reply.push((id, if justid { None } else { fields }));
    }
    if propagate_last_id {
        propagate_setid(ks, db, key, gname, &s.groups[gname]);
        ks.add_dirty(1);
    }
    out.array(reply.len());
    for (id, f) in reply {
        match f {
            None => reply_id(out, id),
            Some(f) => reply_entry(out, id, &f),
        }
    }
    code::WRITTEN
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub(super) fn xautoclaim_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let gname = argv[2];
    let Some(minidle) = parse_i64(argv[4]) else { return out.error("ERR Invalid min-idle-time argument for XAUTOCLAIM") };
    let minidle = minidle.max(0);
    let Some((mut start, sx)) = id::parse_interval(argv[5], 0) else { return out.error(INVALID) };
    if sx {
        match start.incr() {
            Some(v) => start = v,
            None => return out.error("ERR invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if eq(argv[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            match parse_i64(argv[j + 1]) {
                Some(v) if (1..=max).contains(&v) => count = v,
                _ => return out.error("ERR COUNT must be > 0"),
            }
            j += 1;
        } else if eq(argv[j], "justid") {
            justid = true;
        } else {
            return out.error(err::SYNTAX);
        }
        j += 1;
    }
    let st = match stream_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(v) => v,
    };
    let Some(s) = st.filter(|s| s.groups.contains_key(gname)) else { return nogroup(key, gname, out) };
    let cname = argv[3];
    let now = ks.now_ms;
    {
        let g = s.groups.get_mut(gname).unwrap();
        consumer_or_create(ks, db, key, g, cname);
        g.consumers.get_mut(cname).unwrap().seen_time = now;
    }
    let mut attempts = count * 10;
    let pending: Vec<Id> = s.groups[gname].pel.iter_from(start).map(|(k, _)| k).collect();
    let mut idx = 0;
    let mut claimed: Vec<(Id, Option<Vec<Vec<u8>>>)> = Vec::new();
    let mut deleted = Vec::new();
    while attempts > 0 && count > 0 && idx < pending.len() {
        attempts -= 1;
        let id = pending[idx];
        idx += 1;
        let fields = s.get(id);
        let g = s.groups.get_mut(gname).unwrap();
        if fields.is_none() {
            let n = g.pel[&id].clone();
            let id_b = id.to_bytes();
            propagate_xclaim(ks, db, key, gname, g, &id_b, &n);
            ks.add_dirty(1);
            g.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if minidle > 0 && now - g.pel[&id].delivery_time < minidle {
            continue;
        }
        claim(g, id, cname);
        let n = g.pel.get_mut(&id).unwrap();
        n.delivery_time = now;
        if !justid {
            n.delivery_count += 1;
        }
        let n = n.clone();
        count -= 1;
        g.consumers.get_mut(cname).unwrap().active_time = now;
        let id_b = id.to_bytes();
        propagate_xclaim(ks, db, key, gname, g, &id_b, &n);
        ks.add_dirty(1);
        claimed.push((id, if justid { None } else { fields }));
    }
    if attempts == 0 && count > 0 && idx < pending.len() {
        // The loop stopped on attempts before reading the next: it is the cursor (as below).
    }
    let next = pending.get(idx).copied().unwrap_or(Id::MIN);
    out.array(3);
    reply_id(out, next);
    out.array(claimed.len());
    for (id, f) in claimed {
        match f {
            None => reply_id(out, id),
            Some(f) => reply_entry(out, id, &f),
        }
    }
    out.array(deleted.len());
    for id in deleted {
        reply_id(out, id);
    }
    code::WRITTEN
}

/// XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group
pub(super) fn xinfo_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let opt = argv[1];
    let key = argv[2];
    let s = match stream_at(ks, db, key, true) {
        Err(_) => return out.error(err::WRONGTYPE),
        Ok(None) => return out.error(err::NO_KEY),
        Ok(Some(s)) => s,
    };
    let now = ks.now_ms;
    if eq(opt, "consumers") && argv.len() == 4 {
        let Some(g) = s.groups.get(argv[3]) else {
            return no_such_group(argv[3], key, out);
        };
        out.array(g.consumers.len());
        for (name, c) in &g.consumers {
            let inactive = if c.active_time != -1 { now - c.active_time } else { -1 };
            out.map(4);
            out.bulk(b"name");
            out.bulk(&name);
            out.bulk(b"pending");
            out.int(c.pel.len() as i64);
            out.bulk(b"idle");
            out.int((now - c.seen_time).max(0));
            out.bulk(b"inactive");
            out.int(inactive);
        }
        return code::WRITTEN;
    }
    if eq(opt, "groups") && argv.len() == 3 {
        out.array(s.groups.len());
        for (name, g) in &s.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(&name);
            out.bulk(b"consumers");
            out.int(g.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(g.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            reply_id(out, g.last_id);
            reply_entries_read(out, g);
            out.bulk(b"lag");
            reply_lag(out, s, g);
        }
        return code::WRITTEN;
    }
    if eq(opt, "stream") {
        return xinfo_stream(s, argv, out);
    }
    subcommand_error(argv, out)
}

fn reply_entries_read(out: &mut Out, g: &Group) {
    out.bulk(b"entries-read");
    if g.entries_read != super::group::INVALID_ENTRIES_READ {
        out.int(g.entries_read);
    } else {
        out.null();
    }
}

fn reply_lag(out: &mut Out, s: &Stream, g: &Group) {
    match group_lag::lag(s, g) {
        Some(l) => out.int(l),
        None => out.null(),
    }
}

fn xinfo_stream(s: &Stream, argv: &[&[u8]], out: &mut Out) -> i64 {
    let optv = &argv[3..];
    let mut full = true;
    let mut count: i64 = 10;
    if optv.is_empty() {
        full = false;
    } else {
        if optv.len() != 1 && optv.len() != 3 {
            return subcommand_error(argv, out);
        }
        if !eq(optv[0], "full") {
            return subcommand_error(argv, out);
        }
        if optv.len() == 3 {
            if !eq(optv[1], "count") {
                return subcommand_error(argv, out);
            }
            let Some(c) = parse_i64(optv[2]) else { return out.error(err::NOT_INT) };
            count = if c < 0 { 10 } else { c };
        }
    }
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.nodes.len() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(super::rax_nodes(s.nodes.keys().map(Id::key)) as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.max_deleted);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        for (name, rev) in [(&b"first-entry"[..], false), (&b"last-entry"[..], true)] {
            out.bulk(name);
            match collect_range(s, Id::MIN, Id::MAX, rev, 1).first() {
                Some((id, f)) => reply_entry(out, *id, f),
                None => out.null(),
            }
        }
        return code::WRITTEN;
    }
    let cap = if count == 0 { usize::MAX } else { count as usize };
    out.bulk(b"entries");
    reply_entries(out, &collect_range(s, Id::MIN, Id::MAX, false, count as usize));
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(&name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        reply_entries_read(out, g);
        out.bulk(b"lag");
        reply_lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let rows: Vec<_> = g.pel.iter().take(cap).collect();
        out.array(rows.len());
        for (id, n) in rows {
            out.array(4);
            reply_id(out, id);
            out.bulk(&n.consumer);
            out.int(n.delivery_time);
            out.int(n.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(5);
            out.bulk(b"name");
            out.bulk(&cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time);
            out.bulk(b"active-time");
            out.int(c.active_time);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let rows: Vec<_> = c.pel.iter().take(cap).collect();
            out.array(rows.len());
            for (id, _) in rows {
                let n = &g.pel[&id];
                out.array(3);
                reply_id(out, id);
                out.int(n.delivery_time);
                out.int(n.delivery_count as i64);
            }
        }
    }
    code::WRITTEN
}
