//! The sorted set type (Redis's t_zset.c): two encodings, a listpack of
//! (member, score) pairs ordered by score then member for small sets, and a
//! skiplist (ranks, ranges) with a dict (member -> node) past
//! `zset-max-listpack-entries` / `zset-max-listpack-value`. The commands are
//! in t_zset/ (cmds.rs, range.rs, setops.rs, pop.rs).
//!
//! # The API other families use (geo, SORT, digest, RDB)
//! - `ZSet::new_for(size_hint, value_len_hint)`: the value for a new key with
//!   the encoding Redis picks (zsetTypeCreate); `ZSet::from_pairs(pairs)`:
//!   a finished result (GEOSEARCHSTORE, ZUNIONSTORE...) as zsetConvertToListpackIfNeeded leaves it.
//! - `insert(member, score) -> Added::{New, Updated, Same}` (ZADD without options;
//!   converts to skiplist at the thresholds), `add(score, member, flags)` for ZADD's options,
//!   `remove(member) -> bool`.
//! - `len()`, `score(member) -> Option<f64>`, `rank(member, reverse)`.
//! - `for_each(|member, score|)` ascending; `for_each_in_score_range(min, max, |member, score|)`
//!   (inclusive bounds, ascending), `range_by_score(&ScoreRange, ...)` for open bounds.
//! - `encoding()`, `digest()`, `free_effort()`.
use crate::dict::Dict;
use crate::digest::{mix_digest, xor_digest, Digest};
use crate::listpack::{Listpack, LpEntry};
use crate::sbytes::SBytes;
use crate::skiplist::{LexRange, NodeId, ScoreRange, Skiplist};
use crate::util::{double_as_i64, dtoa, fmt_double, fmt_i64, strtod};

mod cmds;
mod pop;
mod range;
mod setops;

pub use cmds::COMMANDS;

/// zset-max-listpack-entries (the engine settings table).
pub fn max_entries() -> usize {
    crate::config::get().zset_max_listpack_entries.max(0) as usize
}
/// zset-max-listpack-value.
pub fn max_value() -> usize {
    crate::config::get().zset_max_listpack_value.max(0) as usize
}

/// Redis's listpack safety limit (LISTPACK_MAX_SAFETY_SIZE): a listpack never grows past 1GB.
const LISTPACK_MAX_SAFE: usize = 1 << 30;

/// The skiplist encoding: the ordered nodes, and each member's node.
pub struct SkipSet {
    zsl: Skiplist,
    dict: Dict<NodeId>,
}

impl Clone for SkipSet {
    fn clone(&self) -> SkipSet {
        let mut dict = Dict::new();
        for (_, id) in self.dict.iter() {
            dict.insert_new(SBytes::new(self.zsl.ele(*id)), *id);
        }
        SkipSet { zsl: self.zsl.clone(), dict }
    }
}

impl SkipSet {
    /// The skiplist and the member index (MEMORY USAGE walks their allocations).
    pub fn parts(&self) -> (&Skiplist, &Dict<NodeId>) {
        (&self.zsl, &self.dict)
    }
    fn new() -> SkipSet {
        SkipSet { zsl: Skiplist::new(), dict: Dict::new() }
    }
    fn score(&self, ele: &[u8]) -> Option<f64> {
        self.dict.get(ele).map(|&id| self.zsl.score(id))
    }
    fn insert_new(&mut self, score: f64, ele: &[u8]) {
        let id = self.zsl.insert(score, SBytes::new(ele));
        self.dict.insert_new(SBytes::new(ele), id);
    }
    fn update(&mut self, cur: f64, ele: &[u8], new: f64) {
        let id = self.zsl.update_score(cur, ele, new);
        if let Some(v) = self.dict.get_mut(ele) {
            *v = id;
        }
    }
    fn remove(&mut self, ele: &[u8]) -> bool {
        match self.dict.remove(ele) {
            Some((_, id)) => {
                let score = self.zsl.score(id);
                self.zsl.delete(score, ele);
                true
            }
            None => false,
        }
    }
}

#[derive(Clone)]
pub enum ZSet {
    Listpack(Listpack),
    Skiplist(Box<SkipSet>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Listpack::new())
    }
}

