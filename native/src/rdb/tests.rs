//! Round trips of every encoding through DUMP payloads and whole files, and
//! corrupt input (every truncation, random byte flips) refused without a panic.
use super::dump::{payload, value_of, verify};
use super::load::{load_bytes, LoadOptions};
use super::save::{write_dataset, SaveOptions};
use crate::db::{Detached, Entry};
use crate::digest::{value_digest, Digest};
use crate::keyspace::{Keyspace, Value};
use crate::t_hash::Hash;
use crate::t_list::List;
use crate::t_set::Set;
use crate::t_stream::{Consumer, Group, Id, Nack, Stream};
use crate::t_zset::ZSet;
use crate::testutil::Rng;

fn digest(v: &Value) -> Digest {
    let mut d: Digest = [0; 20];
    value_digest(&mut d, &Entry::new(v.clone(), 0));
    d
}

fn values() -> Vec<Value> {
    let mut out = vec![
        Value::Int(12),
        Value::Int(-70000),
        Value::Int(i64::MIN),
        crate::t_string::encode(b"hello"),
        crate::t_string::encode(&b"abcabcabcabcabcabcabcabcabcabcabcabc".repeat(4)),
    ];
    let small: Vec<Vec<u8>> = (0..10).map(|i| format!("e{i}").into_bytes()).collect();
    out.push(Value::List(Box::new(List::from_values(small.iter().map(|v| &v[..])))));
    let big: Vec<Vec<u8>> = (0..3000).map(|i| format!("element-{i}").into_bytes()).collect();
    out.push(Value::List(Box::new(List::from_values(big.iter().map(|v| &v[..])))));
    for n in [5usize, 100, 1000] {
        let mut s = Set::create(b"1", n);
        for i in 0..n {
            s.add(i.to_string().as_bytes());
        }
        out.push(Value::Set(Box::new(s)));
        let mut s = Set::create(b"x", n);
        for i in 0..n {
            s.add(format!("m{i}").as_bytes());
        }
        out.push(Value::Set(Box::new(s)));
        let pairs: Vec<(Vec<u8>, f64)> = (0..n).map(|i| (format!("z{i}").into_bytes(), i as f64 * 1.5 - 3.0)).collect();
        out.push(Value::ZSet(ZSet::from_pairs(pairs)));
        let mut h = Hash::new();
        for i in 0..n {
            h.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), false);
        }
        out.push(Value::Hash(h.clone()));
        h.set_expire(b"f1", 4_000_000_000_000);
        h.set_expire(b"f3", 4_000_000_000_500);
        h.done_loading(); // filed, as the commands file it
        out.push(Value::Hash(h));
    }
    let mut st = Stream::default();
    for i in 1..=500u64 {
        let f = format!("{i}");
        st.append(Id::new(i, 0), &[b"field", f.as_bytes(), b"other", b"x"]);
    }
    let mut g = Group::new(Id::new(3, 0), 3);
    for i in 1..=3 {
        g.pel.insert(Id::new(i, 0), Nack { delivery_time: 1000 + i as i64, delivery_count: 1, consumer: b"alice".to_vec().into() });
    }
    let mut c = Consumer::new(b"alice", 5);
    for i in 1..=3 {
        c.pel.add(Id::new(i, 0));
    }
    g.consumers.insert(b"alice", c);
    g.consumers.insert(b"bob", Consumer::new(b"bob", 7));
    // A consumer may be named with the empty string, and own entries.
    g.pel.insert(Id::new(4, 0), Nack { delivery_time: 9, delivery_count: 2, consumer: b""[..].into() });
    let mut nameless = Consumer::new(b"", 8);
    nameless.pel.add(Id::new(4, 0));
    g.consumers.insert(b"", nameless);
    st.groups.insert(b"g1", g);
    out.push(Value::Stream(Box::new(st)));
    out
}

#[test]
fn payloads_round_trip_every_encoding() {
    for v in values() {
        let p = payload(&v);
        assert!(verify(&p), "{}", v.encoding());
        let back = value_of(&p, 0).unwrap_or_else(|e| panic!("{}: {e}", v.encoding()));
        assert_eq!(back.encoding(), v.encoding());
        assert_eq!(digest(&back), digest(&v), "{}", v.encoding());
        // Saved again, the bytes are the same (the compact encodings are
        // kept as they are; a table's order is its own).
        if v.encoding() != "hashtable" {
            assert!(payload(&back) == p, "{}", v.encoding());
        }
    }
}

#[test]
fn corrupt_payloads_are_errors_never_panics() {
    let mut rng = Rng(7);
    for v in values() {
        let p = payload(&v);
        for cut in 10..p.len().min(400) {
            let mut q = p[..p.len() - 10][..cut.min(p.len() - 10)].to_vec();
            q.extend_from_slice(&p[p.len() - 10..]);
            let _ = value_of(&q, 0);
        }
        for _ in 0..300 {
            let mut q = p.clone();
            let i = rng.below((p.len() - 10) as u64) as usize;
            q[i] ^= 1 << rng.below(8);
            assert!(!verify(&q));
            let _ = value_of(&q, 0);
        }
    }
}

