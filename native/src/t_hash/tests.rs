//! The hash type's unit tests: encodings and their conversions, the field TTL
//! index, and the commands' replies, events and propagation (Redis 7.4/8's
//! answers stated where no Redis binary here can give them).
use super::*;
use crate::changes::{Change, EVENTS};
use crate::keyspace::{Keyspace, Value};
use crate::reply::{code, Out};

const NOW: i64 = 1_700_000_000_000;

fn ks() -> Keyspace {
    let mut k = Keyspace::new(2);
    k.now_ms = NOW;
    k.shared.set(crate::state::LISTEN, (crate::state::LISTEN_RECORD | crate::state::LISTEN_PROPAGATE) as f64);
    k
}

/// Runs a hash command by name; the reply as text (RESP2).
fn cmd(k: &mut Keyspace, argv: &[&str]) -> String {
    let name = argv[0].to_ascii_lowercase();
    let c = COMMANDS.iter().find(|c| c.name == name).expect("a hash command");
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let mut buf = vec![0u8; 1 << 16];
    let mut o = Out::new(&mut buf, 0);
    let r = (c.f)(k, 0, &args, &mut o);
    let end = o.finish() as usize;
    match r {
        code::WRITTEN => String::from_utf8_lossy(&buf[..end]).into_owned(),
        code::NIL => "$-1\r\n".into(),
        code::OK => "+OK\r\n".into(),
        other => format!("code {other}"),
    }
}

fn hash<'a>(k: &'a mut Keyspace, key: &str) -> &'a Hash {
    match &k.peek(0, key.as_bytes()).expect("the key").value {
        Value::Hash(h) => h,
        _ => panic!("not a hash"),
    }
}

