//! The `redis` table scripts get (Redis 7.2's): call, pcall, sha1hex,
//! error_reply, status_reply, log and its levels, setresp, set_repl and the
//! REPL_* flags, replicate_commands, acl_check_cmd, breakpoint and debug (the
//! no-ops Redis gives outside its debugger), REDIS_VERSION(_NUM); and
//! math.random / math.randomseed over Redis's generator (rand48.rs).
use super::bridge;
use super::direct;
use super::from_resp::{self, push_error_msg};
use super::rand48;
use super::state::RUN;
use super::util::{error_plain, push_bytes, set_fn, set_num, set_str, to_bytes, RAISE};
use crate::lua_fn;
use mlua::ffi::{self, lua_State};
use std::ffi::c_int;

/// What redis.call asks of the JavaScript side (the bridge's `op` argument).
pub mod op {
    pub const COMMAND: u32 = 0;
    pub const SET_REPL: u32 = 1;
    pub const LOG: u32 = 2;
    pub const ACL_CHECK: u32 = 3;
    /// Account for the engine commands run without a crossing (direct.rs's log); with
    /// arguments, also for the one they are (the last argument: its reply's first line).
    pub const ACCOUNT: u32 = 4;
    /// A script the batch path ran ended after it crossed (TypeScript ends the run it made then).
    pub const END: u32 = 5;
}

pub const PROPAGATE_AOF: u32 = 1;
pub const PROPAGATE_REPL: u32 = 2;

/// Registers the `redis` global and Redis's math.random.
pub unsafe fn register(l: *mut lua_State, version: &str, version_num: f64) {
    ffi::lua_newtable(l);
    set_fn(l, b"call", call);
    set_fn(l, b"pcall", pcall);
    set_fn(l, b"log", log);
    set_num(l, b"LOG_DEBUG", 0.0);
    set_num(l, b"LOG_VERBOSE", 1.0);
    set_num(l, b"LOG_NOTICE", 2.0);
    set_num(l, b"LOG_WARNING", 3.0);
    set_num(l, b"REDIS_VERSION_NUM", version_num);
    set_str(l, b"REDIS_VERSION", version.as_bytes());
    set_fn(l, b"setresp", setresp);
    set_fn(l, b"sha1hex", sha1hex);
    set_fn(l, b"error_reply", error_reply);
    set_fn(l, b"status_reply", status_reply);
    set_fn(l, b"set_repl", set_repl);
    set_num(l, b"REPL_NONE", 0.0);
    set_num(l, b"REPL_AOF", PROPAGATE_AOF as f64);
    set_num(l, b"REPL_SLAVE", PROPAGATE_REPL as f64);
    set_num(l, b"REPL_REPLICA", PROPAGATE_REPL as f64);
    set_num(l, b"REPL_ALL", (PROPAGATE_AOF | PROPAGATE_REPL) as f64);
    set_fn(l, b"acl_check_cmd", acl_check_cmd);
    set_fn(l, b"breakpoint", breakpoint);
    set_fn(l, b"debug", debug);
    set_fn(l, b"replicate_commands", replicate_commands);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"redis".as_ptr());

    ffi::lua_getglobal(l, c"math".as_ptr());
    set_fn(l, b"random", math_random);
    set_fn(l, b"randomseed", math_randomseed);
    ffi::lua_settop(l, -2);
}

thread_local! {
    /// The packed arguments of the redis.call being made (reused: no allocation per call).
    static PACK: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The arguments of a redis.* call as command arguments, packed for the
/// bridge (bridge::pack): strings as they are, numbers as integers when
/// integral (else as Redis prints doubles). Err: the error table is pushed.
unsafe fn args(l: *mut lua_State, out: &mut Vec<u8>) -> Result<usize, ()> {
    out.clear();
    let argc = ffi::lua_gettop(l);
    if argc == 0 {
        push_error_msg(l, b"Please specify at least one argument for this redis lib call");
        return Err(());
    }
    for i in 1..=argc {
        match ffi::lua_type(l, i) {
            ffi::LUA_TNUMBER => {
                let n = ffi::lua_tonumber(l, i);
                if let Some(v) = crate::util::double_as_i64(n) {
                    let mut b = [0u8; 20];
                    let len = crate::util::fmt_i64(v, &mut b);
                    bridge::pack(out, &b[..len]);
                } else {
                    let mut b = [0u8; 32];
                    let len = crate::util::dtoa::dtoa(n, &mut b);
                    bridge::pack(out, &b[..len]);
                }
            }
            ffi::LUA_TSTRING => bridge::pack(out, to_bytes(l, i).unwrap_or_default()),
            _ => {
                ffi::lua_settop(l, 0);
                push_error_msg(l, b"Lua redis lib command arguments must be strings or integers");
                return Err(());
            }
        }
    }
    Ok(argc as usize)
}

/// Runs `f` with the reusable pack buffer (taken out while JavaScript runs).
fn with_pack<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut v = PACK.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let r = f(&mut v);
    PACK.with(|p| *p.borrow_mut() = v);
    r
}