/// ZADD's options.
#[derive(Default, Clone, Copy, Debug)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What an add did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// A new member.
    New,
    /// An existing member's score changed.
    Updated,
    /// An existing member kept its score (same score, or a zero increment).
    Same,
    /// Nothing done because of NX, XX, GT or LT.
    Nop,
}

/// The score an add would produce is not a number.
#[derive(Debug, PartialEq, Eq)]
pub struct NanScore;

/// A member and its score's text, as ZSCAN returns them.
pub type ScanPair = (Vec<u8>, Vec<u8>);

/// A position in either encoding (a listpack member's offset, or a node).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pos {
    Lp(usize),
    Sl(NodeId),
}

/// Sorts (member, score) pairs as a sorted set orders them: by score, then member.
pub fn sort_pairs(pairs: &mut [(Vec<u8>, f64)]) {
    pairs.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
}

/// The text a score is stored as in a listpack (zzlInsertAt: an integer when
/// double2ll takes it, so -0 is stored as 0; else d2string).
fn score_text(score: f64, buf: &mut [u8; 32]) -> usize {
    match double_as_i64(score) {
        Some(l) => fmt_i64(l, (&mut buf[..20]).try_into().expect("20 bytes")),
        None => fmt_double(score, buf),
    }
}

/// zzlStrtod: a listpack score stored as a string.
fn parse_stored(s: &[u8]) -> f64 {
    strtod::strtod(&s[..s.len().min(127)]).value
}

fn lp_score(lp: &Listpack, sp: usize) -> f64 {
    match lp.get(sp) {
        LpEntry::Int(i) => i as f64,
        LpEntry::Str(s) => parse_stored(s),
    }
}

/// The member at `ep` compared with `ele` (zzlCompareElements).
fn lp_cmp(lp: &Listpack, ep: usize, ele: &[u8]) -> std::cmp::Ordering {
    lp.get(ep).with_bytes(|b| b.cmp(ele))
}

fn lp_find(lp: &Listpack, ele: &[u8]) -> Option<(usize, f64)> {
    let p = lp.find(lp.first()?, ele, 1)?;
    Some((p, lp_score(lp, lp.next(p)?)))
}

/// zzlInsert: before the first pair that sorts after (score, ele).
fn lp_insert(lp: &mut Listpack, ele: &[u8], score: f64) {
    let mut text = [0u8; 32];
    let n = score_text(score, &mut text);
    let mut p = lp.first();
    while let Some(ep) = p {
        let sp = lp.next(ep).expect("zset listpack pair");
        let s = lp_score(lp, sp);
        if s > score || (s == score && lp_cmp(lp, ep, ele) == std::cmp::Ordering::Greater) {
            let at = lp.insert(ep, ele, false);
            lp.insert(at, &text[..n], true);
            return;
        }
        p = lp.next(sp);
    }
    lp.push_back(ele);
    lp.push_back(&text[..n]);
}

fn lp_delete(lp: &mut Listpack, ep: usize) {
    if let Some(sp) = lp.delete(ep) {
        lp.delete(sp);
    }
}

impl ZSet {
    /// The value for a new key about to receive `size_hint` members, the
    /// first `value_len_hint` bytes long (zsetTypeCreate).
    pub fn new_for(size_hint: usize, value_len_hint: usize) -> ZSet {
        if size_hint <= max_entries() && value_len_hint <= max_value() {
            ZSet::Listpack(Listpack::new())
        } else {
            ZSet::Skiplist(Box::new(SkipSet::new()))
        }
    }