/// The events and propagated commands recorded since the last call.
fn records(k: &mut Keyspace) -> Vec<String> {
    k.take_changes()
        .into_iter()
        .filter_map(|c| match c {
            Change::Key { event, .. } if (event as usize) < EVENTS.len() => Some(EVENTS[event as usize].0.to_string()),
            Change::Propagate { argv, .. } => Some(argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")),
            _ => None,
        })
        .collect()
}

#[test]
fn listpack_until_the_limits_then_a_table() {
    let mut k = ks();
    for i in 0..512 {
        cmd(&mut k, &["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(hash(&mut k, "h").encoding(), "listpack");
    cmd(&mut k, &["HSET", "h", "one-more", "v"]);
    assert_eq!(hash(&mut k, "h").encoding(), "hashtable");
    assert_eq!(cmd(&mut k, &["HLEN", "h"]), ":513\r\n");
    // A value longer than hash-max-listpack-value converts at once.
    cmd(&mut k, &["HSET", "v", "f", &"x".repeat(64)]);
    assert_eq!(hash(&mut k, "v").encoding(), "listpack");
    cmd(&mut k, &["HSET", "v", "g", &"x".repeat(65)]);
    assert_eq!(hash(&mut k, "v").encoding(), "hashtable");
    // More pairs in one HSET than the limit convert even when they repeat a field (hashTypeTryConversion).
    let mut argv = vec!["HSET", "d"];
    for _ in 0..513 {
        argv.extend_from_slice(&["same", "v"]);
    }
    assert_eq!(cmd(&mut k, &argv), ":1\r\n");
    assert_eq!(hash(&mut k, "d").encoding(), "hashtable");
    // HINCRBY's result is checked against the value limit too.
    cmd(&mut k, &["HSET", "n", "f", "1"]);
    crate::config::set("hash-max-listpack-value", 2);
    cmd(&mut k, &["HINCRBY", "n", "f", "1000"]);
    crate::config::set("hash-max-listpack-value", 64);
    assert_eq!(hash(&mut k, "n").encoding(), "hashtable");
}

#[test]
fn same_digest_in_every_encoding() {
    let mut k = ks();
    for i in 0..20 {
        cmd(&mut k, &["HSET", "a", &format!("f{i}"), &i.to_string()]);
        cmd(&mut k, &["HSET", "b", &format!("f{i}"), &i.to_string()]);
    }
    hash_mut(&mut k, "b").convert_to_table();
    let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
    hash(&mut k, "a").digest(&mut da);
    hash(&mut k, "b").digest(&mut db);
    assert_eq!(da, db);
    // A field TTL changes the digest ("!!hexpire!!"), in either encoding alike.
    cmd(&mut k, &["HEXPIRE", "a", "100", "FIELDS", "1", "f3"]);
    cmd(&mut k, &["HEXPIRE", "b", "100", "FIELDS", "1", "f3"]);
    let (mut ea, mut eb) = ([0u8; 20], [0u8; 20]);
    hash(&mut k, "a").digest(&mut ea);
    hash(&mut k, "b").digest(&mut eb);
    assert_eq!(ea, eb);
    assert_ne!(ea, da);
}

fn hash_mut<'a>(k: &'a mut Keyspace, key: &str) -> &'a mut Hash {
    match &mut k.dbs[0].dict.get_mut(key.as_bytes()).expect("the key").value {
        Value::Hash(h) => h,
        _ => panic!("not a hash"),
    }
}

#[test]
fn listpackex_keeps_triplets_in_expire_order() {
    let mut k = ks();
    cmd(&mut k, &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(cmd(&mut k, &["HPEXPIRE", "h", "3000", "FIELDS", "1", "c"]), "*1\r\n:1\r\n");
    assert_eq!(hash(&mut k, "h").encoding(), "listpackex");
    cmd(&mut k, &["HPEXPIRE", "h", "1000", "FIELDS", "1", "a"]);
    cmd(&mut k, &["HPEXPIRE", "h", "2000", "FIELDS", "1", "d"]);
    let mut order = Vec::new();
    hash(&mut k, "h").for_each_entry(|f, _, t| order.push((f.to_vec(), t)));
    let names: Vec<&[u8]> = order.iter().map(|(f, _)| f.as_slice()).collect();
    assert_eq!(names, [&b"a"[..], b"d", b"c", b"b"]);
    assert_eq!(order[3].1, NO_TTL);
    assert_eq!(hash(&mut k, "h").min_expire(), NOW + 1000);
    assert_eq!(k.dbs[0].hexpires.len(), 1);
    // HSET drops the field's TTL; HPERSIST the others': the encoding stays listpackex.
    cmd(&mut k, &["HSET", "h", "a", "x"]);
    assert_eq!(hash(&mut k, "h").min_expire(), NOW + 2000);
    assert_eq!(cmd(&mut k, &["HPERSIST", "h", "FIELDS", "3", "c", "d", "zz"]), "*3\r\n:1\r\n:1\r\n:-2\r\n");
    assert_eq!(hash(&mut k, "h").encoding(), "listpackex");
    assert_eq!(k.dbs[0].hexpires.len(), 0, "no field has a TTL: not filed");
}

#[test]
fn hexpire_replies_errors_and_propagation() {
    let mut k = ks();
    cmd(&mut k, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    records(&mut k);
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "10", "FIELDS", "3", "a", "zz", "b"]), "*3\r\n:1\r\n:-2\r\n:1\r\n");
    assert_eq!(records(&mut k), ["hexpire", &format!("HPEXPIREAT h {} FIELDS 2 a b", NOW + 10_000)]);
    // NX / XX / GT / LT: a field without a TTL never expires.
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "20", "NX", "FIELDS", "2", "a", "c"]), "*2\r\n:0\r\n:1\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "5", "GT", "FIELDS", "1", "a"]), "*1\r\n:0\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "5", "LT", "FIELDS", "1", "a"]), "*1\r\n:1\r\n");
    cmd(&mut k, &["HSET", "h", "d", "4"]);
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "5", "XX", "FIELDS", "1", "d"]), "*1\r\n:0\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "5", "GT", "FIELDS", "1", "d"]), "*1\r\n:0\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "5", "LT", "FIELDS", "1", "d"]), "*1\r\n:1\r\n");
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "3", "a", "b", "nope"]), "*3\r\n:5\r\n:10\r\n:-2\r\n");
    assert_eq!(cmd(&mut k, &["HPEXPIRETIME", "h", "FIELDS", "1", "a"]), format!("*1\r\n:{}\r\n", NOW + 5000));
    records(&mut k);
    // A time already past deletes the field (reply 2), propagated as HDEL; the last field takes the key.
    assert_eq!(cmd(&mut k, &["HPEXPIREAT", "h", "0", "FIELDS", "2", "a", "b"]), "*2\r\n:2\r\n:2\r\n");
    assert_eq!(records(&mut k), ["HDEL h a", "HDEL h b", "hdel"]);
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "0", "FIELDS", "2", "c", "d"]), "*2\r\n:2\r\n:2\r\n");
    assert_eq!(records(&mut k), ["HDEL h c", "HDEL h d", "hdel", "del"]);
    assert!(k.peek(0, b"h").is_none());
    assert_eq!(k.dbs[0].hexpires.len(), 0);
    // Errors, in Redis's order.
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "-1", "FIELDS", "1", "a"]), "-ERR invalid expire time, must be >= 0\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "x", "FIELDS", "1", "a"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "70368744177664", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hexpire' command\r\n");
    assert_eq!(cmd(&mut k, &["HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hpexpireat' command\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "1", "FIELD", "1", "a"]), "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "1", "FIELDS", "0", "a"]), "-ERR Parameter `numFields` should be greater than 0\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "h", "1", "FIELDS", "2", "a"]), "-ERR The `numfields` parameter must match the number of arguments\r\n");
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "x", "a"]), "-ERR Number of fields must be a positive integer\r\n");
    assert_eq!(cmd(&mut k, &["HEXPIRE", "missing", "1", "FIELDS", "2", "a", "b"]), "*2\r\n:-2\r\n:-2\r\n");
    assert_eq!(cmd(&mut k, &["HPERSIST", "missing", "FIELDS", "1", "a"]), "*1\r\n:-2\r\n");
}

