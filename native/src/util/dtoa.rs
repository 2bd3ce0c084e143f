//! Grisu2 double-to-text, as Redis 7.2 prints doubles (its deps/fpconv): the
//! digits Grisu2 finds (round-trip exact, shortest nearly always) and the
//! layout fpconv chooses (plain integer, plain decimal, or `d.ddde+XX`).
//! Redis uses this text for scores in replies, listpacks and DEBUG DIGEST, so
//! it must match to the byte, including where Grisu2 is not the shortest form.

/// A normalized-ish binary floating point value: frac * 2^exp.
#[derive(Clone, Copy)]
struct Fp {
    frac: u64,
    exp: i32,
}

const FRAC_MASK: u64 = 0x000F_FFFF_FFFF_FFFF;
const EXP_MASK: u64 = 0x7FF0_0000_0000_0000;
const HIDDEN_BIT: u64 = 0x0010_0000_0000_0000;
const SIGN_MASK: u64 = 0x8000_0000_0000_0000;
const EXP_BIAS: i32 = 1023 + 52;

/// Cached powers of ten 10^k (k = -348, -340, ..., 340) as 64-bit significands and binary exponents.
const FIRST_POWER: i32 = -348;
const STEP_POWERS: i32 = 8;
const POWERS: [(u64, i32); 87] = [
    (18054884314459144840, -1220), (13451937075301367670, -1193), (10022474136428063862, -1166),
    (14934650266808366570, -1140), (11127181549972568877, -1113), (16580792590934885855, -1087),
    (12353653155963782858, -1060), (18408377700990114895, -1034), (13715310171984221708, -1007),
    (10218702384817765436, -980), (15227053142812498563, -954), (11345038669416679861, -927),
    (16905424996341287883, -901), (12595523146049147757, -874), (9384396036005875287, -847),
    (13983839803942852151, -821), (10418772551374772303, -794), (15525180923007089351, -768),
    (11567161174868858868, -741), (17236413322193710309, -715), (12842128665889583758, -688),
    (9568131466127621947, -661), (14257626930069360058, -635), (10622759856335341974, -608),
    (15829145694278690180, -582), (11793632577567316726, -555), (17573882009934360870, -529),
    (13093562431584567480, -502), (9755464219737475723, -475), (14536774485912137811, -449),
    (10830740992659433045, -422), (16139061738043178685, -396), (12024538023802026127, -369),
    (17917957937422433684, -343), (13349918974505688015, -316), (9946464728195732843, -289),
    (14821387422376473014, -263), (11042794154864902060, -236), (16455045573212060422, -210),
    (12259964326927110867, -183), (18268770466636286478, -157), (13611294676837538539, -130),
    (10141204801825835212, -103), (15111572745182864684, -77), (11258999068426240000, -50),
    (16777216000000000000, -24), (12500000000000000000, 3), (9313225746154785156, 30),
    (13877787807814456755, 56), (10339757656912845936, 83), (15407439555097886824, 109),
    (11479437019748901445, 136), (17105694144590052135, 162), (12744735289059618216, 189),
    (9495567745759798747, 216), (14149498560666738074, 242), (10542197943230523224, 269),
    (15709099088952724970, 295), (11704190886730495818, 322), (17440603504673385349, 348),
    (12994262207056124023, 375), (9681479787123295682, 402), (14426529090290212157, 428),
    (10748601772107342003, 455), (16016664761464807395, 481), (11933345169920330789, 508),
    (17782069995880619868, 534), (13248674568444952270, 561), (9871031767461413346, 588),
    (14708983551653345445, 614), (10959046745042015199, 641), (16330252207878254650, 667),
    (12166986024289022870, 694), (18130221999122236476, 720), (13508068024458167312, 747),
    (10064294952495520794, 774), (14996968138956309548, 800), (11173611982879273257, 827),
    (16649979327439178909, 853), (12405201291620119593, 880), (9242595204427927429, 907),
    (13772540099066387757, 933), (10261342003245940623, 960), (15290591125556738113, 986),
    (11392378155556871081, 1013), (16975966327722178521, 1039), (12648080533535911531, 1066),
];

const TENS: [u64; 20] = [
    10000000000000000000, 1000000000000000000, 100000000000000000, 10000000000000000,
    1000000000000000, 100000000000000, 10000000000000, 1000000000000, 100000000000,
    10000000000, 1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1,
];

fn build_fp(d: f64) -> Fp {
    let bits = d.to_bits();
    let frac = bits & FRAC_MASK;
    let exp = ((bits & EXP_MASK) >> 52) as i32;
    if exp != 0 {
        Fp { frac: frac + HIDDEN_BIT, exp: exp - EXP_BIAS }
    } else {
        Fp { frac, exp: -EXP_BIAS + 1 }
    }
}

