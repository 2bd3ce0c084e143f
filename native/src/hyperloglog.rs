//! HyperLogLog (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST over string values laid out byte for byte as Redis lays them
//! out, so an HLL moves between Redis and Nodis with GET and SET:
//! a 16-byte header ("HYLL", encoding 0 dense / 1 sparse, 3 zero bytes, the
//! cached cardinality as 8 bytes little endian whose top bit set means
//! "stale"), then the registers: dense, 16384 registers of 6 bits packed
//! least significant bit first; sparse, run-length opcodes (ZERO 00xxxxxx,
//! XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). Any bytes may be a client's string:
//! every read is bounds checked, and a corrupt value is answered with Redis's
//! errors, never read past its end.
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Detached, Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::t_string::{is_string, make_raw};

const HDR: usize = 16;
const P: u32 = 14;
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
const SEED: u32 = 0xadc8_3b19;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// hll-sparse-max-bytes (the engine settings table, config.rs).
fn sparse_max_bytes() -> usize {
    crate::config::get().hll_sparse_max_bytes.max(0) as usize
}

/// MurmurHash2, 64-bit version (Austin Appleby), as Redis uses it.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = (seed as u64) ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().unwrap());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element goes to, and the length of its hash's run of
/// zeros plus one (Redis's hllPatLen).
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let mut hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    hash >>= P;
    hash |= 1u64 << Q;
    (index, hash.trailing_zeros() as u8 + 1)
}

// ---- dense registers (6 bits each, in `r`, the bytes after the header) ----

fn dense_get(r: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = r[byte] as u32;
    let b1 = r.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

fn dense_put(r: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = v as u32;
    r[byte] &= !((REGISTER_MAX as u32) << fb) as u8;
    r[byte] |= (v << fb) as u8;
    if let Some(b) = r.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX as u32) >> (8 - fb)) as u8;
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `count`: 1 if it changed.
fn dense_set(r: &mut [u8], i: usize, count: u8) -> i32 {
    if count > dense_get(r, i) {
        dense_put(r, i, count);
        1
    } else {
        0
    }
}

// ---- sparse opcodes ----

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

/// The opcode at `p`, and its length in bytes. An XZERO cut by the end reads
/// its second byte as 0 (Redis reads the string's terminator there).
fn op_at(s: &[u8], p: usize) -> (Op, usize) {
    let b = s[p];
    if b & 0xc0 == 0 {
        (Op::Zero((b & 0x3f) as usize + 1), 1)
    } else if b & 0xc0 == 0x40 {
        let lo = s.get(p + 1).copied().unwrap_or(0) as usize;
        (Op::XZero((((b & 0x3f) as usize) << 8 | lo) + 1), 2)
    } else {
        (Op::Val(((b >> 2) & 0x1f) + 1, (b & 3) as usize + 1), 1)
    }
}

fn span(op: Op) -> usize {
    match op {
        Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
    }
}

/// Walks a sparse HLL's runs of non-zero registers, `f(first, value, count)`, as
/// Redis's hllSparseToDense and hllMerge do: a run that would pass the last
/// register ends the walk (what follows is ignored), then Err unless the runs
/// covered exactly the registers (a corrupt string).
fn sparse_value_runs(s: &[u8], mut f: impl FnMut(usize, u8, usize)) -> Result<(), ()> {
    let mut idx = 0usize;
    let mut p = HDR;
    while p < s.len() {
        let (op, len) = op_at(s, p);
        p += len;
        match op {
            Op::Zero(n) | Op::XZero(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    break;
                }
                f(idx, v, n);
                idx += n;
            }
        }
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(())
    }
}

fn val_op(v: u8, len: usize) -> u8 {
    (((v - 1) << 2) | (len as u8 - 1)) | 0x80
}

fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        seq.push((l >> 8) as u8 | 0x40);
        seq.push((l & 0xff) as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// A new, empty HLL: sparse, all registers in XZERO runs (Redis's createHLLObject).
pub fn new_hll() -> Vec<u8> {
    let mut s = vec![0u8; HDR];
    s[..4].copy_from_slice(b"HYLL");
    s[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        push_zeros(&mut s, n);
        left -= n;
    }
    s
}

fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// Redis's hllSparseToDense: Err when the opcodes do not cover exactly the registers.
fn sparse_to_dense(s: &mut Vec<u8>) -> Result<(), ()> {
    if s[4] == DENSE {
        return Ok(());
    }
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&s[..HDR]);
    d[4] = DENSE;
    sparse_value_runs(s, |first, v, n| {
        for idx in first..first + n {
            dense_put(&mut d[HDR..], idx, v);
        }
    })?;
    *s = d;
    Ok(())
}

