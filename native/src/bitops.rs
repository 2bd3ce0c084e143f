//! Bitmaps (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO over string values. Bit 0 is the most significant
//! bit of the first byte. Writing commands make the value a growable `raw`
//! string (Redis's dbUnshareStringValue) padded with zero bytes up to the
//! highest bit they touch.
use crate::changes::Event;
use crate::command::Cmd;
use crate::keyspace::{Detached, Keyspace, Value};
use crate::reply::{code, err, Out};
use crate::t_string::{is_string, make_raw, with_bytes, Ttl};
use crate::util::{cstr, parse_i64};

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";


fn is_word(a: &[u8], w: &str) -> bool {
    cstr(a).eq_ignore_ascii_case(w.as_bytes())
}

/// Redis's getBitOffsetFromArgument: a bit offset, or with `hash_bits` > 0 a
/// `#N` offset counted in fields of that width.
fn bit_offset(arg: &[u8], hash_bits: u64) -> Result<u64, ()> {
    let hash = hash_bits > 0 && arg.first() == Some(&b'#');
    let mut off = parse_i64(if hash { &arg[1..] } else { arg }).ok_or(())?;
    if hash {
        off = off.wrapping_mul(hash_bits as i64);
    }
    if off < 0 || (off as u64 >> 3) >= crate::config::get().proto_max_bulk_len as u64 {
        return Err(());
    }
    Ok(off as u64)
}

/// Redis's getBitfieldTypeFromArgument: (signed, bits) for `i1`..`i64`, `u1`..`u63`.
fn bitfield_type(arg: &[u8]) -> Result<(bool, u64), ()> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(()),
    };
    let bits = parse_i64(cstr(&arg[1..])).ok_or(())?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(());
    }
    Ok((signed, bits as u64))
}

/// The string at `key` made raw and grown with zero bytes so that bit `maxbit`
/// exists (Redis's lookupStringForBitCommand): the bytes, and whether the key
/// was created or grew. A new key fires `new`.
fn bits_for_write<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8], maxbit: u64) -> Result<(&'a mut Vec<u8>, bool), &'static str> {
    let need = (maxbit >> 3) as usize + 1;
    let exists = match ks.lookup(db, key) {
        Some(e) if !is_string(&e.value) => return Err(err::WRONGTYPE),
        Some(_) => true,
        None => false,
    };
    if !exists {
        let lru = ks.lru_clock();
        ks.dbs[db].add(key, Detached::new(Value::Raw(Box::new(vec![0u8; need])), -1, lru));
        ks.notify(db, key, Event::New);
    }
    let e = ks.peek(db, key).expect("the key exists");
    let r = make_raw(&mut e.value);
    let grew = r.len() < need;
    if grew {
        r.resize(need, 0);
    }
    Ok((r, !exists || grew))
}

/// Redis's redisBitpos over `s`: the first bit equal to `bit`; when there is
/// none, -1 for a 1, or the bit just past the end for a 0 (the string is
/// taken as padded with zeros on the right).
fn first_bit(s: &[u8], bit: bool) -> i64 {
    for (i, &b) in s.iter().enumerate() {
        let x = if bit { b } else { !b };
        if x != 0 {
            return i as i64 * 8 + x.leading_zeros() as i64;
        }
    }
    if bit {
        -1
    } else {
        s.len() as i64 * 8
    }
}

fn popcount(s: &[u8]) -> i64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        n += u64::from_ne_bytes(c.try_into().unwrap()).count_ones() as u64;
    }
    n += chunks.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>();
    n as i64
}

