//! A compressed radix tree over byte keys, as Redis's rax.c: what the streams
//! index with it (the nodes by master ID, the groups, each group's pending
//! entries and consumers, each consumer's pending entries).
//!
//! Each node holds the run of key bytes on the edge from its parent (a
//! compressed run: a chain of single-child nodes folded into one), its
//! children sorted by their first byte, and a value when a key ends there.
//! Runs are kept inline (at most `RUN_MAX` bytes, no allocation); a longer run
//! is a chain of full nodes. Children live by value in one array per parent,
//! so a leaf (the common case: a key's last bytes) costs its slot in that
//! array and nothing else. The tree stays compressed: a node with no value has
//! two children or more, or one child and a full run (a long run's piece).
//!
//! Nothing recurses on the tree's depth (long keys make deep chains): lookups
//! loop, the cursor keeps its path in a vector, drop and clone walk a stack.
//!
//! The cursor seeks as raxSeek does (`Seek`: first, last, >=, >, <=, <, ==)
//! and then walks forward or backward from there.

/// The longest run a node holds inline.
const RUN_MAX: usize = 15;

#[derive(Clone, Copy, Default)]
struct Run {
    len: u8,
    b: [u8; RUN_MAX],
}

impl Run {
    fn new(s: &[u8]) -> Run {
        let mut r = Run { len: s.len() as u8, b: [0; RUN_MAX] };
        r.b[..s.len()].copy_from_slice(s);
        r
    }
    fn bytes(&self) -> &[u8] {
        &self.b[..self.len as usize]
    }
}

/// A node's children: nothing for a leaf (most nodes), else one boxed
/// vector, so a node spends one pointer on them (a Vec in the node is three).
#[allow(clippy::box_collection)]
struct Kids<V>(Option<Box<Vec<Node<V>>>>);

impl<V> Default for Kids<V> {
    fn default() -> Self {
        Kids(None)
    }
}

impl<V> Kids<V> {
    fn one(n: Node<V>) -> Kids<V> {
        Kids(Some(Box::new(vec![n])))
    }
    fn into_vec(self) -> Vec<Node<V>> {
        self.0.map_or_else(Vec::new, |b| *b)
    }
}

impl<V> std::ops::Deref for Kids<V> {
    type Target = [Node<V>];
    fn deref(&self) -> &[Node<V>] {
        match &self.0 {
            Some(v) => v,
            None => &[],
        }
    }
}

impl<V> std::ops::DerefMut for Kids<V> {
    fn deref_mut(&mut self) -> &mut [Node<V>] {
        match &mut self.0 {
            Some(v) => v,
            None => &mut [],
        }
    }
}

struct Node<V> {
    children: Kids<V>,
    run: Run,
    value: Option<V>,
}

impl<V> Node<V> {
    fn empty() -> Node<V> {
        Node { children: Kids(None), run: Run::default(), value: None }
    }

    /// The child whose run starts with `byte`, or where it would go.
    fn find(&self, byte: u8) -> Result<usize, usize> {
        self.children.binary_search_by(|c| c.run.b[0].cmp(&byte))
    }

    fn add_child(&mut self, pos: usize, child: Node<V>) {
        match &mut self.children.0 {
            // Small arrays grow exactly (no slack); wider ones by doubling, as a
            // stream's IDs fill 256-wide nodes one by one (full, they are exact again).
            Some(v) => {
                if v.len() < 8 {
                    v.reserve_exact(1);
                }
                v.insert(pos, child);
            }
            None => self.children = Kids::one(child),
        }
    }

    fn remove_child(&mut self, pos: usize) -> Node<V> {
        let v = self.children.0.as_mut().expect("a child to remove");
        let c = v.remove(pos);
        if v.is_empty() {
            self.children = Kids(None);
        } else if v.capacity() >= 2 * v.len() {
            v.shrink_to_fit();
        }
        c
    }

