//! The quicklist (Redis's quicklist.c): a list of listpack nodes. Nodes fill up
//! to `list-max-listpack-size` (negative: 4/8/16/32/64 KB; positive: entries),
//! an element of `packed_threshold` bytes or more lives alone in a "plain"
//! node, and with `list-compress-depth` d > 0 every node but the d at each end
//! is kept LZF-compressed when that saves 8 bytes or more. Where nodes split
//! and merge follows quicklist.c step by step: the shape decides when a list
//! goes back to a listpack (one node) and what an RDB holds.
//!
//! Nodes sit in a VecDeque (cheap at both ends; a node holds hundreds of
//! entries, so moving node handles in the middle is cheap too).
use crate::listpack::{Listpack, LpEntry};
use crate::lzf;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Node byte limits of fill -1 .. -5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest node of a count-limited (positive fill) quicklist.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Added to an insert's size estimate (quicklist.c's SIZE_ESTIMATE_OVERHEAD).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
const MIN_COMPRESS_BYTES: usize = 48;
const MIN_COMPRESS_IMPROVE: usize = 8;
/// A listpack's header and terminator (merges subtract one pair).
const LP_OVERHEAD: usize = 7;
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;
/// Bounds of the fill and depth quicklist.c keeps (its bit fields).
const FILL_MAX: i32 = (1 << 15) - 1;
const COMPRESS_MAX: i32 = (1 << 16) - 1;

static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// DEBUG QUICKLIST-PACKED-THRESHOLD: elements this size or larger get a
/// plain node of their own; 0 restores 1 GB. False when above ~4 GB.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let v = if sz == 0 { DEFAULT_PACKED_THRESHOLD } else { sz as usize };
    PACKED_THRESHOLD.store(v, Ordering::Relaxed);
    true
}

#[inline]
fn is_large(sz: usize) -> bool {
    sz >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// A node's size and count limits for `fill` (quicklistNodeLimit): (bytes, entries).
pub fn node_limit(fill: i32) -> (usize, usize) {
    if fill >= 0 {
        (usize::MAX, if fill == 0 { 1 } else { fill as usize })
    } else {
        let off = ((-(fill as i64)) - 1).min(OPTIMIZATION_LEVEL.len() as i64 - 1) as usize;
        (OPTIMIZATION_LEVEL[off], usize::MAX)
    }
}

/// Whether a node of `sz` bytes and `count` entries is over the limits (quicklistNodeExceedsLimit).
pub fn exceeds_limit(fill: i32, sz: usize, count: usize) -> bool {
    let (sz_limit, count_limit) = node_limit(fill);
    if sz_limit != usize::MAX {
        sz > sz_limit
    } else {
        sz > SIZE_SAFETY_LIMIT || count > count_limit
    }
}

#[derive(Clone)]
enum Data {
    Packed(Listpack),
    /// One element, as it is.
    Plain(Vec<u8>),
    /// A compressed node: the LZF of the listpack's bytes (or of the plain element).
    Lzf { bytes: Vec<u8>, plain: bool },
}

#[derive(Clone)]
struct Node {
    data: Data,
    count: usize,
    /// Uncompressed bytes (lpBytes, or the plain element's length).
    sz: usize,
}

/// A node's contents for reading, decompressed if need be.
enum View<'a> {
    Lp(Cow<'a, Listpack>),
    Plain(Cow<'a, [u8]>),
}

impl Node {
    fn packed(lp: Listpack) -> Node {
        Node { count: lp.len(), sz: lp.bytes_len(), data: Data::Packed(lp) }
    }
    fn with_value(v: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.push_front(v);
        Node::packed(lp)
    }
    fn plain(v: &[u8]) -> Node {
        Node { data: Data::Plain(v.to_vec()), count: 1, sz: v.len() }
    }
    fn is_plain(&self) -> bool {
        matches!(self.data, Data::Plain(_) | Data::Lzf { plain: true, .. })
    }
    fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Lzf { .. })
    }

    fn view(&self) -> View<'_> {
        match &self.data {
            Data::Packed(lp) => View::Lp(Cow::Borrowed(lp)),
            Data::Plain(v) => View::Plain(Cow::Borrowed(v)),
            Data::Lzf { bytes, plain } => {
                let raw = lzf::decompress(bytes, self.sz).expect("quicklist: corrupt compressed node");
                if *plain {
                    View::Plain(Cow::Owned(raw))
                } else {
                    View::Lp(Cow::Owned(Listpack::from_bytes(raw).expect("quicklist: corrupt node")))
                }
            }
        }
    }

    fn decompress(&mut self) {
        if let Data::Lzf { bytes, plain } = &self.data {
            let raw = lzf::decompress(bytes, self.sz).expect("quicklist: corrupt compressed node");
            self.data = if *plain { Data::Plain(raw) } else { Data::Packed(Listpack::from_bytes(raw).expect("quicklist: corrupt node")) };
        }
    }

    /// __quicklistCompressNode: compressed when big enough and LZF saves enough.
    fn compress(&mut self) {
        if self.sz < MIN_COMPRESS_BYTES {
            return;
        }
        let (raw, plain): (&[u8], bool) = match &self.data {
            Data::Packed(lp) => (lp.as_bytes(), false),
            Data::Plain(v) => (v, true),
            Data::Lzf { .. } => return,
        };
        if let Some(c) = lzf::compress(raw, raw.len()) {
            if c.len() + MIN_COMPRESS_IMPROVE < self.sz {
                self.data = Data::Lzf { bytes: c, plain };
            }
        }
    }

    /// The node's listpack, decompressed in place (packed nodes only).
    fn lp(&mut self) -> &mut Listpack {
        self.decompress();
        match &mut self.data {
            Data::Packed(lp) => lp,
            _ => unreachable!("quicklist: listpack of a plain node"),
        }
    }

    fn update_sz(&mut self) {
        if let Data::Packed(lp) = &self.data {
            self.sz = lp.bytes_len();
            self.count = lp.len();
        }
    }
}

