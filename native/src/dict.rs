//! The keyspace hash table: chained buckets, a power-of-two bucket count and a
//! reverse-binary SCAN cursor (as Redis's dict), so a key present for a whole
//! SCAN is returned at least once even while the table grows or shrinks.
//!
//! Resizing is incremental, as in Redis: a second table is allocated and each
//! write (and the server's cron, through `rehash_some`) moves a few buckets
//! into it, so no single command pays for moving millions of entries.
use crate::sbytes::SBytes;

struct Node<V> {
    key: SBytes,
    val: V,
    next: Option<Box<Node<V>>>,
}

type Table<V> = Vec<Option<Box<Node<V>>>>;

/// A hint that `p`'s cache line is about to be read.
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

pub struct Dict<V> {
    /// The main table; while rehashing, buckets below `rehash_idx` are empty.
    t0: Table<V>,
    /// The table being filled while rehashing; empty otherwise.
    t1: Table<V>,
    /// The next t0 bucket to move.
    rehash_idx: usize,
    len: usize,
    hasher: ahash::RandomState,
}

const MIN_BUCKETS: usize = 4;

/// Redis's DICT_RESIZE_AVOID: while a forked child holds a copy-on-write
/// snapshot (fork.rs sets it), tables neither start nor continue a resize
/// unless they are 5 times over (dict_force_resize_ratio): moving every entry
/// of a big table would copy all of its pages.
static AVOID_RESIZE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
const FORCE_RESIZE_RATIO: usize = 5;

/// Sets or clears the resize policy of a running child (updateDictResizePolicy).
pub fn set_avoid_resize(avoid: bool) {
    AVOID_RESIZE.store(avoid, std::sync::atomic::Ordering::Relaxed);
}

#[inline]
fn avoid_resize() -> bool {
    AVOID_RESIZE.load(std::sync::atomic::Ordering::Relaxed)
}
/// Buckets moved by each write while rehashing (and how many empty ones it may skip per move).
const STEP_BUCKETS: usize = 1;
/// Entries a fair random draw samples (Redis's GETFAIR_NUM_ENTRIES).
pub const FAIR_SAMPLE: usize = 20;
const EMPTY_VISITS: usize = 10;

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

fn new_table<V>(size: usize) -> Table<V> {
    let mut t = Vec::with_capacity(size);
    t.resize_with(size, || None);
    t
}

fn chain_find<'a, V>(mut cur: Option<&'a Node<V>>, key: &[u8]) -> Option<&'a Node<V>> {
    while let Some(n) = cur {
        if n.key.as_slice() == key {
            return Some(n);
        }
        cur = n.next.as_deref();
    }
    None
}

fn chain_find_mut<'a, V>(mut cur: Option<&'a mut Node<V>>, key: &[u8]) -> Option<&'a mut Node<V>> {
    while let Some(n) = cur {
        if n.key.as_slice() == key {
            return Some(n);
        }
        cur = n.next.as_deref_mut();
    }
    None
}

/// Unlinks the node with `key` from a chain.
fn chain_remove<V>(head: &mut Option<Box<Node<V>>>, key: &[u8]) -> Option<Box<Node<V>>> {
    let mut link = head;
    loop {
        match link {
            None => return None,
            Some(n) if n.key.as_slice() == key => {
                let mut node = link.take().unwrap();
                *link = node.next.take();
                return Some(node);
            }
            Some(n) => link = &mut n.next,
        }
    }
}

fn for_each_in<V>(head: Option<&Node<V>>, f: &mut impl FnMut(&SBytes, &V)) {
    let mut cur = head;
    while let Some(n) = cur {
        f(&n.key, &n.val);
        cur = n.next.as_deref();
    }
}

/// One hash seed for the whole process, as Redis's dict_hash_function_seed: a
/// table saved and loaded back in the same process (DEBUG RELOAD, a replica's
/// reload) gets its keys in bucket order, so each insert finds its bucket and
/// chain already in cache instead of missing on a random node.
fn process_hasher() -> ahash::RandomState {
    static SEED: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    SEED.get_or_init(ahash::RandomState::new).clone()
}