/// redis.call / redis.pcall: the command runs on the JavaScript side; its reply
/// comes back as RESP and becomes a Lua value. An error reply raises (call) or
/// is returned as an error table (pcall).
unsafe fn generic(l: *mut lua_State, raise: bool) -> c_int {
    with_pack(|packed| {
        let argc = match args(l, packed) {
            Ok(n) => n,
            Err(()) => return if raise { RAISE } else { 1 },
        };
        ffi::lua_settop(l, 0);
        let resp = RUN.with(|r| r.get().resp);
        if let Some(is_err) = run_direct(l, packed, argc, resp) {
            return if is_err && raise { RAISE } else { 1 };
        }
        let res = bridge::call(packed, argc, resp, op::COMMAND, |reply| {
            from_resp::push(l, reply, 0);
            reply.first() == Some(&b'-')
        });
        match res {
            Ok(is_err) => {
                if is_err && raise {
                    RAISE
                } else {
                    1
                }
            }
            Err(msg) => {
                push_error_msg(l, msg.as_bytes());
                if raise {
                    RAISE
                } else {
                    1
                }
            }
        }
    })
}

/// Runs the packed command (`argc` arguments) without crossing to JavaScript
/// when direct.rs may (then pushes its reply and says whether it is an
/// error); None: it may not.
unsafe fn run_direct(l: *mut lua_State, packed: &mut Vec<u8>, argc: usize, resp: u32) -> Option<bool> {
    // The argument views on the stack: a few for most commands (filling 64 empty
    // views was a fifth of this function's time, three GETs a script).
    if argc <= 8 {
        run_direct_in::<8>(l, packed, resp)
    } else {
        run_direct_in::<{ direct::ARGS_MAX }>(l, packed, resp)
    }
}

unsafe fn run_direct_in<const N: usize>(l: *mut lua_State, packed: &mut Vec<u8>, resp: u32) -> Option<bool> {
    let mut slots: [&[u8]; N] = [&[]; N];
    let argc = bridge::unpack_into(packed, &mut slots)?;
    let ((is_err, line), after) = direct::run(&slots[..argc], packed, resp, |reply| {
        from_resp::push(l, reply, 0);
        let is_err = reply.first() == Some(&b'-');
        (is_err, if is_err { direct::first_line(reply).to_vec() } else { Vec::new() })
    })?;
    match after {
        direct::After::Logged => {}
        direct::After::Account => {
            bridge::pack(packed, &line);
            let _ = bridge::call(packed, argc + 1, resp, op::ACCOUNT, |_| ());
        }
        direct::After::Drain => {
            let _ = bridge::call(&[], 0, resp, op::ACCOUNT, |_| ());
        }
    }
    Some(is_err)
}

lua_fn! { fn call(l) { generic(l, true) } }
lua_fn! { fn pcall(l) { generic(l, false) } }

lua_fn! {
    fn sha1hex(l) {
        if ffi::lua_gettop(l) != 1 {
            push_error_msg(l, b"wrong number of arguments");
            return RAISE;
        }
        let s = to_bytes(l, 1).unwrap_or_default();
        let hex = sha1_smol::Sha1::from(s).digest().to_string();
        push_bytes(l, hex.as_bytes());
        1
    }
}

lua_fn! {
    fn error_reply(l) {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            push_error_msg(l, b"wrong number or type of arguments");
            return 1;
        }
        let s = to_bytes(l, 1).unwrap_or_default().to_vec();
        let line = if s.first() == Some(&b'-') { &s[1..] } else { &s[..] };
        from_resp::push_error_table(l, line);
        1
    }
}

lua_fn! {
    fn status_reply(l) {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            push_error_msg(l, b"wrong number or type of arguments");
            return 1;
        }
        ffi::lua_createtable(l, 0, 1);
        push_bytes(l, b"ok");
        ffi::lua_pushvalue(l, 1);
        ffi::lua_rawset(l, -3);
        1
    }
}