#[test]
fn fields_expire_lazily_when_met() {
    let mut k = ks();
    cmd(&mut k, &["HSET", "h", "a", "1", "b", "2"]);
    cmd(&mut k, &["HPEXPIRE", "h", "100", "FIELDS", "1", "a"]);
    records(&mut k);
    k.now_ms += 101;
    assert_eq!(cmd(&mut k, &["HLEN", "h"]), ":2\r\n", "HLEN counts a field not yet deleted, as Redis");
    assert_eq!(cmd(&mut k, &["HGETALL", "h"]), "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(cmd(&mut k, &["HGET", "h", "a"]), "$-1\r\n");
    assert_eq!(records(&mut k), ["HDEL h a", "hexpired"]);
    assert_eq!(cmd(&mut k, &["HLEN", "h"]), ":1\r\n");
    // The last field: the key goes too, with `del`.
    cmd(&mut k, &["HPEXPIRE", "h", "100", "FIELDS", "1", "b"]);
    records(&mut k);
    k.now_ms += 101;
    assert_eq!(cmd(&mut k, &["HEXISTS", "h", "b"]), ":0\r\n");
    assert_eq!(records(&mut k), ["HDEL h b", "hexpired", "del"]);
    assert!(k.peek(0, b"h").is_none());
    // HINCRBY over an expired last field: a new hash (`new`), the command after the HDEL.
    cmd(&mut k, &["HSET", "n", "f", "5"]);
    cmd(&mut k, &["HPEXPIRE", "n", "100", "FIELDS", "1", "f"]);
    records(&mut k);
    k.now_ms += 101;
    assert_eq!(cmd(&mut k, &["HINCRBY", "n", "f", "2"]), ":2\r\n");
    assert_eq!(records(&mut k), ["HDEL n f", "hexpired", "del", "new", "hincrby", "HINCRBY n f 2"]);
}

#[test]
fn active_expiry_deletes_due_fields_and_emptied_keys() {
    let mut k = ks();
    for i in 0..50 {
        let key = format!("h{i}");
        cmd(&mut k, &["HSET", &key, "a", "1", "b", "2"]);
        cmd(&mut k, &["HPEXPIRE", &key, &(100 + i).to_string(), "FIELDS", "1", "a"]);
    }
    // One hash as a table, its fields expiring at once.
    for i in 0..600 {
        cmd(&mut k, &["HSET", "big", &format!("f{i}"), "v"]);
    }
    let mut argv = vec!["HPEXPIRE".to_string(), "big".into(), "100".into(), "FIELDS".into(), "600".into()];
    argv.extend((0..600).map(|i| format!("f{i}")));
    let argv: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
    cmd(&mut k, &argv);
    assert_eq!(hash(&mut k, "big").encoding(), "hashtable");
    assert_eq!(k.dbs[0].hexpires.len(), 51);
    records(&mut k);
    k.now_ms += 125;
    assert_eq!(k.active_expire_hash_fields(0, 10_000), 26 + 600);
    assert!(k.peek(0, b"big").is_none());
    assert_eq!(cmd(&mut k, &["HLEN", "h0"]), ":1\r\n");
    assert_eq!(cmd(&mut k, &["HLEN", "h30"]), ":2\r\n");
    assert_eq!(k.dbs[0].hexpires.len(), 24);
    let recs = records(&mut k);
    assert_eq!(recs.iter().filter(|r| *r == "hexpired").count(), 27);
    assert_eq!(recs.iter().filter(|r| r.starts_with("HDEL ")).count(), 626);
    assert_eq!(recs.iter().filter(|r| *r == "del").count(), 1);
    // A quota stops the cycle; the rest goes in the next one.
    k.now_ms += 1000;
    assert_eq!(k.active_expire_hash_fields(0, 10), 10);
    assert_eq!(k.active_expire_hash_fields(0, 100), 14);
    assert_eq!(k.dbs[0].hexpires.len(), 0);
}

#[test]
fn the_index_follows_keys_that_move() {
    let mut k = ks();
    cmd(&mut k, &["HSET", "h", "a", "1"]);
    cmd(&mut k, &["HPEXPIRE", "h", "100", "FIELDS", "1", "a"]);
    // RENAME's way: remove, then put under another name.
    let e = k.dbs[0].remove(b"h").unwrap();
    assert_eq!(k.dbs[0].hexpires.len(), 0);
    k.dbs[0].put(b"g", e);
    assert_eq!(k.dbs[0].hexpires.len(), 1);
    // Overwritten by another value (SET g x): unfiled.
    k.set(0, b"g", Value::Int(1), -1);
    assert_eq!(k.dbs[0].hexpires.len(), 0);
    k.now_ms += 1000;
    assert_eq!(k.active_expire_hash_fields(0, 100), 0);
}

#[test]
fn hgetdel_hgetex_hsetex() {
    let mut k = ks();
    cmd(&mut k, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    records(&mut k);
    assert_eq!(cmd(&mut k, &["HGETDEL", "h", "FIELDS", "2", "a", "zz"]), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(records(&mut k), ["hdel", "HDEL h a zz"]);
    assert_eq!(cmd(&mut k, &["HGETEX", "h", "PX", "5000", "FIELDS", "2", "b", "zz"]), "*2\r\n$1\r\n2\r\n$-1\r\n");
    assert_eq!(records(&mut k), ["hexpire", &format!("HPEXPIREAT h {} FIELDS 2 b zz", NOW + 5000)]);
    assert_eq!(hash(&mut k, "h").encoding(), "listpackex");
    assert_eq!(cmd(&mut k, &["HGETEX", "h", "PERSIST", "FIELDS", "1", "b"]), "*1\r\n$1\r\n2\r\n");
    assert_eq!(records(&mut k), ["hpersist", "HPERSIST h FIELDS 1 b"]);
    assert_eq!(cmd(&mut k, &["HGETEX", "h", "EXAT", "1", "FIELDS", "1", "b"]), "*1\r\n$1\r\n2\r\n");
    assert_eq!(records(&mut k), ["HDEL h b", "hdel"]);
    assert_eq!(cmd(&mut k, &["HGETEX", "h", "EX", "-1", "FIELDS", "1", "b"]), "-ERR invalid expire time, must be >= 0\r\n");
    // HSETEX: FNX / FXX over all the fields, expire rewritten as PXAT.
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FNX", "FIELDS", "2", "c", "x", "d", "y"]), ":0\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FXX", "EX", "10", "FIELDS", "1", "c", "x"]), ":1\r\n");
    assert_eq!(records(&mut k), ["hset", "hexpire", &format!("HSETEX h FXX PXAT {} FIELDS 1 c x", NOW + 10_000)]);
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "1", "c"]), "*1\r\n:10\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "KEEPTTL", "FIELDS", "1", "c", "z"]), ":1\r\n");
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "1", "c"]), "*1\r\n:10\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FIELDS", "1", "c", "z"]), ":1\r\n");
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "1", "c"]), "*1\r\n:-1\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "EX", "1", "PX", "1", "FIELDS", "1", "c", "z"]), "-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FNX", "FXX", "FIELDS", "1", "c", "z"]), "-ERR Only one of FXX or FNX arguments can be specified\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FIELDS", "2", "c", "z"]), "-ERR wrong number of arguments for 'hsetex' command\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "FIELDS", "0", "c", "z"]), "-ERR invalid number of fields\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "h", "BOGUS", "FIELDS", "1", "c", "z"]), "-ERR unknown argument: BOGUS\r\n");
    assert_eq!(cmd(&mut k, &["HSETEX", "new", "FXX", "FIELDS", "1", "c", "z"]), ":0\r\n");
    assert!(k.peek(0, b"new").is_none());
}

