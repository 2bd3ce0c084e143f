//! C's strtod as glibc reads a double (Redis parses scores, weights, ranges
//! and timeouts with it), Redis's string2d on top, and "%.17g" printing.

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// What strtod read: the value, how many bytes it consumed (0: nothing
/// parsed) and whether it set ERANGE (overflow, or underflow of nonzero digits).
#[derive(Debug, PartialEq)]
pub struct Parsed {
    pub value: f64,
    pub used: usize,
    pub erange: bool,
}

/// glibc's strtod over `s` (stopping where C would: at the first byte that
/// cannot continue the number).
pub fn strtod(s: &[u8]) -> Parsed {
    let none = Parsed { value: 0.0, used: 0, erange: false };
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    if starts_with_ci(rest, b"inf") {
        let n = if starts_with_ci(rest, b"infinity") { 8 } else { 3 };
        return Parsed { value: sign(f64::INFINITY), used: i + n, erange: false };
    }
    if starts_with_ci(rest, b"nan") {
        let mut n = 3;
        if rest.get(3) == Some(&b'(') {
            let mut j = 4;
            while j < rest.len() && (rest[j].is_ascii_alphanumeric() || rest[j] == b'_') {
                j += 1;
            }
            if rest.get(j) == Some(&b')') {
                n = j + 1;
            }
        }
        return Parsed { value: f64::NAN, used: i + n, erange: false };
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, n, erange)) = hex(&rest[2..]) {
            return Parsed { value: sign(v), used: i + 2 + n, erange };
        }
        // "0x" without hex digits: just the "0".
        return Parsed { value: sign(0.0), used: i + 1, erange: false };
    }
    // Decimal: digits [. digits] [e [sign] digits]
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        j += 1;
        digits += 1;
    }
    if j < rest.len() && rest[j] == b'.' {
        j += 1;
        while j < rest.len() && rest[j].is_ascii_digit() {
            nonzero |= rest[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return none;
    }
    if j < rest.len() && (rest[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).unwrap_or("0");
    // Rust reads "1." and ".5" as C does; exponents of any size saturate.
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange = v.is_infinite() || (nonzero && (v == 0.0 || v.is_subnormal()));
    Parsed { value: sign(v), used: i + j, erange }
}

/// Hexadecimal significand with an optional binary exponent (after "0x").
fn hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut j = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut nonzero = false;
    let mut seen_dot = false;
    while j < s.len() {
        let c = s[j];
        if c == b'.' && !seen_dot {
            seen_dot = true;
            j += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else { break };
        digits += 1;
        nonzero |= d != 0;
        if mant >> 56 == 0 {
            mant = mant * 16 + d as u64;
            if seen_dot {
                exp -= 4;
            }
        } else {
            // Beyond 60 bits: keep a sticky bit, count the scale.
            mant |= (d != 0) as u64;
            if !seen_dot {
                exp += 4;
            }
        }
        j += 1;
    }
    if digits == 0 {
        return None;
    }
    if j < s.len() && (s[j] | 0x20) == b'p' {
        let mut k = j + 1;
        let eneg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < s.len() && s[k].is_ascii_digit() {
                e = (e * 10 + (s[k] - b'0') as i64).min(1 << 40);
                k += 1;
            }
            exp += if eneg { -e } else { e };
            j = k;
        }
    }
    let v = (mant as f64) * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    let v = if v.is_finite() || exp > 2000 { v } else { f64::INFINITY };
    let erange = v.is_infinite() || (nonzero && (v == 0.0 || v.is_subnormal()));
    Some((v, j, erange))
}

/// Redis's string2d: the whole string is one double, no leading space, no
/// overflow or underflow to zero, not NaN.
pub fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_space(s[0]) {
        return None;
    }
    let p = strtod(s);
    if p.used != s.len() || p.value.is_nan() || (p.erange && (p.value.is_infinite() || p.value == 0.0)) {
        return None;
    }
    Some(p.value)
}

/// A score bound as zslParseRange reads it: strtod over the C string (up to
/// a NUL), all of it consumed, not NaN. Leading spaces and "" (0) pass, as in Redis.
pub fn range_double(s: &[u8]) -> Option<f64> {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    let s = &s[..end];
    let p = strtod(s);
    if p.used != s.len() || p.value.is_nan() {
        return None;
    }
    Some(p.value)
}

/// printf's "%.17g" of a double (Redis's ld2string in LD_STR_AUTO mode;
/// `inf`, `-inf`, `nan` as Redis writes them).
pub fn fmt_g17(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let e = format!("{:.16e}", v);
    let (mant, exp) = e.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if !(-4..17).contains(&exp) {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{}{:02}", mant, sign, exp.abs());
    }
    let prec = (16 - exp).max(0) as usize;
    trim_zeros(&format!("{:.*}", prec, v)).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reads_like_glibc() {
        let p = |s: &str| strtod(s.as_bytes());
        assert_eq!(p("1.5x"), Parsed { value: 1.5, used: 3, erange: false });
        assert_eq!(p("  -2"), Parsed { value: -2.0, used: 4, erange: false });
        assert_eq!(p("abc").used, 0);
        assert_eq!(p("1e").used, 1);
        assert_eq!(p("1e+5").value, 1e5);
        assert_eq!(p(".5").value, 0.5);
        assert_eq!(p("5.").used, 2);
        assert_eq!(p("-inf").value, f64::NEG_INFINITY);
        assert_eq!(p("Infinity").used, 8);
        assert!(p("nan(123)").value.is_nan() && p("nan(123)").used == 8);
        assert_eq!(p("0x10").value, 16.0);
        assert_eq!(p("0x1p-2").value, 0.25);
        assert_eq!(p("0x").used, 1);
        assert!(p("1e400").erange && p("1e-400").erange);
        assert!(!p("0e-400").erange);
    }
    #[test]
    fn string2d_rules() {
        assert_eq!(string2d(b"1.5"), Some(1.5));
        assert_eq!(string2d(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"5e-324"), Some(5e-324));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"1e400", b"1e-400", b"abc", b"1x"] {
            assert_eq!(string2d(bad), None, "{:?}", std::str::from_utf8(bad));
        }
        assert_eq!(range_double(b""), Some(0.0));
        assert_eq!(range_double(b" 3"), Some(3.0));
        assert_eq!(range_double(b"nan"), None);
    }
    #[test]
    fn g17() {
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1e16), "10000000000000000");
        assert_eq!(fmt_g17(1e17), "1e+17");
        assert_eq!(fmt_g17(0.0001), "0.0001");
        assert_eq!(fmt_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(fmt_g17(-0.0), "-0");
        assert_eq!(fmt_g17(3.0), "3");
    }
}