    /// A finished result from (member, score) pairs with distinct members, in
    /// any order: listpack when it is within both limits (zsetConvertToListpackIfNeeded).
    pub fn from_pairs(mut pairs: Vec<(Vec<u8>, f64)>) -> ZSet {
        let maxlen = pairs.iter().map(|p| p.0.len()).max().unwrap_or(0);
        let total: usize = pairs.iter().map(|p| p.0.len()).sum();
        sort_pairs(&mut pairs);
        if pairs.len() <= max_entries() && maxlen <= max_value() && total < LISTPACK_MAX_SAFE {
            let mut lp = Listpack::new();
            let mut text = [0u8; 32];
            for (m, s) in &pairs {
                lp.push_back(m);
                let n = score_text(*s, &mut text);
                lp.push_back(&text[..n]);
            }
            ZSet::Listpack(lp)
        } else {
            let mut s = SkipSet::new();
            for (m, sc) in pairs.iter().rev() {
                s.insert_new(*sc, m);
            }
            ZSet::Skiplist(Box::new(s))
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Skiplist(s) => s.zsl.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The listpack's bytes (RDB), when listpack-encoded.
    pub fn listpack(&self) -> Option<&Listpack> {
        match self {
            ZSet::Listpack(lp) => Some(lp),
            ZSet::Skiplist(_) => None,
        }
    }

    /// Converts to the skiplist encoding (zsetConvertAndExpand).
    pub fn to_skiplist(&mut self) {
        let ZSet::Listpack(lp) = self else { return };
        let mut s = SkipSet::new();
        let mut p = lp.first();
        while let Some(ep) = p {
            let sp = lp.next(ep).expect("zset listpack pair");
            let score = lp_score(lp, sp);
            lp.get(ep).with_bytes(|b| s.insert_new(score, b));
            p = lp.next(sp);
        }
        *self = ZSet::Skiplist(Box::new(s));
    }

    /// Converts to the listpack encoding.
    pub fn to_listpack(&mut self) {
        let ZSet::Skiplist(s) = self else { return };
        let mut lp = Listpack::new();
        let mut text = [0u8; 32];
        for (m, score) in s.zsl.iter() {
            lp.push_back(m);
            let n = score_text(score, &mut text);
            lp.push_back(&text[..n]);
        }
        *self = ZSet::Listpack(lp);
    }

    /// zsetTypeMaybeConvert: about to add up to `size_hint` members.
    pub fn maybe_convert(&mut self, size_hint: usize) {
        if matches!(self, ZSet::Listpack(_)) && size_hint > max_entries() {
            self.to_skiplist();
        }
    }

    pub fn score(&self, ele: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => lp_find(lp, ele).map(|(_, s)| s),
            ZSet::Skiplist(s) => s.score(ele),
        }
    }

    pub fn contains(&self, ele: &[u8]) -> bool {
        self.score(ele).is_some()
    }

    /// zsetAdd: adds or updates `ele` under ZADD's `flags`; the result and the
    /// member's score after it. Err when the score is (or would become) NaN.
    pub fn add(&mut self, score: f64, ele: &[u8], flags: AddFlags) -> Result<(Added, f64), NanScore> {
        if score.is_nan() {
            return Err(NanScore);
        }
        let cur = self.score(ele);
        let Some(cur) = cur else {
            if flags.xx {
                return Ok((Added::Nop, score));
            }
            if let ZSet::Listpack(lp) = self {
                if lp.len() / 2 + 1 > max_entries()
                    || ele.len() > max_value()
                    || lp.bytes_len() + ele.len() > LISTPACK_MAX_SAFE
                {
                    self.to_skiplist();
                }
            }
            match self {
                ZSet::Listpack(lp) => lp_insert(lp, ele, score),
                ZSet::Skiplist(s) => s.insert_new(score, ele),
            }
            return Ok((Added::New, score));
        };
        if flags.nx {
            return Ok((Added::Nop, cur));
        }
        let mut score = score;
        if flags.incr {
            score += cur;
            if score.is_nan() {
                return Err(NanScore);
            }
        }
        if (flags.lt && score >= cur) || (flags.gt && score <= cur) {
            return Ok((Added::Nop, cur));
        }
        if score == cur {
            return Ok((Added::Same, score));
        }
        match self {
            ZSet::Listpack(lp) => {
                let (ep, _) = lp_find(lp, ele).expect("member present");
                lp_delete(lp, ep);
                lp_insert(lp, ele, score);
            }
            ZSet::Skiplist(s) => s.update(cur, ele, score),
        }
        Ok((Added::Updated, score))
    }

    /// Adds or updates a member (ZADD without options).
    pub fn insert(&mut self, ele: &[u8], score: f64) -> Added {
        self.add(score, ele, AddFlags::default()).map_or(Added::Nop, |(a, _)| a)
    }

    /// zsetDel: true if the member was there.
    pub fn remove(&mut self, ele: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match lp_find(lp, ele) {
                Some((ep, _)) => {
                    lp_delete(lp, ep);
                    true
                }
                None => false,
            },
            ZSet::Skiplist(s) => s.remove(ele),
        }
    }