    /// A new key's tail `rest` (not empty) as a leaf, or a chain of full runs
    /// ending in one. Returns the nodes made.
    fn chain(rest: &[u8], value: V) -> (Node<V>, usize) {
        let pieces = rest.len().div_ceil(RUN_MAX);
        let last = (pieces - 1) * RUN_MAX;
        let mut node = Node { children: Kids(None), run: Run::new(&rest[last..]), value: Some(value) };
        for p in (0..pieces - 1).rev() {
            let above = Node { children: Kids(None), run: Run::new(&rest[p * RUN_MAX..(p + 1) * RUN_MAX]), value: None };
            node = Node { children: Kids::one(node), ..above };
        }
        (node, pieces)
    }

    /// Splits this node's run after `at` bytes: the node keeps the head with no
    /// value, and one child takes the tail with what the node had. True when
    /// the tail joined its own only child (a chain's piece): no node was added.
    fn split(&mut self, at: usize) -> bool {
        let head = Run::new(&self.run.bytes()[..at]);
        let tail = Run::new(&self.run.bytes()[at..]);
        let mut lower = std::mem::replace(self, Node { children: Kids(None), run: head, value: None });
        lower.run = tail;
        let merged = lower.compress();
        self.children = Kids::one(lower);
        merged
    }

    /// Folds the only child of a node with no value into it when both runs
    /// fit in one (true: a node fewer); when they do not, fills this node's
    /// run from the child's, and so on down the chain (a split long run
    /// shifts its pieces), so such a node is always a full chain piece.
    fn compress(&mut self) -> bool {
        let mut node = self;
        loop {
            if node.value.is_some() || node.children.len() != 1 {
                return false;
            }
            let mut run = node.run.bytes().to_vec();
            run.extend_from_slice(node.children[0].run.bytes());
            if run.len() <= RUN_MAX {
                let mut only = std::mem::take(&mut node.children).into_vec().pop().unwrap();
                only.run = Run::new(&run);
                *node = only;
                return true;
            }
            if node.run.len as usize == RUN_MAX {
                return false;
            }
            node.run = Run::new(&run[..RUN_MAX]);
            node.children[0].run = Run::new(&run[RUN_MAX..]);
            node = &mut node.children[0];
        }
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A fixed path of child indices kept on the stack for the usual depths.
struct Path {
    inline: [u32; 24],
    n: usize,
    spill: Vec<u32>,
}

impl Path {
    fn new() -> Path {
        Path { inline: [0; 24], n: 0, spill: Vec::new() }
    }
    fn push(&mut self, i: usize) {
        if self.n < self.inline.len() {
            self.inline[self.n] = i as u32;
        } else {
            self.spill.push(i as u32);
        }
        self.n += 1;
    }
    fn get(&self, d: usize) -> usize {
        if d < self.inline.len() {
            self.inline[d] as usize
        } else {
            self.spill[d - self.inline.len()] as usize
        }
    }
}

pub struct Rax<V> {
    root: Node<V>,
    len: usize,
    nodes: usize,
}

impl<V> Default for Rax<V> {
    fn default() -> Self {
        Rax::new()
    }
}

/// raxSeek's operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seek {
    /// `^`: the first key.
    First,
    /// `$`: the last key.
    Last,
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
}

impl<V> Rax<V> {
    pub fn new() -> Rax<V> {
        Rax { root: Node::empty(), len: 0, nodes: 1 }
    }

    /// Keys stored.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Nodes in the tree (the root included).
    pub fn node_count(&self) -> usize {
        self.nodes
    }


    /// Reports each allocation the tree itself holds (requested sizes: every
    /// child array's box and buffer) to `block`, and each value to `value`
    /// (what a value owns is the caller's to count). MEMORY USAGE.
    pub fn allocations(&self, block: &mut dyn FnMut(usize), value: &mut dyn FnMut(&V)) {
        let mut stack = vec![&self.root];
        while let Some(n) = stack.pop() {
            if let Some(v) = &n.value {
                value(v);
            }
            if let Some(kids) = &n.children.0 {
                block(std::mem::size_of::<Vec<Node<V>>>());
                block(kids.capacity() * std::mem::size_of::<Node<V>>());
                stack.extend(kids.iter());
            }
        }
    }

