//! A script's return value as the RESP reply its caller gets (Redis's
//! luaReplyToRedisReply): strings as bulks, numbers truncated to integers,
//! true as 1 and false as null (RESP2 scripts) or as booleans (RESP3),
//! {err=...} and {ok=...} tables as error and status replies, {double=...},
//! {big_number=...}, {verbatim_string=...}, {map=...} and {set=...} as the
//! RESP3 types (downgraded for a RESP2 client), other tables as arrays up to
//! their first nil, and anything else as null.
use super::util::{push_bytes, to_bytes};
use mlua::ffi::{self, lua_State};

/// Deep enough for any sane reply; a table that contains itself stops here.
const MAX_DEPTH: usize = 1000;

pub struct Out {
    pub buf: Vec<u8>,
    /// The caller's protocol (how RESP3 types are written).
    pub client_resp: u32,
    /// The script's protocol (redis.setresp: how booleans convert).
    pub script_resp: u32,
}

impl Out {
    fn header(&mut self, t: u8, n: usize) {
        self.buf.push(t);
        self.buf.extend_from_slice(n.to_string().as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }
    fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len());
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }
    fn int(&mut self, v: i64) {
        self.buf.push(b':');
        self.buf.extend_from_slice(v.to_string().as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }
    fn null(&mut self) {
        self.buf.extend_from_slice(if self.client_resp == 3 { b"_\r\n" } else { b"$-1\r\n" });
    }
    /// A line reply (`+` or `-`) with CR and LF replaced by spaces, as Redis does.
    pub fn line(&mut self, t: u8, s: &[u8]) {
        self.buf.push(t);
        self.buf.extend(s.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }
    fn double(&mut self, d: f64) {
        let mut b = [0u8; 32];
        let n = crate::util::fmt_double(d, &mut b);
        if self.client_resp == 3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&b[..n]);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&b[..n]);
        }
    }
    /// A length header whose count is known only after the elements: a placeholder patched later.
    fn deferred(&mut self) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(b"*00000000000000000000\r\n");
        at
    }
    fn patch(&mut self, at: usize, t: u8, n: usize) {
        let mut h = vec![t];
        h.extend_from_slice(n.to_string().as_bytes());
        self.buf.splice(at..at + 21, h);
    }
}

/// Converts the value at the top of the stack into `out` and pops it.
pub unsafe fn reply(l: *mut lua_State, out: &mut Out) {
    convert(l, out, 0);
}

unsafe fn convert(l: *mut lua_State, out: &mut Out, depth: usize) {
    if depth > MAX_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        out.line(b'-', b"ERR reached lua stack limit");
        ffi::lua_settop(l, -2);
        return;
    }
    match ffi::lua_type(l, -1) {
        ffi::LUA_TSTRING => out.bulk(to_bytes(l, -1).unwrap_or_default()),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(l, -1) != 0;
            if out.script_resp == 2 {
                if b {
                    out.int(1)
                } else {
                    out.null()
                }
            } else if out.client_resp == 3 {
                out.buf.extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.int(b as i64)
            }
        }
        ffi::LUA_TNUMBER => out.int(truncate(ffi::lua_tonumber(l, -1))),
        ffi::LUA_TTABLE => return table(l, out, depth),
        _ => out.null(),
    }
    ffi::lua_settop(l, -2);
}

/// Pushes t[name] (raw) for the table at the top; returns its type.
unsafe fn field(l: *mut lua_State, name: &[u8]) -> i32 {
    push_bytes(l, name);
    ffi::lua_rawget(l, -2);
    ffi::lua_type(l, -1)
}

