//! `cmsgpack` as Redis's scripts know it (lua-cmsgpack 0.4.0): pack (any
//! number of values, concatenated), unpack, unpack_one, unpack_limit, with its
//! choices (the smallest integer encoding, float32 when exact, tables nested
//! past 16 levels packed as nil, arrays only for tables with keys 1..n), and
//! inputs that lie about their lengths (CVE-2018-11218's class) answered with
//! "Missing bytes in input." instead of reading past the end.
use super::util::{error_where, push_bytes, set_fn, set_str, to_bytes};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::ffi::c_int;

const MAX_NESTING: usize = 16;
/// Nesting a packed input may have when unpacked (the C stack stays bounded).
const MAX_DECODE_DEPTH: usize = 1000;

pub unsafe fn register(l: *mut lua_State) {
    ffi::lua_newtable(l);
    set_fn(l, b"pack", pack);
    set_fn(l, b"unpack", unpack);
    set_fn(l, b"unpack_one", unpack_one);
    set_fn(l, b"unpack_limit", unpack_limit);
    set_str(l, b"_NAME", b"cmsgpack");
    set_str(l, b"_VERSION", b"lua-cmsgpack 0.4.0");
    set_str(l, b"_COPYRIGHT", b"Copyright (C) 2012, Salvatore Sanfilippo");
    set_str(l, b"_DESCRIPTION", b"MessagePack C implementation for Lua");
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"cmsgpack".as_ptr());
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, b16: u8, b32: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// Whether a double is an int64 without loss (C's `(int64_t)x == x`, the cast saturating as x86's does).
fn as_i64(x: f64) -> Option<i64> {
    (x.is_finite() && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) && (x as i64) as f64 == x).then_some(x as i64)
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    if let Some(i) = as_i64(n) {
        return encode_int(out, i);
    }
    let f = n as f32;
    if f as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Keys 1..n only (an int-valued positive number per key, as many keys as the largest).
unsafe fn is_array(l: *mut lua_State) -> bool {
    let (mut count, mut max) = (0i64, 0i64);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        ffi::lua_settop(l, -2);
        let ok = ffi::lua_type(l, -1) == ffi::LUA_TNUMBER && {
            let n = ffi::lua_tonumber(l, -1);
            n > 0.0 && n <= i32::MAX as f64 && n.fract() == 0.0
        };
        if !ok {
            ffi::lua_settop(l, -2);
            return false;
        }
        max = max.max(ffi::lua_tonumber(l, -1) as i64);
        count += 1;
    }
    max == count
}

/// Encodes the value at the top of the stack and pops it.
unsafe fn encode(l: *mut lua_State, out: &mut Vec<u8>, level: usize) {
    ffi::lua_checkstack(l, 4);
    let mut t = ffi::lua_type(l, -1);
    if t == ffi::LUA_TTABLE && level == MAX_NESTING {
        t = ffi::LUA_TNIL;
    }
    match t {
        ffi::LUA_TSTRING => encode_bytes(out, to_bytes(l, -1).unwrap_or_default()),
        ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(l, -1) != 0 { 0xc3 } else { 0xc2 }),
        ffi::LUA_TNUMBER => encode_number(out, ffi::lua_tonumber(l, -1)),
        ffi::LUA_TTABLE => {
            if is_array(l) {
                let n = ffi::lua_objlen(l, -1);
                encode_len(out, n, 0x90, 15, 0xdc, 0xdd);
                for j in 1..=n {
                    ffi::lua_rawgeti(l, -1, j as _);
                    encode(l, out, level + 1);
                }
            } else {
                let mut n = 0usize;
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, -2) != 0 {
                    ffi::lua_settop(l, -2);
                    n += 1;
                }
                encode_len(out, n, 0x80, 15, 0xde, 0xdf);
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, -2) != 0 {
                    ffi::lua_pushvalue(l, -2);
                    encode(l, out, level + 1);
                    encode(l, out, level + 1);
                }
            }
        }
        _ => out.push(0xc0),
    }
    ffi::lua_settop(l, -2);
}

lua_fn! {
    fn pack(l) {
        let n = ffi::lua_gettop(l);
        if n == 0 {
            return error_where(l, b"bad argument #0 to 'pack' (MessagePack pack needs input.)");
        }
        let mut out = Vec::new();
        for i in 1..=n {
            ffi::lua_pushvalue(l, i);
            encode(l, &mut out, 0);
        }
        push_bytes(l, &out);
        1
    }
}

enum DecodeErr {
    Eof,
    BadFormat,
    /// Another message (a nil table key, the stack).
    Other(Vec<u8>),
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    fn need(&self, n: usize) -> Result<(), DecodeErr> {
        if self.b.len() - self.p < n {
            Err(DecodeErr::Eof)
        } else {
            Ok(())
        }
    }
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeErr> {
        self.need(n)?;
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    fn be(&mut self, n: usize) -> Result<u64, DecodeErr> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }
}

