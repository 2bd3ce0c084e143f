//! The stream type (Redis's t_stream.c): entries in listpack nodes laid out
//! as Redis lays them out (t_stream/node.rs), indexed by each node's master
//! ID, plus the consumer groups (t_stream/group.rs). The commands are in
//! t_stream/commands.rs and t_stream/groups_cmd.rs.
//!
//! The node index: as Redis, a radix tree (rax.rs) keyed by the master ID as
//! 16 big-endian bytes (t_stream/id_map.rs); the groups are a rax by name.
use crate::command::Cmd;
use crate::listpack::Listpack;
use crate::rax::Rax;

pub mod node;
pub mod group;
pub mod id;
pub mod group_lag;
pub mod id_map;
mod commands;
mod groups_cmd;

pub use group::{Consumer, Group, Nack};
pub use id::Id;
pub use id_map::{IdMap, IdSet};

/// Entries bigger than this in total cannot be stored (STREAM_LISTPACK_MAX_SIZE).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

#[derive(Clone, Default)]
pub struct Stream {
    /// The nodes by master ID (see the module comment).
    pub nodes: IdMap<Listpack>,
    /// Live entries.
    pub length: u64,
    /// The last ID ever added (or set by XSETID).
    pub last_id: Id,
    /// The first live entry's ID (0-0 when empty).
    pub first_id: Id,
    /// The largest ID deleted by XDEL (or set by XSETID MAXDELETEDID).
    pub max_deleted: Id,
    /// Entries ever added.
    pub entries_added: u64,
    /// The consumer groups by name (Redis: a rax, so name order).
    pub groups: Rax<Group>,
}

/// The node count of a Redis rax holding these 128-bit keys (in order), as a
/// compressed trie counts them: XINFO's radix-tree-nodes and MEMORY USAGE's
/// estimate. (Redis's own count can differ after deletions: its rax does not
/// always re-compress.)
pub fn rax_nodes(keys: impl Iterator<Item = u128>) -> usize {
    let keys: Vec<[u8; 16]> = keys.map(|k| k.to_be_bytes()).collect();
    fn count(keys: &[[u8; 16]], depth: usize) -> usize {
        if depth == 16 {
            return 1; // the key's own node
        }
        if keys.len() == 1 {
            return 2; // a compressed node for the rest, then the key's node
        }
        let mut d = depth;
        while d < 16 && keys.iter().all(|k| k[d] == keys[0][d]) {
            d += 1;
        }
        let mut n = usize::from(d > depth); // the shared run, compressed
        if d == 16 {
            return n + 1;
        }
        n += 1; // the node that branches
        let mut i = 0;
        while i < keys.len() {
            let mut e = i;
            while e < keys.len() && keys[e][d] == keys[i][d] {
                e += 1;
            }
            n += count(&keys[i..e], d + 1);
            i = e;
        }
        n
    }
    if keys.is_empty() {
        1
    } else {
        count(&keys, 0)
    }
}

/// How XADD/XTRIM trim.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Trim {
    None,
    MaxLen(u64),
    MinId(Id),
}

impl Stream {
    pub fn len(&self) -> usize {
        self.length as usize
    }

    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// Redis's xorObjectDigest for a stream: each live entry's "ms.seq", then its fields and values.
    pub fn digest(&self, digest: &mut crate::digest::Digest) {
        self.range(Id::MIN, Id::MAX, false, 0, |id, fields| {
            crate::digest::mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
            for f in fields {
                crate::digest::mix_digest(digest, f);
            }
            true
        });
    }

    /// Redis's lazyfreeGetFreeEffort: the nodes plus the groups' PEL sizes.
    pub fn free_effort(&self) -> usize {
        let mut effort = self.nodes.len();
        for g in self.groups.values() {
            effort += g.pel.len() + g.consumers.len();
        }
        effort
    }

