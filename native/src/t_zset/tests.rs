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
    // A key's Value holds a ZSet unboxed: it must stay 16 bytes (Value 24, the entry 32).
    assert_eq!(std::mem::size_of::<ZSet>(), 16);
}

use crate::testutil::Rng;

fn collect_range(z: &ZSet, f: impl Fn(&ZSet, &mut dyn FnMut(&[u8], f64))) -> Vec<(Vec<u8>, f64)> {
    let mut v = Vec::new();
    f(z, &mut |m, s| v.push((m.to_vec(), s)));
    v
}

/// The two encodings answer every query alike (lex ranges over equal scores only).
#[test]
fn both_encodings_agree() {
    let mut rng = Rng(0x5DEECE66D);
    for round in 0..60 {
        let lex = round % 3 == 0;
        let mut a = ZSet::new_for(1, 1);
        let mut b = ZSet::new_for(1, 1);
        b.to_skiplist();
        for _ in 0..300 {
            let m = format!("{}", (b'a' + rng.below(26) as u8) as char).repeat(1 + rng.below(3) as usize);
            let score = if lex { 0.0 } else { rng.below(12) as f64 - 3.0 + [0.0, 0.5][rng.below(2) as usize] };
            match rng.below(8) {
                0..=3 => {
                    let flags = AddFlags { incr: rng.below(4) == 0, gt: rng.below(5) == 0, ..Default::default() };
                    let flags = if lex { AddFlags::default() } else { flags };
                    assert_eq!(a.add(score, m.as_bytes(), flags), b.add(score, m.as_bytes(), flags));
                }
                4 => assert_eq!(a.remove(m.as_bytes()), b.remove(m.as_bytes())),
                5 if a.len() > 0 => {
                    let s = rng.below(a.len() as u64) as usize;
                    let e = (s + rng.below(3) as usize).min(a.len() - 1);
                    assert_eq!(a.delete_range_by_rank(s, e), b.delete_range_by_rank(s, e));
                }
                6 => {
                    let r = ScoreRange { min: score, max: score + rng.below(3) as f64, minex: rng.below(2) == 0, maxex: rng.below(2) == 0 };
                    if rng.below(4) == 0 {
                        assert_eq!(a.delete_range_by_score(&r), b.delete_range_by_score(&r));
                    }
                    assert_eq!(a.count_in_range(&r), b.count_in_range(&r));
                    for rev in [false, true] {
                        let off = rng.below(3) as i64;
                        let lim = rng.below(4) as i64 - 1;
                        assert_eq!(
                            collect_range(&a, |z, f| {
                                z.range_by_score(&r, off, lim, rev, f);
                            }),
                            collect_range(&b, |z, f| {
                                z.range_by_score(&r, off, lim, rev, f);
                            })
                        );
                    }
                }
                7 if lex => {
                    let bound = |rng: &mut Rng| match rng.below(4) {
                        0 => b"-".to_vec(),
                        1 => b"+".to_vec(),
                        2 => format!("[{}", (b'a' + rng.below(26) as u8) as char).into_bytes(),
                        _ => format!("({}", (b'a' + rng.below(26) as u8) as char).into_bytes(),
                    };
                    let r = LexRange::parse(&bound(&mut rng), &bound(&mut rng)).unwrap();
                    assert_eq!(a.count_in_lex(&r), b.count_in_lex(&r));
                    for rev in [false, true] {
                        assert_eq!(
                            collect_range(&a, |z, f| {
                                z.range_by_lex(&r, 0, -1, rev, f);
                            }),
                            collect_range(&b, |z, f| {
                                z.range_by_lex(&r, 0, -1, rev, f);
                            })
                        );
                    }
                    if rng.below(3) == 0 {
                        assert_eq!(a.delete_range_by_lex(&r), b.delete_range_by_lex(&r));
                    }
                }
                _ => {}
            }
            assert_eq!(a.len(), b.len());
            assert_eq!(a.rank(m.as_bytes(), false), b.rank(m.as_bytes(), false));
            assert_eq!(a.rank(m.as_bytes(), true), b.rank(m.as_bytes(), true));
            if a.len() > 0 {
                let s = rng.below(a.len() as u64) as usize;
                let e = s + rng.below(4) as usize;
                for rev in [false, true] {
                    assert_eq!(
                        collect_range(&a, |z, f| z.range_by_rank(s, e.min(z.len() - 1), rev, f)),
                        collect_range(&b, |z, f| z.range_by_rank(s, e.min(z.len() - 1), rev, f))
                    );
                }
            }
        }
        assert_eq!(a.encoding(), "listpack");
        assert_eq!(b.encoding(), "skiplist");
        assert_eq!(members(&a), members(&b));
        let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
        a.digest(&mut da);
        b.digest(&mut db);
        assert_eq!(da, db);
        // Conversions both ways keep the contents.
        let mut c = b.clone();
        c.to_listpack();
        assert_eq!(members(&c), members(&a));
        assert_eq!(c.listpack().unwrap().as_bytes(), a.listpack().unwrap().as_bytes());
    }
}