/// A listpack made of `entries` (raw entry bytes, as a listpack holds them) and their count.
fn lp_of_entries(entries: &[u8], count: usize) -> Listpack {
    let total = 6 + entries.len() + 1;
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&(total as u32).to_le_bytes());
    b.extend_from_slice(&(count.min(u16::MAX as usize) as u16).to_le_bytes());
    b.extend_from_slice(entries);
    b.push(0xFF);
    Listpack::from_bytes(b).expect("quicklist: listpack from entries")
}

/// The entry bytes of `lp` (without header and terminator).
fn entries_of(lp: &Listpack) -> &[u8] {
    let b = lp.as_bytes();
    &b[6..b.len() - 1]
}

#[derive(Clone)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i32,
    compress: usize,
}

/// A popped element: an integer entry stays an integer (LMOVE's size check
/// counts an integer-encoded value as 0 bytes, as Redis does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elem {
    Int(i64),
    Bytes(Vec<u8>),
}

impl Elem {
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Bytes(b) => f(b),
            Elem::Int(v) => LpEntry::Int(*v).with_bytes(f),
        }
    }
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Elem::Bytes(b) => b,
            Elem::Int(v) => LpEntry::Int(v).to_vec(),
        }
    }
}

impl Quicklist {
    pub fn new(fill: i32, compress: i32) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            compress: compress.clamp(0, COMPRESS_MAX) as usize,
        }
    }

    /// quicklistAppendListpack: a quicklist holding `lp` as its one node.
    pub fn from_listpack(lp: Listpack, fill: i32, compress: i32) -> Quicklist {
        let mut q = Quicklist::new(fill, compress);
        if !lp.is_empty() {
            q.count = lp.len();
            q.nodes.push_back(Node::packed(lp));
        }
        q
    }

    /// The listpack of a quicklist of one packed node (for the conversion back), else None.
    pub fn single_listpack(&self) -> Option<(&Listpack, usize)> {
        if self.nodes.len() != 1 {
            return None;
        }
        match &self.nodes[0].data {
            Data::Packed(lp) => Some((lp, self.nodes[0].sz)),
            _ => None,
        }
    }

    pub fn into_listpack(mut self) -> Listpack {
        let mut n = self.nodes.pop_front().expect("quicklist: one node");
        std::mem::take(n.lp())
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// Number of nodes (quicklist->len).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    /// Bytes the nodes hold (compressed sizes for compressed nodes).
    pub fn alloc_size(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| {
                64 + match &n.data {
                    Data::Packed(lp) => lp.alloc_size(),
                    Data::Plain(v) => v.capacity(),
                    Data::Lzf { bytes, .. } => bytes.capacity(),
                }
            })
            .sum()
    }

    fn allow_insert(&self, ni: Option<usize>, sz: usize) -> bool {
        let Some(n) = ni.and_then(|i| self.nodes.get(i)) else { return false };
        if n.is_plain() || is_large(sz) {
            return false;
        }
        !exceeds_limit(self.fill, n.sz + sz + SIZE_ESTIMATE_OVERHEAD, n.count + 1)
    }

    fn allow_merge(&self, a: usize, b: usize) -> bool {
        let (Some(x), Some(y)) = (self.nodes.get(a), self.nodes.get(b)) else { return false };
        if x.is_plain() || y.is_plain() {
            return false;
        }
        !exceeds_limit(self.fill, (x.sz + y.sz).wrapping_sub(LP_OVERHEAD), x.count + y.count)
    }

    /// Keeps the compression rule after a change to nodes lo..hi (clamped):
    /// the `compress` nodes at each end are plain listpacks, those between
    /// them compressed when worth it (what quicklist.c's __quicklistCompress
    /// and recompress flags arrive at).
    fn settle(&mut self, lo: usize, hi: usize) {
        let d = self.compress;
        if d == 0 || self.nodes.is_empty() {
            return;
        }
        let len = self.nodes.len();
        let inner = |i: usize| i >= d && i + d < len;
        for i in 0..d.min(len) {
            self.nodes[i].decompress();
            self.nodes[len - 1 - i].decompress();
        }
        let fix = |q: &mut Quicklist, i: usize| {
            if i < len && inner(i) {
                q.nodes[i].compress();
            }
        };
        fix(self, d);
        if len > d {
            fix(self, len - 1 - d);
        }
        for i in lo..hi.min(len) {
            fix(self, i);
        }
    }

    /// The node holding element `index` (negative: from the tail) and the offset in it.
    fn locate(&self, index: i64) -> Option<(usize, usize)> {
        let n = self.count as i64;
        let i = if index < 0 { n + index } else { index };
        if i < 0 || i >= n {
            return None;
        }
        let i = i as usize;
        if i <= (self.count - 1) / 2 {
            let mut acc = 0;
            for (ni, node) in self.nodes.iter().enumerate() {
                if acc + node.count > i {
                    return Some((ni, i - acc));
                }
                acc += node.count;
            }
        } else {
            let mut acc = self.count;
            for ni in (0..self.nodes.len()).rev() {
                acc -= self.nodes[ni].count;
                if acc <= i {
                    return Some((ni, i - acc));
                }
            }
        }
        None
    }

    // ---- adding

    /// quicklistPushHead / quicklistPushTail.
    pub fn push(&mut self, v: &[u8], head: bool) {
        let sz = v.len();
        if is_large(sz) {
            self.insert_node(if head { 0 } else { self.nodes.len() }, Node::plain(v));
            self.count += 1;
            return;
        }
        let end = if head { Some(0) } else { self.nodes.len().checked_sub(1) };
        if self.allow_insert(end, sz) {
            let i = end.unwrap();
            let n = &mut self.nodes[i];
            if head {
                n.lp().push_front(v)
            } else {
                n.lp().push_back(v)
            }
            n.update_sz();
        } else {
            let node = Node::with_value(v);
            self.insert_node(if head { 0 } else { self.nodes.len() }, node);
        }
        self.count += 1;
    }

    /// quicklistAppendListpack: a whole (non-empty, validated) listpack as a new tail node (RDB loading).
    pub fn append_listpack(&mut self, lp: Listpack) {
        self.count += lp.len();
        self.insert_node(self.nodes.len(), Node::packed(lp));
    }

    /// quicklistAppendPlainNode: one element as a new plain tail node (RDB loading).
    pub fn append_plain(&mut self, v: Vec<u8>) {
        self.count += 1;
        let sz = v.len();
        self.insert_node(self.nodes.len(), Node { data: Data::Plain(v), count: 1, sz });
    }

    /// Puts `node` at position `at` (its count is the caller's to add) and keeps compression.
    fn insert_node(&mut self, at: usize, node: Node) {
        self.nodes.insert(at, node);
        self.settle(at.saturating_sub(1), at + 2);
    }

    fn delete_node(&mut self, i: usize) {
        let n = self.nodes.remove(i).expect("quicklist node");
        self.count -= n.count;
        self.settle(0, 0);
    }

    /// Splits node `ni` at `off` (_quicklistSplitNode): with `after`, the node
    /// keeps 0..=off and the new node gets the rest; else the node keeps off..
    /// and the new node gets 0..off. Returns the new node (not yet inserted).
    fn split(&mut self, ni: usize, off: usize, after: bool) -> Node {
        let lp = self.nodes[ni].lp();
        let cut = lp.seek(if after { off as i64 + 1 } else { off as i64 });
        let b = lp.as_bytes();
        let cut = cut.unwrap_or(b.len() - 1);
        let left_n = if after { off + 1 } else { off };
        let total = lp.len();
        let left = lp_of_entries(&b[6..cut], left_n);
        let right = lp_of_entries(&b[cut..b.len() - 1], total - left_n);
        let (keep, new) = if after { (left, right) } else { (right, left) };
        *lp = keep;
        self.nodes[ni].update_sz();
        Node::packed(new)
    }

    /// Merges nodes `a` and `a+1` into one at `a` (_quicklistListpackMerge).
    fn merge_pair(&mut self, a: usize) {
        let right = self.nodes.remove(a + 1).expect("quicklist node");
        let mut right = right;
        let r = right.lp();
        let l = self.nodes[a].lp();
        let mut entries = Vec::with_capacity(l.bytes_len() + r.bytes_len());
        entries.extend_from_slice(entries_of(l));
        entries.extend_from_slice(entries_of(r));
        let n = l.len() + r.len();
        *l = lp_of_entries(&entries, n);
        self.nodes[a].update_sz();
    }

    /// _quicklistMergeNodes around `center`; the index of the node that holds center's entries.
    fn merge_around(&mut self, mut center: usize) -> usize {
        if center >= 2 && self.allow_merge(center - 1, center - 2) {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if self.allow_merge(center + 1, center + 2) {
            self.merge_pair(center + 1);
        }
        let mut target = center;
        if center >= 1 && self.allow_merge(center, center - 1) {
            self.merge_pair(center - 1);
            target = center - 1;
        }
        if self.allow_merge(target, target + 1) {
            self.merge_pair(target);
        }
        target
    }

    /// _quicklistInsert: `v` before (or `after`) the entry at offset `off` of node `ni`.
    fn insert_at(&mut self, ni: usize, off: usize, v: &[u8], after: bool) {
        let sz = v.len();
        let node_count = self.nodes[ni].count;
        let full = !self.allow_insert(Some(ni), sz);
        let at_tail = after && off == node_count - 1;
        let at_head = !after && off == 0;
        let avail_next = at_tail && self.allow_insert(Some(ni + 1), sz);
        let avail_prev = at_head && ni > 0 && self.allow_insert(Some(ni - 1), sz);
        let pos = |i: usize| if after { i + 1 } else { i };

        if is_large(sz) {
            if self.nodes[ni].is_plain() || at_tail || at_head {
                self.insert_node(pos(ni), Node::plain(v));
            } else {
                let new = self.split(ni, off, after);
                let e = pos(ni);
                self.insert_node(e, Node::plain(v));
                self.insert_node(if after { e + 1 } else { e }, new);
            }
            self.count += 1;
            return;
        }
        if !full {
            let lp = self.nodes[ni].lp();
            let p = lp.seek(off as i64).expect("quicklist offset");
            lp.insert(p, v, after);
            self.nodes[ni].update_sz();
            self.settle(ni, ni + 1);
        } else if at_tail && avail_next {
            let n = &mut self.nodes[ni + 1];
            n.lp().push_front(v);
            n.update_sz();
            self.settle(ni, ni + 2);
        } else if at_head && avail_prev {
            let n = &mut self.nodes[ni - 1];
            n.lp().push_back(v);
            n.update_sz();
            self.settle(ni - 1, ni + 1);
        } else if at_tail || at_head {
            self.insert_node(pos(ni), Node::with_value(v));
        } else {
            let mut new = self.split(ni, off, after);
            {
                let lp = new.lp();
                if after {
                    lp.push_front(v)
                } else {
                    lp.push_back(v)
                }
            }
            new.update_sz();
            let at = pos(ni);
            self.insert_node(at, new);
            let center = if after { ni } else { ni + 1 };
            let t = self.merge_around(center);
            self.settle(t.saturating_sub(2), t + 3);
        }
        self.count += 1;
    }

    /// LINSERT: `v` before or after the first element equal to `pivot`; false when there is none.
    pub fn insert_by_pivot(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        let mut found = None;
        'nodes: for (ni, node) in self.nodes.iter().enumerate() {
            match node.view() {
                View::Lp(lp) => {
                    for (off, e) in lp.iter().enumerate() {
                        if e.eq_bytes(pivot) {
                            found = Some((ni, off));
                            break 'nodes;
                        }
                    }
                }
                View::Plain(p) => {
                    if *p == *pivot {
                        found = Some((ni, 0));
                        break 'nodes;
                    }
                }
            }
        }
        let Some((ni, off)) = found else { return false };
        self.insert_at(ni, off, v, after);
        true
    }

    /// LSET (quicklistReplaceAtIndex): false when `index` is out of range.
    pub fn replace_at(&mut self, index: i64, v: &[u8]) -> bool {
        let Some((ni, off)) = self.locate(index) else { return false };
        let sz = v.len();
        if !self.nodes[ni].is_plain() && !is_large(sz) {
            let lp = self.nodes[ni].lp();
            let p = lp.seek(off as i64).expect("quicklist offset");
            lp.replace(p, v);
            self.nodes[ni].update_sz();
            self.settle(ni, ni + 1);
        } else if self.nodes[ni].is_plain() {
            if is_large(sz) {
                self.nodes[ni] = Node::plain(v);
                self.settle(ni, ni + 1);
            } else {
                // quicklistInsertAfter the plain node, then drop it.
                self.insert_at(ni, 0, v, true);
                self.delete_node(ni);
            }
        } else {
            // A large element into a packed node: split after it, put a
            // plain node after it, then delete the old element.
            let count = self.nodes[ni].count;
            let split = if off != count - 1 { Some(self.split(ni, off, true)) } else { None };
            self.nodes.insert(ni + 1, Node::plain(v));
            if let Some(s) = split {
                self.nodes.insert(ni + 2, s);
            }
            self.count += 1;
            if self.nodes[ni].count == 1 {
                self.delete_node(ni);
            } else {
                let n = &mut self.nodes[ni];
                let lp = n.lp();
                let p = lp.last().expect("quicklist entry");
                lp.delete(p);
                n.update_sz();
                self.count -= 1;
                let t = self.merge_around(ni + 1);
                self.settle(t.saturating_sub(2), t + 3);
            }
        }
        true
    }

    // ---- removing

    /// quicklistPop: the element at the head (or tail), None when empty.
    pub fn pop(&mut self, head: bool) -> Option<Elem> {
        if self.count == 0 {
            return None;
        }
        let ni = if head { 0 } else { self.nodes.len() - 1 };
        let node = &mut self.nodes[ni];
        if node.is_plain() {
            node.decompress();
            let v = match std::mem::replace(&mut node.data, Data::Plain(Vec::new())) {
                Data::Plain(v) => v,
                _ => unreachable!(),
            };
            self.delete_node(ni);
            return Some(Elem::Bytes(v));
        }
        let lp = node.lp();
        let p = if head { lp.first() } else { lp.last() }.expect("quicklist entry");
        let e = owned(lp.get(p));
        lp.delete(p);
        node.update_sz();
        self.count -= 1;
        if node.count == 0 {
            self.nodes.remove(ni);
            self.settle(0, 0);
        }
        Some(e)
    }

    /// quicklistDelRange: `count` elements from `start` (negative: from the tail).
    pub fn del_range(&mut self, start: i64, count: usize) {
        if count == 0 {
            return;
        }
        let mut extent = count;
        if start >= 0 && extent > self.count.saturating_sub(start as usize) {
            extent = self.count.saturating_sub(start as usize);
        } else if start < 0 && extent > start.unsigned_abs() as usize {
            extent = start.unsigned_abs() as usize;
        }
        let Some((mut ni, mut off)) = self.locate(start) else { return };
        let first = ni;
        while extent > 0 {
            let ncount = self.nodes[ni].count;
            let whole = off == 0 && extent >= ncount;
            let del = if whole { ncount } else if extent + off >= ncount { ncount - off } else { extent };
            if whole || self.nodes[ni].is_plain() {
                let n = self.nodes.remove(ni).expect("quicklist node");
                self.count -= n.count;
            } else {
                let n = &mut self.nodes[ni];
                n.lp().delete_range(off, del);
                n.update_sz();
                self.count -= del;
                if n.count == 0 {
                    self.nodes.remove(ni);
                } else {
                    ni += 1;
                }
            }
            extent -= del;
            off = 0;
        }
        self.settle(first.saturating_sub(1), first + 2);
    }

    /// LREM: removes up to `limit` (0: all) elements equal to `v`, scanning from
    /// the head, or from the tail with `from_tail`; how many went.
    pub fn remove(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut ni: isize = if from_tail { self.nodes.len() as isize - 1 } else { 0 };
        while ni >= 0 && (ni as usize) < self.nodes.len() {
            if limit != 0 && removed == limit {
                break;
            }
            let i = ni as usize;
            if self.nodes[i].is_plain() {
                let hit = matches!(self.nodes[i].view(), View::Plain(p) if *p == *v);
                if hit {
                    self.nodes.remove(i);
                    self.count -= 1;
                    removed += 1;
                    if from_tail {
                        ni -= 1;
                    }
                } else {
                    ni += if from_tail { -1 } else { 1 };
                }
                continue;
            }
            let node = &mut self.nodes[i];
            let n_here = remove_in_listpack(node.lp(), v, if limit == 0 { 0 } else { limit - removed }, from_tail);
            node.update_sz();
            self.count -= n_here;
            removed += n_here;
            if node.count == 0 {
                self.nodes.remove(i);
                if from_tail {
                    ni -= 1;
                }
            } else {
                ni += if from_tail { -1 } else { 1 };
            }
        }
        self.settle(0, self.nodes.len());
        removed
    }

    // ---- reading

    /// The element at `index` (negative: from the tail).
    pub fn get(&self, index: i64) -> Option<Vec<u8>> {
        let (ni, off) = self.locate(index)?;
        Some(match self.nodes[ni].view() {
            View::Lp(lp) => lp.get(lp.seek(off as i64)?).to_vec(),
            View::Plain(p) => p.into_owned(),
        })
    }

    /// Calls `f` on `n` elements from `from` on (tail-wards, or head-wards
    /// with `reverse`), or until `f` returns false.
    pub fn walk(&self, from: usize, reverse: bool, mut f: impl FnMut(LpEntry<'_>) -> bool) {
        let Some((ni, off)) = self.locate(from as i64) else { return };
        let mut first = true;
        let mut i = ni as isize;
        while i >= 0 && (i as usize) < self.nodes.len() {
            let start = if first { Some(off) } else { None };
            first = false;
            let go = match self.nodes[i as usize].view() {
                View::Plain(p) => f(LpEntry::Str(&p)),
                View::Lp(lp) => {
                    let n = lp.len();
                    let mut go = true;
                    if reverse {
                        let skip = start.map(|o| n - 1 - o).unwrap_or(0);
                        for e in lp.iter().rev().skip(skip) {
                            if !f(e) {
                                go = false;
                                break;
                            }
                        }
                    } else {
                        for e in lp.iter().skip(start.unwrap_or(0)) {
                            if !f(e) {
                                go = false;
                                break;
                            }
                        }
                    }
                    go
                }
            };
            if !go {
                return;
            }
            i += if reverse { -1 } else { 1 };
        }
    }

    /// Each element, head to tail.
    pub fn for_each(&self, mut f: impl FnMut(LpEntry<'_>)) {
        for node in &self.nodes {
            match node.view() {
                View::Plain(p) => f(LpEntry::Str(&p)),
                View::Lp(lp) => lp.iter().for_each(&mut f),
            }
        }
    }

    /// (nodes, fill, compress depth, uncompressed bytes of all nodes): DEBUG OBJECT's facts.
    pub fn debug_info(&self) -> (usize, i32, usize, usize) {
        (self.nodes.len(), self.fill, self.compress, self.nodes.iter().map(|n| n.sz).sum())
    }

    /// How many nodes are compressed (tests, DEBUG).
    pub fn compressed_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_compressed()).count()
    }

    /// The node array's allocation in bytes (MEMORY USAGE).
    pub fn slots_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    /// Each node's own allocation (its listpack's, plain element's or LZF
    /// bytes' capacity), head first (MEMORY USAGE samples them).
    pub fn node_allocs(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|n| match &n.data {
            Data::Packed(lp) => lp.alloc_size(),
            Data::Plain(v) | Data::Lzf { bytes: v, .. } => v.capacity(),
        })
    }

    /// Each node's data as Redis holds it, head first (MEMORY USAGE samples
    /// their sizes, DEBUG OBJECT's serializedlength their RDB form).
    pub fn node_blocks(&self) -> impl Iterator<Item = NodeBlock<'_>> + '_ {
        self.nodes.iter().map(|n| match &n.data {
            Data::Packed(lp) => NodeBlock::Packed(lp.as_bytes()),
            Data::Plain(v) => NodeBlock::Plain(v),
            Data::Lzf { bytes, plain } => NodeBlock::Lzf { bytes, raw_len: n.sz, plain: *plain },
        })
    }
}