/// Redis's hllSparseSet: raises register `index` to `count` in the sparse
/// form, promoting to dense when the value cannot be represented sparse or
/// the string would pass hll-sparse-max-bytes. 1 changed, 0 not, -1 corrupt.
fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8) -> i32 {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Find the opcode covering `index`.
    let end = s.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut cur = None;
    while p < end {
        let (op, len) = op_at(s, p);
        cur = Some((op, len));
        if index < first + span(op) {
            break;
        }
        prev = Some(p);
        p += len;
        first += span(op);
    }
    let Some((op, oplen)) = cur else { return -1 };
    if p >= end {
        return -1;
    }
    let runlen = span(op);
    let simple = match op {
        Op::Val(old, _) if old >= count => return 0,
        Op::Val(_, 1) | Op::Zero(1) => true,
        _ => false,
    };
    if simple {
        s[p] = val_op(count, 1);
    } else {
        // Split the run into up to three opcodes around `index`.
        let last = first + runlen - 1;
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        match op {
            Op::Zero(_) | Op::XZero(_) => {
                if index != first {
                    push_zeros(&mut seq, index - first);
                }
                seq.push(val_op(count, 1));
                if index != last {
                    push_zeros(&mut seq, last - index);
                }
            }
            Op::Val(v, _) => {
                if index != first {
                    seq.push(val_op(v, index - first));
                }
                seq.push(val_op(count, 1));
                if index != last {
                    seq.push(val_op(v, last - index));
                }
            }
        }
        let delta = seq.len() as isize - oplen as isize;
        if delta > 0 && s.len() + delta as usize > sparse_max_bytes() {
            return promote(s, index, count);
        }
        let new_len = (s.len() as isize + delta) as usize;
        let old_end = (p + oplen).min(s.len());
        s.splice(p..old_end, seq);
        s.truncate(new_len);
    }
    // Merge adjacent VAL opcodes of the same value, looking at up to 5 opcodes from `prev`.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let (op, len) = op_at(s, p);
        let Op::Val(v1, l1) = op else {
            p += len;
            continue;
        };
        if p + 1 < s.len() {
            if let (Op::Val(v2, l2), _) = op_at(s, p + 1) {
                if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                    s[p + 1] = val_op(v1, l1 + l2);
                    s.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(s);
    1
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> i32 {
    if sparse_to_dense(s).is_err() {
        return -1;
    }
    dense_set(&mut s[HDR..], index, count)
}

/// Adds an element: 1 if a register changed, 0 if not, -1 corrupt.
fn hll_add(s: &mut Vec<u8>, ele: &[u8]) -> i32 {
    let (index, count) = pat_len(ele);
    match s[4] {
        DENSE => dense_set(&mut s[HDR..], index, count),
        SPARSE => sparse_set(s, index, count),
        _ => -1,
    }
}

/// Redis's isHLLObjectOrReply on the bytes of a string: the magic, a known
/// encoding, and a dense one's exact size.
fn is_hll(s: &[u8]) -> bool {
    s.len() >= HDR && &s[..4] == b"HYLL" && s[4] <= SPARSE && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// The histogram of register values of an HLL (or of raw byte registers):
/// None when a sparse one does not cover exactly the registers.
fn histogram(s: &[u8]) -> Option<[u32; 64]> {
    let mut h = [0u32; 64];
    if s[4] == DENSE {
        for i in 0..REGISTERS {
            h[dense_get(&s[HDR..], i) as usize] += 1;
        }
        return Some(h);
    }
    // Unlike the merge, Redis's hllSparseRegHisto counts every run before it checks the total.
    let mut idx = 0usize;
    let mut p = HDR;
    while p < s.len() {
        let (op, len) = op_at(s, p);
        p += len;
        match op {
            Op::Zero(n) | Op::XZero(n) => h[0] += n as u32,
            Op::Val(v, n) => h[v as usize] += n as u32,
        }
        idx += span(op);
    }
    (idx == REGISTERS).then_some(h)
}

fn raw_histogram(regs: &[u8]) -> [u32; 64] {
    let mut h = [0u32; 64];
    for &r in regs {
        h[r as usize] += 1;
    }
    h
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved estimator, as Redis's hllCount computes it from the histogram.
fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// Merges an HLL's registers into `max` (one byte per register): Err when corrupt.
fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), ()> {
    if s[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&s[HDR..], i));
        }
        return Ok(());
    }
    sparse_value_runs(s, |first, v, n| {
        for m in &mut max[first..first + n] {
            *m = (*m).max(v);
        }
    })
}

/// The key's value for an HLL command: Ok(None) when missing; Err with the
/// reply's error when it is no string or no HLL.
fn check_hll(v: &Value) -> Result<(), &'static str> {
    if !is_string(v) {
        return Err(err::WRONGTYPE);
    }
    match v {
        Value::Str(s) if is_hll(s.as_slice()) => Ok(()),
        Value::Raw(r) if is_hll(r) => Ok(()),
        _ => Err(NOT_HLL),
    }
}

