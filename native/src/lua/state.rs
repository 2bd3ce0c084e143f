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
use std::time::{Duration, Instant};

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
    /// The coroutine scripts run in (anchored in the registry), null until needed.
    co: *mut lua_State,
    /// The script started and not finished (it may be suspended): its client's RESP version.
    pending: Option<u32>,
    /// How errors name that script (kept: no allocation per run).
    name: Vec<u8>,
    /// A reply buffer given back (recycle): the next reply is built in it.
    spare: Vec<u8>,
}

/// Where a started script is.
pub enum Outcome {
    Done(Vec<u8>),
    Suspended,
}

const REG_COROUTINE: &std::ffi::CStr = c"nodis.coroutine";

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
            super::structlib::register(l);
            extra(l);
            sandbox::lock_globals(l);
            Engine { l, account, runs: 0, co: std::ptr::null_mut(), pending: None, name: Vec::new(), spare: Vec::new() }
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

    /// Starts the function kept under `key` (it must exist) with `keys` and
    /// `args` in the engine's coroutine. Done: the reply for a client speaking
    /// `client_resp`, after one byte: 1 when the reply is an error already
    /// counted in the error stats (it came from a command the script ran), else
    /// 0. Suspended: the script ran past `busy_ms` (0: never) and yielded; it
    /// goes on with `resume`. `name` is how errors name the script (its sha,
    /// or the function's name).
    #[allow(clippy::too_many_arguments)]
    pub fn start(&mut self, key: &[u8], name: &[u8], keys: &[&[u8]], args: &[&[u8]], client_resp: u32, mode: RunMode, busy_ms: f64) -> Outcome {
        RUN.with(|r| r.set(RunCtx { resp: 2 }));
        unsafe {
            let co = self.coroutine();
            let l = self.l;
            push_bytes(l, key);
            ffi::lua_rawget(l, ffi::LUA_REGISTRYINDEX);
            ffi::lua_xmove(l, co, 1);
            let nargs = if mode == RunMode::Eval {
                ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, sandbox::REG_GLOBALS.as_ptr());
                push_array(l, keys);
                ffi::lua_setfield(l, -2, c"KEYS".as_ptr());
                push_array(l, args);
                ffi::lua_setfield(l, -2, c"ARGV".as_ptr());
                ffi::lua_settop(l, -2);
                0
            } else {
                push_array(co, keys);
                push_array(co, args);
                2
            };
            let now = Instant::now();
            TIMING.with(|t| {
                t.set(Timing {
                    start: now,
                    threshold: (busy_ms > 0.0).then(|| Duration::from_micros((busy_ms * 1000.0) as u64)),
                    busy: false,
                    killed: false,
                    yielded: false,
                    slice_end: now,
                })
            });
            if busy_ms > 0.0 {
                ffi::lua_sethook(co, Some(busy_hook), ffi::LUA_MASKCOUNT, 100_000);
            } else {
                ffi::lua_sethook(co, None, 0, 0);
            }
            self.name.clear();
            self.name.extend_from_slice(name);
            self.pending = Some(client_resp);
            self.step(nargs)
        }
    }

    /// Gives a Done outcome's buffer back once its reply was copied out: the next reply is built in it.
    pub fn recycle(&mut self, v: Vec<u8>) {
        if v.capacity() <= 64 * 1024 {
            self.spare = v;
        }
    }

    /// Goes on with a suspended script for about one slice of time.
    pub fn resume(&mut self) -> Outcome {
        TIMING.with(|t| {
            let mut v = t.get();
            v.yielded = false;
            v.slice_end = Instant::now() + SLICE;
            t.set(v);
        });
        unsafe { self.step(0) }
    }

    /// SCRIPT KILL / FUNCTION KILL: the suspended script fails at its next check.
    pub fn kill(&mut self) {
        TIMING.with(|t| {
            let mut v = t.get();
            v.killed = true;
            t.set(v);
        });
    }

    /// Whether a script of this engine is suspended.
    pub fn suspended(&self) -> bool {
        self.pending.is_some()
    }

    /// The coroutine scripts run in (a fresh one after one died of an error).
    unsafe fn coroutine(&mut self) -> *mut lua_State {
        if self.co.is_null() {
            let co = ffi::lua_newthread(self.l);
            ffi::lua_setfield(self.l, ffi::LUA_REGISTRYINDEX, REG_COROUTINE.as_ptr());
            self.co = co;
        }
        ffi::lua_settop(self.co, 0);
        self.co
    }

    unsafe fn step(&mut self, nargs: std::ffi::c_int) -> Outcome {
        let co = self.co;
        let status = ffi::lua_resume_(co, nargs);
        let yielded = TIMING.with(|t| t.get().yielded);
        if status == ffi::LUA_YIELD && yielded {
            return Outcome::Suspended;
        }
        let client_resp = self.pending.take().unwrap_or(2);
        // The conversion runs outside any protected call: it must not meet the cap.
        let limit = (*self.account).limit;
        (*self.account).limit = usize::MAX;
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        buf.push(0);
        let mut out = to_resp::Out { buf, client_resp, script_resp: RUN.with(|r| r.get().resp) };
        if status == 0 {
            // The first value the script returned, or nil.
            if ffi::lua_gettop(co) == 0 {
                ffi::lua_pushnil(co);
            } else {
                ffi::lua_settop(co, 1);
            }
            mark_counted(co, &mut out);
            to_resp::reply(co, &mut out);
            ffi::lua_settop(co, 0);
        } else {
            if status == ffi::LUA_YIELD {
                ffi::lua_pushstring(co, c"attempt to yield from outside a coroutine".as_ptr());
            }
            if status != ffi::LUA_ERRMEM {
                sandbox::decorate_error(co, co, 0);
            }
            mark_counted(co, &mut out);
            error_reply(co, &self.name, &mut out);
            // The coroutine is dead: the next script gets a new one.
            ffi::lua_pushnil(self.l);
            ffi::lua_setfield(self.l, ffi::LUA_REGISTRYINDEX, REG_COROUTINE.as_ptr());
            self.co = std::ptr::null_mut();
        }
        (*self.account).limit = limit;
        RUN.with(|r| r.set(RunCtx { resp: 2 }));
        self.runs += 1;
        if self.runs == 50 {
            self.runs = 0;
            ffi::lua_gc(self.l, ffi::LUA_GCSTEP, 50);
        }
        Outcome::Done(out.buf)
    }
}