#[test]
fn hincrbyfloat_propagates_the_result() {
    let mut k = ks();
    assert_eq!(cmd(&mut k, &["HINCRBYFLOAT", "h", "f", "10.5"]), "$4\r\n10.5\r\n");
    assert_eq!(cmd(&mut k, &["HINCRBYFLOAT", "h", "f", "0.1"]), "$4\r\n10.6\r\n");
    assert_eq!(records(&mut k).last().unwrap(), "HSET h f 10.6");
    cmd(&mut k, &["HEXPIRE", "h", "100", "FIELDS", "1", "f"]);
    cmd(&mut k, &["HINCRBYFLOAT", "h", "f", "1"]);
    assert_eq!(records(&mut k).last().unwrap(), "HSETEX h KEEPTTL FIELDS 1 f 11.6");
    assert_eq!(cmd(&mut k, &["HTTL", "h", "FIELDS", "1", "f"]), "*1\r\n:100\r\n", "HINCRBYFLOAT keeps the TTL");
    assert_eq!(cmd(&mut k, &["HINCRBYFLOAT", "h", "f", "inf"]), "-ERR value is NaN or Infinity\r\n");
    cmd(&mut k, &["HSET", "h", "s", "abc"]);
    assert_eq!(cmd(&mut k, &["HINCRBYFLOAT", "h", "s", "1"]), "-ERR hash value is not a float\r\n");
}

