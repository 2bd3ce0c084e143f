//! The function engine (Redis 7's FUNCTION / FCALL, function_lua.c): its own
//! interpreter with the same sandbox, where a library's code runs once at
//! FUNCTION LOAD with only `redis.register_function`, `redis.log` and the
//! version in reach (every other global is "nonexistent"), within a time limit.
//! Registered functions stay in the registry under keys of their own and are
//! called with (KEYS, ARGV) as arguments.
use super::sandbox::{missing_global, push_proxy, REG_GLOBALS, REG_GLOBALS_MT};
use super::util::{push_bytes, raw_field, set_fn, to_bytes, RAISE};
use super::Engine;
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::cell::{Cell, RefCell};
use std::ffi::c_int;
use std::time::{Duration, Instant};

const REG_LIBRARY_API: &std::ffi::CStr = c"nodis.library_api";

/// One function a library registered.
pub struct Registered {
    pub name: Vec<u8>,
    pub desc: Option<Vec<u8>>,
    pub flags: u32,
    /// Its registry key.
    pub key: Vec<u8>,
}

thread_local! {
    /// The functions registered by the library being loaded (None: no load runs).
    static LOADING: RefCell<Option<Vec<Registered>>> = const { RefCell::new(None) };
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static NEXT_KEY: Cell<u64> = const { Cell::new(0) };
}

/// Script flags by name (as shebang.ts numbers them).
const FLAGS: [(&str, u32); 5] = [("no-writes", 1), ("allow-oom", 2), ("allow-stale", 4), ("no-cluster", 8), ("allow-cross-slot-keys", 32)];

/// Makes the function engine: the EVAL sandbox, plus the library API table for loads.
pub fn new_engine(version: &str, version_num: f64) -> Engine {
    Engine::new(version, version_num, |l| unsafe {
        // {redis = {register_function, log, LOG_*, REDIS_VERSION(_NUM)}}, each level
        // read only and complaining about any other name.
        ffi::lua_newtable(l);
        ffi::lua_newtable(l);
        set_fn(l, b"register_function", register_function);
        ffi::lua_getglobal(l, c"redis".as_ptr());
        for k in [&b"log"[..], b"LOG_DEBUG", b"LOG_VERBOSE", b"LOG_NOTICE", b"LOG_WARNING", b"REDIS_VERSION", b"REDIS_VERSION_NUM"] {
            push_bytes(l, k);
            raw_field(l, -2, k);
            ffi::lua_rawset(l, -4);
        }
        ffi::lua_settop(l, -2);
        set_missing_metatable(l);
        let api = ffi::lua_gettop(l);
        push_proxy(l, api);
        ffi::lua_setfield(l, api - 1, c"redis".as_ptr());
        ffi::lua_settop(l, api - 1);
        set_missing_metatable(l);
        push_proxy(l, -1);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_LIBRARY_API.as_ptr());
        ffi::lua_settop(l, -2);
    })
}

unsafe fn set_missing_metatable(l: *mut lua_State) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcfunction(l, missing_global);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_setmetatable(l, -2);
}

/// Points the globals' proxy at `reg` (the real globals, or the library API).
unsafe fn globals_read_from(l: *mut lua_State, reg: &std::ffi::CStr) {
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, REG_GLOBALS_MT.as_ptr());
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, reg.as_ptr());
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_settop(l, -2);
}

unsafe extern "C-unwind" fn load_hook(l: *mut lua_State, _ar: *mut ffi::lua_Debug) {
    if let Some(d) = DEADLINE.with(|d| d.get()) {
        if Instant::now() > d {
            // Every line from now on fails too, so a pcall in the library cannot swallow it.
            ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKLINE, 0);
            super::from_resp::push_error_msg(l, b"FUNCTION LOAD timeout");
            ffi::lua_error(l);
        }
    }
}

/// Runs a library's code (after its shebang line, newline kept): the functions
/// it registered, or the error text ("Error compiling function: ...",
/// "Error registering functions: ...").
pub fn load(e: &mut Engine, code: &[u8], timeout: Duration) -> Result<Vec<Registered>, String> {
    unsafe {
        let l = e.state();
        ffi::lua_settop(l, 0);
        if ffi::luaL_loadbuffer(l, code.as_ptr() as *const _, code.len(), c"@user_function".as_ptr()) != 0 {
            let m = String::from_utf8_lossy(to_bytes(l, -1).unwrap_or_default()).into_owned();
            ffi::lua_settop(l, 0);
            return Err(format!("Error compiling function: {m}"));
        }
        globals_read_from(l, REG_LIBRARY_API);
        LOADING.with(|x| *x.borrow_mut() = Some(Vec::new()));
        DEADLINE.with(|d| d.set((!timeout.is_zero()).then(|| Instant::now() + timeout)));
        ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKCOUNT, 100_000);
        let err = ffi::lua_pcall(l, 0, 0, 0);
        ffi::lua_sethook(l, None, 0, 0);
        DEADLINE.with(|d| d.set(None));
        globals_read_from(l, REG_GLOBALS);
        let regs = LOADING.with(|x| x.borrow_mut().take()).unwrap_or_default();
        if err != 0 {
            let mut m = Vec::new();
            super::to_resp::error_text(l, &mut m);
            ffi::lua_settop(l, 0);
            drop_functions(e, &regs);
            return Err(format!("Error registering functions: {}", String::from_utf8_lossy(&m)));
        }
        ffi::lua_settop(l, 0);
        Ok(regs)
    }
}

