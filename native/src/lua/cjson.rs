//! `cjson` as Redis's scripts know it (lua-cjson 2.1): encode and decode with
//! its number format (%.14g), escapes (including "\/"), sparse-array rule,
//! nesting limits (1000 each way: CVE-2022-24834's deep input gets an error,
//! never a crash) and error texts; cjson.null; the configuration functions.
use super::util::{error_where, push_bytes, set_fn, to_bytes};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::cell::Cell;
use std::ffi::{c_char, c_int};

#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: error, 1: allowed, 2: as null.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: bool,
    encode_keep_buffer: bool,
    precision: i32,
}

const DEFAULT: Config = Config {
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid_numbers: 0,
    decode_invalid_numbers: true,
    encode_keep_buffer: true,
    precision: 14,
};

thread_local! {
    static CFG: Cell<Config> = const { Cell::new(DEFAULT) };
}

fn cfg() -> Config {
    CFG.with(|c| c.get())
}

extern "C" {
    fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ...) -> c_int;
    fn strtod(s: *const c_char, end: *mut *mut c_char) -> f64;
}

/// `v` as C's "%.{precision}g".
pub fn fmt_g(v: f64, precision: i32) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let n = unsafe { snprintf(buf.as_mut_ptr() as *mut c_char, buf.len(), c"%.*g".as_ptr(), precision as c_int, v) };
    buf[..(n.max(0) as usize).min(63)].to_vec()
}

/// Registers the `cjson` global.
pub unsafe fn register(l: *mut lua_State) {
    push_module(l);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"cjson".as_ptr());
}

unsafe fn push_module(l: *mut lua_State) {
    ffi::lua_newtable(l);
    set_fn(l, b"encode", encode);
    set_fn(l, b"decode", decode);
    set_fn(l, b"encode_sparse_array", encode_sparse_array);
    set_fn(l, b"encode_max_depth", encode_max_depth);
    set_fn(l, b"decode_max_depth", decode_max_depth);
    set_fn(l, b"encode_number_precision", encode_number_precision);
    set_fn(l, b"encode_keep_buffer", encode_keep_buffer);
    set_fn(l, b"encode_invalid_numbers", encode_invalid_numbers);
    set_fn(l, b"decode_invalid_numbers", decode_invalid_numbers);
    set_fn(l, b"new", new);
    push_bytes(l, b"null");
    ffi::lua_pushlightuserdata(l, std::ptr::null_mut());
    ffi::lua_rawset(l, -3);
    super::util::set_str(l, b"_NAME", b"cjson");
    super::util::set_str(l, b"_VERSION", b"2.1.0");
}

lua_fn! {
    fn new(l) {
        push_module(l);
        1
    }
}

/// An error raised with luaL_error's position prefix.
type Fail = Vec<u8>;

unsafe fn type_name(l: *mut lua_State, idx: c_int) -> Vec<u8> {
    std::ffi::CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, idx))).to_bytes().to_vec()
}

