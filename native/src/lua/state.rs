//! One Lua interpreter (Redis keeps one for EVAL scripts and one for
//! functions): its creation with the sandbox, its memory (counted by its own
//! allocator, outside `used_memory` as in Redis, and capped: a script that
//! allocates without bound gets Lua's "not enough memory" error), the scripts
//! it holds, and running one.
use super::sandbox;
use super::to_resp;
use super::util::push_bytes;
use mlua::ffi::{self, lua_State};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::c_void;

/// The running script's context (read by the redis.* functions).
#[derive(Clone, Copy)]
pub struct RunCtx {
    /// The protocol the script's commands reply in (redis.setresp).
    pub resp: u32,
}

thread_local! {
    pub static RUN: Cell<RunCtx> = const { Cell::new(RunCtx { resp: 2 }) };
}

/// How a script is called: EVAL (KEYS and ARGV as globals) or a function (as arguments).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Eval,
    Function,
}

/// The allocator's account: bytes in use and the cap.
struct Account {
    used: usize,
    limit: usize,
}

const ALIGN: usize = 16;

unsafe extern "C" fn alloc(ud: *mut c_void, ptr: *mut c_void, osize: usize, nsize: usize) -> *mut c_void {
    let acc = &mut *(ud as *mut Account);
    if nsize == 0 {
        if !ptr.is_null() {
            System.dealloc(ptr as *mut u8, Layout::from_size_align_unchecked(osize, ALIGN));
            acc.used -= osize;
        }
        return std::ptr::null_mut();
    }
    let old = if ptr.is_null() { 0 } else { osize };
    if nsize > old && acc.used - old + nsize > acc.limit {
        return std::ptr::null_mut();
    }
    let p = if ptr.is_null() {
        System.alloc(Layout::from_size_align_unchecked(nsize, ALIGN))
    } else {
        System.realloc(ptr as *mut u8, Layout::from_size_align_unchecked(osize, ALIGN), nsize)
    };
    if !p.is_null() {
        acc.used = acc.used - old + nsize;
    }
    p as *mut c_void
}

unsafe extern "C-unwind" fn panic(_l: *mut lua_State) -> std::ffi::c_int {
    // An error outside any protected call: the setup ran out of memory. Nothing can continue.
    eprintln!("nodis: unprotected error in the Lua interpreter");
    std::process::abort()
}

/// A Lua interpreter with Redis's sandbox.
pub struct Engine {
    l: *mut lua_State,
    account: *mut Account,
    /// Runs since the last incremental GC step (Redis steps the GC every 50 scripts).
    runs: u32,
}

/// Default cap on one interpreter's memory.
pub const DEFAULT_LIMIT: usize = 1 << 30;

impl Engine {
    /// A fresh interpreter: libraries, the redis table, globals locked.
    /// `extra` registers more globals before the lock (the function engine's API).
    pub fn new(version: &str, version_num: f64, extra: impl FnOnce(*mut lua_State)) -> Engine {
        unsafe {
            let account = Box::into_raw(Box::new(Account { used: 0, limit: DEFAULT_LIMIT }));
            let l = ffi::lua_newstate(alloc, account as *mut c_void);
            ffi::lua_atpanic(l, panic);
            sandbox::open_libs(l);
            super::redis_api::register(l, version, version_num);
            super::cjson::register(l);
            super::cmsgpack::register(l);
            super::bit::register(l);
            extra(l);
            sandbox::lock_globals(l);
            Engine { l, account, runs: 0 }
        }
    }

    pub fn state(&self) -> *mut lua_State {
        self.l
    }

    /// Bytes the interpreter uses.
    pub fn used_memory(&self) -> usize {
        unsafe { (*self.account).used }
    }

    pub fn set_limit(&mut self, limit: usize) {
        unsafe { (*self.account).limit = limit.max(1 << 20) }
    }

    /// Compiles `body` as chunk `name` and keeps it in the registry under `key`.
    /// Err: Lua's message ("user_script:1: ...").
    pub fn compile(&mut self, key: &[u8], body: &[u8], name: &std::ffi::CStr) -> Result<(), Vec<u8>> {
        unsafe {
            let l = self.l;
            if ffi::luaL_loadbuffer(l, body.as_ptr() as *const _, body.len(), name.as_ptr()) != 0 {
                let msg = super::util::to_bytes(l, -1).unwrap_or_default().to_vec();
                ffi::lua_settop(l, 0);
                return Err(msg);
            }
            push_bytes(l, key);
            ffi::lua_insert(l, -2);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
            Ok(())
        }
    }

    /// Whether the registry holds `key`.
    pub fn has(&self, key: &[u8]) -> bool {
        unsafe {
            push_bytes(self.l, key);
            ffi::lua_rawget(self.l, ffi::LUA_REGISTRYINDEX);
            let r = ffi::lua_type(self.l, -1) != ffi::LUA_TNIL;
            ffi::lua_settop(self.l, -2);
            r
        }
    }

