//! Loading a stream (RDB_TYPE_STREAM_LISTPACKS 1, 2 and 3): its nodes, each
//! checked as Redis's streamValidateListpackIntegrity does deeply (the master
//! entry, every entry's shape, IDs ascending and at or after the node's master
//! ID), its counters, and its consumer groups with their PELs and consumers.
use super::decode::Reader;
use super::*;
use crate::keyspace::Value;
use crate::listpack::Listpack;
use crate::t_stream::node::{FLAG_DELETED, FLAG_SAMEFIELDS};
use crate::t_stream::{Consumer, Group, Id, Nack, Stream};

fn corrupt(what: &str) -> Error {
    Error::new(format!("Stream integrity check failed: {what}"))
}

/// Checks one node; its (live, deleted) entry counts and last entry ID.
/// `after` is the last ID of the node before (IDs ascend across the stream).
fn validate_node(lp: &Listpack, master: Id, after: Option<Id>) -> Option<(u64, u64, Id)> {
    let mut it = lp.iter();
    let int = |it: &mut crate::listpack::Iter<'_>| it.next().and_then(|e| e.as_i64());
    let count = int(&mut it)?;
    let deleted = int(&mut it)?;
    let master_fields = int(&mut it)?;
    if count < 0 || deleted < 0 || master_fields < 0 {
        return None;
    }
    for _ in 0..master_fields {
        it.next()?;
    }
    if int(&mut it)? != 0 {
        return None; // the master entry's terminator
    }
    let (mut live, mut dead) = (0u64, 0u64);
    let mut last = after;
    while let Some(flags) = it.next() {
        let flags = flags.as_i64()?;
        let ms = int(&mut it)?;
        let seq = int(&mut it)?;
        // Deltas from the master ID, wrapping as Redis's uint64 sums (the
        // sequence delta is negative when the milliseconds moved on).
        let id = Id::new(master.ms.wrapping_add(ms as u64), master.seq.wrapping_add(seq as u64));
        if id < master || last.is_some_and(|l| id <= l) {
            return None;
        }
        last = Some(id);
        let elements = if flags & FLAG_SAMEFIELDS != 0 {
            for _ in 0..master_fields {
                it.next()?;
            }
            3 + master_fields
        } else {
            let n = int(&mut it)?;
            if n < 0 {
                return None;
            }
            for _ in 0..n * 2 {
                it.next()?;
            }
            4 + n * 2
        };
        if int(&mut it)? != elements {
            return None; // lp-count
        }
        if flags & FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
        }
    }
    if live != count as u64 || dead != deleted as u64 || last.is_none() {
        return None;
    }
    Some((live, dead, last?))
}

fn id(r: &mut Reader) -> Result<Id> {
    Ok(Id::new(r.len()?, r.len()?))
}

fn raw_id(r: &mut Reader) -> Result<Id> {
    let b = r.bytes(16)?;
    Ok(Id::from_key(u128::from_be_bytes(b.try_into().unwrap())))
}

/// `deep` false (RESTORE under sanitize-dump-payload no): a node's entries are
/// not checked against its header and the stream's length, as Redis's shallow check.
pub fn load_stream(r: &mut Reader, t: u8, deep: bool) -> Result<Value> {
    let mut s = Stream::default();
    let nodes = r.count()?;
    let mut last_entry: Option<Id> = None;
    let mut live_total = 0u64;
    // A node that failed the deep check was kept (shallow mode): its counts are unknown.
    let mut lenient = false;
    for _ in 0..nodes {
        let key = r.string()?;
        if key.len() != 16 {
            return Err(corrupt("Stream node key entry is not the size of a stream ID"));
        }
        let master = Id::from_key(u128::from_be_bytes(key[..].try_into().unwrap()));
        let raw = r.string()?;
        let lp = match Listpack::from_bytes(raw.to_vec()) {
            Some(lp) => lp,
            None if !deep => {
                lenient = true;
                Listpack::rebuild(&raw).ok_or_else(|| corrupt("Stream listpack integrity check failed."))?
            }
            None => return Err(corrupt("Stream listpack integrity check failed.")),
        };
        if lp.is_empty() {
            return Err(corrupt("Empty listpack inside stream"));
        }
        // Nodes ascend: each master ID is after the entries of the node before.
        if last_entry.is_some_and(|l| master <= l) {
            return Err(corrupt("Stream nodes out of order"));
        }
        match validate_node(&lp, master, last_entry) {
            Some((live, _, last)) => {
                last_entry = Some(last);
                live_total += live;
            }
            None if !deep => {
                lenient = true;
                last_entry = Some(master);
            }
            None => return Err(corrupt("Stream listpack integrity check failed.")),
        }
        s.nodes.insert(master, lp);
    }
    s.length = r.len()?;
    s.last_id = id(r)?;
    if t >= TYPE_STREAM_LISTPACKS_2 {
        s.first_id = id(r)?;
        s.max_deleted = id(r)?;
        s.entries_added = r.len()?;
    } else {
        s.entries_added = s.length;
        s.first_id = s.edge_id(true).unwrap_or_default();
    }
    if s.length != live_total && !lenient {
        return Err(corrupt("Stream length does not match its entries"));
    }
    if !lenient && last_entry.is_some_and(|l| l > s.last_id) {
        return Err(corrupt("Stream has entries after its last ID"));
    }
    let groups = r.count()?;
    for _ in 0..groups {
        let name = r.string()?.into_owned();
        let last_id = id(r)?;
        let entries_read = if t >= TYPE_STREAM_LISTPACKS_2 {
            r.len()? as i64
        } else {
            crate::t_stream::group_lag::estimate_distance(&s, last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let pel = r.count()?;
        for _ in 0..pel {
            let id = raw_id(r)?;
            let delivery_time = r.ms()?;
            let delivery_count = r.len()?;
            if g.pel.insert(id, Nack { delivery_time, delivery_count, consumer: std::sync::Arc::from(&b""[..]) }).is_some() {
                return Err(corrupt("Duplicated global PEL entry loading stream consumer group"));
            }
        }
        // The pending entries a consumer has claimed (each exactly once).
        let mut owned: std::collections::HashSet<Id> = std::collections::HashSet::with_capacity(super::decode::cap(pel));
        let consumers = r.count()?;
        for _ in 0..consumers {
            let cname = r.string()?;
            let seen_time = r.ms()?;
            let active_time = if t >= TYPE_STREAM_LISTPACKS_3 { r.ms()? } else { seen_time };
            let mut c = Consumer::new(&cname, seen_time);
            c.active_time = active_time;
            let n = r.count()?;
            for _ in 0..n {
                let id = raw_id(r)?;
                let nack = g.pel.get_mut(&id).ok_or_else(|| corrupt("Consumer entry not found in group global PEL"))?;
                if !owned.insert(id) {
                    return Err(corrupt("Duplicated consumer PEL entry loading a stream consumer group"));
                }
                nack.consumer = c.name.clone();
                c.pel.insert(id, ());
            }
            if g.consumers.insert(&cname, c).is_some() {
                return Err(Error::new("Duplicate stream consumer detected."));
            }
        }
        // Every pending entry has its consumer (deep sanitization).
        if owned.len() != g.pel.len() {
            return Err(corrupt("Stream CG PEL entry without consumer"));
        }
        if s.groups.insert(&name, g).is_some() {
            return Err(corrupt("Duplicated consumer group name"));
        }
    }
    Ok(Value::Stream(Box::new(s)))
}