    /// Removes the member at `p` (a position from `first_pos`/`last_pos`...).
    pub(crate) fn remove_at(&mut self, p: Pos) {
        match (self, p) {
            (ZSet::Listpack(lp), Pos::Lp(ep)) => lp_delete(lp, ep),
            (ZSet::Skiplist(s), Pos::Sl(id)) => {
                let (score, ele) = (s.zsl.score(id), SBytes::new(s.zsl.ele(id)));
                s.dict.remove(ele.as_slice());
                s.zsl.delete(score, ele.as_slice());
            }
            _ => {}
        }
    }

    /// zsetRank: the 0-based rank (from the top with `reverse`) and the score.
    pub fn rank(&self, ele: &[u8], reverse: bool) -> Option<(usize, f64)> {
        let len = self.len();
        let (rank1, score) = match self {
            ZSet::Listpack(lp) => {
                let mut rank = 1;
                let mut p = lp.first();
                loop {
                    let ep = p?;
                    let sp = lp.next(ep)?;
                    if lp.get(ep).eq_bytes(ele) {
                        break (rank, lp_score(lp, sp));
                    }
                    rank += 1;
                    p = lp.next(sp);
                }
            }
            ZSet::Skiplist(s) => {
                let score = s.score(ele)?;
                (s.zsl.rank(score, ele)?, score)
            }
        };
        Some((if reverse { len - rank1 } else { rank1 - 1 }, score))
    }