    fn find_node(&self, key: &[u8]) -> Option<&Node<V>> {
        let mut node = &self.root;
        let mut rest = key;
        while !rest.is_empty() {
            let c = &node.children[node.find(rest[0]).ok()?];
            rest = rest.strip_prefix(c.run.bytes())?;
            node = c;
        }
        Some(node)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find_node(key)?.value.as_ref()
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find_node_mut(key, &mut Path::new())?.value.as_mut()
    }

    /// The node `key` ends at, the child indices down to it in `path`.
    fn find_node_mut(&mut self, key: &[u8], path: &mut Path) -> Option<&mut Node<V>> {
        let mut node = &mut self.root;
        let mut rest = key;
        while !rest.is_empty() {
            let i = node.find(rest[0]).ok()?;
            let c = &mut node.children[i];
            rest = rest.strip_prefix(c.run.bytes())?;
            path.push(i);
            node = c;
        }
        Some(node)
    }

    /// Stores `value` at `key`; returns the value it replaces (raxInsert).
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let mut node = &mut self.root;
        let mut rest = key;
        loop {
            if rest.is_empty() {
                let old = node.value.replace(value);
                if old.is_none() {
                    self.len += 1;
                }
                return old;
            }
            match node.find(rest[0]) {
                Err(pos) => {
                    let (leaf, made) = Node::chain(rest, value);
                    node.add_child(pos, leaf);
                    self.nodes += made;
                    self.len += 1;
                    return None;
                }
                Ok(i) => {
                    let c = &mut node.children[i];
                    let m = common_prefix(c.run.bytes(), rest);
                    if m < c.run.len as usize && !c.split(m) {
                        self.nodes += 1;
                    }
                    node = c;
                    rest = &rest[m..];
                }
            }
        }
    }

    /// Stores `value` at `key` only if the key is absent (raxTryInsert); gives
    /// the value back when it was present.
    pub fn try_insert(&mut self, key: &[u8], value: V) -> Result<(), V> {
        if self.contains_key(key) {
            return Err(value);
        }
        self.insert(key, value);
        Ok(())
    }

    fn node_at(&mut self, path: &Path, depth: usize) -> &mut Node<V> {
        let mut node = &mut self.root;
        for d in 0..depth {
            node = &mut node.children[path.get(d)];
        }
        node
    }

    /// Removes `key`; returns its value (raxRemove). The tree is compressed
    /// again around the key: an emptied node goes, and a node left with no
    /// value and one child merges with it when their runs fit in one.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let mut path = Path::new();
        let value = self.find_node_mut(key, &mut path)?.value.take()?;
        self.len -= 1;
        let mut depth = path.n;
        while depth > 0 {
            let i = path.get(depth - 1);
            let parent = self.node_at(&path, depth - 1);
            let c = &mut parent.children[i];
            if c.value.is_some() {
                break;
            }
            if c.children.is_empty() {
                parent.remove_child(i);
                self.nodes -= 1;
                depth -= 1;
                continue;
            }
            if c.compress() {
                self.nodes -= 1;
            }
            break;
        }
        Some(value)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        *self = Rax::new();
    }

    /// A cursor positioned by `seek` (nothing found: `valid()` is false).
    pub fn seek(&self, op: Seek, key: &[u8]) -> Cursor<'_, V> {
        // Room for a stream ID's path and key: one allocation each.
        let mut c = Cursor { root: &self.root, stack: Vec::with_capacity(8), key: Vec::with_capacity(32) };
        c.seek(op, key);
        c
    }

    /// The keys and values in order (each key copied out).
    pub fn iter(&self) -> Walk<'_, V, Vec<u8>> {
        self.into_iter()
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.walk(Seek::First, b"", false, |_| ()).map(|(_, v)| v)
    }

    /// From where `seek(op, key)` lands, forward or (`rev`) backward, each key
    /// made by `decode`.
    pub fn walk<'a, K>(&'a self, op: Seek, key: &[u8], rev: bool, decode: fn(&[u8]) -> K) -> Walk<'a, V, K> {
        Walk { cur: self.seek(op, key), rev, started: false, decode }
    }

    /// The first key's value.
    pub fn first_value(&self) -> Option<&V> {
        let mut node = &self.root;
        while node.value.is_none() {
            node = node.children.first()?;
        }
        node.value.as_ref()
    }

    /// The last key's value, mutable; its key's runs are passed to `on_run` in order.
    pub fn last_mut(&mut self, mut on_run: impl FnMut(&[u8])) -> Option<&mut V> {
        let mut node = &mut self.root;
        while !node.children.is_empty() {
            node = node.children.last_mut().unwrap();
            on_run(node.run.bytes());
        }
        node.value.as_mut()
    }
}

