//! The crossing from a running script back to JavaScript: redis.call hands its
//! argv to ONE JavaScript function (registered once at start), which resolves
//! and checks the command, runs it through the server's call() and returns its
//! RESP reply bytes. The N-API environment of the binding that started the
//! script is kept here while the script runs (everything is on the main thread).
use napi::sys;
use std::cell::Cell;
use std::ptr::null_mut;

thread_local! {
    /// The environment of the running script's binding call (null when none runs).
    static ENV: Cell<sys::napi_env> = const { Cell::new(null_mut()) };
    /// The registered JavaScript function (a strong reference).
    static FUNC: Cell<sys::napi_ref> = const { Cell::new(null_mut()) };
}

/// Registers `f` as the function redis.call crosses to: `(argv: Buffer[], resp: number, op: number) => Uint8Array`
/// (`op`: redis_api::op, what is asked).
///
/// # Safety
/// `env` and `f` must come from the current N-API callback.
pub unsafe fn register(env: sys::napi_env, f: sys::napi_value) -> bool {
    let old = FUNC.with(|c| c.get());
    if !old.is_null() {
        sys::napi_delete_reference(env, old);
    }
    let mut r = null_mut();
    let ok = sys::napi_create_reference(env, f, 1, &mut r) == sys::Status::napi_ok;
    FUNC.with(|c| c.set(if ok { r } else { null_mut() }));
    ok
}

/// Runs `f` with `env` as the environment redis.call crosses with (restored after: calls nest
/// only in the sense that a script's command cannot start another script).
pub fn with_env<R>(env: sys::napi_env, f: impl FnOnce() -> R) -> R {
    let prev = ENV.with(|c| c.replace(env));
    struct Restore(sys::napi_env);
    impl Drop for Restore {
        fn drop(&mut self) {
            ENV.with(|c| c.set(self.0));
        }
    }
    let _r = Restore(prev);
    f()
}

/// Calls the registered function with `argv` and the script's RESP version and
/// hands the reply bytes to `take` (valid only during it). Err: the function
/// threw, or no script is running (the message says which).
pub fn call<R>(argv: &[&[u8]], resp: u32, op: u32, take: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    let env = ENV.with(|c| c.get());
    let func = FUNC.with(|c| c.get());
    if env.is_null() || func.is_null() {
        return Err("redis.call is not available here".into());
    }
    unsafe {
        let mut scope = null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return Err("cannot open a handle scope".into());
        }
        let out = call_in_scope(env, func, argv, resp, op, take);
        sys::napi_close_handle_scope(env, scope);
        out
    }
}

unsafe fn call_in_scope<R>(env: sys::napi_env, func: sys::napi_ref, argv: &[&[u8]], resp: u32, op: u32, take: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    let ok = sys::Status::napi_ok;
    let mut f = null_mut();
    if sys::napi_get_reference_value(env, func, &mut f) != ok {
        return Err("the scripting bridge is gone".into());
    }
    let mut arr = null_mut();
    sys::napi_create_array_with_length(env, argv.len(), &mut arr);
    for (i, a) in argv.iter().enumerate() {
        let mut b = null_mut();
        let mut data = null_mut();
        if sys::napi_create_buffer_copy(env, a.len(), a.as_ptr() as *const _, &mut data, &mut b) != ok {
            return Err("cannot make an argument buffer".into());
        }
        sys::napi_set_element(env, arr, i as u32, b);
    }
    let mut r = null_mut();
    sys::napi_create_uint32(env, resp, &mut r);
    let mut undef = null_mut();
    sys::napi_get_undefined(env, &mut undef);
    let mut o = null_mut();
    sys::napi_create_uint32(env, op, &mut o);
    let args = [arr, r, o];
    let mut ret = null_mut();
    let st = sys::napi_call_function(env, undef, f, 3, args.as_ptr(), &mut ret);
    if st != ok {
        let mut pending = false;
        sys::napi_is_exception_pending(env, &mut pending);
        if pending {
            let mut e = null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut e);
        }
        return Err("the command failed in the server".into());
    }
    let mut p: *mut std::ffi::c_void = null_mut();
    let mut len = 0usize;
    let mut ty = 0;
    sys::napi_typeof(env, ret, &mut ty);
    if ty == sys::ValueType::napi_undefined {
        return Ok(take(&[]));
    }
    if sys::napi_get_buffer_info(env, ret, &mut p, &mut len) != ok {
        let mut ab_len = 0usize;
        // A Uint8Array that is not a Buffer.
        let mut ty = 0;
        let mut ab = null_mut();
        let mut off = 0usize;
        if sys::napi_get_typedarray_info(env, ret, &mut ty, &mut ab_len, &mut p, &mut ab, &mut off) != ok {
            return Err("the scripting bridge returned no reply".into());
        }
        len = ab_len;
    }
    let bytes = if p.is_null() || len == 0 { &[][..] } else { std::slice::from_raw_parts(p as *const u8, len) };
    Ok(take(bytes))
}