fn bytes_of(v: &Value) -> &[u8] {
    match v {
        Value::Str(s) => s.as_slice(),
        Value::Raw(r) => r,
        _ => &[],
    }
}

/// Adds a fresh empty HLL at `key` (fires `new`) and returns its bytes.
fn create<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> &'a mut Vec<u8> {
    let lru = ks.lru_clock();
    ks.dbs[db].add(key, Detached::new(Value::Raw(Box::new(new_hll())), -1, lru));
    ks.notify(db, key, Event::New);
    match &mut ks.peek(db, key).expect("just added").value {
        Value::Raw(r) => r,
        _ => unreachable!(),
    }
}

/// PFADD key [element ...]
fn pfadd_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let key = argv[1];
    let mut updated = 0u64;
    let s = match ks.lookup(db, key) {
        None => {
            updated += 1;
            create(ks, db, key)
        }
        Some(e) => {
            if let Err(t) = check_hll(&e.value) {
                return out.error(t);
            }
            make_raw(&mut e.value)
        }
    };
    for ele in &argv[2..] {
        match hll_add(s, ele) {
            1 => updated += 1,
            -1 => return out.error(CORRUPT),
            _ => {}
        }
    }
    if updated > 0 {
        invalidate_cache(s);
        ks.changed(db, key, Event::PfAdd);
        ks.add_dirty(updated - 1);
    }
    out.int((updated > 0) as i64);
    code::WRITTEN
}

/// PFCOUNT key [key ...]: one key answers from (and refreshes) its cached
/// cardinality; several are merged into a temporary register set.
fn pfcount_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if argv.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        for key in &argv[1..] {
            let Some(e) = ks.lookup_read(db, key) else { continue };
            if let Err(t) = check_hll(&e.value) {
                return out.error(t);
            }
            if merge_into(&mut max, bytes_of(&e.value)).is_err() {
                return out.error(CORRUPT);
            }
        }
        out.int(estimate(&raw_histogram(&max)) as i64);
        return code::WRITTEN;
    }
    let key = argv[1];
    let Some(e) = ks.lookup_read(db, key) else {
        out.int(0);
        return code::WRITTEN;
    };
    if let Err(t) = check_hll(&e.value) {
        return out.error(t);
    }
    let s = make_raw(&mut e.value);
    if s[15] & 0x80 == 0 {
        let card = u64::from_le_bytes(s[8..16].try_into().unwrap());
        out.int(card as i64);
        return code::WRITTEN;
    }
    let Some(h) = histogram(s) else { return out.error(CORRUPT) };
    let card = estimate(&h);
    s[8..16].copy_from_slice(&card.to_le_bytes());
    // Writing the cache back is a change (propagated), without an event.
    ks.signal(db, key);
    ks.add_dirty(1);
    out.int(card as i64);
    code::WRITTEN
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let mut max = vec![0u8; REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        let Some(e) = ks.lookup_read(db, key) else { continue };
        if let Err(t) = check_hll(&e.value) {
            return out.error(t);
        }
        let s = bytes_of(&e.value);
        use_dense |= s[4] == DENSE;
        if merge_into(&mut max, s).is_err() {
            return out.error(CORRUPT);
        }
    }
    let dest = argv[1];
    let s = match ks.lookup(db, dest) {
        None => create(ks, db, dest),
        Some(e) => make_raw(&mut e.value),
    };
    if use_dense && sparse_to_dense(s).is_err() {
        return out.error(CORRUPT);
    }
    for (j, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if s[4] == DENSE {
            dense_set(&mut s[HDR..], j, m);
        } else {
            sparse_set(s, j, m);
        }
    }
    invalidate_cache(s);
    ks.changed(db, dest, Event::PfAdd);
    code::OK
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
fn pfdebug_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let sub = argv[1];
    let key = argv[2];
    let Some(e) = ks.lookup(db, key) else { return out.error("ERR The specified key does not exist") };
    if let Err(t) = check_hll(&e.value) {
        return out.error(t);
    }
    let s = make_raw(&mut e.value);
    let name = sub.split(|&b| b == 0).next().unwrap_or(&[]);
    let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
    if is("getreg") || is("todense") {
        let converted = s[4] == SPARSE;
        if converted && sparse_to_dense(s).is_err() {
            return out.error(CORRUPT);
        }
        if is("getreg") {
            out.array(REGISTERS);
            for i in 0..REGISTERS {
                out.int(dense_get(&s[HDR..], i) as i64);
            }
        } else {
            out.int(converted as i64);
        }
        if converted {
            // The encoding changed: counted, so that it propagates.
            ks.add_dirty(1);
        }
    } else if is("decode") {
        if s[4] != SPARSE {
            return out.error("ERR HLL encoding is not sparse");
        }
        let mut text: Vec<String> = Vec::new();
        let mut p = HDR;
        while p < s.len() {
            let (op, len) = op_at(s, p);
            p += len;
            text.push(match op {
                Op::Zero(n) => format!("z:{n}"),
                Op::XZero(n) => format!("Z:{n}"),
                Op::Val(v, n) => format!("v:{v},{n}"),
            });
        }
        out.bulk(text.join(" ").as_bytes());
    } else if is("encoding") {
        out.simple(if s[4] == DENSE { b"dense" } else { b"sparse" });
    } else {
        return out.error_bytes(&[b"ERR Unknown PFDEBUG subcommand '", crate::util::cstr(name), b"'"].concat());
    }
    code::WRITTEN
}

