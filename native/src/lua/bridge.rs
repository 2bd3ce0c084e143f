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
    /// The environment the bridge was registered with (the addon's, for raw callbacks that get none).
    static REGISTERED_ENV: Cell<sys::napi_env> = const { Cell::new(null_mut()) };
    /// The scratch Buffer the arguments are written into (kept alive by a reference), and its bytes.
    static SCRATCH: Cell<(sys::napi_ref, *mut u8, usize)> = const { Cell::new((null_mut(), null_mut(), 0)) };
    /// The Buffer the function writes replies into: it returns a reply's length when the reply is there.
    static REPLY: Cell<(sys::napi_ref, *mut u8, usize)> = const { Cell::new((null_mut(), null_mut(), 0)) };
    /// Whether the function was called since `take_crossed` (a script the batch
    /// path runs tells TypeScript its end only when it crossed).
    static CROSSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a crossing happened since the last call (and forgets it).
pub fn take_crossed() -> bool {
    CROSSED.with(|c| c.replace(false))
}

/// Keeps `buf` (a Buffer) referenced in `slot`, dropping the reference it held.
unsafe fn keep_buffer(env: sys::napi_env, slot: &'static std::thread::LocalKey<Cell<(sys::napi_ref, *mut u8, usize)>>, buf: sys::napi_value) {
    let (old_ref, _, _) = slot.with(|c| c.get());
    if !old_ref.is_null() {
        sys::napi_delete_reference(env, old_ref);
    }
    let mut r = null_mut();
    let mut p: *mut std::ffi::c_void = null_mut();
    let mut len = 0usize;
    let kept = sys::napi_get_buffer_info(env, buf, &mut p, &mut len) == sys::Status::napi_ok && sys::napi_create_reference(env, buf, 1, &mut r) == sys::Status::napi_ok;
    slot.with(|c| c.set(if kept { (r, p as *mut u8, len) } else { (null_mut(), null_mut(), 0) }));
}

/// Registers `f` as the function redis.call crosses to: `(argv: Buffer[], resp: number, op: number) => Uint8Array`
/// (`op`: redis_api::op, what is asked), or the length of the reply it wrote at the start of `reply`.
///
/// # Safety
/// `env` and `f` must come from the current N-API callback.
pub unsafe fn register(env: sys::napi_env, f: sys::napi_value, scratch: sys::napi_value, reply: sys::napi_value) -> bool {
    let old = FUNC.with(|c| c.get());
    if !old.is_null() {
        sys::napi_delete_reference(env, old);
    }
    REGISTERED_ENV.with(|c| c.set(env));
    keep_buffer(env, &SCRATCH, scratch);
    keep_buffer(env, &REPLY, reply);
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

/// Appends one argument to a packed argv: its length (u32, little endian), then its bytes.
#[inline]
pub fn pack(out: &mut Vec<u8>, arg: &[u8]) {
    out.extend_from_slice(&(arg.len() as u32).to_le_bytes());
    out.extend_from_slice(arg);
}

/// The arguments of a packed argv into `slots`: how many, or None when there are more than it holds.
pub fn unpack_into<'a>(packed: &'a [u8], slots: &mut [&'a [u8]]) -> Option<usize> {
    let (mut p, mut n) = (0, 0);
    while p + 4 <= packed.len() {
        let len = u32::from_le_bytes(packed[p..p + 4].try_into().expect("4 bytes")) as usize;
        *slots.get_mut(n)? = &packed[p + 4..p + 4 + len];
        n += 1;
        p += 4 + len;
    }
    Some(n)
}

/// The arguments of a packed argv.
fn unpack(packed: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut p = 0;
    while p + 4 <= packed.len() {
        let n = u32::from_le_bytes(packed[p..p + 4].try_into().expect("4 bytes")) as usize;
        out.push(&packed[p + 4..p + 4 + n]);
        p += 4 + n;
    }
    out
}

/// `with_env` with the environment the bridge was registered with (the one
/// environment of the addon on this thread), for raw callbacks.
pub fn with_registered_env<R>(f: impl FnOnce() -> R) -> R {
    with_env(REGISTERED_ENV.with(|c| c.get()), f)
}

/// Calls the registered function with the `argc` arguments of `packed` and the
/// script's RESP version and hands the reply bytes to `take` (valid only
/// during it). The arguments cross in the scratch Buffer when they fit there
/// (the function gets their count), else as an array of Buffers. Err: the
/// function threw, or no script is running (the message says which).
pub fn call<R>(packed: &[u8], argc: usize, resp: u32, op: u32, take: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    let env = ENV.with(|c| c.get());
    let func = FUNC.with(|c| c.get());
    if env.is_null() || func.is_null() {
        return Err("redis.call is not available here".into());
    }
    CROSSED.with(|c| c.set(true));
    unsafe {
        let mut scope = null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return Err("cannot open a handle scope".into());
        }
        let out = call_in_scope(env, func, packed, argc, resp, op, take);
        sys::napi_close_handle_scope(env, scope);
        out
    }
}

unsafe fn call_in_scope<R>(env: sys::napi_env, func: sys::napi_ref, packed: &[u8], argc: usize, resp: u32, op: u32, take: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    let ok = sys::Status::napi_ok;
    let mut f = null_mut();
    if sys::napi_get_reference_value(env, func, &mut f) != ok {
        return Err("the scripting bridge is gone".into());
    }
    let (_, sp, slen) = SCRATCH.with(|c| c.get());
    let mut arr = null_mut();
    if !sp.is_null() && packed.len() <= slen {
        std::ptr::copy_nonoverlapping(packed.as_ptr(), sp, packed.len());
        sys::napi_create_uint32(env, argc as u32, &mut arr);
    } else {
        let argv = unpack(packed);
        sys::napi_create_array_with_length(env, argv.len(), &mut arr);
        for (i, a) in argv.iter().enumerate() {
            let mut b = null_mut();
            let mut data = null_mut();
            if sys::napi_create_buffer_copy(env, a.len(), a.as_ptr() as *const _, &mut data, &mut b) != ok {
                return Err("cannot make an argument buffer".into());
            }
            sys::napi_set_element(env, arr, i as u32, b);
        }
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
    if ty == sys::ValueType::napi_number {
        // The reply is in the registered reply Buffer (no typed array made for it).
        let mut n = 0u32;
        sys::napi_get_value_uint32(env, ret, &mut n);
        let (_, rp, rlen) = REPLY.with(|c| c.get());
        if rp.is_null() || n as usize > rlen {
            return Err("the scripting bridge returned a bad reply length".into());
        }
        return Ok(take(std::slice::from_raw_parts(rp, n as usize)));
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
