//! Unit tests of the zset type: both encodings against a model.
use super::*;

fn members(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
    let mut v = Vec::new();
    z.for_each(|m, s| v.push((m.to_vec(), s)));
    v
}

#[test]
fn add_update_remove_in_both_encodings() {
    for skip in [false, true] {
        let mut z = ZSet::new_for(1, 1);
        if skip {
            z.to_skiplist();
        }
        assert_eq!(z.insert(b"b", 2.0), Added::New);
        assert_eq!(z.insert(b"a", 2.0), Added::New);
        assert_eq!(z.insert(b"10", 1.5), Added::New);
        assert_eq!(z.insert(b"a", 2.0), Added::Same);
        assert_eq!(z.insert(b"a", 3.0), Added::Updated);
        assert_eq!(members(&z), vec![(b"10".to_vec(), 1.5), (b"b".to_vec(), 2.0), (b"a".to_vec(), 3.0)]);
        assert_eq!(z.rank(b"a", false), Some((2, 3.0)));
        assert_eq!(z.rank(b"a", true), Some((0, 3.0)));
        let f = AddFlags { incr: true, ..Default::default() };
        assert_eq!(z.add(1.0, b"10", f), Ok((Added::Updated, 2.5)));
        assert_eq!(z.add(f64::NEG_INFINITY, b"x", f), Ok((Added::New, f64::NEG_INFINITY)));
        assert_eq!(z.add(f64::INFINITY, b"x", f), Err(NanScore));
        assert!(z.remove(b"b"));
        assert!(!z.remove(b"b"));
        assert_eq!(z.len(), 3);
        assert_eq!(z.encoding(), if skip { "skiplist" } else { "listpack" });
    }
}

#[test]
fn converts_at_the_thresholds() {
    let mut z = ZSet::new_for(1, 1);
    for i in 0..max_entries() {
        z.insert(format!("m{i}").as_bytes(), i as f64);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"one-more", 0.5);
    assert_eq!(z.encoding(), "skiplist");
    let mut z = ZSet::new_for(1, 1);
    z.insert(&[b'x'; 65], 1.0);
    assert_eq!(z.encoding(), "skiplist");
    assert_eq!(ZSet::from_pairs(vec![(b"a".to_vec(), 1.0)]).encoding(), "listpack");
}

#[test]
fn scores_stored_as_redis_text() {
    let mut z = ZSet::new_for(1, 1);
    z.insert(b"a", 1.5);
    z.insert(b"b", 1e20);
    z.insert(b"c", 3.0);
    let lp = z.listpack().unwrap();
    let v: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
    assert_eq!(v, vec![b"a".to_vec(), b"1.5".to_vec(), b"c".to_vec(), b"3".to_vec(), b"b".to_vec(), b"1e+20".to_vec()]);
}

#[test]
fn sizes() {
    // The value a key holds is boxed: keep the box small.
    assert_eq!(std::mem::size_of::<ZSet>(), 24);
}