fn normalize(fp: &mut Fp) {
    while fp.frac & HIDDEN_BIT == 0 {
        fp.frac <<= 1;
        fp.exp -= 1;
    }
    fp.frac <<= 11;
    fp.exp -= 11;
}

/// The boundaries halfway to the neighbouring doubles, on a common exponent.
fn boundaries(fp: Fp) -> (Fp, Fp) {
    let mut upper = Fp { frac: (fp.frac << 1) + 1, exp: fp.exp - 1 };
    while upper.frac & (HIDDEN_BIT << 1) == 0 {
        upper.frac <<= 1;
        upper.exp -= 1;
    }
    upper.frac <<= 10;
    upper.exp -= 10;
    let l_shift = if fp.frac == HIDDEN_BIT { 2 } else { 1 };
    let mut lower = Fp { frac: (fp.frac << l_shift) - 1, exp: fp.exp - l_shift };
    lower.frac <<= lower.exp - upper.exp;
    lower.exp = upper.exp;
    (lower, upper)
}

/// The cached power whose product with a value of binary exponent `exp` lands in [-60, -32].
fn cached_pow10(exp: i32) -> (Fp, i32) {
    const ONE_LOG_TEN: f64 = 0.30102999566398114;
    let approx = (-(exp + 87) as f64 * ONE_LOG_TEN) as i32;
    let mut idx = (approx - FIRST_POWER) / STEP_POWERS;
    loop {
        let current = exp + POWERS[idx as usize].1 + 64;
        if current < -60 {
            idx += 1;
        } else if current > -32 {
            idx -= 1;
        } else {
            let (frac, e) = POWERS[idx as usize];
            return (Fp { frac, exp: e }, FIRST_POWER + idx * STEP_POWERS);
        }
    }
}

/// The high 64 bits of the 128-bit product, rounded half up (as fpconv does it).
fn multiply(a: Fp, b: Fp) -> Fp {
    const LO: u64 = 0xFFFF_FFFF;
    let ah_bl = (a.frac >> 32) * (b.frac & LO);
    let al_bh = (a.frac & LO) * (b.frac >> 32);
    let al_bl = (a.frac & LO) * (b.frac & LO);
    let ah_bh = (a.frac >> 32) * (b.frac >> 32);
    let mut tmp = (ah_bl & LO) + (al_bh & LO) + (al_bl >> 32);
    tmp += 1 << 31;
    Fp { frac: ah_bh + (ah_bl >> 32) + (al_bh >> 32) + (tmp >> 32), exp: a.exp + b.exp + 64 }
}

fn round_digit(digits: &mut [u8], n: usize, delta: u64, mut rem: u64, kappa: u64, frac: u64) {
    while rem < frac
        && delta.wrapping_sub(rem) >= kappa
        && (rem.wrapping_add(kappa) < frac || frac - rem > rem.wrapping_add(kappa).wrapping_sub(frac))
    {
        digits[n - 1] -= 1;
        rem = rem.wrapping_add(kappa);
    }
}

fn generate_digits(fp: Fp, upper: Fp, lower: Fp, digits: &mut [u8; 18], k: &mut i32) -> usize {
    let wfrac = upper.frac.wrapping_sub(fp.frac);
    let mut delta = upper.frac.wrapping_sub(lower.frac);
    let shift = (-upper.exp) as u32;
    let one = 1u64 << shift;
    let mut part1 = upper.frac >> shift;
    let mut part2 = upper.frac & (one - 1);
    let mut idx = 0usize;
    let mut kappa = 10i32;
    let mut d = 10usize; // TENS[10] = 10^9
    while kappa > 0 {
        let div = TENS[d];
        let digit = part1 / div;
        if digit != 0 || idx != 0 {
            digits[idx] = digit as u8 + b'0';
            idx += 1;
        }
        part1 -= digit * div;
        kappa -= 1;
        let tmp = (part1 << shift).wrapping_add(part2);
        if tmp <= delta {
            *k += kappa;
            round_digit(digits, idx, delta, tmp, div << shift, wfrac);
            return idx;
        }
        d += 1;
    }
    let mut unit = 18usize; // TENS[18] = 10
    loop {
        part2 = part2.wrapping_mul(10);
        delta = delta.wrapping_mul(10);
        kappa -= 1;
        let digit = part2 >> shift;
        if digit != 0 || idx != 0 {
            digits[idx] = digit as u8 + b'0';
            idx += 1;
        }
        part2 &= one - 1;
        if part2 < delta {
            *k += kappa;
            round_digit(digits, idx, delta, part2, one, wfrac.wrapping_mul(TENS[unit]));
            return idx;
        }
        unit -= 1;
    }
}

