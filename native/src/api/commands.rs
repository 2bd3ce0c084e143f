//! The engine command table's bindings (command.rs): the names, in id order,
//! and the one raw callback that runs any of them.
use super::raw_types::Argv;
use crate::keyspace::ks;
use crate::reply::{code, Out};
use napi_derive::napi;

/// rawCommand: runs engine command `cmd` over `argv`.
#[inline(always)]
pub fn run(cmd: u32, db: u32, argv: Argv, buf: &mut [u8], pos: u32) -> i64 {
    run_args(cmd, db, &argv.0, buf, pos)
}

/// run over argument slices the caller holds (rawCommandArgs keeps them on its stack).
#[inline(always)]
pub fn run_args(cmd: u32, db: u32, argv: &[&[u8]], buf: &mut [u8], pos: u32) -> i64 {
    let mut out = Out::new(buf, pos as usize);
    let c = crate::command::run(ks(), cmd, db as usize, argv, &mut out);
    if c == code::WRITTEN {
        out.finish()
    } else {
        c
    }
}

/// The engine commands' names, indexed by the id rawCommand takes.
#[napi(catch_unwind)]
pub fn engine_command_names() -> Vec<String> {
    crate::command::table().iter().map(|c| c.name.to_string()).collect()
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD: false when the size is refused.
#[napi(catch_unwind)]
pub fn engine_list_packed_threshold(bytes: f64) -> bool {
    bytes >= 0.0 && crate::quicklist::set_packed_threshold(bytes as u64)
}

/// rawRunBatch: the registered commands at the start of `input[from..]`, run
/// in one call (batch.rs); the number run, the log says the rest.
#[inline(always)]
pub fn run_batch(db: u32, input: &[u8], from: u32, buf: &mut [u8], pos: u32, limit: u32) -> i64 {
    crate::batch::run(ks(), db as usize, input, from as usize, buf, pos as usize, limit as usize) as i64
}

/// Registers the commands the batch path may run (batch.rs `set_table`).
#[napi(catch_unwind)]
pub fn engine_batch_table(names: Vec<String>, ids: Vec<u32>, arities: Vec<i32>, kinds: Vec<u32>) -> napi::Result<()> {
    crate::batch::set_table(&names, &ids, &arities, &kinds).map_err(napi::Error::from_reason)
}

/// What a name in the batch table is (batch.rs KIND_*).
#[napi]
pub const BATCH_KIND_COMMAND: u32 = crate::batch::KIND_COMMAND;
#[napi]
pub const BATCH_KIND_MULTI: u32 = crate::batch::KIND_MULTI;
#[napi]
pub const BATCH_KIND_EXEC: u32 = crate::batch::KIND_EXEC;
#[napi]
pub const BATCH_KIND_SERVE_OR_BLOCK: u32 = crate::batch::KIND_SERVE_OR_BLOCK;
#[napi]
pub const BATCH_KIND_PUBLISH: u32 = crate::batch::KIND_PUBLISH;
#[napi]
pub const BATCH_KIND_SCRIPT: u32 = crate::batch::KIND_SCRIPT;
/// The ids of the script commands of kind BATCH_KIND_SCRIPT (api/scripting.rs BATCH_*).
#[napi]
pub const BATCH_SCRIPT_EVALSHA: u32 = crate::api::scripting::BATCH_EVALSHA;
#[napi]
pub const BATCH_SCRIPT_EVALSHA_RO: u32 = crate::api::scripting::BATCH_EVALSHA_RO;
#[napi]
pub const BATCH_SCRIPT_FCALL: u32 = crate::api::scripting::BATCH_FCALL;
#[napi]
pub const BATCH_SCRIPT_FCALL_RO: u32 = crate::api::scripting::BATCH_FCALL_RO;

/// `channel` has `clients` subscribers now (pubsub.rs; 0: none).
#[napi(catch_unwind)]
pub fn engine_pubsub_channel(channel: napi::bindgen_prelude::BufferSlice, clients: u32) {
    crate::pubsub::set_channel(&channel, clients);
}

/// `pattern` has `clients` subscribers now (pubsub.rs; 0: none).
#[napi(catch_unwind)]
pub fn engine_pubsub_pattern(pattern: napi::bindgen_prelude::BufferSlice, clients: u32) {
    crate::pubsub::set_pattern(&pattern, clients);
}

/// Registers the Buffer the batch path logs into (f64s; JavaScript keeps it
/// referenced for the life of the process).
#[napi(catch_unwind)]
pub fn engine_register_batch_log(mut block: napi::bindgen_prelude::BufferSlice) {
    let ptr = block.as_mut_ptr() as *mut f64;
    assert!((ptr as usize) % 8 == 0, "batch log not aligned");
    unsafe { crate::batch::register_log(ptr, block.len() / 8) };
}
