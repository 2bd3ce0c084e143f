//! The environment Redis gives scripts: the base, table, string and math
//! libraries (no io, os, package or debug; no print, dofile or loadfile),
//! loadstring/load that refuse precompiled bytecode, Redis's pcall (an error
//! table becomes its message), and globals that are read only and complain when
//! a script reads one that does not exist.
//!
//! Redis patches its Lua with read-only tables. The vendored Lua has none, so
//! each protected table is an empty proxy whose metatable reads through to the
//! real table (`__index`) and refuses writes (`__newindex`); setmetatable and
//! rawset refuse proxies, and the proxies' metatables are themselves read-only
//! views. Errors carry Redis's texts.
use super::util::{error_plain, error_where, push_bytes, to_bytes};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::ffi::c_int;

/// Registry keys.
pub const REG_GLOBALS: &std::ffi::CStr = c"nodis.globals";
pub const REG_PROXIES: &std::ffi::CStr = c"nodis.proxies";
pub const REG_ERR_HANDLER: &std::ffi::CStr = c"nodis.errh";
/// The metatable of the globals' proxy: its __index is the real globals, or
/// the library API while FUNCTION LOAD runs a library's code.
pub const REG_GLOBALS_MT: &std::ffi::CStr = c"nodis.globals_mt";
const REG_TOSTRING: &std::ffi::CStr = c"nodis.tostring";

const READONLY: &[u8] = b"Attempt to modify a readonly table";

/// Opens the libraries scripts get and trims the base library. Leaves the stack as it found it.
pub unsafe fn open_libs(l: *mut lua_State) {
    for (f, name) in [
        (ffi::luaopen_base as ffi::lua_CFunction, c""),
        (ffi::luaopen_table, c"table"),
        (ffi::luaopen_string, c"string"),
        (ffi::luaopen_math, c"math"),
    ] {
        ffi::lua_pushcfunction(l, f);
        ffi::lua_pushstring(l, name.as_ptr());
        ffi::lua_call(l, 1, 0);
    }
    for name in [c"dofile", c"loadfile", c"print"] {
        ffi::lua_pushnil(l);
        ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, name.as_ptr());
    }
    ffi::lua_getglobal(l, c"tostring".as_ptr());
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_TOSTRING.as_ptr());
    // loadstring and load keep the originals as upvalues.
    ffi::lua_getglobal(l, c"loadstring".as_ptr());
    ffi::lua_pushcclosure(l, loadstring, 1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"loadstring".as_ptr());
    ffi::lua_getglobal(l, c"loadstring".as_ptr());
    ffi::lua_pushcclosure(l, load, 1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"load".as_ptr());
    install_pcall(l);
    ffi::lua_getglobal(l, c"setmetatable".as_ptr());
    ffi::lua_pushcclosure(l, setmetatable, 1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"setmetatable".as_ptr());
    ffi::lua_getglobal(l, c"rawset".as_ptr());
    ffi::lua_pushcclosure(l, rawset, 1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"rawset".as_ptr());
    ffi::lua_pushcfunction(l, err_handler);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_ERR_HANDLER.as_ptr());
    ffi::lua_newtable(l);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
}