    /// Appends an entry with `id` (already known to be above last_id);
    /// `fv` alternates fields and values. Redis's streamAppendItem.
    pub fn append(&mut self, id: Id, fv: &[&[u8]]) {
        let cfg = crate::config::get();
        self.append_within(id, fv, cfg.stream_node_max_bytes as usize, cfg.stream_node_max_entries as i64);
    }

    /// `append` with the node limits given (stream-node-max-bytes, -entries; 0: none).
    pub fn append_within(&mut self, id: Id, fv: &[&[u8]], max_bytes: usize, max_entries: i64) {
        let total: usize = fv.iter().map(|x| x.len()).sum();
        let mut max_bytes = max_bytes;
        if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            max_bytes = LISTPACK_MAX_SIZE;
        }
        let full = |lp: &Listpack| {
            lp.bytes_len() + total >= max_bytes
                || (max_entries > 0 && {
                    let (count, deleted) = node::counts(lp);
                    count + deleted >= max_entries
                })
        };
        let room = matches!(self.nodes.last_mut(), Some((_, lp)) if !full(lp));
        if room {
            let (master, lp) = self.nodes.last_mut().unwrap();
            node::append(lp, master, id, fv);
        } else {
            self.nodes.insert(id, node::new_node(id, fv));
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Calls `f` with each live entry in [start, end] (descending if `rev`),
    /// at most `count` (0: all), until `f` answers false. Returns the count emitted.
    /// `f` gets the entry's fields and values (alternating) and may take them.
    pub fn range(&self, start: Id, end: Id, rev: bool, count: usize, mut f: impl FnMut(Id, &mut Vec<Vec<u8>>) -> bool) -> usize {
        if start > end {
            return 0;
        }
        let mut n = 0;
        if !rev {
            // Where `start` falls in the later half of the tail node (by its ID, between the
            // node's master ID and the last ID), the entries after it are found from the end.
            let tail = self.nodes.last().map(|(k, _)| k).filter(|&k| k <= start && start.key() - k.key() >= self.last_id.key().saturating_sub(k.key()) / 2);
            // The node holding `start` may begin before it.
            for (k, lp) in self.nodes.iter_from_floor(start) {
                if k > end {
                    break;
                }
                let r = node::Reader::new(lp, k);
                let near_end = if tail == Some(k) { Some(r.heads_from(start)) } else { None };
                let heads: &mut dyn Iterator<Item = node::Head> = match near_end {
                    Some(ref v) => &mut v.iter().copied(),
                    None => &mut r.heads(),
                };
                for h in heads {
                    if h.deleted() || h.id < start {
                        continue;
                    }
                    if h.id > end {
                        return n;
                    }
                    n += 1;
                    if !f(h.id, &mut r.fields(&h)) || (count > 0 && n >= count) {
                        return n;
                    }
                }
            }
        } else {
            for (k, lp) in self.nodes.iter_back_from(end) {
                let r = node::Reader::new(lp, k);
                let mut before = false;
                for h in r.heads_rev() {
                    if h.deleted() || h.id > end {
                        continue;
                    }
                    if h.id < start {
                        before = true;
                        break;
                    }
                    n += 1;
                    if !f(h.id, &mut r.fields(&h)) || (count > 0 && n >= count) {
                        return n;
                    }
                }
                if before || k <= start {
                    break;
                }
            }
        }
        n
    }

    /// The fields of the live entry `id`, if any.
    pub fn get(&self, id: Id) -> Option<Vec<Vec<u8>>> {
        let mut found = None;
        self.range(id, id, false, 1, |_, f| {
            found = Some(f.to_vec());
            false
        });
        found
    }

    /// The first or last live entry's ID (streamGetEdgeID with tombstones skipped).
    pub fn edge_id(&self, first: bool) -> Option<Id> {
        let mut found = None;
        self.range(Id::MIN, Id::MAX, !first, 1, |id, _| {
            found = Some(id);
            false
        });
        found
    }

    /// The first entry's ID, deleted ones included (streamGetEdgeID without
    /// skipping tombstones); None when there are no nodes.
    pub fn first_id_any(&self) -> Option<Id> {
        let (k, lp) = self.nodes.first()?;
        node::Reader::new(lp, k).heads().next().map(|h| h.id)
    }

    /// Marks entry `id` deleted (Redis's streamDeleteItem); false if absent.
    pub fn delete(&mut self, id: Id) -> bool {
        let Some((k, lp)) = self.nodes.at_or_before_mut(id) else { return false };
        let master = k;
        let Some(e) = node::Reader::new(lp, master).heads().find(|e| e.id == id && !e.deleted()) else { return false };
        if node::counts(lp).0 == 1 {
            self.nodes.remove(&k);
        } else {
            node::mark_deleted(lp, e.pos, e.flags, 1);
        }
        self.length -= 1;
        true
    }

    /// Redis's streamTrim: whole nodes first; with `approx`, only whole nodes.
    /// `limit` (0: none) caps the entries removed. Returns the entries removed.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: i64) -> i64 {
        if trim == Trim::None {
            return 0;
        }
        let mut deleted: i64 = 0;
        // Each pass removes the first node or ends the trim, so the first node is the one to look at.
        while let Some((k, _)) = self.nodes.first() {
            if let Trim::MaxLen(max) = trim {
                if self.length <= max {
                    break;
                }
            }
            let lp = self.nodes.get_mut(&k).unwrap();
            let (entries, marked) = node::counts(lp);
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let master = k;
            let remove = match trim {
                Trim::MaxLen(max) => self.length - entries as u64 >= max,
                Trim::MinId(min) => node::last_id_any(lp, master) < min,
                Trim::None => unreachable!(),
            };
            if remove {
                self.nodes.remove(&k);
                self.length -= entries as u64;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut from_lp = 0i64;
            let heads: Vec<node::Head> = node::Reader::new(lp, master).heads().collect();
            for e in heads {
                let stop = match trim {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                    Trim::None => true,
                };
                if stop {
                    break;
                }
                if !e.deleted() {
                    node::set_flags(lp, e.pos, e.flags | node::FLAG_DELETED);
                    from_lp += 1;
                    self.length -= 1;
                }
            }
            deleted += from_lp;
            node::set_counts(lp, entries - from_lp, marked + from_lp);
            break;
        }
        if self.length == 0 {
            self.first_id = Id::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true).unwrap_or(Id::MIN);
        }
        deleted
    }
}

