//! Number parsing and formatting with Redis's exact rules.

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
    let mut n = v.unsigned_abs();
    let mut tmp = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        tmp[i] = b'-';
    }
    let len = 20 - i;
    out[..len].copy_from_slice(&tmp[i..]);
    len
}

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

/// A double as Redis 7.2 prints it in replies (addReplyDouble / d2string:
/// the shortest form that reads back to the same value; `inf`, `-inf`, `nan`).
/// Writes into `buf` (32 bytes are enough) and returns the length.
/// TODO(zsets): exact Redis form for exponents (fpconv_dtoa's output).
pub fn fmt_double(v: f64, buf: &mut [u8; 32]) -> usize {
    let s: String = if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else if v == 0.0 {
        if v.is_sign_negative() { "-0".into() } else { "0".into() }
    } else {
        format!("{}", v)
    };
    let n = s.len().min(32);
    buf[..n].copy_from_slice(&s.as_bytes()[..n]);
    n
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
