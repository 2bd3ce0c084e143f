//! `bit` as Redis's scripts know it (LuaBitOp 1.0.2): 32-bit operations on
//! numbers normalised the way LuaBitOp does (rounded, modulo 2^32) and results
//! returned as signed 32-bit values.
use super::util::{error_where, push_bytes, set_fn};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::ffi::c_int;

pub unsafe fn register(l: *mut lua_State) {
    ffi::lua_newtable(l);
    set_fn(l, b"tobit", tobit);
    set_fn(l, b"bnot", bnot);
    set_fn(l, b"band", band);
    set_fn(l, b"bor", bor);
    set_fn(l, b"bxor", bxor);
    set_fn(l, b"lshift", lshift);
    set_fn(l, b"rshift", rshift);
    set_fn(l, b"arshift", arshift);
    set_fn(l, b"rol", rol);
    set_fn(l, b"ror", ror);
    set_fn(l, b"bswap", bswap);
    set_fn(l, b"tohex", tohex);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"bit".as_ptr());
}

/// Argument `idx` as 32 bits: the low word of n + 2^52 + 2^51 (round to nearest, modulo 2^32).
unsafe fn barg(l: *mut lua_State, idx: c_int, name: &str) -> Result<u32, Vec<u8>> {
    let n = ffi::lua_tonumber(l, idx);
    let b = (n + 6_755_399_441_055_744.0).to_bits() as u32;
    if b == 0 && ffi::lua_isnumber(l, idx) == 0 {
        let ty = std::ffi::CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, idx))).to_string_lossy().into_owned();
        let ty = if ffi::lua_type(l, idx) == ffi::LUA_TNONE { "no value".to_string() } else { ty };
        return Err(format!("bad argument #{idx} to '{name}' (number expected, got {ty})").into_bytes());
    }
    Ok(b)
}

unsafe fn ret(l: *mut lua_State, r: Result<u32, Vec<u8>>) -> c_int {
    match r {
        Ok(b) => {
            ffi::lua_pushnumber(l, b as i32 as f64);
            1
        }
        Err(m) => error_where(l, &m),
    }
}

unsafe fn fold(l: *mut lua_State, name: &str, f: fn(u32, u32) -> u32) -> c_int {
    let r = (|| {
        let mut b = barg(l, 1, name)?;
        let mut i = ffi::lua_gettop(l);
        while i > 1 {
            b = f(b, barg(l, i, name)?);
            i -= 1;
        }
        Ok(b)
    })();
    ret(l, r)
}

unsafe fn shift(l: *mut lua_State, name: &str, f: fn(u32, u32) -> u32) -> c_int {
    let r = (|| {
        let b = barg(l, 1, name)?;
        let n = barg(l, 2, name)? & 31;
        Ok(f(b, n))
    })();
    ret(l, r)
}

lua_fn! { fn tobit(l) { ret(l, barg(l, 1, "tobit")) } }
lua_fn! { fn bnot(l) { ret(l, barg(l, 1, "bnot").map(|b| !b)) } }
lua_fn! { fn band(l) { fold(l, "band", |a, b| a & b) } }
lua_fn! { fn bor(l) { fold(l, "bor", |a, b| a | b) } }
lua_fn! { fn bxor(l) { fold(l, "bxor", |a, b| a ^ b) } }
lua_fn! { fn lshift(l) { shift(l, "lshift", |b, n| b << n) } }
lua_fn! { fn rshift(l) { shift(l, "rshift", |b, n| b >> n) } }
lua_fn! { fn arshift(l) { shift(l, "arshift", |b, n| ((b as i32) >> n) as u32) } }
lua_fn! { fn rol(l) { shift(l, "rol", |b, n| b.rotate_left(n)) } }
lua_fn! { fn ror(l) { shift(l, "ror", |b, n| b.rotate_right(n)) } }
lua_fn! { fn bswap(l) { ret(l, barg(l, 1, "bswap").map(|b| b.swap_bytes())) } }

lua_fn! {
    fn tohex(l) {
        let r = (|| -> Result<_, Vec<u8>> {
            let b = barg(l, 1, "tohex")?;
            let n = if ffi::lua_isnone(l, 2) != 0 { 8 } else { barg(l, 2, "tohex")? as i32 };
            Ok::<_, Vec<u8>>((b, n))
        })();
        match r {
            Ok((mut b, n)) => {
                let mut n = if n == i32::MIN { i32::MIN + 1 } else { n };
                let digits: &[u8; 16] = if n < 0 {
                    n = -n;
                    b"0123456789ABCDEF"
                } else {
                    b"0123456789abcdef"
                };
                let n = n.min(8) as usize;
                let mut buf = [0u8; 8];
                for i in (0..n).rev() {
                    buf[i] = digits[(b & 15) as usize];
                    b >>= 4;
                }
                push_bytes(l, &buf[..n]);
                1
            }
            Err(m) => error_where(l, &m),
        }
    }
}