    /// Runs the function kept under `key` (it must exist) with `keys` and
    /// `args`, and returns the reply for a client speaking `client_resp`,
    /// after one byte: 1 when the reply is an error already counted in the
    /// error stats (it came from a command the script ran), else 0.
    /// `name` is how errors name the script (its sha, or the function's name).
    pub fn run(&mut self, key: &[u8], name: &[u8], keys: &[&[u8]], args: &[&[u8]], client_resp: u32, mode: RunMode) -> Vec<u8> {
        let prev = RUN.with(|r| r.replace(RunCtx { resp: 2 }));
        let out = unsafe { self.run_inner(key, name, keys, args, client_resp, mode) };
        RUN.with(|r| r.set(prev));
        self.runs += 1;
        if self.runs == 50 {
            self.runs = 0;
            unsafe { ffi::lua_gc(self.l, ffi::LUA_GCSTEP, 50) };
        }
        out
    }

    unsafe fn run_inner(&mut self, key: &[u8], name: &[u8], keys: &[&[u8]], args: &[&[u8]], client_resp: u32, mode: RunMode) -> Vec<u8> {
        let l = self.l;
        ffi::lua_settop(l, 0);
        ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, sandbox::REG_ERR_HANDLER.as_ptr());
        push_bytes(l, key);
        ffi::lua_rawget(l, ffi::LUA_REGISTRYINDEX);
        ffi::lua_checkstack(l, 4);
        push_array(l, keys);
        push_array(l, args);
        let err = if mode == RunMode::Eval {
            ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, sandbox::REG_GLOBALS.as_ptr());
            ffi::lua_pushvalue(l, 4);
            ffi::lua_setfield(l, -2, c"ARGV".as_ptr());
            ffi::lua_pushvalue(l, 3);
            ffi::lua_setfield(l, -2, c"KEYS".as_ptr());
            ffi::lua_settop(l, 2);
            ffi::lua_pcall(l, 0, 1, 1)
        } else {
            ffi::lua_pcall(l, 2, 1, 1)
        };
        // The conversion runs outside any protected call: it must not meet the cap.
        let limit = (*self.account).limit;
        (*self.account).limit = usize::MAX;
        let mut out = to_resp::Out { buf: Vec::new(), client_resp, script_resp: RUN.with(|r| r.get().resp) };
        // The reply's first byte says whether an error reply was already counted
        // (it came from a command the script ran: Redis's ignore_error_stats_update).
        out.buf.push(0);
        if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
            super::util::raw_field(l, -1, b"ignore_error_stats_update");
            out.buf[0] = (ffi::lua_toboolean(l, -1) != 0) as u8;
            ffi::lua_settop(l, -2);
        }
        if err != 0 {
            error_reply(l, name, &mut out);
        } else {
            to_resp::reply(l, &mut out);
        }
        ffi::lua_settop(l, 0);
        (*self.account).limit = limit;
        out.buf
    }
}

/// The reply for a script that raised: "-<message> script: <name>, on <source>:<line>."
unsafe fn error_reply(l: *mut lua_State, name: &[u8], out: &mut to_resp::Out) {
    if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
        let msg = super::util::to_bytes(l, -1).unwrap_or(b"execution failure").to_vec();
        let mut m = b"ERR Error running script ".to_vec();
        m.extend_from_slice(name);
        m.extend_from_slice(b", ");
        m.extend_from_slice(&msg[..msg.len().min(100)]);
        out.line(b'-', &m);
        return;
    }
    let mut m = Vec::new();
    to_resp::error_text(l, &mut m);
    super::util::raw_field(l, -1, b"source");
    super::util::raw_field(l, -2, b"line");
    if ffi::lua_isstring(l, -1) != 0 && ffi::lua_isstring(l, -2) != 0 {
        m.extend_from_slice(b" script: ");
        m.extend_from_slice(name);
        m.extend_from_slice(b", on ");
        m.extend_from_slice(super::util::to_bytes(l, -2).unwrap_or_default());
        m.push(b':');
        m.extend_from_slice(super::util::to_bytes(l, -1).unwrap_or_default());
        m.push(b'.');
    }
    ffi::lua_settop(l, -3);
    out.line(b'-', &m);
}

unsafe fn push_array(l: *mut lua_State, items: &[&[u8]]) {
    ffi::lua_createtable(l, items.len() as i32, 0);
    for (i, s) in items.iter().enumerate() {
        push_bytes(l, s);
        ffi::lua_rawseti(l, -2, (i + 1) as _);
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        unsafe {
            ffi::lua_close(self.l);
            drop(Box::from_raw(self.account));
        }
    }
}