fn cannot(ty: &[u8], reason: &str) -> Fail {
    let mut m = b"Cannot serialise ".to_vec();
    m.extend_from_slice(ty);
    m.extend_from_slice(b": ");
    m.extend_from_slice(reason.as_bytes());
    m
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

unsafe fn append_number(l: *mut lua_State, idx: c_int, c: &Config, out: &mut Vec<u8>) -> Result<(), Fail> {
    let n = ffi::lua_tonumber(l, idx);
    if !n.is_finite() {
        match c.encode_invalid_numbers {
            0 => return Err(cannot(&type_name(l, idx), "must not be NaN or Inf")),
            1 if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(&fmt_g(n, c.precision));
    Ok(())
}

/// The table at the top as an array: its length, or None (an object).
unsafe fn array_length(l: *mut lua_State, c: &Config) -> Result<Option<usize>, Fail> {
    let mut max = 0f64;
    let mut items = 0f64;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER {
            let k = ffi::lua_tonumber(l, -2);
            if k != 0.0 && k.floor() == k && k >= 1.0 {
                max = max.max(k);
                items += 1.0;
                ffi::lua_settop(l, -2);
                continue;
            }
        }
        ffi::lua_settop(l, -3);
        return Ok(None);
    }
    if c.sparse_ratio > 0 && max > items * c.sparse_ratio as f64 && max > c.sparse_safe as f64 {
        if !c.sparse_convert {
            return Err(cannot(b"table", "excessively sparse array"));
        }
        return Ok(None);
    }
    Ok(if max > 0.0 { Some(max as usize) } else { None })
}

unsafe fn append_value(l: *mut lua_State, c: &Config, depth: i32, out: &mut Vec<u8>) -> Result<(), Fail> {
    match ffi::lua_type(l, -1) {
        ffi::LUA_TSTRING => append_string(out, to_bytes(l, -1).unwrap_or_default()),
        ffi::LUA_TNUMBER => append_number(l, -1, c, out)?,
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(l, -1) != 0 { b"true" } else { b"false" }),
        ffi::LUA_TNIL => out.extend_from_slice(b"null"),
        ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => out.extend_from_slice(b"null"),
        ffi::LUA_TTABLE => {
            let depth = depth + 1;
            if depth > c.encode_max_depth || ffi::lua_checkstack(l, 3) == 0 {
                return Err(format!("Cannot serialise, excessive nesting ({depth})").into_bytes());
            }
            match array_length(l, c)? {
                Some(n) => {
                    out.push(b'[');
                    for i in 1..=n {
                        if i > 1 {
                            out.push(b',');
                        }
                        ffi::lua_rawgeti(l, -1, i as _);
                        let r = append_value(l, c, depth, out);
                        ffi::lua_settop(l, -2);
                        r?;
                    }
                    out.push(b']');
                }
                None => {
                    out.push(b'{');
                    let mut first = true;
                    ffi::lua_pushnil(l);
                    while ffi::lua_next(l, -2) != 0 {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match ffi::lua_type(l, -2) {
                            ffi::LUA_TNUMBER => {
                                out.push(b'"');
                                if let Err(e) = append_number(l, -2, c, out) {
                                    ffi::lua_settop(l, -3);
                                    return Err(e);
                                }
                                out.extend_from_slice(b"\":");
                            }
                            ffi::LUA_TSTRING => {
                                append_string(out, to_bytes(l, -2).unwrap_or_default());
                                out.push(b':');
                            }
                            _ => {
                                let ty = type_name(l, -2);
                                ffi::lua_settop(l, -3);
                                return Err(cannot(&ty, "table key must be a number or string"));
                            }
                        }
                        if let Err(e) = append_value(l, c, depth, out) {
                            ffi::lua_settop(l, -3);
                            return Err(e);
                        }
                        ffi::lua_settop(l, -2);
                    }
                    out.push(b'}');
                }
            }
        }
        _ => return Err(cannot(&type_name(l, -1), "type not supported")),
    }
    Ok(())
}

lua_fn! {
    fn encode(l) {
        if ffi::lua_gettop(l) != 1 {
            return error_where(l, b"bad argument #1 to 'encode' (expected 1 argument)");
        }
        let c = cfg();
        let mut out = Vec::new();
        match append_value(l, &c, 0, &mut out) {
            Ok(()) => {
                push_bytes(l, &out);
                1
            }
            Err(m) => {
                drop(out);
                error_where(l, &m)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

fn tok_name(t: Tok) -> &'static str {
    match t {
        Tok::ObjBegin => "T_OBJ_BEGIN",
        Tok::ObjEnd => "T_OBJ_END",
        Tok::ArrBegin => "T_ARR_BEGIN",
        Tok::ArrEnd => "T_ARR_END",
        Tok::Str => "T_STRING",
        Tok::Num => "T_NUMBER",
        Tok::Bool => "T_BOOLEAN",
        Tok::Null => "T_NULL",
        Tok::Colon => "T_COLON",
        Tok::Comma => "T_COMMA",
        Tok::End => "T_END",
        Tok::Error => "T_ERROR",
    }
}

struct Parser<'a> {
    /// The string with Lua's terminating NUL (a NUL ends the input, as in C).
    data: &'a [u8],
    ptr: usize,
    depth: i32,
    cfg: Config,
    // The current token.
    t: Tok,
    index: usize,
    err: &'static str,
    s: Vec<u8>,
    num: f64,
    b: bool,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        *self.data.get(i).unwrap_or(&0)
    }

    fn set_error(&mut self, what: &'static str) {
        self.t = Tok::Error;
        self.index = self.ptr;
        self.err = what;
    }

    fn invalid_number(&self) -> bool {
        let mut p = self.ptr;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        } else if c <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        rest.len() >= 3 && (rest[..3].eq_ignore_ascii_case(b"inf") || rest[..3].eq_ignore_ascii_case(b"nan"))
    }

    fn number(&mut self) {
        self.t = Tok::Num;
        let start = unsafe { self.data.as_ptr().add(self.ptr) } as *const c_char;
        let mut end: *mut c_char = std::ptr::null_mut();
        self.num = unsafe { strtod(start, &mut end) };
        let used = end as usize - start as usize;
        if used == 0 {
            self.set_error("invalid number");
        } else {
            self.ptr += used;
        }
    }

    fn hex4(&self, p: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            v = v * 16 + (self.at(p + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    fn string(&mut self) {
        self.ptr += 1;
        self.s.clear();
        loop {
            let ch = self.at(self.ptr);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return self.set_error("unexpected end of string");
            }
            if ch == b'\\' {
                let e = self.at(self.ptr + 1);
                let out = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b't' => 9,
                    b'n' => 10,
                    b'f' => 12,
                    b'r' => 13,
                    b'u' => {
                        if !self.unicode_escape() {
                            return self.set_error("invalid unicode escape code");
                        }
                        continue;
                    }
                    _ => return self.set_error("invalid escape code"),
                };
                self.s.push(out);
                self.ptr += 2;
                continue;
            }
            self.s.push(ch);
            self.ptr += 1;
        }
        self.ptr += 1;
        self.t = Tok::Str;
    }

    fn unicode_escape(&mut self) -> bool {
        let Some(mut cp) = self.hex4(self.ptr + 2) else { return false };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.ptr + 8) else { return false };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        match char::from_u32(cp) {
            Some(ch) => {
                let mut b = [0u8; 4];
                self.s.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
            // Lone low surrogates are encoded as the 3 bytes C would write.
            None if cp < 0x10000 => self.s.extend_from_slice(&[0xE0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3F) as u8, 0x80 | (cp & 0x3F) as u8]),
            None => return false,
        }
        self.ptr += len;
        true
    }

    fn next(&mut self) {
        loop {
            let c = self.at(self.ptr);
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.ptr += 1;
            } else {
                break;
            }
        }
        self.index = self.ptr;
        let c = self.at(self.ptr);
        let simple = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            0 => {
                self.t = Tok::End;
                return;
            }
            _ => None,
        };
        if let Some(t) = simple {
            self.t = t;
            self.ptr += 1;
            return;
        }
        let rest = &self.data[self.ptr..];
        if c == b'"' {
            self.string();
        } else if c == b'-' || c.is_ascii_digit() {
            if !self.cfg.decode_invalid_numbers && self.invalid_number() {
                return self.set_error("invalid number");
            }
            self.number();
        } else if rest.starts_with(b"true") {
            self.t = Tok::Bool;
            self.b = true;
            self.ptr += 4;
        } else if rest.starts_with(b"false") {
            self.t = Tok::Bool;
            self.b = false;
            self.ptr += 5;
        } else if rest.starts_with(b"null") {
            self.t = Tok::Null;
            self.ptr += 4;
        } else if self.cfg.decode_invalid_numbers && matches!(c, b'i' | b'I' | b'n' | b'N' | b'+') && self.invalid_number() {
            self.number();
        } else {
            self.set_error("invalid token");
        }
    }

    fn expected(&self, what: &str) -> Fail {
        let found = if self.t == Tok::Error { self.err } else { tok_name(self.t) };
        format!("Expected {what} but found {found} at character {}", self.index + 1).into_bytes()
    }

    unsafe fn descend(&mut self, l: *mut lua_State, slots: c_int) -> Result<(), Fail> {
        self.depth += 1;
        if self.depth <= self.cfg.decode_max_depth && ffi::lua_checkstack(l, slots) != 0 {
            return Ok(());
        }
        Err(format!("Found too many nested data structures ({}) at character {}", self.depth, self.ptr).into_bytes())
    }

    unsafe fn value(&mut self, l: *mut lua_State) -> Result<(), Fail> {
        match self.t {
            Tok::Str => push_bytes(l, &self.s),
            Tok::Num => ffi::lua_pushnumber(l, self.num),
            Tok::Bool => ffi::lua_pushboolean(l, self.b as c_int),
            Tok::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
            Tok::ObjBegin => {
                self.descend(l, 3)?;
                ffi::lua_newtable(l);
                self.next();
                if self.t == Tok::ObjEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                loop {
                    if self.t != Tok::Str {
                        return Err(self.expected("object key string"));
                    }
                    push_bytes(l, &self.s);
                    self.next();
                    if self.t != Tok::Colon {
                        return Err(self.expected("colon"));
                    }
                    self.next();
                    self.value(l)?;
                    ffi::lua_rawset(l, -3);
                    self.next();
                    if self.t == Tok::ObjEnd {
                        self.depth -= 1;
                        return Ok(());
                    }
                    if self.t != Tok::Comma {
                        return Err(self.expected("comma or object end"));
                    }
                    self.next();
                }
            }
            Tok::ArrBegin => {
                self.descend(l, 2)?;
                ffi::lua_newtable(l);
                self.next();
                if self.t == Tok::ArrEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                let mut i = 1;
                loop {
                    self.value(l)?;
                    ffi::lua_rawseti(l, -2, i);
                    i += 1;
                    self.next();
                    if self.t == Tok::ArrEnd {
                        self.depth -= 1;
                        return Ok(());
                    }
                    if self.t != Tok::Comma {
                        return Err(self.expected("comma or array end"));
                    }
                    self.next();
                }
            }
            _ => return Err(self.expected("value")),
        }
        Ok(())
    }
}