/// SETBIT key offset value
fn setbit_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Ok(off) = bit_offset(argv[2], 0) else { return out.error(BAD_OFFSET) };
    let on = match parse_i64(argv[3]) {
        Some(v) if v & !1 == 0 => v as u8,
        _ => return out.error("ERR bit is not an integer or out of range"),
    };
    let (r, dirty) = match bits_for_write(ks, db, argv[1], off) {
        Ok(x) => x,
        Err(e) => return out.error(e),
    };
    let byte = (off >> 3) as usize;
    let shift = 7 - (off & 7) as u8;
    let old = (r[byte] >> shift) & 1;
    let change = dirty || old != on;
    if change {
        r[byte] = (r[byte] & !(1 << shift)) | (on << shift);
    }
    if change {
        ks.changed(db, argv[1], Event::SetBit);
    }
    out.int(old as i64);
    code::WRITTEN
}

/// GETBIT key offset
fn getbit_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Ok(off) = bit_offset(argv[2], 0) else { return out.error(BAD_OFFSET) };
    let bit = match ks.lookup_read(db, argv[1]) {
        None => 0,
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => with_bytes(&e.value, |s| {
            let byte = (off >> 3) as usize;
            if byte < s.len() {
                (s[byte] >> (7 - (off & 7))) & 1
            } else {
                0
            }
        }),
    };
    out.int(bit as i64);
    code::WRITTEN
}

