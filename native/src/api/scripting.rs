//! Scripting bindings (lua/): the EVAL interpreter's scripts and runs. A run
//! is synchronous: the script's redis.call crosses back into JavaScript
//! (lua/bridge.rs) with this call's environment.
use crate::lua::{bridge, functions, Engine, Outcome, RunMode};
use napi::bindgen_prelude::{Buffer, Env, Unknown};
use napi::JsValue;
use napi_derive::napi;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

thread_local! {
    /// The EVAL interpreter (made by scriptInit, replaced by SCRIPT FLUSH).
    static EVAL: RefCell<Option<Box<Engine>>> = const { RefCell::new(None) };
    /// The function engine (FUNCTION LOAD / FCALL), replaced by FUNCTION FLUSH.
    static FUNC: RefCell<Option<Box<Engine>>> = const { RefCell::new(None) };
    static VERSION: RefCell<(String, f64)> = const { RefCell::new((String::new(), 0.0)) };
    /// The engine of the suspended script, if any (a run holds no RefCell
    /// borrow: its commands re-enter the addon).
    static SUSPENDED: Cell<*mut Engine> = const { Cell::new(std::ptr::null_mut()) };
    /// The scripts (by lowercase sha) and functions (by lowercase name) the
    /// batch path may run, registered by JavaScript once it ran one the usual
    /// way; forgotten when the scripts or the libraries change.
    static BATCH_EVAL: RefCell<ahash::AHashMap<Vec<u8>, Rc<BatchScript>>> = RefCell::new(ahash::AHashMap::new());
    static BATCH_FUNC: RefCell<ahash::AHashMap<Vec<u8>, Rc<BatchScript>>> = RefCell::new(ahash::AHashMap::new());
}

/// A script or function as the batch path runs it: where the engine keeps it,
/// how errors name it, its flags (src/scripting/shebang.ts numbering).
pub struct BatchScript {
    key: Vec<u8>,
    name: Vec<u8>,
    flags: u32,
}

/// shebang.ts's flags the batch path reads.
const FLAG_NO_WRITES: u32 = 1;
const FLAG_EVAL_COMPAT_MODE: u32 = 1 << 4;

/// Registers script `lookup` (EVALSHA's lowercase sha, or a function's
/// lowercase name) for the batch path: its engine key, its name in errors, its flags.
#[napi(catch_unwind)]
pub fn script_batch_register(is_function: bool, lookup: &[u8], key: &[u8], name: &[u8], flags: u32) {
    let s = Rc::new(BatchScript { key: key.to_vec(), name: name.to_vec(), flags });
    let table = if is_function { &BATCH_FUNC } else { &BATCH_EVAL };
    table.with(|t| t.borrow_mut().insert(lookup.to_vec(), s));
}

/// Which script command the batch path runs (batch.rs KIND_SCRIPT's ids).
pub const BATCH_EVALSHA: u32 = 0;
pub const BATCH_EVALSHA_RO: u32 = 1;
pub const BATCH_FCALL: u32 = 2;
pub const BATCH_FCALL_RO: u32 = 3;

/// How a script the batch path ran ended.
pub enum BatchRun {
    /// Its reply written: whether it is an error already counted, where its
    /// commands end in the direct log, and whether it crossed to JavaScript
    /// (which may have left work for after the command: blocked clients to serve).
    Done(bool, usize, bool),
    /// It passed busy-reply-threshold: suspended (script_resume goes on).
    Suspended,
}

