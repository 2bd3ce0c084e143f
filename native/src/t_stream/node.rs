//! One stream node: a listpack laid out as Redis's t_stream.c lays it out.
//!
//! The master entry: `count | deleted | num-fields | field_1 .. field_N | 0`
//! (live and deleted entries, the fields of the node's first entry).
//! Each entry: `flags | ms-diff | seq-diff | num-fields | f1 | v1 .. | lp-count`,
//! or with FLAG_SAMEFIELDS (its fields are the master's):
//! `flags | ms-diff | seq-diff | v1 .. vN | lp-count`. The ID is the delta
//! from the node's master ID (the index key); lp-count counts the entry's
//! elements before it, so the node can be walked backwards.
use super::Id;
use crate::listpack::Listpack;

pub const FLAG_NONE: i64 = 0;
pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;

/// One entry as decoded: its ID, flags, the offset of its flags element, and
/// its fields and values alternating.
pub struct Entry {
    pub id: Id,
    pub flags: i64,
    pub pos: usize,
    pub fields: Vec<Vec<u8>>,
}

impl Entry {
    pub fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }
}

fn int_at(lp: &Listpack, p: usize) -> i64 {
    lp.get(p).as_i64().expect("stream node integer")
}

/// The master entry's counters: (live entries, deleted entries).
pub fn counts(lp: &Listpack) -> (i64, i64) {
    let p = lp.first().unwrap();
    let count = int_at(lp, p);
    (count, int_at(lp, lp.next(p).unwrap()))
}

/// Rewrites the master entry's counters.
pub fn set_counts(lp: &mut Listpack, count: i64, deleted: i64) {
    let p = lp.first().unwrap();
    let p = lp.replace(p, count.to_string().as_bytes());
    let q = lp.next(p).unwrap();
    lp.replace(q, deleted.to_string().as_bytes());
}

/// Rewrites an entry's flags (the element at `pos`).
pub fn set_flags(lp: &mut Listpack, pos: usize, flags: i64) {
    lp.replace(pos, flags.to_string().as_bytes());
}

/// Marks the entry at `pos` deleted and moves `n` from the live count to the deleted one.
pub fn mark_deleted(lp: &mut Listpack, pos: usize, flags: i64, n: i64) {
    set_flags(lp, pos, flags | FLAG_DELETED);
    let (count, deleted) = counts(lp);
    set_counts(lp, count - n, deleted + n);
}

/// A new node whose first entry is `id` (so its master ID): Redis's
/// streamAppendItem on an empty tail. (Redis's lpNew reserves room for the
/// node's later entries; a Listpack is always the size class of its bytes.)
pub fn new_node(id: Id, fv: &[&[u8]]) -> Listpack {
    let n = fv.len() / 2;
    let mut lp = Listpack::new();
    lp.push_back_i64(1);
    lp.push_back_i64(0);
    lp.push_back_i64(n as i64);
    for pair in fv.chunks_exact(2) {
        lp.push_back(pair[0]);
    }
    lp.push_back_i64(0);
    push_entry(&mut lp, id, id, fv, true);
    lp
}

/// Appends entry `id` to the node with master ID `master`.
pub fn append(lp: &mut Listpack, master: Id, id: Id, fv: &[&[u8]]) {
    let n = fv.len() / 2;
    let p = lp.first().unwrap();
    let count = int_at(lp, p);
    let p = lp.replace(p, (count + 1).to_string().as_bytes());
    let mut q = lp.next(lp.next(p).unwrap()).unwrap();
    let master_fields = int_at(lp, q) as usize;
    let mut same = master_fields == n;
    if same {
        for pair in fv.chunks_exact(2) {
            q = lp.next(q).unwrap();
            if !lp.get(q).eq_bytes(pair[0]) {
                same = false;
                break;
            }
        }
    }
    push_entry(lp, master, id, fv, same);
}

fn push_entry(lp: &mut Listpack, master: Id, id: Id, fv: &[&[u8]], same: bool) {
    let n = fv.len() / 2;
    lp.push_back_i64(if same { FLAG_SAMEFIELDS } else { FLAG_NONE });
    lp.push_back_i64(id.ms.wrapping_sub(master.ms) as i64);
    lp.push_back_i64(id.seq.wrapping_sub(master.seq) as i64);
    if !same {
        lp.push_back_i64(n as i64);
    }
    for pair in fv.chunks_exact(2) {
        if !same {
            lp.push_back(pair[0]);
        }
        lp.push_back(pair[1]);
    }
    let lp_count = if same { n + 3 } else { 2 * n + 4 };
    lp.push_back_i64(lp_count as i64);
}

/// One entry's header, as a walk finds it: its ID and flags, where its flags
/// element is, and where its fields (or values, with FLAG_SAMEFIELDS) start.
#[derive(Clone, Copy)]
pub struct Head {
    pub id: Id,
    pub flags: i64,
    pub pos: usize,
    body: usize,
}

