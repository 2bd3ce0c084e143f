//! The stream's structure: the node layout against bytes Redis 7.2 dumps,
//! round trips against a model, trimming, deletion and ID order.
use super::id::{parse, parse_interval, parse_strict};
use super::*;
use std::collections::BTreeMap;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn all(s: &Stream) -> Vec<(Id, Vec<Vec<u8>>)> {
    let mut v = Vec::new();
    s.range(Id::MIN, Id::MAX, false, 0, |id, f| {
        v.push((id, f.to_vec()));
        true
    });
    v
}

#[test]
fn nodes_are_laid_out_as_redis_dumps_them() {
    // Redis 7.2 with stream-node-max-entries 2: XADD d 1-1 a 1 b 2, 1-2 a 3 b 4,
    // 2-0 x yy, 3-5 a 100000 b -7, XDEL d 1-2; DUMP d (rdbcompression no) holds these.
    let mut s = Stream::default();
    s.append_within(Id::new(1, 1), &[b"a", b"1", b"b", b"2"], 4096, 2);
    s.append_within(Id::new(1, 2), &[b"a", b"3", b"b", b"4"], 4096, 2);
    s.append_within(Id::new(2, 0), &[b"x", b"yy"], 4096, 2);
    s.append_within(Id::new(3, 5), &[b"a", b"100000", b"b", b"-7"], 4096, 2);
    assert!(s.delete(Id::new(1, 2)));
    let nodes: Vec<(u128, Vec<u8>)> = s.nodes.iter().map(|(k, lp)| (k.key(), lp.as_bytes().to_vec())).collect();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].0.to_be_bytes().to_vec(), unhex("00000000000000010000000000000001"));
    assert_eq!(nodes[0].1, unhex("2d00000012000101010102018161028162020001020100010001010102010501030100010101030104010501ff"));
    assert_eq!(nodes[1].0.to_be_bytes().to_vec(), unhex("00000000000000020000000000000000"));
    assert_eq!(
        nodes[1].1,
        unhex("36000000130002010001010181780200010201000100018279790304010001010105010201816102f2a0860104816202dff9020801ff")
    );
    assert_eq!(s.length, 3);
    assert_eq!(s.entries_added, 4);
    assert_eq!(s.last_id, Id::new(3, 5));
}

use crate::testutil::Rng;

#[test]
fn ranges_match_a_model_through_appends_and_deletes() {
    for seed in [1u64, 7, 99, 12345] {
        let mut rng = Rng(seed * 0x9E37_79B9_7F4A_7C15 + 1);
        let mut s = Stream::default();
        let mut model: BTreeMap<Id, Vec<Vec<u8>>> = BTreeMap::new();
        let mut last = Id::MIN;
        let max_entries = 1 + rng.below(8) as i64;
        for _ in 0..600 {
            if rng.below(4) == 0 && !model.is_empty() {
                let k = *model.keys().nth(rng.below(model.len() as u64) as usize).unwrap();
                assert!(s.delete(k));
                assert!(!s.delete(k));
                model.remove(&k);
                continue;
            }
            let id = Id::new(last.ms + rng.below(3), if rng.below(2) == 0 { last.seq + 1 } else { rng.below(1 << 40) });
            if id <= last {
                continue;
            }
            last = id;
            let n = 1 + rng.below(3) as usize;
            let fv: Vec<Vec<u8>> = (0..2 * n)
                .map(|i| if i % 2 == 0 { format!("f{}", rng.below(3)).into_bytes() } else { rng.below(1000).to_string().into_bytes() })
                .collect();
            let refs: Vec<&[u8]> = fv.iter().map(|v| v.as_slice()).collect();
            s.append_within(id, &refs, 4096, max_entries);
            model.insert(id, fv);
        }
        assert_eq!(s.length as usize, model.len());
        let want: Vec<_> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(all(&s), want);
        // Bounded ranges, both ways, with counts.
        for _ in 0..50 {
            let a = Id::new(rng.below(last.ms + 2), rng.below(1 << 40));
            let b = Id::new(rng.below(last.ms + 2), rng.below(1 << 40));
            let count = rng.below(5) as usize;
            let mut fwd = Vec::new();
            s.range(a, b, false, count, |id, _| {
                fwd.push(id);
                true
            });
            let mut exp: Vec<Id> = model.range(a..=b.max(a)).map(|(k, _)| *k).filter(|k| *k <= b).collect();
            if count > 0 {
                exp.truncate(count);
            }
            assert_eq!(fwd, exp);
            // Backwards (walking the nodes by their lp-counts), fields included.
            let mut rev = Vec::new();
            s.range(a, b, true, count, |id, f| {
                rev.push((id, f.to_vec()));
                true
            });
            let mut exp: Vec<(Id, Vec<Vec<u8>>)> = model.range(a..=b.max(a)).rev().map(|(k, v)| (*k, v.clone())).filter(|(k, _)| *k <= b).collect();
            if count > 0 {
                exp.truncate(count);
            }
            assert_eq!(rev, exp);
        }
        // Forward ranges starting in the tail node (found walking back from its end), at,
        // just after and just before each of the last entries, deleted ones included.
        let tail: Vec<Id> = model.keys().rev().take(12).copied().collect();
        let mut starts: Vec<Id> = tail.iter().flat_map(|&k| [k, k.incr().unwrap(), k.decr().unwrap_or(k)]).collect();
        starts.extend([last, last.incr().unwrap(), Id::new(last.ms, 0)]);
        for &a in &starts {
            for count in [0, 1, 2, 5] {
                let mut got = Vec::new();
                s.range(a, Id::MAX, false, count, |id, f| {
                    got.push((id, f.to_vec()));
                    true
                });
                let mut exp: Vec<(Id, Vec<Vec<u8>>)> = model.range(a..).map(|(k, v)| (*k, v.clone())).collect();
                if count > 0 {
                    exp.truncate(count);
                }
                assert_eq!(got, exp, "from {a:?} count {count}");
            }
        }
        assert_eq!(s.edge_id(true), model.keys().next().copied());
        assert_eq!(s.edge_id(false), model.keys().next_back().copied());
        // Every node's counters add up.
        let live: i64 = s.nodes.values().map(|lp| node::counts(lp).0).sum();
        assert_eq!(live as u64, s.length);
    }
}