/// Sets the reply's first byte when the value at the top is an error table
/// from a command the script ran (Redis's ignore_error_stats_update).
unsafe fn mark_counted(l: *mut lua_State, out: &mut to_resp::Out) {
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        super::util::raw_field(l, -1, b"ignore_error_stats_update");
        out.buf[0] = (ffi::lua_toboolean(l, -1) != 0) as u8;
        ffi::lua_settop(l, -2);
    }
}

/// How long a suspended script runs between two turns of the event loop.
const SLICE: Duration = Duration::from_millis(20);

/// The running script's clock and state, for the count hook.
#[derive(Clone, Copy)]
struct Timing {
    start: Instant,
    threshold: Option<Duration>,
    /// Past the threshold: the server answers other clients with -BUSY.
    busy: bool,
    killed: bool,
    /// The hook yielded (as opposed to a coroutine.yield of the script's).
    yielded: bool,
    slice_end: Instant,
}

thread_local! {
    static TIMING: Cell<Timing> = Cell::new(Timing {
        start: Instant::now(),
        threshold: None,
        busy: false,
        killed: false,
        yielded: false,
        slice_end: Instant::now(),
    });
}

/// Whether the running code can yield: no C function (pcall, a library's
/// callback) between it and the coroutine's base.
unsafe fn can_yield(l: *mut lua_State) -> bool {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;
    while ffi::lua_getstack(l, level, &mut ar) != 0 {
        if ffi::lua_getinfo(l, c"S".as_ptr(), &mut ar) == 0 || ar.what.is_null() || std::ffi::CStr::from_ptr(ar.what).to_bytes() == b"C" {
            return false;
        }
        level += 1;
    }
    true
}

/// The count hook (every 100000 instructions): past busy-reply-threshold the
/// script yields between slices so the server can answer others, and a killed
/// script fails (at every line from then on, so a pcall cannot keep it alive).
unsafe extern "C-unwind" fn busy_hook(l: *mut lua_State, _ar: *mut ffi::lua_Debug) {
    let mut t = TIMING.with(|t| t.get());
    if t.killed {
        ffi::lua_sethook(l, Some(busy_hook), ffi::LUA_MASKLINE, 0);
        super::from_resp::push_error_msg(l, b"Script killed by user with SCRIPT KILL...");
        ffi::lua_error(l);
    }
    let now = Instant::now();
    if !t.busy {
        match t.threshold {
            Some(th) if now.duration_since(t.start) >= th => t.busy = true,
            _ => return,
        }
    }
    if now >= t.slice_end && can_yield(l) {
        t.yielded = true;
        TIMING.with(|x| x.set(t));
        ffi::lua_yield(l, 0);
        return;
    }
    TIMING.with(|x| x.set(t));
}

crate::lua_fn! {
    /// For the Lua pcall: whether the busy hook paused the code it ran.
    fn hook_paused(l) {
        ffi::lua_pushboolean(l, TIMING.with(|t| t.get().yielded) as std::ffi::c_int);
        1
    }
}

crate::lua_fn! {
    /// For the Lua pcall: whether SCRIPT KILL / FUNCTION KILL stopped the script.
    fn script_killed(l) {
        ffi::lua_pushboolean(l, TIMING.with(|t| t.get().killed) as std::ffi::c_int);
        1
    }
}

/// Whether the running (or suspended) script has passed busy-reply-threshold.
pub fn is_busy() -> bool {
    TIMING.with(|t| t.get().busy)
}

/// Milliseconds since the running script started.
pub fn running_ms() -> f64 {
    TIMING.with(|t| t.get().start.elapsed().as_secs_f64() * 1000.0)
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