/// Makes the globals read only: every table-valued global becomes a read-only
/// proxy, then the globals table itself (kept in the registry for KEYS/ARGV).
pub unsafe fn lock_globals(l: *mut lua_State) {
    ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
    let g = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, g);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_GLOBALS.as_ptr());
    // Library tables: collect the names first (the table changes while walked).
    let mut names: Vec<Vec<u8>> = Vec::new();
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, g) != 0 {
        if ffi::lua_type(l, -1) == ffi::LUA_TTABLE && ffi::lua_type(l, -2) == ffi::LUA_TSTRING {
            let k = to_bytes(l, -2).unwrap_or_default().to_vec();
            if k != b"_G" {
                names.push(k);
            }
        }
        ffi::lua_settop(l, -2);
    }
    for k in names {
        push_bytes(l, &k);
        ffi::lua_pushvalue(l, -1);
        ffi::lua_rawget(l, g);
        push_proxy(l, -1);
        ffi::lua_remove(l, -2);
        ffi::lua_rawset(l, g);
    }
    // Strings' metatable: reachable with getmetatable(''), shown as a read-only view.
    push_bytes(l, b"");
    if ffi::lua_getmetatable(l, -1) != 0 {
        let mt = ffi::lua_gettop(l);
        push_proxy(l, mt);
        ffi::lua_setfield(l, mt, c"__metatable".as_ptr());
        ffi::lua_settop(l, -2);
    }
    ffi::lua_settop(l, -2);
    // Reading a missing global is an error.
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcfunction(l, missing_global);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_setmetatable(l, g);
    // The proxy scripts see as their globals, and as _G.
    push_proxy(l, g);
    ffi::lua_getmetatable(l, -1);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_GLOBALS_MT.as_ptr());
    ffi::lua_pushvalue(l, -1);
    ffi::lua_setfield(l, g, c"_G".as_ptr());
    ffi::lua_replace(l, ffi::LUA_GLOBALSINDEX);
    ffi::lua_settop(l, g - 1);
}

/// Pushes a read-only proxy of the table at `idx`.
pub unsafe fn push_proxy(l: *mut lua_State, idx: c_int) {
    let idx = if idx < 0 && idx > ffi::LUA_REGISTRYINDEX { ffi::lua_gettop(l) + idx + 1 } else { idx };
    ffi::lua_newtable(l); // proxy
    let p = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 3); // its metatable
    let mt = p + 1;
    ffi::lua_pushvalue(l, idx);
    ffi::lua_setfield(l, mt, c"__index".as_ptr());
    ffi::lua_pushcfunction(l, readonly_newindex);
    ffi::lua_setfield(l, mt, c"__newindex".as_ptr());
    // getmetatable(proxy) gives a read-only view of the metatable (a proxy whose own metatable is hidden).
    ffi::lua_newtable(l);
    ffi::lua_createtable(l, 0, 3);
    ffi::lua_pushvalue(l, mt);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcfunction(l, readonly_newindex);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_pushboolean(l, 0);
    ffi::lua_setfield(l, -2, c"__metatable".as_ptr());
    ffi::lua_setmetatable(l, -2);
    mark_proxy(l, -1);
    ffi::lua_setfield(l, mt, c"__metatable".as_ptr());
    ffi::lua_setmetatable(l, p);
    mark_proxy(l, p);
}

unsafe fn mark_proxy(l: *mut lua_State, idx: c_int) {
    let idx = if idx < 0 { ffi::lua_gettop(l) + idx + 1 } else { idx };
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
    ffi::lua_pushvalue(l, idx);
    ffi::lua_pushboolean(l, 1);
    ffi::lua_rawset(l, -3);
    ffi::lua_settop(l, -2);
}

unsafe fn is_proxy(l: *mut lua_State, idx: c_int) -> bool {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return false;
    }
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget(l, -2);
    let r = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_settop(l, -3);
    r
}

lua_fn! {
    /// __newindex of read-only tables.
    fn readonly_newindex(l) {
        error_where(l, READONLY)
    }
}

lua_fn! {
    /// __index of the globals: reading a global that does not exist.
    fn missing_global(l) {
        let name = to_bytes(l, 2).map(|s| s.to_vec());
        match name {
            Some(n) => {
                let mut m = b"Script attempted to access nonexistent global variable '".to_vec();
                m.extend_from_slice(&n);
                m.push(b'\'');
                error_where(l, &m)
            }
            None => error_where(l, b"Script attempted to access nonexistent global variable"),
        }
    }
}

/// Calls the original function kept as upvalue 1 with this call's arguments; returns its results' count.
unsafe fn call_original(l: *mut lua_State) -> c_int {
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, ffi::lua_gettop(l) - 1, ffi::LUA_MULTRET);
    ffi::lua_gettop(l)
}

