//! The sorted set's skiplist (Redis's zskiplist in t_zset.c): nodes ordered by
//! (score, element), each level's link carrying its span (how many nodes it
//! skips), so ranks are found in O(log n). Levels are drawn as Redis draws
//! them (P = 1/4, at most 32). Nodes live in an arena and link by index; the
//! header is node 0. Also the score and lex ranges both zset encodings use.
use crate::sbytes::SBytes;
use std::cmp::Ordering;

/// A node's handle, stable until the node is deleted.
pub type NodeId = u32;
const NIL: NodeId = u32::MAX;
const HEAD: NodeId = 0;
pub const MAX_LEVEL: usize = 32;

#[derive(Clone, Copy)]
struct Level {
    forward: NodeId,
    span: u32,
}

const NO_LEVEL: Level = Level { forward: NIL, span: 0 };

#[derive(Clone)]
struct Node {
    ele: SBytes,
    score: f64,
    backward: NodeId,
    /// Level 0 inline (three nodes in four have no other), the rest boxed.
    level0: Level,
    upper: Box<[Level]>,
}

impl Node {
    fn new(ele: SBytes, score: f64, levels: usize) -> Node {
        Node { ele, score, backward: NIL, level0: NO_LEVEL, upper: vec![NO_LEVEL; levels - 1].into_boxed_slice() }
    }
    #[inline]
    fn lv(&self, i: usize) -> &Level {
        if i == 0 {
            &self.level0
        } else {
            &self.upper[i - 1]
        }
    }
    #[inline]
    fn lv_mut(&mut self, i: usize) -> &mut Level {
        if i == 0 {
            &mut self.level0
        } else {
            &mut self.upper[i - 1]
        }
    }
    /// Whether (score, ele) sorts before this node's (score, ele).
    #[inline]
    fn before(&self, score: f64, ele: &[u8]) -> bool {
        self.score < score || (self.score == score && self.ele.as_slice() < ele)
    }
}

/// A score interval (Redis's zrangespec): `(` makes an end exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }
    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
    #[inline]
    pub fn contains(&self, v: f64) -> bool {
        self.gte_min(v) && self.lte_max(v)
    }
    /// True when no score can be in the range (min > max, or equal with an exclusive end).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, `[x` or `(x`.
#[derive(Clone, Debug, PartialEq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl LexBound {
    /// Redis's zslParseLexRangeItem.
    pub fn parse(s: &[u8]) -> Option<LexBound> {
        match s.first() {
            Some(b'+') if s.len() == 1 => Some(LexBound::PosInf),
            Some(b'-') if s.len() == 1 => Some(LexBound::NegInf),
            Some(b'[') => Some(LexBound::Incl(s[1..].to_vec())),
            Some(b'(') => Some(LexBound::Excl(s[1..].to_vec())),
            _ => None,
        }
    }
    fn exclusive(&self) -> bool {
        matches!(self, LexBound::Excl(_))
    }
    /// The bound compared with a string (sdscmplex with the shared min/max strings).
    fn cmp_str(&self, s: &[u8]) -> Ordering {
        match self {
            LexBound::NegInf => Ordering::Less,
            LexBound::PosInf => Ordering::Greater,
            LexBound::Incl(b) | LexBound::Excl(b) => b.as_slice().cmp(s),
        }
    }
}

/// A lex interval (Redis's zlexrangespec).
#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// Parses `min max` as ZRANGEBYLEX takes them; None on a malformed item.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange { min: LexBound::parse(min)?, max: LexBound::parse(max)? })
    }
    pub fn gte_min(&self, s: &[u8]) -> bool {
        match self.min.cmp_str(s) {
            Ordering::Less => true,
            Ordering::Equal => !self.min.exclusive(),
            Ordering::Greater => false,
        }
    }
    pub fn lte_max(&self, s: &[u8]) -> bool {
        match self.max.cmp_str(s) {
            Ordering::Greater => true,
            Ordering::Equal => !self.max.exclusive(),
            Ordering::Less => false,
        }
    }
    pub fn contains(&self, s: &[u8]) -> bool {
        self.gte_min(s) && self.lte_max(s)
    }
    /// True when no string can be in the range (sdscmplex(min, max) > 0, or equal with an exclusive end).
    pub fn is_empty(&self) -> bool {
        use LexBound::*;
        let c = match (&self.min, &self.max) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (PosInf, _) | (_, NegInf) => Ordering::Greater,
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => a.cmp(b),
        };
        c == Ordering::Greater || (c == Ordering::Equal && (self.min.exclusive() || self.max.exclusive()))
    }
}