/// One quicklist node's data (see `Quicklist::node_blocks`).
pub enum NodeBlock<'a> {
    Packed(&'a [u8]),
    Plain(&'a [u8]),
    /// A compressed node: its LZF bytes and the uncompressed length.
    Lzf { bytes: &'a [u8], raw_len: usize, plain: bool },
}

impl NodeBlock<'_> {
    /// The bytes Redis allocates for it (a quicklistLZF is 4 bytes + the compressed ones).
    pub fn alloc_len(&self) -> usize {
        match self {
            NodeBlock::Packed(b) | NodeBlock::Plain(b) => b.len(),
            NodeBlock::Lzf { bytes, .. } => 4 + bytes.len(),
        }
    }
}

/// An entry with its bytes owned.
pub fn owned(e: LpEntry<'_>) -> Elem {
    match e {
        LpEntry::Int(v) => Elem::Int(v),
        LpEntry::Str(s) => Elem::Bytes(s.to_vec()),
    }
}

/// Removes up to `limit` (0: every) entries equal to `v` from `lp`, scanning
/// from the head or from the tail; how many went (LREM's loop).
pub fn remove_in_listpack(lp: &mut Listpack, v: &[u8], limit: usize, from_tail: bool) -> usize {
    let mut n = 0;
    if from_tail {
        let mut p = lp.last();
        while let Some(q) = p {
            if limit != 0 && n == limit {
                break;
            }
            let prev = lp.prev(q);
            if lp.get(q).eq_bytes(v) {
                lp.delete(q);
                n += 1;
            }
            p = prev;
        }
    } else {
        let mut p = lp.first();
        while let Some(q) = p {
            if limit != 0 && n == limit {
                break;
            }
            if lp.get(q).eq_bytes(v) {
                p = lp.delete(q);
                n += 1;
            } else {
                p = lp.next(q);
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    fn contents(q: &Quicklist) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        q.for_each(|e| v.push(e.to_vec()));
        v
    }

    /// Node invariants: counts add up, no empty node, packed nodes within
    /// limits unless alone, compression only strictly inside the depth.
    fn check(q: &Quicklist) {
        let total: usize = q.nodes.iter().map(|n| n.count).sum();
        assert_eq!(total, q.count);
        let len = q.nodes.len();
        for (i, n) in q.nodes.iter().enumerate() {
            assert!(n.count > 0);
            if let Data::Packed(lp) = &n.data {
                assert_eq!(lp.len(), n.count);
                assert_eq!(lp.bytes_len(), n.sz);
            }
            if n.is_compressed() {
                assert!(q.compress > 0 && i >= q.compress && i + q.compress < len, "node {i} of {len} compressed");
            }
        }
        if q.compress > 0 {
            for i in 0..q.compress.min(len) {
                assert!(!q.nodes[i].is_compressed() && !q.nodes[len - 1 - i].is_compressed());
            }
        }
    }

    fn value(s: &mut u64) -> Vec<u8> {
        match rng(s) % 4 {
            0 => (rng(s) % 1000).to_string().into_bytes(),
            1 => vec![b'a' + (rng(s) % 3) as u8; 1 + (rng(s) % 40) as usize],
            2 => format!("v{}", rng(s) % 50).into_bytes(),
            _ => vec![b'x'; (rng(s) % 600) as usize],
        }
    }

    /// Random operations against a Vec model, over fills, depths and a small
    /// plain-node threshold (a test-only override would race other tests, so
    /// plain nodes are exercised through the threshold in one test below).
    #[test]
    fn matches_a_vec_model() {
        for (round, &(fill, depth)) in [(-2, 0), (-1, 1), (4, 2), (1, 1), (0, 0), (7, 3), (-5, 1), (2, 0)].iter().enumerate() {
            run_model(fill, depth, round as u64);
        }
    }

    /// With a 300-byte plain threshold, the model's long values get plain nodes
    /// (other tests running meanwhile still hold: the model does not depend on it).
    #[test]
    fn plain_nodes_match_the_model() {
        set_packed_threshold(300);
        for (round, &(fill, depth)) in [(-2, 0), (3, 1), (-1, 2)].iter().enumerate() {
            run_model(fill, depth, 100 + round as u64);
        }
        set_packed_threshold(0);
    }

    fn run_model(fill: i32, depth: i32, seed: u64) {
        {
            let mut s = 0x9E37_79B9_7F4A_7C15u64 ^ seed;
            let mut q = Quicklist::new(fill, depth);
            let mut m: Vec<Vec<u8>> = Vec::new();
            for step in 0..4000 {
                let op = rng(&mut s) % 11;
                match op {
                    0 | 1 => {
                        let v = value(&mut s);
                        q.push(&v, true);
                        m.insert(0, v);
                    }
                    2 | 3 => {
                        let v = value(&mut s);
                        q.push(&v, false);
                        m.push(v);
                    }
                    4 => {
                        let head = rng(&mut s) % 2 == 0;
                        let got = q.pop(head).map(|e| e.into_vec());
                        let want = if m.is_empty() { None } else if head { Some(m.remove(0)) } else { m.pop() };
                        assert_eq!(got, want);
                    }
                    5 if !m.is_empty() => {
                        let i = (rng(&mut s) % m.len() as u64) as i64;
                        let i = if rng(&mut s) % 2 == 0 { i } else { i - m.len() as i64 };
                        let v = value(&mut s);
                        assert!(q.replace_at(i, &v));
                        let at = if i < 0 { m.len() as i64 + i } else { i } as usize;
                        m[at] = v;
                    }
                    6 if !m.is_empty() => {
                        let pivot = m[(rng(&mut s) % m.len() as u64) as usize].clone();
                        let v = value(&mut s);
                        let after = rng(&mut s) % 2 == 0;
                        assert!(q.insert_by_pivot(&pivot, &v, after));
                        let at = m.iter().position(|x| *x == pivot).unwrap();
                        m.insert(if after { at + 1 } else { at }, v);
                    }
                    7 if !m.is_empty() && step % 5 == 0 => {
                        let n = m.len() as i64;
                        let start = (rng(&mut s) % (2 * n as u64)) as i64 - n;
                        let count = (rng(&mut s) % 30) as usize;
                        q.del_range(start, count);
                        let st = if start < 0 { n + start } else { start } as usize;
                        let end = (st + count).min(m.len());
                        m.drain(st..end);
                    }
                    8 if !m.is_empty() => {
                        let v = m[(rng(&mut s) % m.len() as u64) as usize].clone();
                        let limit = (rng(&mut s) % 3) as usize;
                        let tail = rng(&mut s) % 2 == 0;
                        let got = q.remove(&v, limit, tail);
                        let mut idx: Vec<usize> = m.iter().enumerate().filter(|(_, x)| **x == v).map(|(i, _)| i).collect();
                        if tail {
                            idx.reverse();
                        }
                        if limit != 0 {
                            idx.truncate(limit);
                        }
                        idx.sort_unstable();
                        for i in idx.iter().rev() {
                            m.remove(*i);
                        }
                        assert_eq!(got, idx.len());
                    }
                    9 if !m.is_empty() => {
                        let i = (rng(&mut s) % m.len() as u64) as usize;
                        assert_eq!(q.get(i as i64).as_ref(), Some(&m[i]));
                        assert_eq!(q.get(i as i64 - m.len() as i64).as_ref(), Some(&m[i]));
                        let reverse = rng(&mut s) % 2 == 0;
                        let mut seen = Vec::new();
                        q.walk(i, reverse, |e| {
                            seen.push(e.to_vec());
                            seen.len() < 7
                        });
                        let want: Vec<Vec<u8>> =
                            if reverse { m[..=i].iter().rev().take(7).cloned().collect() } else { m[i..].iter().take(7).cloned().collect() };
                        assert_eq!(seen, want);
                    }
                    _ => {}
                }
                assert_eq!(q.len(), m.len());
                if step % 97 == 0 {
                    check(&q);
                    assert_eq!(contents(&q), m, "fill {fill} depth {depth} step {step}");
                }
            }
            check(&q);
            assert_eq!(contents(&q), m);
            if depth > 0 && q.node_count() > 2 * depth as usize + 2 {
                assert!(q.compressed_nodes() > 0, "fill {fill} depth {depth}: nothing compressed");
            }
        }
    }

    #[test]
    fn limits_follow_quicklist_c() {
        assert_eq!(node_limit(-1), (4096, usize::MAX));
        assert_eq!(node_limit(-2), (8192, usize::MAX));
        assert_eq!(node_limit(-9), (65536, usize::MAX));
        assert_eq!(node_limit(0), (usize::MAX, 1));
        assert_eq!(node_limit(128), (usize::MAX, 128));
        assert!(exceeds_limit(-2, 8193, 1) && !exceeds_limit(-2, 8192, 100_000));
        assert!(exceeds_limit(5, 8193, 1) && exceeds_limit(5, 100, 6) && !exceeds_limit(5, 100, 5));
    }

    /// Pushing 100 small elements with fill 10 gives nodes of 10, as Redis does;
    /// an insert into a full middle node splits it and merges around.
    #[test]
    fn node_shapes() {
        let mut q = Quicklist::new(10, 0);
        for i in 0..100 {
            q.push(i.to_string().as_bytes(), false);
        }
        assert_eq!(q.node_count(), 10);
        assert!(q.nodes.iter().all(|n| n.count == 10));
        // Insert after element 4 of the first node: split [0..=4] [5..9]+new, merges where room.
        assert!(q.insert_by_pivot(b"4", b"new", true));
        let shape: Vec<usize> = q.nodes.iter().map(|n| n.count).collect();
        assert_eq!(shape, vec![5, 6, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
        check(&q);
    }
}
