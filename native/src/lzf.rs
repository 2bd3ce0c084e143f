//! LZF compression, byte-compatible with Redis's lzf_c.c / lzf_d.c (liblzf 3.6
//! as Redis builds it: HLOG 16, VERY_FAST, the hash table zeroed: Redis leaves
//! it uninitialized, which only ever adds matches when stack garbage happens to
//! point at equal bytes, so zeroed is the deterministic form of its output).
//! Used by the quicklist's compressed inner nodes and the RDB codec.
//!
//! Format: `000LLLLL` + L+1 literal octets; `LLLooooo oooooooo` a back
//! reference of L+2 octets at offset o+1; `111ooooo LLLLLLLL oooooooo` a back
//! reference of L+9 octets.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn frst(p: &[u8], i: usize) -> u32 {
    ((p[i] as u32) << 8) | p[i + 1] as u32
}
#[inline]
fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | p[i + 2] as u32
}
#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `out_len` bytes, as lzf_compress does:
/// None where it returns 0 (empty input, or the output would not fit).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    HTAB.with(|t| compress_with(&mut t.borrow_mut(), input, out_len))
}

/// The hash table of positions, reused between calls: a slot holds
/// `generation << 32 | position + 1`, and a slot of an older generation reads
/// as empty, so a call never clears (or allocates) 256 KB of table: the RDB
/// writer compresses every string over 20 bytes.
struct Htab {
    slots: Vec<u64>,
    gen: u64,
}

thread_local! {
    static HTAB: std::cell::RefCell<Htab> = const { std::cell::RefCell::new(Htab { slots: Vec::new(), gen: 0 }) };
}

impl Htab {
    #[inline]
    fn get(&self, slot: usize) -> u32 {
        let v = self.slots[slot];
        if v >> 32 == self.gen {
            v as u32
        } else {
            0
        }
    }
    #[inline]
    fn set(&mut self, slot: usize, pos_plus_one: u32) {
        self.slots[slot] = (self.gen << 32) | pos_plus_one as u64;
    }
}

fn compress_with(htab: &mut Htab, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if htab.slots.is_empty() || htab.gen == u32::MAX as u64 {
        htab.slots = vec![0u64; HSIZE];
        htab.gen = 0;
    }
    htab.gen += 1;
    // A few spare bytes: the C code may leave `op` one past a run it starts.
    let mut out = vec![0u8; out_len + 4];
    let mut ip = 0usize;
    let mut op = 0usize;
    let mut lit: usize = 0;
    op += 1; // start run

    let mut hval = if in_len >= 2 { frst(input, 0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab.get(slot);
        htab.set(slot, ip as u32 + 1);
        let mut matched = false;
        let mut rf = 0usize;
        let mut off = 0usize;
        if r != 0 {
            rf = r as usize - 1;
            if rf < ip {
                off = ip - rf - 1;
                matched = off < MAX_OFF && rf > 0 && input[rf + 2] == input[ip + 2] && input[rf] == input[ip] && input[rf + 1] == input[ip + 1];
            }
        }
        if matched {
            let mut len = 2usize;
            let mut maxlen = in_len - ip - len;
            if maxlen > MAX_REF {
                maxlen = MAX_REF;
            }
            if op + 3 + 1 >= out_len && op - (lit == 0) as usize + 3 + 1 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
            op -= (lit == 0) as usize; // undo run if length is zero

            'find: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[rf + len] != input[ip + len] {
                            break 'find;
                        }
                    }
                }
                loop {
                    len += 1;
                    if !(len < maxlen && input[rf + len] == input[ip + len]) {
                        break;
                    }
                }
            }

            len -= 2; // len is now #octets - 1
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(input, ip);
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip as u32 + 1);
            ip += 1;
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip as u32 + 1);
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
    op -= (lit == 0) as usize;
    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, expecting at most `out_len` bytes (lzf_decompress):
/// None on corrupt input or output that would not fit.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    let in_len = input.len();
    while ip < in_len {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if out.len() + n > out_len || ip + n > in_len {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if ip >= in_len {
                return None;
            }
            if len == 7 {
                len += input[ip] as usize;
                ip += 1;
                if ip >= in_len {
                    return None;
                }
            }
            let back = ((ctrl & 0x1f) << 8) + 1 + input[ip] as usize;
            ip += 1;
            if out.len() + len + 2 > out_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            // Octet by octet: the source may overlap what is being written.
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn known_outputs() {
        // Produced by Redis's lzf_compress (these bytes are what an RDB holds).
        assert_eq!(compress(&[b'a'; 50], 50).unwrap(), vec![1, 97, 97, 224, 37, 0, 1, 97, 97]);
        assert_eq!(compress(b"abcabcabcabcabcabcabcabc", 24).unwrap(), vec![3, 97, 98, 99, 97, 224, 10, 2, 0, 99]);
        // Incompressible: no room.
        assert!(compress(b"abcdefgh", 8).is_none());
        assert!(compress(b"", 10).is_none());
    }

    #[test]
    fn round_trips() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for round in 0..500 {
            let n = (rng(&mut seed) % 3000) as usize;
            let alphabet = 1 + (round % 7) as u64 * 40;
            let v: Vec<u8> = (0..n).map(|_| (rng(&mut seed) % alphabet) as u8).collect();
            let Some(c) = compress(&v, v.len() + v.len() / 16 + 64) else {
                assert!(v.is_empty());
                continue;
            };
            assert_eq!(decompress(&c, v.len()).unwrap(), v);
            // A too small output buffer fails cleanly.
            if !v.is_empty() {
                assert!(decompress(&c, v.len() - 1).is_none());
            }
            if c.len() > 1 {
                let _ = compress(&v, c.len() - 1).map(|c2| assert_eq!(decompress(&c2, v.len()).unwrap(), v));
            }
        }
    }

    /// Compares with Redis's own lzf_compress over a corpus: records of (u32 LE
    /// length, input, u32 LE out_len) in LZF_CORPUS, and its outputs (u64 LE
    /// length, bytes) in LZF_CORPUS_OUT. Skipped when they are not given.
    #[test]
    fn same_bytes_as_redis_over_a_corpus() {
        let (Ok(cp), Ok(op)) = (std::env::var("LZF_CORPUS"), std::env::var("LZF_CORPUS_OUT")) else { return };
        let c = std::fs::read(cp).unwrap();
        let o = std::fs::read(op).unwrap();
        let (mut i, mut j, mut n) = (0usize, 0usize, 0);
        while i < c.len() {
            let len = u32::from_le_bytes(c[i..i + 4].try_into().unwrap()) as usize;
            let input = &c[i + 4..i + 4 + len];
            let out_len = u32::from_le_bytes(c[i + 4 + len..i + 8 + len].try_into().unwrap()) as usize;
            i += 8 + len;
            let rlen = u64::from_le_bytes(o[j..j + 8].try_into().unwrap()) as usize;
            let expect = &o[j + 8..j + 8 + rlen];
            j += 8 + rlen;
            let got = compress(input, out_len).unwrap_or_default();
            assert_eq!(got, expect, "record {n} (len {len}, out_len {out_len})");
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn corrupt_input_is_refused() {
        assert!(decompress(&[5, 1, 2], 100).is_none()); // literal past the end
        assert!(decompress(&[0, 1, 32, 9], 100).is_none()); // reference before the start
        assert!(decompress(&[0, 1, 224], 100).is_none()); // truncated reference
    }
}
