//! MEMORY USAGE against the truth: for every type and encoding, keys are built
//! with the engine's own commands and the allocator's in-use bytes (glibc's
//! mallinfo2, `alloc::heap_in_use`) measured before and after; the sum of the
//! keys' MEMORY USAGE must be within 10% of what they took, counting every
//! element (SAMPLES 0) and with Redis's default of 5 samples.
//!
//! The test runs itself again as a child process that runs nothing else (the
//! other tests' threads would allocate meanwhile), so the allocator's figures
//! are the keys' alone. `--nocapture` prints the table.
use crate::alloc::heap_in_use;
use crate::api::memory::key_usage;
use crate::command::table;
use crate::keyspace::Keyspace;
use crate::reply::{code, Out};

const NOW: i64 = 1_700_000_000_000;

struct Runner {
    buf: Vec<u8>,
}

impl Runner {
    fn run(&mut self, k: &mut Keyspace, args: &[&[u8]]) {
        let name = String::from_utf8_lossy(args[0]).to_lowercase();
        let c = table().iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no command {name}"));
        let mut o = Out::new(&mut self.buf, 0);
        let r = (c.f)(k, 0, args, &mut o);
        let end = if r == code::WRITTEN { o.finish() as usize } else { 0 };
        assert!(!self.buf[..end].starts_with(b"-"), "{name}: {}", String::from_utf8_lossy(&self.buf[..end]));
    }
    fn cmd(&mut self, k: &mut Keyspace, args: &[String]) {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.run(k, &a);
    }
}

fn args(s: &str) -> Vec<String> {
    s.split(' ').map(String::from).collect()
}

/// Builds key `i`.
type Build = Box<dyn Fn(&mut Runner, &mut Keyspace, usize)>;

/// A case: a name, how many keys, and the commands that build key `i`.
struct Case {
    name: &'static str,
    keys: usize,
    build: Build,
}

fn case(name: &'static str, keys: usize, build: impl Fn(&mut Runner, &mut Keyspace, usize) + 'static) -> Case {
    Case { name, keys, build: Box::new(build) }
}

/// Builds a case's keys in a fresh keyspace; (truth, usage with SAMPLES 0, usage with 5), in bytes.
fn measure(c: &Case, r: &mut Runner) -> (usize, usize, usize, String) {
    let mut k = Keyspace::new(1);
    k.now_ms = NOW;
    // Once before, so what the first use of a command allocates for good (statics) is not counted.
    {
        let mut warm = Keyspace::new(1);
        warm.now_ms = NOW;
        (c.build)(r, &mut warm, 0);
    }
    let before = heap_in_use();
    for i in 0..c.keys {
        (c.build)(r, &mut k, i);
    }
    let truth = heap_in_use() - before;
    let db = &k.dbs[0];
    let keys: Vec<Vec<u8>> = db.dict.iter().map(|(k, _)| k.as_slice().to_vec()).collect();
    let sum = |samples| keys.iter().map(|key| key_usage(db, key, samples).unwrap()).sum::<usize>();
    let enc = db.dict.iter().next().map(|(_, e)| e.value.encoding()).unwrap_or("-").to_string();
    let out = (truth, sum(usize::MAX), sum(5), enc);
    drop(keys);
    out
}

/// `n` words made by `f`, space-separated.
fn list(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(" ")
}

/// Adds entries 1-1 .. n-1 to stream `k{i}`.
fn xadds(r: &mut Runner, k: &mut Keyspace, i: usize, n: usize) {
    for j in 1..=n {
        r.cmd(k, &args(&format!("xadd k{i} {j}-1 name n{j} value {j}")));
    }
}

fn s(n: usize, fill: char) -> String {
    fill.to_string().repeat(n)
}