lua_fn! {
    fn decode(l) {
        if ffi::lua_gettop(l) != 1 {
            return error_where(l, b"bad argument #1 to 'decode' (expected 1 argument)");
        }
        let Some(data) = (if ffi::lua_type(l, 1) == ffi::LUA_TSTRING || ffi::lua_type(l, 1) == ffi::LUA_TNUMBER { to_bytes(l, 1) } else { None }) else {
            let m = format!("bad argument #1 to 'decode' (string expected, got {})", String::from_utf8_lossy(&type_name(l, 1)));
            return error_where(l, m.as_bytes());
        };
        if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
            return error_where(l, b"JSON parser does not support UTF-16 or UTF-32");
        }
        // Lua strings end with a NUL byte: the parser may read it as the end, as C's does.
        let with_nul = std::slice::from_raw_parts(data.as_ptr(), data.len() + 1);
        let mut p = Parser { data: with_nul, ptr: 0, depth: 0, cfg: cfg(), t: Tok::End, index: 0, err: "", s: Vec::new(), num: 0.0, b: false };
        p.next();
        let r = p.value(l).and_then(|_| {
            p.next();
            if p.t != Tok::End {
                Err(p.expected("the end"))
            } else {
                Ok(())
            }
        });
        drop(p);
        match r {
            Ok(()) => 1,
            Err(m) => error_where(l, &m),
        }
    }
}