/// Engine bytes per sorted set of 10 members, as the memory bench loads them
/// (`cargo test --release zset_memory -- --ignored --nocapture`).
#[test]
#[ignore]
fn zset_memory_per_key() {
    use crate::keyspace::Keyspace;
    use crate::reply::Out;
    let mut ks = Keyspace::new(1);
    let mut buf = vec![0u8; 256];
    let before = crate::alloc::allocated_bytes();
    let n = 100_000;
    for i in 0..n {
        let key = format!("zset:{:08}", i);
        let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), key.into_bytes()];
        for m in 0..10 {
            args.push(((i * 7 + m * 13) % 1000).to_string().into_bytes());
            args.push(format!("member{m}").into_bytes());
        }
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let mut out = Out::new(&mut buf, 0);
        (cmds::COMMANDS[0].f)(&mut ks, 0, &argv, &mut out);
    }
    let used = crate::alloc::allocated_bytes() - before;
    eprintln!("{} bytes per key ({} keys)", used as f64 / n as f64, n);
}

#[test]
fn timeouts_and_score_ranges_parse_as_redis() {
    use super::cmds::parse_score_range;
    use super::pop::check_timeout;
    let now = 1_700_000_000_000;
    assert_eq!(check_timeout(b"0", now), Ok(()));
    assert_eq!(check_timeout(b"0.5", now), Ok(()));
    assert_eq!(check_timeout(b"-0.0001", now), Ok(())); // ceil(-0.1 ms) is 0: block forever
    assert_eq!(check_timeout(b"-1", now), Err("ERR timeout is negative"));
    assert_eq!(check_timeout(b"abc", now), Err("ERR timeout is not a float or out of range"));
    assert_eq!(check_timeout(b" 1", now), Err("ERR timeout is not a float or out of range"));
    assert_eq!(check_timeout(b"inf", now), Err("ERR timeout is out of range"));
    assert_eq!(check_timeout(b"9223372036854775", now), Err("ERR timeout is out of range"));
    let r = parse_score_range(b"(1.5", b"+inf").unwrap();
    assert_eq!((r.min, r.minex, r.max, r.maxex), (1.5, true, f64::INFINITY, false));
    assert_eq!(parse_score_range(b"", b"(").map(|r| (r.min, r.max, r.maxex)), Some((0.0, 0.0, true)));
    assert!(parse_score_range(b"nan", b"1").is_none());
    assert!(parse_score_range(b"1x", b"1").is_none());
    assert!(parse_score_range(b"1", b"((2").is_none());
}

/// Engine bytes per member of large (skiplist) sorted sets: 100 sets of 1,000
/// members (`cargo test --release skiplist_memory -- --ignored --nocapture`).
#[test]
#[ignore]
fn skiplist_memory_per_member() {
    let before = crate::alloc::allocated_bytes();
    let mut sets = Vec::new();
    for i in 0..100 {
        let mut z = ZSet::new_for(1000, 8);
        for m in 0..1000 {
            z.insert(format!("member:{m}").as_bytes(), ((i * 7 + m * 13) % 100_000) as f64);
        }
        sets.push(Box::new(z));
    }
    let used = crate::alloc::allocated_bytes() - before;
    eprintln!("{} bytes per member ({})", used as f64 / 100_000.0, sets[0].encoding());
}
