//! Small helpers over the Lua C API that the scripting modules share.
use mlua::ffi::{self, lua_State};
use std::ffi::{c_char, c_int};

/// Pushes `s` (any bytes) as a Lua string.
#[inline]
pub unsafe fn push_bytes(l: *mut lua_State, s: &[u8]) {
    ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len());
}

/// The bytes of the string (or number, converted in place as Lua does) at `idx`.
#[inline]
pub unsafe fn to_bytes<'a>(l: *mut lua_State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p as *const u8, len))
    }
}

/// Sets `t[name] = f` for the table at the top of the stack.
pub unsafe fn set_fn(l: *mut lua_State, name: &[u8], f: ffi::lua_CFunction) {
    push_bytes(l, name);
    ffi::lua_pushcfunction(l, f);
    ffi::lua_rawset(l, -3);
}

/// Sets `t[name] = n` for the table at the top of the stack.
pub unsafe fn set_num(l: *mut lua_State, name: &[u8], n: f64) {
    push_bytes(l, name);
    ffi::lua_pushnumber(l, n);
    ffi::lua_rawset(l, -3);
}

/// Sets `t[name] = s` for the table at the top of the stack.
pub unsafe fn set_str(l: *mut lua_State, name: &[u8], s: &[u8]) {
    push_bytes(l, name);
    push_bytes(l, s);
    ffi::lua_rawset(l, -3);
}

/// What a C function body returns to raise the value at the top of the stack
/// as a Lua error: the raise happens in `guard`, after the body's Rust values
/// are dropped (lua_error does not return).
pub const RAISE: c_int = -1;

/// Pushes `msg` prefixed with the position of the Lua code that called the
/// running C function (luaL_error's "user_script:1: " prefix); returns RAISE.
pub unsafe fn error_where(l: *mut lua_State, msg: &[u8]) -> c_int {
    ffi::luaL_where(l, 1);
    push_bytes(l, msg);
    ffi::lua_concat(l, 2);
    RAISE
}

/// Pushes `msg` as a plain error value; returns RAISE.
pub unsafe fn error_plain(l: *mut lua_State, msg: &[u8]) -> c_int {
    push_bytes(l, msg);
    RAISE
}

/// Runs a C function's body with a panic boundary (a panic becomes a Lua error
/// instead of unwinding through the interpreter's C frames) and raises the
/// error the body left when it returns RAISE.
#[inline]
pub unsafe fn guard(l: *mut lua_State, f: impl FnOnce() -> c_int) -> c_int {
    let n = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(n) => n,
        Err(_) => {
            push_bytes(l, b"internal error in a scripting library function");
            RAISE
        }
    };
    if n == RAISE {
        ffi::lua_error(l)
    } else {
        n
    }
}

/// Defines `extern "C-unwind" fn $name(l)` whose body runs under `guard`.
#[macro_export]
macro_rules! lua_fn {
    ($(#[$m:meta])* fn $name:ident($l:ident) $body:block) => {
        $(#[$m])*
        pub unsafe extern "C-unwind" fn $name($l: *mut mlua::ffi::lua_State) -> std::ffi::c_int {
            $crate::lua::util::guard($l, || $body)
        }
    };
}

/// Pushes t[name] without metamethods (t at `idx`, a table): safe outside a protected call.
pub unsafe fn raw_field(l: *mut lua_State, idx: c_int, name: &[u8]) -> c_int {
    let idx = if idx < 0 && idx > ffi::LUA_REGISTRYINDEX { ffi::lua_gettop(l) + idx + 1 } else { idx };
    push_bytes(l, name);
    ffi::lua_rawget(l, idx);
    ffi::lua_type(l, -1)
}