/// Reads an optional integer option at `idx` within `lo..=hi`; Err: the message.
unsafe fn int_option(l: *mut lua_State, idx: c_int, name: &str, v: &mut i32, lo: i32, hi: i32) -> Result<(), Fail> {
    if ffi::lua_isnoneornil(l, idx) == 0 {
        let n = ffi::lua_tonumber(l, idx);
        if ffi::lua_isnumber(l, idx) == 0 || n.fract() != 0.0 || n < lo as f64 || n > hi as f64 {
            return Err(format!("bad argument #{idx} to '{name}' (expected integer between {lo} and {hi})").into_bytes());
        }
        *v = n as i32;
    }
    ffi::lua_pushinteger(l, *v as _);
    Ok(())
}

/// Reads an optional boolean-ish option (true/false, or "on"/"off").
unsafe fn bool_option(l: *mut lua_State, idx: c_int, name: &str, v: &mut i32, allow_null: bool) -> Result<(), Fail> {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TNONE | ffi::LUA_TNIL => {}
        ffi::LUA_TBOOLEAN => *v = ffi::lua_toboolean(l, idx),
        _ => match to_bytes(l, idx) {
            Some(b"on") => *v = 1,
            Some(b"off") => *v = 0,
            Some(b"null") if allow_null => *v = 2,
            _ => {
                return Err(format!("bad argument #{idx} to '{name}' (invalid option '{}')", String::from_utf8_lossy(to_bytes(l, idx).unwrap_or(b"?"))).into_bytes());
            }
        },
    }
    match *v {
        2 => push_bytes(l, b"null"),
        n => ffi::lua_pushboolean(l, n),
    }
    Ok(())
}