lua_fn! {
    fn setresp(l) {
        if ffi::lua_gettop(l) != 1 {
            push_error_msg(l, b"redis.setresp() requires one argument.");
            return RAISE;
        }
        let v = ffi::lua_tonumber(l, 1) as i32;
        if v != 2 && v != 3 {
            push_error_msg(l, b"RESP version must be 2 or 3.");
            return RAISE;
        }
        RUN.with(|r| {
            let mut c = r.get();
            c.resp = v as u32;
            r.set(c);
        });
        0
    }
}

lua_fn! {
    fn set_repl(l) {
        if ffi::lua_gettop(l) != 1 {
            push_error_msg(l, b"redis.set_repl() requires one argument.");
            return RAISE;
        }
        let flags = ffi::lua_tonumber(l, 1) as i32;
        if flags & !((PROPAGATE_AOF | PROPAGATE_REPL) as i32) != 0 {
            push_error_msg(l, b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
            return RAISE;
        }
        let _ = bridge::call(&[], 0, flags as u32, op::SET_REPL, |_| ());
        0
    }
}

lua_fn! {
    fn log(l) {
        let argc = ffi::lua_gettop(l);
        if argc < 2 {
            push_error_msg(l, b"redis.log() requires two arguments or more.");
            return RAISE;
        }
        if ffi::lua_isnumber(l, 1) == 0 {
            push_error_msg(l, b"First argument must be a number (log level).");
            return RAISE;
        }
        let level = ffi::lua_tonumber(l, 1) as i32;
        if !(0..=3).contains(&level) {
            push_error_msg(l, b"Invalid debug level.");
            return RAISE;
        }
        let mut msg = Vec::new();
        for j in 2..=argc {
            if let Some(s) = to_bytes(l, j) {
                if j != 2 {
                    msg.push(b' ');
                }
                msg.extend_from_slice(s);
            }
        }
        let mut packed = Vec::new();
        bridge::pack(&mut packed, &msg);
        let _ = bridge::call(&packed, 1, level as u32, op::LOG, |_| ());
        0
    }
}

lua_fn! {
    fn acl_check_cmd(l) {
        let mut packed = Vec::new();
        let argc = match args(l, &mut packed) {
            Ok(n) => n,
            Err(()) => return RAISE,
        };
        // The bridge answers :1 (allowed), :0 (refused) or an error (no such command).
        let res = bridge::call(&packed, argc, 0, op::ACL_CHECK, |reply| reply.to_vec());
        drop(packed);
        match res {
            Ok(r) if r.first() == Some(&b'-') => {
                push_error_msg(l, b"Invalid command passed to redis.acl_check_cmd()");
                RAISE
            }
            Ok(r) => {
                ffi::lua_pushboolean(l, (r.get(1) == Some(&b'1')) as i32);
                1
            }
            Err(m) => error_plain(l, m.as_bytes()),
        }
    }
}

lua_fn! {
    /// Outside the debugger: false.
    fn breakpoint(l) {
        ffi::lua_pushboolean(l, 0);
        1
    }
}

lua_fn! {
    /// Outside the debugger: nothing.
    fn debug(l) {
        let _ = l;
        0
    }
}

lua_fn! {
    /// Scripts always replicate their effects in Redis 7: true.
    fn replicate_commands(l) {
        ffi::lua_pushboolean(l, 1);
        1
    }
}

const LRAND48_MAX: f64 = i32::MAX as f64;

lua_fn! {
    fn math_random(l) {
        let r = (rand48::next() % i32::MAX) as f64 / LRAND48_MAX;
        match ffi::lua_gettop(l) {
            0 => ffi::lua_pushnumber(l, r),
            1 => {
                let u = ffi::luaL_checkinteger(l, 1) as i32;
                if u < 1 {
                    return super::util::error_where(l, b"bad argument #1 to 'random' (interval is empty)");
                }
                ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
            }
            2 => {
                let lo = ffi::luaL_checkinteger(l, 1) as i32;
                let up = ffi::luaL_checkinteger(l, 2) as i32;
                if lo > up {
                    return super::util::error_where(l, b"bad argument #2 to 'random' (interval is empty)");
                }
                ffi::lua_pushnumber(l, (r * (up as f64 - lo as f64 + 1.0)).floor() + lo as f64);
            }
            _ => return super::util::error_where(l, b"wrong number of arguments"),
        }
        1
    }
}

lua_fn! {
    fn math_randomseed(l) {
        rand48::seed(ffi::luaL_checkinteger(l, 1) as i32);
        0
    }
}