unsafe fn table(l: *mut lua_State, out: &mut Out, depth: usize) {
    if field(l, b"err") == ffi::LUA_TSTRING {
        ffi::lua_settop(l, -2);
        let mut msg = Vec::new();
        error_text(l, &mut msg);
        out.line(b'-', &msg);
        ffi::lua_settop(l, -2);
        return;
    }
    ffi::lua_settop(l, -2);
    if field(l, b"ok") == ffi::LUA_TSTRING {
        out.line(b'+', to_bytes(l, -1).unwrap_or_default());
        ffi::lua_settop(l, -3);
        return;
    }
    ffi::lua_settop(l, -2);
    if field(l, b"double") == ffi::LUA_TNUMBER {
        out.double(ffi::lua_tonumber(l, -1));
        ffi::lua_settop(l, -3);
        return;
    }
    ffi::lua_settop(l, -2);
    if field(l, b"big_number") == ffi::LUA_TSTRING {
        let s: Vec<u8> = to_bytes(l, -1).unwrap_or_default().iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect();
        if out.client_resp == 2 {
            out.bulk(&s);
        } else {
            out.buf.push(b'(');
            out.buf.extend_from_slice(&s);
            out.buf.extend_from_slice(b"\r\n");
        }
        ffi::lua_settop(l, -3);
        return;
    }
    ffi::lua_settop(l, -2);
    if field(l, b"verbatim_string") == ffi::LUA_TTABLE {
        if field(l, b"format") == ffi::LUA_TSTRING {
            let format = to_bytes(l, -1).unwrap_or_default().to_vec();
            ffi::lua_pushvalue(l, -2);
            if field(l, b"string") == ffi::LUA_TSTRING {
                let s = to_bytes(l, -1).unwrap_or_default();
                if out.client_resp == 2 {
                    out.bulk(s);
                } else {
                    out.header(b'=', s.len() + 4);
                    for i in 0..3 {
                        out.buf.push(*format.get(i).unwrap_or(&b' '));
                    }
                    out.buf.push(b':');
                    out.buf.extend_from_slice(s);
                    out.buf.extend_from_slice(b"\r\n");
                }
                ffi::lua_settop(l, -6);
                return;
            }
            ffi::lua_settop(l, -3);
        }
        ffi::lua_settop(l, -2);
    }
    ffi::lua_settop(l, -2);
    if field(l, b"map") == ffi::LUA_TTABLE {
        let at = out.deferred();
        let mut n = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pushvalue(l, -2);
            convert(l, out, depth + 1);
            convert(l, out, depth + 1);
            n += 1;
        }
        if out.client_resp == 3 {
            out.patch(at, b'%', n);
        } else {
            out.patch(at, b'*', n * 2);
        }
        ffi::lua_settop(l, -3);
        return;
    }
    ffi::lua_settop(l, -2);
    if field(l, b"set") == ffi::LUA_TTABLE {
        let at = out.deferred();
        let mut n = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_settop(l, -2);
            ffi::lua_pushvalue(l, -1);
            convert(l, out, depth + 1);
            n += 1;
        }
        out.patch(at, if out.client_resp == 3 { b'~' } else { b'*' }, n);
        ffi::lua_settop(l, -3);
        return;
    }
    ffi::lua_settop(l, -2);
    let at = out.deferred();
    let mut n = 0usize;
    loop {
        ffi::lua_rawgeti(l, -1, (n + 1) as _);
        if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
            ffi::lua_settop(l, -2);
            break;
        }
        convert(l, out, depth + 1);
        n += 1;
    }
    out.patch(at, b'*', n);
    ffi::lua_settop(l, -2);
}

/// The error text of the error table at the top of the stack (its `err` field).
pub unsafe fn error_text(l: *mut lua_State, out: &mut Vec<u8>) {
    if ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
        out.extend_from_slice(b"ERR ");
        out.extend_from_slice(to_bytes(l, -1).unwrap_or_default());
        return;
    }
    super::util::raw_field(l, -1, b"err");
    if ffi::lua_isstring(l, -1) != 0 {
        out.extend_from_slice(to_bytes(l, -1).unwrap_or_default());
    }
    ffi::lua_settop(l, -2);
}

/// A Lua number as Redis's `(long long)` cast gives it on x86-64: truncated,
/// and the "integer indefinite" value (i64::MIN) when out of range or NaN.
fn truncate(n: f64) -> i64 {
    if n.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}