unsafe fn config_fn(l: *mut lua_State, f: impl FnOnce(&mut Config) -> Result<c_int, Fail>) -> c_int {
    let mut c = cfg();
    match f(&mut c) {
        Ok(n) => {
            CFG.with(|x| x.set(c));
            n
        }
        Err(m) => error_where(l, &m),
    }
}

lua_fn! {
    fn encode_sparse_array(l) {
        config_fn(l, |c| {
            let mut conv = c.sparse_convert as i32;
            bool_option(l, 1, "encode_sparse_array", &mut conv, false)?;
            c.sparse_convert = conv != 0;
            int_option(l, 2, "encode_sparse_array", &mut c.sparse_ratio, 0, i32::MAX)?;
            int_option(l, 3, "encode_sparse_array", &mut c.sparse_safe, 0, i32::MAX)?;
            Ok(3)
        })
    }
}

lua_fn! {
    fn encode_max_depth(l) {
        config_fn(l, |c| int_option(l, 1, "encode_max_depth", &mut c.encode_max_depth, 1, i32::MAX).map(|_| 1))
    }
}

lua_fn! {
    fn decode_max_depth(l) {
        config_fn(l, |c| int_option(l, 1, "decode_max_depth", &mut c.decode_max_depth, 1, i32::MAX).map(|_| 1))
    }
}

lua_fn! {
    fn encode_number_precision(l) {
        config_fn(l, |c| int_option(l, 1, "encode_number_precision", &mut c.precision, 1, 14).map(|_| 1))
    }
}

lua_fn! {
    fn encode_keep_buffer(l) {
        config_fn(l, |c| {
            let mut v = c.encode_keep_buffer as i32;
            bool_option(l, 1, "encode_keep_buffer", &mut v, false)?;
            c.encode_keep_buffer = v != 0;
            Ok(1)
        })
    }
}

lua_fn! {
    fn encode_invalid_numbers(l) {
        config_fn(l, |c| bool_option(l, 1, "encode_invalid_numbers", &mut c.encode_invalid_numbers, true).map(|_| 1))
    }
}

lua_fn! {
    fn decode_invalid_numbers(l) {
        config_fn(l, |c| {
            let mut v = c.decode_invalid_numbers as i32;
            bool_option(l, 1, "decode_invalid_numbers", &mut v, false)?;
            c.decode_invalid_numbers = v != 0;
            Ok(1)
        })
    }
}

