// The raw N-API bindings (the per-command hot path), one entry each:
//
//     /// doc
//     jsName(arg: RustType, ...) -> RustType = path::to::function;
//
// This one table makes the `extern "C"` callbacks with typed argument
// extraction (api/raw.rs), their registration on the addon's exports, and
// their TypeScript declarations (native/raw.d.ts, written by build.rs). Types:
// u32, f64, bool, &[u8] (a Uint8Array), &mut [u8] (a Uint8Array written into);
// returns: i64, f64, bool, or none (undefined). The function is called with
// the arguments in order and must not keep the slices.
raw_bindings! {
    /// One key of MGET: the bulk, or NIL (missing key or another type).
    rawStrMgetOne(db: u32, key: &[u8], buf: &mut [u8], pos: u32) -> i64 = crate::api::strings::mget_one;

    /// `SET key value` without options, and each pair of MSET.
    rawStrSetPlain(db: u32, key: &[u8], val: &[u8]) = crate::api::strings::set_plain;

    /// SET with `flags` (t_string::SET_*) and, when an expire unit flag is set,
    /// the expire argument as the client gave it: OK, NIL or a written reply.
    rawStrSet(db: u32, key: &[u8], val: &[u8], flags: u32, expire: &[u8], buf: &mut [u8], pos: u32) -> i64 = crate::api::strings::set;

    /// Runs engine command `cmd` (its position in command.rs's table, named by
    /// engineCommandNames) over the client's argv: the new position (its reply
    /// written), or a status code (NIL, OK, BLOCK, ...).
    rawCommand(cmd: u32, db: u32, argv: Argv, buf: &mut [u8], pos: u32) -> i64 = crate::api::commands::run;

    /// Runs the commands registered for the batch path at the start of
    /// `input[from..]` (batch.rs), replying into `buf` from `pos` until `limit`:
    /// the number run; the batch log tells where input and output stopped.
    rawRunBatch(db: u32, input: &[u8], from: u32, buf: &mut [u8], pos: u32, limit: u32) -> i64 = crate::api::commands::run_batch;

    /// EVAL / EVALSHA of a loaded script, or FCALL of a function (`is_function`):
    /// its key, name, `numkeys` keys and arguments packed in `packed`; its reply
    /// written into `buf` at `pos` when it fits, else kept for rawScriptTake
    /// (api/scripting.rs run_raw: the reply's length, whether written, its flag).
    rawScriptRun(packed: &[u8], is_function: bool, numkeys: u32, resp: u32, busy_ms: f64, buf: &mut [u8], pos: u32) -> i64 = crate::api::scripting::run_raw;

    /// Copies the reply rawScriptRun kept into `buf` at `pos`: the new position.
    rawScriptTake(buf: &mut [u8], pos: u32) -> i64 = crate::api::scripting::take_raw;

    /// maxmemory's check before a command (Redis's performEvictions): evicts
    /// while used memory (the addon's plus `extra`) is over the limit; 0 OK,
    /// 1 RUNNING (still over, evicting continues later), 2 FAIL (nothing to evict).
    rawEvict(extra: f64) -> i64 = crate::api::evict::perform;

    /// Sends reply bytes on socket `fd` (api/io.rs): bytes sent, 0 when the
    /// socket is full, -errno on an error.
    rawWriteFd(fd: u32, data: &[u8]) -> i64 = crate::api::io::write_fd;

    /// Test hook (DEBUG NATIVE-PANIC-TEST RAW): panics with `message`.
    rawDebugPanicTest(message: &[u8]) = crate::api::debug::panic_test;
}