/// A BITCOUNT/BITPOS range resolved as Redis does: byte bounds and the masks
/// of the bits outside a BIT range in its first and last bytes.
struct Range {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

fn resolve(mut start: i64, mut end: i64, len: i64, isbit: bool) -> Range {
    let total = if isbit { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if isbit && start <= end {
        first_mask = (!((1u32 << (8 - (start & 7))) - 1) & 0xFF) as u8;
        last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Range { start, end, first_mask, last_mask }
}

/// BIT or BYTE (a syntax error otherwise).
fn unit_arg(a: &[u8]) -> Option<bool> {
    if is_word(a, "bit") {
        Some(true)
    } else if is_word(a, "byte") {
        Some(false)
    } else {
        None
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let e = match ks.lookup_read(db, argv[1]) {
        None => {
            out.int(0);
            return code::WRITTEN;
        }
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => e,
    };
    with_bytes(&e.value, |p| {
        let len = p.len() as i64;
        let r = match argv.len() {
            4 | 5 => {
                let Some(start) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
                let Some(end) = parse_i64(argv[3]) else { return out.error(err::NOT_INT) };
                if start < 0 && end < 0 && start > end {
                    out.int(0);
                    return code::WRITTEN;
                }
                let isbit = if argv.len() == 5 {
                    match unit_arg(argv[4]) {
                        Some(b) => b,
                        None => return out.error(err::SYNTAX),
                    }
                } else {
                    false
                };
                resolve(start, end, len, isbit)
            }
            2 => Range { start: 0, end: len - 1, first_mask: 0, last_mask: 0 },
            _ => return out.error(err::SYNTAX),
        };
        if r.start > r.end {
            out.int(0);
            return code::WRITTEN;
        }
        let (s, e) = (r.start as usize, r.end as usize);
        let mut count = popcount(&p[s..=e]);
        count -= (p[s] & r.first_mask).count_ones() as i64 + (p[e] & r.last_mask).count_ones() as i64;
        out.int(count);
        code::WRITTEN
    })
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(bit) = parse_i64(argv[2]) else { return out.error(err::NOT_INT) };
    if bit != 0 && bit != 1 {
        return out.error("ERR The bit argument must be 1 or 0.");
    }
    let bit = bit == 1;
    let e = match ks.lookup_read(db, argv[1]) {
        None => {
            out.int(if bit { -1 } else { 0 });
            return code::WRITTEN;
        }
        Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
        Some(e) => e,
    };
    with_bytes(&e.value, |p| {
        let len = p.len() as i64;
        let mut end_given = false;
        let r = match argv.len() {
            4..=6 => {
                let Some(start) = parse_i64(argv[3]) else { return out.error(err::NOT_INT) };
                let isbit = if argv.len() == 6 {
                    match unit_arg(argv[5]) {
                        Some(b) => b,
                        None => return out.error(err::SYNTAX),
                    }
                } else {
                    false
                };
                let end = if argv.len() >= 5 {
                    let Some(end) = parse_i64(argv[4]) else { return out.error(err::NOT_INT) };
                    end_given = true;
                    end
                } else if isbit {
                    (len << 3) + 7
                } else {
                    len - 1
                };
                resolve(start, end, len, isbit)
            }
            3 => Range { start: 0, end: len - 1, first_mask: 0, last_mask: 0 },
            _ => return out.error(err::SYNTAX),
        };
        if r.start > r.end {
            out.int(-1);
            return code::WRITTEN;
        }
        out.int(bitpos_in(p, &r, bit, end_given));
        code::WRITTEN
    })
}

/// BITPOS's search within a resolved, non-empty range (Redis's steps: the
/// masked first byte, the whole bytes, the masked last byte).
fn bitpos_in(p: &[u8], r: &Range, bit: bool, end_given: bool) -> i64 {
    let mut start = r.start;
    let mut bytes = r.end - r.start + 1;
    let masked = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'found: {
        if r.first_mask != 0 {
            let mut c = masked(p[start as usize], r.first_mask);
            if r.last_mask != 0 && bytes == 1 {
                c = masked(c, r.last_mask);
            }
            let pos = first_bit(&[c], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let cur = bytes - if r.last_mask != 0 { 1 } else { 0 };
        if cur > 0 {
            let pos = first_bit(&p[start as usize..(start + cur) as usize], bit);
            if bytes == cur || (pos != -1 && pos != cur << 3) {
                break 'found pos;
            }
            start += cur;
            bytes -= cur;
        }
        first_bit(&[masked(p[r.end as usize], r.last_mask)], bit)
    };
    // A 0 searched in an explicit range is not found past the range's end.
    if end_given && !bit && pos == bytes << 3 {
        return -1;
    }
    if pos != -1 {
        pos + (start << 3)
    } else {
        pos
    }
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
fn bitop_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match argv[1] {
        a if is_word(a, "and") => Op::And,
        a if is_word(a, "or") => Op::Or,
        a if is_word(a, "xor") => Op::Xor,
        a if is_word(a, "not") => Op::Not,
        _ => return out.error(err::SYNTAX),
    };
    if op == Op::Not && argv.len() != 4 {
        return out.error("ERR BITOP NOT must be called with a single source key.");
    }
    let mut srcs: Vec<Option<Vec<u8>>> = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match ks.lookup_read(db, key) {
            None => srcs.push(None),
            Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
            Some(e) => srcs.push(Some(with_bytes(&e.value, |b| b.to_vec()))),
        }
    }
    let maxlen = srcs.iter().map(|s| s.as_ref().map_or(0, |v| v.len())).max().unwrap_or(0);
    let dest = argv[2];
    if maxlen > 0 {
        let byte_at = |s: &Option<Vec<u8>>, j: usize| s.as_ref().and_then(|v| v.get(j).copied()).unwrap_or(0);
        let mut res = vec![0u8; maxlen];
        for (j, r) in res.iter_mut().enumerate() {
            let mut o = byte_at(&srcs[0], j);
            match op {
                Op::Not => o = !o,
                Op::And => srcs[1..].iter().for_each(|s| o &= byte_at(s, j)),
                Op::Or => srcs[1..].iter().for_each(|s| o |= byte_at(s, j)),
                Op::Xor => srcs[1..].iter().for_each(|s| o ^= byte_at(s, j)),
            }
            *r = o;
        }
        ks.store_str(db, dest, Value::Raw(Box::new(res)), Ttl::Clear);
        ks.changed(db, dest, Event::Set);
    } else {
        ks.delete(db, dest);
    }
    out.int(maxlen as i64);
    code::WRITTEN
}

/// The unsigned `bits`-wide field at bit `offset` (the bytes must cover it).
fn get_unsigned(p: &[u8], offset: u64, bits: u64) -> u64 {
    let mut v = 0u64;
    for j in 0..bits {
        let o = offset + j;
        v = (v << 1) | ((p[(o >> 3) as usize] >> (7 - (o & 7))) & 1) as u64;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u64) -> i64 {
    let mut v = get_unsigned(p, offset, bits) as i64;
    if bits < 64 && v & (1i64 << (bits - 1)) != 0 {
        v |= -1i64 << bits;
    }
    v
}

fn set_field(p: &mut [u8], offset: u64, bits: u64, value: u64) {
    for j in 0..bits {
        let o = offset + j;
        let bitval = ((value >> (bits - 1 - j)) & 1) as u8;
        let byte = (o >> 3) as usize;
        let shift = 7 - (o & 7) as u8;
        p[byte] = (p[byte] & !(1 << shift)) | (bitval << shift);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Redis's checkUnsignedBitfieldOverflow: whether `value + incr` leaves the
/// range of a `bits`-wide unsigned field, and the value to store then (WRAP, SAT).
fn unsigned_overflow(value: u64, incr: i64, bits: u64, ow: Overflow) -> Option<u64> {
    let max: u64 = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX << bits);
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// Redis's checkSignedBitfieldOverflow (see `unsigned_overflow`).
fn signed_overflow(value: i64, incr: i64, bits: u64, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        })
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => min,
            Overflow::Fail => 0,
        })
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

struct BitfieldOp {
    offset: u64,
    arg: i64,
    op: FieldOp,
    ow: Overflow,
    bits: u64,
    signed: bool,
}

/// BITFIELD (and BITFIELD_RO with `readonly`): parses every operation first
/// (errors in Redis's order), then runs them in order.
fn bitfield_generic(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, ro_cmd: bool) -> i64 {
    let mut ops: Vec<BitfieldOp> = Vec::new();
    let mut ow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest: u64 = 0;
    let mut j = 2;
    while j < argv.len() {
        let remargs = argv.len() - j - 1;
        let sub = argv[j];
        let op = if is_word(sub, "get") && remargs >= 2 {
            FieldOp::Get
        } else if is_word(sub, "set") && remargs >= 3 {
            FieldOp::Set
        } else if is_word(sub, "incrby") && remargs >= 3 {
            FieldOp::IncrBy
        } else if is_word(sub, "overflow") && remargs >= 1 {
            let name = argv[j + 1];
            j += 2;
            ow = if is_word(name, "wrap") {
                Overflow::Wrap
            } else if is_word(name, "sat") {
                Overflow::Sat
            } else if is_word(name, "fail") {
                Overflow::Fail
            } else {
                return out.error("ERR Invalid OVERFLOW type specified");
            };
            continue;
        } else {
            return out.error(err::SYNTAX);
        };
        let Ok((signed, bits)) = bitfield_type(argv[j + 1]) else { return out.error(BAD_TYPE) };
        let Ok(offset) = bit_offset(argv[j + 2], bits) else { return out.error(BAD_OFFSET) };
        let mut arg = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest = highest.max(offset + bits - 1);
            let Some(v) = parse_i64(argv[j + 3]) else { return out.error(err::NOT_INT) };
            arg = v;
        }
        ops.push(BitfieldOp { offset, arg, op, ow, bits, signed });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }

    if readonly {
        // Only GETs: read the value where it is (a missing key reads as zeros).
        let reply_all = |out: &mut Out, src: &[u8]| {
            out.array(ops.len());
            ops.iter().for_each(|op| reply_get(out, src, op));
        };
        match ks.lookup_read(db, argv[1]) {
            Some(e) if !is_string(&e.value) => return out.error(err::WRONGTYPE),
            Some(e) => with_bytes(&e.value, |b| reply_all(out, b)),
            None => reply_all(out, &[]),
        }
        return code::WRITTEN;
    }
    if ro_cmd {
        return out.error("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let (p, dirty) = match bits_for_write(ks, db, argv[1], highest) {
        Ok(x) => x,
        Err(e) => return out.error(e),
    };
    out.array(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        if op.op == FieldOp::Get {
            reply_get(out, p, op);
            continue;
        }
        let (old, new, ret, overflow) = if op.signed {
            let old = get_signed(p, op.offset, op.bits);
            let (new, overflow, ret);
            if op.op == FieldOp::IncrBy {
                let o = signed_overflow(old, op.arg, op.bits, op.ow);
                new = o.unwrap_or(old.wrapping_add(op.arg));
                ret = new;
                overflow = o.is_some();
            } else {
                let o = signed_overflow(op.arg, 0, op.bits, op.ow);
                new = o.unwrap_or(op.arg);
                ret = old;
                overflow = o.is_some();
            }
            (old as u64, new as u64, ret, overflow)
        } else {
            let old = get_unsigned(p, op.offset, op.bits);
            let (new, overflow, ret);
            if op.op == FieldOp::IncrBy {
                let o = unsigned_overflow(old, op.arg, op.bits, op.ow);
                new = o.unwrap_or(old.wrapping_add(op.arg as u64));
                ret = new as i64;
                overflow = o.is_some();
            } else {
                let o = unsigned_overflow(op.arg as u64, 0, op.bits, op.ow);
                new = o.unwrap_or(op.arg as u64);
                ret = old as i64;
                overflow = o.is_some();
            }
            (old, new, ret, overflow)
        };
        if overflow && op.ow == Overflow::Fail {
            out.null();
            continue;
        }
        out.int(ret);
        set_field(p, op.offset, op.bits, new);
        if dirty || old != new {
            changes += 1;
        }
    }
    if changes > 0 {
        ks.changed(db, argv[1], Event::SetBit);
        ks.add_dirty(changes - 1);
    }
    code::WRITTEN
}

/// A GET of BITFIELD: the field read from up to 9 bytes of `src` copied to a
/// zero-padded buffer (so a field past the end reads as zeros).
fn reply_get(out: &mut Out, src: &[u8], op: &BitfieldOp) {
    let byte = (op.offset >> 3) as usize;
    let mut buf = [0u8; 9];
    if byte < src.len() {
        let n = (src.len() - byte).min(9);
        buf[..n].copy_from_slice(&src[byte..byte + n]);
    }
    let off = op.offset - (byte as u64) * 8;
    if op.signed {
        out.int(get_signed(&buf, off, op.bits));
    } else {
        out.int(get_unsigned(&buf, off, op.bits) as i64);
    }
}

fn bitfield_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bitfield_generic(ks, db, argv, out, false)
}

fn bitfield_ro_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    bitfield_generic(ks, db, argv, out, true)
}

/// The bitops commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "setbit", f: setbit_cmd },
    Cmd { name: "getbit", f: getbit_cmd },
    Cmd { name: "bitcount", f: bitcount_cmd },
    Cmd { name: "bitpos", f: bitpos_cmd },
    Cmd { name: "bitop", f: bitop_cmd },
    Cmd { name: "bitfield", f: bitfield_cmd },
    Cmd { name: "bitfield_ro", f: bitfield_ro_cmd },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &mut Keyspace, args: &[&str]) -> String {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut buf = vec![0u8; 1 << 16];
        let mut o = Out::new(&mut buf, 0);
        let f = COMMANDS.iter().find(|c| c.name == args[0].to_lowercase()).unwrap().f;
        let c = f(k, 0, &argv, &mut o);
        let end = o.finish() as usize;
        assert_eq!(c, code::WRITTEN);
        String::from_utf8_lossy(&buf[..end]).replace("\r\n", " ").trim_end().to_string()
    }