#[test]
fn hrandfield_and_hscan_shapes() {
    let mut k = ks();
    for enc_big in [false, true] {
        let n = if enc_big { 600 } else { 20 };
        k.dbs[0].clear();
        for i in 0..n {
            cmd(&mut k, &["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
        }
        for count in ["5", "-5", "1", "-1", "0", "1000"] {
            let r = cmd(&mut k, &["HRANDFIELD", "h", count, "WITHVALUES"]);
            let c: i64 = count.parse().unwrap();
            let expect = if c >= 0 { c.min(n) } else { -c } * 2;
            assert!(r.starts_with(&format!("*{expect}\r\n")), "{count}: {}", &r[..20.min(r.len())]);
        }
        // Unique fields for a positive count.
        let r = cmd(&mut k, &["HRANDFIELD", "h", "15"]);
        let mut fields: Vec<&str> = r.split("\r\n").filter(|l| l.starts_with('f')).collect();
        fields.sort();
        fields.dedup();
        assert_eq!(fields.len(), 15);
        // A full HSCAN returns every field once at least.
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        loop {
            let r = cmd(&mut k, &["HSCAN", "h", &cursor, "COUNT", "10"]);
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            for l in &lines[4..] {
                if l.starts_with('f') {
                    seen.insert(l.to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), n as usize);
    }
    assert_eq!(cmd(&mut k, &["HRANDFIELD", "h", "-9223372036854775808"]), "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n");
    assert_eq!(cmd(&mut k, &["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"]), "-ERR value is out of range\r\n");
    assert_eq!(cmd(&mut k, &["HRANDFIELD", "h", "1", "WITHVALUE"]), "-ERR syntax error\r\n");
    assert_eq!(cmd(&mut k, &["HSCAN", "h", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(cmd(&mut k, &["HSCAN", "nokey", "0", "COUNT", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(cmd(&mut k, &["HSCAN", "h", "0", "COUNT", "0"]), "-ERR syntax error\r\n");
}

#[test]
fn a_small_hash_is_one_listpack_behind_one_pointer() {
    // Value::Hash holds a Hash unboxed: a thin listpack (or a box) and the tag.
    assert_eq!(std::mem::size_of::<Hash>(), 16);
    assert_eq!(std::mem::size_of::<crate::t_zset::ZSet>(), 16);
}

/// Rough cost of HSET's update path and of HGET (cargo test --release -- --ignored hset_cost --nocapture).
#[test]
#[ignore]
fn hset_cost() {
    let mut k = ks();
    k.shared.set(crate::state::LISTEN, 0.0);
    let c = COMMANDS.iter().find(|c| c.name == "hset").unwrap();
    let g = COMMANDS.iter().find(|c| c.name == "hget").unwrap();
    let argv: Vec<&[u8]> = vec![b"hset", b"myhash", b"element:__rand_int__", b"xxx"];
    let gargv: Vec<&[u8]> = vec![b"hget", b"myhash", b"element:__rand_int__"];
    let mut buf = vec![0u8; 1 << 16];
    for (name, f, a) in [("hset", c.f, &argv), ("hget", g.f, &gargv)] {
        let t = std::time::Instant::now();
        for _ in 0..1_000_000 {
            let mut o = Out::new(&mut buf, 0);
            (f)(&mut k, 0, a, &mut o);
            o.finish();
        }
        println!("{name}: {:?} per call", t.elapsed() / 1_000_000);
    }
}