/// Forgets functions (a library deleted, replaced, or refused after its load).
pub fn drop_functions(e: &mut Engine, regs: &[Registered]) {
    unsafe {
        let l = e.state();
        for r in regs {
            push_bytes(l, &r.key);
            ffi::lua_pushnil(l);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
        }
    }
}

/// Redis's function name rule: letters, digits and underscores, at least one.
fn valid_name(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Reads the flags table at the top of the stack.
unsafe fn read_flags(l: *mut lua_State) -> Option<u32> {
    let mut flags = 0;
    let mut j = 1;
    loop {
        ffi::lua_rawgeti(l, -1, j);
        j += 1;
        match ffi::lua_type(l, -1) {
            ffi::LUA_TNIL => {
                ffi::lua_settop(l, -2);
                return Some(flags);
            }
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                let s = to_bytes(l, -1).unwrap_or_default();
                let f = FLAGS.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(s));
                ffi::lua_settop(l, -2);
                flags |= f?.1;
            }
            _ => {
                ffi::lua_settop(l, -2);
                return None;
            }
        }
    }
}

/// Stores the function at the top of the stack under a fresh registry key.
unsafe fn keep_function(l: *mut lua_State) -> Vec<u8> {
    let n = NEXT_KEY.with(|k| {
        let v = k.get() + 1;
        k.set(v);
        v
    });
    let key = format!("fn.{n}").into_bytes();
    push_bytes(l, &key);
    ffi::lua_insert(l, -2);
    ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
    key
}

/// What register_function was given: name, description, flags, and the stack slot of the callback.
type Args = (Vec<u8>, Option<Vec<u8>>, u32, c_int);

/// The positional form: register_function(name, callback). The callback is at slot 2.
unsafe fn read_positional(l: *mut lua_State) -> Result<Args, &'static str> {
    if ffi::lua_isstring(l, 1) == 0 {
        return Err("first argument to redis.register_function must be a string");
    }
    if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
        return Err("second argument to redis.register_function must be a function");
    }
    Ok((to_bytes_copy(l, 1), None, 0, 2))
}

lua_fn! {
    fn register_function(l) {
        if LOADING.with(|x| x.borrow().is_none()) {
            super::from_resp::push_error_msg(l, b"redis.register_function can only be called on FUNCTION LOAD command");
            return RAISE;
        }
        let args = match ffi::lua_gettop(l) {
            1 => read_named(l),
            2 => read_positional(l),
            _ => Err("wrong number of arguments to redis.register_function"),
        };
        let (name, desc, flags, slot) = match args {
            Ok(a) => a,
            Err(m) => {
                super::from_resp::push_error_msg(l, m.as_bytes());
                return RAISE;
            }
        };
        if !valid_name(&name) {
            super::from_resp::push_error_msg(l, b"Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
            return RAISE;
        }
        if LOADING.with(|x| x.borrow().as_ref().is_some_and(|v| v.iter().any(|r| r.name == name))) {
            super::from_resp::push_error_msg(l, b"Function already exists in the library");
            return RAISE;
        }
        ffi::lua_pushvalue(l, slot);
        let key = keep_function(l);
        LOADING.with(|x| x.borrow_mut().as_mut().map(|v| v.push(Registered { name, desc, flags, key })));
        0
    }
}

/// The named-arguments form: register_function{function_name=..., callback=..., flags=..., description=...}.
/// The callback is left at stack slot 2.
unsafe fn read_named(l: *mut lua_State) -> Result<Args, &'static str> {
    if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    }
    let (mut name, mut desc, mut flags, mut have_cb) = (None, None, 0u32, false);
    ffi::lua_pushnil(l); // slot 2: the callback
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, 1) != 0 {
        if ffi::lua_type(l, -2) != ffi::LUA_TSTRING && ffi::lua_type(l, -2) != ffi::LUA_TNUMBER {
            return Err("named argument key given to redis.register_function is not a string");
        }
        let key = to_bytes_copy(l, -2).to_ascii_lowercase();
        match &key[..] {
            b"function_name" => {
                if ffi::lua_isstring(l, -1) == 0 {
                    return Err("function_name argument given to redis.register_function must be a string");
                }
                name = Some(to_bytes_copy(l, -1));
            }
            b"description" => {
                if ffi::lua_isstring(l, -1) == 0 {
                    return Err("description argument given to redis.register_function must be a string");
                }
                desc = Some(to_bytes_copy(l, -1));
            }
            b"callback" => {
                if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
                    return Err("callback argument given to redis.register_function must be a function");
                }
                ffi::lua_pushvalue(l, -1);
                ffi::lua_replace(l, 2);
                have_cb = true;
            }
            b"flags" => {
                if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
                    return Err("flags argument to redis.register_function must be a table representing function flags");
                }
                flags = read_flags(l).ok_or("unknown flag given")?;
            }
            _ => return Err("unknown argument given to redis.register_function"),
        }
        ffi::lua_settop(l, -2);
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    if !have_cb {
        return Err("redis.register_function must get a callback argument");
    }
    Ok((name, desc, flags, 2))
}

/// The string at `idx` copied (a number key is read without converting it in place: lua_next needs the key as it is).
unsafe fn to_bytes_copy(l: *mut lua_State, idx: c_int) -> Vec<u8> {
    ffi::lua_pushvalue(l, idx);
    let v = to_bytes(l, -1).unwrap_or_default().to_vec();
    ffi::lua_settop(l, -2);
    v
}