/// PFSELFTEST: the register packing, and sparse and dense counts agreeing
/// and within error bounds up to 10M elements (Redis's checks).
fn pfselftest_cmd(ks: &mut Keyspace, _db: usize, _argv: &[&[u8]], out: &mut Out) -> i64 {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[4] = DENSE;
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (ks.rand() & REGISTER_MAX as u64) as u8;
            *b = r;
            dense_put(&mut dense[HDR..], i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = dense_get(&dense[HDR..], i);
            if v != b {
                return out.error(&format!("TESTFAILED Register {i} should be {b} but is {v}"));
            }
        }
    }
    dense[HDR..].fill(0);
    let mut o = new_hll();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = ks.rand();
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let (index, count) = pat_len(&ele);
        dense_set(&mut dense[HDR..], index, count);
        hll_add(&mut o, &ele);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max_bytes() / 2 && o[4] != SPARSE {
            return out.error("TESTFAILED sparse encoding not used");
        }
        let card = estimate(&histogram(&dense).unwrap());
        if Some(card) != histogram(&o).map(|h| estimate(&h)) {
            return out.error("TESTFAILED dense/sparse disagree");
        }
        let abserr = (checkpoint as i64 - card as i64).unsigned_abs();
        let maxerr = if j == 10 { 1 } else { (relerr * 6.0 * checkpoint as f64).ceil() as u64 };
        if abserr > maxerr {
            return out.error(&format!("TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    code::OK
}

/// The hyperloglog commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "pfadd", f: pfadd_cmd },
    Cmd { name: "pfcount", f: pfcount_cmd },
    Cmd { name: "pfmerge", f: pfmerge_cmd },
    Cmd { name: "pfdebug", f: pfdebug_cmd },
    Cmd { name: "pfselftest", f: pfselftest_cmd },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &mut Keyspace, args: &[&[u8]]) -> (i64, String) {
        let mut buf = vec![0u8; 1 << 18];
        let mut o = Out::new(&mut buf, 0);
        let name = String::from_utf8_lossy(args[0]).to_lowercase();
        let f = COMMANDS.iter().find(|c| c.name == name).unwrap().f;
        let c = f(k, 0, args, &mut o);
        let end = if c == code::WRITTEN { o.finish() as usize } else { 0 };
        (c, String::from_utf8_lossy(&buf[..end]).trim_end().to_string())
    }

    fn value(k: &mut Keyspace, key: &[u8]) -> Vec<u8> {
        crate::t_string::to_vec(&k.peek(0, key).unwrap().value)
    }

    #[test]
    fn murmur_matches_redis() {
        // Register and count of known elements, as PFDEBUG GETREG shows them in Redis.
        assert_eq!(murmur64a(b"", SEED), murmur64a(b"", SEED));
        let mut k = Keyspace::new(1);
        run(&mut k, &[b"pfadd", b"h", b"a", b"b", b"c"]);
        assert_eq!(run(&mut k, &[b"pfcount", b"h"]).1, ":3");
        let v = value(&mut k, b"h");
        assert_eq!(&v[..5], b"HYLL\x01");
    }

    #[test]
    fn empty_hll_layout() {
        let s = new_hll();
        assert_eq!(s.len(), 16 + 2);
        assert_eq!(&s[16..], &[0x7f, 0xff]);
        assert_eq!(histogram(&s).unwrap()[0], REGISTERS as u32);
        assert_eq!(estimate(&histogram(&s).unwrap()), 0);
    }

    #[test]
    fn sparse_and_dense_agree_and_promote() {
        let mut sparse = new_hll();
        let mut dense = new_hll();
        sparse_to_dense(&mut dense).unwrap();
        for i in 0..20000u32 {
            let e = format!("e{i}");
            let a = hll_add(&mut sparse, e.as_bytes());
            let b = hll_add(&mut dense, e.as_bytes());
            assert_eq!(a, b, "{i}");
            if i % 997 == 0 {
                assert_eq!(estimate(&histogram(&sparse).unwrap()), estimate(&histogram(&dense).unwrap()));
                let mut copy = sparse.clone();
                sparse_to_dense(&mut copy).unwrap();
                assert_eq!(copy[HDR..], dense[HDR..]);
            }
        }
        assert_eq!(sparse[4], DENSE);
        let c = estimate(&histogram(&dense).unwrap());
        assert!((c as i64 - 20000).abs() < 400, "{c}");
    }

    #[test]
    fn fuzzed_values_never_panic() {
        // Random bytes after a valid header, random edits of valid HLLs: every
        // command answers (an error or a value), none reads out of bounds.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = || crate::keyspace::next_rand(&mut seed);
        let mut k = Keyspace::new(1);
        for round in 0..3000 {
            let mut v = if round % 2 == 0 {
                let mut v = new_hll();
                for i in 0..(rnd() % 300) {
                    hll_add(&mut v, format!("{round}-{i}").as_bytes());
                }
                v
            } else {
                let mut v = b"HYLL".to_vec();
                v.push((rnd() % 2) as u8);
                v.extend_from_slice(&[0; 11]);
                let n = if v[4] == DENSE { DENSE_SIZE - HDR } else { (rnd() % 40) as usize };
                v.extend((0..n).map(|_| rnd() as u8));
                v
            };
            for _ in 0..(rnd() % 4) {
                let i = HDR + (rnd() as usize) % (v.len() - HDR).max(1);
                if i < v.len() {
                    v[i] = rnd() as u8;
                }
            }
            if rnd() % 5 == 0 {
                v.truncate(v.len() - (rnd() as usize % 3).min(v.len() - HDR));
            }
            k.set(0, b"x", Value::Raw(Box::new(v.clone())), -1);
            k.set(0, b"y", Value::Raw(Box::new(v)), -1);
            run(&mut k, &[b"pfadd", b"x", b"foo", b"bar", format!("{round}").as_bytes()]);
            run(&mut k, &[b"pfcount", b"x"]);
            run(&mut k, &[b"pfcount", b"x", b"y"]);
            run(&mut k, &[b"pfmerge", b"z", b"x", b"y"]);
            run(&mut k, &[b"pfmerge", b"y", b"x"]);
            run(&mut k, &[b"pfdebug", b"decode", b"y"]);
            run(&mut k, &[b"pfdebug", b"getreg", b"y"]);
            for key in [&b"x"[..], b"y", b"z"] {
                k.dbs[0].remove(key);
            }
        }
    }

    #[test]
    fn corrupt_values_are_refused() {
        let mut k = Keyspace::new(1);
        run(&mut k, &[b"pfadd", b"h", b"a", b"b", b"c"]);
        let mut v = value(&mut k, b"h");
        v.extend_from_slice(b"hello");
        k.set(0, b"h", Value::Raw(Box::new(v.clone())), -1);
        assert_eq!(run(&mut k, &[b"pfcount", b"h"]).1, "-INVALIDOBJ Corrupted HLL object detected");
        v[0] = b'0';
        k.set(0, b"h", Value::Raw(Box::new(v.clone())), -1);
        assert_eq!(run(&mut k, &[b"pfcount", b"h"]).1, "-WRONGTYPE Key is not a valid HyperLogLog string value.");
        k.set(0, b"s", Value::Int(5), -1);
        assert_eq!(run(&mut k, &[b"pfadd", b"s", b"a"]).1, "-WRONGTYPE Key is not a valid HyperLogLog string value.");
    }
}
