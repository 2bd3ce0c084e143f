//! The AOF's bindings: the command-form base (aof-use-rdb-preamble no),
//! written in process (at start, for an empty dataset, as Redis's
//! rewriteAppendOnlyFile) or by the forked child (BGREWRITEAOF; fork.rs).
//! An RDB base is persistence.rs's rdb_save / rdb_bgsave.
use crate::aof_rewrite::{write_file, Extras};
use crate::api::persistence::ForkResult;
use crate::keyspace::ks;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

fn extras(timestamp: Option<i64>, functions: Vec<Buffer>) -> Extras {
    Extras {
        timestamp,
        functions: functions.into_iter().map(|b| b.to_vec()).collect(),
        key_delay_us: crate::config::get().rdb_key_save_delay.max(0) as u64,
    }
}

/// Writes the command-form AOF base of the whole dataset to `path` (`timestamp`:
/// a `#TS:` annotation first; `functions`: the libraries' code); an error text, or null.
#[napi(catch_unwind)]
pub fn aof_write_commands(path: String, timestamp: Option<i64>, functions: Vec<Buffer>) -> Option<String> {
    write_file(ks(), std::path::Path::new(&path), &extras(timestamp, functions)).err().map(|e| e.to_string())
}

/// BGREWRITEAOF: forks a child that writes the command-form base as
/// aof_write_commands does and exits; its end comes through child_poll.
/// Throws when it cannot fork.
#[napi(catch_unwind)]
pub fn aof_rewrite_background(path: String, timestamp: Option<i64>, functions: Vec<Buffer>) -> napi::Result<ForkResult> {
    let x = extras(timestamp, functions);
    let (pid, usec) = crate::fork::fork_child(move || {
        let k = ks();
        let keys: u64 = k.dbs.iter().map(|d| d.dict.len() as u64).sum();
        match write_file(k, std::path::Path::new(&path), &x) {
            Ok(()) => crate::fork::JobResult { ok: true, count: keys },
            Err(e) => {
                eprintln!("Write error writing append only file on disk: {e}");
                crate::fork::JobResult { ok: false, count: 0 }
            }
        }
    })
    .map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(ForkResult { pid, fork_usec: usec as f64 })
}
