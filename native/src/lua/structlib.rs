//! `struct` as Redis's scripts know it (Roberto Ierusalimschy's struct 1.7,
//! on x86-64: native little endian, long and size_t of 8 bytes, int of 4,
//! alignment up to 8): pack, unpack and size with its format letters
//! (> < ! x b B h H l L T i[n] I[n] c[n] s f d), its errors, and bounds
//! checks on every read (CVE-2020-14147's class: lengths and offsets from the
//! script never read or write past a buffer).
use super::util::{error_where, push_bytes, set_fn, to_bytes};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::ffi::c_int;

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

pub unsafe fn register(l: *mut lua_State) {
    ffi::lua_newtable(l);
    set_fn(l, b"pack", pack);
    set_fn(l, b"unpack", unpack);
    set_fn(l, b"size", size);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"struct".as_ptr());
}

type Fail = Vec<u8>;

fn bad(arg: c_int, func: &str, msg: &str) -> Fail {
    format!("bad argument #{arg} to '{func}' ({msg})").into_bytes()
}

struct Fmt<'a> {
    f: &'a [u8],
    p: usize,
    little: bool,
    align: usize,
}

impl Fmt<'_> {
    fn num(&mut self, default: usize) -> Result<usize, Fail> {
        if !self.f.get(self.p).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(c) = self.f.get(self.p).filter(|c| c.is_ascii_digit()) {
            let d = (c - b'0') as usize;
            if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - d {
                return Err(b"integral size overflow".to_vec());
            }
            a = a * 10 + d;
            self.p += 1;
        }
        Ok(a)
    }

    /// The size of option `opt` (reading its number), 0 for the control options.
    fn optsize(&mut self, opt: u8) -> Result<usize, Fail> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(1)?,
            b'i' | b'I' => {
                let sz = self.num(4)?;
                if sz > MAXINTSIZE {
                    return Err(format!("integral size {sz} is larger than limit of {MAXINTSIZE}").into_bytes());
                }
                sz
            }
            _ => 0,
        })
    }

    fn toalign(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }

    fn control(&mut self, opt: u8, func: &str) -> Result<(), Fail> {
        match opt {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let a = self.num(MAXALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(format!("alignment {a} is not a power of 2").into_bytes());
                }
                self.align = a;
            }
            _ => return Err(bad(1, func, &format!("invalid format option '{}'", opt as char))),
        }
        Ok(())
    }
}

unsafe fn check_number(l: *mut lua_State, arg: c_int, func: &str) -> Result<f64, Fail> {
    if ffi::lua_isnumber(l, arg) == 0 {
        return Err(bad(arg, func, &format!("number expected, got {}", type_name(l, arg))));
    }
    Ok(ffi::lua_tonumber(l, arg))
}

unsafe fn check_string<'a>(l: *mut lua_State, arg: c_int, func: &str) -> Result<&'a [u8], Fail> {
    if ffi::lua_isstring(l, arg) == 0 {
        return Err(bad(arg, func, &format!("string expected, got {}", type_name(l, arg))));
    }
    Ok(to_bytes(l, arg).unwrap_or_default())
}

unsafe fn type_name(l: *mut lua_State, arg: c_int) -> String {
    if ffi::lua_type(l, arg) == ffi::LUA_TNONE {
        return "no value".into();
    }
    std::ffi::CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, arg))).to_string_lossy().into_owned()
}

fn put_int(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut b = [0u8; MAXINTSIZE];
    for i in 0..size {
        let at = if little { i } else { size - 1 - i };
        b[at] = v as u8;
        v = v.checked_shr(8).unwrap_or(0);
    }
    out.extend_from_slice(&b[..size]);
}

