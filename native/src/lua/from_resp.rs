//! A command's RESP reply as the Lua value redis.call returns (Redis's
//! redisProtocolToLuaType): integers as numbers, bulks as strings, nulls as
//! false (RESP2) or nil (RESP3 null), status as {ok=...}, errors as
//! {err=...}, arrays as tables, and the RESP3 types as Redis documents them
//! (map={...}, set={...}, double={double=n}, big_number, verbatim_string).
use super::util::{push_bytes, set_str};
use mlua::ffi::{self, lua_State};

/// Pushes the value of the reply starting at `p`; returns the position after it.
/// Attributes (`|`) are skipped. Malformed input pushes nil.
pub unsafe fn push(l: *mut lua_State, b: &[u8], p: usize) -> usize {
    ffi::lua_checkstack(l, 8);
    if p >= b.len() {
        ffi::lua_pushnil(l);
        return b.len();
    }
    let (line, next) = line(b, p + 1);
    match b[p] {
        b':' => {
            ffi::lua_pushnumber(l, parse_i64(line) as f64);
            next
        }
        b'$' => {
            let n = parse_i64(line);
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return next;
            }
            let end = (next + n as usize).min(b.len());
            push_bytes(l, &b[next..end]);
            end + 2
        }
        b'+' => {
            ffi::lua_createtable(l, 0, 1);
            set_str(l, b"ok", line);
            next
        }
        b'-' => {
            push_error_table(l, line);
            push_bytes(l, b"ignore_error_stats_update");
            ffi::lua_pushboolean(l, 1);
            ffi::lua_rawset(l, -3);
            next
        }
        b'*' | b'>' => {
            let n = parse_i64(line);
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return next;
            }
            ffi::lua_createtable(l, n.min(1024) as i32, 0);
            let mut q = next;
            for i in 0..n {
                q = push(l, b, q);
                ffi::lua_rawseti(l, -2, (i + 1) as _);
            }
            q
        }
        b'%' => {
            let n = parse_i64(line).max(0);
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, b"map");
            ffi::lua_createtable(l, 0, n.min(1024) as i32);
            let mut q = next;
            for _ in 0..n {
                q = push(l, b, q);
                q = push(l, b, q);
                ffi::lua_settable(l, -3);
            }
            ffi::lua_rawset(l, -3);
            q
        }
        b'~' => {
            let n = parse_i64(line).max(0);
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, b"set");
            ffi::lua_createtable(l, 0, n.min(1024) as i32);
            let mut q = next;
            for _ in 0..n {
                q = push(l, b, q);
                ffi::lua_pushboolean(l, 1);
                ffi::lua_settable(l, -3);
            }
            ffi::lua_rawset(l, -3);
            q
        }
        b'|' => {
            // Attributes are not shown to scripts: skip them, then the reply itself.
            let n = parse_i64(line).max(0);
            let mut q = next;
            for _ in 0..n * 2 {
                q = push(l, b, q);
                ffi::lua_settop(l, -2);
            }
            push(l, b, q)
        }
        b'_' => {
            ffi::lua_pushnil(l);
            next
        }
        b'#' => {
            ffi::lua_pushboolean(l, (line.first() == Some(&b't')) as i32);
            next
        }
        b',' => {
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, b"double");
            ffi::lua_pushnumber(l, parse_double(line));
            ffi::lua_rawset(l, -3);
            next
        }
        b'(' => {
            ffi::lua_createtable(l, 0, 1);
            set_str(l, b"big_number", line);
            next
        }
        b'=' => {
            let n = parse_i64(line).max(0) as usize;
            let end = (next + n).min(b.len());
            let body = &b[next..end];
            let (format, text) = if body.len() >= 4 { (&body[..3], &body[4..]) } else { (&b""[..], body) };
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, b"verbatim_string");
            ffi::lua_createtable(l, 0, 2);
            set_str(l, b"string", text);
            set_str(l, b"format", format);
            ffi::lua_rawset(l, -3);
            end + 2
        }
        _ => {
            ffi::lua_pushnil(l);
            b.len()
        }
    }
}

/// Pushes Redis's error table for an error line (without the '-'): {err="CODE message"}.
/// A line without a space gets the generic code, as luaPushErrorBuff does.
pub unsafe fn push_error_table(l: *mut lua_State, line: &[u8]) {
    ffi::lua_createtable(l, 0, 2);
    push_bytes(l, b"err");
    if line.contains(&b' ') {
        push_bytes(l, trim_crlf(line));
    } else {
        let mut s = b"ERR ".to_vec();
        s.extend_from_slice(trim_crlf(line));
        push_bytes(l, &s);
    }
    ffi::lua_rawset(l, -3);
}

/// Pushes the error table for a message given without a code ("ERR " is added).
pub unsafe fn push_error_msg(l: *mut lua_State, msg: &[u8]) {
    ffi::lua_createtable(l, 0, 2);
    push_bytes(l, b"err");
    let mut s = b"ERR ".to_vec();
    s.extend_from_slice(trim_crlf(msg));
    push_bytes(l, &s);
    ffi::lua_rawset(l, -3);
}

fn trim_crlf(mut s: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// The line starting at `p` (up to CRLF) and the position after the CRLF.
fn line(b: &[u8], p: usize) -> (&[u8], usize) {
    let mut e = p;
    while e + 1 < b.len() && !(b[e] == b'\r' && b[e + 1] == b'\n') {
        e += 1;
    }
    if e + 1 >= b.len() {
        return (&b[p.min(b.len())..], b.len());
    }
    (&b[p..e], e + 2)
}

fn parse_i64(s: &[u8]) -> i64 {
    crate::util::parse_i64(s).unwrap_or(0)
}

fn parse_double(s: &[u8]) -> f64 {
    match s {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        b"nan" | b"-nan" => f64::NAN,
        _ => std::str::from_utf8(s).ok().and_then(|t| t.parse().ok()).unwrap_or(0.0),
    }
}