impl<'a, V> IntoIterator for &'a Rax<V> {
    type Item = (Vec<u8>, &'a V);
    type IntoIter = Walk<'a, V, Vec<u8>>;
    fn into_iter(self) -> Self::IntoIter {
        self.walk(Seek::First, b"", false, |k| k.to_vec())
    }
}

impl<V> std::ops::Index<&[u8]> for Rax<V> {
    type Output = V;
    fn index(&self, key: &[u8]) -> &V {
        self.get(key).expect("a key in the rax")
    }
}

impl<V> Drop for Rax<V> {
    /// Drops node by node from a stack: a deep chain must not recurse.
    fn drop(&mut self) {
        let mut stack: Vec<Node<V>> = std::mem::take(&mut self.root.children).into_vec();
        while let Some(mut n) = stack.pop() {
            stack.extend(std::mem::take(&mut n.children).into_vec());
        }
    }
}

impl<V: Clone> Clone for Rax<V> {
    fn clone(&self) -> Self {
        let mut out = Rax::new();
        let mut c = self.seek(Seek::First, b"");
        while c.valid() {
            out.insert(c.key(), c.value().clone());
            c.next();
        }
        out
    }
}

struct Frame<'a, V> {
    node: &'a Node<V>,
    /// Its index among its parent's children.
    idx: usize,
    /// The key's length before this node's run.
    keylen: usize,
}

/// A position in the tree (raxIterator): the path from the root to a node
/// that holds a key, and that key. Invalid once a walk passes either end.
pub struct Cursor<'a, V> {
    root: &'a Node<V>,
    stack: Vec<Frame<'a, V>>,
    key: Vec<u8>,
}

impl<'a, V> Cursor<'a, V> {
    pub fn valid(&self) -> bool {
        !self.stack.is_empty()
    }