unsafe fn do_pack(l: *mut lua_State) -> Result<Vec<u8>, Fail> {
    let f = check_string(l, 1, "pack")?.to_vec();
    // The C library pushes a nil before its buffer: a missing first value reads as nil, as there.
    ffi::lua_pushnil(l);
    let mut fmt = Fmt { f: &f, p: 0, little: true, align: 1 };
    let mut arg = 2;
    let mut out = Vec::new();
    let mut total = 0usize;
    while fmt.p < fmt.f.len() {
        let opt = fmt.f[fmt.p];
        fmt.p += 1;
        let mut size = fmt.optsize(opt)?;
        let pad = fmt.toalign(total, opt, size);
        total += pad;
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(l, arg, "pack")?;
                arg += 1;
                put_int(&mut out, n, fmt.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let v = check_number(l, arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if fmt.little { v.to_le_bytes() } else { v.to_be_bytes() });
            }
            b'd' => {
                let v = check_number(l, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&if fmt.little { v.to_le_bytes() } else { v.to_be_bytes() });
            }
            b'c' | b's' => {
                let s = check_string(l, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(bad(arg, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => fmt.control(opt, "pack")?,
        }
        total += size;
    }
    Ok(out)
}

lua_fn! {
    fn pack(l) {
        let top = ffi::lua_gettop(l);
        let r = do_pack(l);
        ffi::lua_settop(l, top);
        match r {
            Ok(b) => {
                push_bytes(l, &b);
                1
            }
            Err(m) => error_where(l, &m),
        }
    }
}

fn get_int(b: &[u8], little: bool, signed: bool) -> f64 {
    let size = b.len();
    let mut v: u64 = 0;
    for i in 0..size {
        let byte = if little { b[size - 1 - i] } else { b[i] };
        v = v.wrapping_shl(8) | byte as u64;
    }
    if !signed {
        return v as f64;
    }
    // x86 masks the shift count, as the C code's shift does for sizes past 8.
    let mask = (!0u64).wrapping_shl((size * 8 - 1) as u32);
    if v & mask != 0 {
        v |= mask;
    }
    v as i64 as f64
}

unsafe fn do_unpack(l: *mut lua_State) -> Result<c_int, Fail> {
    let f = check_string(l, 1, "unpack")?.to_vec();
    let data = check_string(l, 2, "unpack")?;
    let ld = data.len();
    let pos = if ffi::lua_isnoneornil(l, 3) != 0 { 1.0 } else { check_number(l, 3, "unpack")? };
    if pos <= 0.0 {
        return Err(bad(3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = pos as usize - 1;
    let mut fmt = Fmt { f: &f, p: 0, little: true, align: 1 };
    let mut n: c_int = 0;
    while fmt.p < fmt.f.len() {
        let opt = fmt.f[fmt.p];
        fmt.p += 1;
        let mut size = fmt.optsize(opt)?;
        pos += fmt.toalign(pos, opt, size);
        if !(size <= ld && pos <= ld - size) {
            return Err(bad(2, "unpack", "data string too short"));
        }
        if ffi::lua_checkstack(l, 2) == 0 {
            return Err(b"stack overflow (too many results)".to_vec());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                ffi::lua_pushnumber(l, get_int(&data[pos..pos + size], fmt.little, opt.is_ascii_lowercase()));
                n += 1;
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().expect("4 bytes");
                ffi::lua_pushnumber(l, if fmt.little { f32::from_le_bytes(b) } else { f32::from_be_bytes(b) } as f64);
                n += 1;
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().expect("8 bytes");
                ffi::lua_pushnumber(l, if fmt.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) });
                n += 1;
            }
            b'c' => {
                if size == 0 {
                    if n == 0 || ffi::lua_isnumber(l, -1) == 0 {
                        return Err(b"format 'c0' needs a previous size".to_vec());
                    }
                    let s = ffi::lua_tonumber(l, -1);
                    ffi::lua_settop(l, -2);
                    n -= 1;
                    size = if s >= 0.0 { s as usize } else { usize::MAX };
                    if !(size <= ld && pos <= ld - size) {
                        return Err(bad(2, "unpack", "data string too short"));
                    }
                }
                push_bytes(l, &data[pos..pos + size]);
                n += 1;
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&c| c == 0) else {
                    return Err(b"unfinished string in data".to_vec());
                };
                push_bytes(l, &data[pos..pos + e]);
                size = e + 1;
                n += 1;
            }
            _ => fmt.control(opt, "unpack")?,
        }
        pos += size;
    }
    ffi::lua_pushinteger(l, (pos + 1) as _);
    Ok(n + 1)
}

lua_fn! {
    fn unpack(l) {
        match do_unpack(l) {
            Ok(n) => n,
            Err(m) => error_where(l, &m),
        }
    }
}

unsafe fn do_size(l: *mut lua_State) -> Result<usize, Fail> {
    let f = check_string(l, 1, "size")?.to_vec();
    let mut fmt = Fmt { f: &f, p: 0, little: true, align: 1 };
    let mut pos = 0usize;
    while fmt.p < fmt.f.len() {
        let opt = fmt.f[fmt.p];
        fmt.p += 1;
        let size = fmt.optsize(opt)?;
        pos += fmt.toalign(pos, opt, size);
        if opt == b's' {
            return Err(bad(1, "size", "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(bad(1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(opt, "size")?;
        }
        pos += size;
    }
    Ok(pos)
}

lua_fn! {
    fn size(l) {
        match do_size(l) {
            Ok(n) => {
                ffi::lua_pushinteger(l, n as _);
                1
            }
            Err(m) => error_where(l, &m),
        }
    }
}