lua_fn! {
    /// setmetatable refusing the read-only tables (Redis's read-only check, without a position).
    fn setmetatable(l) {
        if is_proxy(l, 1) {
            return error_plain(l, READONLY);
        }
        call_original(l)
    }
}

lua_fn! {
    /// rawset refusing the read-only tables.
    fn rawset(l) {
        if is_proxy(l, 1) {
            return error_plain(l, READONLY);
        }
        call_original(l)
    }
}

/// Precompiled chunks start with ESC; Redis's Lua only parses source.
fn is_bytecode(s: &[u8]) -> bool {
    s.first() == Some(&0x1b)
}

lua_fn! {
    /// loadstring without bytecode.
    fn loadstring(l) {
        if let Some(s) = to_bytes(l, 1) {
            if ffi::lua_type(l, 1) == ffi::LUA_TSTRING && is_bytecode(s) {
                ffi::lua_pushnil(l);
                push_bytes(l, b"[string \"?Lua\"]:1: unexpected symbol near '<\\27>'");
                return 2;
            }
        }
        call_original(l)
    }
}

lua_fn! {
    /// load(func [, chunkname]): the pieces are gathered, then loaded as loadstring does.
    fn load(l) {
        if ffi::lua_type(l, 1) != ffi::LUA_TFUNCTION {
            ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
            return 0;
        }
        let mut chunk = Vec::new();
        loop {
            ffi::lua_pushvalue(l, 1);
            ffi::lua_call(l, 0, 1);
            if ffi::lua_isnil(l, -1) != 0 {
                ffi::lua_settop(l, -2);
                break;
            }
            if ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
                ffi::lua_settop(l, -2);
                ffi::lua_pushnil(l);
                push_bytes(l, b"reader function must return a string");
                return 2;
            }
            let piece = to_bytes(l, -1).unwrap_or_default();
            if piece.is_empty() {
                ffi::lua_settop(l, -2);
                break;
            }
            chunk.extend_from_slice(piece);
            ffi::lua_settop(l, -2);
        }
        let name = if ffi::lua_type(l, 2) == ffi::LUA_TSTRING { Some(to_bytes(l, 2).unwrap_or_default().to_vec()) } else { None };
        ffi::lua_settop(l, 0);
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
        push_bytes(l, &chunk);
        drop(chunk);
        let nargs = match name {
            Some(n) => {
                push_bytes(l, &n);
                2
            }
            None => {
                push_bytes(l, b"=(load)");
                2
            }
        };
        ffi::lua_call(l, nargs, ffi::LUA_MULTRET);
        ffi::lua_gettop(l)
    }
}

/// Redis's pcall, made so that a script looping inside it can still be
/// paused past busy-reply-threshold (a C pcall is a boundary a coroutine cannot
/// yield across): a Lua function is run in a coroutine of its own, a pause of
/// the busy hook inside it is passed outward, and a killed script's error is
/// raised again past it. Other callables take the C pcall below.
const PCALL_LUA: &[u8] = b"
local create, resume, status, yield, select, unpack, type = coroutine.create, coroutine.resume, coroutine.status, coroutine.yield, select, unpack, type
local cpcall, paused, killed = ...
local function pack(...) return {n = select('#', ...), ...} end
local function unwrap(e)
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then return m end
  end
  return e
end
return function(f, ...)
  if type(f) ~= 'function' then return cpcall(f, ...) end
  local co = create(function(...) return f(...) end)
  local r = pack(resume(co, ...))
  while true do
    if not r[1] then
      if killed() then error(r[2], 0) end
      return false, unwrap(r[2])
    end
    if status(co) == 'dead' then return unpack(r, 1, r.n) end
    if not paused() then return false, 'attempt to yield across metamethod/C-call boundary' end
    yield()
    r = pack(resume(co))
  end
end
";