    #[test]
    fn setbit_getbit_grow() {
        let mut k = Keyspace::new(1);
        assert_eq!(run(&mut k, &["setbit", "k", "7", "1"]), ":0");
        assert_eq!(run(&mut k, &["setbit", "k", "7", "1"]), ":1");
        assert_eq!(run(&mut k, &["getbit", "k", "7"]), ":1");
        assert_eq!(run(&mut k, &["getbit", "k", "100"]), ":0");
        assert_eq!(run(&mut k, &["setbit", "k", "-1", "1"]), "-ERR bit offset is not an integer or out of range");
        assert_eq!(run(&mut k, &["setbit", "k", "1", "2"]), "-ERR bit is not an integer or out of range");
        assert_eq!(run(&mut k, &["setbit", "k", "4294967296", "1"]), "-ERR bit offset is not an integer or out of range");
        assert_eq!(run(&mut k, &["bitcount", "k"]), ":1");
    }

    #[test]
    fn bitpos_edges() {
        let mut k = Keyspace::new(1);
        k.set(0, b"s", Value::Raw(Box::new(vec![0xff, 0xf0, 0x00])), -1);
        assert_eq!(run(&mut k, &["bitpos", "s", "0"]), ":12");
        assert_eq!(run(&mut k, &["bitpos", "s", "1", "2"]), ":-1");
        assert_eq!(run(&mut k, &["bitpos", "s", "0", "0", "0"]), ":-1");
        assert_eq!(run(&mut k, &["bitpos", "s", "0", "0"]), ":12");
        assert_eq!(run(&mut k, &["bitpos", "s", "1", "7", "15", "bit"]), ":7");
        assert_eq!(run(&mut k, &["bitpos", "s", "0", "7", "11", "bit"]), ":-1");
        assert_eq!(run(&mut k, &["bitpos", "s", "0", "7", "12", "bit"]), ":12");
        k.set(0, b"f", Value::Raw(Box::new(vec![0xff, 0xff])), -1);
        assert_eq!(run(&mut k, &["bitpos", "f", "0"]), ":16");
        assert_eq!(run(&mut k, &["bitpos", "f", "0", "0", "-1"]), ":-1");
    }

