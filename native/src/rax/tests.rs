//! The rax against a BTreeMap model: seeded random inserts, removes, lookups,
//! seeks with every operator and walks both ways, checking the tree's shape
//! (sorted children, compressed runs, counts) as it goes.
use super::*;
use crate::testutil::Rng;
use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

type Model = BTreeMap<Vec<u8>, u64>;

/// Stream-ID-like keys: 16 bytes big-endian, a few ms values and small seqs,
/// so keys share long prefixes and differ in the last bytes.
fn id_key(rng: &mut Rng) -> Vec<u8> {
    let far = rng.below(4) == 0;
    let ms = 1_700_000_000_000u64 + rng.below(6) * if far { 1 << 40 } else { 1 };
    let wide = rng.below(3) == 0;
    let seq = rng.below(if wide { 100_000 } else { 300 });
    let mut k = ms.to_be_bytes().to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Keys of random lengths (0..40: some past a run's 15 bytes) over a small
/// alphabet, so many are prefixes of others.
fn text_key(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.below(4) {
        0 => rng.below(4),
        1 => rng.below(40),
        _ => rng.below(12),
    } as usize;
    (0..len)
        .map(|_| {
            let letters = if rng.below(5) == 0 { 5 } else { 3 };
            b"abc\xff\x00"[rng.below(letters) as usize]
        })
        .collect()
}

/// Walks the tree: sorted distinct children, no empty run below the root,
/// nodes without a value compressed, and the counts right.
fn check_shape<V>(rax: &Rax<V>) {
    let mut stack = vec![(&rax.root, true)];
    let (mut nodes, mut keys) = (0, 0);
    while let Some((n, is_root)) = stack.pop() {
        nodes += 1;
        keys += usize::from(n.value.is_some());
        if !is_root {
            assert!(n.run.len > 0, "empty run below the root");
            if n.value.is_none() {
                match n.children.len() {
                    0 => panic!("a node with no key and no children"),
                    1 => assert_eq!(n.run.len as usize, RUN_MAX, "a single child under a short run"),
                    _ => {}
                }
            }
        }
        for w in n.children.windows(2) {
            assert!(w[0].run.b[0] < w[1].run.b[0], "children out of order");
        }
        stack.extend(n.children.iter().map(|c| (c, false)));
    }
    assert_eq!(nodes, rax.node_count());
    assert_eq!(keys, rax.len());
}

fn model_seek(m: &Model, op: Seek, k: &[u8]) -> Option<Vec<u8>> {
    let k = k.to_vec();
    match op {
        Seek::First => m.keys().next().cloned(),
        Seek::Last => m.keys().next_back().cloned(),
        Seek::Ge => m.range(k..).next().map(|e| e.0.clone()),
        Seek::Gt => m.range((Excluded(k), Unbounded)).next().map(|e| e.0.clone()),
        Seek::Le => m.range(..=k).next_back().map(|e| e.0.clone()),
        Seek::Lt => m.range(..k).next_back().map(|e| e.0.clone()),
        Seek::Eq => m.contains_key(&k).then_some(k),
    }
}

const OPS: [Seek; 7] = [Seek::First, Seek::Last, Seek::Ge, Seek::Gt, Seek::Le, Seek::Lt, Seek::Eq];

fn run_model(seed: u64, steps: usize, key: fn(&mut Rng) -> Vec<u8>) {
    let mut rng = Rng(seed);
    let mut rax: Rax<u64> = Rax::new();
    let mut m = Model::new();
    for step in 0..steps {
        let k = key(&mut rng);
        match rng.below(10) {
            0..=3 => assert_eq!(rax.insert(&k, step as u64), m.insert(k, step as u64)),
            4 => {
                let r = rax.try_insert(&k, step as u64);
                if m.contains_key(&k) {
                    assert_eq!(r, Err(step as u64));
                } else {
                    assert_eq!(r, Ok(()));
                    m.insert(k, step as u64);
                }
            }
            5..=6 => assert_eq!(rax.remove(&k), m.remove(&k)),
            7 => {
                assert_eq!(rax.get(&k), m.get(&k));
                if let Some(v) = rax.get_mut(&k) {
                    *v += 1;
                    *m.get_mut(&k).unwrap() += 1;
                }
            }
            _ => {
                let op = OPS[rng.below(7) as usize];
                let mut c = rax.seek(op, &k);
                let want = model_seek(&m, op, &k);
                assert_eq!(c.valid().then(|| c.key().to_vec()), want, "seek {op:?} {k:?}");
                let Some(at) = want else { continue };
                assert_eq!(c.value(), &m[&at]);
                // Walk a few steps one way and compare with the model's order.
                let n = rng.below(8) as usize;
                let expect: Vec<Vec<u8>> = if rng.below(2) == 0 {
                    let e = m.range((Excluded(at), Unbounded)).take(n).map(|e| e.0.clone()).collect();
                    let got: Vec<Vec<u8>> = (0..n).map_while(|_| c.next().then(|| c.key().to_vec())).collect();
                    assert_eq!(got, e);
                    e
                } else {
                    let e = m.range(..at).rev().take(n).map(|e| e.0.clone()).collect();
                    let got: Vec<Vec<u8>> = (0..n).map_while(|_| c.prev().then(|| c.key().to_vec())).collect();
                    assert_eq!(got, e);
                    e
                };
                let _ = expect;
            }
        }
        assert_eq!(rax.len(), m.len());
        if step % 97 == 0 {
            check_shape(&rax);
        }
    }
    check_shape(&rax);
    // Whole walks both ways, then everything removed.
    let fwd: Vec<(Vec<u8>, u64)> = rax.iter().map(|(k, v)| (k, *v)).collect();
    assert_eq!(fwd, m.iter().map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>());
    let back: Vec<Vec<u8>> = rax.walk(Seek::Last, b"", true, |k| k.to_vec()).map(|e| e.0).collect();
    assert_eq!(back, m.keys().rev().cloned().collect::<Vec<_>>());
    let copy = rax.clone();
    check_shape(&copy);
    assert_eq!(copy.iter().map(|(k, v)| (k, *v)).collect::<Vec<_>>(), fwd);
    let keys: Vec<Vec<u8>> = m.keys().cloned().collect();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(rax.remove(k), m.remove(k));
        if i % 50 == 0 {
            check_shape(&rax);
        }
    }
    assert!(rax.is_empty());
    assert_eq!(rax.node_count(), 1);
}

#[test]
fn model_stream_ids() {
    for seed in 1..=6 {
        run_model(seed * 7919, 20_000, id_key);
    }
}

#[test]
fn model_text_keys() {
    for seed in 1..=6 {
        run_model(seed * 104_729, 20_000, text_key);
    }
}

#[test]
fn empty_tree_and_empty_key() {
    let mut rax: Rax<u8> = Rax::new();
    for op in OPS {
        assert!(!rax.seek(op, b"x").valid());
    }
    assert_eq!(rax.first_value(), None);
    assert_eq!(rax.last_mut(|_| {}), None);
    rax.insert(b"", 1);
    rax.insert(b"a", 2);
    assert_eq!(rax.seek(Seek::First, b"").key(), b"");
    assert_eq!(rax.seek(Seek::Lt, b"a").key(), b"");
    assert!(!rax.seek(Seek::Lt, b"").valid());
    assert_eq!(rax.seek(Seek::Gt, b"").key(), b"a");
    let mut last = Vec::new();
    assert_eq!(rax.last_mut(|r| last.extend_from_slice(r)), Some(&mut 2));
    assert_eq!(last, b"a");
    assert_eq!(rax.remove(b""), Some(1));
    assert_eq!(rax.first_value(), Some(&2));
}

#[test]
fn long_keys_chain_and_unchain() {
    // A 100 KB key is a chain of full runs; removing it must not recurse.
    let mut rax: Rax<u32> = Rax::new();
    let long = vec![b'x'; 100_000];
    rax.insert(&long, 1);
    rax.insert(&long[..50_000], 2);
    check_shape(&rax);
    assert_eq!(rax.get(&long), Some(&1));
    assert_eq!(rax.seek(Seek::Lt, &long).key().len(), 50_000);
    assert_eq!(rax.remove(&long), Some(1));
    check_shape(&rax);
    let copy = rax.clone();
    drop(rax);
    assert_eq!(copy.get(&long[..50_000]), Some(&2));
}

/// Bytes per key, the rax against BTreeMap/BTreeSet, for 100,000 stream IDs as
/// a busy stream makes them (a few per millisecond). Run alone, it prints:
/// cargo test --release rax::tests::memory -- --ignored --nocapture --test-threads=1
#[test]
#[ignore]
fn memory_per_key() {
    use crate::alloc::allocated_bytes;
    let ids: Vec<[u8; 16]> = (0..100_000u64)
        .map(|i| {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&(1_700_000_000_000 + i / 3).to_be_bytes());
            k[8..].copy_from_slice(&(i % 3).to_be_bytes());
            k
        })
        .collect();
    let per = |before: usize| (allocated_bytes() - before) as f64 / ids.len() as f64;
    let b = allocated_bytes();
    let mut set = std::collections::BTreeSet::new();
    ids.iter().for_each(|k| {
        set.insert(*k);
    });
    let btree_set = per(b);
    let b = allocated_bytes();
    let mut rax_set: Rax<()> = Rax::new();
    ids.iter().for_each(|k| {
        rax_set.insert(k, ());
    });
    let rax_unit = per(b);
    let b = allocated_bytes();
    let mut map = BTreeMap::new();
    ids.iter().for_each(|k| {
        map.insert(*k, [0u64; 4]);
    });
    let btree_map = per(b);
    let b = allocated_bytes();
    let mut rax_map: Rax<[u64; 4]> = Rax::new();
    ids.iter().for_each(|k| {
        rax_map.insert(k, [0; 4]);
    });
    let rax_32 = per(b);
    println!("bytes per key: BTreeSet<[u8;16]> {btree_set:.1}, Rax<()> {rax_unit:.1}; BTreeMap<[u8;16], 32 bytes> {btree_map:.1}, Rax<32 bytes> {rax_32:.1}");
    println!("rax nodes {} for {} keys", rax_set.node_count(), rax_set.len());
}