fn grisu2(d: f64, digits: &mut [u8; 18], k: &mut i32) -> usize {
    let mut w = build_fp(d);
    let (lower, upper) = boundaries(w);
    normalize(&mut w);
    let (cp, ck) = cached_pow10(upper.exp);
    let w = multiply(w, cp);
    let mut upper = multiply(upper, cp);
    let mut lower = multiply(lower, cp);
    lower.frac += 1;
    upper.frac -= 1;
    *k = -ck;
    generate_digits(w, upper, lower, digits, k)
}

/// A byte sink over a fixed buffer (a double's text takes at most 24 bytes).
struct Buf<'a> {
    b: &'a mut [u8; 32],
    n: usize,
}

impl Buf<'_> {
    #[inline]
    fn push(&mut self, c: u8) {
        self.b[self.n] = c;
        self.n += 1;
    }
    #[inline]
    fn extend_from_slice(&mut self, s: &[u8]) {
        self.b[self.n..self.n + s.len()].copy_from_slice(s);
        self.n += s.len();
    }
    #[inline]
    fn zeros(&mut self, k: usize) {
        self.b[self.n..self.n + k].fill(b'0');
        self.n += k;
    }
}

/// Lays the digits out as fpconv does: a plain integer, a plain decimal, or scientific.
fn emit(digits: &[u8], k: i32, neg: bool, dest: &mut Buf) {
    let mut nd = digits.len() as i32;
    let mut exp = (k + nd - 1).abs();
    if k >= 0 && exp < nd + 7 {
        dest.extend_from_slice(digits);
        dest.zeros(k as usize);
        return;
    }
    if k < 0 && (k > -7 || exp < 4) {
        let offset = nd - k.abs();
        if offset <= 0 {
            dest.extend_from_slice(b"0.");
            dest.zeros((-offset) as usize);
            dest.extend_from_slice(digits);
        } else {
            dest.extend_from_slice(&digits[..offset as usize]);
            dest.push(b'.');
            dest.extend_from_slice(&digits[offset as usize..]);
        }
        return;
    }
    nd = nd.min(18 - neg as i32);
    dest.push(digits[0]);
    if nd > 1 {
        dest.push(b'.');
        dest.extend_from_slice(&digits[1..nd as usize]);
    }
    dest.push(b'e');
    dest.push(if k + nd - 1 < 0 { b'-' } else { b'+' });
    let mut cent = 0;
    if exp > 99 {
        cent = exp / 100;
        dest.push(cent as u8 + b'0');
        exp -= cent * 100;
    }
    if exp > 9 {
        let dec = exp / 10;
        dest.push(dec as u8 + b'0');
        exp -= dec * 10;
    } else if cent != 0 {
        dest.push(b'0');
    }
    dest.push((exp % 10) as u8 + b'0');
}

/// fpconv_dtoa: `d` as Redis's fpconv prints it (`-0`, `inf`, `-inf`, `nan`
/// included), written into `out`; returns the length.
pub fn dtoa(d: f64, out: &mut [u8; 32]) -> usize {
    let mut dest = Buf { b: out, n: 0 };
    let bits = d.to_bits();
    let neg = bits & SIGN_MASK != 0;
    if neg {
        dest.push(b'-');
    }
    if d == 0.0 {
        dest.push(b'0');
        return dest.n;
    }
    if bits & EXP_MASK == EXP_MASK {
        dest.extend_from_slice(if bits & FRAC_MASK != 0 { b"nan" } else { b"inf" });
        return dest.n;
    }
    let mut digits = [0u8; 18];
    let mut k = 0;
    let n = grisu2(d, &mut digits, &mut k);
    emit(&digits[..n], k, neg, &mut dest);
    dest.n
}

#[cfg(test)]
mod tests {
    use super::*;
    fn s(d: f64) -> String {
        let mut b = [0u8; 32];
        let n = dtoa(d, &mut b);
        String::from_utf8(b[..n].to_vec()).unwrap()
    }
    #[test]
    fn layouts() {
        assert_eq!(s(0.1), "0.1");
        assert_eq!(s(1.0), "1");
        assert_eq!(s(-0.0), "-0");
        assert_eq!(s(1e20), "1e+20");
        assert_eq!(s(1e21), "1e+21");
        assert_eq!(s(1e-5), "0.00001");
        assert_eq!(s(1e-7), "1e-7");
        assert_eq!(s(1.5e300), "1.5e+300");
        assert_eq!(s(123456789012345678.0), "123456789012345680");
        assert_eq!(s(f64::INFINITY), "inf");
        assert_eq!(s(f64::NEG_INFINITY), "-inf");
        assert_eq!(s(3.14159), "3.14159");
    }
    #[test]
    fn round_trips() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x);
            if !d.is_finite() {
                continue;
            }
            let t = s(d);
            assert_eq!(t.parse::<f64>().unwrap().to_bits(), d.to_bits(), "{t}");
        }
    }
}