/// Runs registered script or function `which` for command `id` (BATCH_*) in
/// `db` with `keys` and `args`, for a client speaking `resp`, its reply into
/// `out` (nothing written when it did not end: suspended); None when the
/// batch path may not (not registered, a write script from a *_RO command,
/// no room in the direct log): TypeScript runs the command. `ks` is the
/// batch's keyspace, which the script's commands change.
#[allow(clippy::too_many_arguments)]
pub fn run_for_batch(ks: &mut crate::keyspace::Keyspace, id: u32, which: &[u8], keys: &[&[u8]], args: &[&[u8]], db: usize, resp: u32, busy_ms: f64, out: &mut crate::reply::Out) -> Option<BatchRun> {
    use crate::state::{REPLY_CAP, RESP};
    let is_function = id >= BATCH_FCALL;
    let ro = id == BATCH_EVALSHA_RO || id == BATCH_FCALL_RO;
    if !is_function && which.len() != 40 {
        return None;
    }
    let table = if is_function { &BATCH_FUNC } else { &BATCH_EVAL };
    let script = table.with(|t| {
        let t = t.borrow();
        if which.iter().any(|b| b.is_ascii_uppercase()) {
            t.get(&which.to_ascii_lowercase()).cloned()
        } else {
            t.get(which).cloned()
        }
    })?;
    let compat = script.flags & FLAG_EVAL_COMPAT_MODE != 0;
    let no_writes = !compat && script.flags & FLAG_NO_WRITES != 0;
    // A script that may write, from EVALSHA_RO / FCALL_RO: TypeScript's error.
    if ro && !compat && !no_writes {
        return None;
    }
    if !crate::lua::direct::begin_batch_script(db, ro || no_writes, script.flags) {
        return None;
    }
    // As withScript: the script's own calls have no output cap; the caller's protocol is put back after.
    let (cap, saved_resp) = (ks.shared.get(REPLY_CAP), ks.shared.get(RESP));
    ks.shared.set(REPLY_CAP, 0.0);
    bridge::take_crossed();
    let mode = if is_function { RunMode::Function } else { RunMode::Eval };
    let start = |e: &mut Engine| {
        let o = bridge::with_registered_env(|| e.start(&script.key, &script.name, keys, args, resp, mode, busy_ms));
        let b = settle(e, o)?;
        out.raw(&b[1..]);
        let counted = b[0] == 1;
        e.recycle(b);
        Some(counted)
    };
    let counted = if is_function { with_func(start) } else { with_eval(start) };
    let crossed = bridge::take_crossed();
    let ks = std::hint::black_box(ks);
    ks.shared.set(REPLY_CAP, cap);
    let Some(counted) = counted else {
        // TypeScript takes the run over (its log, its caller) as a suspended script's.
        return Some(BatchRun::Suspended);
    };
    if crossed {
        // JavaScript made the run for the crossing: it ends it as withScript would (and accounts its commands).
        let _ = bridge::with_registered_env(|| bridge::call(&[], 0, resp, crate::lua::redis_api::op::END, |_| ()));
    }
    let direct_end = crate::lua::direct::end_batch_script();
    ks.shared.set(RESP, saved_resp);
    Some(BatchRun::Done(counted, direct_end, crossed))
}

/// Runs `f` on the EVAL interpreter (made on first use).
fn with_eval<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    let p: *mut Engine = EVAL.with(|e| {
        let mut e = e.borrow_mut();
        let b = e.get_or_insert_with(|| {
            let (v, n) = VERSION.with(|v| v.borrow().clone());
            Box::new(Engine::new(&v, n, |_| {}))
        });
        &mut **b as *mut Engine
    });
    // The Box stays where it is until SCRIPT FLUSH, which a running script cannot call.
    f(unsafe { &mut *p })
}

/// Runs `f` on the function interpreter (made on first use).
fn with_func<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    let p: *mut Engine = FUNC.with(|e| {
        let mut e = e.borrow_mut();
        let b = e.get_or_insert_with(|| {
            let (v, n) = VERSION.with(|v| v.borrow().clone());
            Box::new(functions::new_engine(&v, n))
        });
        &mut **b as *mut Engine
    });
    f(unsafe { &mut *p })
}

/// A function a library registered at FUNCTION LOAD.
#[napi(object)]
pub struct RegisteredFunction {
    pub name: Buffer,
    pub description: Option<Buffer>,
    /// Script flags (src/scripting/shebang.ts numbering).
    pub flags: u32,
    /// Where the engine keeps it (for rawScriptRun / functionDrop).
    pub key: String,
}