    #[test]
    fn bitfield_overflow() {
        let mut k = Keyspace::new(1);
        assert_eq!(run(&mut k, &["bitfield", "b", "incrby", "u2", "100", "1", "overflow", "sat", "incrby", "u2", "102", "1"]), "*2 :1 :1");
        assert_eq!(run(&mut k, &["bitfield", "b", "overflow", "fail", "incrby", "u2", "100", "4"]), "*1 $-1");
        assert_eq!(run(&mut k, &["bitfield", "b", "set", "i8", "#1", "-100", "incrby", "i8", "#1", "-100"]), "*2 :0 :56");
        assert_eq!(run(&mut k, &["bitfield", "b", "overflow", "sat", "incrby", "i8", "#1", "-300"]), "*1 :-128");
        assert_eq!(run(&mut k, &["bitfield", "b", "set", "i64", "0", "-1", "get", "u63", "0"]), "*2 :36028797018963968 :9223372036854775807");
        assert_eq!(run(&mut k, &["bitfield", "b", "get", "u64", "0"]), format!("-{BAD_TYPE}"));
        assert_eq!(run(&mut k, &["bitfield_ro", "b", "set", "u8", "0", "1"]), "-ERR BITFIELD_RO only supports the GET subcommand");
        assert_eq!(run(&mut k, &["bitfield", "b", "overflow", "x"]), "-ERR Invalid OVERFLOW type specified");
    }

    #[test]
    fn bitfield_matches_a_model() {
        // Every width, random offsets and values: GET after SET reads back the value truncated to the width.
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut rnd = || crate::keyspace::next_rand(&mut seed);
        let mut p = vec![0u8; 32];
        for _ in 0..5000 {
            let bits = rnd() % 64 + 1;
            let off = rnd() % (32 * 8 - bits);
            let v = rnd();
            set_field(&mut p, off, bits, v);
            let mask = if bits == 64 { u64::MAX } else { (1 << bits) - 1 };
            assert_eq!(get_unsigned(&p, off, bits), v & mask);
            let s = get_signed(&p, off, bits);
            assert_eq!(s as u64 & mask, v & mask);
            assert!(bits == 64 || (s >= -(1i64 << (bits - 1)) && s < (1i64 << (bits - 1))));
        }
    }
}