/// Pushes one decoded value.
unsafe fn decode(l: *mut lua_State, c: &mut Cursor, depth: usize) -> Result<(), DecodeErr> {
    if depth > MAX_DECODE_DEPTH {
        return Err(DecodeErr::Other(b"Bad data format in input (nested too deeply).".to_vec()));
    }
    if ffi::lua_checkstack(l, 3) == 0 {
        return Err(DecodeErr::Other(b"stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)".to_vec()));
    }
    let t = c.take(1)?[0];
    match t {
        0x00..=0x7f => ffi::lua_pushnumber(l, t as f64),
        0xe0..=0xff => ffi::lua_pushnumber(l, t as i8 as f64),
        0xcc => ffi::lua_pushnumber(l, c.be(1)? as f64),
        0xcd => ffi::lua_pushnumber(l, c.be(2)? as f64),
        0xce => ffi::lua_pushnumber(l, c.be(4)? as f64),
        0xcf => ffi::lua_pushnumber(l, c.be(8)? as f64),
        0xd0 => ffi::lua_pushnumber(l, c.be(1)? as u8 as i8 as f64),
        0xd1 => ffi::lua_pushnumber(l, c.be(2)? as u16 as i16 as f64),
        0xd2 => ffi::lua_pushnumber(l, c.be(4)? as u32 as i32 as f64),
        0xd3 => ffi::lua_pushnumber(l, c.be(8)? as i64 as f64),
        0xc0 => ffi::lua_pushnil(l),
        0xc3 => ffi::lua_pushboolean(l, 1),
        0xc2 => ffi::lua_pushboolean(l, 0),
        0xca => ffi::lua_pushnumber(l, f32::from_bits(c.be(4)? as u32) as f64),
        0xcb => ffi::lua_pushnumber(l, f64::from_bits(c.be(8)?)),
        0xa0..=0xbf => push_bytes(l, c.take((t & 0x1f) as usize)?),
        0xd9..=0xdb => {
            let n = c.be(1 << (t - 0xd9))? as usize;
            push_bytes(l, c.take(n)?);
        }
        0x90..=0x9f | 0xdc | 0xdd => {
            let n = match t {
                0xdc => c.be(2)? as usize,
                0xdd => c.be(4)? as usize,
                _ => (t & 0xf) as usize,
            };
            // Each element takes a byte at least: a longer count is a lie about the input.
            c.need(n)?;
            ffi::lua_createtable(l, n.min(1 << 16) as c_int, 0);
            for i in 1..=n {
                decode(l, c, depth + 1)?;
                ffi::lua_rawseti(l, -2, i as _);
            }
        }
        0x80..=0x8f | 0xde | 0xdf => {
            let n = match t {
                0xde => c.be(2)? as usize,
                0xdf => c.be(4)? as usize,
                _ => (t & 0xf) as usize,
            };
            c.need(n.saturating_mul(2))?;
            ffi::lua_createtable(l, 0, n.min(1 << 16) as c_int);
            for _ in 0..n {
                decode(l, c, depth + 1)?;
                decode(l, c, depth + 1)?;
                match ffi::lua_type(l, -2) {
                    ffi::LUA_TNIL => return Err(DecodeErr::Other(b"table index is nil".to_vec())),
                    ffi::LUA_TNUMBER if ffi::lua_tonumber(l, -2).is_nan() => return Err(DecodeErr::Other(b"table index is NaN".to_vec())),
                    _ => ffi::lua_rawset(l, -3),
                }
            }
        }
        _ => return Err(DecodeErr::BadFormat),
    }
    Ok(())
}

/// Redis's mp_unpack_full: values from `offset`, at most `limit` (0 and 0: all of them).
unsafe fn unpack_full(l: *mut lua_State, limit: i64, offset: i64) -> c_int {
    let Some(s) = (if ffi::lua_type(l, 1) == ffi::LUA_TSTRING || ffi::lua_type(l, 1) == ffi::LUA_TNUMBER { to_bytes(l, 1) } else { None }) else {
        let ty = std::ffi::CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, 1))).to_string_lossy().into_owned();
        return error_where(l, format!("bad argument #1 to '?' (string expected, got {ty})").as_bytes());
    };
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return error_where(l, format!("Invalid request to unpack with offset of {} and limit of {}.", offset as i32, s.len() as i32).as_bytes());
    }
    if offset as u64 > s.len() as u64 {
        return error_where(l, format!("Start offset {} greater than input length {}.", offset as i32, s.len() as i32).as_bytes());
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut c = Cursor { b: s, p: offset as usize };
    let mut cnt: c_int = 0;
    while c.p < c.b.len() && (cnt as i64) < limit {
        match decode(l, &mut c, 0) {
            Ok(()) => cnt += 1,
            Err(DecodeErr::Eof) => return error_where(l, b"Missing bytes in input."),
            Err(DecodeErr::BadFormat) => return error_where(l, b"Bad data format in input."),
            Err(DecodeErr::Other(m)) => return error_where(l, &m),
        }
    }
    if !decode_all {
        let next = if c.p == c.b.len() { -1 } else { c.p as i64 };
        ffi::lua_pushinteger(l, next as _);
        ffi::lua_insert(l, 2);
        cnt += 1;
    }
    cnt
}

lua_fn! {
    fn unpack(l) {
        unpack_full(l, 0, 0)
    }
}

lua_fn! {
    fn unpack_one(l) {
        let offset = if ffi::lua_isnoneornil(l, 2) != 0 { 0 } else { ffi::lua_tonumber(l, 2) as i64 };
        ffi::lua_settop(l, 1);
        unpack_full(l, 1, offset)
    }
}

lua_fn! {
    fn unpack_limit(l) {
        if ffi::lua_isnumber(l, 2) == 0 {
            return error_where(l, b"bad argument #2 to 'unpack_limit' (number expected, got no value)");
        }
        let limit = ffi::lua_tonumber(l, 2) as i64;
        let offset = if ffi::lua_isnoneornil(l, 3) != 0 { 0 } else { ffi::lua_tonumber(l, 3) as i64 };
        ffi::lua_settop(l, 1);
        unpack_full(l, limit, offset)
    }
}