#[derive(Clone)]
pub struct Skiplist {
    nodes: Vec<Node>,
    free: Vec<NodeId>,
    tail: NodeId,
    len: usize,
    level: usize,
    rng: u32,
}

impl Default for Skiplist {
    fn default() -> Self {
        Skiplist::new()
    }
}

impl Skiplist {
    pub fn new() -> Skiplist {
        Skiplist {
            nodes: vec![Node::new(SBytes::new(b""), 0.0, MAX_LEVEL)],
            free: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
            rng: 0x2545_F491,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Heap bytes the skiplist holds (arena, level boxes, long elements).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.upper.len() * 8 + n.ele.heap_size()).sum::<usize>()
    }

    /// The node arena's and free list's allocations in bytes (MEMORY USAGE).
    pub fn arena_bytes(&self) -> [usize; 2] {
        [self.nodes.capacity() * std::mem::size_of::<Node>(), self.free.capacity() * std::mem::size_of::<NodeId>()]
    }

    /// Each node's own allocations (its upper levels, its element's bytes
    /// beyond the inline ones; 0: none), header and freed slots included.
    pub fn node_allocs(&self) -> impl ExactSizeIterator<Item = [usize; 2]> + '_ {
        self.nodes.iter().map(|n| [std::mem::size_of_val(&*n.upper), n.ele.heap_size()])
    }

    #[inline]
    pub fn ele(&self, id: NodeId) -> &[u8] {
        self.nodes[id as usize].ele.as_slice()
    }
    #[inline]
    pub fn score(&self, id: NodeId) -> f64 {
        self.nodes[id as usize].score
    }
    #[inline]
    fn fwd(&self, id: NodeId, i: usize) -> NodeId {
        self.nodes[id as usize].lv(i).forward
    }
    #[inline]
    fn span(&self, id: NodeId, i: usize) -> u32 {
        self.nodes[id as usize].lv(i).span
    }
    #[inline]
    fn some(id: NodeId) -> Option<NodeId> {
        (id != NIL).then_some(id)
    }
    /// The lowest node.
    pub fn first(&self) -> Option<NodeId> {
        Skiplist::some(self.fwd(HEAD, 0))
    }
    /// The highest node.
    pub fn last(&self) -> Option<NodeId> {
        Skiplist::some(self.tail)
    }
    pub fn next(&self, id: NodeId) -> Option<NodeId> {
        Skiplist::some(self.fwd(id, 0))
    }
    pub fn prev(&self, id: NodeId) -> Option<NodeId> {
        Skiplist::some(self.nodes[id as usize].backward)
    }
    /// Every (element, score), ascending.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut cur = self.first();
        std::iter::from_fn(move || {
            let id = cur?;
            cur = self.next(id);
            Some((self.ele(id), self.score(id)))
        })
    }

    /// Redis's zslRandomLevel: each further level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            // xorshift32
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 17;
            self.rng ^= self.rng << 5;
            if self.rng >= u32::MAX / 4 || level >= MAX_LEVEL {
                return level;
            }
            level += 1;
        }
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as NodeId
            }
        }
    }

    /// Releases a deleted node's slot; returns its element.
    fn release(&mut self, id: NodeId) -> SBytes {
        let n = std::mem::replace(&mut self.nodes[id as usize], Node::new(SBytes::new(b""), 0.0, 1));
        if self.len == 0 {
            // Empty: drop the arena's holes altogether.
            self.nodes.truncate(1);
            self.nodes.shrink_to(16);
            self.free = Vec::new();
        } else {
            self.free.push(id);
        }
        n.ele
    }

    /// The last node before (score, ele) at each level, and the rank of each.
    fn path(&self, score: f64, ele: &[u8]) -> ([NodeId; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !self.nodes[f as usize].before(score, ele) {
                    break;
                }
                rank[i] += self.span(x, i);
                x = f;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Inserts an element known to be absent; returns its node.
    pub fn insert(&mut self, score: f64, ele: SBytes) -> NodeId {
        debug_assert!(!score.is_nan());
        let (mut update, mut rank) = self.path(score, ele.as_slice());
        let lvl = self.random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].lv_mut(i).span = self.len as u32;
            }
            self.level = lvl;
        }
        let x = self.alloc(Node::new(ele, score, lvl));
        for i in 0..lvl {
            let u = update[i] as usize;
            let ul = *self.nodes[u].lv(i);
            let moved = rank[0] - rank[i];
            *self.nodes[x as usize].lv_mut(i) = Level { forward: ul.forward, span: ul.span - moved };
            *self.nodes[u].lv_mut(i) = Level { forward: x, span: moved + 1 };
        }
        for i in lvl..self.level {
            self.nodes[update[i] as usize].lv_mut(i).span += 1;
        }
        self.nodes[x as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        let f = self.fwd(x, 0);
        if f != NIL {
            self.nodes[f as usize].backward = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
        x
    }

    /// Unlinks node `x` given the path to it (zslDeleteNode); its slot is not released.
    fn unlink(&mut self, x: NodeId, update: &[NodeId; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let xl = if i < self.nodes[x as usize].upper.len() + 1 { *self.nodes[x as usize].lv(i) } else { NO_LEVEL };
            let ul = self.nodes[u as usize].lv_mut(i);
            if ul.forward == x {
                ul.span = ul.span + xl.span - 1;
                ul.forward = xl.forward;
            } else {
                ul.span -= 1;
            }
        }
        let f = self.fwd(x, 0);
        let back = self.nodes[x as usize].backward;
        if f != NIL {
            self.nodes[f as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.fwd(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Deletes (score, ele); returns its element if it was there.
    pub fn delete(&mut self, score: f64, ele: &[u8]) -> Option<SBytes> {
        let (update, _) = self.path(score, ele);
        let x = self.fwd(update[0], 0);
        if x != NIL && self.score(x) == score && self.ele(x) == ele {
            self.unlink(x, &update);
            Some(self.release(x))
        } else {
            None
        }
    }

    /// Moves an existing element from `cur` to `new` score (zslUpdateScore); returns its node.
    pub fn update_score(&mut self, cur: f64, ele: &[u8], new: f64) -> NodeId {
        let (update, _) = self.path(cur, ele);
        let x = self.fwd(update[0], 0);
        debug_assert!(x != NIL && self.score(x) == cur && self.ele(x) == ele);
        let back = self.nodes[x as usize].backward;
        let f = self.fwd(x, 0);
        if (back == NIL || self.score(back) < new) && (f == NIL || self.score(f) > new) {
            self.nodes[x as usize].score = new;
            return x;
        }
        self.unlink(x, &update);
        let e = self.release(x);
        self.insert(new, e)
    }

    /// The 1-based rank of (score, ele), or None if absent (zslGetRank).
    pub fn rank(&self, score: f64, ele: &[u8]) -> Option<usize> {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let n = &self.nodes[f as usize];
                if n.score < score || (n.score == score && n.ele.as_slice() <= ele) {
                    rank += self.span(x, i) as usize;
                    x = f;
                } else {
                    break;
                }
            }
            if x != HEAD && self.ele(x) == ele {
                return Some(rank);
            }
        }
        None
    }

    /// The node at 1-based `rank` (zslGetElementByRank).
    pub fn by_rank(&self, rank: usize) -> Option<NodeId> {
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.span(x, i) as usize > rank {
                    break;
                }
                traversed += self.span(x, i) as usize;
                x = f;
            }
            if traversed == rank {
                return Skiplist::some(x).filter(|&x| x != HEAD);
            }
        }
        None
    }

    /// Whether some node may be in the range (zslIsInRange).
    fn in_range(&self, r: &ScoreRange) -> bool {
        if r.is_empty() || self.tail == NIL || !r.gte_min(self.score(self.tail)) {
            return false;
        }
        r.lte_max(self.score(self.fwd(HEAD, 0)))
    }

    /// The first node in the score range.
    pub fn first_in_range(&self, r: &ScoreRange) -> Option<NodeId> {
        if !self.in_range(r) {
            return None;
        }
        let x = self.descend(|n| !r.gte_min(n.score));
        let x = self.fwd(x, 0);
        Skiplist::some(x).filter(|&x| r.lte_max(self.score(x)))
    }

    /// The last node in the score range.
    pub fn last_in_range(&self, r: &ScoreRange) -> Option<NodeId> {
        if !self.in_range(r) {
            return None;
        }
        let x = self.descend(|n| r.lte_max(n.score));
        Skiplist::some(x).filter(|&x| x != HEAD && r.gte_min(self.score(x)))
    }

    fn in_lex_range(&self, r: &LexRange) -> bool {
        if r.is_empty() || self.tail == NIL || !r.gte_min(self.ele(self.tail)) {
            return false;
        }
        r.lte_max(self.ele(self.fwd(HEAD, 0)))
    }

    /// The first node in the lex range (meaningful when all scores are equal).
    pub fn first_in_lex_range(&self, r: &LexRange) -> Option<NodeId> {
        if !self.in_lex_range(r) {
            return None;
        }
        let x = self.descend(|n| !r.gte_min(n.ele.as_slice()));
        let x = self.fwd(x, 0);
        Skiplist::some(x).filter(|&x| r.lte_max(self.ele(x)))
    }

    pub fn last_in_lex_range(&self, r: &LexRange) -> Option<NodeId> {
        if !self.in_lex_range(r) {
            return None;
        }
        let x = self.descend(|n| r.lte_max(n.ele.as_slice()));
        Skiplist::some(x).filter(|&x| x != HEAD && r.gte_min(self.ele(x)))
    }

    /// The last node (or HEAD) for which `go` holds, walking down from the top level.
    fn descend(&self, go: impl Fn(&Node) -> bool) -> NodeId {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !go(&self.nodes[f as usize]) {
                    break;
                }
                x = f;
            }
        }
        x
    }

    /// The path to the first node for which `before` is false.
    fn path_while(&self, before: impl Fn(&Node) -> bool) -> [NodeId; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !before(&self.nodes[f as usize]) {
                    break;
                }
                x = f;
            }
            update[i] = x;
        }
        update
    }

    /// Deletes the nodes from the path's end while `keep_going` holds; `removed` gets each element.
    fn delete_from(
        &mut self,
        update: [NodeId; MAX_LEVEL],
        mut keep_going: impl FnMut(&Node) -> bool,
        removed: &mut dyn FnMut(SBytes),
    ) -> usize {
        let mut n = 0;
        let mut x = self.fwd(update[0], 0);
        while x != NIL && keep_going(&self.nodes[x as usize]) {
            let next = self.fwd(x, 0);
            self.unlink(x, &update);
            removed(self.release(x));
            n += 1;
            x = next;
        }
        n
    }

    /// Deletes every node in the score range (zslDeleteRangeByScore).
    pub fn delete_range_by_score(&mut self, r: &ScoreRange, removed: &mut dyn FnMut(SBytes)) -> usize {
        let update = self.path_while(|n| !r.gte_min(n.score));
        self.delete_from(update, |n| r.lte_max(n.score), removed)
    }

    /// Deletes every node in the lex range (zslDeleteRangeByLex).
    pub fn delete_range_by_lex(&mut self, r: &LexRange, removed: &mut dyn FnMut(SBytes)) -> usize {
        let update = self.path_while(|n| !r.gte_min(n.ele.as_slice()));
        self.delete_from(update, |n| r.lte_max(n.ele.as_slice()), removed)
    }

    /// Deletes the nodes of 1-based ranks start..=end (zslDeleteRangeByRank).
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize, removed: &mut dyn FnMut(SBytes)) -> usize {
        let mut update = [HEAD; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.span(x, i) as usize >= start {
                    break;
                }
                traversed += self.span(x, i) as usize;
                x = f;
            }
            update[i] = x;
        }
        let mut rank = traversed;
        self.delete_from(
            update,
            |_| {
                rank += 1;
                rank <= end
            },
            removed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::Rng;

    type Model = Vec<(f64, Vec<u8>)>;

    fn model_sort(m: &mut Model) {
        m.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
    }

    fn check(z: &Skiplist, m: &Model) {
        assert_eq!(z.len(), m.len());
        let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(e, s)| (s, e.to_vec())).collect();
        assert_eq!(&got, m);
        // backward links
        let mut back = Vec::new();
        let mut c = z.last();
        while let Some(id) = c {
            back.push((z.score(id), z.ele(id).to_vec()));
            c = z.prev(id);
        }
        back.reverse();
        assert_eq!(&back, m);
        for (i, (s, e)) in m.iter().enumerate() {
            assert_eq!(z.rank(*s, e), Some(i + 1));
            let id = z.by_rank(i + 1).unwrap();
            assert_eq!((z.score(id), z.ele(id)), (*s, e.as_slice()));
        }
        assert_eq!(z.by_rank(0), None);
        assert_eq!(z.by_rank(m.len() + 1), None);
    }

    fn random_range(rng: &mut Rng) -> ScoreRange {
        let a = rng.below(22) as f64 - 1.0;
        let b = rng.below(22) as f64 - 1.0;
        ScoreRange { min: a, max: b, minex: rng.below(2) == 0, maxex: rng.below(2) == 0 }
    }

    fn random_lex(rng: &mut Rng) -> LexRange {
        let mut b = || match rng.below(6) {
            0 => LexBound::NegInf,
            1 => LexBound::PosInf,
            2 | 3 => LexBound::Incl(vec![b'a' + rng.below(12) as u8]),
            _ => LexBound::Excl(vec![b'a' + rng.below(12) as u8]),
        };
        LexRange { min: b(), max: b() }
    }

    #[test]
    fn matches_a_sorted_vec() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for round in 0..40 {
            let mut z = Skiplist::new();
            let mut m: Model = Vec::new();
            let lex = round % 4 == 0; // equal scores: lex ranges apply
            for step in 0..400 {
                let ele = vec![b'a' + rng.below(12) as u8, b'a' + rng.below(12) as u8];
                let score = if lex { 0.0 } else { rng.below(20) as f64 };
                let pos = m.iter().position(|(_, e)| *e == ele);
                match rng.below(10) {
                    0..=4 => {
                        if let Some(p) = pos {
                            let old = m[p].0;
                            z.update_score(old, &ele, score);
                            m[p].0 = score;
                        } else {
                            z.insert(score, SBytes::new(&ele));
                            m.push((score, ele.clone()));
                        }
                    }
                    5 | 6 => {
                        let s = pos.map(|p| m[p].0).unwrap_or(score);
                        assert_eq!(z.delete(s, &ele).is_some(), pos.is_some());
                        if let Some(p) = pos {
                            m.remove(p);
                        }
                    }
                    7 => {
                        model_sort(&mut m);
                        let r = random_range(&mut rng);
                        let mut gone = Vec::new();
                        let n = z.delete_range_by_score(&r, &mut |e| gone.push(e.as_slice().to_vec()));
                        let before = m.len();
                        m.retain(|(s, _)| !r.contains(*s));
                        assert_eq!(n, before - m.len());
                        assert_eq!(gone.len(), n);
                    }
                    8 if lex => {
                        model_sort(&mut m);
                        let r = random_lex(&mut rng);
                        let n = z.delete_range_by_lex(&r, &mut |_| {});
                        let before = m.len();
                        if !r.is_empty() {
                            m.retain(|(_, e)| !r.contains(e));
                        }
                        assert_eq!(n, before - m.len());
                    }
                    _ => {
                        model_sort(&mut m);
                        if !m.is_empty() && step % 3 == 0 {
                            let a = rng.below(m.len() as u64) as usize + 1;
                            let b = (a + rng.below(4) as usize).min(m.len());
                            assert_eq!(z.delete_range_by_rank(a, b, &mut |_| {}), b - a + 1);
                            m.drain(a - 1..b);
                        }
                    }
                }
                model_sort(&mut m);
                if step % 25 == 0 {
                    check(&z, &m);
                }
                // Range queries against the model.
                let r = random_range(&mut rng);
                let inr: Vec<&(f64, Vec<u8>)> = m.iter().filter(|(s, _)| !r.is_empty() && r.contains(*s)).collect();
                let f = z.first_in_range(&r).map(|id| (z.score(id), z.ele(id).to_vec()));
                let l = z.last_in_range(&r).map(|id| (z.score(id), z.ele(id).to_vec()));
                assert_eq!(f.as_ref(), inr.first().copied());
                assert_eq!(l.as_ref(), inr.last().copied());
                if lex {
                    let r = random_lex(&mut rng);
                    let inr: Vec<&(f64, Vec<u8>)> = m.iter().filter(|(_, e)| !r.is_empty() && r.contains(e)).collect();
                    let f = z.first_in_lex_range(&r).map(|id| (z.score(id), z.ele(id).to_vec()));
                    let l = z.last_in_lex_range(&r).map(|id| (z.score(id), z.ele(id).to_vec()));
                    assert_eq!(f.as_ref(), inr.first().copied());
                    assert_eq!(l.as_ref(), inr.last().copied());
                }
            }
            check(&z, &m);
        }
    }

    #[test]
    fn levels_follow_p_one_quarter() {
        let mut z = Skiplist::new();
        let mut counts = [0usize; MAX_LEVEL + 1];
        for _ in 0..100_000 {
            counts[z.random_level()] += 1;
        }
        // About 3/4 at level 1, 3/16 at level 2.
        assert!((73_000..77_000).contains(&counts[1]), "{:?}", &counts[..6]);
        assert!((17_000..20_500).contains(&counts[2]), "{:?}", &counts[..6]);
    }

    #[test]
    fn lex_bounds() {
        assert_eq!(LexBound::parse(b"+"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"[a"), Some(LexBound::Incl(b"a".to_vec())));
        assert_eq!(LexBound::parse(b"a"), None);
        assert_eq!(LexBound::parse(b"++"), None);
        assert_eq!(LexBound::parse(b""), None);
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"-", b"-").unwrap().is_empty());
    }
}