/// What FUNCTION LOAD's run of a library gave: its functions, or the error text.
#[napi(object)]
pub struct LibraryLoad {
    pub error: Option<String>,
    pub functions: Vec<RegisteredFunction>,
}

/// Runs a library's code (its shebang line left out, the newline kept) with
/// `timeout_ms` (0: none): the functions it registered, or the error.
#[napi(catch_unwind)]
pub fn function_load(env: Env, code: &[u8], timeout_ms: f64) -> LibraryLoad {
    BATCH_FUNC.with(|t| t.borrow_mut().clear());
    let r = with_func(|e| bridge::with_env(env.raw(), || functions::load(e, code, std::time::Duration::from_millis(timeout_ms.max(0.0) as u64))));
    match r {
        Ok(regs) => LibraryLoad {
            error: None,
            functions: regs
                .into_iter()
                .map(|r| RegisteredFunction { name: r.name.into(), description: r.desc.map(|d| d.into()), flags: r.flags, key: String::from_utf8_lossy(&r.key).into_owned() })
                .collect(),
        },
        Err(e) => LibraryLoad { error: Some(e), functions: Vec::new() },
    }
}

/// Forgets functions (their library was deleted, replaced or refused).
#[napi(catch_unwind)]
pub fn function_drop(keys: Vec<String>) {
    BATCH_FUNC.with(|t| t.borrow_mut().clear());
    with_func(|e| {
        let regs: Vec<functions::Registered> = keys.into_iter().map(|k| functions::Registered { name: Vec::new(), desc: None, flags: 0, key: k.into_bytes() }).collect();
        functions::drop_functions(e, &regs)
    })
}

/// FUNCTION FLUSH: a fresh function interpreter.
#[napi(catch_unwind)]
pub fn function_flush() {
    BATCH_FUNC.with(|t| t.borrow_mut().clear());
    let old = FUNC.with(|e| e.borrow_mut().take());
    drop(old);
}

/// Bytes the function interpreter uses (INFO's used_memory_vm_functions).
#[napi(catch_unwind)]
pub fn function_memory() -> f64 {
    with_func(|e| e.used_memory() as f64)
}

/// Registers the function redis.call crosses to, the scratch Buffer its
/// arguments cross in, the Buffer its replies come back in (see lua/bridge.rs),
/// and the version scripts see.
#[napi(catch_unwind)]
pub fn script_init(env: Env, version: String, version_num: f64, bridge_fn: Unknown, scratch: Unknown, reply: Unknown) -> bool {
    VERSION.with(|v| *v.borrow_mut() = (version, version_num));
    unsafe { bridge::register(env.raw(), bridge_fn.raw(), scratch.raw(), reply.raw()) }
}

/// Compiles `body` as script `sha` (lowercase hex) unless it is loaded: null,
/// or Lua's compile error ("user_script:1: ...").
#[napi(catch_unwind)]
pub fn script_load(sha: String, body: &[u8]) -> Option<String> {
    with_eval(|e| {
        let key = format!("f_{sha}");
        if e.has(key.as_bytes()) {
            return None;
        }
        e.compile(key.as_bytes(), body, c"@user_script").err().map(|m| String::from_utf8_lossy(&m).into_owned())
    })
}

/// Whether script `sha` (lowercase hex) is loaded.
#[napi(catch_unwind)]
pub fn script_exists(sha: String) -> bool {
    with_eval(|e| e.has(format!("f_{sha}").as_bytes()))
}

/// A started or resumed script's outcome for JavaScript: the reply after its
/// flag byte (0, or 1: an error already counted), or the single byte 2: the
/// script passed busy-reply-threshold and is suspended (scriptResume goes on).
fn outcome(e: *mut Engine, o: Outcome) -> Buffer {
    settle(e, o).unwrap_or_else(|| vec![2u8]).into()
}