fn cases() -> Vec<Case> {
    let mut v = vec![
        case("string int", 20000, |r, k, i| r.cmd(k, &args(&format!("set k{i} {}", 100000 + i)))),
        case("string 10 B (inline)", 20000, |r, k, i| r.cmd(k, &args(&format!("set k{i} {}", s(10, 'a'))))),
        case("string 40 B (embstr size)", 20000, |r, k, i| r.cmd(k, &args(&format!("set k{i} {}", s(40, 'a'))))),
        case("string 300 B (raw)", 10000, |r, k, i| r.cmd(k, &args(&format!("set k{i} {}", s(300, 'a'))))),
        case("string 1 MB", 4, |r, k, i| r.cmd(k, &args(&format!("set k{i} {}", s(1 << 20, 'a'))))),
        case("string grown by APPEND", 5000, |r, k, i| {
            r.cmd(k, &args(&format!("set k{i} abc")));
            for _ in 0..20 {
                let mut o_buf = vec![0u8; 64];
                let mut o = Out::new(&mut o_buf, 0);
                crate::t_string::append(k, 0, format!("k{i}").as_bytes(), b"0123456789", u64::MAX, &mut o);
            }
        }),
        case("string, long key, TTL", 20000, |r, k, i| {
            let key = format!("a-key-name-longer-than-22-bytes:{i}");
            r.cmd(k, &args(&format!("set {key} v")));
            r.cmd(k, &args(&format!("pexpire {key} 100000")));
        }),
        case("list listpack 20", 5000, |r, k, i| r.cmd(k, &args(&format!("rpush k{i} {}", list(20, |j| format!("elem{j}")))))),
        case("list quicklist 100k", 1, |r, k, i| {
            for c in 0..100 {
                r.cmd(k, &args(&format!("rpush k{i} {}", list(1000, |j| format!("element-{c}-{j}")))));
            }
        }),
        case("list quicklist compressed", 1, |r, k, i| {
            crate::config::set("list-compress-depth", 1);
            for c in 0..100 {
                r.cmd(k, &args(&format!("rpush k{i} {}", list(1000, |j| format!("element-{c}-{j}")))));
            }
            crate::config::set("list-compress-depth", 0);
        }),
        case("list quicklist plain nodes", 2, |r, k, i| {
            for _ in 0..50 {
                r.cmd(k, &args(&format!("rpush k{i} {}", s(10000, 'x'))));
            }
        }),
        case("hash listpack 10", 5000, |r, k, i| r.cmd(k, &args(&format!("hset k{i} {}", list(10, |j| format!("field{j} value{j}")))))),
        case("hash listpackex (field TTLs)", 5000, |r, k, i| {
            r.cmd(k, &args(&format!("hset k{i} {}", list(10, |j| format!("field{j} value{j}")))));
            r.cmd(k, &args(&format!("hexpire k{i} 1000 fields 3 field1 field2 field3")));
        }),
        case("hash table 2000", 5, |r, k, i| {
            for c in 0..4 {
                r.cmd(k, &args(&format!("hset k{i} {}", list(500, |j| format!("field:{c}:{j} value-{j}")))));
            }
        }),
        case("hash table, long values", 5, |r, k, i| {
            r.cmd(k, &args(&format!("hset k{i} {}", list(600, |j| format!("f{j} {}", s(100, 'v'))))));
        }),
        case("hash table with field TTLs", 5, |r, k, i| {
            r.cmd(k, &args(&format!("hset k{i} {}", list(2000, |j| format!("field:{j} value-{j}")))));
            r.cmd(k, &args(&format!("hexpire k{i} 1000 fields 1000 {}", list(1000, |j| format!("field:{j}")))));
        }),
        case("set intset 100", 5000, |r, k, i| r.cmd(k, &args(&format!("sadd k{i} {}", list(100, |j| (j * 7).to_string()))))),
        case("set listpack 50", 5000, |r, k, i| r.cmd(k, &args(&format!("sadd k{i} {}", list(50, |j| format!("m{j}")))))),
        case("set table 5000", 4, |r, k, i| {
            for c in 0..10 {
                r.cmd(k, &args(&format!("sadd k{i} {}", list(500, |j| format!("member:{c}:{j}")))));
            }
        }),
        case("set table, long members", 4, |r, k, i| {
            r.cmd(k, &args(&format!("sadd k{i} {}", list(3000, |j| format!("a-member-longer-than-22-bytes:{j}")))));
        }),
        case("zset listpack 50", 5000, |r, k, i| r.cmd(k, &args(&format!("zadd k{i} {}", list(50, |j| format!("{j} m{j}")))))),
        case("zset skiplist 5000", 4, |r, k, i| {
            for c in 0..10 {
                r.cmd(k, &args(&format!("zadd k{i} {}", list(500, |j| format!("{} member:{c}:{j}", j * 13 % 997)))));
            }
        }),
        case("stream 1000 entries", 20, |r, k, i| {
            xadds(r, k, i, 1000);
        }),
        case("stream + groups, PELs", 10, |r, k, i| {
            xadds(r, k, i, 2000);
            for g in 0..3 {
                r.cmd(k, &args(&format!("xgroup create k{i} g{g} 0")));
                for c in 0..4 {
                    r.cmd(k, &args(&format!("xreadgroup group g{g} consumer-{c} count 300 streams k{i} >")));
                }
            }
        }),
        case("list quicklist 300 (2 nodes)", 500, |r, k, i| r.cmd(k, &args(&format!("rpush k{i} {}", list(300, |j| format!("element-{j}-padding-padding-padding")))))),
        case("hash table 600 (just converted)", 200, |r, k, i| r.cmd(k, &args(&format!("hset k{i} {}", list(600, |j| format!("f{j} v{j}")))))),
        case("set table 200 (just converted)", 500, |r, k, i| r.cmd(k, &args(&format!("sadd k{i} {}", list(200, |j| format!("m{j}")))))),
        case("zset skiplist 200 (just converted)", 500, |r, k, i| r.cmd(k, &args(&format!("zadd k{i} {}", list(200, |j| format!("{j} m{j}")))))),
        case("stream 10 entries", 3000, |r, k, i| {
            for j in 0..10 {
                r.cmd(k, &args(&format!("xadd k{i} {}-1 f v{j}", j + 1)));
            }
        }),
        case("stream with deleted entries", 20, |r, k, i| {
            xadds(r, k, i, 1000);
            r.cmd(k, &args(&format!("xdel k{i} {}", (1..1000).step_by(3).map(|j| format!("{j}-1")).collect::<Vec<_>>().join(" "))));
        }),
        case("HLL sparse", 5000, |r, k, i| r.cmd(k, &args(&format!("pfadd k{i} {}", list(50, |j| format!("e{j}")))))),
        case("HLL dense", 200, |r, k, i| {
            for c in 0..10 {
                r.cmd(k, &args(&format!("pfadd k{i} {}", list(500, |j| format!("e{c}:{j}")))));
            }
        }),
    ];
    v.retain(|c| std::env::var("MEMORY_USAGE_CASE").map_or(true, |f| c.name.contains(&f)));
    v
}

