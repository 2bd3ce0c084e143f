//! Raw N-API callbacks for the per-command hot path.
//!
//! napi-rs's `#[napi]` wrappers cost about 95 ns per call on our machines (a
//! one-argument call: 111 ns, against 15 ns for the same call made as a plain
//! N-API callback), which is more than GET itself. Hot bindings are therefore
//! written as `extern "C"` callbacks over `napi::sys`, registered on the
//! module's exports by napi-rs's `module_exports` hook. Their TypeScript types
//! are declared by hand in `src/engine/addon.ts`.
use napi::bindgen_prelude::{Env, JsValue, Object, Result};
use napi::sys;
use napi_derive::napi;
use std::ptr::null_mut;

const MAX_ARGS: usize = 8;

/// The arguments of one call. Conversions never throw: a value of the wrong
/// type reads as 0 / an empty slice (the typed TS layer is the only caller).
pub struct Args {
    env: sys::napi_env,
    argv: [sys::napi_value; MAX_ARGS],
    argc: usize,
}

impl Args {
    /// # Safety
    /// `env` and `info` must be the ones N-API passed to the callback.
    pub unsafe fn new(env: sys::napi_env, info: sys::napi_callback_info) -> Args {
        let mut argc = MAX_ARGS;
        let mut argv = [null_mut(); MAX_ARGS];
        sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), null_mut());
        Args { env, argv, argc: argc.min(MAX_ARGS) }
    }

    #[inline]
    fn arg(&self, i: usize) -> sys::napi_value {
        if i < self.argc { self.argv[i] } else { null_mut() }
    }

    pub fn u32(&self, i: usize) -> u32 {
        let mut v = 0u32;
        unsafe { sys::napi_get_value_uint32(self.env, self.arg(i), &mut v) };
        v
    }

    pub fn f64(&self, i: usize) -> f64 {
        let mut v = 0f64;
        unsafe { sys::napi_get_value_double(self.env, self.arg(i), &mut v) };
        v
    }

    pub fn bool(&self, i: usize) -> bool {
        let mut v = false;
        unsafe { sys::napi_get_value_bool(self.env, self.arg(i), &mut v) };
        v
    }

    /// The bytes of a Buffer / Uint8Array argument.
    pub fn bytes(&self, i: usize) -> &[u8] {
        let (p, len) = self.buffer_info(i);
        if p.is_null() || len == 0 {
            return &[];
        }
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    /// The bytes of a Buffer argument, writable (the caller's reply arena).
    #[allow(clippy::mut_from_ref)]
    pub fn bytes_mut(&self, i: usize) -> &mut [u8] {
        let (p, len) = self.buffer_info(i);
        if p.is_null() || len == 0 {
            return &mut [];
        }
        unsafe { std::slice::from_raw_parts_mut(p, len) }
    }

    fn buffer_info(&self, i: usize) -> (*mut u8, usize) {
        let mut p: *mut std::ffi::c_void = null_mut();
        let mut len = 0usize;
        let st = unsafe { sys::napi_get_buffer_info(self.env, self.arg(i), &mut p, &mut len) };
        if st != sys::Status::napi_ok { (null_mut(), 0) } else { (p as *mut u8, len) }
    }

    pub fn ret_f64(&self, v: f64) -> sys::napi_value {
        let mut out = null_mut();
        unsafe { sys::napi_create_double(self.env, v, &mut out) };
        out
    }

    pub fn ret_bool(&self, v: bool) -> sys::napi_value {
        let mut out = null_mut();
        unsafe { sys::napi_get_boolean(self.env, v, &mut out) };
        out
    }
}

/// Declares raw callbacks: `raw_fn!(fn name(a) -> sys::napi_value { body })`
/// where `a: &Args`. Each becomes an `unsafe extern "C"` N-API callback.
#[macro_export]
macro_rules! raw_fn {
    ($(#[$m:meta])* fn $name:ident($a:ident) $body:block) => {
        $(#[$m])*
        /// # Safety
        /// Called by N-API only, with the env and callback info it passes.
        pub unsafe extern "C" fn $name(
            env: napi::sys::napi_env,
            info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            let $a = &$crate::api::raw::Args::new(env, info);
            $body
        }
    };
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

fn define(env: sys::napi_env, exports: sys::napi_value, name: &std::ffi::CStr, f: Callback) {
    unsafe {
        let mut func = null_mut();
        sys::napi_create_function(env, name.as_ptr(), name.to_bytes().len() as isize, Some(f), null_mut(), &mut func);
        sys::napi_set_named_property(env, exports, name.as_ptr(), func);
    }
}

/// Every raw binding, by its JavaScript name.
const RAW_EXPORTS: &[(&std::ffi::CStr, Callback)] = &[
    (c"rawSetClock", crate::api::server::raw_set_clock),
    (c"rawStrGet", crate::api::strings::raw_str_get),
    (c"rawStrMgetOne", crate::api::strings::raw_str_mget_one),
    (c"rawStrSetPlain", crate::api::strings::raw_str_set_plain),
    (c"rawStrSet", crate::api::strings::raw_str_set),
    (c"rawStrIncrBy", crate::api::strings::raw_str_incr_by),
];

#[napi(module_exports)]
pub fn register_raw_bindings(exports: Object, env: Env) -> Result<()> {
    for (name, f) in RAW_EXPORTS {
        define(env.raw(), exports.raw(), name, *f);
    }
    Ok(())
}
