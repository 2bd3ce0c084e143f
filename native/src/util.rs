//! Number parsing and formatting with Redis's exact rules.

/// fpconv's Grisu2 text of a double (Redis 7.2's score text).
pub mod dtoa;
/// glibc's strtod, Redis's string2d, "%.17g".
pub mod strtod;
/// Big copies without the `rep movsb` 4 KB-aliasing cliff.
pub mod copy;

/// A C string view of bytes: what Redis's strcasecmp or a "%s" format sees,
/// which stop at a NUL byte.
pub fn cstr(a: &[u8]) -> &[u8] {
    match a.iter().position(|&b| b == 0) {
        Some(n) => &a[..n],
        None => a,
    }
}

/// Redis's getRangeLongFromObjectOrReply: an integer argument within [min,
/// max], or Err after writing the error (`msg` for both kinds when given,
/// else Redis's default texts).
pub fn parse_range(a: &[u8], min: i64, max: i64, msg: Option<&str>, out: &mut crate::reply::Out) -> Result<i64, i64> {
    let Some(v) = parse_i64(a) else {
        return Err(out.error(msg.unwrap_or(crate::reply::err::NOT_INT)));
    };
    if v < min || v > max {
        return Err(match msg {
            Some(m) => out.error(m),
            None => out.error(&format!("ERR value is out of range, value must between {min} and {max}")),
        });
    }
    Ok(v)
}

/// Redis's `string2ll`: optional '-', no '+', no spaces, no leading zeros
/// (except "0" itself), must fit in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        if v > i64::MAX as u64 {
            return None;
        }
        Some(v as i64)
    }
}

/// Redis's `string2ld` as used by INCRBYFLOAT: no surrounding spaces, no NaN.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5000 || s[0].is_ascii_whitespace() {
        return None;
    }
    let st = std::str::from_utf8(s).ok()?;
    let lower = st.to_ascii_lowercase();
    let t = lower.trim_start_matches(['+', '-']);
    if t.starts_with("nan") {
        return None;
    }
    let v: f64 = st.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Writes `v` in decimal into `out`, returns the number of bytes.
pub fn fmt_i64(v: i64, out: &mut [u8; 20]) -> usize {
    let mut tmp = [0u8; 20];
    let at = fmt_i64_before(v, &mut tmp, 20);
    let len = 20 - at;
    out[..len].copy_from_slice(&tmp[at..]);
    len
}

/// Writes `v` in decimal so that it ends just before `end` in `buf` (which
/// has room for 20 bytes before `end`); returns where it starts. Reply headers
/// are built this way, right to left, so they are copied out once.
#[inline]
pub fn fmt_i64_before(v: i64, buf: &mut [u8], end: usize) -> usize {
    let mut n = v.unsigned_abs();
    let mut i = end;
    // Two digits at a time: half the divisions.
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i] = DIGIT_PAIRS[d];
        buf[i + 1] = DIGIT_PAIRS[d + 1];
    }
    if n >= 10 {
        let d = n as usize * 2;
        i -= 2;
        buf[i] = DIGIT_PAIRS[d];
        buf[i + 1] = DIGIT_PAIRS[d + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    i
}

const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

pub fn i64_to_vec(v: i64) -> Vec<u8> {
    let mut b = [0u8; 20];
    let n = fmt_i64(v, &mut b);
    b[..n].to_vec()
}

/// Human form of a float (INCRBYFLOAT): plain decimal, no exponent, no
/// trailing zeros, never "-0".
pub fn fmt_f64_human(v: f64) -> Vec<u8> {
    if v == 0.0 {
        return b"0".to_vec();
    }
    format!("{}", v).into_bytes()
}

/// A double as Redis 7.2 prints it in replies (d2string: integers in
/// +-2^62 as integers, others as fpconv's Grisu2 text, see `dtoa`; `inf`,
/// `-inf`, `nan`, `-0`). Writes into `buf` and returns the length.
pub fn fmt_double(v: f64, buf: &mut [u8; 32]) -> usize {
    if v.is_nan() {
        buf[..3].copy_from_slice(b"nan");
        return 3;
    }
    if v.is_finite() && v != 0.0 {
        if let Some(l) = double_as_i64(v) {
            return fmt_i64(l, (&mut buf[..20]).try_into().expect("20 bytes"));
        }
    }
    dtoa::dtoa(v, buf)
}

/// Redis's double2ll: `v` as an i64 when it is integral and within +-(2^63-1)/2.
pub fn double_as_i64(v: f64) -> Option<i64> {
    const HALF: f64 = (i64::MAX / 2) as f64;
    if !(-HALF..=HALF).contains(&v) {
        return None;
    }
    let l = v as i64;
    (l as f64 == v).then_some(l)
}

/// Digits in the decimal form of `v` (STRLEN of an int-encoded string).
pub fn i64_len(v: i64) -> usize {
    let mut b = [0u8; 20];
    fmt_i64(v, &mut b)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fmt_i64_like_to_string() {
        let mut vals = vec![0i64, 1, -1, 9, 10, 99, 100, 101, 999, 1000, -10, -99, -100, i64::MAX, i64::MIN, i64::MIN + 1];
        let mut x = 1i64;
        for _ in 0..18 {
            x *= 10;
            vals.extend([x - 1, x, x + 1, -x, -x + 1]);
        }
        for v in vals {
            let mut b = [0u8; 20];
            let n = fmt_i64(v, &mut b);
            assert_eq!(&b[..n], v.to_string().as_bytes(), "{v}");
        }
    }
    #[test]
    fn parse_like_redis() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b"9223372036854775808"[..], b"01", b"-0", b"+1", b" 1", b"1 ", b"", b"-", b"1a"] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b" 1.5"), None);
        assert_eq!(parse_f64(b"nan"), None);
        assert!(parse_f64(b"inf").unwrap().is_infinite());
    }
    #[test]
    fn format() {
        for v in [0i64, 1, -1, 12345, i64::MAX, i64::MIN] {
            assert_eq!(i64_to_vec(v), v.to_string().into_bytes());
            assert_eq!(i64_len(v), v.to_string().len());
        }
        assert_eq!(fmt_f64_human(10.5), b"10.5");
        assert_eq!(fmt_f64_human(3.0), b"3");
        assert_eq!(fmt_f64_human(-0.0), b"0");
        assert_eq!(fmt_f64_human(1e21), b"1000000000000000000000");
    }
}

#[cfg(test)]
mod double_oracle {
    /// Compares with a file of `input reply` lines produced by a Redis 7.2
    /// (ZADD then ZSCORE), when one is given in NODIS_DOUBLE_ORACLE.
    #[test]
    fn matches_redis_72_replies() {
        let Ok(path) = std::env::var("NODIS_DOUBLE_ORACLE") else { return };
        let text = std::fs::read_to_string(path).unwrap();
        let mut bad = 0;
        for line in text.lines() {
            let (input, want) = line.split_once(' ').unwrap();
            let v: f64 = input.parse().unwrap();
            let mut b = [0u8; 32];
            let n = super::fmt_double(v, &mut b);
            if &b[..n] != want.as_bytes() {
                bad += 1;
                eprintln!("{input}: {} != {want}", String::from_utf8_lossy(&b[..n]));
            }
        }
        assert_eq!(bad, 0);
    }
}