unsafe fn install_pcall(l: *mut lua_State) {
    if ffi::luaL_loadbuffer(l, PCALL_LUA.as_ptr() as *const _, PCALL_LUA.len(), c"=pcall".as_ptr()) != 0 {
        // Our own chunk: it compiles. Fall back to the C pcall if it ever does not.
        ffi::lua_settop(l, -2);
        ffi::lua_pushcfunction(l, pcall);
    } else {
        ffi::lua_pushcfunction(l, pcall);
        ffi::lua_pushcfunction(l, super::state::hook_paused);
        ffi::lua_pushcfunction(l, super::state::script_killed);
        ffi::lua_call(l, 3, 1);
    }
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"pcall".as_ptr());
}

lua_fn! {
    /// Redis's pcall: as Lua's, but an error table with an `err` string comes back as that string.
    fn pcall(l) {
        let argc = ffi::lua_gettop(l);
        ffi::luaL_checkany(l, 1);
        ffi::lua_pushboolean(l, 1);
        ffi::lua_insert(l, 1);
        if ffi::lua_pcall(l, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
            ffi::lua_remove(l, 1);
            if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                ffi::lua_getfield(l, -1, c"err".as_ptr());
                if ffi::lua_isstring(l, -1) != 0 {
                    ffi::lua_replace(l, -2);
                } else {
                    ffi::lua_settop(l, -2);
                }
            }
            ffi::lua_pushboolean(l, 0);
            ffi::lua_insert(l, 1);
        }
        ffi::lua_gettop(l)
    }
}

lua_fn! {
    /// The message handler of a script's pcall (Redis's __redis__err__handler):
    /// the error as a table {err=..., source=..., line=...} naming where the
    /// script was (the caller of a C function that raised it).
    fn err_handler(l) {
        ffi::lua_settop(l, 1);
        decorate_error(l, l, 1);
        1
    }
}

/// Replaces the error value at the top of `l` with Redis's error table: a
/// non-table becomes {err="ERR " .. tostring(value)}; `source` and `line`
/// name the function at stack level `first` of `at` (or the one above it
/// when that is a C function). `at` is `l` in a message handler (level 1: the
/// function that raised), or a coroutine that died of the error (level 0).
pub unsafe fn decorate_error(l: *mut lua_State, at: *mut lua_State, first: c_int) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut have = ffi::lua_getstack(at, first, &mut ar) != 0 && ffi::lua_getinfo(at, c"nSl".as_ptr(), &mut ar) != 0;
    if have && !ar.what.is_null() && std::ffi::CStr::from_ptr(ar.what).to_bytes() == b"C" {
        have = ffi::lua_getstack(at, first + 1, &mut ar) != 0 && ffi::lua_getinfo(at, c"nSl".as_ptr(), &mut ar) != 0;
    }
    if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
        ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, REG_TOSTRING.as_ptr());
        ffi::lua_pushvalue(l, -2);
        // tostring may run a __tostring of the script's: protected, as this may run outside any pcall.
        if ffi::lua_pcall(l, 1, 1, 0) != 0 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            ffi::lua_settop(l, -2);
            push_bytes(l, b"(error object is not a string)");
        }
        let mut msg = b"ERR ".to_vec();
        msg.extend_from_slice(to_bytes(l, -1).unwrap_or_default());
        ffi::lua_settop(l, -3);
        ffi::lua_createtable(l, 0, 3);
        push_bytes(l, b"err");
        push_bytes(l, &msg);
        ffi::lua_rawset(l, -3);
    }
    if have {
        push_bytes(l, b"source");
        if ar.source.is_null() {
            ffi::lua_pushnil(l);
        } else {
            ffi::lua_pushstring(l, ar.source);
        }
        ffi::lua_rawset(l, -3);
        push_bytes(l, b"line");
        ffi::lua_pushnumber(l, ar.currentline as f64);
        ffi::lua_rawset(l, -3);
    }
}