/// The stream commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "xadd", f: commands::xadd_cmd },
    Cmd { name: "xrange", f: commands::xrange_cmd },
    Cmd { name: "xrevrange", f: commands::xrevrange_cmd },
    Cmd { name: "xlen", f: commands::xlen_cmd },
    Cmd { name: "xdel", f: commands::xdel_cmd },
    Cmd { name: "xtrim", f: commands::xtrim_cmd },
    Cmd { name: "xread", f: commands::xread_cmd },
    Cmd { name: "xsetid", f: commands::xsetid_cmd },
    Cmd { name: "xgroup", f: groups_cmd::xgroup_cmd },
    Cmd { name: "xreadgroup", f: commands::xread_cmd },
    Cmd { name: "xack", f: groups_cmd::xack_cmd },
    Cmd { name: "xpending", f: groups_cmd::xpending_cmd },
    Cmd { name: "xclaim", f: groups_cmd::xclaim_cmd },
    Cmd { name: "xautoclaim", f: groups_cmd::xautoclaim_cmd },
    Cmd { name: "xinfo", f: groups_cmd::xinfo_cmd },
    // Not a Redis command (no entry in the TypeScript table): XREAD BLOCK's `$`
    // resolved to the stream's last ID before the client blocks.
    Cmd { name: "xread-lastid", f: commands::xlastid_cmd },
];

#[cfg(test)]
mod tests;