    /// Every member and score, ascending.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            ZSet::Listpack(lp) => {
                let mut p = lp.first();
                while let Some(ep) = p {
                    let sp = lp.next(ep).expect("zset listpack pair");
                    let score = lp_score(lp, sp);
                    lp.get(ep).with_bytes(|b| f(b, score));
                    p = lp.next(sp);
                }
            }
            ZSet::Skiplist(s) => {
                for (m, score) in s.zsl.iter() {
                    f(m, score)
                }
            }
        }
    }

    /// Every member with min <= score <= max, ascending (what geo searches use).
    pub fn for_each_in_score_range(&self, min: f64, max: f64, f: impl FnMut(&[u8], f64)) {
        let r = ScoreRange { min, max, minex: false, maxex: false };
        self.range_by_score(&r, 0, -1, false, f);
    }

    // ---- positions: one walk for both encodings ----

    pub(crate) fn first_pos(&self) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => lp.first().map(Pos::Lp),
            ZSet::Skiplist(s) => s.zsl.first().map(Pos::Sl),
        }
    }
    pub(crate) fn last_pos(&self) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => lp.seek(-2).map(Pos::Lp),
            ZSet::Skiplist(s) => s.zsl.last().map(Pos::Sl),
        }
    }
    /// The member at 0-based `rank` from the bottom.
    pub(crate) fn pos_at(&self, rank: usize) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => lp.seek(2 * rank as i64).map(Pos::Lp),
            ZSet::Skiplist(s) => s.zsl.by_rank(rank + 1).map(Pos::Sl),
        }
    }
    /// The next member up (or down with `reverse`).
    pub(crate) fn step(&self, p: Pos, reverse: bool) -> Option<Pos> {
        match (self, p) {
            (ZSet::Listpack(lp), Pos::Lp(ep)) => {
                if reverse {
                    let sp = lp.prev(ep)?;
                    lp.prev(sp).map(Pos::Lp)
                } else {
                    let sp = lp.next(ep)?;
                    lp.next(sp).map(Pos::Lp)
                }
            }
            (ZSet::Skiplist(s), Pos::Sl(id)) => {
                if reverse {
                    s.zsl.prev(id).map(Pos::Sl)
                } else {
                    s.zsl.next(id).map(Pos::Sl)
                }
            }
            _ => None,
        }
    }
    pub(crate) fn score_at(&self, p: Pos) -> f64 {
        match (self, p) {
            (ZSet::Listpack(lp), Pos::Lp(ep)) => lp_score(lp, lp.next(ep).expect("zset listpack pair")),
            (ZSet::Skiplist(s), Pos::Sl(id)) => s.zsl.score(id),
            _ => f64::NAN,
        }
    }
    pub(crate) fn with_member<R>(&self, p: Pos, f: impl FnOnce(&[u8]) -> R) -> R {
        match (self, p) {
            (ZSet::Listpack(lp), Pos::Lp(ep)) => lp.get(ep).with_bytes(f),
            (ZSet::Skiplist(s), Pos::Sl(id)) => f(s.zsl.ele(id)),
            _ => f(b""),
        }
    }

    /// The first (or with `last`, the last) member whose score is in `r`.
    pub(crate) fn edge_in_range(&self, r: &ScoreRange, last: bool) -> Option<Pos> {
        match self {
            ZSet::Skiplist(s) => {
                if last {
                    s.zsl.last_in_range(r).map(Pos::Sl)
                } else {
                    s.zsl.first_in_range(r).map(Pos::Sl)
                }
            }
            ZSet::Listpack(_) => {
                // zzlIsInRange, then a walk from the matching end.
                if r.is_empty() {
                    return None;
                }
                let (first, lastp) = (self.first_pos()?, self.last_pos()?);
                if !r.gte_min(self.score_at(lastp)) || !r.lte_max(self.score_at(first)) {
                    return None;
                }
                let mut p = Some(if last { lastp } else { first });
                while let Some(q) = p {
                    let s = self.score_at(q);
                    if last && r.lte_max(s) {
                        return r.gte_min(s).then_some(q);
                    }
                    if !last && r.gte_min(s) {
                        return r.lte_max(s).then_some(q);
                    }
                    p = self.step(q, last);
                }
                None
            }
        }
    }

    /// The first (or last) member in the lex range `r`.
    pub(crate) fn edge_in_lex(&self, r: &LexRange, last: bool) -> Option<Pos> {
        match self {
            ZSet::Skiplist(s) => {
                if last {
                    s.zsl.last_in_lex_range(r).map(Pos::Sl)
                } else {
                    s.zsl.first_in_lex_range(r).map(Pos::Sl)
                }
            }
            ZSet::Listpack(_) => {
                if r.is_empty() {
                    return None;
                }
                let (first, lastp) = (self.first_pos()?, self.last_pos()?);
                if !self.with_member(lastp, |m| r.gte_min(m)) || !self.with_member(first, |m| r.lte_max(m)) {
                    return None;
                }
                let mut p = Some(if last { lastp } else { first });
                while let Some(q) = p {
                    let (gte, lte) = self.with_member(q, |m| (r.gte_min(m), r.lte_max(m)));
                    if last && lte {
                        return gte.then_some(q);
                    }
                    if !last && gte {
                        return lte.then_some(q);
                    }
                    p = self.step(q, last);
                }
                None
            }
        }
    }

    /// Members in the score range from its low end (or high end with
    /// `reverse`), skipping `offset`, at most `limit` of them (negative: all).
    /// Returns how many `f` got.
    pub fn range_by_score(&self, r: &ScoreRange, offset: i64, limit: i64, reverse: bool, f: impl FnMut(&[u8], f64)) -> usize {
        // A negative offset walks off the end in Redis: nothing.
        if offset < 0 || (offset > 0 && offset as usize >= self.len()) {
            return 0;
        }
        let first = self.edge_in_range(r, reverse);
        self.walk(first, offset, limit, reverse, |q| {
            let s = self.score_at(q);
            if reverse { r.gte_min(s) } else { r.lte_max(s) }
        }, f)
    }

    /// Members in the lex range, as `range_by_score`.
    pub fn range_by_lex(&self, r: &LexRange, offset: i64, limit: i64, reverse: bool, f: impl FnMut(&[u8], f64)) -> usize {
        if offset < 0 {
            return 0;
        }
        let first = self.edge_in_lex(r, reverse);
        self.walk(first, offset, limit, reverse, |q| self.with_member(q, |m| if reverse { r.gte_min(m) } else { r.lte_max(m) }), f)
    }

    /// From `p` (a range's first member in walking order): skips `offset`
    /// members, then gives `f` at most `limit` (negative: all) while `inside`
    /// holds. Returns how many `f` got.
    fn walk(&self, mut p: Option<Pos>, mut offset: i64, mut limit: i64, reverse: bool, inside: impl Fn(Pos) -> bool, mut f: impl FnMut(&[u8], f64)) -> usize {
        while let Some(q) = p {
            if offset <= 0 {
                break;
            }
            offset -= 1;
            p = self.step(q, reverse);
        }
        let mut n = 0;
        while let Some(q) = p {
            if limit == 0 || !inside(q) {
                break;
            }
            limit -= 1;
            let s = self.score_at(q);
            self.with_member(q, |m| f(m, s));
            n += 1;
            p = self.step(q, reverse);
        }
        n
    }

    /// Members of 0-based ranks start..=end (already clamped to the set),
    /// counted from the top with `reverse`.
    pub fn range_by_rank(&self, start: usize, end: usize, reverse: bool, mut f: impl FnMut(&[u8], f64)) {
        let len = self.len();
        if start > end || start >= len {
            return;
        }
        let mut p = if reverse { self.pos_at(len - 1 - start) } else { self.pos_at(start) };
        for _ in start..=end.min(len - 1) {
            let Some(q) = p else { break };
            let s = self.score_at(q);
            self.with_member(q, |m| f(m, s));
            p = self.step(q, reverse);
        }
    }

    /// How many scores are in the range (ZCOUNT).
    pub fn count_in_range(&self, r: &ScoreRange) -> usize {
        match self {
            ZSet::Skiplist(s) => {
                // As Redis counts: from the first member's rank, less what follows the last.
                let Some(a) = s.zsl.first_in_range(r) else { return 0 };
                let len = s.zsl.len();
                let ra = s.zsl.rank(s.zsl.score(a), s.zsl.ele(a)).unwrap_or(1);
                let mut n = len - (ra - 1);
                if let Some(b) = s.zsl.last_in_range(r) {
                    let rb = s.zsl.rank(s.zsl.score(b), s.zsl.ele(b)).unwrap_or(len);
                    n = n.wrapping_sub(len - rb);
                }
                n
            }
            ZSet::Listpack(_) => self.range_by_score(r, 0, -1, false, |_, _| {}),
        }
    }

    /// How many members are in the lex range (ZLEXCOUNT).
    pub fn count_in_lex(&self, r: &LexRange) -> usize {
        match self {
            ZSet::Skiplist(s) => {
                // As Redis counts: from the first member's rank, less what follows the last.
                let Some(a) = s.zsl.first_in_lex_range(r) else { return 0 };
                let len = s.zsl.len();
                let ra = s.zsl.rank(s.zsl.score(a), s.zsl.ele(a)).unwrap_or(1);
                let mut n = len - (ra - 1);
                if let Some(b) = s.zsl.last_in_lex_range(r) {
                    let rb = s.zsl.rank(s.zsl.score(b), s.zsl.ele(b)).unwrap_or(len);
                    n = n.wrapping_sub(len - rb);
                }
                n
            }
            ZSet::Listpack(_) => self.range_by_lex(r, 0, -1, false, |_, _| {}),
        }
    }

    /// Deletes the 0-based ranks start..=end (valid, clamped); how many went.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        match self {
            ZSet::Listpack(lp) => {
                let n = end - start + 1;
                lp.delete_range(2 * start, 2 * n);
                n
            }
            ZSet::Skiplist(s) => {
                let SkipSet { zsl, dict } = &mut **s;
                zsl.delete_range_by_rank(start + 1, end + 1, &mut |e| {
                    dict.remove(e.as_slice());
                })
            }
        }
    }

    pub fn delete_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match self {
            ZSet::Listpack(_) => self.delete_lp_run(self.edge_in_range(r, false), |z, p| r.lte_max(z.score_at(p))),
            ZSet::Skiplist(s) => {
                let SkipSet { zsl, dict } = &mut **s;
                zsl.delete_range_by_score(r, &mut |e| {
                    dict.remove(e.as_slice());
                })
            }
        }
    }

    pub fn delete_range_by_lex(&mut self, r: &LexRange) -> usize {
        match self {
            ZSet::Listpack(_) => self.delete_lp_run(self.edge_in_lex(r, false), |z, p| z.with_member(p, |m| r.lte_max(m))),
            ZSet::Skiplist(s) => {
                let SkipSet { zsl, dict } = &mut **s;
                zsl.delete_range_by_lex(r, &mut |e| {
                    dict.remove(e.as_slice());
                })
            }
        }
    }

    /// Deletes the listpack pairs from `start` on while `inside` holds (zzlDeleteRangeBy*).
    fn delete_lp_run(&mut self, start: Option<Pos>, inside: impl Fn(&ZSet, Pos) -> bool) -> usize {
        let Some(first) = start else { return 0 };
        let Pos::Lp(off) = first else { return 0 };
        let mut rank = 0;
        let mut p = self.first_pos();
        while let Some(Pos::Lp(q)) = p {
            if q == off {
                break;
            }
            rank += 1;
            p = self.step(Pos::Lp(q), false);
        }
        let mut n = 0;
        let mut p = Some(first);
        while let Some(x) = p {
            if !inside(self, x) {
                break;
            }
            n += 1;
            p = self.step(x, false);
        }
        if let ZSet::Listpack(lp) = self {
            lp.delete_range(2 * rank, 2 * n);
        }
        n
    }

    /// A random member and its score (the set must not be empty). A skiplist's
    /// draw moves an ongoing resize of its member table on, as Redis's
    /// dictGetFairRandomKey does.
    pub fn random_member(&mut self, rand: &mut impl FnMut() -> u64) -> (Vec<u8>, f64) {
        match self {
            ZSet::Listpack(lp) => {
                let i = (rand() % (lp.len() / 2) as u64) as i64;
                let ep = lp.seek(2 * i).expect("zset member");
                (lp.get(ep).to_vec(), lp_score(lp, lp.next(ep).expect("zset listpack pair")))
            }
            ZSet::Skiplist(s) => {
                s.dict.rehash_for_draw(crate::dict::FAIR_SAMPLE);
                // A uniform rank: as fair as Redis's dictGetFairRandomKey, in O(log n).
                let rank = (rand() % s.zsl.len() as u64) as usize + 1;
                let id = s.zsl.by_rank(rank).expect("zset member");
                (s.zsl.ele(id).to_vec(), s.zsl.score(id))
            }
        }
    }

    /// One step of ZSCAN: the pairs it returns (member, score text) and the
    /// next cursor. A listpack is returned whole (cursor 0).
    pub fn scan(&self, cursor: u64, count: u64, mut keep: impl FnMut(&[u8]) -> bool) -> (u64, Vec<ScanPair>) {
        let mut found = Vec::new();
        match self {
            ZSet::Listpack(lp) => {
                let mut p = lp.first();
                while let Some(ep) = p {
                    let sp = lp.next(ep).expect("zset listpack pair");
                    let m = lp.get(ep).to_vec();
                    if keep(&m) {
                        found.push((m, lp.get(sp).to_vec()));
                    }
                    p = lp.next(sp);
                }
                (0, found)
            }
            ZSet::Skiplist(s) => {
                let mut cursor = cursor;
                let mut iterations = count.saturating_mul(10);
                let mut sampled = 0u64;
                loop {
                    cursor = s.dict.scan_bucket(cursor, |k, &id| {
                        sampled += 1;
                        if keep(k.as_slice()) {
                            found.push((k.as_slice().to_vec(), strtod::fmt_g17(s.zsl.score(id)).into_bytes()));
                        }
                    });
                    if cursor == 0 || iterations == 0 || sampled >= count {
                        break;
                    }
                    iterations -= 1;
                }
                (cursor, found)
            }
        }
    }

    /// The cron's incremental rehash of the member dict; true while one is under way.
    pub fn rehash_some(&mut self, buckets: usize) -> bool {
        match self {
            ZSet::Skiplist(s) => s.dict.rehash_some(buckets),
            ZSet::Listpack(_) => false,
        }
    }

    /// Mixes the contents into `digest` as Redis's xorObjectDigest does: each
    /// member's digest is its bytes then its score as fpconv prints it, xored in.
    pub fn digest(&self, digest: &mut Digest) {
        let mut text = [0u8; 32];
        self.for_each(|m, score| {
            let mut ed = [0u8; 20];
            mix_digest(&mut ed, m);
            let n = dtoa::dtoa(score, &mut text);
            mix_digest(&mut ed, &text[..n]);
            xor_digest(digest, &ed);
        });
    }

    /// Redis's lazyfreeGetFreeEffort: the skiplist's length, 1 for a listpack.
    pub fn free_effort(&self) -> usize {
        match self {
            ZSet::Listpack(_) => 1,
            ZSet::Skiplist(s) => s.zsl.len(),
        }
    }
}

#[cfg(test)]
mod tests;
