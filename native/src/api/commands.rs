//! The engine command table's bindings (command.rs): the names, in id order,
//! and the one raw callback that runs any of them.
use super::raw_types::Argv;
use crate::keyspace::ks;
use crate::reply::{code, Out};
use napi_derive::napi;

/// rawCommand: runs engine command `cmd` over `argv`.
#[inline(always)]
pub fn run(cmd: u32, db: u32, argv: Argv, buf: &mut [u8], pos: u32) -> i64 {
    let mut out = Out::new(buf, pos as usize);
    let c = crate::command::run(ks(), cmd, db as usize, &argv.0, &mut out);
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