fn filled(n: u64, per_node: i64) -> Stream {
    let mut s = Stream::default();
    for i in 1..=n {
        s.append_within(Id::new(i, 0), &[b"f", b"v"], 4096, per_node);
    }
    s
}

#[test]
fn exact_trims_leave_exactly_what_they_say() {
    let mut s = filled(25, 10);
    assert_eq!(s.trim(Trim::MaxLen(12), false, 0), 13);
    assert_eq!(s.length, 12);
    assert_eq!(s.first_id, Id::new(14, 0));
    assert_eq!(all(&s).first().unwrap().0, Id::new(14, 0));
    // The first node was dropped whole; the second keeps its deleted entries.
    assert_eq!(s.nodes.len(), 2);
    assert_eq!(node::counts(s.nodes.values().next().unwrap()), (7, 3));
    assert_eq!(s.trim(Trim::MinId(Id::new(20, 0)), false, 0), 6);
    assert_eq!(all(&s).first().unwrap().0, Id::new(20, 0));
    assert_eq!(s.trim(Trim::MaxLen(100), false, 0), 0);
    assert_eq!(s.trim(Trim::MaxLen(0), false, 0), 6);
    assert_eq!(s.length, 0);
    assert_eq!(s.first_id, Id::MIN);
    assert_eq!(s.last_id, Id::new(25, 0), "trimming keeps the last ID");
}

#[test]
fn approximate_trims_remove_whole_nodes_only_within_the_limit() {
    let mut s = filled(25, 10);
    assert_eq!(s.trim(Trim::MaxLen(12), true, 0), 10);
    assert_eq!(s.length, 15);
    assert_eq!(s.trim(Trim::MaxLen(0), true, 5), 0, "a node bigger than LIMIT stays");
    assert_eq!(s.trim(Trim::MinId(Id::new(21, 0)), true, 0), 10);
    assert_eq!(s.length, 5);
    assert_eq!(s.first_id, Id::new(21, 0));
}

#[test]
fn ids_order_as_their_index_keys_and_parse_as_redis() {
    let ids = [Id::new(0, 0), Id::new(0, 1), Id::new(1, 0), Id::new(1, u64::MAX), Id::new(u64::MAX, 0), Id::MAX];
    for w in ids.windows(2) {
        assert!(w[0] < w[1]);
        assert!(w[0].key() < w[1].key());
        assert_eq!(Id::from_key(w[1].key()), w[1]);
        assert_eq!(w[0].incr().unwrap() <= w[1], true);
    }
    assert_eq!(Id::MAX.incr(), None);
    assert_eq!(Id::MIN.decr(), None);
    assert_eq!(Id::new(5, 0).decr(), Some(Id::new(4, u64::MAX)));
    assert_eq!(parse_strict(b"12", 7), Some(Id::new(12, 7)));
    assert_eq!(parse_strict(b"12-3", 7), Some(Id::new(12, 3)));
    assert_eq!(parse_strict(b"18446744073709551615-18446744073709551615", 0), Some(Id::MAX));
    assert_eq!(parse_strict(b"18446744073709551616", 0), None);
    assert_eq!(parse_strict(b"-", 0), None);
    assert_eq!(parse_strict(b"1-2-3", 0), None);
    assert_eq!(parse_strict(b"-1", 0), None);
    assert_eq!(parse_strict(b"1-*", 0), None);
    let p = parse(b"9-*", 0, true, true).unwrap();
    assert!(!p.seq_given);
    assert_eq!(p.id, Id::new(9, 0));
    assert_eq!(parse_interval(b"(5", 0), Some((Id::new(5, 0), true)));
    assert_eq!(parse_interval(b"(", 0), None);
    assert_eq!(parse_interval(b"+", u64::MAX), Some((Id::MAX, false)));
}