/// Notes which engine holds a suspended script (SCRIPT KILL, script_resume)
/// after `e` ran one: its reply (flag byte first) when it ended, None when suspended.
fn settle(e: *mut Engine, o: Outcome) -> Option<Vec<u8>> {
    let (suspended, reply) = match o {
        Outcome::Done(b) => (std::ptr::null_mut(), Some(b)),
        Outcome::Suspended => (e, None),
    };
    SUSPENDED.with(|s| s.set(suspended));
    reply
}

thread_local! {
    /// The outcome of the last rawScriptRun, until rawScriptTake copies it.
    static OUTCOME: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The script's key, its name, its keys and its arguments, packed by
/// JavaScript (src/engine/scripting.ts packRun): their count (u32, little
/// endian), then each as its length (u32) and its bytes. None when malformed.
fn unpack_run(packed: &[u8]) -> Option<Vec<&[u8]>> {
    let word = |at: usize| packed.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let n = word(0)?;
    let mut views = Vec::with_capacity(n);
    let mut at = 4;
    for _ in 0..n {
        let len = word(at)?;
        views.push(packed.get(at + 4..at + 4 + len)?);
        at += 4 + len;
    }
    Some(views)
}

/// rawScriptRun: runs loaded script or function `views[0]` (its key: "f_<sha>"
/// for a script), named `views[1]` in errors, with `numkeys` keys and then its
/// arguments (unpack_run). The reply goes into `buf` at `pos` when it fits,
/// else it waits in OUTCOME for rawScriptTake. Returns the reply's length
/// times 8, plus 4 when it was written, plus its flag (0; 1: an error already
/// counted; 2: suspended, no reply).
pub fn run_raw(packed: &[u8], is_function: bool, numkeys: u32, resp: u32, busy_ms: f64, buf: &mut [u8], pos: u32) -> i64 {
    let Some(views) = unpack_run(packed).filter(|v| v.len() >= 2) else {
        let out = b"\0-ERR internal error: malformed script arguments\r\n".to_vec();
        return keep_outcome(out);
    };
    let (key, name) = (views[0], views[1]);
    let split = (2 + numkeys as usize).min(views.len());
    let mode = if is_function { RunMode::Function } else { RunMode::Eval };
    let start = |e: &mut Engine| {
        let o = bridge::with_registered_env(|| e.start(key, name, &views[2..split], &views[split..], resp, mode, busy_ms));
        let Some(out) = settle(e, o) else { return keep_outcome(vec![2u8]) };
        let flag = *out.first().unwrap_or(&0) as i64;
        let body = out.get(1..).unwrap_or_default();
        let pos = pos as usize;
        if pos + body.len() > buf.len() {
            return keep_outcome(out);
        }
        crate::util::copy::copy_bytes(&mut buf[pos..pos + body.len()], body);
        let written = body.len() as i64 * 8 + 4 + flag;
        e.recycle(out);
        written
    };
    if is_function {
        with_func(start)
    } else {
        with_eval(start)
    }
}

/// Keeps an outcome (its flag byte, then its reply) for rawScriptTake: as run_raw returns it, not written.
fn keep_outcome(out: Vec<u8>) -> i64 {
    let n = (out.len().saturating_sub(1)) as i64 * 8 + *out.first().unwrap_or(&0) as i64;
    OUTCOME.with(|o| *o.borrow_mut() = out);
    n
}

/// rawScriptTake: copies the kept outcome's reply (after its flag byte) into
/// `buf` at `pos` (the caller made room): the new position.
pub fn take_raw(buf: &mut [u8], pos: u32) -> i64 {
    OUTCOME.with(|o| {
        let o = o.borrow();
        let o = o.get(1..).unwrap_or_default();
        let pos = pos as usize;
        let end = pos + o.len();
        if end > buf.len() {
            return crate::reply::code::NOSPACE;
        }
        crate::util::copy::copy_bytes(&mut buf[pos..end], o);
        end as i64
    })
}

/// Goes on with the suspended script for a slice of time (see `outcome`).
#[napi(catch_unwind)]
pub fn script_resume(env: Env) -> Buffer {
    let e = SUSPENDED.with(|s| s.get());
    if e.is_null() {
        return vec![0u8].into();
    }
    // The suspended engine stays where it is: FLUSH is refused while a script is busy.
    let e = unsafe { &mut *e };
    let o = bridge::with_env(env.raw(), || e.resume());
    outcome(e, o)
}

/// SCRIPT KILL / FUNCTION KILL: the suspended script fails at its next check.
#[napi(catch_unwind)]
pub fn script_kill() -> bool {
    let e = SUSPENDED.with(|s| s.get());
    if e.is_null() {
        return false;
    }
    unsafe { (*e).kill() };
    true
}

/// Milliseconds the running or suspended script has run (FUNCTION STATS).
#[napi(catch_unwind)]
pub fn script_running_ms() -> f64 {
    crate::lua::state::running_ms()
}

/// SCRIPT FLUSH: a fresh interpreter without scripts.
#[napi(catch_unwind)]
pub fn script_flush() {
    BATCH_EVAL.with(|t| t.borrow_mut().clear());
    let old = EVAL.with(|e| e.borrow_mut().take());
    drop(old);
}

/// Bytes the EVAL interpreter uses (INFO's used_memory_lua / used_memory_vm_eval).
#[napi(catch_unwind)]
pub fn script_memory() -> f64 {
    with_eval(|e| e.used_memory() as f64)
}

/// FUNCTION DUMP: the payload for libraries with these codes (LZF when `compress`, as rdbcompression).
#[napi(catch_unwind)]
pub fn function_dump_payload(codes: Vec<Buffer>, compress: bool) -> Buffer {
    let views: Vec<&[u8]> = codes.iter().map(|b| &b[..]).collect();
    crate::lua::payload::dump(&views, compress).into()
}

/// What FUNCTION RESTORE read from a payload: the library codes, or the error text.
#[napi(object)]
pub struct FunctionPayload {
    pub error: Option<String>,
    pub codes: Vec<Buffer>,
}

/// FUNCTION RESTORE's reading of a payload ("DUMP payload version or checksum are wrong", ...).
#[napi(catch_unwind)]
pub fn function_parse_payload(payload: &[u8]) -> FunctionPayload {
    use crate::lua::payload;
    if !payload::verify(payload) {
        return FunctionPayload { error: Some("DUMP payload version or checksum are wrong".into()), codes: Vec::new() };
    }
    match payload::parse(payload) {
        Ok(codes) => FunctionPayload { error: None, codes: codes.into_iter().map(Buffer::from).collect() },
        Err(e) => FunctionPayload { error: Some(e.into()), codes: Vec::new() },
    }
}

/// Registers the engine commands a script's redis.call runs without crossing
/// to JavaScript (lua/direct.rs `set_table`).
#[napi(catch_unwind)]
pub fn script_direct_table(names: Vec<String>, ids: Vec<u32>, arities: Vec<i32>, flags: Vec<u32>) -> napi::Result<()> {
    crate::lua::direct::set_table(&names, &ids, &arities, &flags).map_err(napi::Error::from_reason)
}

/// Registers the log of those commands (f64s) and the buffer their argv wait
/// in to be propagated (JavaScript keeps both referenced for the life of the process).
#[napi(catch_unwind)]
pub fn script_register_direct_log(mut block: napi::bindgen_prelude::BufferSlice, mut argv: napi::bindgen_prelude::BufferSlice) {
    let ptr = block.as_mut_ptr() as *mut f64;
    assert!((ptr as usize).is_multiple_of(8), "direct log not aligned");
    unsafe { crate::lua::direct::register_log(ptr, block.len() / 8, argv.as_mut_ptr(), argv.len()) };
}

/// direct.rs's flag for a write command (refused in read-only scripts).
#[napi]
pub const SCRIPT_DIRECT_DENY_READONLY: u32 = crate::lua::direct::F_DENY_READONLY;