impl<V> Dict<V> {
    pub fn new() -> Self {
        Dict { t0: Vec::new(), t1: Vec::new(), rehash_idx: 0, len: 0, hasher: process_hasher() }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Bytes the table itself costs beyond keys and values: its buckets and
    /// each node's links (the node less its value, which is the data; Redis's
    /// dictEntry and bucket share: MEMORY STATS' overhead.hashtable.*).
    pub fn overhead_bytes(&self) -> usize {
        let per_node = std::mem::size_of::<Node<V>>() - std::mem::size_of::<V>();
        (self.t0.len() + self.t1.len()) * std::mem::size_of::<Option<Box<Node<V>>>>() + self.len * per_node
    }
    /// Buckets of the main table (DEBUG HTSTATS).
    pub fn bucket_count(&self) -> usize {
        self.t0.len()
    }
    /// What one entry's node takes (its key's bytes beyond 22 are the key's own allocation).
    pub fn node_size() -> usize {
        std::mem::size_of::<Node<V>>()
    }
    /// The bucket arrays' sizes in bytes: the main table's and the one being filled (0 when not rehashing).
    pub fn table_bytes(&self) -> [usize; 2] {
        let slot = std::mem::size_of::<Option<Box<Node<V>>>>();
        [self.t0.capacity() * slot, self.t1.capacity() * slot]
    }
    /// Buckets of the table being filled, 0 when not rehashing (DEBUG HTSTATS).
    pub fn rehash_target(&self) -> usize {
        self.t1.len()
    }
    /// The chain length of each bucket of table `t` (0: the main table, 1: the
    /// one being filled while rehashing), in bucket order (DEBUG HTSTATS).
    pub fn chain_lengths(&self, t: usize, mut f: impl FnMut(usize)) {
        for b in if t == 0 { &self.t0 } else { &self.t1 } {
            let mut n = 0;
            for_each_in(b.as_deref(), &mut |_, _| n += 1);
            f(n);
        }
    }
    #[inline]
    pub fn is_rehashing(&self) -> bool {
        !self.t1.is_empty()
    }
    #[inline]
    fn hash(&self, key: &[u8]) -> usize {
        self.hasher.hash_one(key) as usize
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(key);
        if let Some(n) = chain_find(self.t0[h & (self.t0.len() - 1)].as_deref(), key) {
            return Some(&n.val);
        }
        if self.is_rehashing() {
            return chain_find(self.t1[h & (self.t1.len() - 1)].as_deref(), key).map(|n| &n.val);
        }
        None
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(key);
        let i0 = h & (self.t0.len() - 1);
        if !self.is_rehashing() {
            return chain_find_mut(self.t0[i0].as_deref_mut(), key).map(|n| &mut n.val);
        }
        // While rehashing the key may be in either table. The pointer ends the
        // first borrow so the second table can be searched (one pass over each chain).
        if let Some(n) = chain_find_mut(self.t0[i0].as_deref_mut(), key) {
            let v: *mut V = &mut n.val;
            // SAFETY: `v` points into a node of t0, which nothing else touches before it is returned.
            return Some(unsafe { &mut *v });
        }
        let i1 = h & (self.t1.len() - 1);
        chain_find_mut(self.t1[i1].as_deref_mut(), key).map(|n| &mut n.val)
    }

    /// Sizes an empty table for about `n` entries at once (dictExpand: the
    /// RDB loader's RESIZEDB hint), so loading does not rehash step by step.
    pub fn expand(&mut self, n: usize) {
        if self.len == 0 && !self.is_rehashing() && n > self.t0.len() {
            self.t0 = new_table(n.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: &[u8], val: V) -> Option<V> {
        if let Some(v) = self.get_mut(key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(SBytes::new(key), val);
        None
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, key: SBytes, val: V) {
        self.insert_new_if(key, val, |_, _| true)
    }

    /// insert() for a table whose growth `expand_allowed(bytes, load)` may refuse (Redis's dictExpandAllowed).
    pub fn insert_if(&mut self, key: &[u8], val: V, expand_allowed: impl Fn(usize, f64) -> bool) -> Option<V> {
        if let Some(v) = self.get_mut(key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new_if(SBytes::new(key), val, expand_allowed);
        None
    }

    /// insert_new() for a table whose growth `expand_allowed(bytes, load)` may refuse.
    #[inline]
    pub fn insert_new_if(&mut self, key: SBytes, val: V, expand_allowed: impl Fn(usize, f64) -> bool) {
        let h = self.hash(key.as_slice());
        self.insert_new_hashed_if(h, key, val, expand_allowed);
    }

    /// insert_new_if() with the key's hash (`key_hash`) already known.
    #[inline]
    pub fn insert_new_hashed_if(&mut self, h: usize, key: SBytes, val: V, expand_allowed: impl Fn(usize, f64) -> bool) {
        self.grow_for_insert(expand_allowed);
        self.link(h, key, val);
    }

    /// insert_new_if() for a key that may be present (one hash, one walk of its
    /// chains): gives the value back, and changes nothing, when it is.
    pub fn insert_absent_if(&mut self, key: &[u8], val: V, expand_allowed: impl Fn(usize, f64) -> bool) -> Result<(), V> {
        let h = self.hash(key);
        self.insert_absent_hashed_if(h, key, val, expand_allowed)
    }

    /// The hash `key` files under (the same in every table of the process).
    #[inline]
    pub fn key_hash(&self, key: &[u8]) -> usize {
        self.hash(key)
    }

    /// The bucket an insert of hash `h` would go to.
    #[inline]
    fn insert_bucket(&self, h: usize) -> Option<&Option<Box<Node<V>>>> {
        let t = if self.is_rehashing() { &self.t1 } else { &self.t0 };
        t.get(h & t.len().wrapping_sub(1))
    }

    /// Two steps of a pipelined insert (a loader's): `prefetch_bucket` as soon as
    /// a key's hash is known, `prefetch_chain` a while later (the bucket has
    /// landed: its first node is fetched), the insert later still.
    #[inline]
    pub fn prefetch_bucket(&self, h: usize) {
        if let Some(b) = self.insert_bucket(h) {
            prefetch(b as *const Option<Box<Node<V>>> as *const u8);
        }
    }
    #[inline]
    pub fn prefetch_chain(&self, h: usize) {
        if let Some(Some(n)) = self.insert_bucket(h) {
            prefetch(&**n as *const Node<V> as *const u8);
        }
    }

    /// insert_absent_if() with the key's hash (`key_hash`) already known.
    pub fn insert_absent_hashed_if(&mut self, h: usize, key: &[u8], val: V, expand_allowed: impl Fn(usize, f64) -> bool) -> Result<(), V> {
        self.grow_for_insert(expand_allowed);
        let present = chain_find(self.t0[h & (self.t0.len() - 1)].as_deref(), key).is_some()
            || (self.is_rehashing() && chain_find(self.t1[h & (self.t1.len() - 1)].as_deref(), key).is_some());
        if present {
            return Err(val);
        }
        self.link(h, SBytes::new(key), val);
        Ok(())
    }

    /// An insert's table upkeep: the first table, a growth when full, a rehash step.
    #[inline]
    fn grow_for_insert(&mut self, expand_allowed: impl Fn(usize, f64) -> bool) {
        if self.t0.is_empty() {
            self.t0 = new_table(MIN_BUCKETS);
        } else if !self.is_rehashing() && self.len >= self.t0.len() && (!avoid_resize() || self.len >= FORCE_RESIZE_RATIO * self.t0.len()) {
            // Redis's dictExpand(used + 1): past the force ratio the new table is
            // at least 8 times the old, so the paused rehash may proceed.
            let size = (self.len + 1).next_power_of_two();
            if expand_allowed(size * std::mem::size_of::<Option<Box<Node<V>>>>(), self.len as f64 / self.t0.len() as f64) {
                self.start_rehash(size);
            }
        }
        self.rehash_step();
    }

    /// Puts a new node with hash `h` at the head of its chain (in the new table while rehashing).
    #[inline]
    fn link(&mut self, h: usize, key: SBytes, val: V) {
        let t = if self.is_rehashing() { &mut self.t1 } else { &mut self.t0 };
        let i = h & (t.len() - 1);
        let next = t[i].take();
        t[i] = Some(Box::new(Node { key, val, next }));
        self.len += 1;
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(SBytes, V)> {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        let i0 = h & (self.t0.len() - 1);
        let mut node = chain_remove(&mut self.t0[i0], key);
        if node.is_none() && self.is_rehashing() {
            let i1 = h & (self.t1.len() - 1);
            node = chain_remove(&mut self.t1[i1], key);
        }
        let node = node?;
        self.len -= 1;
        self.maybe_shrink();
        Some((node.key, node.val))
    }

    fn maybe_shrink(&mut self) {
        if avoid_resize() {
            return;
        }
        let n = self.t0.len();
        if !self.is_rehashing() && n > MIN_BUCKETS && self.len * 10 < n {
            self.start_rehash(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn start_rehash(&mut self, size: usize) {
        self.t1 = new_table(size);
        self.rehash_idx = 0;
    }

    /// The per-write share of an ongoing rehash.
    #[inline]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(STEP_BUCKETS);
        }
    }

    /// Moves up to `buckets` non-empty buckets (visiting at most 10 empty ones
    /// per bucket) from t0 to t1; true while more remain.
    fn rehash(&mut self, buckets: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        // Paused while a child runs, unless the tables are far apart in size.
        if avoid_resize() {
            let (a, b) = (self.t0.len(), self.t1.len());
            if a.max(b) / a.min(b).max(1) < FORCE_RESIZE_RATIO {
                return false;
            }
        }
        let mask = self.t1.len() - 1;
        let mut moved = 0;
        let mut empty_visits = buckets * EMPTY_VISITS;
        while moved < buckets && self.rehash_idx < self.t0.len() {
            let mut head = self.t0[self.rehash_idx].take();
            if head.is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    break;
                }
                continue;
            }
            while let Some(mut n) = head {
                head = n.next.take();
                let i = self.hasher.hash_one(n.key.as_slice()) as usize & mask;
                n.next = self.t1[i].take();
                self.t1[i] = Some(n);
            }
            self.rehash_idx += 1;
            moved += 1;
        }
        if self.rehash_idx >= self.t0.len() {
            self.t0 = std::mem::take(&mut self.t1);
            self.rehash_idx = 0;
            // A shrink that came due during this rehash starts now.
            self.maybe_shrink();
        }
        self.is_rehashing()
    }

    /// The cron's share (Redis's tryResizeHashTables + activerehashing): starts
    /// a shrink that was due while another resize ran, then moves up to
    /// `buckets` buckets. True while a rehash is still under way.
    pub fn rehash_some(&mut self, buckets: usize) -> bool {
        self.maybe_shrink();
        self.rehash(buckets);
        self.is_rehashing()
    }

    pub fn clear(&mut self) {
        // Unlink iteratively so long chains do not recurse in Drop.
        for t in [&mut self.t0, &mut self.t1] {
            for b in t.iter_mut() {
                let mut head = b.take();
                while let Some(mut n) = head {
                    head = n.next.take();
                }
            }
        }
        self.t0 = Vec::new();
        self.t1 = Vec::new();
        self.rehash_idx = 0;
        self.len = 0;
    }

    /// Visits the buckets at `cursor` (all their entries) and returns the next
    /// cursor; 0 when done. While rehashing, the cursor's bucket in the smaller
    /// table and all its expansions in the larger one are visited (Redis's dictScan).
    pub fn scan_bucket(&self, cursor: u64, mut f: impl FnMut(&SBytes, &V)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let m0 = (self.t0.len() - 1) as u64;
            for_each_in(self.t0[(v & m0) as usize].as_deref(), &mut f);
            v |= !m0;
            return v.reverse_bits().wrapping_add(1).reverse_bits();
        }
        let (small, big) = if self.t0.len() <= self.t1.len() { (&self.t0, &self.t1) } else { (&self.t1, &self.t0) };
        let m0 = (small.len() - 1) as u64;
        let m1 = (big.len() - 1) as u64;
        for_each_in(small[(v & m0) as usize].as_deref(), &mut f);
        loop {
            for_each_in(big[(v & m1) as usize].as_deref(), &mut f);
            v |= !m1;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }

    /// A random key (RANDOMKEY, eviction and expiry sampling); `rand` yields random u64s.
    pub fn random_key(&self, rand: impl FnMut() -> u64) -> Option<&SBytes> {
        self.random_entry(rand).map(|(k, _)| k)
    }

    fn random_entry(&self, mut rand: impl FnMut() -> u64) -> Option<(&SBytes, &V)> {
        if self.len == 0 {
            return None;
        }
        let (n0, n1) = (self.t0.len(), self.t1.len());
        loop {
            // Buckets below rehash_idx in t0 are empty: skip them when drawing.
            let span = n0 - self.rehash_idx + n1;
            let i = self.rehash_idx + (rand() as usize % span);
            let head = if i < n0 { self.t0[i].as_deref() } else { self.t1[i - n0].as_deref() };
            if let Some(head) = head {
                let mut count = 0;
                for_each_in(Some(head), &mut |_, _| count += 1);
                let mut k = rand() as usize % count;
                let mut cur = head;
                while k > 0 {
                    cur = cur.next.as_deref().unwrap();
                    k -= 1;
                }
                return Some((&cur.key, &cur.val));
            }
        }
    }

    /// The rehash work Redis does before drawing `want` random entries
    /// (dictGetSomeKeys): a step per entry wanted while a resize runs, so
    /// random reads (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER) move it on as writes do.
    pub fn rehash_for_draw(&mut self, want: usize) {
        for _ in 0..want.min(self.len) {
            if !self.is_rehashing() {
                break;
            }
            self.rehash(STEP_BUCKETS);
        }
    }

    /// A random key drawn fairly (SRANDMEMBER, SPOP; Redis's
    /// dictGetFairRandomKey): `random_key` favours keys in short chains, so
    /// this gathers up to 20 keys with `some_entries` and picks one of them.
    /// Like Redis's, the draw first moves an ongoing resize on.
    pub fn fair_random_key(&mut self, rand: impl FnMut() -> u64) -> Option<&SBytes> {
        self.fair_random_entry(rand).map(|(k, _)| k)
    }

    /// `fair_random_key`'s entry, its value with it.
    pub fn fair_random_entry(&mut self, mut rand: impl FnMut() -> u64) -> Option<(&SBytes, &V)> {
        if self.len == 0 {
            return None;
        }
        self.rehash_for_draw(FAIR_SAMPLE);
        let mut sample = Vec::with_capacity(FAIR_SAMPLE);
        self.some_entries(self.len.min(FAIR_SAMPLE), &mut rand, &mut sample);
        if sample.is_empty() {
            // dictGetRandomKey (without its own rehash step: the sample's borrow is still held here).
            return self.random_entry(rand);
        }
        let n = sample.len();
        Some(sample[rand() as usize % n])
    }

    /// Up to `want` entries from consecutive buckets at a random place (whole
    /// chains, both tables while rehashing; Redis's dictGetSomeKeys): the
    /// samples of SPOP's fair draw and of eviction's pool. Redis's rehash
    /// steps before the sample are the caller's (`rehash_for_draw`).
    pub fn some_entries<'a>(&'a self, want: usize, rand: &mut impl FnMut() -> u64, sample: &mut Vec<(&'a SBytes, &'a V)>) {
        if self.len == 0 || want == 0 {
            return;
        }
        let want = want.min(self.len);
        let start = sample.len();
        let big = self.t0.len().max(self.t1.len());
        let mut i = rand() as usize & (big - 1);
        let mut empty_run = 0;
        // Entries met so far (the sample holds `want` of them at most).
        let mut seen = 0usize;
        for _ in 0..want * 10 {
            for t in 0..2 {
                // t0's buckets below the rehash index are empty: they moved to t1.
                if t == 0 && self.is_rehashing() && i < self.rehash_idx {
                    if i >= self.t1.len() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let table = if t == 0 { &self.t0 } else { &self.t1 };
                if i >= table.len() {
                    continue;
                }
                match table[i].as_deref() {
                    None => {
                        empty_run += 1;
                        // Redis's jump away from an empty run; not when the
                        // sample is the whole dict, where a jump could only
                        // draw keys already taken (while rehashing, both
                        // tables' empty buckets count, so a dense small dict
                        // jumps too).
                        if empty_run >= 5 && empty_run > want && want < self.len {
                            i = rand() as usize & (big - 1);
                            empty_run = 0;
                        }
                    }
                    Some(head) => {
                        empty_run = 0;
                        // The whole chain is sampled: past `want` entries by
                        // reservoir sampling, as Redis 7.2's, so the end of a
                        // long chain can be drawn too.
                        let mut cur = Some(head);
                        while let Some(n) = cur {
                            if seen < want {
                                sample.push((&n.key, &n.val));
                            } else {
                                let r = (rand() % (seen as u64 + 1)) as usize;
                                if r < want {
                                    sample[start + r] = (&n.key, &n.val);
                                }
                            }
                            seen += 1;
                            cur = n.next.as_deref();
                        }
                        if seen >= want {
                            return;
                        }
                    }
                }
            }
            i = (i + 1) & (big - 1);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SBytes, &V)> {
        self.t0.iter().chain(self.t1.iter()).flat_map(|b| {
            let mut cur = b.as_deref();
            std::iter::from_fn(move || {
                let n = cur?;
                cur = n.next.as_deref();
                Some((&n.key, &n.val))
            })
        })
    }

    /// Calls `f` on every entry until it fails, touching the node of the bucket
    /// PREFETCH_AHEAD buckets on first (the nodes are scattered in memory: a walk of
    /// millions of them, as a save's, otherwise waits on one cache miss per node).
    pub fn try_for_each<E>(&self, mut f: impl FnMut(&SBytes, &V) -> Result<(), E>) -> Result<(), E> {
        const PREFETCH_AHEAD: usize = 8;
        for t in [&self.t0, &self.t1] {
            for i in 0..t.len() {
                if let Some(Some(ahead)) = t.get(i + PREFETCH_AHEAD) {
                    prefetch(&**ahead as *const Node<V> as *const u8);
                }
                let mut cur = t[i].as_deref();
                while let Some(n) = cur {
                    f(&n.key, &n.val)?;
                    cur = n.next.as_deref();
                }
            }
        }
        Ok(())
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&SBytes, &mut V) -> bool) {
        let mut removed = 0;
        for t in [&mut self.t0, &mut self.t1] {
            for b in t.iter_mut() {
                let mut link = b;
                loop {
                    let drop_it = match link {
                        None => break,
                        Some(n) => !keep(&n.key, &mut n.val),
                    };
                    if drop_it {
                        let mut node = link.take().unwrap();
                        *link = node.next.take();
                        removed += 1;
                    } else {
                        link = &mut link.as_mut().unwrap().next;
                    }
                }
            }
        }
        self.len -= removed;
        self.maybe_shrink();
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: u32) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn growth_refused_until_the_table_is_overfull() {
        let mut d = Dict::new();
        for i in 0..4 {
            d.insert_new(SBytes::new(&key(i)), i);
        }
        // Four buckets, four keys: the next insert would double the table; refused, the chains grow.
        let asked = std::cell::Cell::new((0usize, 0f64));
        for i in 4..6 {
            d.insert_new_if(SBytes::new(&key(i)), i, |bytes, load| {
                asked.set((bytes, load));
                false
            });
        }
        assert!(!d.is_rehashing());
        assert_eq!(d.t0.len(), 4);
        assert_eq!(asked.get().0, 8 * std::mem::size_of::<Option<Box<Node<u32>>>>());
        assert_eq!(asked.get().1, 5.0 / 4.0);
        for i in 0..6 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        // Allowed again: the table grows.
        d.insert_new_if(SBytes::new(&key(6)), 6, |_, _| true);
        assert!(d.is_rehashing() || d.t0.len() > 4);
    }

    #[test]
    fn try_for_each_visits_every_entry_while_rehashing_and_stops_at_an_error() {
        let mut d: Dict<u32> = Dict::new();
        let mut i = 0;
        // Grow until a resize is under way, so both tables hold entries.
        while !d.is_rehashing() || i < 1000 {
            d.insert(&key(i), i);
            i += 1;
        }
        assert!(d.is_rehashing());
        let mut seen = HashSet::new();
        d.try_for_each(|k, v| {
            assert_eq!(k.as_slice(), key(*v).as_slice());
            assert!(seen.insert(*v));
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(seen.len(), d.len());
        let mut n = 0;
        assert_eq!(d.try_for_each(|_, _| { n += 1; if n == 10 { Err(n) } else { Ok(()) } }), Err(10));
        let h = d.key_hash(b"anything");
        d.prefetch_bucket(h);
        d.prefetch_chain(h);
    }

    #[test]
    fn insert_absent_finds_a_key_in_either_table() {
        let mut d = Dict::new();
        for i in 0..5000 {
            let h = d.key_hash(&key(i));
            assert!(d.insert_absent_hashed_if(h, &key(i), i, |_, _| true).is_ok());
            // Present, in whichever table it is while a growth is under way.
            assert_eq!(d.insert_absent_if(&key(i), 0, |_, _| true), Err(0));
            if i % 7 == 0 {
                assert_eq!(d.insert_absent_if(&key(i / 2), 0, |_, _| true), Err(0));
            }
        }
        assert_eq!(d.len(), 5000);
        for i in 0..5000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        // One seed per process: a table saved and loaded back gets its keys in bucket order.
        assert_eq!(Dict::<()>::new().key_hash(b"k"), d.key_hash(b"k"));
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new();
        for i in 0..1000 {
            assert!(d.insert(&key(i), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        for i in 0..1000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        for i in 0..990 {
            assert_eq!(d.remove(&key(i)).map(|x| x.1), Some(i));
        }
        assert_eq!(d.len(), 10);
        // The shrink is incremental: finish it, then the table is small.
        while d.rehash_some(100) {}
        assert!(d.bucket_count() <= 16, "buckets {} target {}", d.bucket_count(), d.rehash_target());
        assert_eq!(d.get(&key(995)), Some(&995));
    }

    /// Growing moves a bounded number of buckets per write, and every key stays
    /// reachable (get, get_mut, remove, iter, random_key) at every step.
    #[test]
    fn rehash_is_incremental_and_keys_stay_reachable() {
        let mut d = Dict::new();
        for i in 0..4096 {
            d.insert(&key(i), i);
        }
        while d.rehash_some(1000) {}
        assert_eq!(d.bucket_count(), 4096);
        // The next insert starts a grow to 8192 buckets, without moving them all.
        d.insert(&key(4096), 4096);
        assert!(d.is_rehashing());
        assert_eq!(d.rehash_target(), 8192);
        let mut steps = 0;
        let mut s = 99u64;
        let mut rng = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        while d.is_rehashing() {
            for i in (0..=4096).step_by(97) {
                assert_eq!(d.get(&key(i)), Some(&i), "key {i} at step {steps}");
            }
            assert_eq!(d.iter().count(), d.len());
            let k = d.random_key(&mut rng).unwrap().as_slice().to_vec();
            assert!(d.get(&k).is_some());
            *d.get_mut(&key(7)).unwrap() += 0;
            d.rehash_some(16);
            steps += 1;
        }
        assert!(steps > 10, "the grow took {steps} steps");
        assert_eq!(d.bucket_count(), 8192);
        for i in 0..=4096 {
            assert_eq!(d.remove(&key(i)).map(|x| x.1), Some(i));
        }
        assert!(d.is_empty());
    }


    /// The SCAN guarantee: every key present for the whole scan is returned,
    /// while the table grows and shrinks between calls.
    #[test]
    fn scan_survives_resizes() {
        let mut d = Dict::new();
        for i in 0..500 {
            d.insert(&key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan_bucket(cursor, |k, _| {
                seen.insert(k.as_slice().to_vec());
            });
            step += 1;
            if step == 20 {
                for i in 500..5000 {
                    d.insert(&key(i), ());
                }
            }
            if step == 200 {
                for i in 500..5000 {
                    d.remove(&key(i));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(&key(i)), "missing {i}");
        }
    }

    /// The SCAN guarantee as a property: for random interleavings of scan
    /// steps with bursts of inserts and deletes (of keys other than the
    /// stable ones), growing and shrinking the table many times, every stable
    /// key is returned at least once.
    #[test]
    fn scan_guarantee_property() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..60 {
            let mut d: Dict<()> = Dict::new();
            let stable = 1 + rnd(300) as u32;
            for i in 0..stable {
                d.insert(&key(i), ());
            }
            let mut extra: Vec<u32> = Vec::new();
            let mut next_extra = 1_000_000u32;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut steps = 0;
            loop {
                cursor = d.scan_bucket(cursor, |k, _| {
                    seen.insert(k.as_slice().to_vec());
                });
                steps += 1;
                match rnd(4) {
                    0 => {
                        for _ in 0..rnd(600) {
                            d.insert(&key(next_extra), ());
                            extra.push(next_extra);
                            next_extra += 1;
                        }
                    }
                    1 => {
                        let n = rnd(extra.len() as u64 + 1) as usize;
                        for k in extra.drain(..n) {
                            d.remove(&key(k));
                        }
                    }
                    _ => {}
                }
                if cursor == 0 {
                    break;
                }
                assert!(steps < 1_000_000, "round {round}: the scan does not terminate");
            }
            for i in 0..stable {
                assert!(seen.contains(&key(i)), "round {round}: missing {i}");
            }
        }
    }

    /// A sample as big as the dict holds every key once, whatever the hash
    /// seed and however far a rehash has got (a jump away from an empty run
    /// used to draw some keys twice and leave others out).
    #[test]
    fn whole_dict_sample_has_every_key_once() {
        for seed in 0..500u64 {
            for n in [5u32, 8, 10, 12, 16, 20] {
                let mut d: Dict<()> = Dict::new();
                d.hasher = ahash::RandomState::with_seeds(seed, seed * 7 + 1, seed * 13 + 3, seed * 31 + 5);
                for i in 0..n {
                    d.insert(&key(i), ());
                }
                let mut s = 0x5eedu64 + seed;
                let mut rng = || {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s
                };
                for _ in 0..20 {
                    let mut sample = Vec::new();
                    d.some_entries(n as usize, &mut rng, &mut sample);
                    let distinct: std::collections::HashSet<_> = sample.iter().map(|e| e.0.as_slice().to_vec()).collect();
                    assert_eq!((distinct.len(), sample.len()), (n as usize, n as usize), "seed {seed}, {n} keys, rehashing {}", d.is_rehashing());
                }
            }
        }
    }

    /// Up to 20 keys: all of them are the sample, so each is equally likely;
    /// more: every key turns up about as often, whatever its chain.
    #[test]
    fn fair_random_key_is_uniform() {
        let mut s = 0x5eedu64;
        let mut rng = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for n in [10u32, 20] {
            let mut d = Dict::new();
            for i in 0..n {
                d.insert(&key(i), ());
            }
            let mut hits = std::collections::HashMap::new();
            let draws = 20_000 * n as usize;
            for _ in 0..draws {
                *hits.entry(d.fair_random_key(&mut rng).unwrap().as_slice().to_vec()).or_insert(0usize) += 1;
            }
            assert_eq!(hits.len(), n as usize);
            for (k, h) in hits {
                assert!((18_000..22_000).contains(&h), "{:?}: {h}", String::from_utf8_lossy(&k));
            }
        }
        // Many keys, mid-rehash, chains of several keys: every one is drawn.
        let mut d = Dict::new();
        for i in 0..3000 {
            d.insert(&key(i), ());
        }
        let mut hits = std::collections::HashMap::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..300_000 {
            *hits.entry(d.fair_random_key(|| crate::keyspace::next_rand(&mut state)).unwrap().as_slice().to_vec()).or_insert(0usize) += 1;
        }
        // As Redis's, the draw is fair only roughly (keys after empty runs
        // are favoured): what holds is that none is left out.
        assert_eq!(hits.len(), 3000);
    }

    #[test]
    fn random_key_and_retain() {
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut s = 12345u64;
        let mut rng = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let k = d.random_key(&mut rng).unwrap().as_slice().to_vec();
        assert!(d.get(&k).is_some());
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 50);
        assert_eq!(d.iter().count(), 50);
    }

    /// Keys in one long chain: a draw samples the whole chain (reservoir
    /// sampling, as Redis 7.2's dictGetSomeKeys), so its end is drawn too,
    /// and random draws move a resize on.
    #[test]
    fn draws_reach_the_end_of_a_long_chain() {
        let mut d = Dict::new();
        let mut i = 0;
        let mut kept = Vec::new();
        // 60 keys whose low 7 hash bits are all ones: once the table shrinks to
        // 128 buckets or fewer, they share one bucket.
        while kept.len() < 60 {
            let k = key(i);
            if d.key_hash(&k) & 127 == 127 {
                kept.push(k.clone());
            }
            d.insert(&k, i);
            i += 1;
        }
        for j in 0..i {
            let k = key(j);
            if d.key_hash(&k) & 127 != 127 {
                d.remove(&k);
            }
        }
        assert!(d.is_rehashing() || d.bucket_count() <= 128);
        // Draws alone finish the shrink.
        let mut s = 7u64;
        let mut rng = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut draws = 0;
        while d.is_rehashing() {
            d.fair_random_key(&mut rng);
            draws += 1;
            assert!(draws < 10_000, "draws did not finish the resize");
        }
        assert!(d.bucket_count() <= 128);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let mut sample = Vec::new();
            // (A sample may miss the one full bucket, as Redis's may: then it is empty.)
            d.some_entries(20, &mut rng, &mut sample);
            assert!(sample.is_empty() || sample.len() == 20);
            seen.extend(sample.iter().map(|(k, _)| k.as_slice().to_vec()));
        }
        assert_eq!(seen.len(), 60, "every key of the chain is drawn");
    }
}