impl Head {
    pub fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }
}

/// A node opened for reading: entries are walked header by header, and only
/// the ones asked for have their fields copied out (a range that wants 10
/// entries of a 100-entry node decodes 10).
pub struct Reader<'a> {
    lp: &'a Listpack,
    master: Id,
    /// The master entry's field elements.
    master_fields: Vec<usize>,
    first: Option<usize>,
}

impl<'a> Reader<'a> {
    pub fn new(lp: &'a Listpack, master: Id) -> Reader<'a> {
        // Master entry: count, deleted, num-fields, the fields, the 0 terminator.
        let nf_pos = lp.first().and_then(|p| lp.next(p)).and_then(|p| lp.next(p));
        let mut master_fields = Vec::new();
        let mut first = None;
        if let Some(nf_pos) = nf_pos {
            let nf = int_at(lp, nf_pos) as usize;
            let mut p = lp.next(nf_pos);
            for _ in 0..nf {
                let q = p.unwrap();
                master_fields.push(q);
                p = lp.next(q);
            }
            first = p.and_then(|q| lp.next(q));
        }
        Reader { lp, master, master_fields, first }
    }

    /// The header of the entry whose flags are at `pos`.
    fn head_at(&self, pos: usize) -> Head {
        let lp = self.lp;
        let flags = int_at(lp, pos);
        let q = lp.next(pos).unwrap();
        let ms = self.master.ms.wrapping_add(int_at(lp, q) as u64);
        let q = lp.next(q).unwrap();
        let seq = self.master.seq.wrapping_add(int_at(lp, q) as u64);
        Head { id: Id::new(ms, seq), flags, pos, body: lp.next(q).unwrap() }
    }

    /// The entries' headers in order, deleted ones too.
    pub fn heads(&self) -> impl Iterator<Item = Head> + '_ {
        let lp = self.lp;
        let mut p = self.first;
        std::iter::from_fn(move || {
            let h = self.head_at(p?);
            // Step over the fields and values to the lp-count, then past it.
            let skip = if h.flags & FLAG_SAMEFIELDS != 0 { self.master_fields.len() } else { 2 * int_at(lp, h.body) as usize + 1 };
            let mut q = h.body;
            for _ in 0..skip {
                q = lp.next(q).unwrap();
            }
            p = lp.next(q);
            Some(h)
        })
    }

    /// The entries' headers last first: each entry ends with the count of
    /// its elements before it (lp-count), so the walk steps back over them
    /// without reading the entries it passes.
    pub fn heads_rev(&self) -> impl Iterator<Item = Head> + '_ {
        let lp = self.lp;
        let first = self.first;
        let mut p = first.and_then(|_| lp.last());
        std::iter::from_fn(move || {
            let end = p?;
            let mut q = end;
            for _ in 0..int_at(lp, end) {
                q = lp.prev(q).unwrap();
            }
            p = if Some(q) == first { None } else { lp.prev(q) };
            Some(self.head_at(q))
        })
    }

    /// The headers of the node's entries at or after `start`, in order, found
    /// walking back from its end: for a `start` near the end of the node (a
    /// consumer reading the tail node's newest entries) this passes only the
    /// entries it returns, where the forward walk passes all before them.
    pub fn heads_from(&self, start: Id) -> Vec<Head> {
        let mut found: Vec<Head> = self.heads_rev().take_while(|h| h.id >= start).collect();
        found.reverse();
        found
    }

    /// The entry's fields and values, alternating.
    pub fn fields(&self, h: &Head) -> Vec<Vec<u8>> {
        let lp = self.lp;
        let mut out = Vec::new();
        let mut q = h.body;
        if h.flags & FLAG_SAMEFIELDS != 0 {
            out.reserve(2 * self.master_fields.len());
            for &f in &self.master_fields {
                out.push(lp.get(f).to_vec());
                out.push(lp.get(q).to_vec());
                q = lp.next(q).unwrap();
            }
        } else {
            let n = int_at(lp, q) as usize;
            out.reserve(2 * n);
            for _ in 0..2 * n {
                q = lp.next(q).unwrap();
                out.push(lp.get(q).to_vec());
            }
        }
        out
    }
}

/// Every entry of the node (deleted ones too), in order, fields copied out.
pub fn entries(lp: &Listpack, master: Id) -> Vec<Entry> {
    let r = Reader::new(lp, master);
    r.heads().map(|h| Entry { id: h.id, flags: h.flags, pos: h.pos, fields: r.fields(&h) }).collect()
}

/// The ID of the node's last entry, deleted or not (lpGetEdgeStreamID).
pub fn last_id_any(lp: &Listpack, master: Id) -> Id {
    Reader::new(lp, master).heads().last().map(|h| h.id).unwrap_or(master)
}
