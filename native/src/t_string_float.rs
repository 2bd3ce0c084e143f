//! INCRBYFLOAT's arithmetic in C's `long double`, as Redis does it: on x86-64
//! Linux that is the x87 80-bit extended type, which Rust lacks. Values are
//! kept as their 10 raw bytes; glibc's own `strtold` and `snprintf("%.17Lf")`
//! parse and print them (called from inline asm, since the `long double`
//! calling convention cannot be expressed in Rust), and the addition is one
//! x87 `fadd`. So results match Redis to the byte: `0.1 + 0.2` is "0.3", and
//! `1e400` is a valid increment. Other targets fall back to f64 (see `fallback`).

/// Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are not valid floats.
pub const MAX_CHARS: usize = 5 * 1024;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x87 {
    use super::MAX_CHARS;
    use std::arch::asm;
    use std::os::raw::{c_char, c_int};

    extern "C" {
        fn strtold(nptr: *const c_char, endptr: *mut *mut c_char);
        fn snprintf(buf: *mut c_char, len: usize, fmt: *const c_char, ...) -> c_int;
        fn __errno_location() -> *mut c_int;
    }

    /// An x87 extended value: 64-bit mantissa, 15-bit exponent, sign.
    #[derive(Clone, Copy, Default)]
    #[repr(C, align(16))]
    pub struct F80([u8; 16]);

    impl F80 {
        fn exponent_bits(&self) -> u16 {
            u16::from_le_bytes([self.0[8], self.0[9]]) & 0x7fff
        }
        fn mantissa(&self) -> u64 {
            u64::from_le_bytes(self.0[..8].try_into().unwrap())
        }
        pub fn is_nan_or_inf(&self) -> bool {
            self.exponent_bits() == 0x7fff
        }
        pub fn is_inf(&self) -> bool {
            self.is_nan_or_inf() && self.mantissa() << 1 == 0
        }
        pub fn is_nan(&self) -> bool {
            self.is_nan_or_inf() && self.mantissa() << 1 != 0
        }
        pub fn is_zero(&self) -> bool {
            self.exponent_bits() == 0 && self.mantissa() == 0
        }
    }

    /// Redis's string2ld: strtold over the whole input, no leading space, no
    /// NaN, no overflow to infinity or underflow to zero.
    pub fn parse(s: &[u8]) -> Option<F80> {
        if s.is_empty() || s.len() >= MAX_CHARS || s[0].is_ascii_whitespace() || s[0] == 0x0b {
            return None;
        }
        // strtold wants a NUL-terminated copy; most inputs fit on the stack.
        let mut small = [0u8; 64];
        let mut big = Vec::new();
        let buf: &mut [u8] = if s.len() < small.len() {
            &mut small
        } else {
            big.resize(s.len() + 1, 0);
            &mut big
        };
        buf[..s.len()].copy_from_slice(s);
        buf[s.len()] = 0;
        let mut out = F80::default();
        let mut end: *mut c_char = std::ptr::null_mut();
        let errno = unsafe {
            *__errno_location() = 0;
            // strtold leaves its result in st(0); store it and pop.
            asm!(
                "call {f}",
                "fstp tbyte ptr [r12]",
                f = sym strtold,
                in("rdi") buf.as_ptr(),
                in("rsi") &mut end as *mut *mut c_char,
                in("r12") out.0.as_mut_ptr(),
                clobber_abi("C"),
            );
            *__errno_location()
        };
        let consumed = end as usize - buf.as_ptr() as usize;
        if consumed != s.len() || out.is_nan() {
            return None;
        }
        const ERANGE: c_int = 34;
        if errno == ERANGE && (out.is_inf() || out.is_zero()) {
            return None;
        }
        Some(out)
    }

    pub fn add(a: F80, b: F80) -> F80 {
        let mut out = F80::default();
        unsafe {
            asm!(
                "fld tbyte ptr [{a}]",
                "fld tbyte ptr [{b}]",
                "faddp st(1), st",
                "fstp tbyte ptr [{o}]",
                a = in(reg) a.0.as_ptr(),
                b = in(reg) b.0.as_ptr(),
                o = in(reg) out.0.as_mut_ptr(),
                out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            );
        }
        out
    }

    /// snprintf(buf, len, "%.17Lf", v): the long double goes on the stack, as
    /// the SysV ABI passes it to a variadic function. Returns the length.
    pub fn print_fixed17(v: F80, buf: &mut [u8]) -> usize {
        let fmt = b"%.17Lf\0";
        let n: c_int;
        unsafe {
            asm!(
                "sub rsp, 16",
                "fld tbyte ptr [r12]",
                "fstp tbyte ptr [rsp]",
                "xor eax, eax",
                "call {f}",
                "add rsp, 16",
                f = sym snprintf,
                in("rdi") buf.as_mut_ptr(),
                in("rsi") buf.len(),
                in("rdx") fmt.as_ptr(),
                in("r12") v.0.as_ptr(),
                lateout("eax") n,
                clobber_abi("C"),
            );
        }
        (n.max(0) as usize).min(buf.len().saturating_sub(1))
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use x87::F80 as LongDouble;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use x87::{add, parse};

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn fixed17(v: LongDouble, buf: &mut [u8]) -> usize {
    x87::print_fixed17(v, buf)
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod fallback {
    //! f64 stand-in where there is no x87: same grammar, 53-bit precision.
    #[derive(Clone, Copy, Default)]
    pub struct LongDouble(pub f64);
    impl LongDouble {
        pub fn is_nan_or_inf(&self) -> bool {
            !self.0.is_finite()
        }
    }
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= super::MAX_CHARS || s[0].is_ascii_whitespace() {
            return None;
        }
        let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
        if v.is_nan() {
            return None;
        }
        Some(LongDouble(v))
    }
    pub fn add(a: LongDouble, b: LongDouble) -> LongDouble {
        LongDouble(a.0 + b.0)
    }
    pub fn fixed17(v: LongDouble, buf: &mut [u8]) -> usize {
        let s = format!("{:.17}", v.0);
        let n = s.len().min(buf.len());
        buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        n
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub use fallback::{add, parse, LongDouble};
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
use fallback::fixed17;

/// Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" without trailing zeros
/// (and without a trailing '.'), "-0" as "0". Returns the length in `buf`.
/// The caller has checked that `v` is finite.
pub fn format_human(v: LongDouble, buf: &mut [u8; MAX_CHARS]) -> usize {
    let mut l = fixed17(v, buf);
    if buf[..l].contains(&b'.') {
        while l > 0 && buf[l - 1] == b'0' {
            l -= 1;
        }
        if l > 0 && buf[l - 1] == b'.' {
            l -= 1;
        }
    }
    if l == 2 && buf[0] == b'-' && buf[1] == b'0' {
        buf[0] = b'0';
        l = 1;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    fn sum(a: &str, b: &str) -> Option<String> {
        let v = add(parse(a.as_bytes())?, parse(b.as_bytes())?);
        if v.is_nan_or_inf() {
            return None;
        }
        let mut buf = [0u8; MAX_CHARS];
        let n = format_human(v, &mut buf);
        Some(String::from_utf8(buf[..n].to_vec()).unwrap())
    }
    #[test]
    fn matches_redis_long_double() {
        assert_eq!(sum("10.5", "0.1").unwrap(), "10.6");
        assert_eq!(sum("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(sum("3", "-1.1").unwrap(), "1.9");
        assert_eq!(sum("1", "-1").unwrap(), "0");
        assert_eq!(sum("17179869184", "1.5").unwrap(), "17179869185.5");
        assert_eq!(sum("0", "1e-400").unwrap(), "0");
        assert_eq!(sum("0", "0x10").unwrap(), "16");
        if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            // Values Redis 7 gives on x86-64 (long double), not reachable with f64.
            assert_eq!(sum("12345.678", "0.1").unwrap(), "12345.77799999999999958");
            assert!(sum("0", "1e400").unwrap().starts_with("10000000000000000000281880683947586514"));
            assert_eq!(sum("-0.0", "0").unwrap(), "0");
        }
        assert!(sum("0", "+inf").is_none());
    }
    #[test]
    fn rejects_what_string2ld_rejects() {
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"-nan", b"1e5000", b"1e-5000", b"abc", b"1\x002", b"\t1"] {
            assert!(parse(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(parse(&vec![b'1'; MAX_CHARS]).is_none());
        for good in [&b"1"[..], b"-1.5", b"+2", b".5", b"5.", b"1e10", b"inf", b"-Infinity"] {
            assert!(parse(good).is_some(), "{:?}", String::from_utf8_lossy(good));
        }
    }
}