/// Time per insert and per seek, the rax against BTreeMap, for sequential
/// stream IDs (what a PEL sees). Run alone:
/// cargo test --release rax::tests::speed -- --ignored --nocapture
#[test]
#[ignore]
fn speed_sequential_ids() {
    let n = 200_000u64;
    let key = |i: u64| {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&(1_700_000_000_000 + i).to_be_bytes());
        k[8..].copy_from_slice(&1u64.to_be_bytes());
        k
    };
    let t = std::time::Instant::now();
    let mut rax: Rax<[u64; 4]> = Rax::new();
    for i in 0..n {
        rax.insert(&key(i), [i; 4]);
    }
    let rax_insert = t.elapsed().as_nanos() as f64 / n as f64;
    let t = std::time::Instant::now();
    let mut map = BTreeMap::new();
    for i in 0..n {
        map.insert(key(i), [i; 4]);
    }
    let map_insert = t.elapsed().as_nanos() as f64 / n as f64;
    let t = std::time::Instant::now();
    let mut sum = 0u64;
    for i in 0..n {
        sum += rax.seek(Seek::Ge, &key(i)).value()[0];
    }
    let rax_seek = t.elapsed().as_nanos() as f64 / n as f64;
    let t = std::time::Instant::now();
    for i in 0..n {
        sum += map.range(key(i)..).next().unwrap().1[0];
    }
    let map_seek = t.elapsed().as_nanos() as f64 / n as f64;
    let t = std::time::Instant::now();
    for i in 0..n {
        rax.remove(&key(i));
    }
    let rax_remove = t.elapsed().as_nanos() as f64 / n as f64;
    println!("ns per op: insert rax {rax_insert:.0} btree {map_insert:.0}; seek >= rax {rax_seek:.0} btree {map_seek:.0}; remove rax {rax_remove:.0} ({sum})");
}
