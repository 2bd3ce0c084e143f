//! The set type's encodings and conversions, against Redis 7.2's rules.
use super::algebra::{intersect_into_set, union_or_diff};
use super::random::ordered_sample;
use super::*;

fn set_of(members: &[&str]) -> Set {
    let mut s = Set::create(members[0].as_bytes(), members.len());
    for m in members {
        s.add(m.as_bytes());
    }
    s
}

fn members(s: &Set) -> Vec<String> {
    s.iter().map(|e| String::from_utf8(e.to_vec()).unwrap()).collect()
}

#[test]
fn encodings_follow_redis_7_2() {
    // Integers: an intset, sorted.
    let s = set_of(&["3", "1", "2"]);
    assert_eq!(s.encoding(), "intset");
    assert_eq!(members(&s), ["1", "2", "3"]);
    // A string joins a small intset: a listpack, integers first in order.
    let mut s = set_of(&["3", "1"]);
    assert!(s.add(b"a"));
    assert_eq!(s.encoding(), "listpack");
    assert_eq!(members(&s), ["1", "3", "a"]);
    // A string over set-max-listpack-value: a hash table.
    let mut s = set_of(&["1"]);
    s.add(&[b'x'; 65]);
    assert_eq!(s.encoding(), "hashtable");
    // An intset past set-max-listpack-entries that meets a string: a hash table.
    let mut s = Set::create(b"0", 1);
    for i in 0..128 {
        s.add(i.to_string().as_bytes());
    }
    assert_eq!(s.encoding(), "intset");
    s.add(b"a");
    assert_eq!(s.encoding(), "hashtable");
    // Strings: a listpack up to 128, then a hash table.
    let mut s = Set::create(b"a", 1);
    for i in 0..128 {
        s.add(format!("m{i}").as_bytes());
    }
    assert_eq!((s.encoding(), s.len()), ("listpack", 128));
    s.add(b"one more");
    assert_eq!((s.encoding(), s.len()), ("hashtable", 129));
    // An intset past set-max-intset-entries: a hash table.
    let mut s = Set::create(b"1", 1);
    for i in 0..513 {
        s.add(i.to_string().as_bytes());
    }
    assert_eq!(s.encoding(), "hashtable");
    // SADD's size hint converts ahead.
    let mut s = set_of(&["a"]);
    s.maybe_convert(129);
    assert_eq!(s.encoding(), "hashtable");
    assert_eq!(Set::create(b"1", 513).encoding(), "hashtable");
    assert_eq!(Set::create(b"1", 200).encoding(), "intset");
    assert_eq!(Set::create(b"a", 128).encoding(), "listpack");
}

#[test]
fn members_compare_by_value_across_encodings() {
    for s in [set_of(&["1", "2", "x"]), { let mut t = set_of(&["1", "2", "x"]); t.convert_to_table(); t }] {
        assert!(s.contains(b"1") && s.contains(b"x") && !s.contains(b"01") && !s.contains(b"3"));
        assert!(s.contains_elem(LpEntry::Int(2)));
    }
    let mut s = set_of(&["1", "2"]);
    assert!(!s.remove(b"01"));
    assert!(s.remove(b"1"));
    assert_eq!(members(&s), ["2"]);
}

#[test]
fn sinterstore_results_are_encoded_as_redis_builds_them() {
    // Integers out of hash tables: an intset again.
    let mut a = Set::create(b"x", 300);
    let mut b = Set::create(b"x", 300);
    for i in 0..300 {
        a.add(i.to_string().as_bytes());
        b.add((i * 2).to_string().as_bytes());
    }
    assert_eq!(a.encoding(), "hashtable");
    let r = intersect_into_set(&[(b"a", &a), (b"b", &b)]);
    assert_eq!((r.encoding(), r.len()), ("intset", 150));
    // A string among them: what was built stays (a hash table past 128).
    a.add(b"s");
    b.add(b"s");
    let r = intersect_into_set(&[(b"a", &a), (b"b", &b)]);
    assert_eq!((r.encoding(), r.len()), ("hashtable", 151));
    // Integers of a listpack: an intset; with a string, a listpack in the walk's order.
    let small = set_of(&["q", "2", "4"]);
    let r = intersect_into_set(&[(b"s", &small), (b"b", &b)]);
    assert_eq!(r.encoding(), "intset");
    assert_eq!(members(&r), ["2", "4"]);
    let small = set_of(&["s", "4", "q", "2"]);
    let r = intersect_into_set(&[(b"s", &small), (b"b", &b)]);
    assert_eq!(r.encoding(), "listpack");
    assert_eq!(members(&r), ["s", "4", "2"]);
}

#[test]
fn union_from_an_intset_reorders_a_listpack_like_redis() {
    let mut lp = Set::new_listpack();
    for m in ["3", "1", "a", "2"] {
        lp.add(m.as_bytes());
    }
    let u = union_or_diff(&[Some((b"k", &lp))], false);
    assert_eq!(u.encoding(), "listpack");
    assert_eq!(members(&u), ["1", "3", "a", "2"]);
    let d = union_or_diff(&[Some((b"k", &lp)), Some((b"k", &lp))], true);
    assert!(d.is_empty());
    let other = set_of(&["1"]);
    let d = union_or_diff(&[Some((b"k", &lp)), None, Some((b"o", &other))], true);
    assert_eq!(members(&d), ["3", "a", "2"]);
}

#[test]
fn ordered_sample_is_a_uniform_subset() {
    let mut rng = 12345u64;
    let mut hits = [0usize; 10];
    for _ in 0..20000 {
        let s = ordered_sample(&mut rng, 10, 3);
        assert_eq!(s.len(), 3);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        for i in s {
            hits[i] += 1;
        }
    }
    for h in hits {
        assert!((5000..7000).contains(&h), "{hits:?}");
    }
}

#[test]
fn a_set_is_small() {
    assert_eq!(std::mem::size_of::<Set>(), 24);
}

#[test]
fn digest_ignores_encoding_and_order() {
    let a = set_of(&["1", "2", "3"]);
    let mut b = Set::new_listpack();
    for m in ["3", "2", "1"] {
        b.add(m.as_bytes());
    }
    let mut c = b.clone();
    c.convert_to_table();
    let (mut da, mut db, mut dc) = ([0u8; 20], [0u8; 20], [0u8; 20]);
    a.digest(&mut da);
    b.digest(&mut db);
    c.digest(&mut dc);
    assert_eq!(da, db);
    assert_eq!(db, dc);
}