#[test]
fn files_round_trip_and_refuse_damage() {
    let mut ks = Keyspace::new(16);
    for (i, v) in values().into_iter().enumerate() {
        let db = i % 3;
        let expire = if i % 4 == 0 { 5_000_000_000_000 } else { -1 };
        ks.dbs[db].add(format!("key:{i}").as_bytes(), Detached::new(v, expire, 0));
    }
    let opts = SaveOptions { compress: true, checksum: true, aux: vec![("redis-ver".into(), "7.2.0".into())], ..Default::default() };
    let mut w = super::encode::Writer::memory(true);
    write_dataset(&mut w, &ks, &opts).unwrap();
    let bytes = w.into_bytes();
    assert_eq!(&bytes[..9], b"REDIS0012");
    let lo = LoadOptions { now_ms: 1, skip_expired: true, databases: 16, verify_checksum: true, lfu: false, progress: None, key_delay_us: 0 };
    let loaded = load_bytes(&bytes, &lo).unwrap();
    assert_eq!(loaded.consumed, bytes.len());
    let mut ks2 = Keyspace::new(16);
    ks2.dbs = loaded.dbs;
    assert_eq!(crate::digest::dataset_digest(&ks2), crate::digest::dataset_digest(&ks));
    for cut in (0..bytes.len() - 1).step_by(97) {
        assert!(load_bytes(&bytes[..cut], &lo).is_err());
    }
    let mut rng = Rng(3);
    for _ in 0..200 {
        let mut b = bytes.clone();
        let i = 9 + rng.below((b.len() - 9) as u64) as usize;
        b[i] ^= 1 << rng.below(8);
        assert!(load_bytes(&b, &lo).is_err(), "flip at {i}");
        let _ = load_bytes(&b, &LoadOptions { verify_checksum: false, ..lo.clone() });
    }
}

#[test]
fn module_names_decode() {
    // "MyTypeXYZ" with encoding version 3, as moduleTypeEncodeId builds it.
    let charset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = 0u64;
    for c in b"MyTypeXYZ" {
        id = (id << 6) | charset.iter().position(|x| x == c).unwrap() as u64;
    }
    assert_eq!(super::module_name((id << 10) | 3), "MyTypeXYZ");
}

/// A plain RDB set (type 2) of `members`.
fn plain_set(members: &[Vec<u8>]) -> Vec<u8> {
    let mut w = super::encode::Writer::memory(false);
    w.len_(members.len() as u64).unwrap();
    for m in members {
        w.string(m).unwrap();
    }
    w.into_bytes()
}

fn load_plain_set(members: &[Vec<u8>]) -> super::Result<Value> {
    let bytes = plain_set(members);
    let ctx = super::load_value::Ctx { now: None, deep: true };
    super::load_value::load_value(&mut super::decode::Reader::new(&bytes), super::TYPE_SET, &ctx)
}

/// The elements of a set in its own order, as text.
fn set_elements(v: &Value) -> (String, Vec<Vec<u8>>) {
    let Value::Set(s) = v else { panic!("not a set") };
    let mut out: Vec<Vec<u8>> = s.iter().map(|e| e.with_bytes(|b| b.to_vec())).collect();
    if s.encoding() == "hashtable" {
        out.sort();
    }
    (s.encoding().to_string(), out)
}

#[test]
fn plain_sets_load_as_redis_builds_them_member_by_member() {
    let mut rng = Rng(11);
    for round in 0..400 {
        let n = 1 + rng.below(if round % 4 == 0 { 200 } else { 20 }) as usize;
        let ints = round % 3 == 0;
        let mut members: Vec<Vec<u8>> = (0..n)
            .map(|_| if ints || rng.below(4) == 0 { rng.below(50).to_string().into_bytes() } else { format!("m{}", rng.below(60)).into_bytes() })
            .collect();
        if round % 7 == 0 {
            members.push(vec![b'x'; 70]); // past set-max-listpack-value
        }
        // What adding each member in file order gives (rdbLoadObject's loop).
        let mut expect = Set::create(&members[0], members.len());
        let mut dup = false;
        for m in &members {
            dup |= !expect.add(m);
        }
        match load_plain_set(&members) {
            Err(e) => {
                assert!(dup, "round {round}: {e}");
                assert_eq!(e.0, "Duplicate set members detected");
            }
            Ok(v) => {
                assert!(!dup, "round {round}: a duplicate was loaded");
                assert_eq!(set_elements(&v), set_elements(&Value::Set(Box::new(expect))), "round {round}");
            }
        }
    }
    // An integer and its text are the same member in a listpack.
    assert!(load_plain_set(&[b"x".to_vec(), b"7".to_vec(), b"7".to_vec()]).is_err());
    let v = load_plain_set(&[b"b".to_vec(), b"a".to_vec(), b"10".to_vec()]).unwrap();
    assert_eq!(set_elements(&v), ("listpack".to_string(), vec![b"b".to_vec(), b"a".to_vec(), b"10".to_vec()]));
}

/// `RDB_FILE=path cargo test --release load_timing -- --ignored --nocapture`: the
/// fastest of 7 loads of a file (the loader's own time, as at start-up).
#[test]
#[ignore]
fn load_timing() {
    let Ok(path) = std::env::var("RDB_FILE") else { return };
    let data = std::fs::read(path).unwrap();
    let lo = LoadOptions { now_ms: 1, skip_expired: true, databases: 16, verify_checksum: true, lfu: false, progress: None, key_delay_us: 0 };
    let mut best = u128::MAX;
    for _ in 0..7 {
        let t = std::time::Instant::now();
        let loaded = load_bytes(&data, &lo).unwrap();
        best = best.min(t.elapsed().as_micros());
        drop(loaded);
    }
    println!("load: {} ms", best / 1000);
}