    /// The current key (valid cursors only).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    pub fn value(&self) -> &'a V {
        self.top().value.as_ref().expect("cursor on a key")
    }

    fn top(&self) -> &'a Node<V> {
        self.stack.last().unwrap().node
    }

    fn push(&mut self, node: &'a Node<V>, idx: usize) {
        self.stack.push(Frame { node, idx, keylen: self.key.len() });
        self.key.extend_from_slice(node.run.bytes());
    }

    fn pop(&mut self) -> Option<Frame<'a, V>> {
        let f = self.stack.pop()?;
        self.key.truncate(f.keylen);
        Some(f)
    }

    /// Makes the cursor invalid; returns false.
    fn end(&mut self) -> bool {
        self.stack.clear();
        self.key.clear();
        false
    }

    /// Down to the smallest key under the top node (itself included).
    fn descend_first(&mut self) -> bool {
        loop {
            let n = self.top();
            if n.value.is_some() {
                return true;
            }
            match n.children.first() {
                Some(c) => self.push(c, 0),
                None => return self.end(), // the empty tree's root
            }
        }
    }

    /// Down to the largest key under the top node (itself included).
    fn descend_last(&mut self) -> bool {
        loop {
            let n = self.top();
            match n.children.last() {
                Some(c) => self.push(c, n.children.len() - 1),
                None => return n.value.is_some() || self.end(),
            }
        }
    }

    /// To the smallest key after everything under the top node.
    fn after_subtree(&mut self) -> bool {
        loop {
            let Some(f) = self.pop() else { return self.end() };
            let Some(p) = self.stack.last().map(|p| p.node) else { return self.end() };
            if f.idx + 1 < p.children.len() {
                self.push(&p.children[f.idx + 1], f.idx + 1);
                return self.descend_first();
            }
        }
    }

    /// To the largest key before everything under the top node (itself included).
    fn before_subtree(&mut self) -> bool {
        loop {
            let Some(f) = self.pop() else { return self.end() };
            let Some(p) = self.stack.last().map(|p| p.node) else { return self.end() };
            if f.idx > 0 {
                self.push(&p.children[f.idx - 1], f.idx - 1);
                return self.descend_last();
            }
            if p.value.is_some() {
                return true;
            }
        }
    }

    /// To the next key (raxNext); false at the end.
    #[allow(clippy::should_implement_trait)] // a cursor that moves both ways, not an Iterator
    pub fn next(&mut self) -> bool {
        if !self.valid() {
            return false;
        }
        match self.top().children.first() {
            Some(c) => {
                self.push(c, 0);
                self.descend_first()
            }
            None => self.after_subtree(),
        }
    }

    /// To the previous key (raxPrev); false at the start.
    pub fn prev(&mut self) -> bool {
        if !self.valid() {
            return false;
        }
        self.before_subtree()
    }

    /// Positions the cursor as raxSeek does; true if a key is there.
    pub fn seek(&mut self, op: Seek, target: &[u8]) -> bool {
        self.end();
        self.push(self.root, 0);
        match op {
            Seek::First => return self.descend_first(),
            Seek::Last => return self.descend_last(),
            _ => {}
        }
        let up = matches!(op, Seek::Ge | Seek::Gt);
        let mut rest = target;
        loop {
            let n = self.top();
            if rest.is_empty() {
                // The target's own node: its key, or the keys under it (all greater).
                return match op {
                    Seek::Ge | Seek::Le | Seek::Eq if n.value.is_some() => true,
                    Seek::Eq => self.end(),
                    Seek::Gt if n.value.is_some() => self.next(),
                    Seek::Ge | Seek::Gt => self.descend_first(),
                    _ => self.before_subtree(),
                };
            }
            match n.find(rest[0]) {
                Err(pos) => {
                    // No child continues the target: it falls between children.
                    return match op {
                        Seek::Eq => self.end(),
                        _ if up && pos < n.children.len() => {
                            self.push(&n.children[pos], pos);
                            self.descend_first()
                        }
                        _ if up => self.after_subtree(),
                        _ if pos > 0 => {
                            self.push(&n.children[pos - 1], pos - 1);
                            self.descend_last()
                        }
                        _ if n.value.is_some() => true,
                        _ => self.before_subtree(),
                    };
                }
                Ok(i) => {
                    let c = &n.children[i];
                    let run = c.run.bytes();
                    let m = common_prefix(run, rest);
                    self.push(c, i);
                    if m == run.len() {
                        rest = &rest[m..];
                        continue;
                    }
                    // The target leaves the run: everything under `c` is on one side of it.
                    let greater = m == rest.len() || run[m] > rest[m];
                    return match (op, greater) {
                        (Seek::Eq, _) => self.end(),
                        (_, true) if up => self.descend_first(),
                        (_, true) => self.before_subtree(),
                        (_, false) if up => self.after_subtree(),
                        (_, false) => self.descend_last(),
                    };
                }
            }
        }
    }
}

/// An iterator from a seek, forward or backward.
pub struct Walk<'a, V, K> {
    cur: Cursor<'a, V>,
    rev: bool,
    started: bool,
    decode: fn(&[u8]) -> K,
}

impl<V, K> Walk<'_, V, K> {
    /// Whether the walk has nothing (more) to give.
    pub fn at_end(&self) -> bool {
        !self.cur.valid()
    }
}

impl<'a, V, K> Iterator for Walk<'a, V, K> {
    type Item = (K, &'a V);
    fn next(&mut self) -> Option<(K, &'a V)> {
        if self.started {
            if self.rev {
                self.cur.prev();
            } else {
                self.cur.next();
            }
        }
        self.started = true;
        if !self.cur.valid() {
            return None;
        }
        Some(((self.decode)(self.cur.key()), self.cur.value()))
    }
}

#[cfg(test)]
mod tests;