const CHILD: &str = "NODIS_MEMORY_USAGE_CHILD";
const NAME: &str = "api::memory::tests::memory_usage_is_within_ten_percent_of_the_allocator";

#[test]
fn memory_usage_is_within_ten_percent_of_the_allocator() {
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .expect("the test binary runs again");
        let text = String::from_utf8_lossy(&out.stdout);
        println!("{text}");
        // The child ran the test (a filter matching nothing would pass too).
        assert!(text.contains("1 passed") && out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    measure_all();
}

fn measure_all() {
    crate::alloc::tune_malloc();
    let mut r = Runner { buf: vec![0u8; 1 << 22] };
    let mut bad = Vec::new();
    println!("| type / encoding / size | keys | encoding | MEMORY USAGE per key (SAMPLES 0) | (SAMPLES 5) | measured per key | ratio 0 | ratio 5 |");
    println!("|---|---|---|---|---|---|---|---|");
    for c in cases() {
        let (truth, all, five, enc) = measure(&c, &mut r);
        let (r0, r5) = (all as f64 / truth as f64, five as f64 / truth as f64);
        println!("| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} |", c.name, c.keys, enc, all / c.keys, five / c.keys, truth / c.keys, r0, r5);
        if !(0.9..=1.1).contains(&r0) || !(0.9..=1.1).contains(&r5) {
            bad.push(c.name);
        }
    }
    assert!(bad.is_empty(), "off by more than 10%: {bad:?}");
}
